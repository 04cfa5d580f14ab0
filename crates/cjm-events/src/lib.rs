//! Event logs, read into one columnar, dictionary-encoded [`EventLog`].
//!
//! Every reader (CSV/TSV, JSON Lines, Parquet, XES) produces the same shape:
//! one row per event with its customer (case), timestamp, touchpoint
//! (activity), optional channel and score, and any other attribute as a
//! dictionary-encoded text column; trace-level (case) attributes are kept per
//! case. Text values are interned once, so the engine works on small
//! integers. Rows keep their input order: the row number breaks timestamp
//! ties, as the journey-summary contract requires.
//!
//! Bad rows are counted and the first few kept with their line numbers;
//! `strict` turns the first one into an error. Nothing is dropped silently.

#![warn(unreachable_pub)]
mod attrs;
pub mod canonical;
mod csv_reader;
mod dict;
mod jsonl;
mod mapping;
mod parquet_footer;
mod parquet_reader;
mod preview;
mod scores;
pub mod time;
mod xes;

pub use attrs::AttrColumn;
pub use dict::Dict;
pub use mapping::{ColumnMap, Role, Roles, SourceColumns};
pub use preview::{preview_path, Preview, MAX_PREVIEW_COLUMNS, MAX_PREVIEW_ROWS, PREVIEW_BYTES};
pub use scores::Scores;
pub use time::TimeFormat;

use rustc_hash::FxHashMap;
use std::path::Path;

/// "No value" in an id column.
pub const NONE: u32 = u32::MAX;

/// The time of an event that has none (valid in XES): it sorts by position
/// and takes part in no duration.
pub const UNKNOWN_TIME: i64 = i64::MIN;

/// The most distinct attribute keys a log may have (event and customer
/// keys each); a log with more stops with an error that says so.
pub const MAX_ATTRIBUTE_KEYS: usize = 20_000;

/// One problem row, kept to show the user where to look.
#[derive(Clone, Debug, PartialEq)]
pub struct RowProblem {
    /// 1-based line (CSV, JSON Lines, XES) or row (Parquet) of the problem;
    /// 0 for a note about the whole log.
    pub line: u64,
    pub kind: ProblemKind,
    pub message: String,
}

/// What kind of problem a bad row has, for the fix an edge suggests (the
/// CLI names its flags; the web app its fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The row is not UTF-8 text: the file may be in another encoding.
    NotUtf8,
    /// No known layout reads the time: a layout must be given.
    BadTime,
    /// Anything else (an empty id, a short row, a number that is not one).
    Other,
}

/// A bad row's kind and words, before it has a line.
pub(crate) struct Bad {
    pub kind: ProblemKind,
    pub message: String,
}

impl From<String> for Bad {
    fn from(message: String) -> Self {
        Bad { kind: ProblemKind::Other, message }
    }
}

impl From<&str> for Bad {
    fn from(message: &str) -> Self {
        Bad { kind: ProblemKind::Other, message: message.to_string() }
    }
}

/// What reading did besides producing events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadStats {
    /// Rows (events) in the input.
    pub rows: u64,
    /// Rows that could not be read and were left out.
    pub bad_rows: u64,
    /// The first problems, with their lines.
    pub problems: Vec<RowProblem>,
    /// Events left out by the lifecycle choice (e.g. `start` events).
    pub lifecycle_skipped: u64,
}

const KEEP_PROBLEMS: usize = 5;

impl ReadStats {
    /// Adds a later part's counts; its problems follow ours up to the limit.
    pub(crate) fn absorb(&mut self, later: ReadStats) {
        self.rows += later.rows;
        self.bad_rows += later.bad_rows;
        self.lifecycle_skipped += later.lifecycle_skipped;
        let room = KEEP_PROBLEMS.saturating_sub(self.problems.len());
        self.problems.extend(later.problems.into_iter().take(room));
    }
}

