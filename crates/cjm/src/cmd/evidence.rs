//! `cjm measure` and `cjm discover`: maps and evidence together.

use crate::cmd::mine::LogArgs;
use crate::input;
use crate::output::{emit, write_atomic};
use crate::{CliError, Outcome};
use cjm_mine::measure::Measurement;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Measure a map against an event log, step by step",
    long_about = "Measure a map against an event log, step by step.\n\n\
Each step's `evidence:` rule finds its events. Per step: customers reached, share of the previous \
step, drop-off, median time since the previous step, mean score; per stage: conversion. Steps \
whose rule matches nothing are flagged, and frequent touchpoints the map does not show are listed.",
    after_help = "Examples:\n  cjm measure checkout.cjm events.parquet\n  cjm measure checkout.cjm events.csv --format json -o measured.json\n  cjm render checkout.cjm --events events.parquet -o measured.png"
)]
pub struct MeasureArgs {
    /// The map (.cjm, .mmd, .md, .json)
    map: String,
    /// The event log [default: the map's `data` block]
    log: Option<String>,
    #[command(flatten)]
    read: LogArgs,
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

/// Reads a map for a command that needs one without errors.
pub fn load_map(path: &str) -> Result<Option<cjm_model::Journey>, CliError> {
    load_map_as(path, None)
}

/// [`load_map`] with the input kind given (`--from`). Diagnostics go to
/// stderr; `None` means the map has errors (already reported).
pub fn load_map_as(path: &str, kind: Option<input::Kind>) -> Result<Option<cjm_model::Journey>, CliError> {
    let (source, encoding) = input::read(path, kind)?;
    if let Some(d) = encoding {
        input::report(&source, &[d]);
        return Ok(None);
    }
    let mut maps = input::maps(&source);
    if maps.is_empty() {
        input::report(&source, &[input::no_map_diagnostic()]);
        return Ok(None);
    }
    let map = maps.swap_remove(0);
    input::report(&source, &map.diagnostics);
    if map.has_errors() {
        eprintln!("cjm: `{}` has errors; nothing done", source.name);
        return Ok(None);
    }
    Ok(Some(map.journey))
}

pub fn measure(args: MeasureArgs) -> Result<Outcome, CliError> {
    let Some(map) = load_map(&args.map)? else { return Ok(Outcome::Failed) };
    if map.steps().all(|s| s.evidence.is_none()) {
        return Err(CliError::usage(format!(
            "`{}` has no `evidence:` rules, so nothing can be measured; add one under each step, e.g. `evidence: touchpoint = \"checkout\"` (or start from `cjm discover`)",
            args.map
        )));
    }
    let log_path = log_path(args.log.as_deref(), &args.map, &map)?;
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
        "{}: measured against {} customers, {} events",
        map.title.as_deref().unwrap_or("map"),
        m.customers,
        m.events
    );
    let _ = writeln!(
        out,
        "\n  {:<36} {:>9} {:>8} {:>8} {:>10} {:>6}",
        "step", "reached", "of prev", "drop", "median", "score"
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
        let _ = writeln!(
            out,
            "  {name:<36} {:>9} {:>8} {:>8} {:>10} {:>6}",
            s.reached,
            pct(s.share_of_previous),
            pct(s.drop_off),
            median,
            score
        );
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

/// The log to measure: given on the command line, or named by the map's
/// `data` block (relative to the map file).
pub fn log_path(given: Option<&str>, map_path: &str, map: &cjm_model::Journey) -> Result<String, CliError> {
    if let Some(p) = given {
        return Ok(p.to_string());
    }
    match map.data.as_ref().and_then(|d| d.log.as_ref()) {
        Some(log) => {
            let base = std::path::Path::new(map_path).parent().unwrap_or(std::path::Path::new("."));
            Ok(base.join(log).display().to_string())
        }
        None => Err(CliError::usage(format!(
            "no event log given: name one after the map, or add `data LOG` to `{map_path}` (see docs/format.md, \"Data\")"
        ))),
    }
}

#[derive(clap::Args)]
#[command(
    about = "Draft a map from an event log",
    long_about = "Draft a map from an event log: stages and steps along the dominant path (the most frequent \
variant and the main transitions), each step with its mean score on 1..5, its channels, an evidence \
rule that finds it, and its measured reach as a comment. A starting point to edit.",
    after_help = "Examples:\n  cjm discover events.parquet -o draft.cjm\n  cjm discover receipt.xes.gz --title \"Permit application\" --max-steps 8"
)]
pub struct DiscoverArgs {
    /// The event log
    log: String,
    #[command(flatten)]
    read: LogArgs,
    /// The draft's title (default: from the log's file name)
    #[arg(long)]
    title: Option<String>,
    /// At most this many steps
    #[arg(long, default_value = "12")]
    max_steps: usize,
    /// Write to this file (refuses to overwrite without --force)
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Overwrite the output file
    #[arg(long)]
    force: bool,
}

pub fn discover(args: DiscoverArgs) -> Result<Outcome, CliError> {
    if !(1..=200).contains(&args.max_steps) {
        return Err(CliError::usage(format!("--max-steps {}: expected 1 to 200", args.max_steps)));
    }
    let log = args.read.read(&args.log)?;
    if log.is_empty() {
        return Err(CliError::usage(format!("{}: the log holds no events", args.log)));
    }
    let file =
        std::path::Path::new(&args.log).file_name().map_or(args.log.clone(), |f| f.to_string_lossy().into_owned());
    let title = args.title.clone().unwrap_or_else(|| format!("Journeys in {file}"));
    let text = cjm_mine::discover::discover(
        &log,
        &cjm_mine::discover::DiscoverOptions { title, source: file, max_steps: args.max_steps },
    );
    // The draft must read back without errors: check it before handing it over.
    let check = cjm_model::check(&text);
    if check.has_errors() {
        let first = check.diagnostics.iter().find(|d| d.is_error()).map(|d| d.message.clone()).unwrap_or_default();
        return Err(CliError::usage(format!("the draft does not read back ({first}); please report this")));
    }
    match &args.output {
        Some(path) if path.exists() && !args.force => {
            Err(CliError::usage(format!("`{}` already exists; add --force to overwrite it", path.display())))
        }
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {}; next: cjm measure {} {}", path.display(), path.display(), args.log);
            Ok(Outcome::Ok)
        }
        None => {
            emit(None, text.as_bytes())?;
            Ok(Outcome::Ok)
        }
    }
}
