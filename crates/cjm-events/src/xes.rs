//! XES (IEEE 1849) and `.xes.gz`.
//!
//! A streaming reader (quick-xml) that turns traces into customers and
//! events into rows: `concept:name` of the trace is the customer, of the
//! event the touchpoint; `time:timestamp` the time; `lifecycle:transition`,
//! `channel` and every other attribute are kept (nested attributes as
//! `parent/child`, list items as `key[i]`).
//!
//! A log that declares `xes.version="1849.2016"` is held to the IEEE
//! 1849-2016 schema — element order, the exact attributes of each element,
//! `xs:Name` keys, typed values, a `list` with one keyed `values` child —
//! and any breach is an error naming the element and its line. Older logs
//! (XES 1.0 and 2.0, as OpenXES and PM4Py write them) are read leniently:
//! only well-formedness and typed values are checked.

use crate::{Builder, EventLog, ReadError, ReadOptions, NONE};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Root,
    Log,
    Global,
    Trace,
    Event,
    /// Inside an attribute element (nested attributes).
    Attr,
    /// Inside a `list` (expects one `values`).
    List,
    /// Inside a list's `values`.
    Values,
    /// Elements lenient mode skips (classifier, extension contents, unknown).
    Skip,
}

/// Position of a log child in the schema's sequence.
fn log_phase(name: &str) -> Option<u8> {
    Some(match name {
        "extension" => 0,
        "global" => 1,
        "classifier" => 2,
        "string" | "date" | "int" | "float" | "boolean" | "id" | "list" | "container" => 3,
        "trace" => 4,
        "event" => 5,
        _ => return None,
    })
}

fn is_attribute_element(name: &str, strict: bool) -> bool {
    matches!(name, "string" | "date" | "int" | "float" | "boolean" | "id" | "list") || (!strict && name == "container")
}

/// `xs:Name`: a letter, `_` or `:` first, then letters, digits, `.`, `-`, `_`, `:`.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '·'))
}

struct Frame {
    ctx: Ctx,
    /// The element's name (XES's own names are not allocated).
    name: Cow<'static, str>,
    /// For attribute elements: the key path of this attribute.
    key: String,
    /// Phase of the last child seen (log and trace order checks).
    phase: u8,
    /// List: number of `values` children seen.
    values_seen: u8,
}

struct XesState<'a> {
    b: Builder,
    opts: &'a ReadOptions,
    strict: bool,
    /// The current trace's customer id and attributes.
    trace_case: Option<u32>,
    trace_attrs: Vec<(String, String)>,
    trace_events: Vec<PendingEvent>,
    /// The attribute columns and value ids of the trace's events, one
    /// stretch per event (one buffer instead of one per event).
    event_attrs: Vec<(usize, u32)>,
    event: Option<PendingEvent>,
    events_outside_traces: u64,
    trace_number: u64,
    untimed: u64,
    unnamed: u64,
    versionless: bool,
}

/// The touchpoint of an event without `concept:name`.
pub const UNNAMED: &str = "(no concept:name)";

#[derive(Default)]
struct PendingEvent {
    /// Interned as read; `None` when missing or blank.
    activity: Option<u32>,
    /// A `time:timestamp` date, always readable (`check_value` refuses the
    /// file at one that is not).
    time: Option<i64>,
    channel: Option<String>,
    score: f64,
    /// Its stretch of `XesState::event_attrs`.
    attrs: std::ops::Range<usize>,
}

/// Logs at least this large (uncompressed) are parsed by two threads.
const PARALLEL_FROM: usize = 16 << 20;

impl<'a> XesState<'a> {
    fn new(path: &str, opts: &'a ReadOptions) -> Self {
        XesState {
            b: Builder::new(path, opts.strict),
            opts,
            strict: false,
            trace_case: None,
            trace_attrs: Vec::new(),
            trace_events: Vec::new(),
            event_attrs: Vec::new(),
            event: None,
            events_outside_traces: 0,
            trace_number: 0,
            untimed: 0,
            unnamed: 0,
            versionless: false,
        }
    }
}

fn root_frame() -> Frame {
    Frame { ctx: Ctx::Root, name: Cow::Borrowed(""), key: String::new(), phase: 0, values_seen: 0 }
}

/// Where a parse starts: byte range of the file, the line of its first
/// byte, and how progress is reported.
struct Span {
    from: usize,
    to: usize,
    line: u64,
    /// Progress is reported as if this part were the whole rest of the file.
    report: bool,
}

