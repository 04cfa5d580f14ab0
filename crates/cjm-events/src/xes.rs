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

/// How much XML a piece holds (it ends at the first trace boundary past
/// this): small enough that the parsers finish close together and few
/// buffers are in flight, large enough that a piece's own dictionaries and
/// its append cost little.
const PIECE_LEN: usize = 2 << 20;

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

/// The XML of a log as it comes: straight from the file, or inflated from
/// its gzip stream a few megabytes at a time.
enum Feed<'a> {
    Plain {
        bytes: &'a [u8],
        at: usize,
    },
    /// `left`: how many more bytes may come out before the inflated-size limit.
    Gzip {
        decoder: Box<flate2::read::MultiGzDecoder<&'a [u8]>>,
        buf: Vec<u8>,
        held: usize,
        ended: bool,
        left: u64,
    },
}

/// A piece's bytes: a stretch of the file, or a buffer of inflated XML
/// (its first `len` bytes), handed back for reuse once parsed.
enum PieceBytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>, usize),
}

impl PieceBytes<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            PieceBytes::Borrowed(b) => b,
            PieceBytes::Owned(buf, len) => &buf[..*len],
        }
    }
    fn into_buffer(self) -> Option<Vec<u8>> {
        match self {
            PieceBytes::Borrowed(_) => None,
            PieceBytes::Owned(buf, _) => Some(buf),
        }
    }
}

impl<'a> Feed<'a> {
    fn new(raw: &'a [u8], gzip: bool, limit: u64) -> Self {
        if gzip {
            let decoder = Box::new(flate2::read::MultiGzDecoder::new(raw));
            Feed::Gzip { decoder, buf: Vec::new(), held: 0, ended: false, left: limit }
        } else {
            Feed::Plain { bytes: raw, at: 0 }
        }
    }

    /// The XML read and not yet taken.
    fn held(&self) -> &[u8] {
        match self {
            Feed::Plain { bytes, at } => &bytes[*at..],
            Feed::Gzip { buf, held, .. } => &buf[..*held],
        }
    }

    /// Whether `held` runs to the end of the XML.
    fn ended(&self) -> bool {
        match self {
            Feed::Plain { .. } => true,
            Feed::Gzip { ended, .. } => *ended,
        }
    }

