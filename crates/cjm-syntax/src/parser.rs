//! The `.cjm` parser: source text in, [`Document`] and diagnostics out. It
//! never fails and never panics: a line it cannot read becomes an
//! [`NodeKind::Error`] node with a diagnostic, and parsing goes on.
//!
//! Mermaid compatibility drives the rules (see `docs/format.md`):
//! - `title`, `section`, `accTitle` and `accDescr` are matched without regard
//!   to case, as Mermaid's lexer does; cjm's own keywords are lowercase.
//! - On Mermaid lines (title, section, task) a `#` starts a comment, as in
//!   Mermaid; cjm keeps the cut and warns.
//! - `%%` is a comment only at the start of a line; after text Mermaid reads
//!   it as text, and so does cjm (with a warning).
//! - A `key: value` line is a property only where cjm expects one (indented
//!   under a task, persona, metric or section, or at the top of the journey)
//!   and only when the key is known there. Anything else of the form
//!   `name: data` is a Mermaid task, so every Mermaid journey reads as it does
//!   in Mermaid.

use crate::codes;
use crate::diag::{Diagnostic, Span};
use crate::escape::{find_comment, find_unescaped, rfind_unescaped, split_unescaped, unescape, unescape_mermaid};
use crate::keys::{self, Context};
use crate::number::js_number;
use crate::tree::*;

/// The result of parsing: the tree and everything wrong with the text.
#[derive(Clone, Debug, Default)]
pub struct Parse {
    pub document: Document,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a whole `.cjm` (or Mermaid `journey`) text.
pub fn parse(source: &str) -> Parse {
    let mut parser = Parser::new(source);
    parser.run();
    Parse { document: Document { nodes: parser.nodes }, diagnostics: parser.diags }
}

/// Parses bytes that should be UTF-8 text. Bytes that are not are refused
/// with one diagnostic at the first bad byte (`E001`): a tree of a text
/// that is not text would point its diagnostics at the wrong places.
pub fn parse_bytes(bytes: &[u8]) -> Result<Parse, Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(parse(text)),
        Err(e) => {
            let at = e.valid_up_to();
            Err(Diagnostic::error(codes::INVALID_UTF8, Span::new(at, at + 1), "the file is not valid UTF-8")
                .with_label(format!("byte 0x{:02X} cannot start or continue a UTF-8 character", bytes[at]))
                .with_hint("save the file as UTF-8 (most editors offer it under \"Save with encoding\")"))
        }
    }
}

/// One physical line: where its text starts and ends (without `\r\n`).
#[derive(Clone, Copy)]
struct RawLine {
    start: usize,
    end: usize,
}

/// The innermost construct the next line may belong to.
#[derive(Default)]
struct Scope {
    section: Option<usize>,
    task: Option<usize>,
    /// The open persona or metric block.
    block: Option<usize>,
    /// A section or task has been seen: journey-level properties are over.
    body_started: bool,
    /// The current section already has a task: its properties are over.
    section_has_tasks: bool,
}