pub(crate) fn read(bytes: &[u8], path: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let halves = if opts.threads() > 1 && bytes.len() >= PARALLEL_FROM { split_traces(bytes) } else { None };
    // Two halves when the file allows it; any problem there (a bad file,
    // or a `<trace` the split misjudged, e.g. in a comment) and the file is
    // read again in one pass, which gives the authoritative error.
    let (mut state, saw_log) = match halves.and_then(|(first, mid)| read_in_halves(bytes, path, opts, first, mid).ok())
    {
        Some(done) => done,
        None => {
            let mut state = XesState::new(path, opts);
            let mut stack = vec![root_frame()];
            let mut saw_log = false;
            let whole = Span { from: 0, to: bytes.len(), line: 1, report: true };
            parse(bytes, whole, &mut state, &mut stack, &mut saw_log)?;
            (state, saw_log)
        }
    };
    if !saw_log {
        return Err(ReadError {
            path: path.to_string(),
            line: Some(1),
            message: "no <log> element: the file is empty or not XES".into(),
        });
    }
    if state.events_outside_traces > 0 {
        state.b.note(format!(
            "{} event(s) outside any trace belong to no customer and were left out",
            state.events_outside_traces
        ));
    }
    if state.unnamed > 0 {
        state.b.note(format!("{} event(s) have no concept:name; they are kept as `{UNNAMED}`", state.unnamed));
    }
    if state.untimed > 0 {
        state.b.note(format!(
            "{} event(s) have no time:timestamp; they keep their order in the trace and count in no duration",
            state.untimed
        ));
    }
    Ok(state.b.finish(opts.lifecycle))
}

/// Reads the header, then the traces from `first_trace` in two halves split
/// at `mid`, the second on another thread and appended to the first.
fn read_in_halves<'a>(
    bytes: &[u8],
    path: &str,
    opts: &'a ReadOptions,
    first_trace: usize,
    mid: usize,
) -> Result<(XesState<'a>, bool), ReadError> {
    let mut state = XesState::new(path, opts);
    let mut stack = vec![root_frame()];
    let mut saw_log = false;
    // The header (extensions, globals, classifiers, log attributes)
    // sets the rules; then each half of the traces is parsed by its
    // own thread and the second appended to the first, which gives
    // the log one reader would have built.
    parse(bytes, Span { from: 0, to: first_trace, line: 1, report: false }, &mut state, &mut stack, &mut saw_log)?;
    let at_traces = stack.len() == 2 && stack[1].ctx == Ctx::Log;
    let first_line = 1 + memchr_count(&bytes[..first_trace]);
    if !at_traces {
        // The header did not end at a trace (a `<trace` in a comment, say):
        // the caller reads the file in one pass instead.
        return Err(ReadError { path: path.to_string(), line: None, message: "no trace boundary to split at".into() });
    }
    let mid_line = first_line + memchr_count(&bytes[first_trace..mid]);
    let mut second = XesState::new(path, opts);
    (second.strict, second.versionless) = (state.strict, state.versionless);
    second.trace_number = state.trace_number + count_traces(&bytes[first_trace..mid]);
    let log_frame = Frame {
        ctx: Ctx::Log,
        name: stack[1].name.clone(),
        key: String::new(),
        phase: stack[1].phase.max(4),
        values_seen: 0,
    };
    let (first, later) = std::thread::scope(|scope| {
        let later = scope.spawn(|| {
            let mut stack = vec![root_frame(), log_frame];
            let mut saw = true;
            // The reader cannot see `</log>` without its start: the
            // second half stops before it, and the log is closed here.
            let end = memchr::memmem::rfind(&bytes[mid..], b"</log>").map_or(bytes.len(), |i| mid + i);
            parse(
                bytes,
                Span { from: mid, to: end, line: mid_line, report: false },
                &mut second,
                &mut stack,
                &mut saw,
            )?;
            let end_line = mid_line + memchr_count(&bytes[mid..end]);
            let fail = |message: String| ReadError { path: path.to_string(), line: Some(end_line), message };
            if end == bytes.len() || stack.len() != 2 {
                let open = stack.last().map(|f| f.name.to_string()).unwrap_or_default();
                return Err(fail(format!(
                    "the XML is not well-formed: <{open}> is not closed before the end of the file"
                )));
            }
            let log = stack.pop().expect("checked above");
            close(&mut second, &mut stack, log).map_err(fail)?;
            let rest = end + "</log>".len();
            parse(
                bytes,
                Span { from: rest, to: bytes.len(), line: end_line, report: false },
                &mut second,
                &mut stack,
                &mut saw,
            )?;
            Ok(second)
        });
        let started = std::time::Instant::now();
        let first = parse(
            bytes,
            Span { from: first_trace, to: mid, line: first_line, report: true },
            &mut state,
            &mut stack,
            &mut saw_log,
        );
        opts.timing(|| format!("first XES half parsed in {:?}", started.elapsed()));
        let later = later.join().unwrap_or_else(|_| {
            Err(ReadError { path: path.to_string(), line: None, message: "a reader thread failed".into() })
        });
        (first, later)
    });
    first?;
    let second = later?;
    let appending = std::time::Instant::now();
    state.b.append(second.b);
    opts.timing(|| format!("XES halves appended in {:?}", appending.elapsed()));
    state.events_outside_traces += second.events_outside_traces;
    state.untimed += second.untimed;
    state.unnamed += second.unnamed;
    state.trace_number = second.trace_number;
    Ok((state, saw_log))
}

