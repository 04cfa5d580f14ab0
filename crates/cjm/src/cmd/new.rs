//! `cjm new`: start a map from a template.

use crate::output::{emit, write_atomic};
use crate::{CliError, Outcome};
use cjm_model::templates;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "Start a new map from a template",
    long_about = "Start a new map from a template. Every template passes `cjm check` with no warnings \
and fills most lanes, so it shows what a complete map looks like.",
    after_help = "Examples:\n  cjm new --list\n  cjm new --template saas-onboarding -o onboarding.cjm\n  cjm new > map.cjm"
)]
pub(crate) struct Args {
    /// The template to start from (see --list)
    #[arg(short, long, default_value = "ecommerce")]
    template: String,
    /// Write to this file instead of standard output (refuses to overwrite without --force)
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Overwrite the output file if it exists
    #[arg(long)]
    force: bool,
    /// List the templates and exit
    #[arg(long)]
    list: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    if args.list {
        let mut text = String::new();
        for t in templates::ALL {
            text.push_str(&format!("{:<18} {}\n", t.name, t.summary));
        }
        emit(None, text.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    let Some(template) = templates::get(&args.template) else {
        let names: Vec<&str> = templates::ALL.iter().map(|t| t.name).collect();
        let hint = cjm_syntax::keys::did_you_mean(&args.template, names.iter().copied())
            .map(|b| format!(" (did you mean `{b}`?)"))
            .unwrap_or_default();
        return Err(CliError::usage(format!(
            "no template `{}`{hint}; choose one of: {}",
            args.template,
            names.join(", ")
        )));
    };
    match &args.output {
        Some(path) if path.exists() && !args.force => Err(CliError::usage(format!(
            "`{}` already exists; choose another name or add --force to overwrite it",
            path.display()
        ))),
        Some(path) => {
            write_atomic(path, template.text.as_bytes())?;
            eprintln!(
                "created {} from the `{}` template; next: cjm check {}",
                path.display(),
                template.name,
                path.display()
            );
            Ok(Outcome::Ok)
        }
        None => {
            emit(None, template.text.as_bytes())?;
            Ok(Outcome::Ok)
        }
    }
}
