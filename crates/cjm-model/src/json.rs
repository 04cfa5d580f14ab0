//! The JSON form of a map: writing, reading with clear errors, and the JSON
//! Schema that describes it.

use crate::model::{Journey, FORMAT};
use crate::validate::{validate, Finding};
use cjm_syntax::{codes, Diagnostic, Span};
use serde_json::Value;

/// Pretty JSON with a final newline.
pub fn to_json(map: &Journey) -> String {
    let mut text = serde_json::to_string_pretty(map).expect("a journey always serialises");
    text.push('\n');
    text
}

/// The JSON Schema (draft 2020-12) of a map.
pub fn schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Journey)).expect("a schema always serialises");
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$id".into(), Value::String("cjm-map-1.schema.json".into()));
        obj.insert(
            "description".into(),
            Value::String("A customer journey map in cjm's JSON form (format cjm/1).".into()),
        );
    }
    schema
}

/// A map read from JSON, with what its checks found.
pub struct FromJson {
    pub journey: Journey,
    /// Findings of [`validate`], located by JSON path.
    pub findings: Vec<Finding>,
}

/// Reads a JSON map. Text is normalised as the `.cjm` reader does (trimmed;
/// multi-line text dedented, without trailing spaces or blank edge lines), so
/// that a map says the same in both forms. A syntax or schema error is a
/// diagnostic pointing at the JSON text.
pub fn from_json(text: &str) -> Result<FromJson, Diagnostic> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    if !value.is_object() {
        return Err(Diagnostic::error(
            codes::BAD_JSON,
            Span::empty(0),
            "the JSON is not a cjm map: a map is an object",
        )
        .with_label("expected `{`")
        .with_hint(
            "a map starts with `{\"format\": \"cjm/1\", \"title\": …`; compare with a .cjm map converted to JSON",
        ));
    }
    // Before the schema: a map of a later format may have fields this one
    // does not know. (A map is an object, so its format is this key.)
    if let Some(format) = value.get("format").and_then(Value::as_str) {
        if format != FORMAT {
            return Err(Diagnostic::error(
                codes::BAD_JSON,
                find(text, format),
                format!("unsupported format `{format}`"),
            )
            .with_label(format!("this cjm reads `{FORMAT}`"))
            .with_hint("upgrade cjm, or convert the map with the cjm version that wrote it"));
        }
    }
    normalise(&mut value);
    let journey: Journey = serde_json::from_value(value).map_err(|e| {
        Diagnostic::error(codes::BAD_JSON, Span::empty(0), format!("the JSON is not a cjm map: {e}"))
            .with_label("does not match the schema")
            .with_hint("compare with the map's JSON Schema, or with a .cjm map converted to JSON")
    })?;
    let mut findings = validate(&journey);
    findings.extend(single_line_findings(&journey));
    Ok(FromJson { journey, findings })
}

fn json_error(text: &str, e: &serde_json::Error) -> Diagnostic {
    let offset = offset_of(text, e.line(), e.column());
    let message = e.to_string();
    let message = message.split(" at line").next().unwrap_or(&message).to_string();
    Diagnostic::error(
        codes::BAD_JSON,
        Span::new(offset, (offset + 1).min(text.len()).max(offset)),
        format!("invalid JSON: {message}"),
    )
    .with_label("here")
    .with_hint("fix the JSON syntax; a .cjm map converted to JSON shows a valid one")
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let rest = &text[line_start.min(text.len())..];
    let col = rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i);
    (line_start + col).min(text.len())
}

fn find(text: &str, needle: &str) -> Span {
    text.find(needle).map_or(Span::empty(0), |i| Span::new(i, i + needle.len()))
}

fn normalise(value: &mut Value) {
    match value {
        Value::String(s) => *s = normalise_text(s),
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => map.values_mut().for_each(normalise),
        _ => {}
    }
}

/// One-line text is trimmed; multi-line text loses trailing spaces, blank
/// first and last lines and its common indentation.
pub fn normalise_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    if !text.trim().contains('\n') {
        return text.trim().to_string();
    }
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    // Counted in characters: leading white space may be multi-byte (found by fuzzing).
    let lead = |l: &str| l.chars().take_while(|c| c.is_whitespace()).count();
    let indent = lines.iter().filter(|l| !l.is_empty()).map(|l| lead(l)).min().unwrap_or(0);
    let cut = |l: &str| l.char_indices().nth(indent).map_or(l.len(), |(i, _)| i);
    let body: Vec<&str> = lines.iter().map(|l| if l.is_empty() { "" } else { &l[cut(l)..] }).collect();
    body.join("\n").trim_matches('\n').to_string()
}

