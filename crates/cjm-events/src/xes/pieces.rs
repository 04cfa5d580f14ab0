//! Reading a log in pieces cut between traces, on several threads: the
//! calling thread inflates and cuts, workers parse, pieces are appended in
//! file order, so the log equals one pass's.

use super::*;

/// How much XML a piece holds (it ends at the first trace boundary past
/// this): small enough that the parsers finish close together and few
/// buffers are in flight, large enough that a piece's own dictionaries and
/// its append cost little.
pub(super) const PIECE_LEN: usize = 2 << 20;

/// The XML of a log as it comes: straight from the file, or inflated from
/// its gzip stream a few megabytes at a time.
pub(super) enum Feed<'a> {
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
pub(super) enum PieceBytes<'a> {
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
pub(super) struct Header {
    strict: bool,
    versionless: bool,
    log_name: Cow<'static, str>,
    log_phase: u8,
}

/// A piece to parse: its place, its bytes, the traces before it (unnamed
/// traces are named by their number) and whether it ends the file.
pub(super) struct Piece<'a> {
    index: usize,
    bytes: PieceBytes<'a>,
    traces_before: u64,
    last: bool,
}

/// A parsed piece (`None` when it does not parse as a stretch of traces)
/// and its buffer to reuse.
pub(super) struct Parsed<'a> {
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
pub(super) fn read_in_pieces<'a>(
    raw: &[u8],
    gzip: bool,
    path: &str,
    opts: &'a ReadOptions,
    piece_len: usize,
) -> Option<Result<(XesState<'a>, bool), ReadError>> {
    let started = std::time::Instant::now();
    let mut feed = Feed::new(raw, gzip, opts.inflate_limit());
    let first_trace = match first_trace(&mut feed, piece_len) {
        Start::Trace(at) => at,
        Start::OnePass => return Some(read_in_one_pass(feed.held(), path, opts)),
        Start::Damaged => return None,
    };
    // A file of a few pieces is cut finer, so that every thread has some.
    let piece_len = match feed.ended() {
        true => piece_len.min((feed.held().len() / 8).max(64 << 10)),
        false => piece_len,
    };
    let mut state = XesState::new(path, opts);
    let (header, saw_log) = read_header(feed.held(), first_trace, &mut state)?;
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
        let mut cutter = Cutter { feed: &mut feed, piece_len, raw_len: raw.len(), opts };
        let (pieces, cut_ok) = cutter.cut_all(&to_parse, &results, &mut assembly);
        drop(to_parse);
        for done in results.iter() {
            assembly.take(done);
        }
        let appending = assembly.appending;
        ((pieces, appending), cut_ok && !assembly.failed && assembly.next == pieces)
    });
    opts.timing(|| {
        format!("XES read in {pieces} pieces by {workers} threads in {:?} ({appending:?} appending)", started.elapsed())
    });
    if !appended {
        return None;
    }
    Some(Ok((state, saw_log)))
}

/// Where reading in pieces starts.
enum Start {
    /// The first trace's offset in the held XML: what comes before it is
    /// the header.
    Trace(usize),
    /// A small file (under half a piece), or one without traces: read it
    /// in one pass.
    OnePass,
    /// The XML could not be inflated.
    Damaged,
}

/// Fills `feed` up to the first trace. The header (extensions, globals,
/// classifiers, log attributes) ends there; it sets the rules the pieces
/// are read by.
fn first_trace(feed: &mut Feed, piece_len: usize) -> Start {
    let mut want = 2 * piece_len;
    loop {
        if feed.fill(want).is_err() {
            return Start::Damaged;
        }
        // Everything is held once the XML has ended (a plain file at once).
        let whole = feed.ended();
        if whole && feed.held().len() < piece_len / 2 {
            return Start::OnePass;
        }
        if let Some(at) = trace_tags(feed.held()).next() {
            return Start::Trace(at);
        }
        if whole {
            return Start::OnePass;
        }
        want *= 2;
    }
}

