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

mod pieces;
mod plain;
mod rules;

use pieces::*;
use plain::*;
use rules::*;

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
    /// An error that ends the read however the rest parses (too many
    /// attribute names); reported once parsing stops.
    fatal: Option<ReadError>,
}

/// The touchpoint of an event without `concept:name`.
pub(crate) const UNNAMED: &str = "(no concept:name)";

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
            fatal: None,
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
    /// Whether progress is reported (a one-pass read of the whole file).
    report: bool,
}

/// Reads an XES log from the file's bytes, gzip-compressed or not.
pub(crate) fn read(raw: &[u8], path: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let gzip = raw.starts_with(&[0x1f, 0x8b]);
    let in_pieces = if opts.threads() > 1 { read_in_pieces(raw, gzip, path, opts, PIECE_LEN) } else { None };
    let (mut state, saw_log) = match in_pieces {
        Some(done) => done?,
        // Pieces could not give the one-pass log (a damaged stream, a
        // file with an error, a `<trace` in a comment that misled a cut):
        // one pass over the whole text gives the authoritative log or error.
        None => {
            let inflated;
            let bytes = if gzip {
                let started = std::time::Instant::now();
                inflated = crate::gunzip(raw, opts.inflate_limit(), path)?;
                opts.timing(|| format!("{} bytes inflated in {:?}", inflated.len(), started.elapsed()));
                &inflated[..]
            } else {
                raw
            };
            read_in_one_pass(bytes, path, opts)?
        }
    };
    if let Some(fatal) = state.fatal.take() {
        return Err(fatal);
    }
    if !saw_log {
        return Err(ReadError {
            kind: crate::ReadErrorKind::Contents,
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

fn read_in_one_pass<'a>(bytes: &[u8], path: &str, opts: &'a ReadOptions) -> Result<(XesState<'a>, bool), ReadError> {
    if let Some(done) = one_pass(bytes, path, opts, Scanner::Plain) {
        return Ok(done);
    }
    let mut state = XesState::new(path, opts);
    let mut stack = vec![root_frame()];
    let mut saw_log = false;
    let whole = Span { from: 0, to: bytes.len(), line: 1, report: true };
    parse(bytes, whole, &mut state, &mut stack, &mut saw_log)?;
    if let Some(open) = stack.last().filter(|_| stack.len() > 1) {
        return Err(ReadError {
            kind: crate::ReadErrorKind::Contents,
            path: path.to_string(),
            line: Some(1 + memchr_count(bytes)),
            message: format!("the XML is not well-formed: <{}> is not closed before the end of the file", open.name),
        });
    }
    Ok((state, saw_log))
}

/// How a span of XML is read: by our scanner of plain XES, which gives up
/// on anything else, or by quick-xml, which reads any XML.
#[derive(Clone, Copy)]
enum Scanner {
    Plain,
    QuickXml,
}

impl Scanner {
    fn parse(
        self,
        bytes: &[u8],
        span: Span,
        state: &mut XesState,
        stack: &mut Vec<Frame>,
        saw: &mut bool,
    ) -> Option<()> {
        match self {
            Scanner::Plain => parse_plain(bytes, span, state, stack, saw),
            Scanner::QuickXml => parse(bytes, span, state, stack, saw).ok(),
        }
    }
}

/// The whole file read by `scanner`: `None` when it gives up, or the file
/// is not a whole XML document.
fn one_pass<'a>(bytes: &[u8], path: &str, opts: &'a ReadOptions, scanner: Scanner) -> Option<(XesState<'a>, bool)> {
    let mut state = XesState::new(path, opts);
    let mut stack = vec![root_frame()];
    let mut saw_log = false;
    let whole = Span { from: 0, to: bytes.len(), line: 1, report: true };
    scanner.parse(bytes, whole, &mut state, &mut stack, &mut saw_log)?;
    (stack.len() == 1).then_some((state, saw_log))
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
    let mut next_progress = PROGRESS_EVERY;
    loop {
        let start_pos = reader.buffer_position() as usize;
        // Events borrow from the bytes: no copy into a buffer.
        let ev = reader.read_event();
        // Lines are counted only when one is needed (an event's, an
        // error's): counting at every element cost 7% of the read.
        let at = start_pos + leading_ws(&slice[start_pos.min(slice.len())..]);
        let fail = |line: u64, message: String| ReadError {
            kind: crate::ReadErrorKind::Contents,
            path: path.clone(),
            line: Some(line),
            message,
        };
        match ev {
            Err(e) => return Err(fail(line_at(at), format!("the XML is not well-formed: {e}"))),
            Ok(Event::Eof) => {
                if span.report {
                    report_progress(opts, bytes.len(), bytes.len());
                }
                break;
            }
            Ok(Event::Start(e)) => {
                let frame = open_element(state, stack, &e, text, saw_log, true).map_err(|m| fail(line_at(at), m))?;
                stack.push(frame);
            }
            Ok(Event::Empty(e)) => {
                let frame = open_element(state, stack, &e, text, saw_log, false).map_err(|m| fail(line_at(at), m))?;
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
        if span.report && start_pos as u64 >= next_progress {
            report_progress(opts, span.from + start_pos, bytes.len());
            next_progress += PROGRESS_EVERY;
        }
    }
    Ok(())
}

/// Progress is reported every this many bytes.
const PROGRESS_EVERY: u64 = 1 << 23;

fn report_progress(opts: &ReadOptions, at: usize, total: usize) {
    if let Some(p) = opts.progress {
        p(at as u64, total as u64);
    }
}

/// The element's attributes as (name, value), without namespace
/// declarations, borrowed from the text being parsed. Plain attributes
/// (up to four: XES elements have two) are kept inline, so an element
/// costs no allocation; what quick-xml reads goes to `owned`, which may
/// hold values with their entities unescaped.
#[derive(Default)]
struct XmlAttrs<'a> {
    /// How many of `inline` are in use.
    len: usize,
    inline: [(&'a str, &'a str); 4],
    owned: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> XmlAttrs<'a> {
    fn clear(&mut self) {
        self.len = 0;
        self.owned.clear();
    }
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inline[..self.len].iter().copied().chain(self.owned.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
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
    let mut simple = XmlAttrs::default();
    if let Some(()) = simple_attributes(e.attributes_raw(), text, &mut simple) {
        return Ok(simple);
    }
    let mut out = XmlAttrs::default();
    // quick-xml's duplicate check allocates per element; ours looks at
    // the few attributes already read, and keeps a set once there are many
    // (an element of forty thousand attributes is checked in linear time).
    let mut seen: Option<rustc_hash::FxHashSet<Cow<'a, str>>> = None;
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
        let twice = match &mut seen {
            Some(set) => !set.insert(key.clone()),
            None if out.owned.len() < 16 => out.owned.iter().any(|(k, _)| *k == key),
            None => {
                let set = seen.insert(out.owned.iter().map(|(k, _)| k.clone()).collect());
                !set.insert(key.clone())
            }
        };
        if twice {
            return Err(format!("the XML is not well-formed: the attribute `{key}` is given twice"));
        }
        out.owned.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A digest of everything a log holds, not how its tables are laid out
    /// (hashed as its `Debug` form is written).
    fn fingerprint(log: &EventLog) -> u64 {
        use std::hash::Hasher;
        struct Digest(std::collections::hash_map::DefaultHasher);
        impl std::fmt::Write for Digest {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        let values = |d: &crate::Dict| d.values().map(str::to_string).collect::<Vec<_>>();
        let columns = |cols: &[crate::AttrColumn]| {
            cols.iter().map(|c| (c.name.clone(), values(&c.dict), c.to_ids())).collect::<Vec<_>>()
        };
        let scores: Vec<u64> = log.score.iter().map(f64::to_bits).collect();
        let content = (
            (values(&log.cases), values(&log.activities), values(&log.channels)),
            (&log.case, &log.time, &log.activity, &log.channel, scores),
            (columns(&log.attrs), columns(&log.case_attrs), &log.stats),
        );
        let mut digest = Digest(Default::default());
        std::fmt::write(&mut digest, format_args!("{content:?}")).expect("hashing cannot fail");
        digest.0.finish()
    }

    /// A log of small and very large traces (one longer than many pieces),
    /// unnamed traces, values with entities and comments between traces,
    /// cut into 4 kB pieces, plain and gzipped: the log one pass gives.
    #[test]
    fn tiny_pieces_add_up_to_the_one_pass_log() {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log xes.version=\"1.0\">\n");
        xml.push_str("  <string key=\"concept:name\" value=\"tiny pieces\"/>\n");
        for t in 0..400 {
            xml.push_str("  <trace>\n");
            if t % 37 != 5 {
                xml.push_str(&format!("    <string key=\"concept:name\" value=\"case {}\"/>\n", t % 350));
            }
            let events = if t == 123 { 900 } else { t % 13 };
            for e in 0..events {
                let resource = if (t + e) % 101 == 0 { "R &amp; D".to_string() } else { format!("r{}", e % 7) };
                xml.push_str(&format!(
                    "    <event>\n      <string key=\"concept:name\" value=\"step {}\"/>\n      <string key=\"org:resource\" value=\"{resource}\"/>\n      <date key=\"time:timestamp\" value=\"2024-01-{:02}T10:{:02}:00.000+01:00\"/>\n    </event>\n",
                    e % 9,
                    1 + t % 28,
                    e % 60
                ));
            }
            xml.push_str("  </trace>\n");
            if t % 50 == 7 {
                xml.push_str("  <!-- a comment between traces -->\n");
            }
        }
        xml.push_str("</log>\n");
        let opts = ReadOptions { lifecycle: crate::Lifecycle::All, threads: 2, ..ReadOptions::default() };
        let (one, saw) = read_in_one_pass(xml.as_bytes(), "f", &opts).unwrap();
        assert!(saw);
        let one = one.b.finish(opts.lifecycle);
        assert!(one.len() > 3000 && one.cases.values().any(|c| c.starts_with("trace ")));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, xml.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        for (raw, gzip) in [(xml.as_bytes(), false), (&gz[..], true)] {
            let (pieces, saw) = read_in_pieces(raw, gzip, "f", &opts, 4096).expect("read in pieces").unwrap();
            assert!(saw);
            let p = pieces.b.finish(opts.lifecycle);
            assert_eq!(fingerprint(&p), fingerprint(&one), "gzip: {gzip}");
        }
    }

    /// The plain scanner must read a file exactly as quick-xml does, or
    /// give it up: on every file of the XES suite and every XES log of
    /// `shared/data`, what it reads equals what the quick-xml path reads,
    /// and it accepts nothing quick-xml refuses. It must also take the
    /// real logs, or they would be read at quick-xml's pace.
    #[test]
    fn the_plain_scanner_reads_what_quick_xml_reads() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
        let mut files: Vec<_> = std::fs::read_dir(data.join("xes-testsuite/cases"))
            .unwrap()
            .chain(std::fs::read_dir(data.join("xes-testsuite")).unwrap())
            .chain(std::fs::read_dir(data.join("logs")).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".xes") || p.to_string_lossy().ends_with(".xes.gz"))
            .collect();
        files.sort();
        assert!(files.len() > 70, "{files:?}");
        let opts = ReadOptions { lifecycle: crate::Lifecycle::All, ..ReadOptions::default() };
        let mut taken = Vec::new();
        for path in &files {
            let raw = std::fs::read(path).unwrap();
            let bytes =
                if raw.starts_with(&[0x1f, 0x8b]) { crate::gunzip(&raw, u64::MAX, "test").unwrap() } else { raw };
            let read = |scanner| {
                one_pass(&bytes, "f", &opts, scanner)
                    .map(|(state, saw_log)| (fingerprint(&state.b.finish(opts.lifecycle)), saw_log))
            };
            match (read(Scanner::Plain), read(Scanner::QuickXml)) {
                (Some(plain), Some(quick)) => {
                    assert_eq!(plain, quick, "{}", path.display());
                    taken.push(path.file_name().unwrap().to_string_lossy().into_owned());
                }
                (Some(_), None) => panic!("the plain scanner accepts {}, which quick-xml refuses", path.display()),
                (None, _) => {}
            }
        }
        for log in ["bpic2012.xes.gz", "helpdesk.xes.gz", "receipt.xes.gz", "extra-running-example.xes"] {
            assert!(taken.iter().any(|t| t == log), "{log} was left to quick-xml; taken: {taken:?}");
        }
        assert!(taken.len() > 30, "{taken:?}");
    }

    fn simple(raw: &str) -> Option<Vec<(String, String)>> {
        let mut attrs = XmlAttrs::default();
        simple_attributes(raw.as_bytes(), Some(raw), &mut attrs)?;
        Some(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
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
        assert!(simple_attributes(b" key=\"a\"", None, &mut XmlAttrs::default()).is_none());
    }
}
