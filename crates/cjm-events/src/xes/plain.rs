//! The plain scanner: XES as writers write it, tokenized by hand, taking
//! a trace's or an event's attribute in one step; `None` at anything else,
//! and quick-xml reads the span again.

use super::rules::*;
use super::*;

/// Reads `span` of the file like [`parse`] when it is written the plain
/// way XES writers write: known XES elements with plain attributes (see
/// [`simple_attributes`]), blanks between tags, the XML declaration,
/// processing instructions and comments. It tokenizes the bytes itself and
/// takes an attribute of a trace or an event (most of a log's elements) in
/// one step. `None` at anything else — text, CDATA, a DOCTYPE, entities,
/// an unknown element, text that is not UTF-8, or any error — and the
/// caller reads the span again, with fresh state, by [`parse`], which has
/// the last word on what a file holds and how it is wrong.
pub(super) fn parse_plain(
    bytes: &[u8],
    span: Span,
    state: &mut XesState,
    stack: &mut Vec<Frame>,
    saw_log: &mut bool,
) -> Option<()> {
    let b = &bytes[span.from..span.to];
    let text = std::str::from_utf8(b).ok()?;
    let mut next_progress = PROGRESS_EVERY;
    let mut attrs = XmlAttrs::default();
    let mut i = 0;
    loop {
        // Between tags: blanks only (a short run of them, so no search call).
        i = skip_blanks(b, i);
        match b.get(i) {
            None => {
                if span.report {
                    report_progress(state.opts, bytes.len(), bytes.len());
                }
                return Some(());
            }
            Some(b'<') => i += 1,
            Some(_) => return None,
        }
        match *b.get(i)? {
            b'/' => {
                let name_end = i + 1 + b[i + 1..].iter().take_while(|&&c| is_name_byte(c)).count();
                let name = known_element(&b[i + 1..name_end])?;
                let close_at = skip_blanks(b, name_end);
                if b.get(close_at) != Some(&b'>') {
                    return None;
                }
                i = close_at + 1;
                let top = stack.last().filter(|f| f.ctx != Ctx::Root)?;
                if top.name != name {
                    return None;
                }
                let frame = stack.pop()?;
                close(state, stack, frame).ok()?;
            }
            // The XML declaration and processing instructions, as quick-xml
            // reads them (up to the first `?>`), say nothing about events.
            b'?' => i += memchr::memmem::find(&b[i..], b"?>")? + 2,
            b'!' if b[i..].starts_with(b"!--") => i += memchr::memmem::find(&b[i + 3..], b"-->")? + 6,
            _ => {
                let name_end = i + b[i..].iter().take_while(|&&c| is_name_byte(c)).count();
                let name = known_element(&b[i..name_end])?;
                if !b.get(name_end).is_some_and(|&c| ends_name(c)) {
                    return None;
                }
                let end = plain_attributes(b, name_end, text, &mut attrs)?;
                let empty = match b.get(end..end + 2)? {
                    [b'/', b'>'] => true,
                    [b'>', _] => false,
                    _ => return None,
                };
                i = end + 1 + usize::from(empty);
                if empty {
                    if let Some(done) = attribute_of_trace_or_event(state, stack, name, &attrs) {
                        done.ok()?;
                    } else {
                        let frame = open(state, stack, Cow::Borrowed(name), &attrs, saw_log, false).ok()?;
                        close(state, stack, frame).ok()?;
                    }
                } else {
                    let frame = open(state, stack, Cow::Borrowed(name), &attrs, saw_log, true).ok()?;
                    stack.push(frame);
                }
            }
        }
        if span.report && i as u64 >= next_progress {
            report_progress(state.opts, span.from + i, bytes.len());
            next_progress += PROGRESS_EVERY;
        }
    }
}

/// One of XES's element names.
pub(super) fn known_element(name: &[u8]) -> Option<&'static str> {
    match element_name(name) {
        Cow::Borrowed(known) => Some(known),
        Cow::Owned(_) => None,
    }
}

