//! `cjm mine --spark sc://HOST:PORT`: the same summary, computed on Apache
//! Spark. The plan (cjm-spark's SQL) runs on the cluster, which returns
//! exact parts only; cjm-mine's `finish` turns them into the summary, so
//! the bytes are the embedded engine's. `--explain` prints the plan.

use super::{Args, OutFormat};
use crate::output::emit;
use crate::{CliError, Outcome};

pub(super) fn run(args: &Args) -> Result<Outcome, CliError> {
    if args.spark.is_none() && !args.explain {
        return Err(CliError::usage("--table reads a table of a Spark session: give --spark sc://HOST:PORT too"));
    }
    if args.table.is_some() && args.log.is_some() {
        return Err(CliError::usage("give either a log or --table, not both"));
    }
    refuse_what_spark_lacks(args)?;
    let funnel = args.funnel_steps();
    let plan = cjm_spark::sql::summary_plan(&funnel, args.top);
    if args.explain {
        emit(args.output.as_deref(), plan.explain().as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let summary = on_spark(&plan, &funnel, args)?;
    emit(args.output.as_deref(), cjm_mine::summary_json(&summary).as_bytes())?;
    Ok(Outcome::Ok)
}

/// The flags of `cjm mine` the Spark plans do not compute yet: each is
/// refused by name rather than silently ignored.
fn refuse_what_spark_lacks(args: &Args) -> Result<(), CliError> {
    if let Some(flag) = args.read.first_given() {
        return Err(CliError::usage(format!(
            "{flag}: with --spark the log is read in cjm's canonical layout, whose columns are fixed; \
             give {flag} to `cjm export` when writing it"
        )));
    }
    let lacking = [
        (args.format != OutFormat::SummaryJson && !args.explain, "--format text and json (use --format summary-json)"),
        (args.chart.is_some(), "--chart"),
        (args.by.is_some(), "--by"),
        (args.gap.is_some(), "--gap"),
        (args.from.is_some(), "--from"),
        (args.to.is_some(), "--to"),
        (args.where_.is_some(), "--where"),
        (args.cover.is_some(), "--cover"),
        (args.simplify.is_some(), "--simplify"),
        (args.export_dropped.is_some(), "--export-dropped"),
        (args.funnel_any_order, "--funnel-any-order"),
        (args.funnel_strict, "--funnel-strict"),
        (args.window.is_some(), "--window"),
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

/// The log as the cluster sees it: a table, a URI, or a local path made
/// absolute (the server does not share this shell's directory).
#[cfg(feature = "spark")]
fn source(args: &Args) -> cjm_spark::client::Source {
    use cjm_spark::client::Source;
    let log = args.log();
    match &args.table {
        Some(t) => Source::Table(t.clone()),
        None if log.contains("://") => Source::Parquet(log.to_string()),
        None => Source::Parquet(
            std::fs::canonicalize(log).map_or_else(|_| log.to_string(), |p| p.to_string_lossy().into_owned()),
        ),
    }
}

#[cfg(feature = "spark")]
fn on_spark(plan: &cjm_spark::sql::Plan, funnel: &[String], args: &Args) -> Result<cjm_mine::Summary, CliError> {
    use cjm_spark::client::{ClientError, Session};
    let url = args.spark.as_deref().unwrap_or_default();
    let worded = |e: ClientError| {
        let mut message = e.to_string();
        match &e {
            ClientError::MissingColumns { .. } => {
                message.push_str("; write the log with `cjm export LOG --to parquet -o OUT.parquet`")
            }
            ClientError::Spark { step, .. } if step.starts_with("reading") && !args.verbose => {
                message.push_str(" (is it in cjm's canonical layout? `cjm export LOG --to parquet` writes it)")
            }
            ClientError::Spark { stack: Some(stack), .. } if args.verbose => {
                message.push('\n');
                message.push_str(stack);
            }
            ClientError::Spark { stack: Some(_), .. } => message.push_str(" (--verbose shows the JVM's stack)"),
            _ => {}
        }
        match e {
            ClientError::BadAddress { .. } | ClientError::Unreachable { .. } | ClientError::OldSpark { .. } => {
                CliError::usage(message)
            }
            _ => CliError::input(message),
        }
    };
    let bar = progress();
    bar.set_message(format!("connecting to {url}"));
    let session = Session::connect(url, args.verbose).map_err(worded)?;
    let results = {
        let step = |name: &str| bar.set_message(format!("Spark {}: {name}", session.version));
        session.run(plan, &source(args), &step)
    };
    bar.finish_and_clear();
    drop(session);
    let results = results.map_err(worded)?;
    cjm_spark::summary(&results, funnel, args.top).map_err(|e| CliError::input(e.to_string()))
}

#[cfg(feature = "spark")]
fn progress() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

#[cfg(not(feature = "spark"))]
fn on_spark(_plan: &cjm_spark::sql::Plan, _funnel: &[String], _args: &Args) -> Result<cjm_mine::Summary, CliError> {
    Err(CliError::usage(
        "this cjm was built without Spark: build it with `cargo build --release -p cjm --features spark` \
         (needs protoc, e.g. `apt-get install protobuf-compiler`); --explain prints the SQL without it",
    ))
}