/// The event log: columns of equal length, one row per event.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub cases: Dict,
    pub activities: Dict,
    pub channels: Dict,
    pub case: Vec<u32>,
    /// Microseconds since the Unix epoch, UTC.
    pub time: Vec<i64>,
    pub activity: Vec<u32>,
    /// [`NONE`] when the event has no channel. Empty when the read was
    /// told to skip channels ([`ReadOptions::skip_channel`]).
    pub channel: Vec<u32>,
    /// One per event, NaN when the event has none (see [`Scores`]).
    pub score: Scores,
    /// Event-level attributes.
    pub attrs: Vec<AttrColumn>,
    /// Case-level attributes, indexed by case id.
    pub case_attrs: Vec<AttrColumn>,
    pub stats: ReadStats,
    /// The input columns behind each role (tables only; XES has fixed keys).
    pub columns: Option<mapping::SourceColumns>,
}

impl EventLog {
    pub fn len(&self) -> usize {
        self.case.len()
    }
    pub fn is_empty(&self) -> bool {
        self.case.is_empty()
    }
    pub fn attr(&self, name: &str) -> Option<&AttrColumn> {
        self.attrs.iter().find(|a| a.name == name)
    }
    pub fn case_attr(&self, name: &str) -> Option<&AttrColumn> {
        self.case_attrs.iter().find(|a| a.name == name)
    }
}

/// Which events of an activity's lifecycle to keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lifecycle {
    /// `complete` events when the log has start/complete pairs, else all.
    #[default]
    Auto,
    All,
    Start,
    Complete,
}

/// The input formats. [`Format::ALL`] is the one table of their names and
/// file extensions: the CLI's format flag, a map's `data` block (a test
/// holds the model's list to it), the server's upload field and its
/// messages all read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
    Parquet,
    Xes,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::JsonLines, Format::Parquet, Format::Xes];
    /// The formats' names, in the order of [`Format::ALL`].
    pub const NAMES: [&'static str; 4] = ["csv", "jsonl", "parquet", "xes"];

    /// Its name: `csv`, `jsonl`, `parquet`, `xes`.
    pub fn name(self) -> &'static str {
        Format::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The file extensions that say a file is in this format, the usual
    /// one first. Any of them may be followed by `.gz`.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Csv => &["csv", "tsv", "txt"],
            Format::JsonLines => &["jsonl", "ndjson", "json"],
            Format::Parquet => &["parquet", "pq"],
            Format::Xes => &["xes"],
        }
    }

    /// The format a file name implies (`.gz` is looked through).
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit('.').next()?;
        Format::ALL.into_iter().find(|f| f.extensions().contains(&ext))
    }
}

/// Text encodings a CSV may be in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf8,
    Latin1,
}

/// How to read a log.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub format: Option<Format>,
    pub columns: ColumnMap,
    pub time: TimeFormat,
    pub encoding: Encoding,
    pub lifecycle: Lifecycle,
    /// Fail on the first bad row instead of counting it.
    pub strict: bool,
    /// Called with (bytes read, total bytes) as reading progresses.
    pub progress: Option<fn(u64, u64)>,
    /// Called with a line on how long each stage of the read took (the
    /// binary prints them for `CJM_TIMINGS`; this crate prints nothing).
    pub timings: Option<fn(&str)>,
    /// Threads to read with; 0 means one per core. (The result is the same
    /// either way; tests compare the two.)
    pub threads: usize,
    /// Leave the channel column unread when the reader can (Parquet): the
    /// log's `channel` is then empty. For work that never looks at channels,
    /// such as the journey summary.
    pub skip_channel: bool,
    /// The most bytes a compressed log may inflate to; `None` for
    /// [`DEFAULT_MAX_INFLATED`]. A gzip bomb stops at this many bytes with
    /// an error that names the limit.
    pub max_inflated: Option<u64>,
}

/// The inflated-size limit when the options set none: 16 GiB.
pub const DEFAULT_MAX_INFLATED: u64 = 16 << 30;

