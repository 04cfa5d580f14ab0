//! Diagnostics as data.
//!
//! Every problem cjm finds in a map is a [`Diagnostic`]: a stable code, a
//! severity, a message that says what was expected and what was found, a
//! labelled primary span and an optional hint. Rendering is separate: see
//! [`render_human`] (codespan-style, for people) and [`DiagnosticRecord`] (for
//! `--format json`). Nothing here writes to a terminal; callers get strings.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;
use serde::Serialize;

/// A half-open byte range into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub const fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier such as `E014`; see [`crate::codes`].
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Short text printed under the span ("expected a number").
    pub label: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, code, message: message.into(), span, label: String::new(), hint: None }
    }
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, span, message) }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Maps byte offsets to 1-based line and column (columns count characters).
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// 1-based (line, column) of a byte offset. Offsets past the end clamp.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The machine-readable form of a diagnostic (`--format json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DiagnosticRecord {
    pub file: String,
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl DiagnosticRecord {
    pub fn new(file: &str, source: &str, diag: &Diagnostic) -> Self {
        let index = LineIndex::new(source);
        let (line, column) = index.line_col(diag.span.start);
        let (end_line, end_column) = index.line_col(diag.span.end);
        DiagnosticRecord {
            file: file.to_string(),
            severity: diag.severity,
            code: diag.code.to_string(),
            message: diag.message.clone(),
            line,
            column,
            end_line,
            end_column,
            label: diag.label.clone(),
            hint: diag.hint.clone(),
        }
    }
}

/// Renders diagnostics the way a good compiler does: `file:line:col`, the
/// source line, the span underlined with its label, and the hint.
pub fn render_human(file: &str, source: &str, diags: &[Diagnostic], color: bool) -> String {
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