/// `<trace` as a start tag (not `<traces` or similar).
fn trace_tags(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memmem::find_iter(bytes, b"<trace")
        .filter(move |&i| matches!(bytes.get(i + 6), Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')))
}

fn count_traces(bytes: &[u8]) -> u64 {
    trace_tags(bytes).count() as u64
}

/// The first trace's start, and a trace start near the middle of the traces
/// that directly follows a `</trace>` (so it stands between two traces).
fn split_traces(bytes: &[u8]) -> Option<(usize, usize)> {
    let first = trace_tags(bytes).next()?;
    let middle = first + (bytes.len() - first) / 2;
    let after = trace_tags(&bytes[middle..]).map(|i| middle + i).find(|&i| {
        let before = &bytes[first..i];
        let trimmed = &before[..before.len() - before.iter().rev().take_while(|b| b.is_ascii_whitespace()).count()];
        trimmed.ends_with(b"</trace>")
    })?;
    Some((first, after))
}

/// Parses `span` of the file into `state`, with `stack` the open elements.
fn parse(
    bytes: &[u8],
    span: Span,
    state: &mut XesState,
    stack: &mut Vec<Frame>,
    saw_log: &mut bool,
) -> Result<(), ReadError> {
    let opts = state.opts;
    let path = state.b.path.clone();
    let slice = &bytes[span.from..span.to];
    // Checked once here, so attribute values need no check of their own.
    let text = std::str::from_utf8(slice).ok();
    let mut reader = Reader::from_reader(slice);
    reader.config_mut().trim_text(true);
    // A part may start inside <log> or end before </log>: end tags are
    // matched against our own stack instead.
    reader.config_mut().check_end_names = false;
    // Line numbers from byte offsets, counted incrementally.
    let mut counted_to = 0usize;
    let mut line = span.line;
    let mut line_at = |pos: usize| -> u64 {
        let pos = pos.min(slice.len());
        if pos > counted_to {
            line += memchr_count(&slice[counted_to..pos]);
            counted_to = pos;
        }
        line
    };
    let total = bytes.len() as u64;
    let mut next_progress = 1u64 << 23;
    loop {
        let start_pos = reader.buffer_position() as usize;
        // Events borrow from the bytes: no copy into a buffer.
        let ev = reader.read_event();
        // Lines are counted only when one is needed (an event's, an
        // error's): counting at every element cost 7% of the read.
        let at = start_pos + leading_ws(&slice[start_pos.min(slice.len())..]);
        let fail = |line: u64, message: String| ReadError { path: path.clone(), line: Some(line), message };
        match ev {
            Err(e) => return Err(fail(line_at(at), format!("the XML is not well-formed: {e}"))),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let frame = open(state, stack, &e, text, saw_log, true).map_err(|m| fail(line_at(at), m))?;
                stack.push(frame);
            }
            Ok(Event::Empty(e)) => {
                let frame = open(state, stack, &e, text, saw_log, false).map_err(|m| fail(line_at(at), m))?;
                close(state, stack, frame).map_err(|m| fail(line_at(at), m))?;
            }
            Ok(Event::End(e)) => {
                let name = element_name(e.local_name().as_ref());
                let open_name = stack.last().filter(|f| f.ctx != Ctx::Root).map(|f| f.name.clone());
                if open_name.as_deref() != Some(&*name) {
                    let expected = open_name.map_or("no end tag".to_string(), |n| format!("</{n}>"));
                    return Err(fail(
                        line_at(at),
                        format!("the XML is not well-formed: expected {expected}, found </{name}>"),
                    ));
                }
                let frame = stack.pop().expect("checked above");
                close(state, stack, frame).map_err(|m| fail(line_at(at), m))?;
            }
            Ok(Event::Text(t)) => {
                let text = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                if !text.trim().is_empty() {
                    let top = stack.last().map(|f| f.name.clone()).unwrap_or_default();
                    return Err(fail(line_at(at), format!("unexpected text `{}` inside <{top}>", clip(&text))));
                }
            }
            Ok(_) => {}
        }
        if let (Some(p), true) = (opts.progress, span.report) {
            if start_pos as u64 >= next_progress {
                // The reporting part covers its share of what is left of the file.
                let share = (total - span.from as u64) as f64 / slice.len().max(1) as f64;
                p(span.from as u64 + (start_pos as f64 * share) as u64, total);
                next_progress += 1 << 23;
            }
        }
    }
    Ok(())
}

fn memchr_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn leading_ws(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

fn clip(s: &str) -> String {
    let t: String = s.trim().chars().take(40).collect();
    t
}

/// The element's attributes as (name, value), without namespace
/// declarations; borrowed from the reader's buffer unless a value holds
/// entities to unescape.
/// Up to four are kept inline (XES elements have two): no allocation per
/// element.
#[derive(Default)]
struct XmlAttrs<'a> {
    len: usize,
    inline: [(Cow<'a, str>, Cow<'a, str>); 4],
    more: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> XmlAttrs<'a> {
    fn push(&mut self, pair: (Cow<'a, str>, Cow<'a, str>)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = pair,
            None => self.more.push(pair),
        }
        self.len += 1;
    }
    fn iter(&self) -> impl Iterator<Item = &(Cow<'a, str>, Cow<'a, str>)> {
        self.inline[..self.len.min(self.inline.len())].iter().chain(&self.more)
    }
}

