//! Prints a [`Journey`] as canonical `.cjm` text. Reading the text back gives
//! the same model (the JSON ↔ cjm round trip rests on this).

use crate::ids::IdAllocator;
use crate::model::*;
use cjm_syntax::escape::{escape_name, escape_text, escape_value};
use cjm_syntax::NO_SCORE;
use std::fmt::Write;

/// The `.cjm` text of a map.
pub fn to_cjm(map: &Journey) -> String {
    let mut p = Printer { out: String::new() };
    p.line(0, "journey");
    if let Some(title) = &map.title {
        p.line(1, &format!("title {}", escape_text(title, &['#'])));
    }
    if let Some(t) = &map.acc_title {
        p.line(1, &format!("accTitle: {t}"));
    }
    if let Some(d) = &map.acc_descr {
        if d.contains('\n') {
            p.line(1, "accDescr {");
            for line in d.lines() {
                p.line(2, line);
            }
            p.line(1, "}");
        } else {
            p.line(1, &format!("accDescr: {}", d.trim()));
        }
    }
    p.prop(1, "description", map.description.as_deref());
    p.prop(1, "promise", map.promise.as_deref());
    if let Some(state) = map.state {
        p.line(1, &format!("state {}", state.as_str()));
    }
    if let Some(v) = &map.version {
        p.line(1, &format!("version {}", escape_text(v, &[':'])));
    }
    if let Some(d) = &map.date {
        p.line(1, &format!("date {}", escape_text(d, &[':'])));
    }
    if map.scale != Scale::default() {
        p.line(1, &format!("scale {}..{}", map.scale.min, map.scale.max));
    }
    for u in &map.uses {
        p.line(1, &use_line(u));
    }
    for persona in &map.personas {
        // A persona taken from a file is printed as its `use` line.
        let used = persona.source.as_ref().is_some_and(|s| map.uses.iter().any(|u| &u.path == s));
        if !used {
            p.persona(persona);
        }
    }
    for metric in &map.metrics {
        p.line(1, &format!("metric {}", metric_text(metric)));
        p.prop(2, "description", metric.description.as_deref());
        p.prop(2, "measure", metric.measure.as_ref().map(|k| k.to_string()).as_deref());
    }
    if let Some(d) = &map.data {
        p.blank();
        match &d.log {
            Some(log) => p.line(1, &format!("data {}", escape_text(log, &[':']))),
            None => p.line(1, "data"),
        }
        let single = [
            ("case", &d.case),
            ("time", &d.time),
            ("activity", &d.activity),
            ("channel", &d.channel),
            ("score", &d.score),
            ("tz", &d.tz),
            ("time-format", &d.time_format),
            ("encoding", &d.encoding),
            ("lifecycle", &d.lifecycle),
            ("window", &d.window),
            ("format", &d.format),
        ];
        for (key, value) in single {
            p.prop(2, key, value.as_deref());
        }
        p.props(2, "attr", &d.attrs);
    }
    // Derive ids exactly as lowering will, to print `id:` only where it differs.
    let mut stage_ids = IdAllocator::default();
    let mut step_ids = IdAllocator::default();
    let explicit_stages: Vec<bool> = map.stages.iter().map(|s| s.id != crate::ids::slug(&s.name)).collect();
    for (stage, explicit) in map.stages.iter().zip(&explicit_stages) {
        if *explicit {
            stage_ids.reserve(&stage.id);
        }
    }
    let derived_step_ids = derive_step_ids(map, &mut step_ids);
    for (s, stage) in map.stages.iter().enumerate() {
        let derived = if explicit_stages[s] { None } else { Some(stage_ids.derive(&stage.name, "stage")) };
        let steps_level = if stage.name.is_empty() && s == 0 {
            1
        } else {
            p.blank();
            p.line(1, &format!("section {}", escape_text(&stage.name, &['#', ':'])));
            if derived.as_deref() != Some(stage.id.as_str()) {
                p.line(2, &format!("id: {}", stage.id));
            }
            p.prop(2, "goal", stage.goal.as_deref());
            p.prop(2, "promise", stage.promise.as_deref());
            p.prop(2, "description", stage.description.as_deref());
            2
        };
        for (t, step) in stage.steps.iter().enumerate() {
            p.step(steps_level, step, derived_step_ids[s][t].as_deref());
        }
    }
    p.out
}

/// The ids lowering would derive for each step, given the explicit ones
/// (an id that differs from the step's slug must have been written out).
fn derive_step_ids(map: &Journey, ids: &mut IdAllocator) -> Vec<Vec<Option<String>>> {
    let mut explicit = Vec::new();
    for stage in &map.stages {
        explicit.push(stage.steps.iter().map(|step| step.id != crate::ids::slug(&step.name)).collect::<Vec<_>>());
    }
    for (stage, flags) in map.stages.iter().zip(&explicit) {
        for (step, is_explicit) in stage.steps.iter().zip(flags) {
            if *is_explicit {
                ids.reserve(&step.id);
            }
        }
    }
    map.stages
        .iter()
        .zip(&explicit)
        .map(|(stage, flags)| {
            stage
                .steps
                .iter()
                .zip(flags)
                .map(|(step, is_explicit)| (!is_explicit).then(|| ids.derive(&step.name, "step")))
                .collect()
        })
        .collect()
}

pub(crate) fn metric_text(m: &Metric) -> String {
    let mut attrs = Vec::new();
    if let Some(unit) = &m.unit {
        attrs.push(format!("unit {}", escape_attr(unit)));
    }
    if let Some(target) = m.target {
        attrs.push(format!("target {}", number(target)));
    }
    with_attrs(&escape_value(&m.name).replace(':', "\\:"), &attrs)
}

