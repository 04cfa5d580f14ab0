//! Reading maps from files: `.cjm`/`.mmd` text, Markdown with Mermaid
//! blocks, or JSON. Problems with the file itself (missing, a directory,
//! unreadable) are [`CliError`]s; problems in its content are diagnostics.

use crate::CliError;
use cjm_model::json::from_json;
use cjm_model::{lower, Journey};
use cjm_syntax::diag::render;
use cjm_syntax::{codes, markdown, Diagnostic, Span};
use std::io::{IsTerminal, Read};
use std::ops::Range;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Kind {
    /// `.cjm` text (a superset of Mermaid's journey diagram)
    Cjm,
    /// Mermaid text (read exactly like `.cjm`)
    Mermaid,
    /// Markdown holding ```mermaid journey blocks
    Markdown,
    /// cjm's JSON form
    Json,
}

impl Kind {
    /// The kind a file name implies; text maps by default.
    pub(crate) fn from_path(path: &str) -> Kind {
        let lower = path.to_lowercase();
        if lower.ends_with(".json") {
            Kind::Json
        } else if lower.ends_with(".md") || lower.ends_with(".markdown") {
            Kind::Markdown
        } else if lower.ends_with(".mmd") || lower.ends_with(".mermaid") {
            Kind::Mermaid
        } else {
            Kind::Cjm
        }
    }
}

/// A file's text, or the diagnostic that says why it is not text.
pub(crate) struct Source {
    /// The name shown in messages (`-` is `<stdin>`).
    pub name: String,
    pub text: String,
    pub kind: Kind,
}

/// One map found in a source.
pub(crate) struct LoadedMap {
    pub journey: Journey,
    pub diagnostics: Vec<Diagnostic>,
    /// Where the map's text is in the source (a Markdown block, or all of it).
    pub range: Range<usize>,
    /// For Markdown: `block 2 (line 14)`.
    pub label: Option<String>,
}

impl LoadedMap {
    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a file (or stdin for `-`). Invalid UTF-8 comes back as a source
/// with a diagnostic, not as a failure: it is an error in the input.
pub(crate) fn read(path: &str, kind: Option<Kind>) -> Result<(Source, Option<Diagnostic>), CliError> {
    let kind = kind.unwrap_or_else(|| Kind::from_path(path));
    let (name, bytes) = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
        ("<stdin>".to_string(), bytes)
    } else {
        let p = Path::new(path);
        if p.is_dir() {
            return Err(CliError::usage(format!("`{path}` is a directory; give the path of a map file")));
        }
        let bytes =
            std::fs::read(p).map_err(|e| CliError::usage(format!("cannot read `{path}`: {}", io_reason(&e))))?;
        (path.to_string(), bytes)
    };
    match cjm_syntax::parse_bytes(&bytes).map(|_| ()) {
        Ok(()) => {
            let text = String::from_utf8(bytes).expect("checked by parse_bytes");
            Ok((Source { name, text, kind }, None))
        }
        Err(mut diag) => {
            // The lossy text puts U+FFFD where the bad byte was: underline all of it.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            diag.span.end = diag.span.start + '\u{fffd}'.len_utf8();
            Ok((Source { name, text, kind }, Some(diag)))
        }
    }
}

/// The largest file a `use` line may name.
const MAX_LIBRARY: u64 = 2 * 1024 * 1024;

/// The directory a map's `use` paths are relative to.
fn map_dir(name: &str) -> std::path::PathBuf {
    match Path::new(name).parent() {
        Some(dir) if name != "<stdin>" && !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    }
}