/// `raw` as text, when it is a stretch of `text` (the part being parsed,
/// already known to be UTF-8): a slice of it, no second validation. Its
/// ends sit at ASCII delimiters, so `get` finds them on char boundaries.
fn within<'t>(text: Option<&'t str>, raw: &[u8]) -> Option<&'t str> {
    let text = text?;
    let (base, at) = (text.as_ptr() as usize, raw.as_ptr() as usize);
    let offset = at.checked_sub(base)?;
    text.get(offset..offset.checked_add(raw.len())?)
}

/// The element's attributes; `text` is the part being parsed when it is
/// valid UTF-8 (see [`within`]).
fn attributes<'a>(e: &'a BytesStart<'a>, text: Option<&'a str>) -> Result<XmlAttrs<'a>, String> {
    if let Some(simple) = simple_attributes(e.attributes_raw(), text) {
        return Ok(simple);
    }
    let mut out = XmlAttrs::default();
    // quick-xml's duplicate check allocates per element; ours looks at
    // the few attributes already read.
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| format!("a malformed XML attribute: {err}"))?;
        let key: Cow<'a, str> = match a.key.0 {
            k if k.starts_with(b"xmlns") && (k.len() == 5 || k[5] == b':') => continue,
            k => match within(text, k).map_or_else(|| std::str::from_utf8(k), Ok) {
                Ok(name) => Cow::Borrowed(name),
                Err(_) => Cow::Owned(String::from_utf8_lossy(k).into_owned()),
            },
        };
        let value = match a.value {
            Cow::Borrowed(raw) if memchr::memchr(b'&', raw).is_none() => {
                match within(text, raw).map_or_else(|| std::str::from_utf8(raw), Ok) {
                    Ok(v) => Cow::Borrowed(v),
                    Err(_) => return Err(format!("attribute `{key}` is not UTF-8")),
                }
            }
            _ => Cow::Owned(a.unescape_value().map_err(|err| format!("attribute `{key}`: {err}"))?.into_owned()),
        };
        if out.iter().any(|(k, _)| *k == key) {
            return Err(format!("the XML is not well-formed: the attribute `{key}` is given twice"));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The attributes of an element when they are written the plain way XES
/// writers use — `name="value"` pairs of ASCII names and values without
/// entities or `<`, separated by blanks — read straight from the bytes.
/// Anything else (or text not known to be UTF-8) is `None`, and quick-xml
/// reads it, with its errors.
fn simple_attributes<'a>(raw: &'a [u8], text: Option<&'a str>) -> Option<XmlAttrs<'a>> {
    let text = text?;
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-');
    let mut out = XmlAttrs::default();
    let mut i = 0;
    loop {
        let start = i;
        while i < raw.len() && blank(raw[i]) {
            i += 1;
        }
        if i == raw.len() {
            return Some(out);
        }
        if i == start {
            return None; // attributes must be separated by blanks
        }
        let name_from = i;
        while i < raw.len() && name_byte(raw[i]) {
            i += 1;
        }
        let name = &raw[name_from..i];
        while i < raw.len() && blank(raw[i]) {
            i += 1;
        }
        if name.is_empty() || raw.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        while i < raw.len() && blank(raw[i]) {
            i += 1;
        }
        let quote = *raw.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_from = i + 1;
        let value_len = memchr::memchr(quote, &raw[value_from..])?;
        let value = &raw[value_from..value_from + value_len];
        if memchr::memchr2(b'&', b'<', value).is_some() {
            return None;
        }
        i = value_from + value_len + 1;
        if name.starts_with(b"xmlns") && (name.len() == 5 || name[5] == b':') {
            continue;
        }
        let (key, value) = (within(Some(text), name)?, within(Some(text), value)?);
        if out.iter().any(|(k, _)| k == key) {
            return None;
        }
        out.push((Cow::Borrowed(key), Cow::Borrowed(value)));
    }
}

fn check_attribute_set(name: &str, attrs: &XmlAttrs, required: &[&str], optional: &[&str]) -> Result<(), String> {
    for r in required {
        if !attrs.iter().any(|(k, _)| k == r) {
            return Err(format!("<{name}> needs the attribute `{r}`"));
        }
    }
    for (k, _) in attrs.iter() {
        if !required.contains(&k.as_ref()) && !optional.contains(&k.as_ref()) {
            let allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
            let allowed = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(format!("<{name}> does not take the attribute `{k}` (it takes: {allowed})"));
        }
    }
    Ok(())
}

fn get<'a>(attrs: &'a XmlAttrs, key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
}

