//! `cjm fmt`: rewrite maps in canonical layout, keeping comments.

use crate::input::{self, Kind};
use crate::output::{emit, write_atomic};
use crate::{CliError, Outcome};
use cjm_syntax::markdown;
use std::path::Path;

#[derive(clap::Args)]
#[command(
    about = "Format maps in canonical layout (in place)",
    long_about = "Format maps in canonical layout, in place.\n\n\
Two spaces per level, one space after each colon, comments kept and indented with the line \
they introduce, runs of blank lines folded. Formatting never changes what a map says, and \
formatting twice changes nothing. A file with errors is left untouched. In Markdown files, \
the Mermaid journey blocks are formatted and the rest is kept as it is.",
    after_help = "Examples:\n  cjm fmt checkout.cjm\n  cjm fmt --check maps/*.cjm      (CI: exit 1 if a file is not formatted)\n  cat map.cjm | cjm fmt -         (formatted text on stdout)"
)]
pub(crate) struct Args {
    /// Map files (.cjm, .mmd, .md); `-` formats standard input to standard output
    #[arg(required = true)]
    files: Vec<String>,
    /// Do not write; exit 1 and list the files that are not formatted
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let mut failed = false;
    for path in &args.files {
        let (source, encoding) = input::read(path, None)?;
        if let Some(d) = encoding {
            input::report(&source, &[d]);
            failed = true;
            continue;
        }
        if source.kind == Kind::Json {
            return Err(CliError::usage(format!("`{path}` is JSON; `cjm fmt` formats .cjm, .mmd and Markdown files (convert JSON with `cjm convert {path} --to cjm`)")));
        }
        let Some(formatted) = format_source(&source) else {
            failed = true;
            eprintln!("cjm: `{}` has errors; not formatted", source.name);
            continue;
        };
        if path == "-" {
            emit(None, formatted.as_bytes())?;
        } else if formatted != source.text {
            if args.check {
                eprintln!("would reformat {}", source.name);
                failed = true;
            } else {
                write_atomic(Path::new(path), formatted.as_bytes())?;
                eprintln!("formatted {}", source.name);
            }
        }
    }
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}

/// The formatted text, or `None` (after reporting) when the map has errors.
fn format_source(source: &input::Source) -> Option<String> {
    let ranges: Vec<std::ops::Range<usize>> = match source.kind {
        Kind::Markdown => markdown::journey_blocks(&source.text).into_iter().map(|b| b.range).collect(),
        _ => std::iter::once(0..source.text.len()).collect(),
    };
    let maps = input::maps(source);
    let diags: Vec<_> = maps.iter().flat_map(|m| m.diagnostics.iter().cloned()).collect();
    if maps.iter().any(|m| m.has_errors()) {
        input::report(source, &diags);
        return None;
    }
    let mut out = String::with_capacity(source.text.len());
    let mut last = 0;
    for range in ranges {
        out.push_str(&source.text[last..range.start]);
        let part = source.text[range.clone()].trim_start_matches('\u{feff}');
        let parse = cjm_syntax::parse(part);
        out.push_str(&cjm_syntax::format(part, &parse.document));
        last = range.end;
    }
    out.push_str(&source.text[last..]);
    Some(out)
}
