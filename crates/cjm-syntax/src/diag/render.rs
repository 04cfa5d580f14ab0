//! A diagnostic's output forms, side by side: the one JSON record, and the
//! human, JSON and JSON Lines renderings built on it. The CLI picks one with
//! `--format`; the API and the editor read the record; each edge adds its
//! own wording around them, none of it here.

use super::{Diagnostic, LineIndex, Severity};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;
use serde::Serialize;

/// A diagnostic as data, located by line and column (1-based; columns
/// count characters) and by byte offsets. The CLI's JSON output, the web
/// API and the editor all read this record; its JSON Schema is
/// [`schema`] (published as `docs/cjm-diagnostic.schema.json`).
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct DiagnosticRecord {
    /// The file the diagnostic is in, where there is one (the API checks a
    /// text, not a file, and leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub severity: Severity,
    /// A stable code such as `E014` (the Diagnostics section of
    /// `docs/format.md` lists them).
    pub code: String,
    /// What was expected and what was found.
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets into the text, for tools that count bytes.
    pub start: usize,
    pub end: usize,
    /// The short text shown under the span; may be empty.
    pub label: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl DiagnosticRecord {
    /// The records of one text's diagnostics, in their order. The line
    /// index is built once, so a text with many diagnostics costs a lookup
    /// per diagnostic, not a scan.
    pub fn all(file: Option<&str>, source: &str, diags: &[Diagnostic]) -> Vec<DiagnosticRecord> {
        let index = LineIndex::new(source);
        diags.iter().map(|d| DiagnosticRecord::located(file, source, &index, d)).collect()
    }

    fn located(file: Option<&str>, source: &str, index: &LineIndex, diag: &Diagnostic) -> DiagnosticRecord {
        let (line, column) = index.line_col(diag.span.start);
        let (end_line, end_column) = index.line_col(diag.span.end);
        DiagnosticRecord {
            file: file.map(str::to_string),
            severity: diag.severity,
            code: diag.code.to_string(),
            message: diag.message.clone(),
            line,
            column,
            end_line,
            end_column,
            start: diag.span.start.min(source.len()),
            end: diag.span.end.min(source.len()),
            label: diag.label.clone(),
            hint: diag.hint.clone(),
        }
    }
}

/// The JSON Schema (draft 2020-12) of a [`DiagnosticRecord`].
pub fn schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(DiagnosticRecord)).expect("a schema always serialises");
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$id".into(), "cjm-diagnostic-1.schema.json".into());
        obj.insert("description".into(), "One problem cjm found in a map: the record the command line's JSON output, the web API and the editor share.".into());
    }
    schema
}

/// Records as one pretty JSON array, with a final newline.
pub fn json(records: &[DiagnosticRecord]) -> String {
    let mut text = serde_json::to_string_pretty(records).expect("a record always serialises");
    text.push('\n');
    text
}

/// Records as JSON Lines: one compact record a line, for tools that read a
/// stream.
pub fn json_lines(records: &[DiagnosticRecord]) -> String {
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).expect("a record always serialises"));
        text.push('\n');
    }
    text
}

/// Diagnostics the way a good compiler shows them: `file:line:col`, the
/// source line, the span underlined with its label, and the hint.
pub fn human(file: &str, source: &str, diags: &[Diagnostic], color: bool) -> String {
    let files = SimpleFile::new(file, source);
    let config = term::Config { chars: term::Chars::ascii(), ..term::Config::default() };
    let mut out = if color { term::termcolor::Buffer::ansi() } else { term::termcolor::Buffer::no_color() };
    for diag in diags {
        let cs_diag = to_codespan(diag, source.len());
        // Writing into an in-memory buffer cannot fail except on a span error,
        // which `to_codespan` rules out by clamping.
        let _ = term::emit_to_write_style(&mut out, &config, &files, &cs_diag);
    }
    String::from_utf8_lossy(out.as_slice()).into_owned()
}

fn to_codespan(diag: &Diagnostic, len: usize) -> cs::Diagnostic<()> {
    let start = diag.span.start.min(len);
    let end = diag.span.end.clamp(start, len);
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut out = cs::Diagnostic::new(severity)
        .with_code(diag.code)
        .with_message(&diag.message)
        .with_labels(vec![cs::Label::primary((), start..end).with_message(&diag.label)]);
    if let Some(hint) = &diag.hint {
        out = out.with_notes(vec![format!("hint: {hint}")]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn diags() -> (&'static str, Vec<Diagnostic>) {
        let text = "journey\n  section Ä\n    Pay: x\n";
        let at = text.find('x').unwrap();
        let d = Diagnostic::error("E014", Span::new(at, at + 1), "score `x` is not a number")
            .with_label("expected a number")
            .with_hint("write a score from 1 to 5");
        (text, vec![Diagnostic::warning("W001", Span::new(10, 17), "w"), d])
    }

    #[test]
    fn a_record_has_lines_columns_and_byte_offsets() {
        let (text, diags) = diags();
        let records = DiagnosticRecord::all(Some("m.cjm"), text, &diags);
        let r = &records[1];
        assert_eq!((r.line, r.column, r.end_line, r.end_column), (3, 10, 3, 11));
        assert_eq!(&text[r.start..r.end], "x");
        assert_eq!(r.file.as_deref(), Some("m.cjm"));
        assert_eq!(records[0].severity, Severity::Warning);
    }

    #[test]
    fn json_and_json_lines_hold_the_same_records() {
        let (text, diags) = diags();
        let records = DiagnosticRecord::all(None, text, &diags);
        let array: Vec<serde_json::Value> = serde_json::from_str(&json(&records)).unwrap();
        let lines: Vec<serde_json::Value> =
            json_lines(&records).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(array, lines);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].get("file").is_none() && lines[0].get("hint").is_none());
        assert_eq!(lines[1]["hint"], "write a score from 1 to 5");
        assert_eq!(lines[1]["severity"], "error");
    }

    #[test]
    fn human_shows_the_place_the_label_and_the_hint() {
        let (text, diags) = diags();
        let out = human("m.cjm", text, &diags[1..], false);
        assert!(out.contains("error[E014]: score `x` is not a number"), "{out}");
        assert!(out.contains("m.cjm:3:10"), "{out}");
        assert!(out.contains("expected a number") && out.contains("hint: write a score from 1 to 5"), "{out}");
    }

    #[test]
    fn every_record_field_is_in_the_schema() {
        let schema = schema();
        let props = schema["properties"].as_object().unwrap();
        let (text, diags) = diags();
        let record = serde_json::to_value(&DiagnosticRecord::all(Some("f"), text, &diags)[1]).unwrap();
        for key in record.as_object().unwrap().keys() {
            assert!(props.contains_key(key), "{key} is not in the schema");
        }
    }
}