/// A new element's frame. `has_children` is false for an empty element
/// (`<string … />`): its frame needs no key for children to extend.
fn open(
    state: &mut XesState,
    stack: &[Frame],
    e: &BytesStart,
    text: Option<&str>,
    saw_log: &mut bool,
    has_children: bool,
) -> Result<Frame, String> {
    let name = element_name(e.local_name().as_ref());
    let attrs = attributes(e, text)?;
    let parent = stack.last().expect("root frame");
    let strict = state.strict;
    let frame = |ctx: Ctx, key: String| Frame { ctx, name: name.clone(), key, phase: 0, values_seen: 0 };
    match parent.ctx {
        Ctx::Root => {
            if name != "log" {
                return Err(format!("expected <log> as the root element, found <{name}>"));
            }
            if *saw_log {
                return Err("a second <log> element".into());
            }
            *saw_log = true;
            // Without a version the log is read leniently (Disco and PM4Py write
            // such files); an empty one is refused when it closes.
            let version = get(&attrs, "xes.version").unwrap_or("");
            state.versionless = version.is_empty();
            // The IEEE schema's version is the decimal 1849.2016; PM4Py writes
            // "1849-2016" and OpenXES "1.0"/"2.0": those are read leniently.
            state.strict = version.trim().starts_with("1849.");
            if state.strict {
                check_attribute_set("log", &attrs, &["xes.version"], &["xes.features"])?;
            }
            Ok(frame(Ctx::Log, String::new()))
        }
        Ctx::Log | Ctx::Trace => {
            let in_log = parent.ctx == Ctx::Log;
            let phase = if in_log {
                log_phase(&name)
            } else if is_attribute_element(&name, strict) || name == "container" {
                Some(3)
            } else if name == "event" {
                Some(5)
            } else {
                None
            };
            let Some(phase) = phase else {
                if strict || !in_log {
                    return Err(format!("<{name}> is not expected inside <{}>", parent.name));
                }
                return Ok(frame(Ctx::Skip, String::new()));
            };
            if strict && phase < parent.phase {
                return Err(format!(
                    "<{name}> is not expected here: it must come before the <{}> elements of <{}>",
                    phase_name(parent.phase),
                    parent.name
                ));
            }
            match name.as_ref() {
                "extension" => {
                    if strict {
                        check_attribute_set("extension", &attrs, &["name", "prefix", "uri"], &[])?;
                    }
                    Ok(frame(Ctx::Skip, String::new()))
                }
                "classifier" => {
                    if strict {
                        check_attribute_set("classifier", &attrs, &["name", "keys"], &["scope"])?;
                    }
                    Ok(frame(Ctx::Skip, String::new()))
                }
                "global" => {
                    if strict {
                        check_attribute_set("global", &attrs, &[], &["scope"])?;
                    }
                    Ok(frame(Ctx::Global, String::new()))
                }
                "trace" => {
                    if strict {
                        check_attribute_set("trace", &attrs, &[], &[])?;
                    }
                    state.trace_case = None;
                    state.trace_attrs.clear();
                    state.trace_events.clear();
                    state.trace_number += 1;
                    Ok(frame(Ctx::Trace, String::new()))
                }
                "event" => {
                    if strict {
                        check_attribute_set("event", &attrs, &[], &[])?;
                    }
                    let first_attr = state.event_attrs.len();
                    state.event = Some(PendingEvent {
                        score: f64::NAN,
                        attrs: first_attr..first_attr,
                        ..PendingEvent::default()
                    });
                    Ok(frame(Ctx::Event, String::new()))
                }
                _ => open_attribute(state, parent, name.clone(), &attrs, has_children),
            }
        }
        Ctx::Global | Ctx::Event | Ctx::Attr | Ctx::Values => {
            if !is_attribute_element(&name, strict) {
                return Err(format!("<{name}> is not expected inside <{}>", parent.name));
            }
            open_attribute(state, parent, name.clone(), &attrs, has_children)
        }
        Ctx::List => {
            if name != "values" {
                if !strict && is_attribute_element(&name, false) {
                    return open_attribute(state, parent, name.clone(), &attrs, has_children);
                }
                return Err(format!("<{name}> is not expected inside <list>: a list holds one <values> element"));
            }
            if strict {
                check_attribute_set("values", &attrs, &["key"], &[])?;
                if parent.values_seen > 0 {
                    return Err("a <list> holds exactly one <values> element".into());
                }
            }
            Ok(Frame { ctx: Ctx::Values, name, key: parent.key.clone(), phase: 0, values_seen: 0 })
        }
        Ctx::Skip => Ok(frame(Ctx::Skip, String::new())),
    }
}

