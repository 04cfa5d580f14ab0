//! Checks on a map that do not depend on how it was written. The `.cjm`
//! lowering and the JSON reader both run them; each finding names a model
//! location ([`Loc`]) that the caller turns into a source span or a JSON path.

use crate::ids::is_valid_id;
use crate::model::*;
use cjm_syntax::codes;
use cjm_syntax::keys::did_you_mean;
use cjm_syntax::{Severity, Span};
use std::collections::{HashMap, HashSet};

/// A place in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    Persona(usize),
    Metric(usize),
    /// A journey metric's `measure:` formula.
    MetricMeasure(usize),
    Stage(usize),
    StageId(usize),
    Step(usize, usize),
    StepId(usize, usize),
    StepScore(usize, usize),
    StepFutureScore(usize, usize),
    Actor(usize, usize, usize),
    PersonaScore(usize, usize, usize),
    FuturePersonaScore(usize, usize, usize),
    StepMetric(usize, usize, usize),
    Pain(usize, usize, usize),
    Evidence(usize, usize),
}

impl Loc {
    /// The JSON path of the location, e.g. `stages[1].steps[0].actors[2]`.
    pub fn json_path(&self) -> String {
        let step = |s: usize, t: usize| format!("stages[{s}].steps[{t}]");
        match *self {
            Loc::Persona(i) => format!("personas[{i}]"),
            Loc::Metric(i) => format!("metrics[{i}]"),
            Loc::MetricMeasure(i) => format!("metrics[{i}].measure"),
            Loc::Stage(s) => format!("stages[{s}]"),
            Loc::StageId(s) => format!("stages[{s}].id"),
            Loc::Step(s, t) => step(s, t),
            Loc::StepId(s, t) => format!("{}.id", step(s, t)),
            Loc::StepScore(s, t) => format!("{}.score", step(s, t)),
            Loc::StepFutureScore(s, t) => format!("{}.future_score", step(s, t)),
            Loc::Actor(s, t, k) => format!("{}.actors[{k}]", step(s, t)),
            Loc::PersonaScore(s, t, k) => format!("{}.persona_scores[{k}]", step(s, t)),
            Loc::FuturePersonaScore(s, t, k) => format!("{}.future_persona_scores[{k}]", step(s, t)),
            Loc::StepMetric(s, t, k) => format!("{}.metrics[{k}]", step(s, t)),
            Loc::Pain(s, t, k) => format!("{}.pains[{k}]", step(s, t)),
            Loc::Evidence(s, t) => format!("{}.evidence", step(s, t)),
        }
    }
}

/// One problem with a map.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub loc: Loc,
    pub message: String,
    pub label: String,
    pub hint: Option<String>,
    /// A sub-span inside the located text (for evidence rule errors).
    pub inner: Option<Span>,
}

impl Finding {
    fn new(severity: Severity, code: &'static str, loc: Loc, message: String) -> Self {
        Finding { severity, code, loc, message, label: String::new(), hint: None, inner: None }
    }
    fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

pub fn validate(map: &Journey) -> Vec<Finding> {
    let mut out = Vec::new();
    check_personas(map, &mut out);
    check_metrics(&map.metrics, Loc::Metric, &mut out);
    check_measures(map, &mut out);
    check_ids(map, &mut out);
    check_stages(map, &mut out);
    let mut personas = Declared::new(map);
    for (s, stage) in map.stages.iter().enumerate() {
        for (t, step) in stage.steps.iter().enumerate() {
            check_step(map, &mut personas, s, t, step, &mut out);
        }
    }
    out
}

/// The declared personas, gathered once per map, and the hint for each
/// undeclared name, worked out once per name: checking a step costs a hash
/// lookup per persona it names, however many personas the map declares.
struct Declared<'a> {
    names: Vec<&'a str>,
    set: HashSet<&'a str>,
    hints: HashMap<&'a str, String>,
}

/// "Did you mean" is tried for this many different undeclared names; the
/// rest get the plain hint (each try compares with every declared name).
const SUGGEST_FOR: usize = 32;
/// Names shown in "use one of: …".
const LIST_AT_MOST: usize = 8;

impl<'a> Declared<'a> {
    fn new(map: &'a Journey) -> Self {
        let mut set = HashSet::new();
        let names = map.personas.iter().map(|p| p.name.as_str()).filter(|n| set.insert(*n)).collect();
        Declared { names, set, hints: HashMap::new() }
    }

