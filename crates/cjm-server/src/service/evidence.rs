//! Evidence in the web app: uploaded event logs, their column mapping, and
//! maps measured against them (by `cjm-mine`), with the draft map the log
//! suggests.
//!
//! Uploads are written to a temporary file in the data directory and renamed
//! into place, so a log on disk is always whole.

use crate::auth::User;
use crate::cache::Bounded;
use crate::error::{AppError, AppResult};
use crate::store::{self, ColumnMapping, Evidence, MapInfo};
use crate::AppState;
use cjm_events::{ColumnMap, EventLog, Format, ReadOptions};
use cjm_mine::measure::Measurement;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every file extension an upload may have, with its dot, from the one
/// table of formats (`.gz` goes after any of them).
pub(crate) fn extensions() -> impl Iterator<Item = String> {
    Format::ALL.into_iter().flat_map(|f| f.extensions()).map(|e| format!(".{e}"))
}

/// The extensions for people: `.csv, .tsv, … or .xes (each also .gz)`.
pub(crate) fn extensions_list() -> String {
    let all: Vec<String> = extensions().collect();
    let (last, rest) = all.split_last().expect("formats have extensions");
    format!("{} or {last} (each also .gz)", rest.join(", "))
}

/// File types the upload form takes, by extension.
pub(crate) fn format_of(name: &str) -> AppResult<Format> {
    Format::from_path(Path::new(&name.to_lowercase())).ok_or_else(|| {
        AppError::bad(format!(
            "`{name}`: cannot tell the format from the file name; upload a {} file",
            extensions_list()
        ))
    })
}

/// Writes the upload to `dir` under a fresh name; returns that name.
pub fn store_upload(dir: &Path, file_name: &str, bytes: &[u8]) -> AppResult<String> {
    let lower = file_name.to_lowercase();
    let (base, gz) = lower.strip_suffix(".gz").map_or((lower.as_str(), ""), |b| (b, ".gz"));
    let ext = extensions().find(|e| base.ends_with(e.as_str())).map_or(".log".to_string(), |e| format!("{e}{gz}"));
    let stored = format!("{}{ext}", crate::token::random_token(12));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| AppError::Internal(format!("upload temp file: {e}")))?;
    use std::io::Write;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| AppError::Internal(format!("writing an upload: {e}")))?;
    tmp.persist(dir.join(&stored)).map_err(|e| AppError::Internal(format!("storing an upload: {e}")))?;
    // The rename is durable only once the directory is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AppError::Internal(format!("syncing the evidence folder: {e}")))?;
    Ok(stored)
}

pub(crate) fn path_of(data_dir: &Path, stored_as: &str) -> PathBuf {
    data_dir.join("evidence").join(stored_as)
}

/// The file of a log: an upload in the data directory, or a file of the
/// server's log folder (checked, on every use, to be inside it still).
pub(crate) fn file_of(config: &crate::Config, ev: &Evidence) -> AppResult<PathBuf> {
    if ev.on_spark {
        return Err(AppError::Unprocessable(format!(
            "{} is on Spark, which computes the measured map, the overview, funnel, process map, variants and trends; \
             this needs the log's events here: attach a copy exported with `cjm export` to use it",
            ev.file_name
        )));
    }
    if ev.in_folder {
        crate::service::folder::resolve(config, &ev.stored_as)
    } else {
        Ok(path_of(&config.data_dir, &ev.stored_as))
    }
}

/// Reads a stored log with a mapping. The error is the reader's, which
/// names the line and the column to choose; the file name shown is the one
/// the user uploaded.
pub(crate) fn read(
    path: &Path,
    shown_name: &str,
    mapping: &ColumnMapping,
    max_inflated: u64,
) -> Result<EventLog, Unread> {
    let opts = read_options(shown_name, mapping, max_inflated).map_err(|error| Unread { error, settings: true })?;
    cjm_events::read_path(path, &opts).map_err(|e| {
        use cjm_events::ReadErrorKind as K;
        let settings = matches!(e.kind, K::MissingColumn(_) | K::NoRows);
        Unread { error: read_error(e, shown_name), settings }
    })
}

/// Why a stored log does not read: the error in the web app's words, and
/// whether other settings (its columns, encoding, lifecycle) may read it
/// — a required column not found, or every row bad — rather than the file
/// being damaged, too big or not its format.
#[derive(Clone, Debug)]
pub(crate) struct Unread {
    pub error: AppError,
    pub settings: bool,
}