/// An empty typed attribute element (`<string key="…" value="…"/>`) of a
/// trace or an event — most elements of a log — taken in one step, with
/// the checks and effects `open` and `close` have on it. `None` when the
/// element is not that (or is an error): `open` takes it then.
pub(super) fn attribute_of_trace_or_event(
    state: &mut XesState,
    stack: &mut [Frame],
    name: &'static str,
    attrs: &XmlAttrs,
) -> Option<Result<(), String>> {
    if !matches!(name, "string" | "date" | "int" | "float" | "boolean" | "id") || attrs.len != 2 {
        return None;
    }
    let parent = stack.last_mut()?;
    let (key, value) = match attrs.inline[..2] {
        [("key", key), ("value", value)] | [("value", value), ("key", key)] => (key, value),
        _ => return None,
    };
    match parent.ctx {
        Ctx::Event => {}
        // An attribute of the trace comes before its events.
        Ctx::Trace if !(state.strict && parent.phase > 3) => {}
        _ => return None,
    }
    if state.strict && !is_xml_name(key) {
        return None;
    }
    let time = match check_value(state, name, key, value) {
        Ok(time) => time,
        Err(e) => return Some(Err(e)),
    };
    if parent.ctx == Ctx::Trace {
        parent.phase = parent.phase.max(3);
    }
    if !key.is_empty() {
        record(state, parent, key, name, value, time);
    }
    Some(Ok(()))
}

pub(super) fn memchr_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

pub(super) fn leading_ws(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// The attributes of an element when they are written the plain way XES
/// writers use — `name="value"` pairs of ASCII names and values without
/// entities or `<`, separated by blanks — read straight from the bytes.
/// Anything else (or text not known to be UTF-8) is `None`, and quick-xml
/// reads it, with its errors.
pub(super) fn simple_attributes<'a>(raw: &'a [u8], text: Option<&'a str>, out: &mut XmlAttrs<'a>) -> Option<()> {
    let end = plain_attributes(raw, 0, text?, out)?;
    (end == raw.len()).then_some(())
}

pub(super) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the run of blanks at `from` ends.
pub(super) fn skip_blanks(bytes: &[u8], from: usize) -> usize {
    from + bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|&&c| is_blank(c)).count())
}

/// Whether `b` may follow an element's name in a tag (`<trace>`, `<trace/>`,
/// `<trace key=…`).
pub(super) fn ends_name(b: u8) -> bool {
    is_blank(b) || b == b'>' || b == b'/'
}

pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-')
}

/// Plain attributes (see [`simple_attributes`]) from `bytes[from..]` up to
/// the first byte that starts none, into `out` (cleared first): where they
/// end. `bytes` lies within `text`. More than four attributes are `None`.
pub(super) fn plain_attributes<'a>(
    bytes: &'a [u8],
    from: usize,
    text: &'a str,
    out: &mut XmlAttrs<'a>,
) -> Option<usize> {
    out.clear();
    let mut i = from;
    loop {
        let start = i;
        i = skip_blanks(bytes, i);
        if i == bytes.len() || !is_name_byte(bytes[i]) {
            return Some(i);
        }
        if i == start {
            return None; // attributes must be separated by blanks
        }
        let name_from = i;
        while i < bytes.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        let name = &bytes[name_from..i];
        i = skip_blanks(bytes, i);
        if bytes.get(i) != Some(&b'=') {
            return None;
        }
        i = skip_blanks(bytes, i + 1);
        let quote = *bytes.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_from = i + 1;
        // One search finds the closing quote, or an entity or `<` first.
        i = value_from + memchr::memchr3(quote, b'&', b'<', &bytes[value_from..])?;
        if bytes[i] != quote {
            return None;
        }
        let value = &bytes[value_from..i];
        i += 1;
        if name.starts_with(b"xmlns") && (name.len() == 5 || name[5] == b':') {
            continue;
        }
        let (key, value) = (within(Some(text), name)?, within(Some(text), value)?);
        if out.inline[..out.len].iter().any(|&(k, _)| k == key) {
            return None;
        }
        *out.inline.get_mut(out.len)? = (key, value);
        out.len += 1;
    }
}
