//! `use` lines: personas declared once, in another `.cjm` file, and taken
//! into every map that names the file.
//!
//! The model does no IO: the caller hands lowering a [`Resolve`] that reads
//! a path (the CLI reads files relative to the map, the web app serves its
//! workspace's persona library). What a file holds is lowered here, once per
//! path, and its personas are inserted where the `use` line stands.

use crate::model::Persona;
use cjm_syntax::escape::unescape;
use cjm_syntax::tree::Text;
use cjm_syntax::{codes, Diagnostic, Span};
use std::collections::HashMap;

/// Reads the file a `use` line names, by the path as written. `Err` is the
/// reason, worded for the person who wrote the line ("no such file").
pub type Resolve<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// At most this many different files per map.
pub const MAX_FILES: usize = 16;
/// At most this many personas taken from files, all `use` lines together.
pub const MAX_TAKEN: usize = 10_000;

/// The resolver of a map read on its own: every `use` is an error.
pub fn no_files(_: &str) -> Result<String, String> {
    Err("files are not read here; declare the personas in the map".into())
}

/// A `use` line, read: the names it takes (none: all) and the path.
#[derive(Clone, Debug)]
pub(crate) struct UseLine {
    pub path: String,
    pub path_span: Span,
    pub names: Vec<Text>,
}

/// Splits `Sam, Dana from personas.cjm` (or `personas.cjm`, or a quoted
/// path) into names and path. `Err` is a diagnostic at the faulty part.
pub(crate) fn read_line(src: &str, arg: &Text) -> Result<UseLine, Diagnostic> {
    let raw = &src[arg.span.start..arg.span.end];
    // The last ` from ` outside a quoted path splits names from the path.
    let split =
        raw.rmatch_indices(" from ").map(|(at, _)| at).find(|&at| raw[..at].matches('"').count().is_multiple_of(2));
    let (names_raw, path_at) = match split {
        Some(at) => (Some(&raw[..at]), at + " from ".len()),
        None => (None, 0),
    };
    let path_raw = &raw[path_at..];
    let lead = path_raw.len() - path_raw.trim_start().len();
    let path_raw = path_raw.trim();
    let path_span = Span::new(arg.span.start + path_at + lead, arg.span.start + path_at + lead + path_raw.len());
    let path = match path_raw.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(inner) => inner.to_string(),
        None => unescape(path_raw),
    };
    if path.trim().is_empty() {
        return Err(Diagnostic::error(codes::EMPTY_TEXT, arg.span, "`use` names no file")
            .with_label("expected the path of a file with personas")
            .with_hint("write e.g. `use personas.cjm` or `use Sam, Dana from personas.cjm`"));
    }
    let mut names = Vec::new();
    if let Some(list) = names_raw {
        let mut at = 0;
        for part in list.split(',') {
            let lead = part.len() - part.trim_start().len();
            let start = arg.span.start + at + lead;
            let span = Span::new(start, start + part.trim().len());
            at += part.len() + 1;
            let name = unescape(part.trim());
            if name.is_empty() {
                return Err(Diagnostic::error(codes::EMPTY_NAME, span, "an empty persona name in `use`")
                    .with_label("expected a persona's name")
                    .with_hint("separate the names with single commas, e.g. `use Sam, Dana from personas.cjm`"));
            }
            names.push(Text { value: name, span });
        }
    }
    Ok(UseLine { path, path_span, names })
}

/// What one file gave: its personas, or why it gave none.
pub(crate) enum Library {
    Read(Personas),
    Failed(Diagnostic),
}

/// A file's personas and where each name stands, built once per file.
pub(crate) struct Personas {
    list: Vec<Persona>,
    by_name: HashMap<String, usize>,
}

impl Personas {
    fn new(list: Vec<Persona>) -> Self {
        let mut by_name = HashMap::with_capacity(list.len());
        for (i, p) in list.iter().enumerate() {
            by_name.entry(p.name.clone()).or_insert(i);
        }
        Personas { list, by_name }
    }
}

/// "Did you mean" is tried for this many unknown names per map, all `use`
/// lines together; the rest get the plain list (each try compares the name
/// with every persona the file declares).
const SUGGEST_FOR: usize = 32;

/// Reads and lowers the file at `path` for the `use` line at `span`.
/// Problems inside the file become one diagnostic at the line, naming the
/// file, the line and column of the first, and how many there are.
pub(crate) fn read_library(line: &UseLine, resolve: Resolve) -> Library {
    let span = line.path_span;
    let text = match resolve(&line.path) {
        Ok(text) => text,
        Err(reason) => {
            return Library::Failed(
                Diagnostic::error(codes::MISSING_LIBRARY, span, format!("cannot read `{}`: {reason}", line.path))
                    .with_label("the personas of this file are missing")
                    .with_hint("check the path; it is relative to this map's file"),
            )
        }
    };
    let nested = |_: &str| Err("a persona library cannot itself use another file".to_string());
    let lowered = crate::lower::check_with(&text, &nested);
    let errors: Vec<&Diagnostic> = lowered.diagnostics.iter().filter(|d| d.is_error()).collect();
    if let Some(first) = errors.first() {
        let (l, c) = cjm_syntax::diag::LineIndex::new(&text).line_col(first.span.start);
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Library::Failed(
            Diagnostic::error(
                codes::LIBRARY_ERRORS,
                span,
                format!("`{}` line {l}, column {c}: {} [{}]{more}", line.path, first.message, first.code),
            )
            .with_label("this file has errors, so its personas are not used")
            .with_hint(format!("fix `{}`; it is checked as a map of its own", line.path)),
        );
    }
    if lowered.journey.personas.is_empty() {
        return Library::Failed(
            Diagnostic::error(codes::MISSING_LIBRARY, span, format!("`{}` declares no personas", line.path))
                .with_label("nothing to use")
                .with_hint("declare them there with `persona Name` blocks, or remove this line"),
        );
    }
    let base = directory_of(&line.path);
    let personas = lowered
        .journey
        .personas
        .into_iter()
        .map(|mut p| {
            p.image = p.image.map(|image| rebase(base, image));
            p.source = Some(line.path.clone());
            p
        })
        .collect();
    Library::Read(Personas::new(personas))
}

