//! The event-log flags every evidence command shares (`mine`, `measure`,
//! `discover`, `render --events`), reading a log with them, and telling
//! people what the read found. The readers' errors are data; the flags
//! that fix them are named here.

use crate::CliError;
use cjm_events::{ColumnMap, Encoding, EventLog, Format, Lifecycle, ReadOptions, TimeFormat};
use std::sync::OnceLock;

/// How to read a log.
#[derive(clap::Args, Clone)]
pub(crate) struct LogArgs {
    /// Column with the customer (case) id [detected: case:concept:name, customer_id, case_id…]
    #[arg(long, value_name = "COLUMN")]
    pub case: Option<String>,
    /// Column with the timestamp [detected: time:timestamp, timestamp, time…]
    #[arg(long, value_name = "COLUMN")]
    pub time: Option<String>,
    /// Column with the touchpoint (activity) [detected: concept:name, activity, touchpoint, event…]
    #[arg(long, value_name = "COLUMN")]
    pub activity: Option<String>,
    /// Column with the channel [detected: channel, case:channel…]
    #[arg(long, value_name = "COLUMN")]
    pub channel: Option<String>,
    /// Column with a rating or score [detected: score, rating…]
    #[arg(long, value_name = "COLUMN")]
    pub score: Option<String>,
    /// Keep only these other columns as attributes (repeatable; default: all)
    #[arg(long = "attr", value_name = "COLUMN")]
    pub attrs: Vec<String>,
    /// The log's format, when the file name does not tell
    #[arg(long = "input-format", value_name = "FORMAT", value_parser = format_parser())]
    pub input_format: Option<Format>,
    /// strftime layout of the timestamps, e.g. "%d.%m.%Y %H:%M"
    #[arg(long, value_name = "LAYOUT")]
    pub time_format: Option<String>,
    /// Offset of timestamps without one, e.g. +02:00 (default UTC)
    #[arg(long, value_name = "OFFSET")]
    pub tz: Option<String>,
    /// Text encoding of a CSV [default: utf8]
    #[arg(long, value_enum)]
    pub encoding: Option<Enc>,
    /// Which lifecycle events to keep (auto: complete events when the log has start/complete pairs) [default: auto]
    #[arg(long, value_enum)]
    pub lifecycle: Option<Life>,
    /// Stop at the first bad row instead of counting it
    #[arg(long)]
    pub strict: bool,
    /// The most a compressed log may inflate to, in MiB (a guard against gzip bombs) [default: 16384]
    #[arg(long, value_name = "MIB")]
    pub max_inflated: Option<u64>,
}

