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
    let err = |line: Option<u64>, message: String| ReadError {
        kind: crate::ReadErrorKind::Contents,
        path: path.to_string(),
        line,
        message,
    };
    let text_all = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
        err(None, format!("the file is not UTF-8 text (byte {}): JSON Lines must be UTF-8", e.valid_up_to()))
    })?;
    let mut b = Builder::new(path, opts.strict);
    let mut cols = None;
    let mut headers: Vec<String> = Vec::new();
    // Each key's position among the first object's keys.
    let mut header_at: rustc_hash::FxHashMap<String, usize> = Default::default();
    // For each of those keys, its attribute (an index into `attrs`), if kept.
    let mut attr_of: Vec<Option<usize>> = Vec::new();
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
        if cols.is_none() {
            headers = obj.keys().cloned().collect();
            header_at = headers.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect();
            let resolved = opts.columns.resolve(&headers).map_err(|e| e.into_read_error(path, Some(line_no)))?;
            attr_of = vec![None; headers.len()];
            for (k, (pos, _, _)) in resolved.attrs.iter().enumerate() {
                attr_of[*pos] = Some(k);
            }
            cols = Some(resolved);
        }
        let c = cols.as_ref().expect("resolved above");
        let get = |i: usize| obj.get(&headers[i]).and_then(text).unwrap_or_default();
        let result = (|| -> Result<u32, crate::Bad> {
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
        })();
        let case_id = match result {
            Ok(case_id) => case_id,
            Err(message) => {
                b.bad_row(line_no, message)?;
                continue;
            }
        };
        for (key, value) in &obj {
            let Some(&pos) = header_at.get(key.as_str()) else {
                if let Some(v) = text(value) {
                    b.set_attr(key, &v)?;
                }
                continue;
            };
            if let Some((_, name, case_level)) = attr_of[pos].map(|k| &c.attrs[k]) {
                if let Some(v) = text(value).filter(|v| !v.is_empty()) {
                    if *case_level {
                        b.set_case_attr(case_id, name, &v)?;
                    } else {
                        b.set_attr(name, &v)?;
                    }
                }
            }
        }
    }
    if cols.is_none() {
        return Err(err(None, "the file holds no JSON object".into()));
    }
    let mut log = b.finish(opts.lifecycle);
    log.columns = cols.map(|c| c.describe(&headers));
    Ok(log)
}