/// XES's element names as static strings; anything else is copied.
fn element_name(bytes: &[u8]) -> Cow<'static, str> {
    Cow::Borrowed(match bytes {
        b"string" => "string",
        b"date" => "date",
        b"event" => "event",
        b"trace" => "trace",
        b"int" => "int",
        b"float" => "float",
        b"boolean" => "boolean",
        b"id" => "id",
        b"list" => "list",
        b"container" => "container",
        b"values" => "values",
        b"log" => "log",
        b"extension" => "extension",
        b"global" => "global",
        b"classifier" => "classifier",
        b"key" => "key",
        _ => return Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    })
}

fn phase_name(phase: u8) -> &'static str {
    ["extension", "global", "classifier", "attribute", "trace", "event"][phase.min(5) as usize]
}

fn open_attribute(
    state: &mut XesState,
    parent: &Frame,
    element: Cow<'static, str>,
    attrs: &XmlAttrs,
    has_children: bool,
) -> Result<Frame, String> {
    let name: &str = &element;
    let strict = state.strict;
    let typed = name != "list" && name != "container";
    if strict {
        if typed {
            check_attribute_set(name, attrs, &["key", "value"], &[])?;
        } else {
            check_attribute_set(name, attrs, &["key"], &[])?;
        }
    }
    let key = match get(attrs, "key") {
        Some(k) => k,
        // OpenXES writes keyless nested meta-attributes; they hold no event data.
        None if !strict && matches!(parent.ctx, Ctx::Attr | Ctx::List | Ctx::Values | Ctx::Global) => "",
        None => return Err(format!("<{name}> needs the attribute `key`")),
    };
    if strict && !is_xml_name(key) {
        return Err(format!(
            "<{name}> key `{key}` is not a valid XML name (no spaces; it starts with a letter, `_` or `:`)"
        ));
    }
    let full_key: Cow<str> = match parent.ctx {
        Ctx::Attr | Ctx::List | Ctx::Values => Cow::Owned(format!("{}/{key}", parent.key)),
        _ => Cow::Borrowed(key),
    };
    // Only an element with children (or a list, named in its errors)
    // keeps its key; most attributes are empty elements.
    let frame_key =
        |full_key: Cow<str>| if has_children || name == "list" { full_key.into_owned() } else { String::new() };
    if typed {
        let value = get(attrs, "value").ok_or_else(|| format!("<{name} key=\"{key}\"> needs the attribute `value`"))?;
        let time = check_value(state, name, key, value)?;
        if !key.is_empty() {
            record(state, parent, &full_key, name, value, time);
        }
        return Ok(Frame { ctx: Ctx::Attr, name: element.clone(), key: frame_key(full_key), phase: 0, values_seen: 0 });
    }
    let ctx = if name == "list" { Ctx::List } else { Ctx::Attr };
    Ok(Frame { ctx, name: element.clone(), key: frame_key(full_key), phase: 0, values_seen: 0 })
}

