//! `cjm export`: a log as cjm reads it, in the canonical Parquet layout.

use crate::output::write_atomic_with;
use crate::{CliError, Outcome};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
enum To {
    /// Parquet in the canonical layout (`cjm.layout = events/1`)
    Parquet,
}

#[derive(clap::Args)]
#[command(
    about = "Write a log as cjm reads it, in the canonical Parquet layout",
    long_about = "Write an event log as cjm reads it — bad rows left out, text trimmed, the lifecycle chosen, \
times in UTC microseconds — in the canonical Parquet layout: a row number (cjm_row, the tie-break of \
equal times), cjm_customer, cjm_time, cjm_touchpoint, cjm_channel, cjm_score, then the attributes (customer attributes as \
case:NAME). Any engine reads it back in the same order; cjm reads it back to the same outputs. \
The layout is described in README.md, under Evidence.",
    after_help = "Examples:\n  cjm export events.csv --to parquet -o events.parquet\n  cjm export bpic2012.xes.gz --lifecycle complete --to parquet -o bpic2012.parquet"
)]
pub(crate) struct Args {
    /// The event log
    log: String,
    #[command(flatten)]
    read: crate::logs::LogArgs,
    /// The layout to write
    #[arg(long, value_enum)]
    to: To,
    /// The file to write (refuses to overwrite without --force)
    #[arg(short, long)]
    output: PathBuf,
    /// Rows per Parquet row group (engines read row groups in parallel)
    #[arg(long, value_name = "ROWS", default_value_t = cjm_events::canonical::ROW_GROUP)]
    row_group_rows: usize,
    /// Overwrite the output file
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let To::Parquet = args.to;
    if args.row_group_rows == 0 {
        return Err(CliError::usage("--row-group-rows 0: a row group holds at least one row"));
    }
    if args.output.exists() && !args.force {
        return Err(CliError::usage(format!(
            "`{}` already exists; add --force to overwrite it",
            args.output.display()
        )));
    }
    let log = args.read.read(&args.log)?;
    let written =
        write_atomic_with(&args.output, |file| cjm_events::canonical::write(&log, file, args.row_group_rows))?;
    eprintln!(
        "wrote {} ({} events, {} row group{}, {} attribute{}; {} bad row{} left out)",
        args.output.display(),
        written.rows,
        written.row_groups,
        if written.row_groups == 1 { "" } else { "s" },
        written.attributes,
        if written.attributes == 1 { "" } else { "s" },
        log.stats.bad_rows,
        if log.stats.bad_rows == 1 { "" } else { "s" },
    );
    Ok(Outcome::Ok)
}
