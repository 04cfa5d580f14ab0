//! Lowering: from the line tree of a `.cjm` file to a [`Journey`], with every
//! problem reported as a diagnostic pointing into the source.

use crate::ids::{is_valid_id, IdAllocator};
use crate::model::*;
use crate::uses::{self, Resolve, UseLine};
use crate::validate::{validate, Loc};
use cjm_syntax::codes;
use cjm_syntax::escape::{split_unescaped, unescape};
use cjm_syntax::keys::{self, did_you_mean};
use cjm_syntax::number::js_number;
use cjm_syntax::tree::{Attrs, Keyword, Node, NodeKind, Property, Task, Text};
use cjm_syntax::{Diagnostic, Parse, Span, NO_SCORE};
use std::collections::{HashMap, HashSet};

/// A map read from text, with everything wrong with it (parse and check).
#[derive(Clone, Debug)]
pub struct Lowered {
    pub journey: Journey,
    /// Sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowered {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and lowers a `.cjm` or Mermaid journey text read on its own: a
/// `use` line is an error ([`check_with`] reads the files it names).
pub fn check(source: &str) -> Lowered {
    lower_owned(source, cjm_syntax::parse(source), &uses::no_files)
}

/// [`check`], reading the files `use` lines name with `resolve`.
pub fn check_with(source: &str, resolve: Resolve) -> Lowered {
    lower_owned(source, cjm_syntax::parse(source), resolve)
}

/// Lowers a parse. The result holds the parse's diagnostics too.
pub fn lower(source: &str, parse: &Parse, resolve: Resolve) -> Lowered {
    lower_owned(source, parse.clone(), resolve)
}

/// Lowers a parse it owns, moving its text into the model (no copies).
pub fn lower_owned(source: &str, parse: Parse, resolve: Resolve) -> Lowered {
    let mut l = Lowering::new(source, parse.document.nodes.len());
    for (index, node) in parse.document.nodes.into_iter().enumerate() {
        l.node(index, node);
    }
    l.resolve_uses(resolve);
    l.assign_ids();
    l.run_validation();
    let mut diagnostics = parse.diagnostics;
    diagnostics.append(&mut l.diags);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Lowered { journey: l.map, diagnostics }
}

/// What a tree node became in the model.
#[derive(Clone, Copy)]
enum Target {
    Persona(usize),
    Metric(usize),
    Data,
    Stage(usize),
    Step(usize, usize),
}

/// Where each part of the model came from, for pointing diagnostics at it.
/// Plain vectors indexed like the model: lowering is a hot path.
#[derive(Default)]
struct Spans {
    personas: Vec<Span>,
    metrics: Vec<Span>,
    /// Each metric's `measure:` value (the metric's own span when it has none).
    measures: Vec<Span>,
    stages: Vec<StageSpans>,
}

#[derive(Default)]
struct StageSpans {
    name: Span,
    id: Option<Span>,
    steps: Vec<StepSpans>,
}

#[derive(Default)]
struct StepSpans {
    name: Span,
    id: Option<Span>,
    score: Span,
    future_score: Span,
    actors: Vec<Span>,
    persona_scores: Vec<Span>,
    future_persona_scores: Vec<Span>,
    metrics: Vec<Span>,
    pains: Vec<Span>,
    evidence: Span,
}

impl Spans {
    fn of(&self, loc: Loc) -> Option<Span> {
        let step = |s: usize, t: usize| self.stages.get(s).and_then(|st| st.steps.get(t));
        match loc {
            Loc::Persona(i) => self.personas.get(i).copied(),
            Loc::Metric(i) => self.metrics.get(i).copied(),
            Loc::MetricMeasure(i) => self.measures.get(i).copied(),
            Loc::Stage(s) => self.stages.get(s).map(|st| st.name),
            Loc::StageId(s) => self.stages.get(s).map(|st| st.id.unwrap_or(st.name)),
            Loc::Step(s, t) => step(s, t).map(|x| x.name),
            Loc::StepId(s, t) => step(s, t).map(|x| x.id.unwrap_or(x.name)),
            Loc::StepScore(s, t) => step(s, t).map(|x| x.score),
            Loc::StepFutureScore(s, t) => step(s, t).map(|x| x.future_score),
            Loc::Actor(s, t, k) => step(s, t).and_then(|x| x.actors.get(k).copied()),
            Loc::PersonaScore(s, t, k) => step(s, t).and_then(|x| x.persona_scores.get(k).copied()),
            Loc::FuturePersonaScore(s, t, k) => step(s, t).and_then(|x| x.future_persona_scores.get(k).copied()),
            Loc::StepMetric(s, t, k) => step(s, t).and_then(|x| x.metrics.get(k).copied()),
            Loc::Pain(s, t, k) => step(s, t).and_then(|x| x.pains.get(k).copied()),
            Loc::Evidence(s, t) => step(s, t).map(|x| x.evidence),
        }
    }

