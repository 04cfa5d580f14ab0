//! `cjm mine --chart`: the funnel or the top variants drawn for a deck,
//! from the same figures the report prints.

use super::Args;
use crate::CliError;
use cjm_mine::analysis::Analysis;
use cjm_mine::Summary;
use cjm_render::charts::{Chart, FunnelBar, FunnelChart, TrendBar, TrendChart, VariantBar, VariantsChart};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ChartKind {
    /// Customers through the --funnel steps, with conversion and drop-off
    Funnel,
    /// The most frequent variants (--top), their share and coverage
    Variants,
    /// Active and new customers per --interval (day, week, month)
    Trend,
}

/// Draws the chart and writes it where `-o` says, in the format its
/// extension names.
pub(crate) fn write(
    args: &Args,
    kind: ChartKind,
    log: &cjm_events::EventLog,
    summary: &Summary,
    analysis: &Analysis,
) -> Result<(), CliError> {
    let Some(out) = &args.output else {
        return Err(CliError::usage("--chart needs a file to write: -o funnel.svg (or .png, .pdf)"));
    };
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let chart = build(args, kind, log, summary, analysis)?;
    let bytes = match ext.as_str() {
        "svg" => cjm_render::charts::chart_svg(&chart, true).into_bytes(),
        "png" => cjm_render::charts::chart_png(&chart, 2.0).map_err(|e| CliError::usage(e.to_string()))?,
        "pdf" => cjm_render::charts::chart_pdf(&chart).map_err(|e| CliError::usage(e.to_string()))?,
        _ => {
            return Err(CliError::usage(format!(
                "cannot tell the chart's format from `{}`; use .svg, .png or .pdf",
                out.display()
            )))
        }
    };
    crate::output::write_atomic(out, &bytes)?;
    let name = match kind {
        ChartKind::Funnel => "funnel",
        ChartKind::Variants => "variants",
        ChartKind::Trend => "trend",
    };
    eprintln!("wrote the {name} chart to {}", out.display());
    Ok(())
}

fn shown_log(args: &Args) -> String {
    std::path::Path::new(&args.log).file_name().map_or(args.log.clone(), |n| n.to_string_lossy().into_owned())
}

fn trend(args: &Args, log: &cjm_events::EventLog) -> Result<Chart, CliError> {
    use cjm_mine::trend::Interval;
    let interval = match args.interval.as_deref().unwrap_or("week") {
        "day" => Interval::Day,
        "week" => Interval::Week,
        "month" => Interval::Month,
        other => return Err(CliError::usage(format!("--interval: expected day, week or month, found `{other}`"))),
    };
    let j = cjm_mine::journeys::build(log);
    let buckets = cjm_mine::trend::trend(&j, interval)
        .map_err(|e| CliError::usage(format!("--chart trend: {e} (--interval)")))?;
    let per = match interval {
        Interval::Day => "day",
        Interval::Week => "week (from Monday)",
        Interval::Month => "month",
    };
    Ok(TrendChart {
        title: format!("Customers over time in {}", shown_log(args)),
        subtitle: format!("active customers per {per}, UTC"),
        buckets: buckets
            .into_iter()
            .map(|b| TrendBar {
                start: b.start,
                events: b.events,
                customers: b.customers,
                new_customers: b.new_customers,
            })
            .collect(),
    }
    .into())
}

fn build(
    args: &Args,
    kind: ChartKind,
    log: &cjm_events::EventLog,
    summary: &Summary,
    analysis: &Analysis,
) -> Result<Chart, CliError> {
    let shown = shown_log(args);
    let customers = summary.n_customers;
    Ok(match kind {
        ChartKind::Funnel => {
            let Some(f) = analysis.funnel.as_ref() else {
                return Err(CliError::usage("--chart funnel needs the steps: --funnel A,B,C"));
            };
            let how = match (f.ordered, f.strict) {
                (false, _) => "in any order",
                (true, true) => "each directly after the previous",
                (true, false) => "in order",
            };
            let window =
                f.window_seconds.map_or(String::new(), |w| format!(", within {}", cjm_render::duration(w as f64)));
            FunnelChart {
                title: format!("Funnel in {shown}"),
                subtitle: format!("{} customers; steps {how}{window}", cjm_render::group_digits(customers)),
                customers,
                steps: f
                    .steps
                    .iter()
                    .map(|s| FunnelBar {
                        name: s.touchpoint.clone(),
                        reached: s.reached,
                        median_seconds_from_start: s.median_seconds_from_start,
                    })
                    .collect(),
            }
            .into()
        }
        ChartKind::Variants => VariantsChart {
            title: format!("Top variants in {shown}"),
            subtitle: format!(
                "{} customers, {} variants; the {} most frequent",
                cjm_render::group_digits(customers),
                cjm_render::group_digits(summary.n_variants),
                summary.top_variants.len()
            ),
            customers,
            variants: summary
                .top_variants
                .iter()
                .map(|v| VariantBar { sequence: v.sequence.clone(), customers: v.count })
                .collect(),
        }
        .into(),
        ChartKind::Trend => trend(args, log)?,
    })
}