impl ReadOptions {
    /// Reports a stage's timing to [`ReadOptions::timings`], if anyone listens.
    pub(crate) fn timing(&self, line: impl FnOnce() -> String) {
        if let Some(report) = self.timings {
            report(&line());
        }
    }

    /// The inflated-size limit in force.
    pub(crate) fn inflate_limit(&self) -> u64 {
        self.max_inflated.unwrap_or(DEFAULT_MAX_INFLATED)
    }

    /// How many threads a reader may use.
    pub(crate) fn threads(&self) -> usize {
        match self.threads {
            0 => available_threads(),
            n => n,
        }
    }
}

/// Threads worth starting for work split across cores: one per core, at
/// most eight. Asked once: on Linux the answer reads cgroup files, and a
/// read in pieces asks for every dictionary it merges.
pub fn available_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8))
}

/// Why a log could not be read. `Display` names the file, the place and what
/// to do.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub kind: ReadErrorKind,
    pub path: String,
    /// Line (or row) when the problem has one.
    pub line: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for ReadError {}

/// What a read error is about, with the values an edge needs to word the
/// fix: the library's messages use the domain's words only, and the CLI
/// (its flags) or the web app (its fields) says what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// The file cannot be read: missing, a directory, no permission.
    File,
    /// Neither the options nor the file name tell the log's format.
    UnknownFormat,
    /// What the file holds is malformed; the message says where and how.
    Contents,
    /// A stated limit was reached (see [`Limit`]).
    Limit(Limit),
    /// Strict reading stopped at the first bad row, of this kind.
    StrictStop(ProblemKind),
    /// No column for a required role was found among the usual names.
    MissingColumn(Role),
    /// Every row was bad (the first one's problem is in the message): the
    /// columns chosen, the encoding or the time layout may be wrong.
    NoRows,
    /// A column the caller named is not in the log: for a role, or (`None`)
    /// as an extra attribute column.
    UnknownColumn { role: Option<Role>, name: String },
}

/// The reader's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Compressed data inflating past [`ReadOptions::max_inflated`].
    Inflated,
    /// More rows than a log can index.
    Rows,
    /// More than [`MAX_ATTRIBUTE_KEYS`] attribute names.
    AttributeNames,
}

impl ReadError {
    pub(crate) fn new(kind: ReadErrorKind, path: &str, line: Option<u64>, message: String) -> Self {
        ReadError { kind, path: path.to_string(), line, message }
    }

    /// Whether the caller (rather than the file) must change: a file that
    /// cannot be read, no format, a column named that is not there.
    pub fn is_usage(&self) -> bool {
        matches!(self.kind, ReadErrorKind::File | ReadErrorKind::UnknownFormat | ReadErrorKind::UnknownColumn { .. })
    }
}

/// Builds a log row by row, counting problems.
pub(crate) struct Builder {
    pub log: EventLog,
    pub strict: bool,
    pub path: String,
    attr_index: FxHashMap<String, usize>,
    case_attr_index: FxHashMap<String, usize>,
}

impl Builder {
    pub(crate) fn new(path: &str, strict: bool) -> Self {
        Builder {
            log: EventLog::default(),
            strict,
            path: path.to_string(),
            attr_index: FxHashMap::default(),
            case_attr_index: FxHashMap::default(),
        }
    }

    /// Records a bad row; an error in strict mode.
    pub(crate) fn bad_row(&mut self, line: u64, bad: impl Into<Bad>) -> Result<(), ReadError> {
        let Bad { kind, message } = bad.into();
        if self.strict {
            return Err(ReadError::new(ReadErrorKind::StrictStop(kind), &self.path, Some(line), message));
        }
        self.log.stats.bad_rows += 1;
        if self.log.stats.problems.len() < KEEP_PROBLEMS {
            self.log.stats.problems.push(RowProblem { line, kind, message });
        }
        Ok(())
    }

    pub(crate) fn push(&mut self, case: u32, time: i64, activity: u32, channel: u32, score: f64) {
        self.log.case.push(case);
        self.log.time.push(time);
        self.log.activity.push(activity);
        self.log.channel.push(channel);
        self.log.score.push(score);
    }

