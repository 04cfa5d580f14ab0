//! The first rows of a log as its file holds them, before any column has a
//! role: what a person looks at to choose the customer, time and touchpoint
//! columns when detection did not find them (or found the wrong ones).
//!
//! A preview reads a bounded prefix — [`PREVIEW_BYTES`] of text (inflated,
//! for `.gz`), the first rows of a Parquet file, the first events of an XES
//! log — so it costs the same on a 10 GB log as on a small one, and it
//! works on a file that [`crate::read_path`] refuses (no time column found,
//! the wrong encoding, every row bad).

use crate::mapping::ColumnMap;
use crate::{Encoding, Format, ReadError, ReadErrorKind, ReadOptions};
use std::io::Read;
use std::path::Path;

/// The most bytes of text (after inflating) a preview reads.
pub const PREVIEW_BYTES: u64 = 1 << 20;
/// The most rows a preview holds.
pub const MAX_PREVIEW_ROWS: usize = 100;
/// The most columns a preview lists (the rest are counted).
pub const MAX_PREVIEW_COLUMNS: usize = 1_000;
/// The most characters of a cell a preview keeps.
const MAX_CELL_CHARS: usize = 200;

/// The first rows of a log, cell by cell as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preview {
    pub format: Option<Format>,
    /// Every column, in file order (XES: the trace's attributes as
    /// `case:key`, then the events').
    pub columns: Vec<String>,
    /// Columns past [`MAX_PREVIEW_COLUMNS`], not listed.
    pub more_columns: usize,
    /// One entry per column in each row; empty where a row has no value.
    pub rows: Vec<Vec<String>>,
    /// The column each role is read from: the one the options name, else
    /// the one detection picks; `None` when neither finds one.
    pub case: Option<String>,
    pub time: Option<String>,
    pub activity: Option<String>,
    pub channel: Option<String>,
    pub score: Option<String>,
    /// Whether the roles are fixed by the format (XES names them itself).
    pub fixed_roles: bool,
    /// The text read as UTF-8 has bytes that are not: another encoding
    /// (Latin-1) would read it.
    pub not_utf8: bool,
}

/// The first `max_rows` rows (at most [`MAX_PREVIEW_ROWS`]) of the log at
/// `path`, its columns and the column each role would be read from.
pub fn preview_path(path: &Path, opts: &ReadOptions, max_rows: usize) -> Result<Preview, ReadError> {
    let shown = path.display().to_string();
    let max_rows = max_rows.min(MAX_PREVIEW_ROWS);
    let format = crate::format_for(opts, path, &shown)?;
    if path.is_dir() {
        return Err(ReadError::new(ReadErrorKind::File, &shown, None, "is a directory; give a log file".into()));
    }
    let mut p = match format {
        Format::Parquet => {
            let source = crate::parquet_reader::Source::Path(path);
            let (columns, rows) = std::panic::catch_unwind(|| crate::parquet_reader::preview(source, &shown, max_rows))
                .unwrap_or_else(|_| {
                    let message = "the Parquet file is damaged; write it again from its source".to_string();
                    Err(ReadError::new(ReadErrorKind::Contents, &shown, None, message))
                })?;
            Preview { columns, rows, ..Preview::default() }
        }
        _ => {
            let prefix = read_prefix(path, &shown)?;
            let not_utf8 = opts.encoding == Encoding::Utf8 && !utf8_prefix(&prefix);
            let text = match opts.encoding {
                Encoding::Utf8 => String::from_utf8_lossy(&prefix).into_owned(),
                Encoding::Latin1 => crate::latin1(&prefix),
            };
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let mut p = match format {
                Format::Csv => csv_preview(text, max_rows, &shown)?,
                Format::JsonLines => jsonl_preview(text, max_rows),
                Format::Xes => xes_preview(text, max_rows, &shown)?,
                Format::Parquet => unreachable!("read above"),
            };
            p.not_utf8 = not_utf8;
            p
        }
    };
    p.format = Some(format);
    p.fixed_roles = format == Format::Xes;
    detect_roles(&mut p, &opts.columns);
    if p.columns.len() > MAX_PREVIEW_COLUMNS {
        p.more_columns = p.columns.len() - MAX_PREVIEW_COLUMNS;
        p.columns.truncate(MAX_PREVIEW_COLUMNS);
        for r in &mut p.rows {
            r.truncate(MAX_PREVIEW_COLUMNS);
        }
    }
    Ok(p)
}

