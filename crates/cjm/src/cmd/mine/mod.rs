//! `cjm mine`: the journeys customers really take, from an event log.
//! The report for people is in `report.rs`.

mod chart;
mod report;
mod spark;

use crate::logs::memory;
use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_events::EventLog;
use cjm_mine::analysis::{Analysis, FunnelSpec};
use cjm_mine::Summary;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Mine the journeys customers really take from an event log",
    long_about = "Mine the journeys customers really take from an event log (CSV/TSV, JSON Lines, Parquet, XES; .gz too).\n\n\
Reports the directly-follows graph with counts and mean times, start and end touchpoints, \
variants, per-touchpoint events, customers and mean score, and a funnel. Columns are detected \
from the usual names (PM4Py's case:concept:name / concept:name / time:timestamp, customer_id / \
timestamp / touchpoint …) or named with --case, --time, --activity, --channel, --score.\n\n\
--format summary-json writes journey-summary/1, byte-identical in layout to ../shared/peers.",
    after_help = "Examples:\n  cjm mine events.parquet\n  cjm mine events.csv --funnel product_page,add_to_cart,payment\n  cjm mine events.csv --funnel product_page,add_to_cart,payment --chart funnel -o funnel.png\n  cjm mine log.xes.gz --format json -o summary.json\n  cjm mine complaints.csv --encoding latin1 --case CustomerID --time ContactDate --activity ComplaintTopic_EN"
)]
pub(crate) struct Args {
    /// The event log (with --spark: a Parquet path or URI the cluster reads)
    #[arg(required_unless_present_any = ["table", "explain"])]
    log: Option<String>,
    #[command(flatten)]
    read: crate::logs::LogArgs,
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
    #[arg(long, value_name = "SHARE", value_parser = share)]
    cover: Option<cjm_mine::analysis::Share>,
    /// Show the main flow: the transitions making up this share of all (e.g. 0.8), kept connected
    #[arg(long, value_name = "SHARE")]
    simplify: Option<f64>,
    /// Draw a chart into the -o file (.svg, .png, .pdf) instead of the report
    #[arg(long, value_enum, value_name = "KIND")]
    chart: Option<chart::ChartKind>,
    /// The trend chart's period: day, week (from Monday) or month [default: week]
    #[arg(long, value_name = "PERIOD")]
    interval: Option<String>,
    /// Paths (chart and JSON): where customers go after their first TOUCHPOINT
    #[arg(long, value_name = "TOUCHPOINT", conflicts_with = "paths_into")]
    paths_from: Option<String>,
    /// Paths (chart and JSON): how customers arrive at their first TOUCHPOINT
    #[arg(long, value_name = "TOUCHPOINT")]
    paths_into: Option<String>,
    /// Paths: how many steps from the touchpoint (1 to 10)
    #[arg(long, default_value = "3", value_name = "N")]
    depth: usize,
    /// The process chart labels arrows with median times instead of counts
    #[arg(long)]
    performance: bool,
    /// Compute on Apache Spark through Spark Connect: Parquet in cjm's canonical layout (`cjm export`) as it is, any other read by cjm's rules
    #[arg(long, value_name = "sc://HOST:PORT", help_heading = "Spark")]
    spark: Option<String>,
    /// With --spark: read this table of the Spark session instead of a file
    #[arg(long, value_name = "NAME", help_heading = "Spark")]
    table: Option<String>,
    /// Print the Spark SQL that --spark runs, and stop (no server needed)
    #[arg(long, help_heading = "Spark")]
    explain: bool,
    /// With --spark: show the JVM's stack when Spark fails
    #[arg(long, help_heading = "Spark")]
    verbose: bool,
    /// Write to this file instead of standard output
    #[arg(short, long)]
    output: Option<PathBuf>,
}

impl Args {
    /// The log's path as given (empty with `--table`, which reads no file).
    fn log(&self) -> &str {
        self.log.as_deref().unwrap_or("")
    }

    /// The funnel's steps, trimmed, empty ones left out.
    fn funnel_steps(&self) -> Vec<String> {
        self.funnel.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }
}

/// `--cover`'s share, an exact fraction (`0.8` is 8/10).
fn share(text: &str) -> Result<cjm_mine::analysis::Share, String> {
    cjm_mine::analysis::Share::parse(text)
}

/// `30m`, `2h`, `7d`, `1w`, `45s` or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    cjm_analytics::parse_duration(text)
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Text,
    Json,
    SummaryJson,
}

/// The filters and windows of a run, parsed from their flags.
struct Narrowing {
    window: Option<i64>,
    gap: Option<i64>,
    from: Option<i64>,
    to: Option<i64>,
    where_: Option<(String, Vec<String>)>,
}

