//! CSV and TSV: delimiter sniffed from the header line (`,` `;` tab `|`),
//! quoted fields, UTF-8 or Latin-1, gzip looked through by the caller.

use crate::mapping::Resolved;
use crate::{Bad, Builder, Encoding, EventLog, ProblemKind, ReadError, ReadOptions, NONE};

/// The delimiter that splits the header line into the most fields, counting
/// only outside quotes.
pub(crate) fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = cands.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    cands[best]
}

pub(crate) fn read(bytes: &[u8], path: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    read_stream(bytes, Some(bytes.len() as u64), path, opts)
}

/// Reads CSV as a stream: the file's bytes pass once through a 64 KiB
/// buffer (Latin-1 decoded on the way), so a log on disk is never whole in
/// memory. `total` is its size when known, for progress. An error of the
/// stream itself (damaged gzip, the inflate limit) ends the read.
pub(crate) fn read_stream(
    input: impl std::io::Read,
    total: Option<u64>,
    path: &str,
    opts: &ReadOptions,
) -> Result<EventLog, ReadError> {
    use std::io::{BufRead, Read};
    let input: Box<dyn Read> = match opts.encoding {
        Encoding::Utf8 => Box::new(input),
        Encoding::Latin1 => Box::new(crate::Latin1::new(input)),
    };
    let mut buffered = std::io::BufReader::with_capacity(1 << 16, input);
    let mut first = Vec::new();
    buffered.read_until(b'\n', &mut first).map_err(|e| stream_error(e, path))?;
    if first.starts_with(b"\xEF\xBB\xBF") {
        first.drain(..3);
    }
    let delimiter = sniff_delimiter(first.strip_suffix(b"\n").unwrap_or(&first));
    let data = std::io::Cursor::new(first).chain(buffered);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(1 << 16)
        .from_reader(data);
    let err = |line: Option<u64>, message: String| ReadError {
        kind: crate::ReadErrorKind::Contents,
        path: path.to_string(),
        line,
        message,
    };
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| {
            if e.is_io_error() {
                let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!("an I/O error") };
                return stream_error(io, path);
            }
            err(Some(1), format!("cannot read the header line: {e}"))
        })?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(err(Some(1), "the file is empty: expected a header line with column names".into()));
    }
    let cols = opts.columns.resolve(&headers).map_err(|e| e.into_read_error(path, Some(1)))?;
    let mut b = Builder::new(path, opts.strict);
    let mut record = csv::ByteRecord::new();
    let mut next_progress = 1u64 << 22;
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) if e.is_io_error() => {
                let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!("an I/O error") };
                return Err(stream_error(io, path));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                b.log.stats.rows += 1;
                b.bad_row(line, format!("cannot read the row: {e}"))?;
                continue;
            }
        };
        if !more {
            break;
        }
        b.log.stats.rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        if let (Some(p), Some(total)) = (opts.progress, total) {
            let at = record.position().map_or(0, |p| p.byte());
            if at >= next_progress {
                p(at.min(total), total);
                next_progress = at + (1 << 22);
            }
        }
        row(&mut b, &record, &cols, opts, line)?;
    }
    if let (Some(p), Some(total)) = (opts.progress, total) {
        p(total, total);
    }
    let mut log = b.finish(opts.lifecycle);
    log.columns = Some(cols.describe(&headers));
    Ok(log)
}

/// An error of the stream under the CSV: the inflate limit (see
/// [`crate::Inflating`]) or data that does not inflate.
fn stream_error(e: std::io::Error, path: &str) -> ReadError {
    if let Some(limit) = crate::inflate_limit_of(&e) {
        return crate::too_inflated(limit, path);
    }
    let message = match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
            format!("the gzip data is damaged: {e}")
        }
        _ => format!("cannot read the file: {e}"),
    };
    ReadError::new(crate::ReadErrorKind::Contents, path, None, message)
}

fn field(record: &csv::ByteRecord, i: usize) -> Result<&str, Bad> {
    let raw = record.get(i).unwrap_or(b"");
    std::str::from_utf8(raw).map(str::trim).map_err(|_| Bad {
        kind: ProblemKind::NotUtf8,
        message: "the row is not UTF-8 text; the file may be in another encoding, such as Latin-1".into(),
    })
}

fn row(
    b: &mut Builder,
    record: &csv::ByteRecord,
    cols: &Resolved,
    opts: &ReadOptions,
    line: u64,
) -> Result<(), ReadError> {
    let result = (|| -> Result<u32, Bad> {
        if record.len() <= cols.case.max(cols.time).max(cols.activity) {
            return Err(format!("the row has {} fields, fewer than the header", record.len()).into());
        }
        let case = field(record, cols.case)?;
        if case.is_empty() {
            return Err("the customer (case) id is empty".into());
        }
        let activity = field(record, cols.activity)?;
        if activity.is_empty() {
            return Err("the touchpoint (activity) is empty".into());
        }
        let time_text = field(record, cols.time)?;
        let time = opts.time.parse(time_text).ok_or_else(|| time_problem(time_text))?;
        let score = match cols.score {
            Some(i) => score_value(field(record, i)?)?,
            None => f64::NAN,
        };
        let channel_text = match cols.channel {
            Some(i) => field(record, i)?,
            None => "",
        };
        // Every attribute field is checked before the row is kept (the
        // fields the row has: attributes are in column order, and a short
        // row costs its length, not the header's).
        for (i, _, _) in cols.attrs.iter().take_while(|a| a.0 < record.len()) {
            field(record, *i)?;
        }
        let case_id = b.log.cases.intern(case);
        let activity_id = b.log.activities.intern(activity);
        let channel = if channel_text.is_empty() { NONE } else { b.log.channels.intern(channel_text) };
        b.push(case_id, time, activity_id, channel, score);
        Ok(case_id)
    })();
    let case_id = match result {
        Ok(case_id) => case_id,
        Err(message) => return b.bad_row(line, message),
    };
    for (i, name, case_level) in cols.attrs.iter().take_while(|a| a.0 < record.len()) {
        let v = field(record, *i).unwrap_or_default();
        if v.is_empty() {
            continue;
        }
        if *case_level {
            b.set_case_attr(case_id, name, v)?;
        } else {
            b.set_attr(name, v)?;
        }
    }
    Ok(())
}

pub(crate) fn time_problem(text: &str) -> Bad {
    let shown: String = text.chars().take(40).collect();
    Bad {
        kind: ProblemKind::BadTime,
        message: format!(
            "cannot read the time `{shown}`: no known layout fits; give its layout (e.g. \"%d.%m.%Y %H:%M\")"
        ),
    }
}

pub(crate) fn score_value(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
        let shown: String = text.chars().take(40).collect();
        format!("the score `{shown}` is not a number")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c,d"), b',');
    }
}