    /// The hint for `name` when it is not declared; `None` when it is (or
    /// when the map declares no persona, so any name goes).
    fn hint_for(&mut self, name: &'a str) -> Option<&str> {
        if self.names.is_empty() || self.set.contains(name) {
            return None;
        }
        let suggest = self.hints.len() < SUGGEST_FOR;
        let names = &self.names;
        Some(self.hints.entry(name).or_insert_with(|| {
            match suggest.then(|| did_you_mean(name, names.iter().copied())).flatten() {
                Some(best) => format!("did you mean `{best}`?"),
                None => {
                    let mut list = names.iter().take(LIST_AT_MOST).copied().collect::<Vec<_>>().join(", ");
                    if names.len() > LIST_AT_MOST {
                        list.push_str(&format!(" and {} more", names.len() - LIST_AT_MOST));
                    }
                    format!("declare it with `persona {name}`, or use one of: {list}")
                }
            }
        }))
    }
}

fn check_personas(map: &Journey, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for (i, p) in map.personas.iter().enumerate() {
        if !seen.insert(p.name.as_str()) {
            out.push(
                Finding::new(
                    Severity::Error,
                    codes::DUPLICATE_PERSONA,
                    Loc::Persona(i),
                    format!("persona `{}` is declared twice", p.name),
                )
                .label("a second declaration")
                .hint("merge the two persona blocks or give this persona another name"),
            );
        }
    }
}

fn check_metrics(metrics: &[Metric], loc: impl Fn(usize) -> Loc, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for (i, m) in metrics.iter().enumerate() {
        if !seen.insert(m.name.as_str()) {
            out.push(
                Finding::new(
                    Severity::Error,
                    codes::DUPLICATE_METRIC,
                    loc(i),
                    format!("metric `{}` is declared twice here", m.name),
                )
                .label("a second declaration")
                .hint("keep one declaration; give it both the unit and the target"),
            );
        }
    }
}

/// Every step a metric's formula names is a step of the map, by id or name.
fn check_measures(map: &Journey, out: &mut Vec<Finding>) {
    if map.metrics.iter().all(|m| m.measure.is_none()) {
        return;
    }
    let steps: Vec<&crate::Step> = map.steps().collect();
    let known: HashSet<&str> = steps.iter().flat_map(|s| [s.id.as_str(), s.name.as_str()]).collect();
    let mut suggested = 0;
    for (i, m) in map.metrics.iter().enumerate() {
        let Some(k) = &m.measure else { continue };
        for name in k.steps() {
            if known.contains(name) {
                continue;
            }
            suggested += 1;
            let best = (suggested <= SUGGEST_FOR)
                .then(|| {
                    cjm_syntax::keys::did_you_mean(name, steps.iter().flat_map(|s| [s.id.as_str(), s.name.as_str()]))
                })
                .flatten();
            let hint = match best {
                Some(b) => format!("did you mean `{b}`?"),
                None => "name a step by its id, or by its name in double quotes".to_string(),
            };
            out.push(
                Finding::new(
                    Severity::Error,
                    codes::UNKNOWN_STEP,
                    Loc::MetricMeasure(i),
                    format!("metric `{}` measures step `{name}`, which the map does not have", m.name),
                )
                .label("no such step")
                .hint(hint),
            );
        }
    }
}

fn check_ids(map: &Journey, out: &mut Vec<Finding>) {
    let mut stage_ids: HashMap<&str, usize> = HashMap::new();
    let mut step_ids: HashMap<&str, (usize, usize)> = HashMap::new();
    for (s, stage) in map.stages.iter().enumerate() {
        check_id_form(&stage.id, Loc::StageId(s), out);
        if let Some(first) = stage_ids.insert(&stage.id, s) {
            out.push(duplicate_id("stage", &stage.id, Loc::StageId(s), &map.stages[first].name));
        }
        for (t, step) in stage.steps.iter().enumerate() {
            check_id_form(&step.id, Loc::StepId(s, t), out);
            if let Some((fs, ft)) = step_ids.insert(&step.id, (s, t)) {
                out.push(duplicate_id("step", &step.id, Loc::StepId(s, t), &map.stages[fs].steps[ft].name));
            }
        }
    }
}

fn check_id_form(id: &str, loc: Loc, out: &mut Vec<Finding>) {
    if !is_valid_id(id) {
        out.push(
            Finding::new(Severity::Error, codes::BAD_ID, loc, format!("`{id}` is not a valid id"))
                .label("expected lowercase letters, digits and single dashes")
                .hint("write e.g. `id: checkout-2`"),
        );
    }
}

fn duplicate_id(what: &str, id: &str, loc: Loc, first_name: &str) -> Finding {
    Finding::new(
        Severity::Error,
        codes::DUPLICATE_ID,
        loc,
        format!("{what} id `{id}` is already used by `{first_name}`"),
    )
    .label("ids must be unique in the map")
    .hint(format!("give this {what} another `id:`"))
}