/// Parses the header (the XML before `first_trace`) into `state`: the rules
/// for the pieces, and whether the log element was seen. `None` when it is
/// not one `<log>` element left open.
fn read_header(held: &[u8], first_trace: usize, state: &mut XesState) -> Option<(Header, bool)> {
    let mut stack = vec![root_frame()];
    let mut saw_log = false;
    let span = Span { from: 0, to: first_trace, line: 1, report: false };
    if parse(held, span, state, &mut stack, &mut saw_log).is_err() || stack.len() != 2 || stack[1].ctx != Ctx::Log {
        return None;
    }
    let header = Header {
        strict: state.strict,
        versionless: state.versionless,
        log_name: stack[1].name.clone(),
        log_phase: stack[1].phase.max(4),
    };
    Some((header, saw_log))
}

/// Cuts the XML between traces into pieces of about `piece_len` bytes.
struct Cutter<'f, 'a> {
    feed: &'f mut Feed<'a>,
    piece_len: usize,
    raw_len: usize,
    opts: &'f ReadOptions,
}

impl<'a> Cutter<'_, 'a> {
    /// Sends every piece to the parsers, filing the pieces they have parsed
    /// meanwhile (and reusing their buffers). The number of pieces, and
    /// `false` when the XML could not be inflated or a piece failed.
    fn cut_all<'s>(
        &mut self,
        to_parse: &std::sync::mpsc::SyncSender<Piece<'a>>,
        results: &std::sync::mpsc::Receiver<Parsed<'s>>,
        assembly: &mut Assembly<'_, 's>,
    ) -> (usize, bool) {
        let mut spare: Vec<Vec<u8>> = Vec::new();
        let mut traces_before = assembly.state.trace_number;
        let mut index = 0;
        loop {
            let Ok(cut) = self.next_cut() else { return (index, false) };
            if assembly.failed {
                return (index, false);
            }
            let last = cut.is_none();
            let bytes = self.feed.take(cut.unwrap_or(self.feed.held().len()), spare.pop());
            let traces = count_traces(bytes.bytes());
            let piece = Piece { index, bytes, traces_before, last };
            (index, traces_before) = (index + 1, traces_before + traces);
            if to_parse.send(piece).is_err() {
                return (index, false);
            }
            if let Some(p) = self.opts.progress {
                p(self.feed.progress(self.raw_len), self.raw_len as u64);
            }
            for done in results.try_iter() {
                spare.extend(assembly.take(done));
            }
            if last {
                return (index, true);
            }
        }
    }

    /// The next cut, or `None` at the end of the XML.
    fn next_cut(&mut self) -> std::io::Result<Option<usize>> {
        let mut from = self.piece_len;
        loop {
            if let Some(cut) = boundary_from(self.feed.held(), from) {
                return Ok(Some(cut));
            }
            if self.feed.ended() {
                return Ok(None);
            }
            // A trace longer than a piece: search on from where this search
            // ended (less a tag's length), not from the start.
            from = self.feed.held().len().saturating_sub(16).max(self.piece_len);
            let more = self.feed.held().len() + self.piece_len;
            self.feed.fill(more)?;
        }
    }
}

/// Appends parsed pieces to the log in file order, holding those that
/// come early; `appending` is the time that took.
pub(super) struct Assembly<'s, 'a> {
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
pub(super) fn parse_piece<'a>(
    piece: &Piece,
    path: &str,
    opts: &'a ReadOptions,
    header: &Header,
) -> Option<XesState<'a>> {
    let read = |scanner| piece_by(scanner, piece, path, opts, header);
    read(Scanner::Plain).or_else(|| read(Scanner::QuickXml))
}

pub(super) fn piece_by<'a>(
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
pub(super) fn trace_tags(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memmem::find_iter(bytes, b"<trace").filter(move |&i| bytes.get(i + 6).is_some_and(|&b| ends_name(b)))
}

pub(super) fn count_traces(bytes: &[u8]) -> u64 {
    trace_tags(bytes).count() as u64
}

/// The first trace start at or after `from` that directly follows a
/// `</trace>`, so it stands between two traces.
pub(super) fn boundary_from(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    trace_tags(tail).map(|i| from + i).find(|&i| {
        let before = &bytes[..i];
        let blanks = before.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
        before[..before.len() - blanks].ends_with(b"</trace>")
    })
}