/// Reads a file a `use` line names; `Err` is the reason, for the diagnostic.
fn read_library(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if meta.is_dir() {
        return Err("it is a directory".into());
    }
    if meta.len() > MAX_LIBRARY {
        return Err(format!("it is {} bytes; a persona file may have {MAX_LIBRARY}", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".into())
}

/// A short reason for an IO error, without the OS error number.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Every map in a source.
pub(crate) fn maps(source: &Source) -> Vec<LoadedMap> {
    match source.kind {
        Kind::Cjm | Kind::Mermaid => vec![text_map(source, 0..source.text.len(), None)],
        Kind::Json => vec![json_map(&source.text)],
        Kind::Markdown => markdown::journey_blocks(&source.text)
            .into_iter()
            .enumerate()
            .map(|(i, block)| {
                let label = format!("block {} (line {})", i + 1, block.fence_line);
                text_map(source, block.range, Some(label))
            })
            .collect(),
    }
}

fn text_map(source: &Source, range: Range<usize>, label: Option<String>) -> LoadedMap {
    let part = &source.text[range.clone()];
    let parse = cjm_syntax::parse(part);
    let base = map_dir(&source.name);
    let lowered = lower(part, &parse, &|path: &str| read_library(&base.join(path)));
    let diagnostics = lowered
        .diagnostics
        .into_iter()
        .map(|mut d| {
            d.span = d.span.shift(range.start);
            d
        })
        .collect();
    LoadedMap { journey: lowered.journey, diagnostics, range, label }
}

fn json_map(text: &str) -> LoadedMap {
    let range = 0..text.len();
    match from_json(text) {
        Ok(read) => {
            let diagnostics = read
                .findings
                .into_iter()
                .map(|f| {
                    let span = cjm_model_json_span(text, &f.loc.json_path());
                    let mut d = Diagnostic::error(f.code, span, format!("{}: {}", f.loc.json_path(), f.message))
                        .with_label(f.label);
                    d.severity = f.severity;
                    d.hint = f.hint;
                    d
                })
                .collect();
            LoadedMap { journey: read.journey, diagnostics, range, label: None }
        }
        Err(d) => LoadedMap { journey: Journey::default(), diagnostics: vec![d], range, label: None },
    }
}

/// The span of a JSON path's value in the text, or the start of the file.
fn cjm_model_json_span(text: &str, path: &str) -> Span {
    cjm_model::json::locate(text, path).unwrap_or(Span::empty(0))
}

/// A missing map in a Markdown file is an error in the input.
pub(crate) fn no_map_diagnostic() -> Diagnostic {
    Diagnostic::error(codes::MISSING_HEADER, Span::empty(0), "no Mermaid journey found in this Markdown file")
        .with_label("expected a ```mermaid block that starts with `journey`")
        .with_hint("fence the diagram with ```mermaid … ``` and start it with `journey`")
}

/// Whether stderr should get colours.
pub(crate) fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints diagnostics for people, on stderr.
pub(crate) fn report(source: &Source, diags: &[Diagnostic]) {
    if !diags.is_empty() {
        eprint!("{}", render::human(&source.name, &source.text, diags, color()));
    }
}

/// Reads a map for a command that needs one without errors.
pub(crate) fn load_map(path: &str) -> Result<Option<cjm_model::Journey>, CliError> {
    load_map_as(path, None)
}

/// [`load_map`] with the input kind given (`--from`). Diagnostics go to
/// stderr; `None` means the map has errors (already reported).
pub(crate) fn load_map_as(path: &str, kind: Option<Kind>) -> Result<Option<cjm_model::Journey>, CliError> {
    let (source, encoding) = read(path, kind)?;
    if let Some(d) = encoding {
        report(&source, &[d]);
        return Ok(None);
    }
    let mut maps = maps(&source);
    if maps.is_empty() {
        report(&source, &[no_map_diagnostic()]);
        return Ok(None);
    }
    let map = maps.swap_remove(0);
    report(&source, &map.diagnostics);
    if map.has_errors() {
        eprintln!("cjm: `{}` has errors; nothing done", source.name);
        return Ok(None);
    }
    Ok(Some(map.journey))
}

/// The log to measure: given on the command line, or named by the map's
/// `data` block (relative to the map file).
pub(crate) fn log_path(given: Option<&str>, map_path: &str, map: &cjm_model::Journey) -> Result<String, CliError> {
    if let Some(p) = given {
        return Ok(p.to_string());
    }
    match map.data.as_ref().and_then(|d| d.log.as_ref()) {
        Some(log) => {
            let base = std::path::Path::new(map_path).parent().unwrap_or(std::path::Path::new("."));
            Ok(base.join(log).display().to_string())
        }
        None => Err(CliError::usage(format!(
            "no event log given: name one after the map, or add `data LOG` to `{map_path}` (see docs/format.md, \"Data\")"
        ))),
    }
}