/// The reader's options for a mapping: its column names, encoding and
/// lifecycle choice (each checked), the format from the name shown.
fn read_options(shown_name: &str, mapping: &ColumnMapping, max_inflated: u64) -> AppResult<ReadOptions> {
    let pick = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let encoding = match pick(&mapping.encoding).as_deref() {
        None | Some("utf-8" | "utf8") => cjm_events::Encoding::Utf8,
        Some("latin1" | "latin-1" | "iso-8859-1") => cjm_events::Encoding::Latin1,
        Some(other) => return Err(AppError::Unprocessable(format!("encoding `{other}`: choose utf-8 or latin1"))),
    };
    let lifecycle = match pick(&mapping.lifecycle).as_deref() {
        None | Some("auto") => cjm_events::Lifecycle::Auto,
        Some("all") => cjm_events::Lifecycle::All,
        Some("complete") => cjm_events::Lifecycle::Complete,
        Some("start") => cjm_events::Lifecycle::Start,
        Some(other) => {
            return Err(AppError::Unprocessable(format!("lifecycle `{other}`: choose auto, all, complete or start")))
        }
    };
    let named = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    Ok(ReadOptions {
        encoding,
        lifecycle,
        format: Format::from_path(Path::new(&shown_name.to_lowercase())),
        columns: ColumnMap {
            case: named(&mapping.case),
            time: named(&mapping.time),
            activity: named(&mapping.activity),
            channel: named(&mapping.channel),
            score: named(&mapping.score),
            attrs: Vec::new(),
        },
        max_inflated: Some(max_inflated),
        ..ReadOptions::default()
    })
}

/// The rows of a log the evidence page shows, to choose its columns by.
pub(crate) const PREVIEW_ROWS: usize = 10;

/// The first rows of a log as its file holds them, and the column each
/// role is read from: what the column pickers offer, also when the log
/// does not read.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct LogPreview {
    /// Every column, in file order (at most 1,000).
    pub columns: Vec<String>,
    /// Columns past those listed.
    pub more_columns: usize,
    /// The first rows, one text per column.
    pub rows: Vec<Vec<String>>,
    /// The column read for each role: the one the mapping names, else the
    /// one detected; absent when neither finds one.
    pub detected: ColumnMapping,
    /// The format names the roles itself (XES): nothing to choose.
    pub fixed_roles: bool,
    /// The text is not UTF-8: Latin-1 may read it.
    pub not_utf8: bool,
}

/// The preview of a stored log read with `mapping` (its encoding and names).
pub(crate) fn preview(path: &Path, shown: &str, mapping: &ColumnMapping, max_inflated: u64) -> AppResult<LogPreview> {
    let opts = read_options(shown, mapping, max_inflated)?;
    let p = cjm_events::preview_path(path, &opts, PREVIEW_ROWS).map_err(|e| read_error(e, shown))?;
    Ok(LogPreview {
        detected: ColumnMapping {
            case: p.case.clone(),
            time: p.time.clone(),
            activity: p.activity.clone(),
            channel: p.channel.clone(),
            score: p.score.clone(),
            ..ColumnMapping::default()
        },
        columns: p.columns,
        more_columns: p.more_columns,
        rows: p.rows,
        fixed_roles: p.fixed_roles,
        not_utf8: p.not_utf8,
    })
}

/// A read error in the web app's words: the file as the user named it,
/// and what to change on the evidence page.
fn read_error(e: cjm_events::ReadError, shown_name: &str) -> AppError {
    use cjm_events::{Limit, ReadErrorKind as K};
    let place = e.line.map(|l| format!(":{l}")).unwrap_or_default();
    let hint = match &e.kind {
        K::UnknownFormat => format!("; upload a file named {}", extensions_list()),
        K::Limit(Limit::Inflated) => "; ask the administrator to raise the server's `--max-inflated`".to_string(),
        K::MissingColumn(role) | K::UnknownColumn { role: Some(role), .. } => {
            format!("; choose it in the {} column field", role.describe())
        }
        _ => String::new(),
    };
    let message = format!("{shown_name}{place}: {}{hint}", e.message);
    match e.kind {
        // A column the form named is not in the log: refused, not saved.
        K::UnknownColumn { .. } => AppError::Unprocessable(message),
        _ => AppError::bad(message),
    }
}

/// What the evidence page shows about a log.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct LogSummary {
    pub events: u64,
    pub customers: u64,
    pub touchpoints: u64,
    pub channels: u64,
    pub bad_rows: u64,
    /// What to change on the evidence page for the problems found.
    pub hints: Vec<String>,
    /// Events the lifecycle choice left out (start events when the log has
    /// start/complete pairs).
    pub lifecycle_skipped: u64,
    /// The first problems, as `line N: message`.
    pub problems: Vec<String>,
    /// Every column in the file, and the ones read for each role.
    pub columns: Vec<String>,
    pub detected: ColumnMapping,
}