    /// Sets an event attribute of the last pushed event.
    pub(crate) fn set_attr(&mut self, name: &str, value: &str) -> Result<(), ReadError> {
        let (col, id) = self.intern_attr(name, value)?;
        self.set_attr_id(col, id);
        Ok(())
    }

    /// Interns an event attribute's value ahead of its row (XES reads an
    /// event's attributes before the event is complete).
    pub(crate) fn intern_attr(&mut self, name: &str, value: &str) -> Result<(usize, u32), ReadError> {
        let i =
            column_index(&mut self.log.attrs, &mut self.attr_index, name).ok_or_else(|| self.too_many_keys("event"))?;
        Ok((i, self.log.attrs[i].dict.intern(value)))
    }

    /// Sets an interned event attribute of the last pushed event.
    pub(crate) fn set_attr_id(&mut self, col: usize, id: u32) {
        let row = self.log.case.len() - 1;
        self.log.attrs[col].set_last(row, id);
    }

    /// Sets a case attribute (the first value given for a case wins).
    pub(crate) fn set_case_attr(&mut self, case: u32, name: &str, value: &str) -> Result<(), ReadError> {
        let i = column_index(&mut self.log.case_attrs, &mut self.case_attr_index, name)
            .ok_or_else(|| self.too_many_keys("customer"))?;
        self.log.case_attrs[i].set_first(case as usize, |dict| dict.intern(value));
        Ok(())
    }

    fn too_many_keys(&self, level: &str) -> ReadError {
        ReadError {
            kind: ReadErrorKind::Limit(Limit::AttributeNames),
            path: self.path.clone(),
            line: None,
            message: format!(
                "the log has more than {MAX_ATTRIBUTE_KEYS} different {level} attribute names; a log's attributes are its columns, and this many suggests a key that carries data (an id or a time) rather than a name"
            ),
        }
    }

    /// A note about the whole log (no line), shown with the bad rows.
    pub(crate) fn note(&mut self, message: String) {
        self.log.stats.problems.push(RowProblem { line: 0, kind: ProblemKind::Other, message });
    }

    /// Pads every column to the full length and applies the lifecycle choice.
    pub(crate) fn finish(mut self, lifecycle: Lifecycle) -> EventLog {
        let n = self.log.case.len();
        for a in &mut self.log.attrs {
            a.finish(n);
        }
        let cases = self.log.cases.len();
        for a in &mut self.log.case_attrs {
            a.finish(cases);
        }
        apply_lifecycle(&mut self.log, lifecycle);
        self.log
    }
}

impl Builder {
    /// Appends a later part of the same log: its rows after ours, its
    /// values interned into our dictionaries in their order of first
    /// appearance, so the result is what one reader would have built.
    pub(crate) fn append(&mut self, part: Builder) -> Result<(), ReadError> {
        let before = self.log.len();
        let added = part.log.len();
        let cases = self.log.cases.absorb(&part.log.cases);
        let acts = self.log.activities.absorb(&part.log.activities);
        let chans = self.log.channels.absorb(&part.log.channels);
        self.log.case.extend(part.log.case.iter().map(|&c| cases[c as usize]));
        self.log.activity.extend(part.log.activity.iter().map(|&a| acts[a as usize]));
        self.log.channel.extend(part.log.channel.iter().map(|&c| if c == NONE { NONE } else { chans[c as usize] }));
        self.log.time.extend_from_slice(&part.log.time);
        self.log.score.append(&part.log.score);
        for col in &part.log.attrs {
            let i = column_index(&mut self.log.attrs, &mut self.attr_index, &col.name)
                .ok_or_else(|| self.too_many_keys("event"))?;
            let ids = self.log.attrs[i].dict.absorb(&col.dict);
            self.log.attrs[i].append_rows(col, before, &ids);
        }
        let _ = added;
        for col in &part.log.case_attrs {
            let i = column_index(&mut self.log.case_attrs, &mut self.case_attr_index, &col.name)
                .ok_or_else(|| self.too_many_keys("customer"))?;
            let ids = self.log.case_attrs[i].dict.absorb(&col.dict);
            // The first value given for a customer wins, as when read in one go.
            self.log.case_attrs[i].absorb_cases(col, &cases, &ids);
        }
        self.log.stats.absorb(part.log.stats);
        Ok(())
    }
}