fn check_stages(map: &Journey, out: &mut Vec<Finding>) {
    let mut names = HashSet::new();
    for (s, stage) in map.stages.iter().enumerate() {
        if !stage.name.is_empty() && !names.insert(stage.name.as_str()) {
            out.push(
                Finding::new(
                    Severity::Warning,
                    codes::DUPLICATE_SECTION,
                    Loc::Stage(s),
                    format!("section `{}` appears twice", stage.name),
                )
                .label("Mermaid draws two stages with the same name")
                .hint("merge the two sections, or rename one"),
            );
        }
        if stage.steps.is_empty() {
            out.push(
                Finding::new(
                    Severity::Warning,
                    codes::EMPTY_STAGE,
                    Loc::Stage(s),
                    format!("section `{}` has no steps", stage.name),
                )
                .label("an empty stage draws as an empty column")
                .hint("add a step (`Compare models: 3`) or remove the section"),
            );
        }
        let mut steps = HashSet::new();
        for (t, step) in stage.steps.iter().enumerate() {
            if !steps.insert(step.name.as_str()) {
                out.push(
                    Finding::new(
                        Severity::Warning,
                        codes::DUPLICATE_STEP,
                        Loc::Step(s, t),
                        format!("step `{}` appears twice in `{}`", step.name, stage.name),
                    )
                    .label("a repeated step")
                    .hint("rename one of them, or merge them if they are the same moment"),
                );
            }
        }
    }
}

fn check_step<'a>(
    map: &Journey,
    declared: &mut Declared<'a>,
    s: usize,
    t: usize,
    step: &'a Step,
    out: &mut Vec<Finding>,
) {
    let mut check_persona = |name: &'a str, loc: Loc, out: &mut Vec<Finding>| {
        let Some(hint) = declared.hint_for(name) else { return };
        out.push(
            Finding::new(
                Severity::Error,
                codes::UNDECLARED_PERSONA,
                loc,
                format!("`{name}` is not a declared persona"),
            )
            .label("a score for a persona the map does not declare")
            .hint(hint),
        );
    };
    for (k, actor) in step.actors.iter().enumerate() {
        check_persona(actor, Loc::Actor(s, t, k), out);
    }
    for (k, ps) in step.persona_scores.iter().enumerate() {
        check_persona(&ps.persona, Loc::PersonaScore(s, t, k), out);
        check_scale(map, ps.score, Loc::PersonaScore(s, t, k), out);
    }
    for (k, ps) in step.future_persona_scores.iter().enumerate() {
        check_persona(&ps.persona, Loc::FuturePersonaScore(s, t, k), out);
        check_scale(map, ps.score, Loc::FuturePersonaScore(s, t, k), out);
    }
    if let Some(score) = step.score {
        check_scale(map, score, Loc::StepScore(s, t), out);
    }
    if let Some(score) = step.future_score {
        check_scale(map, score, Loc::StepFutureScore(s, t), out);
    }
    check_metrics(&step.metrics, |k| Loc::StepMetric(s, t, k), out);
    for (k, pain) in step.pains.iter().enumerate() {
        if pain.severity.is_some_and(|n| !(1..=5).contains(&n)) {
            out.push(
                Finding::new(
                    Severity::Error,
                    codes::BAD_VALUE,
                    Loc::Pain(s, t, k),
                    format!("severity {} is outside 1..5", pain.severity.unwrap_or(0)),
                )
                .label("expected 1 (minor) to 5 (critical)")
                .hint("use a severity from 1 to 5"),
            );
        }
    }
    if let Some(rule) = &step.evidence {
        if let Err(d) = cjm_syntax::evidence::parse(rule, 0) {
            let mut f = Finding::new(Severity::Error, d.code, Loc::Evidence(s, t), d.message).label(d.label);
            f.hint = d.hint;
            f.inner = Some(d.span);
            out.push(f);
        }
    }
}

fn check_scale(map: &Journey, score: f64, loc: Loc, out: &mut Vec<Finding>) {
    if !map.scale.contains(score) {
        out.push(
            Finding::new(
                Severity::Warning,
                codes::SCORE_OUT_OF_SCALE,
                loc,
                format!("score {score} is outside the scale {}..{}", map.scale.min, map.scale.max),
            )
            .label(format!("expected a score from {} to {}", map.scale.min, map.scale.max))
            .hint("change the score, or widen the scale with e.g. `scale 1..7`"),
        );
    }
}