/// `--input-format`'s values: the readers' table of formats.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::NAMES)
        .map(|name: String| Format::from_name(&name).expect("a possible value is a format's name"))
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Enc {
    Utf8,
    Latin1,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Life {
    Auto,
    All,
    Start,
    Complete,
}

static BAR: OnceLock<indicatif::ProgressBar> = OnceLock::new();

fn progress(done: u64, total: u64) {
    let bar = BAR.get_or_init(|| {
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("reading {bar:30} {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        // Only logs that take over a second to read show the bar.
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        bar
    });
    bar.set_position(done);
    if done >= total {
        bar.finish_and_clear();
    }
}

/// The name of the first flag marked as given.
pub(crate) fn first_set<const N: usize>(flags: [(bool, &'static str); N]) -> Option<&'static str> {
    flags.into_iter().find_map(|(given, flag)| given.then_some(flag))
}

impl LogArgs {
    /// The first of these flags given, for commands that read a log some
    /// other way (in the canonical layout, on Spark).
    #[cfg(feature = "spark")]
    pub(crate) fn first_given(&self) -> Option<&'static str> {
        first_set([
            (self.case.is_some(), "--case"),
            (self.time.is_some(), "--time"),
            (self.activity.is_some(), "--activity"),
            (self.channel.is_some(), "--channel"),
            (self.score.is_some(), "--score"),
            (!self.attrs.is_empty(), "--attr"),
            (self.input_format.is_some(), "--input-format"),
            (self.time_format.is_some(), "--time-format"),
            (self.tz.is_some(), "--tz"),
            (self.encoding.is_some(), "--encoding"),
            (self.lifecycle.is_some(), "--lifecycle"),
            (self.strict, "--strict"),
            (self.max_inflated.is_some(), "--max-inflated"),
        ])
    }

    /// These flags, with a map's `data` block filling in what they leave out.
    pub(crate) fn with_data(&self, data: Option<&cjm_model::DataSource>) -> LogArgs {
        let Some(d) = data else { return self.clone() };
        let pick = |flag: &Option<String>, block: &Option<String>| flag.clone().or_else(|| block.clone());
        LogArgs {
            case: pick(&self.case, &d.case),
            time: pick(&self.time, &d.time),
            activity: pick(&self.activity, &d.activity),
            channel: pick(&self.channel, &d.channel),
            score: pick(&self.score, &d.score),
            attrs: if self.attrs.is_empty() { d.attrs.clone() } else { self.attrs.clone() },
            input_format: self.input_format.or_else(|| d.format.as_deref().and_then(Format::from_name)),
            time_format: pick(&self.time_format, &d.time_format),
            tz: pick(&self.tz, &d.tz),
            encoding: self.encoding.or(match d.encoding.as_deref() {
                Some("latin1") => Some(Enc::Latin1),
                Some("utf8") => Some(Enc::Utf8),
                _ => None,
            }),
            lifecycle: self.lifecycle.or(match d.lifecycle.as_deref() {
                Some("all") => Some(Life::All),
                Some("start") => Some(Life::Start),
                Some("complete") => Some(Life::Complete),
                Some("auto") => Some(Life::Auto),
                _ => None,
            }),
            strict: self.strict,
            max_inflated: self.max_inflated,
        }
    }

    pub(crate) fn read(&self, path: &str) -> Result<EventLog, CliError> {
        self.read_with(path, false)
    }

    /// The offset of times that have none (`--tz`), in seconds.
    fn default_offset(&self) -> Result<i64, CliError> {
        match &self.tz {
            Some(tz) => cjm_events::time::parse_offset(tz).ok_or_else(|| {
                CliError::usage(format!("--tz `{tz}`: expected an offset such as +02:00, -0530 or UTC"))
            }),
            None => Ok(0),
        }
    }

    fn column_map(&self) -> ColumnMap {
        ColumnMap {
            case: self.case.clone(),
            time: self.time.clone(),
            activity: self.activity.clone(),
            channel: self.channel.clone(),
            score: self.score.clone(),
            attrs: self.attrs.clone(),
        }
    }

    fn lifecycle_choice(&self) -> Lifecycle {
        match self.lifecycle {
            Some(Life::All) => Lifecycle::All,
            Some(Life::Start) => Lifecycle::Start,
            Some(Life::Complete) => Lifecycle::Complete,
            _ => Lifecycle::Auto,
        }
    }

    /// The reading rules a Spark cluster applies to a log not in the
    /// canonical layout; the flags that do not apply on a cluster are
    /// refused by name.
    pub(crate) fn spark_rules(&self) -> Result<cjm_spark::foreign::Rules, CliError> {
        let refused = first_set([
            (self.input_format.is_some_and(|f| f != Format::Parquet), "--input-format"),
            (self.time_format.is_some(), "--time-format"),
            (self.encoding.is_some(), "--encoding"),
            (self.max_inflated.is_some(), "--max-inflated"),
        ]);
        if let Some(flag) = refused {
            return Err(CliError::usage(format!(
                "{flag}: with --spark the cluster reads Parquet files and tables, with their own types; \
                 read the log with `cjm export LOG {flag} … --to parquet -o OUT.parquet` first"
            )));
        }
        Ok(cjm_spark::foreign::Rules {
            columns: self.column_map(),
            offset_seconds: self.default_offset()?,
            lifecycle: self.lifecycle_choice(),
            strict: self.strict,
        })
    }

    /// [`LogArgs::read`], leaving channels unread when `skip_channel`.
    pub(crate) fn read_with(&self, path: &str, skip_channel: bool) -> Result<EventLog, CliError> {
        let default_offset = self.default_offset()?;
        let size = std::fs::metadata(path).map(|m| m.len()).ok();
        let opts = ReadOptions {
            format: self.input_format,
            columns: self.column_map(),
            time: TimeFormat { pattern: self.time_format.clone(), default_offset },
            encoding: match self.encoding {
                Some(Enc::Latin1) => Encoding::Latin1,
                _ => Encoding::Utf8,
            },
            lifecycle: self.lifecycle_choice(),
            strict: self.strict,
            // Files over 20 MB take a second or more: a progress bar.
            progress: size.is_some_and(|n| n > 20 * 1024 * 1024).then_some(progress as fn(u64, u64)),
            threads: 0,
            skip_channel,
            max_inflated: self.max_inflated.map(|mib| mib.saturating_mul(1 << 20)),
            timings: std::env::var_os("CJM_TIMINGS").is_some().then_some(print_timing as fn(&str)),
        };
        if size.is_some_and(|n| n < 64 * 1024 * 1024) {
            crate::prefer_small_pages();
        }
        let started = std::time::Instant::now();
        let log = cjm_events::read_path(std::path::Path::new(path), &opts).map_err(read_error)?;
        crate::release_freed_memory();
        if std::env::var_os("CJM_TIMINGS").is_some() {
            eprintln!(
                "timings: read {:?} ({} rows, {} customers){}",
                started.elapsed(),
                log.len(),
                log.cases.len(),
                memory()
            );
        }
        if let Some(bar) = BAR.get() {
            bar.finish_and_clear();
        }
        report_read(path, &log.stats);
        Ok(log)
    }
}

/// A log that cannot be read: a file error exits 2, a log whose contents
/// have errors exits 1; the flag that raises a limit is named here.
fn read_error(e: cjm_events::ReadError) -> CliError {
    use cjm_events::{Limit, ReadErrorKind as K};
    let hint = match &e.kind {
        K::UnknownFormat => format!("; name it with `--input-format {}`", Format::NAMES.join("|")),
        K::Limit(Limit::Inflated) => "; raise the limit with `--max-inflated MIB`".to_string(),
        K::StrictStop(kind) => {
            format!(
                " (`--strict` stops at the first bad row{})",
                problem_hint(*kind).map_or(String::new(), |h| format!("; {h}"))
            )
        }
        K::MissingColumn(role) => format!("; name it with `{} COLUMN`", role_flag(*role)),
        K::UnknownColumn { role, .. } => format!("; check `{}`", role.map_or("--attr", role_flag)),
        K::NoRows => {
            "; check the columns (`--case`, `--time`, `--activity`), `--encoding` and `--time-format`".to_string()
        }
        K::File | K::Contents | K::Limit(_) => String::new(),
    };
    if e.is_usage() {
        CliError::usage(format!("{e}{hint}"))
    } else {
        CliError::input(format!("{e}{hint}"))
    }
}

/// The flag that names the column of a role.
fn role_flag(role: cjm_events::Role) -> &'static str {
    match role {
        cjm_events::Role::Case => "--case",
        cjm_events::Role::Time => "--time",
        cjm_events::Role::Activity => "--activity",
        cjm_events::Role::Channel => "--channel",
        cjm_events::Role::Score => "--score",
    }
}

/// What to change for rows of this kind, in this command's flags.
fn problem_hint(kind: cjm_events::ProblemKind) -> Option<&'static str> {
    match kind {
        cjm_events::ProblemKind::NotUtf8 => Some("read the file with `--encoding latin1`"),
        cjm_events::ProblemKind::BadTime => Some("give the time layout with `--time-format`, e.g. \"%d.%m.%Y %H:%M\""),
        cjm_events::ProblemKind::Other => None,
    }
}

/// A reader's stage timing, for `CJM_TIMINGS`.
fn print_timing(line: &str) {
    eprintln!("timings: {line}");
}

/// Tells people on stderr what reading found, bad rows first.
pub(crate) fn report_read(path: &str, s: &cjm_events::ReadStats) {
    if s.bad_rows > 0 {
        eprintln!("warning: {path}: {} of {} rows could not be read and were left out; the first:", s.bad_rows, s.rows);
    }
    for p in &s.problems {
        if p.line > 0 {
            eprintln!("  line {}: {}", p.line, p.message);
        } else {
            eprintln!("  note: {}", p.message);
        }
    }
    let mut hinted = Vec::new();
    for hint in s.problems.iter().filter_map(|p| problem_hint(p.kind)) {
        if !hinted.contains(&hint) {
            eprintln!("  hint: {hint}");
            hinted.push(hint);
        }
    }
    if s.lifecycle_skipped > 0 {
        eprintln!(
            "note: {} start/other lifecycle events left out (complete events kept; --lifecycle all keeps every event)",
            s.lifecycle_skipped
        );
    }
}

/// Resident and peak memory so far, for `CJM_TIMINGS` (Linux; empty elsewhere).
pub(crate) fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string());
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(" [rss {rss}, peak {peak}]"),
        _ => String::new(),
    }
}
