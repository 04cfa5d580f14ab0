//! Evidence in the web app: uploaded event logs, their column mapping, and
//! maps measured against them (by `cjm-mine`), with the draft map the log
//! suggests.
//!
//! Uploads are written to a temporary file in the data directory and renamed
//! into place, so a log on disk is always whole.

use crate::cache::Bounded;
use crate::error::{AppError, AppResult};
use crate::store::{ColumnMapping, Evidence};
use crate::AppState;
use cjm_events::{ColumnMap, EventLog, Format, ReadOptions};
use cjm_mine::measure::Measurement;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File types the upload form takes, by extension.
pub fn format_of(name: &str) -> AppResult<Format> {
    Format::from_path(Path::new(&name.to_lowercase())).ok_or_else(|| {
        AppError::bad(format!(
            "`{name}`: cannot tell the format from the file name; upload a .csv, .tsv, .jsonl, .parquet, .xes or .xes.gz file"
        ))
    })
}

/// Writes the upload to `dir` under a fresh name; returns that name.
pub fn store_upload(dir: &Path, file_name: &str, bytes: &[u8]) -> AppResult<String> {
    let lower = file_name.to_lowercase();
    let ext = [
        ".xes.gz",
        ".csv.gz",
        ".jsonl.gz",
        ".csv",
        ".tsv",
        ".txt",
        ".jsonl",
        ".ndjson",
        ".json",
        ".parquet",
        ".pq",
        ".xes",
    ]
    .iter()
    .find(|e| lower.ends_with(*e))
    .copied()
    .unwrap_or(".log");
    let stored = format!("{}{ext}", crate::auth::random_token(12));
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

pub fn path_of(data_dir: &Path, stored_as: &str) -> PathBuf {
    data_dir.join("evidence").join(stored_as)
}

/// Reads a stored log with a mapping. The error is the reader's, which
/// names the line and the column to choose; the file name shown is the one
/// the user uploaded.
pub fn read(path: &Path, shown_name: &str, mapping: &ColumnMapping, max_inflated: u64) -> AppResult<EventLog> {
    let opts = ReadOptions {
        format: Format::from_path(Path::new(&shown_name.to_lowercase())),
        columns: ColumnMap {
            case: mapping.case.clone().filter(|s| !s.is_empty()),
            time: mapping.time.clone().filter(|s| !s.is_empty()),
            activity: mapping.activity.clone().filter(|s| !s.is_empty()),
            channel: mapping.channel.clone().filter(|s| !s.is_empty()),
            score: mapping.score.clone().filter(|s| !s.is_empty()),
            attrs: Vec::new(),
        },
        max_inflated: Some(max_inflated),
        ..ReadOptions::default()
    };
    cjm_events::read_path(path, &opts).map_err(|e| {
        let place = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        let message =
            format!("{shown_name}{place}: {}", e.message.replace("--", "the column field ").replace(" COLUMN", ""));
        match e.kind {
            // A column the form named is not in the log: refused, not saved.
            cjm_events::ReadErrorKind::UnknownColumn => AppError::Unprocessable(message),
            _ => AppError::bad(message),
        }
    })
}

/// What the evidence page shows about a log.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct LogSummary {
    pub events: u64,
    pub customers: u64,
    pub touchpoints: u64,
    pub channels: u64,
    pub bad_rows: u64,
    /// The first problems, as `line N: message`.
    pub problems: Vec<String>,
    /// Every column in the file, and the ones read for each role.
    pub columns: Vec<String>,
    pub detected: ColumnMapping,
}

pub fn summarize(log: &EventLog) -> LogSummary {
    let cols = log.columns.clone().unwrap_or_default();
    LogSummary {
        events: log.len() as u64,
        customers: log.cases.len() as u64,
        touchpoints: log.activities.len() as u64,
        channels: log.channels.len() as u64,
        bad_rows: log.stats.bad_rows,
        problems: log.stats.problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
        detected: ColumnMapping {
            case: Some(cols.case.clone()).filter(|s| !s.is_empty()),
            time: Some(cols.time.clone()).filter(|s| !s.is_empty()),
            activity: Some(cols.activity.clone()).filter(|s| !s.is_empty()),
            channel: cols.channel.clone(),
            score: cols.score.clone(),
        },
        columns: cols.all,
    }
}

/// The renderer's view of a measurement.
pub fn to_render_measures(m: &Measurement, source: &str) -> cjm_render::Measures {
    let mut out =
        cjm_render::Measures { customers: m.customers, source: Some(source.to_string()), steps: Default::default() };
    for s in m.steps.iter().filter(|s| s.rule.is_some() && s.rule_error.is_none()) {
        out.steps.insert(
            s.id.clone(),
            cjm_render::StepFigures {
                reached: s.reached,
                share_of_previous: s.share_of_previous,
                drop_off: s.drop_off,
                median_seconds_since_previous: s.median_seconds_since_previous,
                mean_score: s.mean_score,
            },
        );
    }
    out
}

/// A map version measured against a log.
pub struct Measured {
    pub measurement: Measurement,
    pub figures: Arc<cjm_render::Measures>,
}

/// Logs read and maps measured, kept while the server runs: reading a log
/// is the slow part, and the same few are asked for again and again. A log
/// that does not read is remembered too, so a bad upload costs one read,
/// not one per view. Both are bounded in bytes; identical concurrent reads
/// share one.
pub struct Cache {
    logs: Bounded<(i64, String), Result<Arc<EventLog>, AppError>>,
    measured: Bounded<(i64, String, i64), Measured>,
    /// The most bytes a compressed log may inflate to (`Config::max_inflated`).
    max_inflated: u64,
}

impl Cache {
    /// Logs and measurements holding at most `logs` and `measured` bytes;
    /// compressed logs inflate to at most `max_inflated` bytes.
    pub fn new(logs: usize, measured: usize, max_inflated: u64) -> Self {
        Cache { logs: Bounded::new(logs), measured: Bounded::new(measured), max_inflated }
    }
}

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
    /// The log of evidence `id` read with `mapping`, from memory or disk
    /// (on the blocking pool).
    pub async fn log(&self, id: i64, path: PathBuf, shown: String, mapping: ColumnMapping) -> AppResult<Arc<EventLog>> {
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
        (*read).clone()
    }

    /// The measurement if it was made before (no reading, no waiting).
    pub fn cached(&self, id: i64, mapping: &ColumnMapping, version_id: i64) -> Option<Arc<Measured>> {
        self.measured.get(&(id, mapping_key(mapping), version_id))
    }

    /// Version `version_id` (with `source`) measured against the log of
    /// evidence `ev`.
    pub async fn measure(
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
        let path = path_of(&state.config.data_dir, &ev.stored_as);
        let log = self.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await?;
        let (st, shown) = (state.clone(), ev.file_name.clone());
        self.measured
            .get_or_make(key, move || {
                let map = &st.checked(version_id, &source).journey;
                let measurement = cjm_mine::measure::measure(map, &log);
                let figures = Arc::new(to_render_measures(&measurement, &shown));
                let bytes = serde_json::to_vec(&measurement).map_or(4096, |v| v.len() * 2);
                Ok((Measured { measurement, figures }, bytes))
            })
            .await
    }
}

/// A mapping as a cache key (reading with another mapping is another log).
fn mapping_key(mapping: &ColumnMapping) -> String {
    serde_json::to_string(mapping).unwrap_or_default()
}

/// The draft map a log suggests (`cjm discover`), checked to read back.
pub fn discover(log: &EventLog, shown: &str) -> AppResult<String> {
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