/// The roles' columns: XES's fixed keys, or the mapping's given names and
/// the usual names, each role on its own (one missing does not hide the
/// others).
fn detect_roles(p: &mut Preview, map: &ColumnMap) {
    if p.fixed_roles {
        let has = |c: &str| p.columns.iter().any(|h| h == c).then(|| c.to_string());
        (p.case, p.time, p.activity) = (has("case:concept:name"), has("time:timestamp"), has("concept:name"));
        (p.channel, p.score) = (has("channel"), has("score"));
        return;
    }
    let found = map.detect(&p.columns);
    let name = |i: Option<usize>| i.and_then(|i| p.columns.get(i).cloned());
    (p.case, p.time, p.activity) = (name(found[0]), name(found[1]), name(found[2]));
    (p.channel, p.score) = (name(found[3]), name(found[4]));
}

/// The first [`PREVIEW_BYTES`] of a text log, inflated when gzipped, cut
/// after its last whole line when there is more.
fn read_prefix(path: &Path, shown: &str) -> Result<Vec<u8>, ReadError> {
    let (head, gzipped, _) = crate::open_peeked(path)
        .map_err(|e| ReadError::new(ReadErrorKind::File, shown, None, crate::io_message(&e)))?;
    let mut out = Vec::new();
    let read = if gzipped {
        flate2::read::MultiGzDecoder::new(head).take(PREVIEW_BYTES + 1).read_to_end(&mut out)
    } else {
        head.take(PREVIEW_BYTES + 1).read_to_end(&mut out)
    };
    if let Err(e) = read {
        // What inflated before the damage still previews; nothing is an error.
        if out.is_empty() {
            let message = format!("the gzip data is damaged: {e}");
            return Err(ReadError::new(ReadErrorKind::Contents, shown, None, message));
        }
    }
    if out.len() as u64 > PREVIEW_BYTES {
        let cut = memchr::memrchr(b'\n', &out[..PREVIEW_BYTES as usize]).map_or(PREVIEW_BYTES as usize, |i| i + 1);
        out.truncate(cut);
    }
    Ok(out)
}

/// Whether `bytes` is UTF-8, allowing a character cut at the very end.
fn utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn cell(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > MAX_CELL_CHARS {
        t.chars().take(MAX_CELL_CHARS - 1).collect::<String>() + "…"
    } else {
        t.to_string()
    }
}

fn csv_preview(text: &str, max_rows: usize, shown: &str) -> Result<Preview, ReadError> {
    let header_end = text.find('\n').unwrap_or(text.len());
    let delimiter = crate::csv_reader::sniff_delimiter(&text.as_bytes()[..header_end]);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut records = reader.records();
    let bad = |e: csv::Error| {
        ReadError::new(ReadErrorKind::Contents, shown, Some(1), format!("cannot read the header line: {e}"))
    };
    let columns: Vec<String> = match records.next() {
        Some(header) => header.map_err(bad)?.iter().map(|h| h.trim().to_string()).collect(),
        None => Vec::new(),
    };
    if columns.iter().all(String::is_empty) {
        let message = "the file is empty: expected a header line with column names".to_string();
        return Err(ReadError::new(ReadErrorKind::Contents, shown, Some(1), message));
    }
    let mut rows = Vec::new();
    for record in records.take(max_rows) {
        // A row the CSV reader cannot split is shown as nothing rather than
        // ending the preview; the read counts it as a bad row.
        let Ok(record) = record else { continue };
        let mut row: Vec<String> = record.iter().take(columns.len()).map(cell).collect();
        row.resize(columns.len(), String::new());
        rows.push(row);
    }
    Ok(Preview { columns, rows, ..Preview::default() })
}

/// JSON Lines: the keys of the first objects as the reader takes them
/// (each object's in name order, new ones after).
fn jsonl_preview(text: &str, max_rows: usize) -> Preview {
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(max_rows) {
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line) else {
            objects.push(serde_json::Map::new());
            continue;
        };
        for k in obj.keys() {
            if !columns.contains(k) && columns.len() <= MAX_PREVIEW_COLUMNS {
                columns.push(k.clone());
            }
        }
        objects.push(obj);
    }
    let text_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => cell(s),
        serde_json::Value::Null => String::new(),
        other => cell(&other.to_string()),
    };
    let rows =
        objects.iter().map(|o| columns.iter().map(|c| o.get(c).map(text_of).unwrap_or_default()).collect()).collect();
    Preview { columns, rows, ..Preview::default() }
}