/// The position of the attribute column `name`, added when new; `None`
/// when that would pass [`MAX_ATTRIBUTE_KEYS`].
fn column_index(columns: &mut Vec<AttrColumn>, index: &mut FxHashMap<String, usize>, name: &str) -> Option<usize> {
    if let Some(&i) = index.get(name) {
        return Some(i);
    }
    if columns.len() >= MAX_ATTRIBUTE_KEYS {
        return None;
    }
    columns.push(AttrColumn::new(name));
    index.insert(name.to_string(), columns.len() - 1);
    Some(columns.len() - 1)
}

/// Keeps the events of the chosen lifecycle transition.
fn apply_lifecycle(log: &mut EventLog, mode: Lifecycle) {
    let Some(col) = log.attrs.iter().position(|a| a.name == "lifecycle:transition" || a.name == "lifecycle") else {
        return;
    };
    let lc = &log.attrs[col];
    let id_of = |name: &str| lc.dict.values().position(|v| v.eq_ignore_ascii_case(name)).map(|i| i as u32);
    let (start, complete) = (id_of("start"), id_of("complete"));
    let keep: Option<u32> = match mode {
        Lifecycle::All => None,
        Lifecycle::Start => Some(start.unwrap_or(NONE - 1)),
        Lifecycle::Complete => Some(complete.unwrap_or(NONE - 1)),
        Lifecycle::Auto => match (start, complete) {
            (Some(_), Some(c)) => Some(c),
            _ => None,
        },
    };
    let Some(keep) = keep else { return };
    let mask: Vec<bool> = (0..log.len()).map(|r| log.attrs[col].id(r) == keep).collect();
    let kept = mask.iter().filter(|k| **k).count();
    log.stats.lifecycle_skipped += (mask.len() - kept) as u64;
    retain_rows(log, &mask);
}

/// Keeps the items of `v` where `mask` is true, in order.
pub(crate) fn keep<T>(v: &mut Vec<T>, mask: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        let k = mask[i];
        i += 1;
        k
    });
}

/// Keeps the rows where `mask` is true, in order.
pub fn retain_rows(log: &mut EventLog, mask: &[bool]) {
    keep(&mut log.case, mask);
    keep(&mut log.time, mask);
    keep(&mut log.activity, mask);
    keep(&mut log.channel, mask);
    log.score.retain(mask);
    let mut new_row = Vec::with_capacity(mask.len());
    let mut kept = 0u32;
    for &k in mask {
        new_row.push(kept);
        kept += u32::from(k);
    }
    for a in &mut log.attrs {
        a.retain(mask, &new_row);
    }
}

/// Reads a log file; the format comes from the options or the file name.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let shown = path.display().to_string();
    let file_err = |message: String| ReadError { kind: ReadErrorKind::File, path: shown.clone(), line: None, message };
    if path.is_dir() {
        return Err(file_err("is a directory; give the path of a log file".into()));
    }
    let format = format_for(opts, path, &shown)?;
    let log = match format {
        Format::Parquet => parquet_guarded(parquet_reader::Source::Path(path), &shown, opts)?,
        Format::Csv => csv_streamed(path, &shown, opts).map_err(|e| e.unwrap_or_else(&file_err))?,
        _ => read_text(format, std::borrow::Cow::Owned(read_file(path).map_err(file_err)?), &shown, opts)?,
    };
    some_rows(log, &shown)
}