/// How many distinct ids (of a dictionary of `n`) a column holds.
pub(crate) fn distinct(ids: &[u32], n: usize) -> u64 {
    let mut seen = vec![false; n];
    ids.iter().filter(|&&i| i != cjm_events::NONE && !std::mem::replace(&mut seen[i as usize], true)).count() as u64
}

pub(crate) fn summarize(log: &EventLog) -> LogSummary {
    let cols = log.columns.clone().unwrap_or_default();
    // Counted from the events: a reader may have seen a customer (or a
    // channel) only on rows it then left out.
    LogSummary {
        events: log.len() as u64,
        customers: distinct(&log.case, log.cases.len()),
        touchpoints: distinct(&log.activity, log.activities.len()),
        channels: distinct(&log.channel, log.channels.len()),
        bad_rows: log.stats.bad_rows,
        hints: hints(log),
        lifecycle_skipped: log.stats.lifecycle_skipped,
        problems: log.stats.problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
        detected: ColumnMapping {
            case: Some(cols.case.clone()).filter(|s| !s.is_empty()),
            time: Some(cols.time.clone()).filter(|s| !s.is_empty()),
            activity: Some(cols.activity.clone()).filter(|s| !s.is_empty()),
            channel: cols.channel.clone(),
            score: cols.score.clone(),
            ..ColumnMapping::default()
        },
        columns: cols.all,
    }
}

/// The bad rows' kinds, as what to change on the evidence page (the CLI
/// words the same kinds as its flags).
fn hints(log: &EventLog) -> Vec<String> {
    use cjm_events::ProblemKind as P;
    let mut out: Vec<String> = Vec::new();
    for p in &log.stats.problems {
        let hint = match p.kind {
            P::NotUtf8 => "Some rows are not UTF-8: choose Latin-1 as the encoding below and read again.",
            P::BadTime => "Some times do not read: check that the timestamp column is the right one.",
            _ => continue,
        };
        if !out.iter().any(|h| h == hint) {
            out.push(hint.to_string());
        }
    }
    out
}

/// A map version measured against a log.
pub(crate) struct Measured {
    pub measurement: Measurement,
    pub figures: Arc<cjm_render::Measures>,
}

/// Logs read and maps measured, kept while the server runs: reading a log
/// is the slow part, and the same few are asked for again and again. A log
/// that does not read is remembered too, so a bad upload costs one read,
/// not one per view. Both are bounded in bytes; identical concurrent reads
/// share one.
pub(crate) struct Cache {
    logs: Bounded<(i64, String), Result<Arc<EventLog>, Unread>>,
    measured: Bounded<(i64, String, i64), Measured>,
    previews: Bounded<(i64, String), Result<LogPreview, AppError>>,
    /// What each log read holds, counted once: (log, mapping).
    summaries: Bounded<(i64, String), LogSummary>,
    /// Versions measured on one variant's customers: (log, mapping, version, variant).
    on_variant: Bounded<(i64, String, i64, String), Measured>,
    /// Logs on Spark, described once: their columns and overview.
    pub(crate) described: Bounded<i64, crate::service::spark::Described>,
    /// The most bytes a compressed log may inflate to (`Config::max_inflated`).
    max_inflated: u64,
}

impl Cache {
    /// Logs and measurements holding at most `logs` and `measured` bytes;
    /// compressed logs inflate to at most `max_inflated` bytes.
    pub(crate) fn new(logs: usize, measured: usize, max_inflated: u64) -> Self {
        Cache {
            logs: Bounded::new(logs),
            measured: Bounded::new(measured),
            previews: Bounded::new(PREVIEW_CACHE),
            on_variant: Bounded::new(measured / 4),
            summaries: Bounded::new(4 << 20),
            described: Bounded::new(8 << 20),
            max_inflated,
        }
    }
}

/// The bytes of previews kept (each at most 1,000 columns of 10 rows of
/// 200 characters; most are a few kB).
const PREVIEW_CACHE: usize = 16 << 20;

/// What a log holds in memory: its columns and its dictionaries.
fn log_bytes(log: &EventLog) -> usize {
    let dict = cjm_events::Dict::heap_bytes;
    let per_row = 4 + 8 + 4 + 4 + 8;
    log.len() * per_row
        + dict(&log.cases)
        + dict(&log.activities)
        + dict(&log.channels)
        + log.attrs.iter().chain(&log.case_attrs).map(cjm_events::AttrColumn::heap_bytes).sum::<usize>()
        + 4096
}