    /// Reads until `want` bytes are held or the XML ends.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        use std::io::Read;
        if let Feed::Gzip { decoder, buf, held, ended, left } = self {
            if buf.len() < want {
                buf.resize(want, 0);
            }
            while *held < want && !*ended {
                match decoder.read(&mut buf[*held..want])? {
                    0 => *ended = true,
                    n => {
                        *held += n;
                        // Past the limit: the one-pass read names it.
                        *left = left.checked_sub(n as u64).ok_or(std::io::ErrorKind::FileTooLarge)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Takes the first `n` held bytes; `spare` (a parsed piece's buffer)
    /// carries what is left.
    fn take(&mut self, n: usize, spare: Option<Vec<u8>>) -> PieceBytes<'a> {
        match self {
            Feed::Plain { bytes, at } => {
                let bytes: &'a [u8] = bytes;
                let piece = &bytes[*at..*at + n];
                *at += n;
                PieceBytes::Borrowed(piece)
            }
            Feed::Gzip { buf, held, .. } => {
                let rest = *held - n;
                let mut next = spare.unwrap_or_default();
                if next.len() < rest {
                    next.resize(rest, 0);
                }
                next[..rest].copy_from_slice(&buf[n..*held]);
                *held = rest;
                PieceBytes::Owned(std::mem::replace(buf, next), n)
            }
        }
    }

    /// Drops the first `n` held bytes (the header, parsed in place).
    fn skip(&mut self, n: usize) {
        match self {
            Feed::Plain { at, .. } => *at += n,
            Feed::Gzip { buf, held, .. } => {
                buf.copy_within(n..*held, 0);
                *held -= n;
            }
        }
    }

    /// How far into the file's bytes reading has come.
    fn progress(&self, raw_len: usize) -> u64 {
        match self {
            Feed::Plain { at, .. } => *at as u64,
            // The decoder reads from a slice, which shrinks as it goes.
            Feed::Gzip { decoder, .. } => (raw_len - decoder.get_ref().len()) as u64,
        }
    }
}

/// What the pieces after the header take from it.
struct Header {
    strict: bool,
    versionless: bool,
    log_name: Cow<'static, str>,
    log_phase: u8,
}

/// A piece to parse: its place, its bytes, the traces before it (unnamed
/// traces are named by their number) and whether it ends the file.
struct Piece<'a> {
    index: usize,
    bytes: PieceBytes<'a>,
    traces_before: u64,
    last: bool,
}

/// A parsed piece (`None` when it does not parse as a stretch of traces)
/// and its buffer to reuse.
struct Parsed<'a> {
    index: usize,
    state: Option<XesState<'a>>,
    buffer: Option<Vec<u8>>,
}

/// Reads the log in pieces cut between traces: this thread inflates the
/// XML (for `.xes.gz`) and cuts it, `opts.threads()` others parse a piece
/// each into a log of its own, and the pieces are appended in file order,
/// which gives the log one pass would build. Inflating overlaps parsing,
/// and only a few pieces are in memory at once.
/// `None` when the pieces do not add up to the one-pass log (the file is
/// then read in one pass); otherwise the log, or its error when the file
/// was small enough to be read in one pass here.
fn read_in_pieces<'a>(
    raw: &[u8],
    gzip: bool,
    path: &str,
    opts: &'a ReadOptions,
    piece_len: usize,
) -> Option<Result<(XesState<'a>, bool), ReadError>> {
    let started = std::time::Instant::now();
    let mut feed = Feed::new(raw, gzip, opts.inflate_limit());
    // The header (extensions, globals, classifiers, log attributes) ends
    // at the first trace; it sets the rules the pieces are read by.
    let mut want = 2 * piece_len;
    let first_trace = loop {
        if feed.fill(want).is_err() {
            return None;
        }
        // Everything is held once the XML has ended (a plain file at once).
        let whole = feed.ended();
        // A small file (under half a piece), or one without traces, is
        // read in one pass.
        if whole && feed.held().len() < piece_len / 2 {
            return Some(read_in_one_pass(feed.held(), path, opts));
        }
        if let Some(at) = trace_tags(feed.held()).next() {
            break at;
        }
        if whole {
            return Some(read_in_one_pass(feed.held(), path, opts));
        }
        want *= 2;
    };
    // A file of a few pieces is cut finer, so that every thread has some.
    let piece_len = match feed.ended() {
        true => piece_len.min((feed.held().len() / 8).max(64 << 10)),
        false => piece_len,
    };
    let mut state = XesState::new(path, opts);
    let mut stack = vec![root_frame()];
    let mut saw_log = false;
    let header = Span { from: 0, to: first_trace, line: 1, report: false };
    if parse(feed.held(), header, &mut state, &mut stack, &mut saw_log).is_err()
        || stack.len() != 2
        || stack[1].ctx != Ctx::Log
    {
        return None;
    }
    let header = Header {
        strict: state.strict,
        versionless: state.versionless,
        log_name: stack[1].name.clone(),
        log_phase: stack[1].phase.max(4),
    };
    feed.skip(first_trace);
    let workers = opts.threads();
    let (to_parse, queue) = std::sync::mpsc::sync_channel::<Piece>(workers);
    let queue = std::sync::Mutex::new(queue);
    let ((pieces, appending), appended) = std::thread::scope(|scope| {
        let (parsed, results) = std::sync::mpsc::channel::<Parsed>();
        for _ in 0..workers {
            let (queue, parsed, header) = (&queue, parsed.clone(), &header);
            scope.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                let Ok(piece) = next else { break };
                let state = parse_piece(&piece, path, opts, header);
                let done = Parsed { index: piece.index, state, buffer: piece.bytes.into_buffer() };
                if parsed.send(done).is_err() {
                    break;
                }
            });
        }
        drop(parsed);
        let mut assembly =
            Assembly { state: &mut state, waiting: Vec::new(), next: 0, failed: false, appending: Default::default() };
        let mut spare: Vec<Vec<u8>> = Vec::new();
        let mut traces_before = assembly.state.trace_number;
        let mut index = 0;
        let cut_ok = loop {
            // The next cut, or `None` at the end of the XML.
            let mut from = piece_len;
            let cut = loop {
                if let Some(cut) = boundary_from(feed.held(), from) {
                    break Ok(Some(cut));
                }
                if feed.ended() {
                    break Ok(None);
                }
                // A trace longer than a piece: search on from where this
                // search ended (less a tag's length), not from the start.
                from = feed.held().len().saturating_sub(16).max(piece_len);
                let more = feed.held().len() + piece_len;
                if let Err(damaged) = feed.fill(more) {
                    break Err(damaged);
                }
            };
            let Ok(cut) = cut else { break false };
            if assembly.failed {
                break false;
            }
            let last = cut.is_none();
            let bytes = feed.take(cut.unwrap_or(feed.held().len()), spare.pop());
            let traces = count_traces(bytes.bytes());
            let piece = Piece { index, bytes, traces_before, last };
            (index, traces_before) = (index + 1, traces_before + traces);
            if to_parse.send(piece).is_err() {
                break false;
            }
            if let Some(p) = opts.progress {
                p(feed.progress(raw.len()), raw.len() as u64);
            }
            for done in results.try_iter() {
                spare.extend(assembly.take(done));
            }
            if last {
                break true;
            }
        };
        drop(to_parse);
        for done in results.iter() {
            assembly.take(done);
        }
        let appending = assembly.appending;
        ((index, appending), cut_ok && !assembly.failed && assembly.next == index)
    });
    opts.timing(|| {
        format!("XES read in {pieces} pieces by {workers} threads in {:?} ({appending:?} appending)", started.elapsed())
    });
    if !appended {
        return None;
    }
    Some(Ok((state, saw_log)))
}

