//! What `cjm mine --spark` and `cjm measure --spark` share: the log as the
//! cluster sees it, the client's errors worded for people, the progress
//! line, and what a build without the `spark` feature says.

use crate::CliError;

/// The flags every `--spark` command checks first: `--table` needs
/// `--spark` (or `--explain`), a log and a table exclude each other, and
/// the log flags give the rules a log not in the canonical layout is read
/// by (those that do not apply on a cluster are refused).
pub(crate) fn check_flags(
    spark: bool,
    explain: bool,
    table: bool,
    log: bool,
    read: &crate::logs::LogArgs,
) -> Result<cjm_spark::foreign::Rules, CliError> {
    if !spark && !explain {
        return Err(CliError::usage("--table reads a table of a Spark session: give --spark sc://HOST:PORT too"));
    }
    if table && log {
        return Err(CliError::usage("give either a log or --table, not both"));
    }
    read.spark_rules()
}

/// The log opened on the cluster, read by `read`'s rules: its columns,
/// and for a log not in the canonical layout how it was read. A log in the
/// layout takes no log flag (`flags`, those given): its columns and rules
/// are fixed.
#[cfg(feature = "spark")]
pub(crate) fn opened(
    session: &cjm_spark::client::Session,
    source: &cjm_spark::client::Source,
    read: &crate::logs::LogArgs,
    flags: &crate::logs::LogArgs,
    verbose: bool,
) -> Result<(Vec<String>, Option<cjm_spark::client::ForeignRead>), CliError> {
    let opened = session.open(source, &read.spark_rules()?).map_err(|e| worded(e, verbose))?;
    if opened.foreign.is_none() {
        if let Some(flag) = flags.first_given() {
            return Err(CliError::usage(format!(
                "{flag}: {source} is in cjm's canonical layout, whose columns and rules are fixed; \
                 give {flag} to `cjm export` when writing it"
            )));
        }
    }
    Ok((opened.columns, opened.foreign))
}

/// Says on stderr how a log not in the canonical layout was read: its
/// order and columns, then what the read found (as a read says it).
#[cfg(feature = "spark")]
pub(crate) fn say_read(source: &cjm_spark::client::Source, foreign: &cjm_spark::client::ForeignRead) {
    let r = &foreign.roles;
    let optional = |c: &Option<String>| c.as_ref().map_or("none".to_string(), |c| format!("`{c}`"));
    eprintln!(
        "note: {source} is not in cjm's canonical layout: read in the file's own row order (`_metadata.row_index`), \
         customer `{}`, time `{}`{}, touchpoint `{}`, channel {}, score {}",
        r.case,
        r.time,
        if foreign.nanos.is_some() { " (nanoseconds, cut to microseconds)" } else { "" },
        r.activity,
        optional(&r.channel),
        optional(&r.score),
    );
    crate::logs::report_read(&source.to_string(), &foreign.stats);
}

/// How to get a build that has the client.
#[cfg(not(feature = "spark"))]
pub(crate) fn without_spark() -> CliError {
    CliError::usage(
        "this cjm was built without Spark: build it with `cargo build --release -p cjm --features spark` \
         (needs protoc, e.g. `apt-get install protobuf-compiler libprotobuf-dev`); --explain prints the SQL without it",
    )
}

/// The log as the cluster sees it: a table, a URI, or a local path made
/// absolute (the server does not share this shell's directory).
#[cfg(feature = "spark")]
pub(crate) fn source(log: &str, table: Option<&str>) -> cjm_spark::client::Source {
    use cjm_spark::client::Source;
    match table {
        Some(t) => Source::Table(t.to_string()),
        None if log.contains("://") => Source::Parquet(log.to_string()),
        None => Source::Parquet(
            std::fs::canonicalize(log).map_or_else(|_| log.to_string(), |p| p.to_string_lossy().into_owned()),
        ),
    }
}

/// A client error as one line for people (the JVM's stack after it with
/// `verbose`): an address or version problem is a usage error, the rest
/// an input error.
#[cfg(feature = "spark")]
pub(crate) fn worded(e: cjm_spark::client::ClientError, verbose: bool) -> CliError {
    use cjm_spark::client::{ClientError, Source};
    let mut message = e.to_string();
    let stack = match &e {
        ClientError::Foreign { error: cjm_spark::foreign::ForeignError::Roles(_), .. } => {
            message.push_str(" (name the columns with --case, --time and --activity)");
            None
        }
        ClientError::Read { strict: true, .. } => {
            message.push_str(" (`--strict` stops at the first bad row)");
            None
        }
        ClientError::Foreign { .. } | ClientError::NoRowOrder { .. } => {
            message.push_str(
                "; or write the log in cjm's canonical layout with `cjm export LOG --to parquet -o OUT.parquet`",
            );
            None
        }
        ClientError::Source { source: Source::Parquet(_), stack, .. } => {
            message.push_str(" (is it a Parquet file or folder the cluster can read?)");
            stack.as_ref()
        }
        ClientError::Source { stack, .. } | ClientError::Spark { stack, .. } => stack.as_ref(),
        _ => None,
    };
    match stack {
        Some(stack) if verbose => {
            message.push('\n');
            message.push_str(stack);
        }
        Some(_) => message.push_str(" (--verbose shows the JVM's stack)"),
        None => {}
    }
    match e {
        ClientError::BadAddress { .. } | ClientError::Unreachable { .. } | ClientError::OldSpark { .. } => {
            CliError::usage(message)
        }
        _ => CliError::input(message),
    }
}

/// A spinner on stderr naming the step the cluster is on.
#[cfg(feature = "spark")]
pub(crate) fn progress() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