    fn step(&mut self, s: usize, t: usize) -> &mut StepSpans {
        &mut self.stages[s].steps[t]
    }
}

struct Lowering<'s> {
    src: &'s str,
    map: Journey,
    diags: Vec<Diagnostic>,
    /// What each tree node became, by node index.
    targets: Vec<Option<Target>>,
    spans: Spans,
    /// Explicit `id:` values, by target.
    stage_ids: HashMap<usize, String>,
    step_ids: HashMap<(usize, usize), String>,
    /// Single-valued keys already given to the current owner (an owner's
    /// properties always follow it directly).
    given_owner: Option<Option<usize>>,
    given: HashSet<(&'static str, Option<String>)>,
    /// Single-valued keywords already given, with the line of the first.
    keywords_given: HashMap<Keyword, usize>,
    /// Built at the first keyword, so a line costs a lookup, not a scan.
    lines: Option<cjm_syntax::diag::LineIndex<'s>>,
    title_set_by_statement: bool,
    /// `use` lines, with the persona index their personas go before.
    uses: Vec<(UseLine, usize)>,
}

impl<'s> Lowering<'s> {
    fn new(src: &'s str, nodes: usize) -> Self {
        Lowering {
            src,
            map: Journey::default(),
            diags: Vec::new(),
            targets: vec![None; nodes],
            spans: Spans::default(),
            stage_ids: HashMap::new(),
            step_ids: HashMap::new(),
            given_owner: None,
            given: HashSet::new(),
            keywords_given: HashMap::new(),
            lines: None,
            title_set_by_statement: false,
            uses: Vec::new(),
        }
    }

    fn raw(&self, span: Span) -> &'s str {
        &self.src[span.start..span.end]
    }

    fn node(&mut self, index: usize, node: Node) {
        match node.kind {
            NodeKind::FrontMatter { title: Some(t) } if !self.title_set_by_statement => {
                self.map.title = Some(t.value);
            }
            NodeKind::Title(t) => {
                self.map.title = Some(t.value);
                self.title_set_by_statement = true;
            }
            NodeKind::AccTitle(t) => self.map.acc_title = Some(t.value),
            NodeKind::AccDescr { text, .. } => self.map.acc_descr = Some(text.value),
            NodeKind::Keyword { keyword, arg, attrs } => self.keyword(index, node.span, keyword, arg, attrs),
            NodeKind::Section(name) => {
                self.map.stages.push(Stage { name: name.value, ..Stage::default() });
                let s = self.map.stages.len() - 1;
                self.targets[index] = Some(Target::Stage(s));
                self.spans.stages.push(StageSpans { name: name.span, ..StageSpans::default() });
            }
            NodeKind::Task(task) => self.task(index, task),
            NodeKind::Property(p) => self.property(node.owner, p),
            _ => {}
        }
    }