/// Typed values must read as their type, in every XES version. A date's
/// time comes back, so it is parsed once.
fn check_value(state: &XesState, name: &str, key: &str, value: &str) -> Result<Option<i64>, String> {
    let v = value.trim();
    let mut time = None;
    let ok = match name {
        "int" => v.parse::<i64>().is_ok(),
        "float" => v.parse::<f64>().is_ok() || matches!(v, "INF" | "-INF" | "NaN"),
        "boolean" => matches!(v, "true" | "false" | "1" | "0"),
        "date" => {
            time = state.opts.time.parse(v).or_else(|| crate::TimeFormat::default().parse(v));
            time.is_some()
        }
        _ => true,
    };
    if ok {
        Ok(time)
    } else {
        let expected = match name {
            "int" => "a whole number",
            "float" => "a number",
            "boolean" => "true or false",
            _ => "a date and time such as 2011-10-01T00:38:44.546+02:00",
        };
        Err(format!("<{name} key=\"{key}\"> has the value `{}`, expected {expected}", clip(value)))
    }
}

/// Files an attribute value where it belongs (trace, event); `time` is a
/// date's value already parsed.
fn record(state: &mut XesState, parent: &Frame, key: &str, kind: &str, value: &str, time: Option<i64>) {
    let top_level = matches!(parent.ctx, Ctx::Trace | Ctx::Event);
    match parent.ctx {
        Ctx::Trace if top_level => state.trace_attrs.push((key.to_string(), value.to_string())),
        Ctx::Event if state.event.is_some() => match key {
            "concept:name" => {
                let name = value.trim();
                let id = (!name.is_empty()).then(|| state.b.log.activities.intern(name));
                if let Some(ev) = state.event.as_mut() {
                    ev.activity = id;
                }
            }
            "time:timestamp" if kind == "date" => {
                if let Some(ev) = state.event.as_mut() {
                    ev.time = time;
                }
            }
            "channel" => {
                if let Some(ev) = state.event.as_mut() {
                    ev.channel = Some(value.to_string());
                }
            }
            "score" | "rating" => {
                if let Some(ev) = state.event.as_mut() {
                    ev.score = value.trim().parse().unwrap_or(f64::NAN);
                }
            }
            _ => {
                let attr = state.b.intern_attr(key, value);
                state.event_attrs.push(attr);
            }
        },
        Ctx::Attr | Ctx::List | Ctx::Values => {
            // Nested attribute: keep it under its parent's path.
            if state.event.is_some() {
                let id = state.b.intern_attr(key, value);
                state.event_attrs.push(id);
            } else if state.trace_number > 0 && state.trace_case.is_none() {
                state.trace_attrs.push((key.to_string(), value.to_string()));
            }
        }
        _ => {}
    }
}

