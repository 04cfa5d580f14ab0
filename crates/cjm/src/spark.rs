//! What `cjm mine --spark` and `cjm measure --spark` share: the log as the
//! cluster sees it, the client's errors worded for people, the progress
//! line, and what a build without the `spark` feature says.

use crate::CliError;

/// The flags every `--spark` command checks first: `--table` needs
/// `--spark` (or `--explain`), a log and a table exclude each other, and
/// the log flags are refused (the canonical layout fixes the columns).
pub(crate) fn check_flags(
    spark: bool,
    explain: bool,
    table: bool,
    log: bool,
    read: &crate::logs::LogArgs,
) -> Result<(), CliError> {
    if !spark && !explain {
        return Err(CliError::usage("--table reads a table of a Spark session: give --spark sc://HOST:PORT too"));
    }
    if table && log {
        return Err(CliError::usage("give either a log or --table, not both"));
    }
    match read.first_given() {
        Some(flag) => Err(CliError::usage(format!(
            "{flag}: with --spark the log is read in cjm's canonical layout, whose columns are fixed; \
             give {flag} to `cjm export` when writing it"
        ))),
        None => Ok(()),
    }
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
        ClientError::MissingColumns { .. } => {
            message.push_str("; write the log with `cjm export LOG --to parquet -o OUT.parquet`");
            None
        }
        ClientError::Source { source: Source::Parquet(_), stack, .. } => {
            message.push_str(" (is it in cjm's canonical layout? `cjm export LOG --to parquet` writes it)");
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