impl Narrowing {
    fn parse(args: &Args) -> Result<Narrowing, CliError> {
        let dur = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
            v.as_ref()
                .map(|t| {
                    parse_duration(t).ok_or_else(|| {
                        CliError::usage(format!("{flag} `{t}`: expected a duration such as 45s, 30m, 2h, 7d"))
                    })
                })
                .transpose()
        };
        let when = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
            v.as_ref()
                .map(|t| {
                    cjm_events::TimeFormat::default().parse(t).ok_or_else(|| {
                        CliError::usage(format!(
                            "{flag} `{t}`: expected a time such as 2024-03-01 or 2024-03-01T12:00:00Z"
                        ))
                    })
                })
                .transpose()
        };
        let where_ = match &args.where_ {
            Some(w) => {
                let (name, values) = w
                    .split_once('=')
                    .ok_or_else(|| CliError::usage(format!("--where `{w}`: expected ATTRIBUTE=VALUE[,VALUE…]")))?;
                Some((name.trim().to_string(), values.split(',').map(|v| v.trim().to_string()).collect()))
            }
            None => None,
        };
        if args.simplify.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
            return Err(CliError::usage("--simplify: expected a share from 0 to 1, e.g. 0.8"));
        }
        Ok(Narrowing {
            window: dur("--window", &args.window)?,
            gap: dur("--gap", &args.gap)?,
            from: when("--from", &args.from)?,
            to: when("--to", &args.to)?,
            where_,
        })
    }

    /// The log with the filters, sessions and variant cover applied.
    fn apply(&self, mut log: EventLog, args: &Args) -> Result<EventLog, CliError> {
        if self.from.is_some() || self.to.is_some() || self.where_.is_some() {
            let attr = self.where_.as_ref().map(|(n, v)| (n.as_str(), v.as_slice()));
            cjm_mine::analysis::filter(&mut log, self.from, self.to, attr)
                .map_err(|e| CliError::usage(format!("--where: {e}")))?;
        }
        if let Some(g) = self.gap {
            log = cjm_mine::analysis::sessions(&log, g);
        }
        if let Some(share) = args.cover {
            log = cjm_mine::analysis::keep_covering_variants(&log, share);
        }
        if log.is_empty() {
            return Err(CliError::usage(format!("{}: no events left (check --from, --to and --where)", args.log())));
        }
        Ok(log)
    }
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    if args.spark.is_some() || args.explain || args.table.is_some() {
        return spark::run(&args);
    }
    let narrowing = Narrowing::parse(&args)?;
    // The summary alone needs neither channels nor the log afterwards: its
    // columns are freed as they are used (the smallest peak).
    let summary_only = args.format == OutFormat::SummaryJson
        && args.chart.is_none()
        && args.by.is_none()
        && args.where_.is_none()
        && narrowing.from.is_none()
        && narrowing.to.is_none()
        && narrowing.gap.is_none()
        && args.cover.is_none()
        && args.export_dropped.is_none();
    let log = narrowing.apply(args.read.read_with(args.log(), summary_only)?, &args)?;
    let funnel = args.funnel_steps();
    warn_unknown_steps(&log, &funnel);
    if summary_only {
        let t0 = std::time::Instant::now();
        let summary = cjm_mine::summary::summarize_owned(log, &funnel, args.top, &crate::release_freed_memory);
        if std::env::var_os("CJM_TIMINGS").is_some() {
            eprintln!("timings: journeys and summary {:?}{}", t0.elapsed(), memory());
        }
        emit(args.output.as_deref(), cjm_mine::summary_json(&summary).as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let spec = FunnelSpec {
        steps: funnel.clone(),
        any_order: args.funnel_any_order,
        strict: args.funnel_strict,
        window_seconds: narrowing.window,
    };
    if let Some(kind) = args.chart {
        chart::write(&args, kind, &log, &spec)?;
        return Ok(Outcome::Ok);
    }
    let t0 = std::time::Instant::now();
    let journeys = cjm_mine::journeys::build(&log);
    let t1 = std::time::Instant::now();
    let summary = cjm_mine::summary::summarize(&log, &journeys, &funnel, args.top);
    if std::env::var_os("CJM_TIMINGS").is_some() {
        eprintln!("timings: journeys {:?}, summary {:?}{}", t1 - t0, t1.elapsed(), memory());
    }
    let analysis = (args.format != OutFormat::SummaryJson).then(|| {
        let counts: Vec<u64> = summary.top_variants.iter().map(|v| v.count).collect();
        cjm_mine::analysis::analyse(&log, &journeys, Some(&spec), args.follows, &counts)
    });
    drop(journeys);
    if let Some(path) = &args.export_dropped {
        export_dropped(path, analysis.as_ref())?;
    }
    let breakdown = match &args.by {
        Some(attr) => Some(breakdown(&log, attr, &spec, &args)?),
        None => None,
    };
    let text = match args.format {
        OutFormat::SummaryJson => cjm_mine::summary_json(&summary),
        OutFormat::Json => {
            let paths = paths_json(&args, &log)?;
            json_report(&args, args.log(), &log.stats, &summary, analysis.as_ref(), breakdown.as_deref(), paths)?
        }
        OutFormat::Text => {
            report::text(&args, args.log(), &log.stats, &summary, analysis.as_ref(), breakdown.as_deref())
        }
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

/// A funnel step no event has reaches nobody: say so, with a guess.
fn warn_unknown_steps(log: &EventLog, funnel: &[String]) {
    for step in funnel {
        if log.activities.lookup(step).is_none() {
            let hint = cjm_syntax::keys::did_you_mean(step, log.activities.values())
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            eprintln!("warning: funnel step `{step}` is not a touchpoint of this log{hint}; nobody reaches it");
        }
    }
}

/// `--export-dropped`: the customers who dropped before each funnel step.
fn export_dropped(path: &std::path::Path, analysis: Option<&Analysis>) -> Result<(), CliError> {
    let Some(f) = analysis.and_then(|a| a.funnel.as_ref()) else {
        return Err(CliError::usage("--export-dropped needs a --funnel (and a text or json report)"));
    };
    let csv = cjm_analytics::dropped_csv(f);
    crate::output::write_atomic(path, csv.as_bytes())?;
    eprintln!("wrote the dropped customers to {}", path.display());
    Ok(())
}

/// One segment of `--by`: its value, summary and (for JSON) analysis.
pub(super) type Part = (String, Summary, Option<Analysis>);

/// `--by`: every figure per value, the summary and, for the JSON report,
/// the analysis (transition times, follows, coverage, funnel, channels)
/// computed on that value's customers alone.
fn breakdown(log: &EventLog, attr: &str, spec: &FunnelSpec, args: &Args) -> Result<Vec<Part>, CliError> {
    let values = cjm_mine::analysis::breakdown_values(log, attr).map_err(|e| CliError::usage(format!("--by: {e}")))?;
    let json = args.format == OutFormat::Json;
    let mut parts = Vec::new();
    for v in values {
        let sub = cjm_mine::analysis::customers_with(log, attr, &v);
        if sub.is_empty() {
            continue;
        }
        let j = cjm_mine::journeys::build(&sub);
        let top = if json { args.top } else { args.top.min(5) };
        let s = cjm_mine::summary::summarize(&sub, &j, &spec.steps, top);
        let a = json.then(|| {
            let counts: Vec<u64> = s.top_variants.iter().map(|v| v.count).collect();
            cjm_mine::analysis::analyse(&sub, &j, Some(spec), args.follows, &counts)
        });
        parts.push((v, s, a));
    }
    Ok(parts)
}

/// With `--paths-from` or `--paths-into`: the paths' nodes and flows.
fn paths_json(args: &Args, log: &EventLog) -> Result<Option<cjm_mine::paths::Paths>, CliError> {
    if args.paths_from.is_none() && args.paths_into.is_none() {
        return Ok(None);
    }
    cjm_analytics::paths(log, &chart::paths_spec(args)).map(Some).map_err(chart::worded)
}

/// `--format json` of the log named `name`: the read, the summary, the
/// analysis, the paths and the breakdown.
fn json_report(
    args: &Args,
    name: &str,
    read: &cjm_events::ReadStats,
    summary: &Summary,
    analysis: Option<&Analysis>,
    breakdown: Option<&[Part]>,
    paths: Option<cjm_mine::paths::Paths>,
) -> Result<String, CliError> {
    let by: Option<serde_json::Value> = breakdown.map(|parts| {
        serde_json::Value::Object(
            parts.iter().map(|(v, s, a)| (v.clone(), serde_json::json!({ "summary": s, "analysis": a }))).collect(),
        )
    });
    let mut s = serde_json::to_string_pretty(&serde_json::json!({
        "log": name,
        "read": {"rows": read.rows, "bad_rows": read.bad_rows, "lifecycle_skipped": read.lifecycle_skipped},
        "summary": summary,
        "analysis": analysis,
        "main_flow": args.simplify.map(|share| cjm_mine::analysis::simplify_dfg(summary, share)),
        "paths": paths,
        "by": args.by,
        "breakdown": by,
    }))?;
    s.push('\n');
    Ok(s)
}
