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
    let log_path = input::log_path(args.log.as_deref(), &args.map, &map)?;
    let log = args.read.with_data(map.data.as_ref()).read(&log_path)?;
    let m = cjm_mine::measure::measure(&map, &log);
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
