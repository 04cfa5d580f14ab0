//! The `cjm` command: thin glue over the cjm crates. stdout carries data,
//! stderr talks to people. Exit codes: 0 ok, 1 the input has errors (or
//! `--check` found work), 2 usage or IO failure.

#![warn(unreachable_pub)]
/// mimalloc: lowering a 5,000-step map takes 28 ms with the system
/// allocator and 20 ms with this one (`cargo bench -p cjm-model`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands memory that was freed back to the operating system now, instead
/// of after mimalloc's purge delay. Called between the stages of evidence
/// commands: reading a log frees a few hundred MB of decoding buffers that
/// would otherwise still be resident when the next stage allocates its own
/// (1e7 events: peak 733 MB without, see `bash scripts/bench-mine.sh`).
pub(crate) fn release_freed_memory() {
    // SAFETY: `mi_collect` only walks mimalloc's own heaps and segments; it
    // may be called at any time, from any thread, and touches no Rust data.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// mimalloc keeps freed memory resident for a second (its purge delay)
/// before handing it back. Evidence commands free hundreds of MB between
/// and within stages (a growing dictionary's old tables, decoding buffers),
/// so that second made up much of their peak. With 25 ms, memory is still
/// reused within a stage and the rest goes back: 1e7 events, peak 441 →
/// 366 MB at the same speed (`bash scripts/bench-mine.sh`; 0 ms would give
/// 300 MB but 40% slower, every reuse faulting pages in again).
fn tune_allocator() {
    // Settings given in the environment win.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() || std::env::var_os("MIMALLOC_ARENA_PURGE_MULT").is_some() {
        return;
    }
    // `mi_option_purge_delay` is entry 15 of `mi_option_e` in mimalloc.h
    // (v2 and v3); libmimalloc-sys does not name it.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option only stores a number in mimalloc's option
    // table; it may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 25) }
    // Arenas (where big blocks live) wait `arena_purge_mult` times longer
    // (10): the same 25 ms for them. Entry 24 of `mi_option_e`.
    const MI_OPTION_ARENA_PURGE_MULT: libmimalloc_sys::mi_option_t = 24;
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_PURGE_MULT, 1) }
}

/// Huge (2 MB) pages make first touching memory cheaper, which is much of
/// the cost of reading a big log, but then every thread's partly used page
/// counts 2 MB: a log of 1e6 events (16 MB of Parquet) peaked at 100 MB with
/// them and 56 MB without, at the same speed, while 1e7 events read 15%
/// faster with them. So small logs are read with normal pages: called before
/// reading one, it holds for the memory the process touches afterwards.
pub(crate) fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory
    // map, honoured by later page faults; no memory is read or written.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

mod cmd;
mod input;
mod logs;
mod output;
mod spark;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  cjm new --template ecommerce -o checkout.cjm   start a map from a template
  cjm check checkout.cjm                        report errors and warnings
  cjm fmt checkout.cjm                          rewrite in canonical layout
  cjm convert checkout.cjm --to json            the map as JSON on stdout
  cjm convert README.md --to cjm                a Mermaid journey from Markdown
  cjm render checkout.cjm -o checkout.png       draw it (SVG, PNG, PDF, HTML)
  cjm mine events.parquet                       the journeys customers really take
  cjm discover events.parquet -o draft.cjm      a draft map from data
  cjm measure checkout.cjm events.parquet       the map measured, step by step
  cjm opportunities *.cjm -o matrix.png         what to fix first: the impact × effort matrix
  cjm serve                                     the team web app on http://127.0.0.1:8080

Every Mermaid `journey` diagram is already a valid cjm map.
Format reference: docs/format.md. Set NO_COLOR to turn colours off.";

#[derive(Parser)]
#[command(name = "cjm", version, about = "Customer journey maps as text: check, format, convert, draw and start maps.", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(cmd::check::Args),
    Fmt(cmd::fmt::Args),
    Convert(cmd::convert::Args),
    New(cmd::new::Args),
    Render(cmd::render::Args),
    Mine(Box<cmd::mine::Args>),
    Measure(cmd::measure::Args),
    Discover(cmd::discover::Args),
    Export(cmd::export::Args),
    Opportunities(cmd::opportunities::Args),
    Schema(cmd::schema::Args),
    Serve(cmd::serve::Args),
}

/// How a command ended.
pub(crate) enum Outcome {
    Ok,
    /// The input has errors, or `--check` found something to do.
    Failed,
}

/// A failure that stops a command, printed as one line: a usage or file
/// error (exit 2), or input whose contents cannot be read (exit 1).
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) message: String,
    pub(crate) exit: u8,
}

impl CliError {
    /// A usage or file error: exit 2.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError { message: message.into(), exit: 2 }
    }

    /// Input that has errors (a malformed log, one past a limit): exit 1.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        CliError { message: message.into(), exit: 1 }
    }
}

impl<E: std::fmt::Display> From<E> for CliError
where
    E: std::error::Error,
{
    fn from(e: E) -> Self {
        CliError::usage(e.to_string())
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Fmt(args) => cmd::fmt::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::New(args) => cmd::new::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Mine(args) => cmd::mine::run(*args),
        Command::Measure(args) => cmd::measure::run(args),
        Command::Discover(args) => cmd::discover::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Opportunities(args) => cmd::opportunities::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Serve(args) => cmd::serve::run(args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(CliError { message, exit }) => {
            eprintln!("cjm: error: {message}");
            ExitCode::from(exit)
        }
    }
}