struct Parser<'s> {
    src: &'s str,
    lines: Vec<RawLine>,
    pos: usize,
    nodes: Vec<Node>,
    diags: Vec<Diagnostic>,
    header_seen: bool,
    title_seen: bool,
    missing_header_reported: bool,
    mixed_indent_reported: bool,
    scope: Scope,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        let lines = split_lines(src);
        Parser {
            src,
            pos: 0,
            nodes: Vec::with_capacity(lines.len()),
            lines,
            diags: Vec::new(),
            header_seen: false,
            title_seen: false,
            missing_header_reported: false,
            mixed_indent_reported: false,
            scope: Scope::default(),
        }
    }

    fn run(&mut self) {
        if self.lines.first().is_some_and(|l| self.src[l.start..l.end].trim_end() == "---") {
            self.front_matter();
        }
        while self.pos < self.lines.len() {
            self.line();
        }
        if !self.header_seen {
            self.report_missing_header(None);
        }
    }

    fn push(&mut self, kind: NodeKind, span: Span, indent: usize, level: usize, owner: Option<usize>) -> usize {
        self.nodes.push(Node { kind, span, indent, level, owner, comment: None });
        self.nodes.len() - 1
    }

    fn line(&mut self) {
        let raw = self.lines[self.pos];
        let (indent, text_start) = self.measure_indent(raw);
        let text = self.src[text_start..raw.end].trim_end();
        let span = Span::new(text_start, text_start + text.len());
        if text.is_empty() {
            self.push(NodeKind::Blank, Span::empty(raw.start), 0, 0, None);
            self.pos += 1;
            return;
        }
        if text.starts_with("%%{") {
            self.directive(span);
            return;
        }
        self.pos += 1;
        if text.starts_with("%%") {
            self.push(NodeKind::Comment, span, indent, 0, None);
        } else if !self.header_seen {
            self.before_header(text, span, indent);
        } else {
            self.statement(text, span, indent);
        }
    }

    /// Columns of indentation (a tab counts as 4) and where the text starts.
    /// Any other white space (a vertical tab, a form feed, a no-break
    /// space) is skipped as one column, as Mermaid's lexer skips `\s+`
    /// before a keyword: otherwise `\u{b}title T` would be a step here and
    /// a title once `cjm fmt` rewrote the indentation.
    fn measure_indent(&mut self, raw: RawLine) -> (usize, usize) {
        let mut start = raw.start;
        if start == 0 && self.src.starts_with('\u{feff}') {
            start = 3;
        }
        let (mut columns, mut tabs, mut spaces) = (0, false, false);
        let mut at = start;
        for c in self.src[start..raw.end].chars() {
            match c {
                ' ' => spaces = true,
                '\t' => tabs = true,
                c if c.is_whitespace() => {}
                _ => break,
            }
            columns += if c == '\t' { 4 } else { 1 };
            at += c.len_utf8();
        }
        if tabs && spaces && !self.mixed_indent_reported {
            self.mixed_indent_reported = true;
            self.diags.push(
                Diagnostic::warning(codes::MIXED_INDENT, Span::new(start, at), "indentation mixes tabs and spaces")
                    .with_label("cjm counts a tab as 4 columns here")
                    .with_hint("indent with spaces only; formatting the map rewrites the indentation for you"),
            );
        }
        (columns, at)
    }

    fn front_matter(&mut self) {
        let open = self.lines[0];
        let close = (1..self.lines.len()).find(|&i| {
            let l = self.lines[i];
            self.src[l.start..l.end].trim_end() == "---"
        });
        let Some(close) = close else {
            let span = Span::new(open.start, open.end);
            self.diags.push(
                Diagnostic::error(codes::UNTERMINATED, span, "the front matter is never closed")
                    .with_label("front matter opens here")
                    .with_hint("end the front matter with a line of `---` before `journey`"),
            );
            self.push(NodeKind::Error, span, 0, 0, None);
            self.pos = 1;
            return;
        };
        let mut title = None;
        for l in &self.lines[1..close] {
            let line = &self.src[l.start..l.end];
            if let Some(rest) = line.strip_prefix("title:") {
                let value = rest.trim();
                let offset = l.start + 6 + (rest.len() - rest.trim_start().len());
                let unquoted = strip_quotes(value);
                let inner = offset + (value.len() - unquoted.len()) / 2;
                title = Some(Text { value: unquoted.to_string(), span: Span::new(inner, inner + unquoted.len()) });
            }
        }
        let span = Span::new(open.start, self.lines[close].end);
        self.push(NodeKind::FrontMatter { title }, span, 0, 0, None);
        self.pos = close + 1;
    }

    fn directive(&mut self, span: Span) {
        let first = self.pos;
        let end = (first..self.lines.len()).find(|&i| {
            let l = self.lines[i];
            let from = if i == first { span.start } else { l.start };
            self.src[from..l.end].contains("}%%")
        });
        match end {
            Some(last) => {
                let span = Span::new(span.start, self.src[..self.lines[last].end].trim_end().len());
                self.push(NodeKind::Directive, span, 0, 0, None);
                self.pos = last + 1;
            }
            None => {
                self.diags.push(
                    Diagnostic::error(codes::UNTERMINATED, span, "the directive is never closed")
                        .with_label("`%%{` opens a directive")
                        .with_hint("close it with `}%%`, e.g. `%%{init: {'theme': 'base'}}%%`"),
                );
                self.push(NodeKind::Error, span, 0, 0, None);
                self.pos = first + 1;
            }
        }
    }

    fn before_header(&mut self, text: &str, span: Span, indent: usize) {
        let (word, rest) = split_word(text);
        if word == "journey" {
            self.header_seen = true;
            self.push(NodeKind::Header, Span::new(span.start, span.start + word.len()), indent, 0, None);
            let rest_trimmed = rest.trim_start();
            if !rest_trimmed.is_empty() {
                // Mermaid allows a statement on the header line: `journey title Hi`.
                let start = span.end - rest_trimmed.len();
                self.statement(rest_trimmed, Span::new(start, span.end), indent + 1);
            }
            return;
        }
        self.report_missing_header(Some((text, span)));
        self.push(NodeKind::Error, span, indent, 0, None);
    }

    fn report_missing_header(&mut self, found: Option<(&str, Span)>) {
        if self.missing_header_reported {
            return;
        }
        self.missing_header_reported = true;
        let diag = match found {
            Some((text, span)) => {
                let word = split_word(text).0;
                let mut d = Diagnostic::error(
                    codes::MISSING_HEADER,
                    span,
                    format!("expected the `journey` header line, found `{}`", clip(text, 40)),
                )
                .with_label("a map starts with `journey`");
                d = if word.eq_ignore_ascii_case("journey") {
                    d.with_hint("write `journey` in lowercase, as Mermaid requires")
                } else {
                    d.with_hint("put a line that says `journey` before the title and sections")
                };
                d
            }
            None if self.src.trim().is_empty() => Diagnostic::error(
                codes::MISSING_HEADER,
                Span::empty(0),
                "the file is empty: expected the `journey` header line",
            )
            .with_hint("start the map with a `journey` line, or from one of the templates"),
            None => Diagnostic::error(
                codes::MISSING_HEADER,
                Span::empty(self.src.len()),
                "expected the `journey` header line, found only comments",
            )
            .with_hint("put a line that says `journey` before the title and sections"),
        };
        self.diags.push(diag);
    }

    fn statement(&mut self, text: &str, span: Span, indent: usize) {
        if let Some(block) = self.scope.block {
            if indent <= self.nodes[block].indent {
                self.scope.block = None;
            }
        }
        let lower_starts = |prefix: &str| {
            text.len() >= prefix.len()
                && text.is_char_boundary(prefix.len())
                && text[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        if lower_starts("acctitle") && text[8..].trim_start().starts_with(':') {
            self.acc_title(text, span, indent);
        } else if lower_starts("accdescr") && text[8..].trim_start().starts_with(['{', ':']) {
            self.acc_descr(text, span, indent);
        } else if lower_starts("title") && text[5..].starts_with(char::is_whitespace) {
            self.title(span, indent);
        } else if lower_starts("section") && text[7..].starts_with(char::is_whitespace) {
            self.section(span, indent);
        } else if text.eq_ignore_ascii_case("title") || text.eq_ignore_ascii_case("section") {
            let word = text.to_lowercase();
            let example = if word == "title" { "title Buy a laptop online" } else { "section Discover" };
            self.diags.push(
                Diagnostic::error(codes::EMPTY_TEXT, span, format!("`{word}` needs a name"))
                    .with_label(format!("expected text after `{word}`"))
                    .with_hint(format!("write e.g. `{example}`")),
            );
            self.push(NodeKind::Error, span, indent, 1, self.scope.section);
        } else if text == "journey" {
            self.diags.push(
                Diagnostic::error(codes::MISPLACED, span, "the `journey` header appears a second time")
                    .with_label("the map already started")
                    .with_hint("a file holds one map; remove this line or split the file"),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
        } else if let Some(colon) = find_unescaped(text, b':') {
            self.key_or_task(text, span, indent, colon);
        } else {
            self.keyword_or_error(text, span, indent);
        }
    }

    fn acc_title(&mut self, text: &str, span: Span, indent: usize) {
        let colon = text.find(':').unwrap_or(text.len() - 1);
        let value = text_at(self.src, span.start + colon + 1, span.end);
        self.scope.block = None;
        self.push(NodeKind::AccTitle(value), span, indent, 1, None);
    }

    fn acc_descr(&mut self, text: &str, span: Span, indent: usize) {
        self.scope.block = None;
        let after = text[8..].trim_start();
        if let Some(rest) = after.strip_prefix(':') {
            let start = span.end - rest.len();
            let value = text_at(self.src, start, span.end);
            self.push(NodeKind::AccDescr { text: value, block: false }, span, indent, 1, None);
            return;
        }
        // `accDescr {` … `}`: the text runs to the first `}`, across lines.
        let brace = span.start + text.find('{').unwrap_or(0);
        let Some(close) = self.src[brace..].find('}').map(|i| brace + i) else {
            self.diags.push(
                Diagnostic::error(
                    codes::UNTERMINATED,
                    Span::new(brace, brace + 1),
                    "the `accDescr` block is never closed",
                )
                .with_label("opened here")
                .with_hint("end the description with `}` on its own line"),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
            return;
        };
        let inner = &self.src[brace + 1..close];
        let value = inner.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string();
        let value = Text { value, span: Span::new(brace + 1, close) };
        while self.pos < self.lines.len() && self.lines[self.pos].start <= close {
            self.pos += 1;
        }
        let whole = Span::new(span.start, close + 1);
        let block = inner.contains('\n');
        let node = self.push(NodeKind::AccDescr { text: value, block }, whole, indent, 1, None);
        let line_end = self.lines[self.pos - 1].end;
        let trailing = self.src[close + 1..line_end].trim();
        if !trailing.is_empty() {
            let at = close + 1 + self.src[close + 1..line_end].find(trailing).unwrap_or(0);
            self.diags.push(
                Diagnostic::error(
                    codes::MISPLACED,
                    Span::new(at, at + trailing.len()),
                    "text after the closing `}` of `accDescr`",
                )
                .with_label("move this to a line of its own"),
            );
            self.nodes[node].kind = NodeKind::Error;
        }
    }

    fn title(&mut self, span: Span, indent: usize) {
        let body_start = span.start + 6;
        let (end, comment) = self.cut_hash(body_start, span.end, "title");
        let value = mermaid_text_at(self.src, body_start, end);
        self.warn_inline_comment(&value);
        self.scope.block = None;
        if value.value.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::EMPTY_TEXT, span, "`title` needs text")
                    .with_label("expected the map's title after `title`")
                    .with_hint("write e.g. `title Buy a laptop online`"),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
            return;
        }
        if let Some(section) = self.scope.section {
            self.diags.push(
                Diagnostic::warning(codes::TITLE_IN_SECTION, span, "`title` stands inside a section")
                    .with_label("this sets the title of the whole map")
                    .with_hint(format!(
                        "move it above the first `section` (line of `{}`)",
                        clip(&self.nodes_text(section), 30)
                    )),
            );
        }
        if std::mem::replace(&mut self.title_seen, true) {
            self.diags.push(
                Diagnostic::warning(codes::REPEATED_TITLE, span, "the title is set a second time")
                    .with_label("this title replaces the earlier one")
                    .with_hint("keep one `title` line"),
            );
        }
        let id = self.push(NodeKind::Title(value), span, indent, 1, None);
        self.nodes[id].comment = comment;
    }

    fn nodes_text(&self, index: usize) -> String {
        let span = self.nodes[index].span;
        self.src[span.start..span.end].to_string()
    }

    fn section(&mut self, span: Span, indent: usize) {
        let body_start = span.start + 8;
        let (end, comment) = self.cut_hash(body_start, span.end, "section name");
        let name = mermaid_text_at(self.src, body_start, end);
        self.warn_inline_comment(&name);
        self.scope = Scope { body_started: true, ..Scope::default() };
        if name.value.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::EMPTY_TEXT, span, "`section` needs a name")
                    .with_label("expected the stage's name after `section`")
                    .with_hint("write e.g. `section Discover`"),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
            return;
        }
        let raw = &self.src[name.span.start..name.span.end];
        if let Some(colon) = find_unescaped(raw, b':') {
            let at = name.span.start + colon;
            self.diags.push(
                Diagnostic::error(codes::COLON_IN_SECTION, Span::new(at, at + 1), "a section name cannot contain `:`")
                    .with_label("Mermaid ends the section name here")
                    .with_hint("write `\\:` to keep a colon in the name"),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
            return;
        }
        let id = self.push(NodeKind::Section(name), span, indent, 1, None);
        self.nodes[id].comment = comment;
        self.scope.section = Some(id);
    }

    /// On Mermaid lines an unescaped `#` starts a comment. Returns where the
    /// text ends and the comment's span.
    fn cut_hash(&mut self, start: usize, end: usize, what: &str) -> (usize, Option<Span>) {
        let Some(hash) = find_unescaped(&self.src[start..end], b'#') else {
            return (end, None);
        };
        let at = start + hash;
        self.diags.push(
            Diagnostic::warning(codes::HASH_CUTS_LINE, Span::new(at, end), format!("`#` cuts the {what} short"))
                .with_label("Mermaid reads this as a comment and ignores it")
                .with_hint("write `\\#` to keep a `#` in the text"),
        );
        (at, Some(Span::new(at, end)))
    }

    fn warn_inline_comment(&mut self, text: &Text) {
        let raw = &self.src[text.span.start..text.span.end];
        if let Some(at) = find_comment(raw) {
            let at = text.span.start + at;
            self.diags.push(
                Diagnostic::warning(
                    codes::INLINE_COMMENT,
                    Span::new(at, text.span.end),
                    "`%%` after text is not a comment",
                )
                .with_label("Mermaid keeps this as part of the text")
                .with_hint("put the comment on a line of its own, starting with `%%`"),
            );
        }
    }

    fn keyword_or_error(&mut self, text: &str, span: Span, indent: usize) {
        let (word, rest) = split_word(text);
        let Some(keyword) = Keyword::from_word(word) else {
            self.unknown_line(text, span, indent);
            return;
        };
        let arg_start = span.end - rest.trim_start().len();
        let mut arg = text_at(self.src, arg_start, span.end);
        let mut attrs = None;
        if keyword == Keyword::Metric {
            (arg, attrs) = self.split_attrs(arg);
        }
        self.scope.block = None;
        if arg.value.is_empty() && keyword != Keyword::Data {
            self.diags.push(
                Diagnostic::error(codes::EMPTY_TEXT, span, format!("`{word}` needs a value"))
                    .with_label(format!("expected {} after `{word}`", keyword_argument(keyword)))
                    .with_hint(format!("write e.g. `{}`", keyword_example(keyword))),
            );
            self.push(NodeKind::Error, span, indent, 1, None);
            return;
        }
        if keyword.header_only() && self.scope.body_started {
            // A block here would swallow the steps indented after it.
            self.diags.push(
                Diagnostic::error(codes::MISPLACED, span, format!("`{word}` stands after the first section"))
                    .with_label(match keyword {
                        Keyword::Use => "personas are taken from other files in the map's header".to_string(),
                        _ => format!("{word}s are declared in the map's header"),
                    })
                    .with_hint(match keyword {
                        Keyword::Use => "move this `use` line above the first `section`".to_string(),
                        _ => format!("move this `{word}` block above the first `section`"),
                    }),
            );
            // Its indented properties still belong to it, not to the section.
            let id = self.push(NodeKind::Error, span, indent, 1, None);
            self.scope.block = Some(id);
            return;
        }
        let id = self.push(NodeKind::Keyword { keyword, arg, attrs }, span, indent, 1, None);
        if keyword.opens_block() {
            self.scope.block = Some(id);
        }
    }

    fn unknown_line(&mut self, text: &str, span: Span, indent: usize) {
        let (word, _) = split_word(text);
        let mut candidates: Vec<&str> = Keyword::ALL.iter().map(|k| k.as_str()).collect();
        candidates.extend(["title", "section", "accTitle", "accDescr"]);
        let hint = if let Some(best) = keys::did_you_mean(word, candidates.iter().copied()) {
            format!("did you mean `{best}`?")
        } else if find_unescaped(text, b'#').is_some() {
            "a `#` starts a comment in Mermaid; write `\\#` to keep it".to_string()
        } else {
            format!("a step needs a score after a colon, e.g. `{}: 3`", clip(text, 30))
        };
        self.diags.push(
            Diagnostic::error(
                codes::UNKNOWN_LINE,
                span,
                format!("expected a step (`name: score`), a keyword or `key: value`, found `{}`", clip(text, 40)),
            )
            .with_label("cjm cannot read this line")
            .with_hint(hint),
        );
        self.push(NodeKind::Error, span, indent, 1, self.scope.section);
    }

    /// Where a `key: value` line at `indent` may belong, and its owner.
    fn context(&self, indent: usize) -> Option<(Context, Option<usize>)> {
        if let Some(task) = self.scope.task {
            if indent > self.nodes[task].indent {
                return Some((Context::Step, Some(task)));
            }
        }
        if let Some(block) = self.scope.block {
            let ctx = match &self.nodes[block].kind {
                NodeKind::Keyword { keyword: Keyword::Metric, .. } => Context::Metric,
                NodeKind::Keyword { keyword: Keyword::Data, .. } => Context::Data,
                _ => Context::Persona,
            };
            return Some((ctx, Some(block)));
        }
        if let Some(section) = self.scope.section {
            if !self.scope.section_has_tasks && indent > self.nodes[section].indent {
                return Some((Context::Stage, Some(section)));
            }
            return None;
        }
        if !self.scope.body_started {
            return Some((Context::Journey, None));
        }
        None
    }

    fn key_or_task(&mut self, text: &str, span: Span, indent: usize, colon: usize) {
        let key_raw = text[..colon].trim_end();
        let value_raw = &text[colon + 1..];
        let Some((ctx, owner)) = self.context(indent) else {
            self.task(text, span, indent);
            return;
        };
        let (key, qualifier) = split_key(key_raw, ctx);
        let known = ctx.knows(key);
        let task_like = looks_like_task_data(value_raw);
        match ctx {
            Context::Step if known => self.property(ctx, key, qualifier, span, colon, indent, owner),
            Context::Step if task_like => self.task(text, span, indent),
            Context::Persona | Context::Metric | Context::Data if known => {
                self.property(ctx, key, qualifier, span, colon, indent, owner)
            }
            Context::Persona | Context::Metric | Context::Data if task_like => {
                self.diags.push(
                    Diagnostic::error(codes::MISPLACED, span, format!("a step cannot stand inside {}", ctx.describe()))
                        .with_label("this line is indented under the persona or metric above")
                        .with_hint("indent it no deeper than the `persona`/`metric` line, under a `section`"),
                );
                self.push(NodeKind::Error, span, indent, 2, owner);
            }
            Context::Step | Context::Persona | Context::Metric | Context::Data => {
                self.unknown_key(ctx, key_raw, span, indent, owner);
            }
            Context::Stage | Context::Journey if known && !task_like => {
                self.property(ctx, key, qualifier, span, colon, indent, owner)
            }
            Context::Stage | Context::Journey => self.task(text, span, indent),
        }
    }

    fn unknown_key(&mut self, ctx: Context, key: &str, span: Span, indent: usize, owner: Option<usize>) {
        let level = owner.map_or(1, |o| self.nodes[o].level + 1);
        if key.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_LINE,
                    span,
                    format!("expected `key: value` in {}, found a line starting with `:`", ctx.describe()),
                )
                .with_label("nothing before the colon")
                .with_hint("write a key such as `note:` before the colon, or remove the line"),
            );
            self.push(NodeKind::Error, span, indent, level, owner);
            return;
        }
        let key_span = Span::new(span.start, span.start + key.len());
        let hint = match keys::did_you_mean(key, ctx.keys().iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("{} takes: {}", ctx.describe(), ctx.keys().join(", ")),
        };
        self.diags.push(
            Diagnostic::error(
                codes::UNKNOWN_KEY,
                key_span,
                format!("unknown key `{}` in {}", clip(key, 30), ctx.describe()),
            )
            .with_label(format!("expected one of {}'s keys", ctx.describe()))
            .with_hint(hint),
        );
        self.push(NodeKind::Error, span, indent, level, owner);
    }

    #[allow(clippy::too_many_arguments)]
    fn property(
        &mut self,
        ctx: Context,
        key: &str,
        qualifier: Option<&str>,
        span: Span,
        colon: usize,
        indent: usize,
        owner: Option<usize>,
    ) {
        let line_text = &self.src[span.start..span.end];
        let name = ctx.keys().iter().copied().find(|k| *k == key).unwrap_or("");
        let key_text = Key { name, span: Span::new(span.start, span.start + line_text[..colon].trim_end().len()) };
        let qualifier = qualifier.map(|q| {
            let at = span.start + line_text.find(q).unwrap_or(0);
            Text { value: unescape(q), span: Span::new(at, at + q.len()) }
        });
        let value_start = span.start + colon + 1;
        let level = owner.map_or(1, |o| self.nodes[o].level + 1);
        let trimmed = self.src[value_start..span.end].trim();
        let block_attrs =
            trimmed.strip_prefix('|').map(str::trim_start).filter(|rest| rest.is_empty() || rest.starts_with('['));
        let mut attrs = None;
        let (value, block, whole) = if let Some(rest) = block_attrs {
            if !rest.is_empty() && keys::takes_attrs(key) {
                let at = span.end - rest.len();
                attrs = self.split_attrs(text_at(self.src, at, span.end)).1;
            }
            match self.block_value(indent) {
                Some((value, end)) => (value, true, Span::new(span.start, end)),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_VALUE,
                            span,
                            format!("`{key}: |` has no indented lines below it"),
                        )
                        .with_label("a `|` value continues on the lines below")
                        .with_hint("indent the text under this line, deeper than the key"),
                    );
                    self.push(NodeKind::Error, span, indent, level, owner);
                    return;
                }
            }
        } else if key == "evidence" {
            (text_raw(self.src, value_start, span.end), false, span)
        } else {
            (text_at(self.src, value_start, span.end), false, span)
        };
        let (value, attrs) = if keys::takes_attrs(key) && !block { self.split_attrs(value) } else { (value, attrs) };
        if value.value.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::MISSING_VALUE, span, format!("`{key}` has no value"))
                    .with_label(format!("expected text after `{key}:`"))
                    .with_hint(format!("write the value after the colon, or remove the line ({})", ctx.describe())),
            );
            self.push(NodeKind::Error, span, indent, level, owner);
            return;
        }
        if !block {
            self.warn_inline_comment(&value);
        }
        let prop = Property { key: key_text, qualifier, value, block, attrs };
        self.push(NodeKind::Property(prop), whole, indent, level, owner);
    }

    /// The lines of a `|` block: every following line indented deeper than
    /// `indent`, blank lines included (but not trailing ones). Dedented.
    fn block_value(&mut self, indent: usize) -> Option<(Text, usize)> {
        let mut last = None;
        let mut at = self.pos;
        while at < self.lines.len() {
            let l = self.lines[at];
            let text = &self.src[l.start..l.end];
            if text.trim().is_empty() {
                at += 1;
                continue;
            }
            if column_width(text) <= indent {
                break;
            }
            last = Some(at);
            at += 1;
        }
        let last = last?;
        let first = self.pos;
        let lines: Vec<&str> = (first..=last).map(|i| &self.src[self.lines[i].start..self.lines[i].end]).collect();
        let strip = lines.iter().filter(|l| !l.trim().is_empty()).map(|l| column_width(l)).min().unwrap_or(0);
        let value = lines
            .iter()
            .map(|l| if l.trim().is_empty() { "" } else { drop_columns(l, strip).trim_end() })
            .collect::<Vec<_>>()
            .join("\n")
            .trim_matches('\n')
            .to_string();
        let start = self.lines[first].start;
        let end = self.lines[last].end;
        self.pos = last + 1;
        Some((Text { value, span: Span::new(start, end) }, end))
    }

    /// Splits a trailing `[key value, …]` off a value.
    fn split_attrs(&mut self, value: Text) -> (Text, Option<Attrs>) {
        let raw = &self.src[value.span.start..value.span.end];
        // The closing `]` is escaped when an odd number of backslashes stands before it.
        let backslashes = raw.strip_suffix(']').map(|r| r.bytes().rev().take_while(|&b| b == b'\\').count());
        if backslashes.is_none_or(|n| n % 2 == 1) {
            return (value, None);
        }
        let Some(open) = rfind_unescaped(raw, b'[') else {
            return (value, None);
        };
        let inner_start = value.span.start + open + 1;
        let inner = &raw[open + 1..raw.len() - 1];
        let mut items = Vec::new();
        for range in split_unescaped(inner, b',') {
            let part = &inner[range.clone()];
            if part.trim().is_empty() {
                continue;
            }
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            let item_start = inner_start + range.start + lead;
            let key_len = item.find(|c: char| c.is_whitespace() || c == ':' || c == '=').unwrap_or(item.len());
            let key = Text { value: item[..key_len].to_string(), span: Span::new(item_start, item_start + key_len) };
            let rest = &item[key_len..];
            let rest = rest.trim_start().trim_start_matches([':', '=']);
            let value_start = item_start + item.len() - rest.trim_start().len();
            let val = text_at(self.src, value_start, item_start + item.len());
            items.push(Attr { key, value: val });
        }
        let attrs = Attrs { span: Span::new(value.span.start + open, value.span.end), items };
        let text = text_at(self.src, value.span.start, value.span.start + open);
        (text, Some(attrs))
    }

    fn task(&mut self, text: &str, span: Span, indent: usize) {
        let (end, comment) = self.cut_hash(span.start, span.end, "step");
        let text = &text[..end - span.start];
        let level = if self.scope.section.is_some() { 2 } else { 1 };
        let Some(colon) = find_unescaped(text, b':') else {
            self.diags.push(
                Diagnostic::error(codes::UNKNOWN_LINE, span, "the step has no score: its `:` comes after a `#`")
                    .with_label("Mermaid ignores everything from the `#` on")
                    .with_hint("write `\\#` to keep the `#` in the step's name"),
            );
            self.push(NodeKind::Error, span, indent, level, self.scope.section);
            return;
        };
        let name = mermaid_text_at(self.src, span.start, span.start + colon);
        if name.value.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    codes::EMPTY_NAME,
                    Span::new(span.start, span.start + colon + 1),
                    "the step has no name",
                )
                .with_label("expected the step's name before `:`")
                .with_hint("write e.g. `Compare models: 3: Sam`"),
            );
            self.push(NodeKind::Error, span, indent, level, self.scope.section);
            return;
        }
        let data_start = span.start + colon + 1;
        let data = &self.src[data_start..end];
        if data.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(codes::MISSING_VALUE, span, "the step has no score after `:`")
                    .with_label("expected a score such as `3`")
                    .with_hint(format!("write e.g. `{}: 3`", clip(&name.value, 30))),
            );
            self.push(NodeKind::Error, span, indent, level, self.scope.section);
            return;
        }
        let pieces = split_unescaped(data, b':');
        let score = text_at(self.src, data_start + pieces[0].start, data_start + pieces[0].end);
        if score.value.is_empty() {
            self.diags.push(
                Diagnostic::warning(
                    codes::EMPTY_SCORE,
                    Span::new(data_start - 1, data_start + pieces[0].end),
                    "the score is empty",
                )
                .with_label("Mermaid reads an empty score as 0")
                .with_hint("write a number from the map's scale, e.g. `3`"),
            );
        }
        let mut actors = Vec::new();
        if let Some(range) = pieces.get(1) {
            let list = &data[range.clone()];
            let list_start = data_start + range.start;
            for part in split_unescaped(list, b',') {
                let actor = mermaid_text_at(self.src, list_start + part.start, list_start + part.end);
                if actor.value.is_empty() {
                    let at = Span::new(list_start + part.start.saturating_sub(1), list_start + part.end);
                    self.diags.push(
                        Diagnostic::warning(codes::EMPTY_ACTOR, at, "empty actor in the list")
                            .with_label("Mermaid would list an actor with no name; cjm drops it")
                            .with_hint("remove the extra comma"),
                    );
                } else {
                    self.warn_inline_comment(&actor);
                    actors.push(actor);
                }
            }
        }
        let ignored = pieces.get(2).map(|r| {
            let span = Span::new(data_start + r.start - 1, end);
            self.diags.push(
                Diagnostic::warning(codes::IGNORED_TEXT, span, "text after the second `:` is ignored")
                    .with_label("Mermaid drops everything after the actors")
                    .with_hint("a step line is `name: score: actor, actor`; write `\\:` for a colon inside a name"),
            );
            span
        });
        self.warn_inline_comment(&name);
        let task = Task { name, score, actors, ignored };
        let id = self.push(NodeKind::Task(task), span, indent, level, self.scope.section);
        self.nodes[id].comment = comment;
        self.scope.task = Some(id);
        self.scope.block = None;
        self.scope.body_started = true;
        self.scope.section_has_tasks = true;
    }
}

