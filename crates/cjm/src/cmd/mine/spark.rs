//! `cjm mine --spark sc://HOST:PORT`: the same summary and analysis,
//! computed on Apache Spark. The plan (cjm-spark's SQL) runs on the
//! cluster, which returns exact parts only; cjm-mine's finishers turn them
//! into the summary and the analysis, so the bytes are the embedded
//! engine's. `--explain` prints the plan.

use super::chart::ChartKind;
use super::{Args, Narrowing, OutFormat};
use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_mine::analysis::{Analysis, FunnelSpec};
use cjm_spark::sql::{AnalysisRequest, Request};

pub(super) fn run(args: &Args) -> Result<Outcome, CliError> {
    let (spark, table, log) = (args.spark.is_some(), args.table.is_some(), args.log.is_some());
    crate::spark::check_flags(spark, args.explain, table, log, &args.read)?;
    refuse_what_spark_lacks(args)?;
    let narrowing = Narrowing::parse(args)?;
    let req = match args.chart {
        Some(kind) => chart_request(args, kind, &narrowing)?,
        None => request(args, &narrowing)?,
    };
    if args.explain {
        emit(args.output.as_deref(), explained(args, req, &narrowing).as_bytes())?;
        return Ok(Outcome::Ok);
    }
    if let Some(kind) = args.chart {
        let target = super::chart::target(args)?;
        let mined = on_spark(req, &narrowing, args)?;
        return super::chart::save(kind, &drawn(args, kind, mined)?, target).map(|()| Outcome::Ok);
    }
    let mined = on_spark(req, &narrowing, args)?;
    if mined.summary.n_events == 0 {
        return Err(CliError::usage(format!("{}: no events left (check --from, --to and --where)", shown(args))));
    }
    warn_unknown_steps(&mined.summary, &args.funnel_steps());
    if let Some(path) = &args.export_dropped {
        super::export_dropped(path, mined.analysis.as_ref())?;
    }
    let paths = match mined.paths {
        Some((parts, known)) => {
            Some(cjm_analytics::paths_of(parts, &super::chart::paths_spec(args), known).map_err(super::chart::worded)?)
        }
        None => None,
    };
    let (read, summary, analysis) = (&mined.read, &mined.summary, mined.analysis.as_ref());
    let text = match args.format {
        OutFormat::SummaryJson => cjm_mine::summary_json(summary),
        OutFormat::Json => {
            super::json_report(args, &shown(args), read, summary, analysis, mined.breakdown.as_deref(), paths)?
        }
        OutFormat::Text => super::report::text(args, &shown(args), read, summary, analysis, mined.breakdown.as_deref()),
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

/// `--explain`: the plan, and with `--by` the plan of one value's
/// segment. With no server there are no columns: `--where` names the
/// column as given (`channel` the channel's).
fn explained(args: &Args, mut req: Request, narrowing: &Narrowing) -> String {
    if let Some((name, values)) = &narrowing.where_ {
        let column = if name == "channel" { "cjm_channel".to_string() } else { name.clone() };
        req.narrowing.where_ = vec![(column, values.clone())];
    }
    let mut text = cjm_spark::sql::plan(&req).explain();
    if let (Some(by), None) = (&args.by, args.chart) {
        let column = if by == "channel" { "cjm_channel".to_string() } else { format!("case:{by}") };
        text.push_str(&format!(
            "-- --by {by}: then, over the segments of its column (a customer attribute `case:{by}`, else an \
             event attribute `{by}`, else the channel; at most {} values), this plan, its answers per segment `g`:\n\n",
            cjm_spark::sql::MAX_BY_VALUES
        ));
        text.push_str(&cjm_spark::sql::plan(&segments(args, &req, &column)).explain());
    }
    text
}

/// The request of `--chart KIND`: only what the chart draws.
fn chart_request(args: &Args, kind: ChartKind, n: &Narrowing) -> Result<Request, CliError> {
    let base = request(args, n)?;
    let mut req = Request { narrowing: base.narrowing, ..Request::default() };
    match kind {
        ChartKind::Funnel => {
            let steps = args.funnel_steps();
            if steps.is_empty() {
                let message = "choose the funnel's steps: at least one touchpoint".to_string();
                return Err(super::chart::worded(cjm_analytics::QueryError { field: "steps", message }));
            }
            let funnel = FunnelSpec {
                steps,
                any_order: args.funnel_any_order,
                strict: args.funnel_strict,
                window_seconds: n.window,
            };
            req.analysis = Some(AnalysisRequest { follows: 0, funnel: Some(funnel), dropped: false, conversion: true });
        }
        ChartKind::Paths => {
            let spec = super::chart::paths_spec(args);
            cjm_analytics::check_paths(&spec).map_err(super::chart::worded)?;
            req.paths = Some(spec);
        }
        ChartKind::Process => req.analysis = Some(AnalysisRequest::default()),
        ChartKind::Variants => req.top = cjm_analytics::variants_top(args.top),
        ChartKind::Trend => {
            let interval = args.interval.as_deref().unwrap_or("week");
            req.trend = Some(cjm_analytics::parse_interval(interval).map_err(super::chart::worded)?);
        }
    }
    Ok(req)
}

/// The chart of `kind` from what its request gave, as the embedded
/// engine draws it.
fn drawn(args: &Args, kind: ChartKind, m: Mined) -> Result<cjm_render::charts::Chart, CliError> {
    let shown = super::chart::shown_log(args);
    let missing = |what: &str| CliError::input(format!("the Spark plan of the {what} chart gave no {what}"));
    let w = super::chart::worded;
    Ok(match kind {
        ChartKind::Funnel => {
            let report = m.analysis.and_then(|a| a.funnel).ok_or_else(|| missing("funnel"))?;
            let mut view = cjm_analytics::funnel_of(m.summary.n_customers, report);
            if let (Some(by), Some(parts)) = (&args.by, m.breakdown) {
                view = cjm_analytics::broken_down(view, by, parts);
            }
            cjm_analytics::funnel_chart(&view, &shown)
        }
        ChartKind::Paths => {
            let spec = super::chart::paths_spec(args);
            let (parts, known) = m.paths.ok_or_else(|| missing("paths"))?;
            cjm_analytics::paths_chart(
                &cjm_analytics::paths_of(parts, &spec, known).map_err(w)?,
                &spec,
                &shown,
                &|_| None,
            )
        }
        ChartKind::Process => {
            let edges = m.analysis.map(|a| a.edge_times).unwrap_or_default();
            let v = cjm_analytics::process_of(&m.summary, &edges, args.simplify).map_err(w)?;
            cjm_analytics::process_chart(&v, args.performance, &shown, &|_| None)
        }
        ChartKind::Variants => cjm_analytics::variants_chart(&cjm_analytics::variants_of(m.summary), &shown),
        ChartKind::Trend => {
            let (parts, conversion) = m.trend.ok_or_else(|| missing("trend"))?;
            let interval = cjm_analytics::parse_interval(args.interval.as_deref().unwrap_or("week")).map_err(w)?;
            cjm_analytics::trend_chart(
                &cjm_analytics::trend_of(parts, conversion, interval, Vec::new()).map_err(w)?,
                &shown,
            )
        }
    })
}

/// What one run on Spark gives.
struct Mined {
    summary: cjm_mine::Summary,
    /// With `--format json` or `text`.
    analysis: Option<Analysis>,
    /// What reading the log found (the rows before any filter).
    read: cjm_events::ReadStats,
    /// With `--by` (and a text or JSON report): each value's figures.
    breakdown: Option<Vec<super::Part>>,
    /// With `--paths-from` or `--paths-into` (and a JSON report): their
    /// parts, and whether the log has the anchor's touchpoint.
    paths: Option<(cjm_mine::paths::PathParts, bool)>,
    trend: Option<(Vec<cjm_mine::trend::TrendPart>, Option<Vec<cjm_mine::trend::ConversionPart>>)>,
}

/// The request of `--by`'s segments, all at once: the customers of each
/// value of `column`, the summary (the text report lists five variants)
/// and, for JSON, the analysis without the dropped customers.
fn segments(args: &Args, req: &Request, column: &str) -> Request {
    // A funnel chart draws each segment's funnel.
    let json = args.format == OutFormat::Json || args.chart.is_some();
    let mut seg = req.clone();
    seg.narrowing.breakdown = Some(column.to_string());
    seg.paths = None;
    seg.top = if json { args.top } else { args.top.min(5) };
    seg.analysis = req.analysis.clone().filter(|_| json).map(|a| AnalysisRequest { dropped: false, ..a });
    seg
}

/// The log as reports name it: the path as given, or the table.
fn shown(args: &Args) -> String {
    match &args.table {
        Some(t) => format!("table {t}"),
        None => args.log().to_string(),
    }
}

/// The plan's request from the flags (`--where`'s column still the
/// attribute's name: the log's columns resolve it).
fn request(args: &Args, n: &Narrowing) -> Result<Request, CliError> {
    let steps = args.funnel_steps();
    let analysis = (args.format != OutFormat::SummaryJson).then(|| AnalysisRequest {
        follows: args.follows,
        funnel: (!steps.is_empty()).then(|| FunnelSpec {
            steps: steps.clone(),
            any_order: args.funnel_any_order,
            strict: args.funnel_strict,
            window_seconds: n.window,
        }),
        dropped: args.export_dropped.is_some(),
        conversion: false,
    });
    let json = args.format == OutFormat::Json;
    let paths =
        (json && (args.paths_from.is_some() || args.paths_into.is_some())).then(|| super::chart::paths_spec(args));
    if let Some(spec) = &paths {
        cjm_analytics::check_paths(spec).map_err(super::chart::worded)?;
    }
    Ok(Request {
        funnel: steps,
        top: args.top,
        narrowing: cjm_spark::sql::Narrowing {
            from: n.from,
            to: n.to,
            where_: n.where_.clone().into_iter().collect(),
            gap: n.gap.map(|g| g.saturating_mul(1_000_000)),
            by: None,
            cover: args.cover,
            variant: None,
            breakdown: None,
        },
        analysis,
        trend: None,
        paths,
    })
}

/// A funnel step no event has reaches nobody: say so, with a guess.
fn warn_unknown_steps(summary: &cjm_mine::Summary, funnel: &[String]) {
    let names: Vec<&str> = summary.touchpoints.iter().map(|t| t.touchpoint.as_str()).collect();
    for step in funnel {
        if !names.contains(&step.as_str()) {
            let hint = cjm_syntax::keys::did_you_mean(step, names.iter().copied())
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            eprintln!("warning: funnel step `{step}` is not a touchpoint of this log{hint}; nobody reaches it");
        }
    }
}

/// The flags of `cjm mine` the Spark plans do not compute yet: each is
/// refused by name rather than silently ignored.
fn refuse_what_spark_lacks(args: &Args) -> Result<(), CliError> {
    if args.follows > cjm_spark::sql::MAX_FOLLOWS && args.format != OutFormat::SummaryJson {
        return Err(CliError::usage(format!(
            "--follows {}: on Spark at most {} steps apart (one window term a step)",
            args.follows,
            cjm_spark::sql::MAX_FOLLOWS
        )));
    }
    Ok(())
}

#[cfg(feature = "spark")]
fn on_spark(mut req: Request, narrowing: &Narrowing, args: &Args) -> Result<Mined, CliError> {
    use crate::spark::progress;
    use cjm_spark::client::{ClientError, Session};
    let url = args.spark.as_deref().unwrap_or_default();
    let worded = |e: ClientError| crate::spark::worded(e, args.verbose);
    let bar = progress();
    bar.set_message(format!("connecting to {url}"));
    let session = Session::connect(url, args.verbose).map_err(worded)?;
    let step = |name: &str| bar.set_message(format!("Spark {}: {name}", session.version));
    step("reading the log");
    let source = crate::spark::source(args.log(), args.table.as_deref());
    let (columns, foreign) = crate::spark::opened(&session, &source, &args.read, &args.read, args.verbose)?;
    if let Some(f) = &foreign {
        bar.suspend(|| crate::spark::say_read(&source, f));
    }
    if let Some((name, values)) = &narrowing.where_ {
        let column =
            cjm_spark::sql::where_column(&columns, name).map_err(|e| CliError::usage(format!("--where: {e}")))?;
        req.narrowing.where_ = vec![(column, values.clone())];
    }
    let cjm_spark::client::Mined { summary, analysis, rows, trend, paths } =
        session.mine(&req, &step).map_err(worded)?;
    let breakdown = match (&args.by, args.format, args.chart) {
        (Some(by), OutFormat::Json | OutFormat::Text, None) | (Some(by), _, Some(ChartKind::Funnel)) => {
            let column = cjm_spark::sql::by_column(&columns, by).map_err(|e| CliError::usage(format!("--by: {e}")))?;
            let wanted = std::collections::BTreeSet::from([column.clone()]);
            let values = session.values(&wanted, &step).map_err(worded)?.remove(&column).unwrap_or_default();
            if values.len() > cjm_spark::sql::MAX_BY_VALUES {
                return Err(CliError::usage(format!(
                    "--by {by}: the log has {} values of it; on Spark a breakdown takes at most {}",
                    values.len(),
                    cjm_spark::sql::MAX_BY_VALUES
                )));
            }
            drop(values);
            step(&format!("--by {by}"));
            Some(session.breakdown(&segments(args, &req, &column), &step).map_err(worded)?)
        }
        _ => None,
    };
    bar.finish_and_clear();
    drop(session);
    // A foreign log's read counts every row, bad ones and other lifecycle
    // events too, as cjm's reader does.
    let read = match foreign {
        Some(f) => f.stats,
        None => cjm_events::ReadStats { rows, ..Default::default() },
    };
    Ok(Mined { summary, analysis, read, breakdown, paths, trend })
}

#[cfg(not(feature = "spark"))]
fn on_spark(_req: Request, _narrowing: &Narrowing, _args: &Args) -> Result<Mined, CliError> {
    Err(crate::spark::without_spark())
}