    fn keyword(&mut self, index: usize, span: Span, keyword: Keyword, arg: Text, attrs: Option<Attrs>) {
        if !keyword.repeats() {
            let src = self.src;
            let (line, _) =
                self.lines.get_or_insert_with(|| cjm_syntax::diag::LineIndex::new(src)).line_col(span.start);
            if let Some(&line) = self.keywords_given.get(&keyword) {
                self.diags.push(
                    Diagnostic::error(codes::DUPLICATE_KEY, span, format!("`{}` is given twice", keyword.as_str()))
                        .with_label(format!("already given on line {line}"))
                        .with_hint("keep one of the two lines"),
                );
                return;
            }
            self.keywords_given.insert(keyword, line);
        }
        match keyword {
            Keyword::State => self.map.state = self.state(&arg),
            Keyword::Scale => {
                if let Some(scale) = self.scale(&arg) {
                    self.map.scale = scale;
                }
            }
            Keyword::Version => self.map.version = Some(arg.value),
            Keyword::Date => self.map.date = Some(arg.value),
            Keyword::Persona => {
                let span = arg.span;
                self.map.personas.push(Persona { name: arg.value, ..Persona::default() });
                let i = self.map.personas.len() - 1;
                self.targets[index] = Some(Target::Persona(i));
                self.spans.personas.push(span);
            }
            Keyword::Use => match uses::read_line(self.src, &arg) {
                Ok(line) => {
                    self.map.uses.push(PersonaUse {
                        path: line.path.clone(),
                        personas: line.names.iter().map(|n| n.value.clone()).collect(),
                    });
                    self.uses.push((line, self.map.personas.len()));
                }
                Err(d) => self.diags.push(d),
            },
            Keyword::Data => {
                if self.map.data.is_some() {
                    self.diags.push(
                        Diagnostic::error(codes::DUPLICATE_KEY, span, "a second `data` block")
                            .with_label("a map has one data source")
                            .with_hint("merge the two blocks"),
                    );
                    return;
                }
                let log = (!arg.value.is_empty()).then_some(arg.value);
                self.map.data = Some(DataSource { log, ..DataSource::default() });
                self.targets[index] = Some(Target::Data);
            }
            Keyword::Metric => {
                let span = arg.span;
                let metric = self.metric(arg, attrs);
                self.map.metrics.push(metric);
                let i = self.map.metrics.len() - 1;
                self.targets[index] = Some(Target::Metric(i));
                self.spans.metrics.push(span);
                self.spans.measures.push(span);
            }
        }
    }