/// Names cannot span lines in `.cjm` text, so a JSON map must not hold such.
fn single_line_findings(map: &Journey) -> Vec<Finding> {
    use crate::validate::Loc;
    let mut out = Vec::new();
    let mut check = |text: &str, loc: Loc, what: &str| {
        if text.contains('\n') {
            out.push(Finding {
                severity: cjm_syntax::Severity::Error,
                code: codes::BAD_VALUE,
                loc,
                message: format!("the {what} `{}` spans several lines", text.lines().next().unwrap_or("")),
                label: "names are one line".into(),
                hint: Some("put the longer text in a description".into()),
                inner: None,
            });
        }
    };
    for (i, p) in map.personas.iter().enumerate() {
        check(&p.name, Loc::Persona(i), "persona name");
    }
    for (i, m) in map.metrics.iter().enumerate() {
        check(&m.name, Loc::Metric(i), "metric name");
    }
    for (s, stage) in map.stages.iter().enumerate() {
        check(&stage.name, Loc::Stage(s), "section name");
        for (t, step) in stage.steps.iter().enumerate() {
            check(&step.name, Loc::Step(s, t), "step name");
            for (k, a) in step.actors.iter().enumerate() {
                check(a, Loc::Actor(s, t, k), "actor");
            }
            for c in &step.channels {
                check(c, Loc::Step(s, t), "channel");
            }
            if let Some(rule) = &step.evidence {
                check(rule, Loc::Evidence(s, t), "evidence rule");
            }
        }
    }
    for (s, stage) in map.stages.iter().enumerate() {
        for (t, step) in stage.steps.iter().enumerate() {
            if step.name.is_empty() {
                out.push(Finding {
                    severity: cjm_syntax::Severity::Error,
                    code: codes::EMPTY_NAME,
                    loc: Loc::Step(s, t),
                    message: "a step has an empty name".into(),
                    label: "every step needs a name".into(),
                    hint: None,
                    inner: None,
                });
            }
            let lower = step.name.to_lowercase();
            let reserved = ["title ", "title\t", "section ", "section\t", "acctitle", "accdescr"];
            if reserved.iter().any(|r| lower.starts_with(r)) {
                out.push(Finding {
                    severity: cjm_syntax::Severity::Error,
                    code: codes::BAD_VALUE,
                    loc: Loc::Step(s, t),
                    message: format!("the step name `{}` starts with a Mermaid keyword", step.name),
                    label: "a `.cjm` or Mermaid file would read this line as that keyword".into(),
                    hint: Some("reword the name, e.g. `Choose a title` instead of `Title choice`".into()),
                    inner: None,
                });
            }
        }
    }
    out
}

/// The span of the value at a path such as `stages[1].steps[0].actors[2]`
/// in a JSON text, so that JSON diagnostics point at a line and column.
/// Walks only along the path; skipped values are scanned without recursion.
pub fn locate(text: &str, path: &str) -> Option<Span> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let (index, tail) = rest.split_once(']')?;
            segments.push(Segment::Index(index.parse().ok()?));
            rest = tail.strip_prefix('[').unwrap_or(tail);
        }
    }
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    for segment in &segments {
        at = match segment {
            Segment::Key(key) => find_member(text, at, key)?,
            Segment::Index(i) => find_element(bytes, at, *i)?,
        };
    }
    let end = skip_value(bytes, at)?;
    Some(Span::new(at, end))
}

enum Segment {
    Key(String),
    Index(usize),
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// End of the string starting at `at` (which holds `"`).
fn skip_string(bytes: &[u8], mut at: usize) -> Option<usize> {
    at += 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// End of the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = at;
            while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b']') && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Some(i)
        }
    }
}

fn find_member(text: &str, at: usize, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    while i < bytes.len() && bytes[i] == b'"' {
        let key_end = skip_string(bytes, i)?;
        let name: String = serde_json::from_str(&text[i..key_end]).ok()?;
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let value = skip_ws(bytes, i + 1);
        if name == key {
            return Some(value);
        }
        i = skip_ws(bytes, skip_value(bytes, value)?);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    None
}

fn find_element(bytes: &[u8], at: usize, index: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    for _ in 0..index {
        i = skip_ws(bytes, skip_value(bytes, i)?);
        if bytes.get(i) != Some(&b',') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
    }
    (i < bytes.len() && bytes[i] != b']').then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_paths() {
        let text = r#"{"a": 1, "stages": [ {"steps": [{"x": "]"}, {"actors": ["p", "q"]}]} ]}"#;
        let span = locate(text, "stages[0].steps[1].actors[1]").unwrap();
        assert_eq!(&text[span.start..span.end], "\"q\"");
        assert!(locate(text, "stages[3]").is_none());
        assert!(locate("[", "a").is_none());
    }

    #[test]
    fn normalises_text() {
        assert_eq!(normalise_text("  a  "), "a");
        assert_eq!(normalise_text("\n   first\n     second  \n\n   third\n"), "first\n  second\n\nthird");
    }
}
