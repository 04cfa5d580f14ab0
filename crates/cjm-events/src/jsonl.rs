//! JSON Lines: one object per line; keys are columns.

use crate::csv_reader::{score_value, time_problem};
use crate::{Builder, EventLog, ReadError, ReadOptions, NONE};
use serde_json::{Map, Value};

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

pub(crate) fn read(bytes: &[u8], path: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let text_all = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
        let message = format!("the file is not UTF-8 text (byte {}): JSON Lines must be UTF-8", e.valid_up_to());
        ReadError::new(crate::ReadErrorKind::Contents, path, None, message)
    })?;
    let mut b = Builder::new(path, opts.strict);
    let mut columns: Option<Columns> = None;
    for (i, line) in text_all.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        b.log.stats.rows += 1;
        let obj: Map<String, Value> = match serde_json::from_str(line) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                b.bad_row(line_no, "the line is not a JSON object")?;
                continue;
            }
            Err(e) => {
                b.bad_row(line_no, format!("invalid JSON: {e}"))?;
                continue;
            }
        };
        let c = match &mut columns {
            Some(c) => c,
            None => columns.insert(Columns::of(&obj, opts, path, line_no)?),
        };
        match c.push_event(&mut b, &obj, opts) {
            Ok(case_id) => c.push_attrs(&mut b, &obj, case_id)?,
            Err(message) => b.bad_row(line_no, message)?,
        }
    }
    let Some(c) = columns else {
        return Err(ReadError::new(crate::ReadErrorKind::Contents, path, None, "the file holds no JSON object".into()));
    };
    let mut log = b.finish(opts.lifecycle);
    log.columns = Some(c.cols.describe(&c.headers));
    Ok(log)
}

/// The columns: the first object's keys, in its order.
struct Columns {
    cols: crate::mapping::Resolved,
    headers: Vec<String>,
    /// Each key's position among the headers.
    header_at: rustc_hash::FxHashMap<String, usize>,
    /// For each header, its attribute (an index into `cols.attrs`), if kept.
    attr_of: Vec<Option<usize>>,
}

impl Columns {
    fn of(first: &Map<String, Value>, opts: &ReadOptions, path: &str, line_no: u64) -> Result<Columns, ReadError> {
        let headers: Vec<String> = first.keys().cloned().collect();
        let header_at = headers.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect();
        let cols = opts.columns.resolve(&headers).map_err(|e| e.into_read_error(path, Some(line_no)))?;
        let mut attr_of = vec![None; headers.len()];
        for (k, (pos, _, _)) in cols.attrs.iter().enumerate() {
            attr_of[*pos] = Some(k);
        }
        Ok(Columns { cols, headers, header_at, attr_of })
    }

    /// The object's event, or what is wrong with it; its customer's id.
    fn push_event(&self, b: &mut Builder, obj: &Map<String, Value>, opts: &ReadOptions) -> Result<u32, crate::Bad> {
        let (c, headers) = (&self.cols, &self.headers);
        let get = |i: usize| obj.get(&headers[i]).and_then(text).unwrap_or_default();
        let case = get(c.case);
        if case.is_empty() {
            return Err(format!("`{}` is missing or empty", headers[c.case]).into());
        }
        let activity = get(c.activity);
        if activity.is_empty() {
            return Err(format!("`{}` is missing or empty", headers[c.activity]).into());
        }
        let t = get(c.time);
        let time = opts.time.parse(&t).ok_or_else(|| time_problem(&t))?;
        let score = match c.score {
            Some(i) => score_value(&get(i))?,
            None => f64::NAN,
        };
        let channel_text = c.channel.map(get).unwrap_or_default();
        let case_id = b.log.cases.intern(&case);
        let activity_id = b.log.activities.intern(&activity);
        let channel = if channel_text.is_empty() { NONE } else { b.log.channels.intern(&channel_text) };
        b.push(case_id, time, activity_id, channel, score);
        Ok(case_id)
    }

    /// The object's attributes: the kept columns, and every key the first
    /// object did not have.
    fn push_attrs(&self, b: &mut Builder, obj: &Map<String, Value>, case_id: u32) -> Result<(), ReadError> {
        for (key, value) in obj {
            let Some(&pos) = self.header_at.get(key.as_str()) else {
                if let Some(v) = text(value) {
                    b.set_attr(key, &v)?;
                }
                continue;
            };
            if let Some((_, name, case_level)) = self.attr_of[pos].map(|k| &self.cols.attrs[k]) {
                if let Some(v) = text(value).filter(|v| !v.is_empty()) {
                    if *case_level {
                        b.set_case_attr(case_id, name, &v)?;
                    } else {
                        b.set_attr(name, &v)?;
                    }
                }
            }
        }
        Ok(())
    }
}
