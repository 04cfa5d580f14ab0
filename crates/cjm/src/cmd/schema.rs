//! `cjm schema`: print the JSON Schema of cjm's JSON form.

use crate::output::emit;
use crate::{CliError, Outcome};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Print the JSON Schema of the JSON form of a map",
    after_help = "Example:\n  cjm schema -o cjm-map.schema.json"
)]
pub(crate) struct Args {
    /// Write to this file instead of standard output
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let mut text = serde_json::to_string_pretty(&cjm_model::json::schema())?;
    text.push('\n');
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}