fn close(state: &mut XesState, stack: &mut [Frame], frame: Frame) -> Result<(), String> {
    let parent = stack.last_mut();
    match frame.ctx {
        Ctx::List if state.strict && frame.values_seen == 0 => {
            return Err(format!(
                "<list key=\"{}\"> needs a <values> element holding its items",
                frame.key.rsplit('/').next().unwrap_or("")
            ));
        }
        Ctx::Values => {
            if let Some(p) = parent {
                p.values_seen += 1;
            }
            return Ok(());
        }
        Ctx::Event => {
            let mut ev = state.event.take().unwrap_or_default();
            ev.attrs.end = state.event_attrs.len();
            match stack.last().map(|f| f.ctx) {
                Some(Ctx::Trace) => state.trace_events.push(ev),
                _ => state.events_outside_traces += 1,
            }
        }
        Ctx::Trace => flush_trace(state),
        Ctx::Log if state.versionless && state.trace_number == 0 && state.events_outside_traces == 0 => {
            return Err("<log> has no `xes.version` and holds no traces: this is not an XES log".into());
        }
        _ => {}
    }
    if let Some(p) = stack.last_mut() {
        if matches!(p.ctx, Ctx::Log | Ctx::Trace) {
            let phase = match p.ctx {
                Ctx::Log => log_phase(&frame.name).unwrap_or(p.phase),
                _ => {
                    if frame.name == "event" {
                        5
                    } else {
                        3
                    }
                }
            };
            p.phase = p.phase.max(phase);
        }
    }
    Ok(())
}

/// A finished trace becomes a customer and its events rows.
fn flush_trace(state: &mut XesState) {
    let name = state.trace_attrs.iter().find(|(k, _)| k == "concept:name").map(|(_, v)| v.clone());
    let events = std::mem::take(&mut state.trace_events);
    let attrs = std::mem::take(&mut state.trace_attrs);
    let b = &mut state.b;
    let case_name = match name {
        Some(n) if !n.trim().is_empty() => n,
        _ => {
            // A trace without a name is still a customer, named by position.
            format!("trace {}", state.trace_number)
        }
    };
    let case = b.log.cases.intern(case_name.trim());
    let trace_channel = attrs.iter().find(|(k, _)| k == "channel").map(|(_, v)| v.clone());
    for (k, v) in &attrs {
        if k != "concept:name" {
            b.set_case_attr(case, k, v);
        }
    }
    for ev in events {
        b.log.stats.rows += 1;
        // A valid XES event may have no name: it is kept, under a name that says so.
        let activity = match ev.activity {
            Some(a) => a,
            None => {
                state.unnamed += 1;
                b.log.activities.intern(UNNAMED)
            }
        };
        let time = match ev.time {
            Some(t) => t,
            // A valid XES event may have no time: it keeps its place in the
            // trace (ties are broken by position) and has no durations.
            None => {
                state.untimed += 1;
                crate::UNKNOWN_TIME
            }
        };
        let channel = match ev.channel.as_ref().or(trace_channel.as_ref()) {
            Some(c) if !c.trim().is_empty() => b.log.channels.intern(c.trim()),
            _ => NONE,
        };
        b.push(case, time, activity, channel, ev.score);
        for &(col, id) in &state.event_attrs[ev.attrs] {
            b.set_attr_id(col, id);
        }
    }
    state.event_attrs.clear();
    let _ = state.trace_case.insert(case);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(raw: &str) -> Option<Vec<(String, String)>> {
        simple_attributes(raw.as_bytes(), Some(raw))
            .map(|a| a.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn plain_attributes_are_read_from_the_bytes_and_the_rest_left_to_quick_xml() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            simple(r#" key="concept:name" value="A b""#),
            Some(vec![pair("key", "concept:name"), pair("value", "A b")])
        );
        assert_eq!(simple(" key = 'x'\n\tvalue='y'"), Some(vec![pair("key", "x"), pair("value", "y")]));
        assert_eq!(
            simple(r#" xes.version="1.0" xmlns="http://www.xes-standard.org/""#),
            Some(vec![pair("xes.version", "1.0")])
        );
        assert_eq!(simple(""), Some(vec![]));
        // Left to quick-xml, which reads or refuses them with its errors.
        for raw in [
            r#" key="a"value="b""#,
            r#" key="a &amp; b""#,
            r#" key="a < b""#,
            r#" key"a""#,
            r#" key="a"#,
            r#" key="a" key="b""#,
            r#" ké="a""#,
        ] {
            assert_eq!(simple(raw), None, "{raw}");
        }
        // Unknown UTF-8: quick-xml too.
        assert!(simple_attributes(b" key=\"a\"", None).is_none());
    }
}
