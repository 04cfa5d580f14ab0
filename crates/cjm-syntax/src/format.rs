//! The canonical layout of a `.cjm` file.
//!
//! Two spaces per level; one space after `:`; actors joined by `, `; runs of
//! blank lines folded to one; comments kept, indented like the line they
//! introduce. Text is printed as written (escapes included), so formatting
//! never changes what a map says: `parse(format(x))` lowers to the same model
//! as `parse(x)`, and `format` is idempotent.

use crate::diag::Span;
use crate::tree::*;

/// Formats a parsed document. Lines that did not parse are kept verbatim, but
/// callers should refuse to rewrite a file with errors.
pub fn format(source: &str, doc: &Document) -> String {
    let mut lines: Vec<Out> = Vec::new();
    let header_at = doc.nodes.iter().position(|n| n.kind == NodeKind::Header);
    let mut in_stage_properties = false;
    // 1 while a section's steps are printed at the section's own level.
    let mut shift = 0;
    for (i, node) in doc.nodes.iter().enumerate() {
        let before_header = header_at.is_none_or(|h| i < h);
        match &node.kind {
            NodeKind::Section(_) => {
                in_stage_properties = true;
                shift = 0;
            }
            NodeKind::Task(task) => {
                if in_stage_properties && reads_as_stage_property(source, task) {
                    // Indented under its section, this step would read as a
                    // stage property: print the section's steps at its level.
                    shift = 1;
                }
                in_stage_properties = false;
            }
            _ => {}
        }
        if shift > 0 && node.level >= 2 {
            let node = Node { level: node.level - shift, ..node.clone() };
            emit(source, &node, before_header, &mut lines);
        } else {
            emit(source, node, before_header, &mut lines);
        }
    }
    resolve_levels(&mut lines);
    render(&lines)
}

#[derive(Clone, Debug)]
enum Out {
    Blank,
    /// A comment or directive: indented like the next line of content.
    Floating {
        level: Option<usize>,
        text: String,
    },
    /// Text printed with this indentation level.
    Line {
        level: usize,
        text: String,
    },
    /// Printed as is, no indentation (front matter, blank lines inside blocks).
    Verbatim(String),
}

/// The text at `span` as written, safe to print before a delimiter: a
/// trailing unpaired backslash (it escaped whitespace that trimming removed)
/// is doubled, so it cannot escape the `:` or `,` printed after it.
fn raw(source: &str, span: Span) -> std::borrow::Cow<'_, str> {
    let text = &source[span.start..span.end];
    if text.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1 {
        format!("{text}\\").into()
    } else {
        text.into()
    }
}

fn emit(source: &str, node: &Node, before_header: bool, out: &mut Vec<Out>) {
    let level = node.level;
    let with_comment = |text: String| match node.comment {
        Some(c) => format!("{text} {}", raw(source, c)),
        None => text,
    };
    match &node.kind {
        NodeKind::Blank => out.push(Out::Blank),
        NodeKind::Comment | NodeKind::Directive => {
            let text = raw(source, node.span).lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
            let level = if before_header { Some(0) } else { None };
            out.push(Out::Floating { level, text });
        }
        NodeKind::FrontMatter { .. } => {
            let text = raw(source, node.span).lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
            out.push(Out::Verbatim(text));
        }
        NodeKind::Header => out.push(Out::Line { level: 0, text: "journey".into() }),
        NodeKind::Title(t) => {
            out.push(Out::Line { level, text: with_comment(format!("title {}", raw(source, t.span))) })
        }
        NodeKind::AccTitle(t) => {
            out.push(Out::Line { level, text: format!("accTitle: {}", raw(source, t.span)).trim_end().into() })
        }
        NodeKind::AccDescr { text, block: false } => {
            out.push(Out::Line { level, text: format!("accDescr: {}", text.value).trim_end().into() })
        }
        NodeKind::AccDescr { text, block: true } => {
            out.push(Out::Line { level, text: "accDescr {".into() });
            for line in text.value.lines() {
                out.push(block_line(level + 1, line));
            }
            out.push(Out::Line { level, text: "}".into() });
        }
        NodeKind::Section(t) => {
            out.push(Out::Line { level, text: with_comment(format!("section {}", raw(source, t.span))) })
        }
        NodeKind::Task(task) => out.push(Out::Line { level, text: with_comment(task_line(source, task)) }),
        NodeKind::Keyword { keyword, arg, attrs } => {
            let mut text = format!("{} {}", keyword.as_str(), raw(source, arg.span)).trim_end().to_string();
            push_attrs(source, attrs.as_ref(), &mut text);
            out.push(Out::Line { level, text });
        }
        NodeKind::Property(p) => emit_property(source, p, level, out),
        NodeKind::Error => {
            for line in raw(source, node.span).lines() {
                out.push(Out::Line { level, text: line.trim().into() });
            }
        }
    }
}