/// Appends parsed pieces to the log in file order, holding those that
/// come early; `appending` is the time that took.
struct Assembly<'s, 'a> {
    state: &'s mut XesState<'a>,
    waiting: Vec<Option<XesState<'a>>>,
    next: usize,
    failed: bool,
    appending: std::time::Duration,
}

impl<'a> Assembly<'_, 'a> {
    /// Files one parsed piece and appends what is next in order; gives
    /// back its buffer.
    fn take(&mut self, done: Parsed<'a>) -> Option<Vec<u8>> {
        match done.state {
            None => self.failed = true,
            Some(piece) => {
                if self.waiting.len() <= done.index {
                    self.waiting.resize_with(done.index + 1, || None);
                }
                self.waiting[done.index] = Some(piece);
            }
        }
        while let Some(piece) = self.waiting.get_mut(self.next).and_then(Option::take) {
            let state = &mut *self.state;
            let started = std::time::Instant::now();
            if let Err(e) = state.b.append(piece.b) {
                state.fatal = state.fatal.take().or(Some(e));
            }
            if let Some(e) = piece.fatal {
                state.fatal = state.fatal.take().or(Some(e));
            }
            self.appending += started.elapsed();
            state.events_outside_traces += piece.events_outside_traces;
            state.untimed += piece.untimed;
            state.unnamed += piece.unnamed;
            state.trace_number = piece.trace_number;
            self.next += 1;
        }
        done.buffer
    }
}

/// Parses one piece: traces (the last piece also the end of the log)
/// under the header's rules. `None` when the piece does not read as a
/// stretch of whole traces; the file is then read in one pass, which
/// reports the error, so none is kept here.
fn parse_piece<'a>(piece: &Piece, path: &str, opts: &'a ReadOptions, header: &Header) -> Option<XesState<'a>> {
    let read = |scanner| piece_by(scanner, piece, path, opts, header);
    read(Scanner::Plain).or_else(|| read(Scanner::QuickXml))
}

fn piece_by<'a>(
    scanner: Scanner,
    piece: &Piece,
    path: &str,
    opts: &'a ReadOptions,
    header: &Header,
) -> Option<XesState<'a>> {
    let (bytes, traces_before, last) = (piece.bytes.bytes(), piece.traces_before, piece.last);
    let mut state = XesState::new(path, opts);
    (state.strict, state.versionless) = (header.strict, header.versionless);
    state.trace_number = traces_before;
    let log_frame = Frame {
        ctx: Ctx::Log,
        name: header.log_name.clone(),
        key: String::new(),
        phase: header.log_phase,
        values_seen: 0,
    };
    let mut stack = vec![root_frame(), log_frame];
    let mut saw_log = true;
    // The reader cannot see `</log>` without its start: the last piece
    // stops before it, and the log is closed here.
    let end = if last { memchr::memmem::rfind(bytes, b"</log>")? } else { bytes.len() };
    scanner.parse(bytes, Span { from: 0, to: end, line: 1, report: false }, &mut state, &mut stack, &mut saw_log)?;
    // Every piece ends between traces, inside the log; and events outside
    // traces in a strict log must follow them all, which only one pass sees.
    if stack.len() != 2 || stack[1].ctx != Ctx::Log || (state.strict && state.events_outside_traces > 0) {
        return None;
    }
    if last {
        let log = stack.pop()?;
        close(&mut state, &mut stack, log).ok()?;
        let rest = Span { from: end + "</log>".len(), to: bytes.len(), line: 1, report: false };
        scanner.parse(bytes, rest, &mut state, &mut stack, &mut saw_log)?;
        if stack.len() != 1 {
            return None;
        }
    }
    Some(state)
}