/// The personas a line takes from its file, with a diagnostic for each
/// name the file does not declare. `suggested` counts the map's "did you
/// mean" tries so far.
pub(crate) fn take(
    line: &UseLine,
    file: &Personas,
    taken: usize,
    suggested: &mut usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Persona> {
    let personas = &file.list;
    let wanted = if line.names.is_empty() { personas.len() } else { line.names.len() };
    if taken + wanted > MAX_TAKEN {
        diags.push(
            Diagnostic::error(
                codes::MISSING_LIBRARY,
                line.path_span,
                format!("a map may take at most {MAX_TAKEN} personas from files"),
            )
            .with_label("these personas are not taken")
            .with_hint("name the personas this map needs: `use Sam, Dana from …`"),
        );
        return Vec::new();
    }
    if line.names.is_empty() {
        return personas.to_vec();
    }
    let mut out = Vec::new();
    for name in &line.names {
        match file.by_name.get(&name.value) {
            Some(&i) => out.push(personas[i].clone()),
            None => {
                let known = personas.iter().map(|p| p.name.as_str());
                *suggested += 1;
                let best = (*suggested <= SUGGEST_FOR)
                    .then(|| cjm_syntax::keys::did_you_mean(&name.value, known.clone()))
                    .flatten();
                let hint = match best {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("`{}` declares {}", line.path, list(known, personas.len())),
                };
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_LIBRARY_PERSONA,
                        name.span,
                        format!("`{}` declares no persona `{}`", line.path, name.value),
                    )
                    .with_label("not in that file")
                    .with_hint(hint),
                );
            }
        }
    }
    out
}

fn list<'a>(names: impl Iterator<Item = &'a str>, len: usize) -> String {
    let shown: Vec<String> = names.take(6).map(|n| format!("`{n}`")).collect();
    match len {
        n if n > 6 => format!("{} and {} more", shown.join(", "), n - 6),
        _ => shown.join(", "),
    }
}

/// The directory part of a path as written (`team/personas.cjm` → `team/`).
fn directory_of(path: &str) -> &str {
    match path.rfind(['/', '\\']) {
        Some(at) => &path[..=at],
        None => "",
    }
}

/// A portrait path relative to the library file, made relative to the map.
/// URLs, absolute paths and data URIs are kept as they are.
fn rebase(base: &str, image: String) -> String {
    let absolute =
        image.starts_with('/') || image.starts_with('\\') || image.contains("://") || image.starts_with("data:");
    let drive = image.as_bytes().get(1) == Some(&b':');
    if base.is_empty() || absolute || drive {
        image
    } else {
        format!("{base}{image}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(src: &str) -> Result<UseLine, Diagnostic> {
        read_line(src, &Text { value: src.to_string(), span: Span::new(0, src.len()) })
    }

    #[test]
    fn a_line_names_a_file_and_perhaps_personas() {
        let l = line("personas.cjm").unwrap();
        assert_eq!((l.path.as_str(), l.names.len()), ("personas.cjm", 0));
        let src = "Sam, Dana Q from team/personas.cjm";
        let l = line(src).unwrap();
        assert_eq!(l.path, "team/personas.cjm");
        assert_eq!(&src[l.path_span.start..l.path_span.end], "team/personas.cjm");
        let names: Vec<&str> = l.names.iter().map(|n| &src[n.span.start..n.span.end]).collect();
        assert_eq!(names, ["Sam", "Dana Q"]);
        assert_eq!(line("\"my files/p.cjm\"").unwrap().path, "my files/p.cjm");
        assert_eq!(line("Sam from \"a from b.cjm\"").unwrap().path, "a from b.cjm");
        assert!(line("Sam, from p.cjm").is_err());
    }

    #[test]
    fn portraits_are_rebased_onto_the_map() {
        assert_eq!(rebase("team/", "img/sam.png".into()), "team/img/sam.png");
        assert_eq!(rebase("", "img/sam.png".into()), "img/sam.png");
        assert_eq!(rebase("team/", "https://x.test/sam.png".into()), "https://x.test/sam.png");
        assert_eq!(rebase("team/", "/portraits/3".into()), "/portraits/3");
        assert_eq!(directory_of("a/b/p.cjm"), "a/b/");
    }
}
