//! `cjm mine --spark sc://HOST:PORT`: the same summary and analysis,
//! computed on Apache Spark. The plan (cjm-spark's SQL) runs on the
//! cluster, which returns exact parts only; cjm-mine's finishers turn them
//! into the summary and the analysis, so the bytes are the embedded
//! engine's. `--explain` prints the plan.

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
    let req = request(args, &narrowing);
    if args.explain {
        // No server, so no columns: `--where` names the column as given
        // (`channel` the channel's).
        let mut req = req;
        if let Some((name, values)) = &narrowing.where_ {
            let column = if name == "channel" { "cjm_channel".to_string() } else { name.clone() };
            req.narrowing.where_ = vec![(column, values.clone())];
        }
        let mut text = cjm_spark::sql::plan(&req).explain();
        if let Some(by) = &args.by {
            let column = if by == "channel" { "cjm_channel".to_string() } else { format!("case:{by}") };
            text.push_str(&format!(
                "-- --by {by}: then, for each value of its column (a customer attribute `case:{by}`, else an \
                 event attribute `{by}`, else the channel; at most {}), this plan for its customers:\n\n",
                cjm_spark::sql::MAX_BY_VALUES
            ));
            text.push_str(&cjm_spark::sql::plan(&segment(args, &req, &column, "VALUE")).explain());
        }
        emit(args.output.as_deref(), text.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let mined = on_spark(req, &narrowing, args)?;
    if mined.summary.n_events == 0 {
        return Err(CliError::usage(format!("{}: no events left (check --from, --to and --where)", shown(args))));
    }
    warn_unknown_steps(&mined.summary, &args.funnel_steps());
    if let Some(path) = &args.export_dropped {
        super::export_dropped(path, mined.analysis.as_ref())?;
    }
    let read = cjm_events::ReadStats { rows: mined.rows, ..Default::default() };
    let (summary, analysis) = (&mined.summary, mined.analysis.as_ref());
    let text = match args.format {
        OutFormat::SummaryJson => cjm_mine::summary_json(summary),
        OutFormat::Json => {
            super::json_report(args, &shown(args), &read, summary, analysis, mined.breakdown.as_deref(), None)?
        }
        OutFormat::Text => {
            super::report::text(args, &shown(args), &read, summary, analysis, mined.breakdown.as_deref())
        }
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

/// What one run on Spark gives.
struct Mined {
    summary: cjm_mine::Summary,
    /// With `--format json` or `text`.
    analysis: Option<Analysis>,
    /// The log's rows before any filter.
    rows: u64,
    /// With `--by` (and a text or JSON report): each value's figures.
    breakdown: Option<Vec<super::Part>>,
}

/// The request of one `--by` segment: the customers whose `column` holds
/// `value`, the summary (the text report lists five variants) and, for
/// JSON, the analysis without the dropped customers.
fn segment(args: &Args, req: &Request, column: &str, value: &str) -> Request {
    let json = args.format == OutFormat::Json;
    let mut seg = req.clone();
    seg.narrowing.by = Some((column.to_string(), value.to_string()));
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
fn request(args: &Args, n: &Narrowing) -> Request {
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
    Request {
        funnel: steps,
        top: args.top,
        narrowing: cjm_spark::sql::Narrowing {
            from: n.from,
            to: n.to,
            where_: n.where_.clone().into_iter().collect(),
            gap: n.gap.map(|g| g.saturating_mul(1_000_000)),
            by: None,
            cover: args.cover,
        },
        analysis,
        trend: None,
    }
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
    let lacking = [
        (args.chart.is_some(), "--chart"),
        (args.paths_from.is_some() || args.paths_into.is_some(), "--paths-from and --paths-into"),
    ];
    match crate::logs::first_set(lacking) {
        Some(what) => Err(CliError::usage(format!(
            "{what}: not computed on Spark yet; run without --spark on a copy of the log (`cjm export`), \
             or see `cjm mine --help`"
        ))),
        None => Ok(()),
    }
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
    let columns = session.open(&crate::spark::source(args.log(), args.table.as_deref())).map_err(worded)?;
    if let Some((name, values)) = &narrowing.where_ {
        let column =
            cjm_spark::sql::where_column(&columns, name).map_err(|e| CliError::usage(format!("--where: {e}")))?;
        req.narrowing.where_ = vec![(column, values.clone())];
    }
    let cjm_spark::client::Mined { summary, analysis, rows, .. } = session.mine(&req, &step).map_err(worded)?;
    let breakdown = match (&args.by, args.format) {
        (Some(by), OutFormat::Json | OutFormat::Text) => {
            let column = cjm_spark::sql::by_column(&columns, by).map_err(|e| CliError::usage(format!("--by: {e}")))?;
            let wanted = std::collections::BTreeSet::from([column.clone()]);
            let mut values = session.values(&wanted, &step).map_err(worded)?.remove(&column).unwrap_or_default();
            if values.len() > cjm_spark::sql::MAX_BY_VALUES {
                return Err(CliError::usage(format!(
                    "--by {by}: the log has {} values of it; on Spark a breakdown takes at most {} (one plan a value)",
                    values.len(),
                    cjm_spark::sql::MAX_BY_VALUES
                )));
            }
            values.sort();
            let mut parts = Vec::new();
            for v in values {
                step(&format!("--by {by} = {v}"));
                let seg = segment(args, &req, &column, &v);
                let m = session.mine(&seg, &step).map_err(worded)?;
                if m.summary.n_events > 0 {
                    parts.push((v, m.summary, m.analysis));
                }
            }
            Some(parts)
        }
        _ => None,
    };
    bar.finish_and_clear();
    drop(session);
    Ok(Mined { summary, analysis, rows, breakdown })
}

#[cfg(not(feature = "spark"))]
fn on_spark(_req: Request, _narrowing: &Narrowing, _args: &Args) -> Result<Mined, CliError> {
    Err(crate::spark::without_spark())
}