/// `<trace` as a start tag (not `<traces` or similar).
fn trace_tags(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memmem::find_iter(bytes, b"<trace").filter(move |&i| bytes.get(i + 6).is_some_and(|&b| ends_name(b)))
}

fn count_traces(bytes: &[u8]) -> u64 {
    trace_tags(bytes).count() as u64
}

/// The first trace start at or after `from` that directly follows a
/// `</trace>`, so it stands between two traces.
fn boundary_from(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    trace_tags(tail).map(|i| from + i).find(|&i| {
        let before = &bytes[..i];
        let blanks = before.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
        before[..before.len() - blanks].ends_with(b"</trace>")
    })
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

/// Reads `span` of the file like [`parse`] when it is written the plain
/// way XES writers write: known XES elements with plain attributes (see
/// [`simple_attributes`]), blanks between tags, the XML declaration,
/// processing instructions and comments. It tokenizes the bytes itself and
/// takes an attribute of a trace or an event (most of a log's elements) in
/// one step. `None` at anything else — text, CDATA, a DOCTYPE, entities,
/// an unknown element, text that is not UTF-8, or any error — and the
/// caller reads the span again, with fresh state, by [`parse`], which has
/// the last word on what a file holds and how it is wrong.
fn parse_plain(
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
fn known_element(name: &[u8]) -> Option<&'static str> {
    match element_name(name) {
        Cow::Borrowed(known) => Some(known),
        Cow::Owned(_) => None,
    }
}

/// An empty typed attribute element (`<string key="…" value="…"/>`) of a
/// trace or an event — most elements of a log — taken in one step, with
/// the checks and effects `open` and `close` have on it. `None` when the
/// element is not that (or is an error): `open` takes it then.
fn attribute_of_trace_or_event(
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

/// The attributes of an element when they are written the plain way XES
/// writers use — `name="value"` pairs of ASCII names and values without
/// entities or `<`, separated by blanks — read straight from the bytes.
/// Anything else (or text not known to be UTF-8) is `None`, and quick-xml
/// reads it, with its errors.
fn simple_attributes<'a>(raw: &'a [u8], text: Option<&'a str>, out: &mut XmlAttrs<'a>) -> Option<()> {
    let end = plain_attributes(raw, 0, text?, out)?;
    (end == raw.len()).then_some(())
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the run of blanks at `from` ends.
fn skip_blanks(bytes: &[u8], from: usize) -> usize {
    from + bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|&&c| is_blank(c)).count())
}

/// Whether `b` may follow an element's name in a tag (`<trace>`, `<trace/>`,
/// `<trace key=…`).
fn ends_name(b: u8) -> bool {
    is_blank(b) || b == b'>' || b == b'/'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-')
}

/// Plain attributes (see [`simple_attributes`]) from `bytes[from..]` up to
/// the first byte that starts none, into `out` (cleared first): where they
/// end. `bytes` lies within `text`. More than four attributes are `None`.
fn plain_attributes<'a>(bytes: &'a [u8], from: usize, text: &'a str, out: &mut XmlAttrs<'a>) -> Option<usize> {
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

fn check_attribute_set(name: &str, attrs: &XmlAttrs, required: &[&str], optional: &[&str]) -> Result<(), String> {
    for r in required {
        if !attrs.iter().any(|(k, _)| k == *r) {
            return Err(format!("<{name}> needs the attribute `{r}`"));
        }
    }
    for (k, _) in attrs.iter() {
        if !required.contains(&k) && !optional.contains(&k) {
            let allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
            let allowed = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(format!("<{name}> does not take the attribute `{k}` (it takes: {allowed})"));
        }
    }
    Ok(())
}

fn get<'a>(attrs: &'a XmlAttrs, key: &str) -> Option<&'a str> {
    attrs.iter().find(|&(k, _)| k == key).map(|(_, v)| v)
}

