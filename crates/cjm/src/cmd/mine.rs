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
    /// Text encoding of a CSV
    #[arg(long, value_enum, default_value = "utf8")]
    pub encoding: Enc,
    /// Which lifecycle events to keep (auto: complete events when the log has start/complete pairs)
    #[arg(long, value_enum, default_value = "auto")]
    pub lifecycle: Life,
    /// Stop at the first bad row instead of counting it
    #[arg(long)]
    pub strict: bool,
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
    pub fn read(&self, path: &str) -> Result<EventLog, CliError> {
        let default_offset = match &self.tz {
            Some(tz) => cjm_events::time::parse_offset(tz)
                .ok_or_else(|| CliError(format!("--tz `{tz}`: expected an offset such as +02:00, -0530 or UTC")))?,
            None => 0,
        };
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
                Enc::Utf8 => Encoding::Utf8,
                Enc::Latin1 => Encoding::Latin1,
            },
            lifecycle: match self.lifecycle {
                Life::Auto => Lifecycle::Auto,
                Life::All => Lifecycle::All,
                Life::Start => Lifecycle::Start,
                Life::Complete => Lifecycle::Complete,
            },
            strict: self.strict,
            progress: large_file(path).then_some(progress as fn(u64, u64)),
        };
        let started = std::time::Instant::now();
        let log = cjm_events::read_path(std::path::Path::new(path), &opts).map_err(|e| CliError(e.to_string()))?;
        if std::env::var_os("CJM_TIMINGS").is_some() {
            eprintln!("timings: read {:?} ({} rows, {} customers)", started.elapsed(), log.len(), log.cases.len());
        }
        if let Some(bar) = BAR.get() {
            bar.finish_and_clear();
        }
        report_read(path, &log, started.elapsed());
        Ok(log)
    }
}

/// Files over 20 MB get a progress bar (a second or more to read).
fn large_file(path: &str) -> bool {
    std::fs::metadata(path).map(|m| m.len() > 20 * 1024 * 1024).unwrap_or(false)
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
    /// Write to this file instead of standard output
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Text,
    Json,
    SummaryJson,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let log = args.read.read(&args.log)?;
    if log.is_empty() {
        return Err(CliError(format!("{}: the log holds no events", args.log)));
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
    let t0 = std::time::Instant::now();
    let journeys = cjm_mine::journeys::build(&log);
    let t1 = std::time::Instant::now();
    let summary = cjm_mine::summary::summarize(&log, &journeys, &funnel, args.top);
    drop(journeys);
    if std::env::var_os("CJM_TIMINGS").is_some() {
        eprintln!("timings: journeys {:?}, summary {:?}", t1 - t0, t1.elapsed());
    }
    let text = match args.format {
        OutFormat::SummaryJson => cjm_mine::summary_json(&summary),
        OutFormat::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "log": args.log,
                "read": {"rows": log.stats.rows, "bad_rows": log.stats.bad_rows, "lifecycle_skipped": log.stats.lifecycle_skipped},
                "summary": summary,
            }))?;
            s.push('\n');
            s
        }
        OutFormat::Text => report(&args.log, &log, &summary),
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

fn duration(secs: f64) -> String {
    if secs.is_nan() {
        "-".into()
    } else if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 172_800.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} d", secs / 86_400.0)
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
        let seq = v.sequence.join(" → ");
        let seq: String =
            if seq.chars().count() > 110 { seq.chars().take(109).collect::<String>() + "…" } else { seq };
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
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>9}  {:>6}", t.touchpoint, t.events, t.customers, score);
    }
    let _ = writeln!(out, "\nStarts");
    for c in &s.start_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", c.touchpoint, c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nEnds");
    for c in &s.end_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", c.touchpoint, c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nMost frequent transitions (count, mean time)");
    let mut edges: Vec<(&cjm_mine::contract::Edge, f64)> =
        s.dfg.iter().zip(&s.performance_dfg).map(|(e, p)| (e, p.mean_seconds)).collect();
    edges.sort_by_key(|e| std::cmp::Reverse(e.0.count));
    for (e, secs) in edges.iter().take(25) {
        let _ = writeln!(out, "  {} → {}  {}  {}", e.from, e.to, e.count, duration(*secs));
    }
    if !s.funnel.steps.is_empty() {
        let _ = writeln!(out, "\nFunnel (reached, of previous, drop-off)");
        let mut prev = s.n_customers;
        for (step, &r) in s.funnel.steps.iter().zip(&s.funnel.reached) {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>9}  {:>6}  {:>6}",
                step,
                r,
                pct(r, prev),
                pct(prev.saturating_sub(r), prev)
            );
            prev = r;
        }
    }
    out
}