    fn state(&mut self, arg: &Text) -> Option<MapState> {
        match arg.value.to_lowercase().as_str() {
            "current" | "as-is" => Some(MapState::Current),
            "future" | "to-be" => Some(MapState::Future),
            other => {
                let hint = match did_you_mean(other, ["current", "future"]) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => {
                        "write `state current` for the journey as it is, `state future` for the one you plan".into()
                    }
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        arg.span,
                        format!("expected `current` or `future`, found `{}`", arg.value),
                    )
                    .with_label("not a map state")
                    .with_hint(hint),
                );
                None
            }
        }
    }

    fn scale(&mut self, arg: &Text) -> Option<Scale> {
        let parsed = arg.value.split_once("..").and_then(|(a, b)| {
            let min = a.trim().parse::<i32>().ok()?;
            let max = b.trim().parse::<i32>().ok()?;
            Some(Scale { min, max })
        });
        match parsed {
            Some(scale) if scale.min < scale.max && scale.max - scale.min <= 100 => Some(scale),
            Some(scale) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        arg.span,
                        format!("the scale {}..{} is empty or too wide", scale.min, scale.max),
                    )
                    .with_label("expected the lowest score, `..`, then a higher one, at most 100 apart")
                    .with_hint("write e.g. `scale 1..5` or `scale -2..2`"),
                );
                None
            }
            None => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        arg.span,
                        format!("expected a range of whole numbers such as `1..5`, found `{}`", arg.value),
                    )
                    .with_label("not a scale")
                    .with_hint("write e.g. `scale 1..5` (Mermaid's) or `scale 1..7`"),
                );
                None
            }
        }
    }

    fn current_stage(&mut self, task_span: Span) -> usize {
        if self.map.stages.is_empty() {
            // Steps before the first section form an unnamed stage, as in Mermaid.
            self.map.stages.push(Stage::default());
            self.spans.stages.push(StageSpans { name: task_span, ..StageSpans::default() });
        }
        self.map.stages.len() - 1
    }

    fn task(&mut self, index: usize, task: Task) {
        let s = self.current_stage(task.name.span);
        let score = self.step_score(&task);
        let actor_spans = task.actors.iter().map(|a| a.span).collect();
        let (name_span, score_span) = (task.name.span, task.score.span);
        let step = Step {
            name: task.name.value,
            score,
            actors: task.actors.into_iter().map(|a| a.value).collect(),
            ..Step::default()
        };
        let stage = &mut self.map.stages[s];
        stage.steps.push(step);
        let t = stage.steps.len() - 1;
        self.targets[index] = Some(Target::Step(s, t));
        self.spans.stages[s].steps.push(StepSpans {
            name: name_span,
            score: score_span,
            actors: actor_spans,
            ..StepSpans::default()
        });
    }

    fn step_score(&mut self, task: &Task) -> Option<f64> {
        let raw = self.raw(task.score.span);
        if raw == NO_SCORE {
            return None;
        }
        match js_number(raw) {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                let mut d = Diagnostic::warning(
                    codes::SCORE_NOT_NUMBER,
                    task.score.span,
                    format!("the score `{raw}` is not a number"),
                )
                .with_label("Mermaid reads this as NaN; cjm treats the step as having no score");
                let name = task.name.value.as_str();
                d = if ["title", "section"].contains(&name.to_lowercase().as_str()) {
                    d.with_hint(format!("did you mean `{name} {raw}` (without the colon)?"))
                } else if let Some(key) =
                    did_you_mean(name, keys::Context::Step.keys().iter().chain(keys::Context::Stage.keys()).copied())
                {
                    d.with_hint(format!("if this is a property, indent it under its step and write `{key}:`"))
                } else {
                    d.with_hint("write a number from the map's scale, or `-` for a step with no score")
                };
                self.diags.push(d);
                None
            }
        }
    }

    fn property(&mut self, owner: Option<usize>, p: Property) {
        let key = p.key.name;
        let target = owner.and_then(|o| self.targets[o]);
        let context = match target {
            None if owner.is_none() => keys::Context::Journey,
            None => return, // owner failed to lower; its error is already reported
            Some(Target::Persona(_)) => keys::Context::Persona,
            Some(Target::Metric(_)) => keys::Context::Metric,
            Some(Target::Data) => keys::Context::Data,
            Some(Target::Stage(_)) => keys::Context::Stage,
            Some(Target::Step(..)) => keys::Context::Step,
        };
        if self.given_owner != Some(owner) {
            self.given_owner = Some(owner);
            self.given.clear();
        }
        if keys::single_valued(context, key) || keys::takes_qualifier(key) {
            let slot = (key, p.qualifier.as_ref().map(|q| q.value.clone()));
            if self.given.contains(&slot) {
                let slot = match &slot.1 {
                    Some(q) => format!("{key} {q}"),
                    None => key.to_string(),
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_KEY,
                        p.key.span.cover(p.value.span),
                        format!("`{slot}` is given twice for {}", context.describe()),
                    )
                    .with_label("a second value")
                    .with_hint("keep one line; for longer text use a `|` block"),
                );
                return;
            }
            self.given.insert(slot);
        }
        if let Some(Target::Step(s, t)) = target {
            return self.step_property(s, t, p);
        }
        let text = p.value.value;
        match target {
            None if key == "promise" => self.map.promise = Some(text),
            None => self.map.description = Some(text),
            Some(Target::Persona(i)) => {
                let persona = &mut self.map.personas[i];
                match key {
                    "description" => persona.description = Some(text),
                    "goal" => persona.goals.push(text),
                    "need" => persona.needs.push(text),
                    "pain" => persona.pains.push(text),
                    "quote" => persona.quote = Some(strip_quotes(&text)),
                    "segment" => persona.segment = Some(text),
                    "image" => persona.image = Some(text),
                    _ => unreachable_key(key),
                }
            }
            Some(Target::Metric(i)) if key == "measure" => self.measure(i, text, p.value.span),
            Some(Target::Metric(i)) => self.map.metrics[i].description = Some(text),
            Some(Target::Data) => self.data_property(key, text, p.value.span),
            Some(Target::Stage(s)) => match key {
                "id" => self.explicit_id(Text { value: text, span: p.value.span }, IdTarget::Stage(s)),
                "goal" => self.map.stages[s].goal = Some(text),
                "promise" => self.map.stages[s].promise = Some(text),
                "description" => self.map.stages[s].description = Some(text),
                _ => unreachable_key(key),
            },
            Some(Target::Step(..)) => unreachable!("handled above"),
        }
    }

    /// A metric's formula; a diagnostic at the word that does not read.
    fn measure(&mut self, i: usize, text: String, span: Span) {
        self.spans.measures[i] = span;
        match crate::kpi::Kpi::parse(&text) {
            Ok(k) => self.map.metrics[i].measure = Some(k),
            Err(e) => {
                let start = span.start + e.at.start.min(text.len());
                let end = (span.start + e.at.end.min(text.len())).max(start);
                let at = if end > start { Span::new(start, end) } else { span };
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, at, e.message)
                        .with_label("here")
                        .with_hint(format!("write e.g. `measure: {}`", crate::kpi::FORMS[0])),
                );
            }
        }
    }

    fn data_property(&mut self, key: &str, text: String, span: Span) {
        if let Some(choices) = data_choices(key) {
            if !choices.contains(&text.as_str()) {
                let hint = match did_you_mean(&text, choices.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("write one of: {}", choices.join(", ")),
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        span,
                        format!("`{key}` takes {}, not `{text}`", choices.join(", ")),
                    )
                    .with_label("not a known value")
                    .with_hint(hint),
                );
                return;
            }
        }
        if key == "tz" && !is_offset(&text) {
            self.diags.push(
                Diagnostic::error(codes::BAD_VALUE, span, format!("`tz` takes an offset such as +02:00, not `{text}`"))
                    .with_label("not an offset from UTC")
                    .with_hint("write e.g. `tz: +01:00` or `tz: UTC`"),
            );
            return;
        }
        if key == "window" && crate::kpi::parse_duration(&text).is_none() {
            self.diags.push(
                Diagnostic::error(codes::BAD_VALUE, span, format!("`window` takes a duration, not `{text}`"))
                    .with_label("not a duration")
                    .with_hint("write e.g. `window: 30m`, `2h`, `7d` or `4w`"),
            );
            return;
        }
        let Some(d) = self.map.data.as_mut() else { return };
        match key {
            "case" => d.case = Some(text),
            "time" => d.time = Some(text),
            "activity" => d.activity = Some(text),
            "channel" => d.channel = Some(text),
            "score" => d.score = Some(text),
            "attr" => d.attrs.push(text),
            "tz" => d.tz = Some(text),
            "time-format" => d.time_format = Some(text),
            "encoding" => d.encoding = Some(text),
            "lifecycle" => d.lifecycle = Some(text),
            "format" => d.format = Some(text),
            "window" => d.window = Some(text),
            _ => unreachable_key(key),
        }
    }

    fn step_property(&mut self, s: usize, t: usize, p: Property) {
        let key = p.key.name;
        let value_span = p.value.span;
        match key {
            "id" => return self.explicit_id(p.value, IdTarget::Step(s, t)),
            "score" | "future score" => return self.persona_score(s, t, p),
            "pain" => {
                let pain = self.pain(p);
                self.map.stages[s].steps[t].pains.push(pain);
                self.spans.step(s, t).pains.push(value_span);
                return;
            }
            "opportunity" => {
                let opportunity = self.opportunity(p);
                self.map.stages[s].steps[t].opportunities.push(opportunity);
                return;
            }
            "metric" => {
                let metric = self.metric(p.value, p.attrs);
                self.map.stages[s].steps[t].metrics.push(metric);
                self.spans.step(s, t).metrics.push(value_span);
                return;
            }
            "evidence" => self.spans.step(s, t).evidence = value_span,
            "optional" => return self.optional(s, t, p),
            _ => {}
        }
        let channels = (key == "channel").then(|| self.list(&p.value));
        let text = p.value.value;
        let step = &mut self.map.stages[s].steps[t];
        match key {
            "channel" => step.channels.extend(channels.unwrap_or_default()),
            "touchpoint" => step.touchpoints.push(text),
            "doing" => step.doing = Some(text),
            "thinking" => step.thinking = Some(text),
            "feeling" => step.feeling = Some(text),
            "backstage" => step.backstage.push(text),
            "system" => step.systems.push(text),
            "owner" => step.owner = Some(text),
            "note" => step.notes.push(text),
            "evidence" => step.evidence = Some(text),
            _ => unreachable_key(key),
        }
    }

    /// `optional: yes` (or `no`): a step some customers skip.
    fn optional(&mut self, s: usize, t: usize, p: Property) {
        let flag = match p.value.value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => true,
            "no" | "false" => false,
            other => {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, p.value.span, format!("expected yes or no, found `{other}`"))
                        .with_label("not yes or no")
                        .with_hint("write `optional: yes` for a step some customers skip"),
                );
                return;
            }
        };
        self.map.stages[s].steps[t].optional = flag;
    }

    /// A comma-separated value, each item unescaped and trimmed.
    fn list(&self, value: &Text) -> Vec<String> {
        let raw = self.raw(value.span);
        split_unescaped(raw, b',').into_iter().map(|r| unescape(raw[r].trim())).filter(|s| !s.is_empty()).collect()
    }

    fn persona_score(&mut self, s: usize, t: usize, p: Property) {
        let future = p.key.name == "future score";
        let score = match js_number(&p.value.value) {
            Some(v) if v.is_finite() && !p.value.value.trim().is_empty() => v,
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        p.value.span,
                        format!("expected a score, found `{}`", p.value.value),
                    )
                    .with_label("not a number")
                    .with_hint(format!("write a number from the scale {}..{}", self.map.scale.min, self.map.scale.max)),
                );
                return;
            }
        };
        let step = &mut self.map.stages[s].steps[t];
        match (p.qualifier, future) {
            (None, true) => {
                step.future_score = Some(score);
                self.spans.step(s, t).future_score = p.value.span;
            }
            (None, false) => {
                self.diags.push(
                    Diagnostic::error(codes::MISSING_VALUE, p.key.span, "`score:` needs the persona it is for")
                        .with_label("the step's own score goes on the step line")
                        .with_hint(format!(
                            "write `score Sam: {}` for one persona, or change the step line's score",
                            p.value.value
                        )),
                );
            }
            (Some(q), false) => {
                step.persona_scores.push(PersonaScore { persona: q.value, score });
                self.spans.step(s, t).persona_scores.push(q.span);
            }
            (Some(q), true) => {
                step.future_persona_scores.push(PersonaScore { persona: q.value, score });
                self.spans.step(s, t).future_persona_scores.push(q.span);
            }
        }
    }

    fn explicit_id(&mut self, value: Text, target: IdTarget) {
        let id = value.value;
        if !is_valid_id(&id) {
            self.diags.push(
                Diagnostic::error(codes::BAD_ID, value.span, format!("`{id}` is not a valid id"))
                    .with_label("expected lowercase letters, digits and single dashes")
                    .with_hint(format!("write e.g. `id: {}`", crate::ids::slug(&id))),
            );
            return;
        }
        match target {
            IdTarget::Stage(s) => {
                self.stage_ids.insert(s, id);
                self.spans.stages[s].id = Some(value.span);
            }
            IdTarget::Step(s, t) => {
                self.step_ids.insert((s, t), id);
                self.spans.step(s, t).id = Some(value.span);
            }
        }
    }

    fn pain(&mut self, p: Property) -> Pain {
        let mut pain = Pain { text: p.value.value, severity: None };
        for (key, value) in self.attrs(p.attrs, "pain") {
            if key.value == "severity" {
                match value.value.parse::<u8>() {
                    Ok(n) if (1..=5).contains(&n) => pain.severity = Some(n),
                    _ => self.bad_attr(&value, "a whole number from 1 (minor) to 5 (critical)", "severity 3"),
                }
            }
        }
        pain
    }

    fn opportunity(&mut self, p: Property) -> Opportunity {
        let mut o = Opportunity { text: p.value.value, ..Opportunity::default() };
        for (key, value) in self.attrs(p.attrs, "opportunity") {
            match key.value.as_str() {
                "impact" | "effort" => {
                    let level = Level::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(&value.value));
                    match level {
                        Some(level) if key.value == "impact" => o.impact = Some(level),
                        Some(level) => o.effort = Some(level),
                        None => self.bad_attr(&value, "`low`, `medium` or `high`", &format!("{} high", key.value)),
                    }
                }
                "status" => {
                    let same = |s: Status| {
                        let (a, b) = (s.as_str().as_bytes(), value.value.as_bytes());
                        a.len() == b.len()
                            && a.iter().zip(b).all(|(x, y)| *x == y.to_ascii_lowercase() || (*x == b'-' && *y == b' '))
                    };
                    match Status::ALL.into_iter().find(|s| same(*s)) {
                        Some(status) => o.status = Some(status),
                        None => self.bad_attr(
                            &value,
                            "`idea`, `planned`, `in-progress`, `done` or `dropped`",
                            "status planned",
                        ),
                    }
                }
                "owner" => o.owner = Some(value.value),
                _ => {}
            }
        }
        o
    }

    fn metric(&mut self, name: Text, attrs: Option<Attrs>) -> Metric {
        let mut m = Metric { name: name.value, ..Metric::default() };
        for (key, value) in self.attrs(attrs, "metric") {
            match key.value.as_str() {
                "unit" => m.unit = Some(value.value),
                "target" => match value.value.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => m.target = Some(v),
                    _ => self.bad_attr(&value, "a number (put the unit in `unit`)", "target 30"),
                },
                _ => {}
            }
        }
        m
    }

    /// The attributes of a value, known and well-formed ones only; reports
    /// unknown, repeated and empty ones.
    fn attrs(&mut self, attrs: Option<Attrs>, key: &str) -> Vec<(Text, Text)> {
        let Some(attrs) = attrs else { return Vec::new() };
        let allowed = keys::attrs_for(key);
        let mut seen: Vec<&'static str> = Vec::new();
        let mut out = Vec::new();
        for attr in attrs.items {
            let name = attr.key.value.as_str();
            let Some(&known) = allowed.iter().find(|a| **a == name) else {
                let hint = match did_you_mean(name, allowed.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("`{key}` takes: {}", allowed.join(", ")),
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_ATTRIBUTE,
                        attr.key.span,
                        format!("unknown attribute `{name}` for `{key}`"),
                    )
                    .with_label("not an attribute of this key")
                    .with_hint(hint),
                );
                continue;
            };
            if attr.value.value.is_empty() {
                self.diags.push(
                    Diagnostic::error(codes::BAD_ATTRIBUTE, attr.key.span, format!("`{name}` has no value"))
                        .with_label("expected a value after the attribute name")
                        .with_hint(format!("write e.g. `[{}]`", attr_example(name))),
                );
            } else if seen.contains(&known) {
                self.diags.push(
                    Diagnostic::error(codes::BAD_ATTRIBUTE, attr.key.span, format!("`{name}` is given twice"))
                        .with_label("a second value")
                        .with_hint("keep one"),
                );
            } else {
                seen.push(known);
                out.push((attr.key, attr.value));
            }
        }
        out
    }

    fn bad_attr(&mut self, value: &Text, expected: &str, example: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::BAD_ATTRIBUTE,
                value.span,
                format!("expected {expected}, found `{}`", value.value),
            )
            .with_label("not a valid value")
            .with_hint(format!("write e.g. `[{example}]`")),
        );
    }

    /// Reads each file the `use` lines name (once per path, at most
    /// [`uses::MAX_FILES`]) and puts its personas where the line stands.
    fn resolve_uses(&mut self, resolve: Resolve) {
        let mut files: Vec<(String, uses::Library)> = Vec::new();
        let mut taken = Vec::new();
        let mut count = 0;
        let mut suggested = 0;
        for (line, at) in std::mem::take(&mut self.uses) {
            let known = files.iter().position(|(p, _)| *p == line.path);
            let i = match known {
                Some(i) => i,
                None if files.len() == uses::MAX_FILES => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_LIBRARY,
                            line.path_span,
                            format!("a map may use at most {} files", uses::MAX_FILES),
                        )
                        .with_label("one file too many")
                        .with_hint("gather these personas into fewer files"),
                    );
                    continue;
                }
                None => {
                    files.push((line.path.clone(), uses::read_library(&line, resolve)));
                    files.len() - 1
                }
            };
            match &files[i].1 {
                uses::Library::Read(personas) => {
                    let some = uses::take(&line, personas, count, &mut suggested, &mut self.diags);
                    count += some.len();
                    taken.push((at, line.path_span, some));
                }
                uses::Library::Failed(d) if known.is_none() => self.diags.push(d.clone()),
                uses::Library::Failed(_) => {}
            }
        }
        if taken.is_empty() {
            return;
        }
        // One merge, in order: the lines' `at` never decrease.
        let own = std::mem::take(&mut self.map.personas);
        let own_spans = std::mem::take(&mut self.spans.personas);
        let mut taken = taken.into_iter().peekable();
        for (i, (persona, span)) in own.into_iter().zip(own_spans).enumerate() {
            while let Some((_, line_span, personas)) = taken.next_if(|t| t.0 <= i) {
                self.push_taken(line_span, personas);
            }
            self.map.personas.push(persona);
            self.spans.personas.push(span);
        }
        for (_, line_span, personas) in taken {
            self.push_taken(line_span, personas);
        }
    }

    fn push_taken(&mut self, span: Span, personas: Vec<Persona>) {
        self.spans.personas.extend(std::iter::repeat_n(span, personas.len()));
        self.map.personas.extend(personas);
    }

    /// Explicit ids first (so derived ids never take them), then derived ids.
    fn assign_ids(&mut self) {
        let mut stage_ids = IdAllocator::default();
        let mut step_ids = IdAllocator::default();
        for id in self.stage_ids.values() {
            stage_ids.reserve(id);
        }
        for id in self.step_ids.values() {
            step_ids.reserve(id);
        }
        let mut persona_ids = IdAllocator::default();
        for persona in &mut self.map.personas {
            persona.id = persona_ids.derive(&persona.name, "persona");
        }
        for (s, stage) in self.map.stages.iter_mut().enumerate() {
            stage.id = match self.stage_ids.get(&s) {
                Some(id) => id.clone(),
                None => stage_ids.derive(&stage.name, "stage"),
            };
            for (t, step) in stage.steps.iter_mut().enumerate() {
                step.id = match self.step_ids.get(&(s, t)) {
                    Some(id) => id.clone(),
                    None => step_ids.derive(&step.name, "step"),
                };
            }
        }
    }

    fn run_validation(&mut self) {
        for finding in validate(&self.map) {
            let Some(span) = self.spans.of(finding.loc) else { continue };
            let span = match finding.inner {
                Some(inner) => inner.shift(span.start),
                None => span,
            };
            let mut d = Diagnostic::error(finding.code, span, finding.message).with_label(finding.label);
            d.severity = finding.severity;
            d.hint = finding.hint;
            self.diags.push(d);
        }
    }
}

#[derive(Clone, Copy)]
enum IdTarget {
    Stage(usize),
    Step(usize, usize),
}

fn strip_quotes(text: &str) -> String {
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\'')] {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            return inner.to_string();
        }
    }
    text.to_string()
}

fn attr_example(name: &str) -> &'static str {
    match name {
        "severity" => "severity 3",
        "impact" => "impact high",
        "effort" => "effort low",
        "status" => "status planned",
        "owner" => "owner Marketing",
        "unit" => "unit %",
        _ => "target 30",
    }
}

/// The parser only produces properties with keys known in their context.
fn unreachable_key(key: &str) {
    debug_assert!(false, "the parser accepted an unknown key `{key}`");
}