/// A new element's frame. `has_children` is false for an empty element
/// (`<string … />`): its frame needs no key for children to extend.
fn open(
    state: &mut XesState,
    stack: &[Frame],
    name: Cow<'static, str>,
    attrs: &XmlAttrs,
    saw_log: &mut bool,
    has_children: bool,
) -> Result<Frame, String> {
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
            let version = get(attrs, "xes.version").unwrap_or("");
            state.versionless = version.is_empty();
            // The IEEE schema's version is the decimal 1849.2016; PM4Py writes
            // "1849-2016" and OpenXES "1.0"/"2.0": those are read leniently.
            state.strict = version.trim().starts_with("1849.");
            if state.strict {
                check_attribute_set("log", attrs, &["xes.version"], &["xes.features"])?;
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
                        check_attribute_set("extension", attrs, &["name", "prefix", "uri"], &[])?;
                    }
                    Ok(frame(Ctx::Skip, String::new()))
                }
                "classifier" => {
                    if strict {
                        check_attribute_set("classifier", attrs, &["name", "keys"], &["scope"])?;
                    }
                    Ok(frame(Ctx::Skip, String::new()))
                }
                "global" => {
                    if strict {
                        check_attribute_set("global", attrs, &[], &["scope"])?;
                    }
                    Ok(frame(Ctx::Global, String::new()))
                }
                "trace" => {
                    if strict {
                        check_attribute_set("trace", attrs, &[], &[])?;
                    }
                    state.trace_case = None;
                    state.trace_attrs.clear();
                    state.trace_events.clear();
                    state.trace_number += 1;
                    Ok(frame(Ctx::Trace, String::new()))
                }
                "event" => {
                    if strict {
                        check_attribute_set("event", attrs, &[], &[])?;
                    }
                    let first_attr = state.event_attrs.len();
                    state.event = Some(PendingEvent {
                        score: f64::NAN,
                        attrs: first_attr..first_attr,
                        ..PendingEvent::default()
                    });
                    Ok(frame(Ctx::Event, String::new()))
                }
                _ => open_attribute(state, parent, name.clone(), attrs, has_children),
            }
        }
        Ctx::Global | Ctx::Event | Ctx::Attr | Ctx::Values => {
            if !is_attribute_element(&name, strict) {
                return Err(format!("<{name}> is not expected inside <{}>", parent.name));
            }
            open_attribute(state, parent, name.clone(), attrs, has_children)
        }
        Ctx::List => {
            if name != "values" {
                if !strict && is_attribute_element(&name, false) {
                    return open_attribute(state, parent, name.clone(), attrs, has_children);
                }
                return Err(format!("<{name}> is not expected inside <list>: a list holds one <values> element"));
            }
            if strict {
                check_attribute_set("values", attrs, &["key"], &[])?;
                if parent.values_seen > 0 {
                    return Err("a <list> holds exactly one <values> element".into());
                }
            }
            Ok(Frame { ctx: Ctx::Values, name, key: parent.key.clone(), phase: 0, values_seen: 0 })
        }
        Ctx::Skip => Ok(frame(Ctx::Skip, String::new())),
    }
}

/// `open` for an element quick-xml read.
fn open_element(
    state: &mut XesState,
    stack: &[Frame],
    e: &BytesStart,
    text: Option<&str>,
    saw_log: &mut bool,
    has_children: bool,
) -> Result<Frame, String> {
    let name = element_name(e.local_name().as_ref());
    let attrs = attributes(e, text)?;
    open(state, stack, name, &attrs, saw_log, has_children)
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
            _ => match state.b.intern_attr(key, value) {
                Ok(attr) => state.event_attrs.push(attr),
                Err(e) => state.fatal = state.fatal.take().or(Some(e)),
            },
        },
        Ctx::Attr | Ctx::List | Ctx::Values => {
            // Nested attribute: keep it under its parent's path.
            if state.event.is_some() {
                match state.b.intern_attr(key, value) {
                    Ok(attr) => state.event_attrs.push(attr),
                    Err(e) => state.fatal = state.fatal.take().or(Some(e)),
                }
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
            if let Err(e) = b.set_case_attr(case, k, v) {
                state.fatal = state.fatal.take().or(Some(e));
                break;
            }
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