impl Cache {
    /// Forgets log `id` (its record was deleted; SQLite may give the id again).
    pub(crate) fn forget(&self, id: i64) {
        self.logs.forget(|k| k.0 == id);
        self.measured.forget(|k| k.0 == id);
        self.previews.forget(|k| k.0 == id);
        self.on_variant.forget(|k| k.0 == id);
        self.summaries.forget(|k| k.0 == id);
        self.described.forget(|k| *k == id);
    }

    /// [`summarize`] of log `ev` as read, counted once (on the blocking
    /// pool: the distinct customers are a pass over every event).
    pub(crate) async fn summary(&self, ev: &Evidence, log: Arc<EventLog>) -> AppResult<Arc<LogSummary>> {
        let key = (ev.id, mapping_key(&ev.mapping));
        self.summaries
            .get_or_make(key, move || {
                let s = summarize(&log);
                let bytes =
                    s.problems.iter().chain(&s.hints).chain(&s.columns).map(|t| t.len() + 24).sum::<usize>() + 512;
                Ok((s, bytes))
            })
            .await
    }

    /// The preview of evidence `id` with `mapping` (its encoding and names),
    /// from memory or read on the blocking pool; a file that does not
    /// preview is remembered as such.
    pub(crate) async fn preview(
        &self,
        id: i64,
        path: PathBuf,
        shown: String,
        mapping: ColumnMapping,
    ) -> AppResult<Arc<LogPreview>> {
        let max_inflated = self.max_inflated;
        let key = (id, mapping_key(&mapping));
        let made = self
            .previews
            .get_or_make(key, move || {
                let p = preview(&path, &shown, &mapping, max_inflated);
                let bytes = p.as_ref().map_or(1024, |p| {
                    p.columns.iter().chain(p.rows.iter().flatten()).map(|c| c.len() + 24).sum::<usize>() + 1024
                });
                Ok((p, bytes))
            })
            .await?;
        (*made).clone().map(Arc::new)
    }

    /// The log of evidence `id` read with `mapping`, from memory or disk
    /// (on the blocking pool).
    pub(crate) async fn log(
        &self,
        id: i64,
        path: PathBuf,
        shown: String,
        mapping: ColumnMapping,
    ) -> AppResult<Arc<EventLog>> {
        self.log_or_unread(id, path, shown, mapping).await?.map_err(|u| u.error)
    }

    /// [`Cache::log`], telling a log that does not read (and whether
    /// other settings may read it) from a failure of the server's own.
    pub(crate) async fn log_or_unread(
        &self,
        id: i64,
        path: PathBuf,
        shown: String,
        mapping: ColumnMapping,
    ) -> AppResult<Result<Arc<EventLog>, Unread>> {
        let max_inflated = self.max_inflated;
        let key = (id, mapping_key(&mapping));
        let read = self
            .logs
            .get_or_make(key, move || {
                let read = read(&path, &shown, &mapping, max_inflated).map(Arc::new);
                let bytes = read.as_ref().map_or(1024, |log| log_bytes(log));
                Ok((read, bytes))
            })
            .await?;
        Ok((*read).clone())
    }

    /// Version `version_id` (with `source`) measured against the log of
    /// evidence `ev`.
    pub(crate) async fn measure(
        &self,
        state: &AppState,
        ev: &Evidence,
        version_id: i64,
        source: String,
    ) -> AppResult<Arc<Measured>> {
        let key = (ev.id, mapping_key(&ev.mapping), version_id);
        if let Some(hit) = self.measured.get(&key) {
            return Ok(hit);
        }
        if ev.on_spark {
            // On the cluster: one job per permit, kept by version as here.
            let at = crate::service::spark::Where::of(ev)?;
            let _permit = state.answers.permit().await?;
            let st = state.clone();
            return self
                .measured
                .get_or_make(key, move || {
                    let map = &st.checked(version_id, &source).journey;
                    let m = crate::service::spark::measure(&st.config, &at, map, None)?;
                    let bytes = measured_bytes(&m.measurement);
                    Ok((m, bytes))
                })
                .await;
        }
        let path = file_of(&state.config, ev)?;
        let log = self.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await?;
        let (st, shown) = (state.clone(), ev.file_name.clone());
        self.measured.get_or_make(key, move || Ok(measured_now(&st, version_id, &source, &log, &shown))).await
    }
}

