//! `cjm mine`: the journeys customers really take, from an event log.

use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_events::{ColumnMap, Encoding, EventLog, Format, Lifecycle, ReadOptions, TimeFormat};
use std::path::PathBuf;
use std::sync::OnceLock;

/// How to read a log: shared by `mine` (and later `measure` and `discover`).
#[derive(clap::Args, Clone)]
pub struct LogArgs {
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
    #[arg(long = "input-format", value_enum)]
    pub input_format: Option<InputFormat>,
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

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
    Jsonl,
    Parquet,
    Xes,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Enc {
    Utf8,
    Latin1,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Life {
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

impl LogArgs {
    /// These flags, with a map's `data` block filling in what they leave out.
    pub fn with_data(&self, data: Option<&cjm_model::DataSource>) -> LogArgs {
        let Some(d) = data else { return self.clone() };
        let pick = |flag: &Option<String>, block: &Option<String>| flag.clone().or_else(|| block.clone());
        LogArgs {
            case: pick(&self.case, &d.case),
            time: pick(&self.time, &d.time),
            activity: pick(&self.activity, &d.activity),
            channel: pick(&self.channel, &d.channel),
            score: pick(&self.score, &d.score),
            attrs: if self.attrs.is_empty() { d.attrs.clone() } else { self.attrs.clone() },
            input_format: self.input_format.or(match d.format.as_deref() {
                Some("csv") => Some(InputFormat::Csv),
                Some("jsonl") => Some(InputFormat::Jsonl),
                Some("parquet") => Some(InputFormat::Parquet),
                Some("xes") => Some(InputFormat::Xes),
                _ => None,
            }),
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

    pub fn read(&self, path: &str) -> Result<EventLog, CliError> {
        self.read_with(path, false)
    }

    /// [`LogArgs::read`], leaving channels unread when `skip_channel`.
    pub fn read_with(&self, path: &str, skip_channel: bool) -> Result<EventLog, CliError> {
        let default_offset = match &self.tz {
            Some(tz) => cjm_events::time::parse_offset(tz).ok_or_else(|| {
                CliError::usage(format!("--tz `{tz}`: expected an offset such as +02:00, -0530 or UTC"))
            })?,
            None => 0,
        };
        let size = std::fs::metadata(path).map(|m| m.len()).ok();
        let opts = ReadOptions {
            format: self.input_format.map(|f| match f {
                InputFormat::Csv => Format::Csv,
                InputFormat::Jsonl => Format::JsonLines,
                InputFormat::Parquet => Format::Parquet,
                InputFormat::Xes => Format::Xes,
            }),
            columns: ColumnMap {
                case: self.case.clone(),
                time: self.time.clone(),
                activity: self.activity.clone(),
                channel: self.channel.clone(),
                score: self.score.clone(),
                attrs: self.attrs.clone(),
            },
            time: TimeFormat { pattern: self.time_format.clone(), default_offset },
            encoding: match self.encoding {
                Some(Enc::Latin1) => Encoding::Latin1,
                _ => Encoding::Utf8,
            },
            lifecycle: match self.lifecycle {
                Some(Life::All) => Lifecycle::All,
                Some(Life::Start) => Lifecycle::Start,
                Some(Life::Complete) => Lifecycle::Complete,
                _ => Lifecycle::Auto,
            },
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
        report_read(path, &log, started.elapsed());
        Ok(log)
    }
}

/// A log that cannot be read: a file error exits 2, a log whose contents
/// have errors exits 1; the flag that raises a limit is named here.
fn read_error(e: cjm_events::ReadError) -> CliError {
    use cjm_events::{Limit, ReadErrorKind as K};
    let hint = match &e.kind {
        K::UnknownFormat => "; name it with `--input-format csv|jsonl|parquet|xes`".to_string(),
        K::Limit(Limit::Inflated) => "; raise the limit with `--max-inflated MIB`".to_string(),
        K::StrictStop(kind) => {
            format!(
                " (`--strict` stops at the first bad row{})",
                problem_hint(*kind).map_or(String::new(), |h| format!("; {h}"))
            )
        }
        K::MissingColumn(role) => format!("; name it with `{} COLUMN`", role_flag(*role)),
        K::UnknownColumn { role, .. } => format!("; check `{}`", role.map_or("--attr", role_flag)),
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
fn report_read(path: &str, log: &EventLog, took: std::time::Duration) {
    let s = &log.stats;
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
    let _ = took;
}

#[derive(clap::Args)]
#[command(
    about = "Mine the journeys customers really take from an event log",
    long_about = "Mine the journeys customers really take from an event log (CSV/TSV, JSON Lines, Parquet, XES; .gz too).\n\n\
Reports the directly-follows graph with counts and mean times, start and end touchpoints, \
variants, per-touchpoint events, customers and mean score, and a funnel. Columns are detected \
from the usual names (PM4Py's case:concept:name / concept:name / time:timestamp, customer_id / \
timestamp / touchpoint …) or named with --case, --time, --activity, --channel, --score.\n\n\
--format summary-json writes journey-summary/1, byte-identical in layout to ../shared/peers.",
    after_help = "Examples:\n  cjm mine events.parquet\n  cjm mine events.csv --funnel product_page,add_to_cart,payment\n  cjm mine log.xes.gz --format json -o summary.json\n  cjm mine complaints.csv --encoding latin1 --case CustomerID --time ContactDate --activity ComplaintTopic_EN"
)]
pub struct Args {
    /// The event log
    log: String,
    #[command(flatten)]
    read: LogArgs,
    /// What to write: a readable report, the full JSON, or journey-summary/1
    #[arg(long, value_enum, default_value = "text")]
    format: OutFormat,
    /// Touchpoints of a funnel, in order, comma-separated
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    funnel: Vec<String>,
    /// How many variants to list
    #[arg(long, default_value = "20")]
    top: usize,
    /// Funnel steps in any order (each once) instead of the given order
    #[arg(long)]
    funnel_any_order: bool,
    /// Funnel steps must follow each other directly (no other event between)
    #[arg(long)]
    funnel_strict: bool,
    /// Funnel steps after the first must come within this time of it (30m, 2h, 7d)
    #[arg(long, value_name = "DURATION")]
    window: Option<String>,
    /// Write the customers who dropped at each funnel step to this CSV (step,customer)
    #[arg(long, value_name = "FILE")]
    export_dropped: Option<PathBuf>,
    /// Count "b within K steps after a" pairs (eventually-follows)
    #[arg(long, default_value = "3", value_name = "K")]
    follows: usize,
    /// Break every figure down by a customer attribute (e.g. channel, age)
    #[arg(long, value_name = "ATTRIBUTE")]
    by: Option<String>,
    /// Cut journeys into sessions where a customer is inactive this long (30m, 1d)
    #[arg(long, value_name = "DURATION")]
    gap: Option<String>,
    /// Keep events at or after this time
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Keep events before this time
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Keep events whose attribute has one of these values: ATTR=V1,V2
    #[arg(long = "where", value_name = "ATTR=VALUES")]
    where_: Option<String>,
    /// Keep the customers of the most frequent variants covering this share (e.g. 0.8)
    #[arg(long, value_name = "SHARE")]
    cover: Option<f64>,
    /// Show the main flow: the transitions making up this share of all (e.g. 0.8), kept connected
    #[arg(long, value_name = "SHARE")]
    simplify: Option<f64>,
    /// Write to this file instead of standard output
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// `30m`, `2h`, `7d`, `1w`, `45s` or plain seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len()));
    let v: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    (v >= 0.0).then_some((v * mult) as i64)
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Text,
    Json,
    SummaryJson,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let dur = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
        v.as_ref()
            .map(|t| {
                parse_duration(t).ok_or_else(|| {
                    CliError::usage(format!("{flag} `{t}`: expected a duration such as 45s, 30m, 2h, 7d"))
                })
            })
            .transpose()
    };
    let window = dur("--window", &args.window)?;
    let gap = dur("--gap", &args.gap)?;
    let when = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
        v.as_ref()
            .map(|t| {
                cjm_events::TimeFormat::default().parse(t).ok_or_else(|| {
                    CliError::usage(format!("{flag} `{t}`: expected a time such as 2024-03-01 or 2024-03-01T12:00:00Z"))
                })
            })
            .transpose()
    };
    let (from, to) = (when("--from", &args.from)?, when("--to", &args.to)?);
    // The summary alone needs neither channels nor the log afterwards: its
    // columns are freed as they are used (the smallest peak).
    let summary_only = args.format == OutFormat::SummaryJson
        && args.by.is_none()
        && args.where_.is_none()
        && from.is_none()
        && to.is_none()
        && gap.is_none()
        && args.cover.is_none()
        && args.export_dropped.is_none();
    let mut log = args.read.read_with(&args.log, summary_only)?;
    let where_ = match &args.where_ {
        Some(w) => {
            let (name, values) = w
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("--where `{w}`: expected ATTRIBUTE=VALUE[,VALUE…]")))?;
            Some((name.trim().to_string(), values.split(',').map(|v| v.trim().to_string()).collect::<Vec<_>>()))
        }
        None => None,
    };
    if from.is_some() || to.is_some() || where_.is_some() {
        let attr = where_.as_ref().map(|(n, v)| (n.as_str(), v.as_slice()));
        cjm_mine::analysis::filter(&mut log, from, to, attr).map_err(|e| CliError::usage(format!("--where: {e}")))?;
    }
    if let Some(g) = gap {
        log = cjm_mine::analysis::sessions(&log, g);
    }
    for (flag, v) in [("--cover", args.cover), ("--simplify", args.simplify)] {
        if v.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
            return Err(CliError::usage(format!("{flag}: expected a share from 0 to 1, e.g. 0.8")));
        }
    }
    if let Some(share) = args.cover {
        log = cjm_mine::analysis::keep_covering_variants(&log, share);
    }
    if log.is_empty() {
        return Err(CliError::usage(format!("{}: no events left (check --from, --to and --where)", args.log)));
    }
    let funnel: Vec<String> = args.funnel.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    for step in &funnel {
        if log.activities.lookup(step).is_none() {
            let names = log.activities.values();
            let hint = cjm_syntax::keys::did_you_mean(step, names)
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            eprintln!("warning: funnel step `{step}` is not a touchpoint of this log{hint}; nobody reaches it");
        }
    }
    if summary_only {
        let t0 = std::time::Instant::now();
        let summary = cjm_mine::summary::summarize_owned(log, &funnel, args.top, &crate::release_freed_memory);
        if std::env::var_os("CJM_TIMINGS").is_some() {
            eprintln!("timings: journeys and summary {:?}{}", t0.elapsed(), memory());
        }
        emit(args.output.as_deref(), cjm_mine::summary_json(&summary).as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let t0 = std::time::Instant::now();
    let journeys = cjm_mine::journeys::build(&log);
    let t1 = std::time::Instant::now();
    let summary = cjm_mine::summary::summarize(&log, &journeys, &funnel, args.top);
    if std::env::var_os("CJM_TIMINGS").is_some() {
        eprintln!("timings: journeys {:?}, summary {:?}{}", t1 - t0, t1.elapsed(), memory());
    }
    let spec = cjm_mine::analysis::FunnelSpec {
        steps: funnel.clone(),
        any_order: args.funnel_any_order,
        strict: args.funnel_strict,
        window_seconds: window,
    };
    let analysis = (args.format != OutFormat::SummaryJson).then(|| {
        let counts: Vec<u64> = summary.top_variants.iter().map(|v| v.count).collect();
        cjm_mine::analysis::analyse(&log, &journeys, Some(&spec), args.follows, &counts)
    });
    drop(journeys);
    if let Some(path) = &args.export_dropped {
        let Some(f) = analysis.as_ref().and_then(|a| a.funnel.as_ref()) else {
            return Err(CliError::usage("--export-dropped needs a --funnel (and a text or json report)"));
        };
        let mut csv = String::from("dropped_before_step,step,customer_id\n");
        for (i, ids) in f.dropped.iter().enumerate() {
            for id in ids {
                let quoted =
                    if id.contains([',', '"', '\n']) { format!("\"{}\"", id.replace('"', "\"\"")) } else { id.clone() };
                csv.push_str(&format!("{},{},{}\n", i + 1, f.steps[i].touchpoint, quoted));
            }
        }
        crate::output::write_atomic(path, csv.as_bytes())?;
        eprintln!("wrote the dropped customers to {}", path.display());
    }
    let breakdown = match &args.by {
        Some(attr) => {
            let values =
                cjm_mine::analysis::breakdown_values(&log, attr).map_err(|e| CliError::usage(format!("--by: {e}")))?;
            // Every figure per value: the summary and, for the JSON report,
            // the analysis (transition times, follows, coverage, funnel,
            // channels) computed on that value's customers alone.
            let mut parts = Vec::new();
            for v in values {
                let sub = cjm_mine::analysis::customers_with(&log, attr, &v);
                if sub.is_empty() {
                    continue;
                }
                let j = cjm_mine::journeys::build(&sub);
                let top = if args.format == OutFormat::Json { args.top } else { args.top.min(5) };
                let s = cjm_mine::summary::summarize(&sub, &j, &funnel, top);
                let a = (args.format == OutFormat::Json).then(|| {
                    let counts: Vec<u64> = s.top_variants.iter().map(|v| v.count).collect();
                    cjm_mine::analysis::analyse(&sub, &j, Some(&spec), args.follows, &counts)
                });
                parts.push((v, s, a));
            }
            Some(parts)
        }
        None => None,
    };
    let text = match args.format {
        OutFormat::SummaryJson => cjm_mine::summary_json(&summary),
        OutFormat::Json => {
            let by: Option<serde_json::Value> = breakdown.as_ref().map(|parts| {
                serde_json::Value::Object(
                    parts
                        .iter()
                        .map(|(v, s, a)| (v.clone(), serde_json::json!({ "summary": s, "analysis": a })))
                        .collect(),
                )
            });
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "log": args.log,
                "read": {"rows": log.stats.rows, "bad_rows": log.stats.bad_rows, "lifecycle_skipped": log.stats.lifecycle_skipped},
                "summary": summary,
                "analysis": analysis,
                "main_flow": args.simplify.map(|share| cjm_mine::analysis::simplify_dfg(&summary, share)),
                "by": args.by,
                "breakdown": by,
            }))?;
            s.push('\n');
            s
        }
        OutFormat::Text => {
            let mut t = report(&args.log, &log, &summary);
            if let Some(share) = args.simplify {
                use std::fmt::Write;
                let main = cjm_mine::analysis::simplify_dfg(&summary, share);
                let _ = writeln!(t, "\nMain flow ({} of {} transitions kept, {:.0}% of the traffic and every touchpoint on a start-to-end path)", main.len(), summary.dfg.len(), share * 100.0);
                for e in &main {
                    let _ = writeln!(t, "  {} → {}  {}", e.from, e.to, e.count);
                }
            }
            if let Some(a) = &analysis {
                t.push_str(&analysis_report(a));
            }
            if let (Some(attr), Some(parts)) = (&args.by, &breakdown) {
                let summaries: Vec<(String, cjm_mine::Summary)> =
                    parts.iter().map(|(v, s, _)| (v.clone(), s.clone())).collect();
                t.push_str(&breakdown_report(attr, &summaries));
            }
            t
        }
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// A duration for people; `-` when there is none.
fn duration(secs: f64) -> String {
    if secs.is_nan() {
        "-".into()
    } else {
        cjm_render::duration(secs)
    }
}

/// The readable report.
fn report(path: &str, log: &EventLog, s: &cjm_mine::Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{path}: {} events, {} customers, {} touchpoints, {} variants",
        s.n_events,
        s.n_customers,
        s.touchpoints.len(),
        s.n_variants
    );
    if log.stats.bad_rows > 0 {
        let _ = writeln!(out, "  {} rows could not be read (see stderr)", log.stats.bad_rows);
    }
    let _ = writeln!(out, "\nTop variants (customers, share, cumulative)");
    let mut cum = 0;
    for (i, v) in s.top_variants.iter().enumerate() {
        cum += v.count;
        let seq = arrows(&v.sequence, 110);
        let _ = writeln!(
            out,
            "  {:>2}. {:>8}  {:>6}  {:>6}  {seq}",
            i + 1,
            v.count,
            pct(v.count, s.n_customers),
            pct(cum, s.n_customers)
        );
    }
    let _ = writeln!(out, "\nTouchpoints (events, customers, mean score)");
    let width = s.touchpoints.iter().map(|t| t.touchpoint.chars().count()).max().unwrap_or(10).min(40);
    for t in &s.touchpoints {
        let score = t.mean_score.map_or("-".to_string(), |m| format!("{m:.2}"));
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>9}  {:>6}", short(&t.touchpoint), t.events, t.customers, score);
    }
    let _ = writeln!(out, "\nStarts");
    for c in &s.start_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", short(&c.touchpoint), c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nEnds");
    for c in &s.end_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", short(&c.touchpoint), c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nMost frequent transitions (count, mean time)");
    let mut edges: Vec<(&cjm_mine::contract::Edge, f64)> =
        s.dfg.iter().zip(&s.performance_dfg).map(|(e, p)| (e, p.mean_seconds)).collect();
    edges.sort_by_key(|e| std::cmp::Reverse(e.0.count));
    for (e, secs) in edges.iter().take(25) {
        let _ = writeln!(out, "  {} → {}  {}  {}", short(&e.from), short(&e.to), e.count, duration(*secs));
    }
    if !s.funnel.steps.is_empty() {
        let _ = writeln!(out, "\nFunnel (reached, of previous, drop-off)");
        let mut prev = s.n_customers;
        for (step, &r) in s.funnel.steps.iter().zip(&s.funnel.reached) {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>9}  {:>6}  {:>6}",
                short(step),
                r,
                pct(r, prev),
                pct(prev.saturating_sub(r), prev)
            );
            prev = r;
        }
    }
    out
}