fn split_lines(src: &str) -> Vec<RawLine> {
    let mut lines = Vec::with_capacity(src.len() / 32);
    let mut start = 0;
    for (i, _) in src.match_indices('\n') {
        lines.push(RawLine { start, end: trim_cr(src, start, i) });
        start = i + 1;
    }
    if start < src.len() {
        lines.push(RawLine { start, end: trim_cr(src, start, src.len()) });
    }
    lines
}

fn trim_cr(src: &str, start: usize, end: usize) -> usize {
    if end > start && src.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The first whitespace-separated word and the rest.
fn split_word(text: &str) -> (&str, &str) {
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

/// Splits `score Sam` / `future score Sam` into key and persona.
fn split_key(key: &str, ctx: Context) -> (&str, Option<&str>) {
    if ctx == Context::Step {
        for prefix in ["future score", "score"] {
            if let Some(rest) = key.strip_prefix(prefix) {
                if rest.is_empty() {
                    return (prefix, None);
                }
                if rest.starts_with(char::is_whitespace) {
                    return (prefix, Some(rest.trim()));
                }
            }
        }
    }
    (key, None)
}

/// How a step says it has no score (Mermaid reads it as NaN).
pub const NO_SCORE: &str = "-";

/// True when a value reads as Mermaid task data (`3`, `3: Sam`), so the line
/// is a task even where a property of that name could stand.
pub(crate) fn looks_like_task_data(value: &str) -> bool {
    let first = match find_unescaped(value, b':') {
        Some(colon) => value[..colon].trim(),
        None => value.trim(),
    };
    first == NO_SCORE || (!first.is_empty() && js_number(first).is_some())
}

/// Trimmed, unescaped text between two offsets.
fn text_at(src: &str, start: usize, end: usize) -> Text {
    decoded_at(src, start, end, unescape)
}

/// [`text_at`] on a Mermaid line: entity codes (`#58;`) read as Mermaid
/// reads them.
fn mermaid_text_at(src: &str, start: usize, end: usize) -> Text {
    decoded_at(src, start, end, unescape_mermaid)
}

fn decoded_at(src: &str, start: usize, end: usize, decode: fn(&str) -> String) -> Text {
    let raw = &src[start..end];
    let lead = raw.len() - raw.trim_start().len();
    let trimmed = raw.trim();
    let span = Span::new(start + lead, start + lead + trimmed.len());
    Text { value: decode(trimmed), span }
}

/// Trimmed text between two offsets, escapes kept.
fn text_raw(src: &str, start: usize, end: usize) -> Text {
    let t = text_at(src, start, end);
    Text { value: src[t.span.start..t.span.end].to_string(), span: t.span }
}

fn strip_quotes(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

fn column_width(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ' || *c == '\t').map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

fn drop_columns(line: &str, columns: usize) -> &str {
    let mut seen = 0;
    for (i, c) in line.char_indices() {
        if seen >= columns || (c != ' ' && c != '\t') {
            return &line[i..];
        }
        seen += if c == '\t' { 4 } else { 1 };
    }
    ""
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn keyword_argument(keyword: Keyword) -> &'static str {
    match keyword {
        Keyword::State => "`current` or `future`",
        Keyword::Scale => "a range such as `1..5`",
        Keyword::Version => "a version label",
        Keyword::Date => "a date",
        Keyword::Persona => "the persona's name",
        Keyword::Metric => "the metric's name",
        Keyword::Data => "the log's path",
        Keyword::Use => "the path of a file with personas",
    }
}

fn keyword_example(keyword: Keyword) -> &'static str {
    match keyword {
        Keyword::State => "state current",
        Keyword::Scale => "scale 1..5",
        Keyword::Version => "version 2.1",
        Keyword::Date => "date 2026-11-22",
        Keyword::Persona => "persona Sam",
        Keyword::Metric => "metric Conversion [unit %, target 30]",
        Keyword::Data => "data events.parquet",
        Keyword::Use => "use personas.cjm",
    }
}
