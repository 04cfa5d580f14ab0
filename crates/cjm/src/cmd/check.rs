//! `cjm check`: report every problem in one or more maps.

use crate::input::{self, Kind};
use crate::{CliError, Outcome};
use cjm_syntax::diag::{render, DiagnosticRecord};
use cjm_syntax::Severity;

#[derive(clap::Args)]
#[command(
    about = "Check maps and report errors and warnings",
    long_about = "Check maps and report errors and warnings.\n\n\
Each problem shows file:line:col, the source line with the span underlined, a code \
(E… errors, W… warnings), what was expected and found, and a hint. Warnings do not fail \
the check unless --deny warnings is given. Markdown files are checked block by block.",
    after_help = "Examples:\n  cjm check maps/*.cjm\n  cjm check --deny warnings checkout.cjm\n  cjm check --format json checkout.cjm | jq '.[].code'\n  cjm check --format jsonl maps/*.cjm | grep E014\n  cjm check --explain W014"
)]
pub(crate) struct Args {
    /// Map files (.cjm, .mmd, .md, .json); `-` reads standard input
    #[arg(required_unless_present = "explain")]
    files: Vec<String>,
    /// How to print diagnostics: human (stderr), json (one array on stdout) or
    /// jsonl (one record a line on stdout, JSON Lines)
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Treat warnings as errors (`--deny warnings`)
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    deny: Option<String>,
    /// Read every file as this kind instead of guessing from its extension
    #[arg(long, value_enum)]
    from: Option<Kind>,
    /// Print what a diagnostic code means and exit
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Jsonl,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    let deny_warnings = args.deny.is_some();
    let mut records = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for path in &args.files {
        let (source, encoding) = input::read(path, args.from)?;
        let mut diags = Vec::new();
        if let Some(d) = encoding {
            diags.push(d);
        } else {
            let maps = input::maps(&source);
            if maps.is_empty() && source.kind == Kind::Markdown {
                diags.push(input::no_map_diagnostic());
            }
            diags.extend(maps.into_iter().flat_map(|m| m.diagnostics));
        }
        for d in &diags {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        match args.format {
            Format::Human => input::report(&source, &diags),
            Format::Json | Format::Jsonl => {
                records.extend(DiagnosticRecord::all(Some(&source.name), &source.text, &diags))
            }
        }
    }
    if args.format == Format::Human {
        let files = args.files.len();
        eprintln!(
            "checked {files} file{}: {errors} error{}, {warnings} warning{}",
            plural(files),
            plural(errors),
            plural(warnings)
        );
    } else {
        let text = if args.format == Format::Json { render::json(&records) } else { render::json_lines(&records) };
        crate::output::emit(None, text.as_bytes())?;
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn explain(code: &str) -> Result<Outcome, CliError> {
    match cjm_syntax::codes::explain(code) {
        Some((name, summary)) => {
            println!("{} {name}: {summary}", code.to_uppercase());
            println!("See docs/format.md, section \"Diagnostics\", for examples.");
            Ok(Outcome::Ok)
        }
        None => Err(CliError::usage(format!("unknown diagnostic code `{code}`; codes look like E014 or W010"))),
    }
}