fn analysis_report(a: &cjm_mine::analysis::Analysis) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(f) = &a.funnel {
        let _ = writeln!(
            out,
            "\nFunnel details ({}{}{})",
            if f.ordered { "in order" } else { "any order" },
            if f.strict { ", consecutive" } else { "" },
            f.window_seconds.map(|w| format!(", within {}", duration(w as f64))).unwrap_or_default()
        );
        for s in &f.steps {
            let _ = writeln!(
                out,
                "  {:<32} {:>9} reached  {:>6.1}% converted  {:>6.1}% dropped  {:>10} from start",
                short(&s.touchpoint),
                s.reached,
                s.conversion * 100.0,
                s.drop_off * 100.0,
                s.median_seconds_from_start.map_or("-".into(), duration)
            );
        }
    }
    let _ = writeln!(out, "\nSlowest transitions (median, p90, count)");
    let mut slow: Vec<&cjm_mine::analysis::EdgeTimes> = a.edge_times.iter().filter(|e| e.count >= 10).collect();
    slow.sort_by(|x, y| y.median_seconds.total_cmp(&x.median_seconds));
    for e in slow.iter().take(10) {
        let _ = writeln!(
            out,
            "  {} → {}  median {}  p90 {}  ({})",
            short(&e.from),
            short(&e.to),
            duration(e.median_seconds),
            duration(e.p90_seconds),
            e.count
        );
    }
    if !a.channel_reach.is_empty() {
        let _ = writeln!(out, "\nChannels (customers, events)");
        for c in &a.channel_reach {
            let _ = writeln!(out, "  {:<20} {:>9} {:>9}", short(&c.channel), c.customers, c.events);
        }
        let switches: Vec<_> = a.channel_switches.iter().filter(|s| s.from != s.to).collect();
        if !switches.is_empty() {
            let mut top = switches.clone();
            top.sort_by_key(|s| std::cmp::Reverse(s.count));
            let _ = writeln!(out, "\nChannel switches (from → to, count)");
            for s in top.iter().take(12) {
                let _ = writeln!(out, "  {} → {}  {}", short(&s.from), short(&s.to), s.count);
            }
        }
    }
    if let Some(last) = a.variant_coverage.last() {
        let _ =
            writeln!(out, "\nThe top {} variants cover {:.1}% of customers", a.variant_coverage.len(), last * 100.0);
    }
    out
}

