//! `cjm measure`: a map measured against an event log, step by step.

use crate::input;
use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_mine::measure::Measurement;
use cjm_model::measures::Figure;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Measure a map against an event log, step by step",
    long_about = "Measure a map against an event log, step by step.\n\n\
Each step's `evidence:` rule finds its events. Per step: reach (customers with a matching event, \
and their share of all), the funnel in map order (customers who did the steps in order; steps \
marked `optional: yes` are left out) with conversion from the previous funnel step and drop-off, \
median time since the previous step, mean score; per stage: conversion. Steps whose rule matches \
nothing are flagged, and frequent touchpoints the map does not show are listed.",
    after_help = "Examples:\n  cjm measure checkout.cjm events.parquet\n  cjm measure checkout.cjm events.csv --format json -o measured.json\n  cjm render checkout.cjm --events events.parquet -o measured.png"
)]
pub(crate) struct Args {
    /// The map (.cjm, .mmd, .md, .json)
    map: String,
    /// The event log [default: the map's `data` block]
    log: Option<String>,
    #[command(flatten)]
    read: crate::logs::LogArgs,
    /// A readable report or JSON
    #[arg(long, value_enum, default_value = "text")]
    format: Out,
    /// Measure on Apache Spark through Spark Connect: Parquet in cjm's canonical layout (`cjm export`) as it is, any other read by cjm's rules
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

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Out {
    Text,
    Json,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let Some(map) = input::load_map(&args.map)? else { return Ok(Outcome::Failed) };
    if map.steps().all(|s| s.evidence.is_none()) {
        return Err(CliError::usage(format!(
            "`{}` has no `evidence:` rules, so nothing can be measured; add one under each step, e.g. `evidence: touchpoint = \"checkout\"` (or start from `cjm discover`)",
            args.map
        )));
    }
    let m = if args.spark.is_some() || args.explain || args.table.is_some() {
        match on_spark(&args, &map)? {
            Some(m) => m,
            None => return Ok(Outcome::Ok),
        }
    } else {
        let log_path = input::log_path(args.log.as_deref(), &args.map, &map)?;
        let log = args.read.with_data(map.data.as_ref()).read(&log_path)?;
        cjm_mine::measure::measure(&map, &log)
    };
    for s in &m.steps {
        if let Some(e) = &s.rule_error {
            eprintln!("warning: step `{}`: its evidence rule cannot run on this log: {e}", s.name);
        } else if s.rule.is_some() && s.matched_events == 0 {
            eprintln!("warning: step `{}`: its evidence rule matches no event", s.name);
        }
    }
    let text = match args.format {
        Out::Json => {
            let mut t = serde_json::to_string_pretty(&m)?;
            t.push('\n');
            t
        }
        Out::Text => report(&map, &m),
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

fn report(map: &cjm_model::Journey, m: &Measurement) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: measured against {} customers, {} events{}",
        map.title.as_deref().unwrap_or("map"),
        m.customers,
        m.events,
        m.funnel_window_seconds.map_or(String::new(), |s| format!(
            "; the funnel within {} of its first step",
            cjm_render::duration(s as f64)
        ))
    );
    let _ = writeln!(
        out,
        "\n  {:<36} {:>9} {:>7} {:>9} {:>7} {:>7} {:>10} {:>6}",
        "step", "reach", "of all", "funnel", "conv", "drop", "median", "score"
    );
    let mut stage = String::new();
    for s in &m.steps {
        if s.stage != stage {
            stage = s.stage.clone();
            let st = m.stages.iter().find(|x| x.id == stage);
            let conv = st.map(|x| pct(x.conversion)).unwrap_or_default();
            let name = map.stages.iter().find(|x| x.id == stage).map_or("", |x| x.name.as_str());
            let _ = writeln!(out, "  [{}] conversion {conv}", if name.is_empty() { "journey" } else { name });
        }
        let name: String = s.name.chars().take(36).collect();
        if s.rule.is_none() {
            let _ = writeln!(out, "  {name:<36} (no evidence rule)");
            continue;
        }
        if s.rule_error.is_some() || s.matched_events == 0 {
            let _ = writeln!(out, "  {name:<36} ! matches no event");
            continue;
        }
        let median = s.median_seconds_since_previous.map_or("-".into(), cjm_render::duration);
        let score = s.mean_score.map_or("-".into(), |v| format!("{v:.2}"));
        let funnel = if s.optional { "optional".into() } else { s.funnel.map_or("-".into(), |n| n.to_string()) };
        let _ = writeln!(
            out,
            "  {name:<36} {:>9} {:>7} {:>9} {:>7} {:>7} {:>10} {:>6}",
            s.reached,
            pct(Some(s.reach_share)),
            funnel,
            pct(s.conversion),
            pct(s.drop_off),
            median,
            score
        );
    }
    if !m.kpis.is_empty() {
        let _ = writeln!(out, "\nJourney KPIs (measured, target, met or missed)");
        for k in &m.kpis {
            let f = k.figure();
            let _ = writeln!(
                out,
                "  {:<36} {:>12} {:>22} {:>9}",
                k.metric.chars().take(36).collect::<String>(),
                f.value.as_deref().unwrap_or("-"),
                f.target.as_deref().map_or(String::new(), |t| format!("target {t}")),
                f.verdict().unwrap_or("")
            );
            let _ = writeln!(out, "    {}", f.explain);
        }
    }
    let _ = writeln!(out, "\nWhat the figures mean");
    for (f, column) in Figure::ALL.iter().zip(["reach, of all", "funnel", "conv", "drop", "median", "score"]) {
        let _ = writeln!(out, "  {column}: {}", f.explain());
    }
    if !m.unmapped_touchpoints.is_empty() {
        let _ = writeln!(out, "\nFrequent touchpoints the map does not show (customers, events)");
        for u in m.unmapped_touchpoints.iter().take(10) {
            let _ = writeln!(out, "  {:<40} {:>9} {:>9}", u.touchpoint, u.customers, u.events);
        }
        let _ = writeln!(out, "\nFrequent transitions through them");
        for t in m.unmapped_transitions.iter().take(10) {
            let _ = writeln!(out, "  {} → {}  {}", t.from, t.to, t.count);
        }
    }
    out
}

/// `--spark` (and `--explain`): the map measured on Apache Spark, the same
/// figures as the embedded engine's; `None` when `--explain` printed the
/// plan instead.
fn on_spark(args: &Args, map: &cjm_model::Journey) -> Result<Option<Measurement>, CliError> {
    let (spark, table, log) = (args.spark.is_some(), args.table.is_some(), args.log.is_some());
    crate::spark::check_flags(spark, args.explain, table, log, &args.read)?;
    if args.explain {
        emit(args.output.as_deref(), explain(map).as_bytes())?;
        return Ok(None);
    }
    let log = match &args.table {
        Some(_) => String::new(),
        None => input::log_path(args.log.as_deref(), &args.map, map)?,
    };
    measure_on_spark(args, map, &log).map(Some)
}

/// The plan without a server: the rules compiled against the layout and
/// the attributes they name (a comparison with a number or a boolean
/// shows the list of passing values it reads first as a parameter).
fn explain(map: &cjm_model::Journey) -> String {
    use cjm_spark::measure::{measure_plan, values_plan};
    let mut columns: Vec<String> = cjm_spark::sql::LAYOUT_COLUMNS.iter().map(|c| c.to_string()).collect();
    for step in map.steps() {
        let Some(expr) = step.evidence.as_deref().and_then(|r| cjm_syntax::evidence::parse(r, 0).ok()) else {
            continue;
        };
        columns.extend(expr.fields().into_iter().map(String::from));
    }
    let mut out = String::new();
    // No server, so no values: each list of passing values is empty.
    let fetch = |needed: &std::collections::BTreeSet<String>| {
        out.push_str("-- first the distinct values the rules compare with numbers or booleans;\n");
        out.push_str("-- cjm keeps those that pass (the parameters below list them)\n\n");
        out.push_str(&values_plan(needed).explain());
        Ok::<_, std::convert::Infallible>(needed.iter().map(|c| (c.clone(), Vec::new())).collect())
    };
    let Ok((_, req)) = cjm_spark::measure::request(map, &columns, fetch);
    out.push_str(&measure_plan(&req).explain());
    out
}

#[cfg(feature = "spark")]
fn measure_on_spark(args: &Args, map: &cjm_model::Journey, log: &str) -> Result<Measurement, CliError> {
    use crate::spark::{progress, worded};
    let url = args.spark.as_deref().unwrap_or_default();
    let bar = progress();
    bar.set_message(format!("connecting to {url}"));
    let session = cjm_spark::client::Session::connect(url, args.verbose).map_err(|e| worded(e, args.verbose))?;
    let step = |name: &str| bar.set_message(format!("Spark {}: {name}", session.version));
    step("reading the log");
    let source = crate::spark::source(log, args.table.as_deref());
    let (columns, foreign) =
        crate::spark::opened(&session, &source, &args.read.with_data(map.data.as_ref()), &args.read, args.verbose)?;
    if let Some(f) = &foreign {
        bar.suspend(|| crate::spark::say_read(&source, f));
    }
    let measured = session.measure(map, &columns, None, &step);
    bar.finish_and_clear();
    drop(session);
    measured.map_err(|e| worded(e, args.verbose))
}

#[cfg(not(feature = "spark"))]
fn measure_on_spark(_args: &Args, _map: &cjm_model::Journey, _log: &str) -> Result<Measurement, CliError> {
    Err(crate::spark::without_spark())
}