/// A CSV file read as a stream (inflated as it is parsed when gzipped, up
/// to the inflate limit): never whole in memory, whatever its size.
/// `Err(Err(why))` is a file that cannot be opened.
fn csv_streamed(path: &Path, shown: &str, opts: &ReadOptions) -> Result<EventLog, Result<ReadError, String>> {
    let (head, gzipped, size) = open_peeked(path).map_err(|e| Err(io_message(&e)))?;
    if gzipped {
        let inflated =
            Inflating::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(head)), opts.inflate_limit());
        csv_reader::read_stream(inflated, None, shown, opts).map_err(Ok)
    } else {
        csv_reader::read_stream(head, Some(size), shown, opts).map_err(Ok)
    }
}

/// A file opened to be read from its start, with whether it starts with
/// the gzip magic bytes (read to know, and given back in the stream) and
/// its size.
pub(crate) fn open_peeked(path: &Path) -> std::io::Result<(impl std::io::Read, bool, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut magic = [0u8; 2];
    let got = file.read(&mut magic)?;
    let gzipped = magic[..got] == [0x1f, 0x8b];
    Ok((std::io::Cursor::new(magic[..got].to_vec()).chain(file), gzipped, size))
}

/// A file that cannot be read, in the readers' words.
pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Inflated bytes, counted: past `limit` the stream ends with an error
/// that [`inflate_limit_of`] recognises (a gzip bomb costs no memory).
pub(crate) struct Inflating<R> {
    inner: R,
    left: u64,
    limit: u64,
}

/// The error an [`Inflating`] stream ends with at its limit.
#[derive(Debug)]
struct InflateLimit(u64);

impl std::fmt::Display for InflateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "inflates past {} bytes", self.0)
    }
}

impl std::error::Error for InflateLimit {}

impl<R> Inflating<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Inflating { inner, left: limit, limit }
    }
}

/// The limit an error of an [`Inflating`] stream reports having passed,
/// if it is that error.
pub(crate) fn inflate_limit_of(e: &std::io::Error) -> Option<u64> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<InflateLimit>()).map(|l| l.0)
}

impl<R: std::io::Read> std::io::Read for Inflating<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(InflateLimit(self.limit)));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Latin-1 bytes read as UTF-8 text, as [`latin1`] decodes them, in a stream.
pub(crate) struct Latin1<R> {
    inner: R,
    out: Vec<u8>,
    at: usize,
}

impl<R> Latin1<R> {
    pub(crate) fn new(inner: R) -> Self {
        Latin1 { inner, out: Vec::new(), at: 0 }
    }
}

impl<R: std::io::Read> std::io::Read for Latin1<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.out.len() {
            let mut raw = [0u8; 16 * 1024];
            let n = self.inner.read(&mut raw)?;
            self.out.clear();
            self.at = 0;
            for &b in &raw[..n] {
                if b < 0x80 {
                    self.out.push(b);
                } else {
                    self.out.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                }
            }
        }
        let k = buf.len().min(self.out.len() - self.at);
        buf[..k].copy_from_slice(&self.out[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

/// Reads a log from memory, as [`read_path`] reads a file: `name` (a file
/// name, shown in errors) tells the format unless the options do.
pub fn read_bytes(bytes: &[u8], name: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let format = format_for(opts, Path::new(name), name)?;
    let log = match format {
        Format::Parquet => {
            let bytes = bytes::Bytes::copy_from_slice(bytes);
            parquet_guarded(parquet_reader::Source::Bytes(&bytes), name, opts)?
        }
        _ => read_text(format, std::borrow::Cow::Borrowed(bytes), name, opts)?,
    };
    some_rows(log, name)
}

/// A Parquet read that turns a panic inside arrow-rs (a damaged file it
/// trusts too far) into an error naming the file. The footer checks catch
/// what fuzzing found; this is the net under what it has not.
fn parquet_guarded(source: parquet_reader::Source, shown: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parquet_reader::read(source, shown, opts))).unwrap_or_else(
        |panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ReadError {
                kind: ReadErrorKind::Contents,
                path: shown.to_string(),
                line: None,
                message: format!("the Parquet file is damaged ({why}); write it again from its source"),
            })
        },
    )
}