fn breakdown_report(attr: &str, parts: &[(String, cjm_mine::Summary)]) -> String {
    use std::fmt::Write;
    let mut out = format!("\nBy {attr}\n");
    for (value, s) in parts {
        let _ = writeln!(
            out,
            "  {}: {} customers, {} events, {} variants",
            short(value),
            s.n_customers,
            s.n_events,
            s.n_variants
        );
        if let Some(v) = s.top_variants.first() {
            let seq = arrows(&v.sequence, 90);
            let _ = writeln!(out, "    most common ({} customers, {}): {seq}", v.count, pct(v.count, s.n_customers));
        }
        if !s.funnel.steps.is_empty() {
            let reached: Vec<String> = s.funnel.reached.iter().map(|r| r.to_string()).collect();
            let _ = writeln!(out, "    funnel reached: {}", reached.join(" → "));
        }
    }
    out
}

/// A name as the report shows it: whole up to 60 characters, else cut with
/// an ellipsis (a log's field may be megabytes long).
fn short(name: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    match name.char_indices().nth(MAX - 1) {
        Some((at, _)) if name.len() > at + 1 => format!("{}…", &name[..at]).into(),
        _ => name.into(),
    }
}

/// A sequence of touchpoints joined by arrows, cut at `max` characters
/// without joining more than it shows.
fn arrows(steps: &[String], max: usize) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push_str(" → ");
        }
        out.push_str(&short(step));
        if out.chars().count() > max {
            return out.chars().take(max - 1).collect::<String>() + "…";
        }
    }
    out
}

/// Resident and peak memory so far, for `CJM_TIMINGS` (Linux; empty elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string());
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(" [rss {rss}, peak {peak}]"),
        _ => String::new(),
    }
}
