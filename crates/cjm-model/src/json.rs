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
    if let Some(format) = value.get("format").and_then(Value::as_str) {
        if format != FORMAT {
            return Err(Diagnostic::error(codes::BAD_JSON, find(text, format), format!("unsupported format `{format}`"))
                .with_label(format!("this cjm reads `{FORMAT}`"))
                .with_hint("upgrade cjm, or convert the map with the cjm version that wrote it"));
        }
    }
    normalise(&mut value);
    let journey: Journey = serde_json::from_value(value).map_err(|e| {
        Diagnostic::error(codes::BAD_JSON, Span::empty(0), format!("the JSON is not a cjm map: {e}"))
            .with_label("does not match the schema")
            .with_hint("compare with `cjm schema` or convert a .cjm map to see the expected shape")
    })?;
    let mut findings = validate(&journey);
    findings.extend(single_line_findings(&journey));
    Ok(FromJson { journey, findings })
}

fn json_error(text: &str, e: &serde_json::Error) -> Diagnostic {
    let offset = offset_of(text, e.line(), e.column());
    let message = e.to_string();
    let message = message.split(" at line").next().unwrap_or(&message).to_string();
    Diagnostic::error(codes::BAD_JSON, Span::new(offset, (offset + 1).min(text.len()).max(offset)), format!("invalid JSON: {message}"))
        .with_label("here")
        .with_hint("fix the JSON syntax; `cjm convert map.cjm --to json` shows a valid map")
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
    let indent = lines.iter().filter(|l| !l.is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let body: Vec<&str> = lines.iter().map(|l| if l.is_empty() { "" } else { &l[indent..] }).collect();
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