/// XES: one row per event, with its trace's attributes (`case:key`) and
/// its own (nested attributes are left out of a preview).
fn xes_preview(text: &str, max_rows: usize, shown: &str) -> Result<Preview, ReadError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut x = XesRows::default();
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            // The prefix may end inside an element: the rows so far stand.
            Err(_) if !x.rows.is_empty() => break,
            Err(e) => {
                let upto = (reader.buffer_position() as usize).min(text.len());
                let line = 1 + text.as_bytes()[..upto].iter().filter(|&&b| b == b'\n').count() as u64;
                let message = format!("the XES file is not well-formed XML: {e}");
                return Err(ReadError::new(ReadErrorKind::Contents, shown, Some(line), message));
            }
        };
        match ev {
            Event::Start(e) => x.open(e.name().as_ref(), &e, false),
            Event::Empty(e) => x.open(e.name().as_ref(), &e, true),
            Event::End(e) => x.close(e.name().as_ref()),
            Event::Eof => break,
            _ => {}
        }
        if x.rows.len() >= max_rows {
            break;
        }
    }
    let width = x.columns.len();
    let rows = x
        .rows
        .into_iter()
        .map(|cells| {
            let mut row = vec![String::new(); width];
            for (i, v) in cells {
                if row[i].is_empty() {
                    row[i] = v;
                }
            }
            row
        })
        .collect();
    Ok(Preview { columns: x.columns, rows, ..Preview::default() })
}

/// The events of an XES prefix as (column, value) cells.
#[derive(Default)]
struct XesRows {
    columns: Vec<String>,
    rows: Vec<Vec<(usize, String)>>,
    in_trace: bool,
    /// Inside `<global>` (defaults, not values) or an extension's contents.
    skipping: usize,
    trace: Vec<(usize, String)>,
    event: Option<Vec<(usize, String)>>,
    /// Open attribute elements: only a trace's or an event's direct children count.
    nested: usize,
}

impl XesRows {
    fn column(&mut self, name: String) -> usize {
        self.columns.iter().position(|c| *c == name).unwrap_or_else(|| {
            self.columns.push(name);
            self.columns.len() - 1
        })
    }

    fn open(&mut self, name: &[u8], e: &quick_xml::events::BytesStart, empty: bool) {
        match name {
            b"global" | b"extension" | b"classifier" => self.skipping += usize::from(!empty),
            _ if self.skipping > 0 => {}
            b"trace" if !empty => (self.in_trace, self.trace) = (true, Vec::new()),
            b"event" if self.in_trace => {
                self.event = Some(Vec::new());
                if empty {
                    self.close(b"event");
                }
            }
            b"string" | b"date" | b"int" | b"float" | b"boolean" | b"id" | b"list" | b"container" => {
                if self.nested == 0 && self.in_trace {
                    if let Some((key, value)) = key_value(e) {
                        let key = if self.event.is_some() { key } else { format!("case:{key}") };
                        let i = self.column(key);
                        match &mut self.event {
                            Some(row) => row.push((i, cell(&value))),
                            None => self.trace.push((i, cell(&value))),
                        }
                    }
                }
                self.nested += usize::from(!empty);
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        match name {
            b"global" | b"extension" | b"classifier" => self.skipping = self.skipping.saturating_sub(1),
            _ if self.skipping > 0 => {}
            b"trace" => self.in_trace = false,
            b"event" => {
                if let Some(mut row) = self.event.take() {
                    row.extend(self.trace.iter().cloned());
                    self.rows.push(row);
                }
            }
            b"string" | b"date" | b"int" | b"float" | b"boolean" | b"id" | b"list" | b"container" => {
                self.nested = self.nested.saturating_sub(1);
            }
            _ => {}
        }
    }
}

/// An attribute element's `key` and `value` (entities decoded).
fn key_value(e: &quick_xml::events::BytesStart) -> Option<(String, String)> {
    let (mut key, mut value) = (None, String::new());
    for a in e.attributes().flatten() {
        let v = a
            .unescape_value()
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
        match a.key.as_ref() {
            b"key" => key = Some(v),
            b"value" => value = v,
            _ => {}
        }
    }
    key.map(|k| (k, value))
}