/// A task such as `goal: soon` (a name that is a stage key, a score that is
/// not a number) would read as a stage property if indented under its section.
fn reads_as_stage_property(source: &str, task: &Task) -> bool {
    let data = &source[task.score.span.start..task.score.span.end];
    crate::keys::Context::Stage.knows(&task.name.value) && !crate::parser::looks_like_task_data(data)
}

fn task_line(source: &str, task: &Task) -> String {
    let score = raw(source, task.score.span);
    let name = raw(source, task.name.span);
    // A task that shared the header's line may start with `%%`; on a line
    // of its own that would be a comment, so the `%` is escaped.
    let name = if name.starts_with("%%") { format!("\\{name}").into() } else { name };
    let mut text = format!("{name}: {score}");
    // Ignored text keeps its place after the actors, even when there are
    // none; an empty score keeps the `:` after it (`S ::` is a step with
    // score 0 as Mermaid reads it, `S:` one whose score is missing).
    if !task.actors.is_empty() || task.ignored.is_some() || score.trim().is_empty() {
        let actors: Vec<_> = task.actors.iter().map(|a| raw(source, a.span)).collect();
        text.push_str(": ");
        text.push_str(&actors.join(", "));
    }
    if let Some(ignored) = task.ignored {
        text.push_str(raw(source, ignored).trim_end());
    }
    text.trim_end().to_string()
}

fn emit_property(source: &str, p: &Property, level: usize, out: &mut Vec<Out>) {
    let key = match &p.qualifier {
        Some(q) => format!("{} {}", p.key.name, raw(source, q.span)),
        None => p.key.name.to_string(),
    };
    if p.block {
        let mut head = format!("{key}: |");
        push_attrs(source, p.attrs.as_ref(), &mut head);
        out.push(Out::Line { level, text: head });
        for line in p.value.value.lines() {
            out.push(block_line(level + 1, line));
        }
        return;
    }
    let mut text = format!("{key}: {}", raw(source, p.value.span));
    push_attrs(source, p.attrs.as_ref(), &mut text);
    out.push(Out::Line { level, text });
}

fn push_attrs(source: &str, attrs: Option<&Attrs>, text: &mut String) {
    let Some(attrs) = attrs else { return };
    let items: Vec<String> = attrs
        .items
        .iter()
        .map(|a| {
            let value = raw(source, a.value.span);
            if value.is_empty() {
                a.key.value.clone()
            } else {
                format!("{} {value}", a.key.value)
            }
        })
        .collect();
    text.push_str(&format!(" [{}]", items.join(", ")));
}

/// A line of a `|` or `accDescr` block: blank lines are part of the text,
/// so they are printed exactly, never folded.
fn block_line(level: usize, line: &str) -> Out {
    if line.is_empty() {
        Out::Verbatim(String::new())
    } else {
        Out::Line { level, text: line.into() }
    }
}

/// Comments take the level of the next line of content (or the previous
/// one at the end of the file).
fn resolve_levels(lines: &mut [Out]) {
    let mut next: Option<usize> = None;
    for out in lines.iter_mut().rev() {
        match out {
            Out::Line { level, .. } => next = Some(*level),
            Out::Floating { level, .. } if level.is_none() => *level = next,
            _ => {}
        }
    }
    let mut previous = 0;
    for out in lines.iter_mut() {
        match out {
            Out::Line { level, .. } => previous = *level,
            Out::Floating { level, .. } if level.is_none() => *level = Some(previous),
            _ => {}
        }
    }
}

