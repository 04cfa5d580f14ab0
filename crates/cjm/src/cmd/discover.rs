//! `cjm discover`: a draft map from an event log.

use crate::output::{emit, write_atomic};
use crate::{CliError, Outcome};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Draft a map from an event log",
    long_about = "Draft a map from an event log: stages and steps along the dominant path (the most frequent \
variant and the main transitions), each step with its mean score on 1..5, its channels, an evidence \
rule that finds it, and its measured reach as a comment. A starting point to edit.",
    after_help = "Examples:\n  cjm discover events.parquet -o draft.cjm\n  cjm discover receipt.xes.gz --title \"Permit application\" --max-steps 8"
)]
pub(crate) struct Args {
    /// The event log
    log: String,
    #[command(flatten)]
    read: crate::logs::LogArgs,
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

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
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
