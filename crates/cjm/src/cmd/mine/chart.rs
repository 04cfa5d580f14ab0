//! `cjm mine --chart`: a view of `cjm-analytics` drawn for a deck, from
//! the same figures the report prints and the web app's log pages show.

use super::Args;
use crate::CliError;
use cjm_analytics::QueryError;
use cjm_mine::analysis::FunnelSpec;
use cjm_mine::paths::{Anchor, PathsSpec};
use cjm_render::charts::Chart;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ChartKind {
    /// Customers through the --funnel steps, with conversion and drop-off (--by: grouped bars)
    Funnel,
    /// A Sankey of the paths from the first event, --paths-from or --paths-into, --depth steps
    Paths,
    /// The directly-follows graph, laid out in layers (--simplify, --performance)
    Process,
    /// The most frequent variants (--top), their share and coverage
    Variants,
    /// Active and new customers per --interval (day, week, month)
    Trend,
}

impl ChartKind {
    fn name(self) -> &'static str {
        match self {
            ChartKind::Funnel => "funnel",
            ChartKind::Paths => "paths",
            ChartKind::Process => "process",
            ChartKind::Variants => "variants",
            ChartKind::Trend => "trend",
        }
    }
}

/// Draws the chart and writes it where `-o` says, in the format its
/// extension names.
pub(crate) fn write(
    args: &Args,
    kind: ChartKind,
    log: &cjm_events::EventLog,
    spec: &FunnelSpec,
) -> Result<(), CliError> {
    let target = target(args)?;
    let chart = build(args, kind, log, spec).map_err(worded)?;
    save(kind, &chart, target)
}

/// Where `-o` says the chart goes, and its format (checked before any
/// work).
pub(crate) fn target(args: &Args) -> Result<(&std::path::Path, String), CliError> {
    let Some(out) = &args.output else {
        return Err(CliError::usage("--chart needs a file to write: -o funnel.svg (or .png, .pdf)"));
    };
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    if !matches!(ext.as_str(), "svg" | "png" | "pdf") {
        return Err(CliError::usage(format!(
            "cannot tell the chart's format from `{}`; use .svg, .png or .pdf",
            out.display()
        )));
    }
    Ok((out, ext))
}

/// Writes the drawn chart to its target, whole or not at all.
pub(crate) fn save(kind: ChartKind, chart: &Chart, (out, ext): (&std::path::Path, String)) -> Result<(), CliError> {
    let bytes = cjm_render::charts::chart_file(chart, &ext).map_err(|e| CliError::usage(e.to_string()))?;
    crate::output::write_atomic(out, &bytes)?;
    eprintln!("wrote the {} chart to {}", kind.name(), out.display());
    Ok(())
}

/// A question's error, named by its flag.
pub(crate) fn worded(e: QueryError) -> CliError {
    CliError::usage(format!("{}: {e}", flag(e.field)))
}

/// The flag a question's field comes from.
pub(crate) fn flag(field: &str) -> &'static str {
    match field {
        "steps" => "--funnel",
        "by" => "--by",
        "interval" => "--interval",
        "depth" => "--depth",
        "anchor" => "--paths-from/--paths-into",
        "simplify" => "--simplify",
        "where" => "--where",
        _ => "--chart",
    }
}

/// The log as a chart's title names it: its file name, or the table.
pub(crate) fn shown_log(args: &Args) -> String {
    if let Some(t) = &args.table {
        return t.clone();
    }
    std::path::Path::new(args.log()).file_name().map_or(args.log().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The paths question of the flags.
pub(crate) fn paths_spec(args: &Args) -> PathsSpec {
    let anchor = match (&args.paths_from, &args.paths_into) {
        (Some(t), _) => Anchor::From(t.clone()),
        (None, Some(t)) => Anchor::Into(t.clone()),
        (None, None) => Anchor::Start,
    };
    PathsSpec { anchor, depth: args.depth, min_share: 0.01, per_column: 8 }
}

fn build(args: &Args, kind: ChartKind, log: &cjm_events::EventLog, spec: &FunnelSpec) -> Result<Chart, QueryError> {
    let shown = shown_log(args);
    Ok(match kind {
        ChartKind::Funnel => {
            cjm_analytics::funnel_chart(&cjm_analytics::funnel(log, spec, args.by.as_deref())?, &shown)
        }
        ChartKind::Paths => {
            let spec = paths_spec(args);
            cjm_analytics::paths_chart(&cjm_analytics::paths(log, &spec)?, &spec, &shown, &|_| None)
        }
        ChartKind::Process => {
            let v = cjm_analytics::process(log, args.simplify)?;
            cjm_analytics::process_chart(&v, args.performance, &shown, &|_| None)
        }
        ChartKind::Variants => cjm_analytics::variants_chart(&cjm_analytics::variants(log, args.top), &shown),
        ChartKind::Trend => {
            let interval = cjm_analytics::parse_interval(args.interval.as_deref().unwrap_or("week"))?;
            cjm_analytics::trend_chart(&cjm_analytics::trend(log, interval, None)?, &shown)
        }
    })
}