pub(crate) fn with_attrs(text: &str, attrs: &[String]) -> String {
    if attrs.is_empty() {
        text.to_string()
    } else {
        format!("{text} [{}]", attrs.join(", "))
    }
}

/// `use personas.cjm` or `use Sam, Dana from personas.cjm`.
fn use_line(u: &PersonaUse) -> String {
    let path = if u.path.contains(" from ") || u.path.starts_with('"') || u.path != u.path.trim() {
        format!("\"{}\"", u.path)
    } else {
        escape_text(&u.path, &[':'])
    };
    if u.personas.is_empty() {
        return format!("use {path}");
    }
    let names: Vec<String> = u.personas.iter().map(|n| escape_text(n, &[':', ','])).collect();
    format!("use {} from {path}", names.join(", "))
}

/// Attribute values end at `,` or `]`.
pub(crate) fn escape_attr(text: &str) -> String {
    escape_text(text, &[',', '[', ']'])
}

/// A score or target as short as it can be written and read back exactly.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

struct Printer {
    out: String,
}

impl Printer {
    fn line(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.out, "{}{}", "  ".repeat(level), text);
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `key: value`, or a `|` block when the value has several lines.
    fn prop(&mut self, level: usize, key: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if value.contains('\n') || value != value.trim() {
            self.line(level, &format!("{key}: |"));
            for line in value.lines() {
                if line.trim().is_empty() {
                    self.out.push('\n');
                } else {
                    self.line(level + 1, line);
                }
            }
        } else {
            self.line(level, &format!("{key}: {}", escape_value(value)));
        }
    }

    fn props<'a>(&mut self, level: usize, key: &str, values: impl IntoIterator<Item = &'a String>) {
        for v in values {
            self.prop(level, key, Some(v));
        }
    }

    fn persona(&mut self, persona: &Persona) {
        self.blank();
        self.line(1, &format!("persona {}", escape_text(&persona.name, &[':'])));
        self.prop(2, "description", persona.description.as_deref());
        self.props(2, "goal", &persona.goals);
        self.props(2, "need", &persona.needs);
        self.props(2, "pain", &persona.pains);
        if let Some(q) = &persona.quote {
            let quoted = format!("\"{q}\"");
            self.prop(2, "quote", Some(if q.contains('\n') { q } else { &quoted }));
        }
        self.prop(2, "segment", persona.segment.as_deref());
        self.prop(2, "image", persona.image.as_deref());
    }

    fn step(&mut self, level: usize, step: &Step, derived_id: Option<&str>) {
        let score = step.score.map_or(NO_SCORE.to_string(), number);
        let mut line = format!("{}: {score}", escape_name(&step.name));
        if !step.actors.is_empty() {
            let actors: Vec<String> = step.actors.iter().map(|a| escape_name(a)).collect();
            let _ = write!(line, ": {}", actors.join(", "));
        }
        self.line(level, &line);
        let inner = level + 1;
        if derived_id != Some(step.id.as_str()) {
            self.line(inner, &format!("id: {}", step.id));
        }
        for ps in &step.persona_scores {
            self.line(inner, &format!("score {}: {}", escape_name(&ps.persona), number(ps.score)));
        }
        if let Some(f) = step.future_score {
            self.line(inner, &format!("future score: {}", number(f)));
        }
        for ps in &step.future_persona_scores {
            self.line(inner, &format!("future score {}: {}", escape_name(&ps.persona), number(ps.score)));
        }
        if !step.channels.is_empty() {
            let channels: Vec<String> = step.channels.iter().map(|c| escape_value(c).replace(',', "\\,")).collect();
            self.line(inner, &format!("channel: {}", channels.join(", ")));
        }
        self.props(inner, "touchpoint", &step.touchpoints);
        self.prop(inner, "doing", step.doing.as_deref());
        self.prop(inner, "thinking", step.thinking.as_deref());
        self.prop(inner, "feeling", step.feeling.as_deref());
        for pain in &step.pains {
            let attrs: Vec<String> = pain.severity.iter().map(|s| format!("severity {s}")).collect();
            self.attr_line(inner, "pain", &pain.text, &attrs);
        }
        for o in &step.opportunities {
            let mut attrs = Vec::new();
            if let Some(l) = o.impact {
                attrs.push(format!("impact {}", l.as_str()));
            }
            if let Some(l) = o.effort {
                attrs.push(format!("effort {}", l.as_str()));
            }
            if let Some(s) = o.status {
                attrs.push(format!("status {}", s.as_str()));
            }
            if let Some(owner) = &o.owner {
                attrs.push(format!("owner {}", escape_attr(owner)));
            }
            self.attr_line(inner, "opportunity", &o.text, &attrs);
        }
        self.props(inner, "backstage", &step.backstage);
        self.props(inner, "system", &step.systems);
        self.prop(inner, "owner", step.owner.as_deref());
        self.props(inner, "note", &step.notes);
        for m in &step.metrics {
            self.line(inner, &format!("metric: {}", metric_text(m)));
        }
        if step.optional {
            self.line(inner, "optional: yes");
        }
        if let Some(rule) = &step.evidence {
            self.line(inner, &format!("evidence: {rule}"));
        }
    }

    fn attr_line(&mut self, level: usize, key: &str, text: &str, attrs: &[String]) {
        if !text.contains('\n') {
            self.line(level, &format!("{key}: {}", with_attrs(&escape_value(text), attrs)));
            return;
        }
        self.line(level, &with_attrs(&format!("{key}: |"), attrs));
        for line in text.lines() {
            if line.trim().is_empty() {
                self.out.push('\n');
            } else {
                self.line(level + 1, line);
            }
        }
    }
}