fn render(lines: &[Out]) -> String {
    let mut text = String::new();
    let mut pending_blank = false;
    for out in lines {
        let (level, body) = match out {
            Out::Blank => {
                pending_blank = !text.is_empty();
                continue;
            }
            Out::Floating { level, text } => (level.unwrap_or(0), text.as_str()),
            Out::Line { level, text } => (*level, text.as_str()),
            Out::Verbatim(t) => (0, t.as_str()),
        };
        if pending_blank {
            text.push('\n');
            pending_blank = false;
        }
        let is_verbatim = matches!(out, Out::Verbatim(_));
        for (i, line) in body.split('\n').enumerate() {
            if !is_verbatim && (i == 0 || !line.is_empty()) {
                text.push_str(&"  ".repeat(level));
            }
            text.push_str(if i == 0 || is_verbatim { line } else { line.trim_start() });
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::parse;

    fn fmt(src: &str) -> String {
        let p = parse(src);
        super::format(src, &p.document)
    }

    #[test]
    fn lays_out_canonically_and_keeps_comments() {
        let src = "%% top\njourney\ntitle   My day\n\n\n%% the morning\nsection Morning\nMake tea:5:Me,Cat\n        channel:   store\n";
        let want = "%% top\njourney\n  title My day\n\n  %% the morning\n  section Morning\n    Make tea: 5: Me, Cat\n      channel: store\n";
        assert_eq!(fmt(src), want);
        assert_eq!(fmt(want), want);
    }

    /// Found by the property test: a step named like a stage key, first in
    /// its section, keeps the section's steps at the section's level.
    #[test]
    fn steps_named_like_stage_keys_stay_steps() {
        let src =
            "journey\n  section S\n  description: not a number\n  goal: another step\n  Real: 3\n    channel: web\n";
        assert_eq!(fmt(src), src);
        let p = parse(src);
        let tasks = p.document.nodes.iter().filter(|n| matches!(n.kind, crate::NodeKind::Task(_))).count();
        assert_eq!(tasks, 3);
    }

    /// Found by the property test: a backslash before trimmed whitespace is
    /// a literal backslash, and must not escape the `:` printed after it.
    #[test]
    fn trailing_backslash_does_not_escape_the_delimiter() {
        let src = "journey\n  A\\\t: 3: B\\ , C\n";
        let once = fmt(src);
        assert_eq!(once, "journey\n  A\\\\: 3: B\\\\, C\n");
        let names = |t: &str| {
            parse(t).document.nodes.iter().find_map(|n| match &n.kind {
                crate::NodeKind::Task(task) => {
                    Some((task.name.value.clone(), task.actors.iter().map(|a| a.value.clone()).collect::<Vec<_>>()))
                }
                _ => None,
            })
        };
        assert_eq!(names(src), names(&once));
    }

    /// Found by fuzzing: a step on the header's line whose name starts
    /// with `%%` stays a step on a line of its own.
    #[test]
    fn a_step_named_like_a_comment_stays_a_step() {
        let src = "journey\u{b}  %%tle Quirks: 3: Me\n";
        let once = fmt(src);
        assert_eq!(once, "journey\n  \\%%tle Quirks: 3: Me\n");
        assert_eq!(fmt(&once), once);
        let tasks =
            |t: &str| parse(t).document.nodes.iter().filter(|n| matches!(n.kind, crate::NodeKind::Task(_))).count();
        assert_eq!((tasks(src), tasks(&once)), (1, 1));
    }

    /// Found by fuzzing: an empty score before a comment keeps both colons,
    /// so the step does not lose its score when formatted.
    #[test]
    fn an_empty_score_keeps_its_colons() {
        let src = "journey\n  section S\n    S [[[ ]]] :: ##\n    T ::\n";
        let once = fmt(src);
        assert_eq!(once, "journey\n  section S\n    S [[[ ]]]: : ##\n    T: :\n");
        assert_eq!(fmt(&once), once);
        assert!(!parse(&once).has_errors());
    }

    /// Found by the property test: ignored text must not become an actor.
    #[test]
    fn ignored_text_after_an_empty_actor_list_stays_ignored() {
        assert_eq!(fmt("journey\n  A: 5:: Me\n"), "journey\n  A: 5: : Me\n");
        assert_eq!(fmt("journey\n  A: 5: X: Me\n"), "journey\n  A: 5: X: Me\n");
    }
}
