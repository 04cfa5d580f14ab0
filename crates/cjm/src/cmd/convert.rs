//! `cjm convert`: between `.cjm`, JSON and Mermaid.

use crate::input::{self, Kind};
use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_model::json::to_json;
use cjm_model::mermaid::to_mermaid;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Convert a map between .cjm, JSON and Mermaid",
    long_about = "Convert a map between .cjm, JSON and Mermaid.\n\n\
.cjm ↔ JSON round-trips without loss (comments live only in the text). To Mermaid is lossy: \
what Mermaid cannot show (personas, lanes, metrics…) is listed on stderr. From Mermaid, \
read .mmd files or the ```mermaid journey blocks of a Markdown file (--block chooses one). \
A map with errors is not converted.",
    after_help = "Examples:\n  cjm convert checkout.cjm --to json -o checkout.json\n  cjm convert checkout.json --to cjm\n  cjm convert checkout.cjm --to mermaid >> README.md\n  cjm convert docs/journeys.md --block 2 --to cjm -o onboarding.cjm"
)]
pub(crate) struct Args {
    /// The map to convert (.cjm, .mmd, .md, .json); `-` reads standard input
    input: String,
    /// The format to write
    #[arg(long, value_enum)]
    to: Target,
    /// Write to this file (atomically) instead of standard output
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Read the input as this kind instead of guessing from its extension
    #[arg(long, value_enum)]
    from: Option<Kind>,
    /// Which journey block of a Markdown file to convert (1-based)
    #[arg(long, value_name = "N")]
    block: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Cjm,
    Json,
    Mermaid,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let (source, encoding) = input::read(&args.input, args.from)?;
    if let Some(d) = encoding {
        input::report(&source, &[d]);
        return Ok(Outcome::Failed);
    }
    let mut maps = input::maps(&source);
    if maps.is_empty() {
        input::report(&source, &[input::no_map_diagnostic()]);
        return Ok(Outcome::Failed);
    }
    let index = match (args.block, maps.len()) {
        (Some(n), count) if n == 0 || n > count => {
            return Err(CliError::usage(format!(
                "--block {n}: `{}` has {count} journey block(s); choose 1 to {count}",
                source.name
            )))
        }
        (Some(n), _) => n - 1,
        (None, 1) => 0,
        (None, count) => {
            let first = maps[0].label.as_deref().unwrap_or("the first");
            eprintln!("note: `{}` has {count} journey blocks; converting {first} (choose with --block N)", source.name);
            0
        }
    };
    let map = maps.swap_remove(index);
    input::report(&source, &map.diagnostics);
    if map.has_errors() {
        eprintln!("cjm: `{}` has errors; nothing converted", source.name);
        return Ok(Outcome::Failed);
    }
    let text = match args.to {
        Target::Json => to_json(&map.journey),
        Target::Cjm if source.kind == Kind::Json => cjm_model::to_cjm(&map.journey),
        Target::Cjm => {
            // Text stays text: format it, which keeps its comments.
            let part = &source.text[map.range.clone()];
            cjm_syntax::format(part, &cjm_syntax::parse(part).document)
        }
        Target::Mermaid => {
            let export = to_mermaid(&map.journey);
            for line in &export.dropped {
                eprintln!("dropped (Mermaid cannot show it): {line}");
            }
            for line in &export.changed {
                eprintln!("changed: {line}");
            }
            export.text
        }
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}