pub(crate) fn format_for(opts: &ReadOptions, path: &Path, shown: &str) -> Result<Format, ReadError> {
    opts.format.or_else(|| Format::from_path(path)).ok_or_else(|| {
        let message = "cannot tell the log's format (CSV, JSON Lines, Parquet or XES) from the file name".to_string();
        ReadError::new(ReadErrorKind::UnknownFormat, shown, None, message)
    })
}

/// A CSV, JSON Lines or XES log from its bytes (gzipped or not).
fn read_text(
    format: Format,
    raw: std::borrow::Cow<[u8]>,
    shown: &str,
    opts: &ReadOptions,
) -> Result<EventLog, ReadError> {
    if format == Format::Xes {
        // XES inflates as it parses (a big `.xes.gz` is never whole in memory).
        return xes::read(&raw, shown, opts);
    }
    let started = std::time::Instant::now();
    let bytes = maybe_gunzip(raw, opts.inflate_limit(), shown)?;
    opts.timing(|| format!("{} bytes in {:?}", bytes.len(), started.elapsed()));
    match format {
        Format::Csv => csv_reader::read(&bytes, shown, opts),
        Format::JsonLines => jsonl::read(&bytes, shown, opts),
        Format::Parquet | Format::Xes => unreachable!("handled by the callers"),
    }
}

/// The log, unless it is empty because no row could be read.
fn some_rows(log: EventLog, shown: &str) -> Result<EventLog, ReadError> {
    if log.is_empty() && log.stats.bad_rows > 0 {
        let first =
            log.stats.problems.first().map(|p| format!(" (line {}: {})", p.line, p.message)).unwrap_or_default();
        return Err(ReadError {
            kind: ReadErrorKind::NoRows,
            path: shown.to_string(),
            line: None,
            message: format!("no row could be read{first}"),
        });
    }
    Ok(log)
}

/// The bytes, inflated when they start with the gzip magic bytes.
fn maybe_gunzip<'a>(
    bytes: std::borrow::Cow<'a, [u8]>,
    limit: u64,
    shown: &str,
) -> Result<std::borrow::Cow<'a, [u8]>, ReadError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return gunzip(&bytes, limit, shown).map(std::borrow::Cow::Owned);
    }
    Ok(bytes)
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| io_message(&e))
}

/// The text of a gzip stream (one member or several), inflated as a
/// stream twice: first only counted, stopping with an error once more than
/// `limit` bytes have come out (a bomb costs no memory), then into a buffer
/// of exactly that size (never sized from the trailer, which anyone can
/// write, and never grown by doubling, which would hold two copies).
/// Inflating is fast next to parsing (BPIC 2012's 74 MB in about 22 ms).
pub(crate) fn gunzip(bytes: &[u8], limit: u64, shown: &str) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let damaged = |e: std::io::Error| {
        ReadError::new(ReadErrorKind::Contents, shown, None, format!("the gzip data is damaged: {e}"))
    };
    let mut counted = flate2::read::MultiGzDecoder::new(bytes).take(limit.saturating_add(1));
    let size = std::io::copy(&mut counted, &mut std::io::sink()).map_err(damaged)?;
    if size > limit {
        return Err(too_inflated(limit, shown));
    }
    let mut out = Vec::with_capacity(size as usize);
    flate2::read::MultiGzDecoder::new(bytes).take(size).read_to_end(&mut out).map_err(damaged)?;
    Ok(out)
}

/// The error of a compressed log that inflates past the limit.
pub(crate) fn too_inflated(limit: u64, shown: &str) -> ReadError {
    let message = format!(
        "the compressed data inflates to more than {}, the limit for an inflated log; check that the file is the log you meant",
        human_bytes(limit)
    );
    ReadError::new(ReadErrorKind::Limit(Limit::Inflated), shown, None, message)
}

/// A byte count for people: `512 MB`, `16 GiB`.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Latin-1 bytes as UTF-8 text.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}