/// Version `version_id` (with `source`) measured against `log` (named
/// `shown`), with its accounted size: what the measurement caches keep.
fn measured_now(state: &AppState, version_id: i64, source: &str, log: &EventLog, shown: &str) -> (Measured, usize) {
    let map = &state.checked(version_id, source).journey;
    let measurement = cjm_mine::measure::measure(map, log);
    let figures = Arc::new(measurement.figures(shown));
    let bytes = measured_bytes(&measurement);
    (Measured { measurement, figures }, bytes)
}

/// What a measurement holds, roughly, in bytes (its JSON twice over).
fn measured_bytes(m: &Measurement) -> usize {
    serde_json::to_vec(m).map_or(4096, |v| v.len() * 2)
}

/// The longest variant a map is measured on.
pub(crate) const MAX_VARIANT_BYTES: usize = 8 * 1024;

/// The head version of `map` measured on the customers whose journey is
/// exactly `variant` (touchpoints joined by ` → `, as the variants page
/// writes it): kept by log, mapping, version and variant; one computation
/// per core at most. `None` when the map has no log that reads.
pub(crate) async fn measured_on_variant(
    state: &AppState,
    map: &MapInfo,
    variant: &str,
) -> AppResult<Option<Arc<Measured>>> {
    let Some(eid) = map.evidence_id else { return Ok(None) };
    if variant.len() > MAX_VARIANT_BYTES {
        return Err(AppError::bad(format!("the variant is longer than {MAX_VARIANT_BYTES} bytes")));
    }
    let (id, n) = (map.id, map.head);
    let (ev, v) =
        state.db.read(move |c| Ok::<_, AppError>((store::evidence(c, eid)?.0, store::version(c, id, n)?))).await?;
    let key = (ev.id, mapping_key(&ev.mapping), v.id, variant.to_string());
    if let Some(hit) = state.evidence.on_variant.get(&key) {
        return Ok(Some(hit));
    }
    let seq: Vec<String> = variant.split(" → ").map(str::to_string).collect();
    if ev.on_spark {
        // On the cluster: the measure plan narrowed to the variant's customers.
        let at = crate::service::spark::Where::of(&ev)?;
        let _permit = state.answers.permit().await?;
        let (st, source, version_id) = (state.clone(), v.source.clone().unwrap_or_default(), v.id);
        let made = state
            .evidence
            .on_variant
            .get_or_make(key, move || {
                let map = &st.checked(version_id, &source).journey;
                let m = crate::service::spark::measure(&st.config, &at, map, Some(&seq))?;
                let bytes = measured_bytes(&m.measurement);
                Ok((m, bytes))
            })
            .await?;
        return Ok(Some(made));
    }
    let log = match read_log(state, &ev).await {
        Ok(log) => log,
        Err(AppError::BadRequest(_) | AppError::Unprocessable(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let _permit = state.answers.permit().await?;
    let (st, shown, source, version_id) =
        (state.clone(), ev.file_name.clone(), v.source.clone().unwrap_or_default(), v.id);
    let made = state
        .evidence
        .on_variant
        .get_or_make(key, move || {
            let only = cjm_mine::analysis::customers_taking(&log, &seq);
            Ok(measured_now(&st, version_id, &source, &only, &shown))
        })
        .await?;
    Ok(Some(made))
}

/// A mapping as a cache key (reading with another mapping is another log).
fn mapping_key(mapping: &ColumnMapping) -> String {
    serde_json::to_string(mapping).unwrap_or_default()
}

/// The draft map a log suggests (`cjm discover`), checked to read back.
pub(crate) fn discover(log: &EventLog, shown: &str) -> AppResult<String> {
    if log.is_empty() {
        return Err(AppError::bad(format!("{shown}: the log holds no events")));
    }
    let stem = shown.split('.').next().unwrap_or(shown);
    let text = cjm_mine::discover::discover(
        log,
        &cjm_mine::discover::DiscoverOptions {
            title: format!("Journeys in {stem}"),
            source: shown.to_string(),
            max_steps: 12,
        },
    );
    if cjm_model::check(&text).has_errors() {
        return Err(AppError::Internal(format!("the draft from {shown} does not read back")));
    }
    Ok(text)
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct EvidenceState {
    pub evidence: Option<store::Evidence>,
    /// Every log of the workspace, newest first, with how many maps use
    /// each: another can be attached (or the previous one re-attached).
    pub logs: Vec<store::LogEntry>,
    /// The log as read with the mapping (absent when reading failed).
    pub summary: Option<LogSummary>,
    /// Why the log could not be read with the mapping, and what to change.
    pub error: Option<String>,
    /// The attached log's first rows and the column read for each role
    /// (absent when the file is not even its format).
    pub preview: Option<LogPreview>,
    /// An upload kept in the workspace but not attached: the map had a log
    /// and this one needs its columns chosen (`GET /m/{id}/evidence?log=…`).
    pub pending: Option<i64>,
}

pub(crate) async fn evidence_state(state: &AppState, map: &MapInfo) -> AppResult<EvidenceState> {
    let ws = map.workspace_id;
    let logs = state.db.read(move |c| store::workspace_logs(c, ws)).await?;
    let Some(eid) = map.evidence_id else {
        return Ok(EvidenceState { evidence: None, logs, summary: None, error: None, preview: None, pending: None });
    };
    let (ev, _) = state.db.read(move |c| store::evidence(c, eid)).await?;
    if ev.on_spark {
        let described = crate::service::spark::described(state, &ev).await;
        return spark_state(ev, logs, described);
    }
    let (summary, error) = match read_log(state, &ev).await {
        Ok(log) => (Some((*state.evidence.summary(&ev, log).await?).clone()), None),
        Err(AppError::BadRequest(m) | AppError::Unprocessable(m)) => (None, Some(m)),
        Err(e) => return Err(e),
    };
    let preview = preview_of(state, &ev, &ev.mapping).await?;
    Ok(EvidenceState { evidence: Some(ev), logs, summary, error, preview, pending: None })
}

/// The evidence state of a log on Spark as `described` left it: its
/// figures, or why the cluster gave none.
pub(crate) fn spark_state(
    ev: Evidence,
    logs: Vec<store::LogEntry>,
    described: AppResult<Arc<crate::service::spark::Described>>,
) -> AppResult<EvidenceState> {
    let (summary, error) = match described {
        Ok(d) => (Some(spark_summary(&d)), None),
        Err(AppError::BadRequest(m) | AppError::Unprocessable(m) | AppError::Unavailable(m)) => (None, Some(m)),
        Err(e) => return Err(e),
    };
    Ok(EvidenceState { evidence: Some(ev), logs, summary, error, preview: None, pending: None })
}

/// What the evidence page shows of a log on Spark: its figures and
/// columns, and for a log not in the canonical layout (which has no bad
/// rows left, and fixed roles) the read's counts and the roles' columns.
fn spark_summary(d: &crate::service::spark::Described) -> LogSummary {
    let o = &d.overview;
    let (detected, read) = match &d.foreign {
        Some((roles, read)) => (
            ColumnMapping {
                case: Some(roles.case.clone()),
                time: Some(roles.time.clone()),
                activity: Some(roles.activity.clone()),
                channel: roles.channel.clone(),
                score: roles.score.clone(),
                ..ColumnMapping::default()
            },
            read.clone(),
        ),
        None => (ColumnMapping::default(), cjm_events::ReadStats::default()),
    };
    LogSummary {
        events: o.events,
        customers: o.customers,
        touchpoints: o.touchpoints.len() as u64,
        channels: o.channels.len() as u64,
        bad_rows: read.bad_rows,
        hints: Vec::new(),
        lifecycle_skipped: read.lifecycle_skipped,
        problems: read.problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
        columns: d.columns.clone(),
        detected,
    }
}

/// The map's log as read with its mapping; a map with none is told to get one.
pub(crate) async fn map_log(state: &AppState, map: &MapInfo) -> AppResult<(Evidence, Arc<EventLog>)> {
    let eid =
        map.evidence_id.ok_or_else(|| AppError::bad("this map has no evidence; upload a log on the evidence page"))?;
    let (ev, _) = state.db.read(move |c| store::evidence(c, eid)).await?;
    let log = read_log(state, &ev).await?;
    Ok((ev, log))
}

/// A stored log read with its mapping (from the cache).
async fn read_log(state: &AppState, ev: &Evidence) -> AppResult<Arc<EventLog>> {
    let path = file_of(&state.config, ev)?;
    state.evidence.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await
}

/// A stored log's preview with `mapping`; `None` when the file is not its
/// format at all (the read error says why).
pub(crate) async fn preview_of(
    state: &AppState,
    ev: &Evidence,
    mapping: &ColumnMapping,
) -> AppResult<Option<LogPreview>> {
    let path = file_of(&state.config, ev)?;
    match state.evidence.preview(ev.id, path, ev.file_name.clone(), mapping.clone()).await {
        Ok(p) => Ok(Some((*p).clone())),
        Err(AppError::BadRequest(_) | AppError::Unprocessable(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A log of workspace `ws` to choose the columns of, with how it reads
/// now: the record, its preview, and why it does not read (if it does not).
pub(crate) async fn log_to_map(
    state: &AppState,
    ws: i64,
    id: i64,
) -> AppResult<(Evidence, Option<LogPreview>, Option<String>)> {
    let (ev, owner) = state.db.read(move |c| store::evidence(c, id)).await?;
    if owner != ws {
        return Err(AppError::NotFound);
    }
    let error = match read_log(state, &ev).await {
        Ok(_) => None,
        Err(AppError::BadRequest(m) | AppError::Unprocessable(m)) => Some(m),
        Err(e) => return Err(e),
    };
    let preview = preview_of(state, &ev, &ev.mapping).await?;
    Ok((ev, preview, error))
}

/// The head version measured against the map's evidence.
pub(crate) async fn measured(
    state: &AppState,
    map: &MapInfo,
    version: Option<i64>,
) -> AppResult<Option<Arc<Measured>>> {
    let Some(eid) = map.evidence_id else { return Ok(None) };
    let (id, n) = (map.id, version.unwrap_or(map.head));
    let (ev, v) =
        state.db.read(move |c| Ok::<_, AppError>((store::evidence(c, eid)?.0, store::version(c, id, n)?))).await?;
    measured_for(state, ev, &v).await
}

/// A version measured against a log: from the cache, or read and measured
/// on the blocking pool. `None` when the log does not read with its mapping.
pub(crate) async fn measured_for(
    state: &AppState,
    ev: store::Evidence,
    v: &store::Version,
) -> AppResult<Option<Arc<Measured>>> {
    let on_spark = ev.on_spark;
    let out = state.evidence.measure(state, &ev, v.id, v.source.clone().unwrap_or_default()).await;
    match out {
        Ok(m) => Ok(Some(m)),
        // A cluster that does not answer: the map without figures (the
        // evidence page says why); the next view tries again.
        Err(AppError::Unavailable(_)) if on_spark => Ok(None),
        // A log that does not read with its mapping: the page shows the map without figures.
        Err(AppError::BadRequest(_) | AppError::Unprocessable(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Keeps an uploaded log (`bytes`, named `file_name` by the browser) in
/// the workspace and attaches it to the map. A column the form named must
/// be in the log: otherwise the file and its record are dropped, the map
/// keeps the log it had, and the answer is `422`.
pub(crate) async fn upload(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    file_name: String,
    bytes: Vec<u8>,
    mapping: ColumnMapping,
) -> AppResult<EvidenceState> {
    if bytes.is_empty() {
        return Err(AppError::bad(format!("`{file_name}` is empty")));
    }
    let dir = state.config.data_dir.join("evidence");
    let size = bytes.len() as i64;
    let fname = file_name.clone();
    let stored = tokio::task::spawn_blocking(move || store_upload(&dir, &fname, &bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let (ws, uid) = (map.workspace_id, user.id);
    let (name, stored_as, m) = (file_name.clone(), stored.clone(), mapping.clone());
    let eid = state.db.write(move |tx| store::insert_evidence(tx, ws, &name, &stored_as, size, &m, uid)).await?;
    let path = path_of(&state.config.data_dir, &stored);
    adopt(state, map, eid, path, file_name, mapping, New::Upload).await
}

/// Where a log being adopted came from, for what a refusal undoes.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum New {
    /// An upload: a refusal drops its record and its file.
    Upload,
    /// A file of the server's folder first attached: a refusal drops the
    /// record, never the administrator's file.
    Folder,
    /// A log the workspace had (a folder file attached again): a refusal
    /// leaves it as it was.
    Known,
}

/// Attaches log `eid` (just recorded) to `map` once it reads. A log whose
/// columns need choosing (or another encoding) is kept when its first rows
/// show: a map with no log takes it, and the page offers the column
/// pickers; a map with a log keeps the one it has and the new one waits,
/// unattached, for its columns. A file that is damaged, too big or not its
/// format is refused.
pub(crate) async fn adopt(
    state: &AppState,
    map: &MapInfo,
    eid: i64,
    path: PathBuf,
    file_name: String,
    mapping: ColumnMapping,
    new: New,
) -> AppResult<EvidenceState> {
    if let Err(Unread { error: e, settings }) =
        state.evidence.log_or_unread(eid, path.clone(), file_name.clone(), mapping.clone()).await?
    {
        let previews = settings
            && state
                .evidence
                .preview(eid, path.clone(), file_name, mapping)
                .await
                .is_ok_and(|p| !p.columns.is_empty() && !p.rows.is_empty());
        if previews && map.evidence_id.is_some() {
            let id = map.id;
            let map = state.db.read(move |c| store::map(c, id)).await?;
            let mut out = evidence_state(state, &map).await?;
            out.pending = Some(eid);
            out.error = Some(match e {
                AppError::BadRequest(m) => format!("{m}. The map keeps the log it had until the columns are chosen."),
                other => other.to_string(),
            });
            return Ok(out);
        }
        if !previews {
            if new != New::Known {
                state.db.write(move |tx| store::delete_evidence(tx, eid)).await?;
                if new == New::Upload {
                    let _ = tokio::fs::remove_file(&path).await;
                }
                forget(state, eid);
            }
            return Err(match (e, map.evidence_id) {
                (AppError::BadRequest(m), Some(_)) => AppError::bad(format!("{m}. The map keeps the log it had.")),
                (e, _) => e,
            });
        }
    }
    let id = map.id;
    state.db.write(move |tx| store::attach_evidence(tx, id, Some(eid))).await?;
    let map = state.db.read(move |c| store::map(c, id)).await?;
    evidence_state(state, &map).await
}

/// Forgets everything kept of log `eid`: read, measured, answered, listed.
pub(crate) fn forget(state: &AppState, eid: i64) {
    state.evidence.forget(eid);
    state.answers.forget(eid);
    state.values.forget(|k| k.0 == eid);
}

/// Attaches a log of the workspace (`None` detaches) and, with `mapping`,
/// changes its column mapping: the columns named must be in the log
/// before the mapping is saved.
pub(crate) async fn attach(
    state: &AppState,
    map: &MapInfo,
    evidence_id: Option<i64>,
    mapping: Option<ColumnMapping>,
) -> AppResult<EvidenceState> {
    let ws = map.workspace_id;
    if let Some(eid) = evidence_id {
        let (ev, owner_ws) = state.db.read(move |c| store::evidence(c, eid)).await?;
        if owner_ws != ws {
            return Err(AppError::NotFound);
        }
        let path = file_of(&state.config, &ev)?;
        // A log that does not read (with the mapping given, or its own) is
        // refused: the mapping is not saved and the map keeps its log.
        let with = mapping.clone().unwrap_or_else(|| ev.mapping.clone());
        if let Err(e) = state.evidence.log(eid, path, ev.file_name.clone(), with).await {
            return Err(match e {
                AppError::BadRequest(m) if mapping.is_none() => AppError::bad(format!(
                    "{m}. Choose its columns first (Columns… beside it in the workspace's logs)."
                )),
                e => e,
            });
        }
    }
    let id = map.id;
    state
        .db
        .write(move |tx| {
            if let Some(eid) = evidence_id {
                if store::evidence(tx, eid)?.1 != ws {
                    return Err(AppError::NotFound);
                }
                if let Some(m) = &mapping {
                    store::set_mapping(tx, eid, m)?;
                }
            }
            store::attach_evidence(tx, id, evidence_id)
        })
        .await?;
    let map = state.db.read(move |c| store::map(c, id)).await?;
    evidence_state(state, &map).await
}

/// A draft map discovered from the map's evidence (`cjm discover`).
pub(crate) async fn draft(state: &AppState, map: &MapInfo) -> AppResult<String> {
    let (ev, log) = map_log(state, map).await?;
    tokio::task::spawn_blocking(move || discover(&log, &ev.file_name))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Removes log `id` of workspace `ws` with its file: only a log no map
/// uses (detach it first), so no map loses its evidence by surprise.
pub(crate) async fn remove(state: &AppState, ws: i64, id: i64) -> AppResult<()> {
    let ev = state
        .db
        .write(move |tx| {
            let (ev, owner) = store::evidence(tx, id)?;
            if owner != ws {
                return Err(AppError::NotFound);
            }
            let used: i64 = tx.query_row("SELECT COUNT(*) FROM maps WHERE evidence_id = ?1", [id], |r| r.get(0))?;
            if used > 0 {
                return Err(AppError::Conflict(format!(
                    "{} is attached to {used} map{}; attach another log to {} first",
                    ev.file_name,
                    if used == 1 { "" } else { "s" },
                    if used == 1 { "it" } else { "them" }
                )));
            }
            store::delete_evidence(tx, id)?;
            Ok(ev)
        })
        .await?;
    // The record is gone (committed) before the file: a crash between the
    // two leaves an unreferenced file, never a record without its file.
    // A file of the server's folder is the administrator's: only its record goes.
    if !ev.in_folder && !ev.on_spark {
        let _ = tokio::fs::remove_file(path_of(&state.config.data_dir, &ev.stored_as)).await;
    }
    forget(state, id);
    Ok(())
}
