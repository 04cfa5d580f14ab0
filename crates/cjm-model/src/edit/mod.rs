//! Edits made through forms, applied to the `.cjm` text rather than to the
//! model, so that everything the author wrote — comments, blank lines,
//! property order, `|` blocks — stays as it was. Each edit touches only the
//! lines it must: a rename replaces the name, a move cuts a step's lines
//! (with the comments just above it) and pastes them elsewhere.
//!
//! Stages and steps are named by id. The result is checked: an edit never
//! turns a map without errors into one with errors.

use crate::ids::slug;
use crate::model::{Journey, Level, Status};
use crate::print::number;
use cjm_syntax::escape::{escape_name, escape_text};
use cjm_syntax::tree::{Document, NodeKind};
use cjm_syntax::NO_SCORE;
use serde::{Deserialize, Serialize};

mod describe;
mod fields;
mod personas;

pub use describe::describe;

use fields::{opportunity_line, pain_line};

/// One edit. `before` names the stage or step to insert in front of; none
/// means at the end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Edit {
    AddStage {
        name: String,
        before: Option<String>,
    },
    RenameStage {
        stage: String,
        name: String,
    },
    MoveStage {
        stage: String,
        before: Option<String>,
    },
    DeleteStage {
        stage: String,
    },
    AddStep {
        stage: String,
        name: String,
        score: Option<f64>,
        before: Option<String>,
    },
    RenameStep {
        step: String,
        name: String,
    },
    MoveStep {
        step: String,
        stage: String,
        before: Option<String>,
    },
    DeleteStep {
        step: String,
    },
    /// `None` clears the score (`-`).
    SetScore {
        step: String,
        score: Option<f64>,
    },
    AddPain {
        step: String,
        text: String,
        severity: Option<u8>,
    },
    AddOpportunity {
        step: String,
        text: String,
        impact: Option<Level>,
        effort: Option<Level>,
    },
    /// A plain `key: value` property of the journey, the data block, a
    /// persona, a journey metric, a stage or a step. `index` picks one of a
    /// repeatable key's lines (0 is the first); without it a single-valued
    /// key is set in place or added, and a repeatable one is added. `value`
    /// none removes the line. `key` may name a persona: `score Sam`,
    /// `future score Sam`. A value of several lines is written as a `|` block.
    SetField {
        owner: Owner,
        key: String,
        index: Option<usize>,
        value: Option<String>,
    },
    /// The journey's `title`, `accTitle`, `accDescr` and its `state`,
    /// `version`, `date` and `scale` keyword lines; none removes the line.
    SetHeader {
        key: String,
        value: Option<String>,
    },
    /// A step's pain point: the `index`-th one replaced, or a new one.
    SetPain {
        step: String,
        index: Option<usize>,
        text: String,
        severity: Option<u8>,
    },
    /// A step's opportunity with all its attributes: the `index`-th one
    /// replaced, or a new one.
    SetOpportunity {
        step: String,
        index: Option<usize>,
        text: String,
        impact: Option<Level>,
        effort: Option<Level>,
        status: Option<Status>,
        owner: Option<String>,
    },
    /// A metric of the journey (`metric NPS [unit points]`) or of a step
    /// (`metric: …`): the `index`-th one replaced, or a new one.
    SetMetric {
        owner: Owner,
        index: Option<usize>,
        name: String,
        unit: Option<String>,
        target: Option<f64>,
    },
    /// A step's channels, written as one `channel:` line (none removes them).
    SetChannels {
        step: String,
        channels: Vec<String>,
    },
    /// The personas a step's line lists after its score.
    SetActors {
        step: String,
        actors: Vec<String>,
    },
    /// One persona's score on a step, as dragging its face on the emotion
    /// curve sets it: the step line's score when that is the persona's
    /// alone, else a `score <persona>:` line. `future` sets the future state.
    SetPersonaScore {
        step: String,
        persona: String,
        score: Option<f64>,
        #[serde(default)]
        future: bool,
    },
    /// A journey metric's block removed (a step's `metric:` lines go with
    /// [`Edit::SetField`] and no value).
    DeleteMetric {
        metric: String,
    },
    /// A persona declared after the others (or, in a map whose personas are
    /// its actors, the actors declared too).
    AddPersona {
        name: String,
    },
    /// A persona's new name, in its declaration, every step that lists it
    /// and every `score <persona>:` line.
    RenamePersona {
        persona: String,
        name: String,
    },
    /// A persona's block removed, with its name on steps and its scores.
    DeletePersona {
        persona: String,
    },
}

/// Whose properties a [`Edit::SetField`] or [`Edit::SetMetric`] changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Owner {
    Journey,
    Data,
    Persona { persona: String },
    Metric { metric: String },
    Stage { stage: String },
    Step { step: String },
}

/// Why an edit could not be made; the message is for the person editing.
#[derive(Clone, Debug, PartialEq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

fn fail<T>(message: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(message.into()))
}

/// Applies `edit` to `source` and returns the new text. `resolve` reads
/// the files the map's `use` lines name, as lowering does.
pub fn apply(source: &str, edit: &Edit, resolve: crate::Resolve) -> Result<String, EditError> {
    let out = Layout::read(source, resolve)?.apply(edit)?;
    let checked = crate::check_with(&out, resolve);
    if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
        return fail(format!("the edit would leave the map with an error ({}); nothing was changed", d.message));
    }
    Ok(out)
}

/// A stage as it stands in the text.
struct StageAt {
    id: String,
    /// The `section` node; `None` for the steps before the first section.
    section: Option<usize>,
    steps: Vec<StepAt>,
}

struct StepAt {
    id: String,
    task: usize,
    /// Whether the step pins its id with an `id:` line.
    pinned: bool,
}

/// The text, its lines' byte ranges and where each stage and step is.
struct Layout<'a> {
    source: &'a str,
    doc: Document,
    map: Journey,
    stages: Vec<StageAt>,
    resolve: crate::Resolve<'a>,
}

fn text_value(kind: &NodeKind) -> Option<&cjm_syntax::tree::Text> {
    match kind {
        NodeKind::Section(t) => Some(t),
        NodeKind::Task(t) => Some(&t.name),
        _ => None,
    }
}

impl<'a> Layout<'a> {
    fn read(source: &'a str, resolve: crate::Resolve<'a>) -> Result<Self, EditError> {
        let checked = crate::check_with(source, resolve);
        if checked.has_errors() {
            return fail("the map has errors; fix them in the text first, then use the form again");
        }
        let doc = cjm_syntax::parse(source).document;
        let map = checked.journey;
        let mut stages: Vec<StageAt> = Vec::new();
        let loose_tasks: Vec<usize> = (0..doc.nodes.len())
            .filter(|&i| matches!(doc.nodes[i].kind, NodeKind::Task(_)) && owner_section(&doc, i).is_none())
            .collect();
        let sections: Vec<usize> =
            (0..doc.nodes.len()).filter(|&i| matches!(doc.nodes[i].kind, NodeKind::Section(_))).collect();
        let mut groups: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
        if !loose_tasks.is_empty() {
            groups.push((None, loose_tasks));
        }
        for &s in &sections {
            let tasks = (0..doc.nodes.len())
                .filter(|&i| matches!(doc.nodes[i].kind, NodeKind::Task(_)) && owner_section(&doc, i) == Some(s))
                .collect();
            groups.push((Some(s), tasks));
        }
        if groups.len() != map.stages.len() {
            return fail("this map's layout is too unusual for the form; edit the text instead");
        }
        for ((section, tasks), stage) in groups.into_iter().zip(&map.stages) {
            if tasks.len() != stage.steps.len() {
                return fail("this map's layout is too unusual for the form; edit the text instead");
            }
            let steps = tasks
                .into_iter()
                .zip(&stage.steps)
                .map(|(task, step)| StepAt {
                    id: step.id.clone(),
                    task,
                    pinned: doc
                        .children(task)
                        .any(|(_, n)| matches!(&n.kind, NodeKind::Property(p) if p.key.name == "id")),
                })
                .collect();
            stages.push(StageAt { id: stage.id.clone(), section, steps });
        }
        Ok(Layout { source, doc, map, stages, resolve })
    }

    fn stage(&self, id: &str) -> Result<usize, EditError> {
        self.stages.iter().position(|s| s.id == id).map_or_else(
            || fail(format!("there is no stage `{id}` in the map (it may have been renamed or removed; reload)")),
            Ok,
        )
    }

    fn step(&self, id: &str) -> Result<(usize, usize), EditError> {
        for (s, stage) in self.stages.iter().enumerate() {
            if let Some(t) = stage.steps.iter().position(|x| x.id == id) {
                return Ok((s, t));
            }
        }
        fail(format!("there is no step `{id}` in the map (it may have been renamed or removed; reload)"))
    }

    /// Byte offset where the line holding `offset` starts.
    fn line_start(&self, offset: usize) -> usize {
        self.source[..offset].rfind('\n').map_or(0, |i| i + 1)
    }

    /// Byte offset just after the line holding `offset` (after its `\n`).
    fn line_end(&self, offset: usize) -> usize {
        self.source[offset..].find('\n').map_or(self.source.len(), |i| offset + i + 1)
    }

    fn indent_of(&self, node: usize) -> &'a str {
        let start = self.line_start(self.doc.nodes[node].span.start);
        let line = &self.source[start..];
        &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
    }

    /// Where the comment lines directly above `node` begin (they belong to it).
    fn lead_start(&self, node: usize) -> usize {
        let mut first = node;
        while first > 0 && self.doc.nodes[first - 1].kind == NodeKind::Comment {
            first -= 1;
        }
        self.line_start(self.doc.nodes[first].span.start)
    }

    /// The end of a step's lines: its own line and every property under it.
    fn task_end(&self, task: usize) -> usize {
        let last = self.doc.children(task).map(|(i, _)| i).last().unwrap_or(task);
        self.line_end(self.doc.nodes[last].span.end)
    }

    /// The byte range of a stage: its section line (with the comments above)
    /// to the next section's comments, or the end of the text.
    fn stage_range(&self, s: usize) -> (usize, usize) {
        let stage = &self.stages[s];
        let start = match stage.section {
            Some(n) => self.lead_start(n),
            None => stage.steps.first().map_or(0, |t| self.lead_start(t.task)),
        };
        let end = match self.stages.get(s + 1).and_then(|n| n.section) {
            Some(next) => self.lead_start(next),
            None if stage.section.is_none() => stage.steps.last().map_or(start, |t| self.task_end(t.task)),
            None => self.source.len(),
        };
        (start, end)
    }

    fn step_range(&self, s: usize, t: usize) -> (usize, usize) {
        let task = self.stages[s].steps[t].task;
        (self.lead_start(task), self.task_end(task))
    }

    /// Where a new step goes at the end of stage `s`, and its indentation.
    fn step_slot(&self, s: usize, before: Option<&str>) -> Result<(usize, String), EditError> {
        let stage = &self.stages[s];
        let indent = match (stage.steps.first(), stage.section) {
            (Some(t), _) => self.indent_of(t.task).to_string(),
            (None, Some(sec)) => format!("{}  ", self.indent_of(sec)),
            (None, None) => "  ".into(),
        };
        if let Some(b) = before {
            let Some(t) = stage.steps.iter().position(|x| x.id == b) else {
                return fail(format!("there is no step `{b}` in stage `{}`", stage.id));
            };
            return Ok((self.step_range(s, t).0, indent));
        }
        let at = match (stage.steps.last(), stage.section) {
            (Some(t), _) => self.task_end(t.task),
            (None, Some(sec)) => {
                let last = self.doc.children(sec).map(|(i, _)| i).last().unwrap_or(sec);
                self.line_end(self.doc.nodes[last].span.end)
            }
            (None, None) => self.source.len(),
        };
        Ok((at, indent))
    }

    fn apply(&self, edit: &Edit) -> Result<String, EditError> {
        match edit {
            Edit::AddStage { name, before } => self.add_stage(name, before),
            Edit::RenameStage { stage, name } => self.rename_stage(stage, name),
            Edit::MoveStage { stage, before } => self.move_stage(stage, before),
            Edit::DeleteStage { stage } => self.delete_stage(stage),
            Edit::AddStep { stage, name, score, before } => self.add_step(stage, name, score, before),
            Edit::RenameStep { step, name } => self.rename_step(step, name),
            Edit::MoveStep { step, stage, before } => self.move_step(step, stage, before),
            Edit::DeleteStep { step } => self.delete_step(step),
            Edit::SetScore { step, score } => self.set_score(step, score),
            Edit::AddPain { step, text, severity } => self.add_pain(step, text, severity),
            Edit::AddOpportunity { step, text, impact, effort } => self.add_opportunity(step, text, impact, effort),
            Edit::SetField { owner, key, index, value } => self.set_field(owner, key, *index, value.as_deref()),
            Edit::SetHeader { key, value } => self.set_header(key, value.as_deref()),
            Edit::SetPain { step, index, text, severity } => {
                let line = pain_line(text, *severity)?;
                self.set_item(&Owner::Step { step: step.clone() }, "pain", *index, &line)
            }
            Edit::SetOpportunity { step, index, text, impact, effort, status, owner } => {
                let line = opportunity_line(text, *impact, *effort, *status, owner.as_deref())?;
                self.set_item(&Owner::Step { step: step.clone() }, "opportunity", *index, &line)
            }
            Edit::SetMetric { owner, index, name, unit, target } => {
                self.set_metric(owner, *index, name, unit.as_deref(), *target)
            }
            Edit::SetChannels { step, channels } => self.set_channels(step, channels),
            Edit::SetActors { step, actors } => self.set_actors(step, actors),
            Edit::SetPersonaScore { step, persona, score, future } => {
                self.set_persona_score(step, persona, *score, *future)
            }
            Edit::DeleteMetric { metric } => self.delete_metric(metric),
            Edit::AddPersona { name } => self.add_persona(name),
            Edit::RenamePersona { persona, name } => self.rename_persona(persona, name),
            Edit::DeletePersona { persona } => self.delete_persona(persona),
        }
    }

    /// A new stage before `before`, or at the end.
    fn add_stage(&self, name: &str, before: &Option<String>) -> Result<String, EditError> {
        let name = clean(name, "stage name")?;
        let indent = self.stages.iter().find_map(|s| s.section).map_or("  ", |n| self.indent_of(n)).to_string();
        let line = format!("{indent}section {}\n", escape_text(&name, &['#', ':']));
        match before {
            Some(b) => {
                let s = self.stage(b)?;
                if self.stages[s].section.is_none() {
                    return fail("new stages go after the steps that stand before the first section");
                }
                let at = self.stage_range(s).0;
                Ok(splice(self.source, at, at, &format!("{line}\n")))
            }
            None => Ok(append_block(self.source, &line)),
        }
    }

    /// A stage's new name (its `section` line's text).
    fn rename_stage(&self, stage: &str, name: &str) -> Result<String, EditError> {
        let s = self.stage(stage)?;
        let name = clean(name, "stage name")?;
        let Some(sec) = self.stages[s].section else {
            return fail("the steps before the first section have no stage name to change");
        };
        let span =
            text_value(&self.doc.nodes[sec].kind).map(|t| t.span).ok_or_else(|| EditError("not a section".into()))?;
        Ok(splice(self.source, span.start, span.end, &escape_text(&name, &['#', ':'])))
    }

    /// A stage and its steps moved before `before`, or to the end.
    fn move_stage(&self, stage: &str, before: &Option<String>) -> Result<String, EditError> {
        let s = self.stage(stage)?;
        if self.stages[s].section.is_none() {
            return fail("the steps before the first section cannot be moved as a stage; move the steps instead");
        }
        if before.as_deref() == Some(stage) {
            return Ok(self.source.to_string());
        }
        let (start, end) = self.stage_range(s);
        let mut block = self.source[start..end].to_string();
        if !block.ends_with('\n') {
            block.push('\n');
        }
        if !block.ends_with("\n\n") {
            block.push('\n');
        }
        let without = splice(self.source, start, end, "");
        let rest = Layout::read(&without, self.resolve)?;
        match before {
            Some(b) => {
                let t = rest.stage(b)?;
                if rest.stages[t].section.is_none() {
                    return fail("stages go after the steps that stand before the first section");
                }
                let at = rest.stage_range(t).0;
                Ok(splice(&without, at, at, &block))
            }
            None => Ok(append_block(&without, block.trim_end_matches('\n'))),
        }
    }

    /// A stage and its steps removed.
    fn delete_stage(&self, stage: &str) -> Result<String, EditError> {
        let s = self.stage(stage)?;
        let (start, end) = self.stage_range(s);
        Ok(splice(self.source, start, end, ""))
    }

    /// A new step in a stage, before `before` or after its last step.
    fn add_step(
        &self,
        stage: &str,
        name: &str,
        score: &Option<f64>,
        before: &Option<String>,
    ) -> Result<String, EditError> {
        let s = self.stage(stage)?;
        let name = clean(name, "step name")?;
        let (at, indent) = self.step_slot(s, before.as_deref())?;
        let line = format!("{indent}{}: {}\n", escape_name(&name), score_text(*score, &self.map)?);
        Ok(insert_line(self.source, at, &line))
    }

    /// A step's new name; its old id is pinned when the name would change it.
    fn rename_step(&self, step: &str, name: &str) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        let name = clean(name, "step name")?;
        let at = &self.stages[s].steps[t];
        let NodeKind::Task(task) = &self.doc.nodes[at.task].kind else { return fail("not a step") };
        let renamed = splice(self.source, task.name.span.start, task.name.span.end, &escape_name(&name));
        if at.pinned || slug(&name) == at.id {
            return Ok(renamed);
        }
        // Comments and evidence hold on to the id: pin it across the rename.
        let (prop_at, indent) = self.property_slot(at.task);
        let shift = escape_name(&name).len() as isize - (task.name.span.end - task.name.span.start) as isize;
        let prop_at = (prop_at as isize + shift) as usize;
        Ok(insert_line(&renamed, prop_at, &format!("{indent}id: {}\n", at.id)))
    }

    /// A step and its properties moved to a stage, before `before` or last.
    fn move_step(&self, step: &str, stage: &str, before: &Option<String>) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        self.stage(stage)?;
        if before.as_deref() == Some(step) {
            return Ok(self.source.to_string());
        }
        let (start, end) = self.step_range(s, t);
        let old_indent = self.indent_of(self.stages[s].steps[t].task).to_string();
        let mut block = self.source[start..end].to_string();
        if !block.ends_with('\n') {
            block.push('\n');
        }
        let without = splice(self.source, start, end, "");
        let rest = Layout::read(&without, self.resolve)?;
        let target = rest.stage(stage)?;
        let (at, indent) = rest.step_slot(target, before.as_deref())?;
        Ok(insert_line(&without, at, &reindent(&block, &old_indent, &indent)))
    }

    /// A step and its properties removed.
    fn delete_step(&self, step: &str) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        let (start, end) = self.step_range(s, t);
        Ok(splice(self.source, start, end, ""))
    }

    /// A step's score.
    fn set_score(&self, step: &str, score: &Option<f64>) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        let NodeKind::Task(task) = &self.doc.nodes[self.stages[s].steps[t].task].kind else {
            return fail("not a step");
        };
        let text = score_text(*score, &self.map)?;
        let span = task.score.span;
        if span.start == span.end && !self.source[..span.start].ends_with(' ') {
            return Ok(splice(self.source, span.start, span.end, &format!(" {text}")));
        }
        Ok(splice(self.source, span.start, span.end, &text))
    }

    /// A pain point after the step's last property.
    fn add_pain(&self, step: &str, text: &str, severity: &Option<u8>) -> Result<String, EditError> {
        self.set_item(&Owner::Step { step: step.into() }, "pain", None, &pain_line(text, *severity)?)
    }

    /// An opportunity after the step's last property.
    fn add_opportunity(
        &self,
        step: &str,
        text: &str,
        impact: &Option<Level>,
        effort: &Option<Level>,
    ) -> Result<String, EditError> {
        let line = opportunity_line(text, *impact, *effort, None, None)?;
        self.set_item(&Owner::Step { step: step.into() }, "opportunity", None, &line)
    }

    /// Where a new property of a step goes (after its last one) and its indentation.
    fn property_slot(&self, task: usize) -> (usize, String) {
        let indent = match self.doc.children(task).find(|(_, n)| matches!(n.kind, NodeKind::Property(_))) {
            Some((i, _)) => self.indent_of(i).to_string(),
            None => format!("{}  ", self.indent_of(task)),
        };
        (self.task_end(task), indent)
    }
}

/// The section (if any) a task belongs to.
fn owner_section(doc: &Document, task: usize) -> Option<usize> {
    doc.nodes[task].owner.filter(|&o| matches!(doc.nodes[o].kind, NodeKind::Section(_)))
}

fn clean(text: &str, what: &str) -> Result<String, EditError> {
    let t = text.replace(['\r', '\n'], " ").trim().to_string();
    if t.is_empty() {
        return fail(format!("the {what} is empty; type a name"));
    }
    if t.chars().count() > 500 {
        return fail(format!("the {what} is longer than 500 characters"));
    }
    Ok(t)
}

fn score_text(score: Option<f64>, map: &Journey) -> Result<String, EditError> {
    match score {
        None => Ok(NO_SCORE.to_string()),
        Some(v) if !v.is_finite() => fail("the score is not a number"),
        Some(v) if v < f64::from(map.scale.min) || v > f64::from(map.scale.max) => {
            fail(format!("score {}: this map's scale is {}..{}", number(v), map.scale.min, map.scale.max))
        }
        Some(v) => Ok(number(v)),
    }
}

fn splice(source: &str, start: usize, end: usize, with: &str) -> String {
    let mut out = String::with_capacity(source.len() + with.len());
    out.push_str(&source[..start]);
    out.push_str(with);
    out.push_str(&source[end..]);
    out
}

/// Several replacements of the original text at once; they must not
/// overlap (each is a byte range of `source`).
fn splice_all(source: &str, mut cuts: Vec<(usize, usize, String)>) -> String {
    cuts.sort_by_key(|c| (c.0, c.1));
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for (start, end, with) in cuts {
        let start = start.max(at);
        out.push_str(&source[at..start]);
        out.push_str(&with);
        at = end.max(start);
    }
    out.push_str(&source[at..]);
    out
}

/// Inserts whole lines at a line start (adding the missing line break when
/// `at` is the end of a text without one).
fn insert_line(source: &str, at: usize, lines: &str) -> String {
    if at == source.len() && !source.is_empty() && !source.ends_with('\n') {
        return format!("{source}\n{lines}");
    }
    splice(source, at, at, lines)
}

/// Appends a block at the end, after one blank line.
fn append_block(source: &str, block: &str) -> String {
    let mut out = source.trim_end_matches(['\n', ' ', '\t']).to_string();
    out.push_str("\n\n");
    out.push_str(block.trim_end_matches('\n'));
    out.push('\n');
    out
}

/// Moves lines from one indentation to another, keeping their nesting.
fn reindent(block: &str, from: &str, to: &str) -> String {
    if from == to {
        return block.to_string();
    }
    block
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix(from) {
            Some(rest) => format!("{to}{rest}"),
            None => line.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "%% top comment
journey
  title Shop
  %% before the first section
  Hear about us: 3
  section Browse
    goal: find it
    %% about search
    Search: 4: Ann
      %% a note inside
      pain: slow [severity 2]
    Compare: 2
  section Buy
    Pay: 5
";

    fn ok(edit: Edit) -> String {
        apply(MAP, &edit, &crate::uses::no_files).unwrap_or_else(|e| panic!("{edit:?}: {e}"))
    }

    #[test]
    fn renames_keep_comments_and_pin_ids() {
        let out = ok(Edit::RenameStep { step: "search".into(), name: "Search: the catalogue".into() });
        assert!(out.contains("    Search\\: the catalogue: 4: Ann\n      %% a note inside\n      pain: slow [severity 2]\n      id: search\n"), "{out}");
        assert!(out.contains("%% about search\n") && out.starts_with("%% top comment\n"));
        let out = ok(Edit::RenameStage { stage: "buy".into(), name: "Checkout".into() });
        assert!(out.contains("  section Checkout\n    Pay: 5\n"), "{out}");
    }

    #[test]
    fn moves_carry_the_comments_above_and_reindent() {
        let out = ok(Edit::MoveStep { step: "search".into(), stage: "buy".into(), before: None });
        assert!(out.ends_with("  section Buy\n    Pay: 5\n    %% about search\n    Search: 4: Ann\n      %% a note inside\n      pain: slow [severity 2]\n"), "{out}");
        let out =
            ok(Edit::MoveStep { step: "hear-about-us".into(), stage: "browse".into(), before: Some("compare".into()) });
        assert!(out.contains("    Hear about us: 3\n    Compare: 2\n"), "{out}");
        let out = ok(Edit::MoveStage { stage: "buy".into(), before: Some("browse".into()) });
        assert!(out.contains("  Hear about us: 3\n  section Buy\n    Pay: 5\n\n  section Browse\n"), "{out}");
        let map = crate::check(&out).journey;
        assert_eq!(
            map.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["", "buy", "browse"].map(|s| if s.is_empty() { map.stages[0].id.as_str() } else { s })
        );
    }

    #[test]
    fn adds_and_scores() {
        let out = ok(Edit::AddStep {
            stage: "browse".into(),
            name: "Read reviews".into(),
            score: Some(3.0),
            before: Some("compare".into()),
        });
        assert!(out.contains("      pain: slow [severity 2]\n    Read reviews: 3\n    Compare: 2\n"), "{out}");
        let out = ok(Edit::SetScore { step: "compare".into(), score: None });
        assert!(out.contains("    Compare: -\n"), "{out}");
        let out = ok(Edit::AddPain { step: "pay".into(), text: "Card declined [again]".into(), severity: Some(4) });
        assert!(out.ends_with("    Pay: 5\n      pain: Card declined \\[again] [severity 4]\n"), "{out}");
        let map = crate::check(&out).journey;
        assert_eq!(map.stages[2].steps[0].pains[0].text, "Card declined [again]");
        let out = ok(Edit::AddOpportunity {
            step: "compare".into(),
            text: "Side-by-side view".into(),
            impact: Some(Level::High),
            effort: Some(Level::Low),
        });
        assert!(
            out.contains("    Compare: 2\n      opportunity: Side-by-side view [impact high, effort low]\n"),
            "{out}"
        );
        let out = ok(Edit::AddStage { name: "Use".into(), before: None });
        assert!(out.ends_with("    Pay: 5\n\n  section Use\n"), "{out}");
        let out = ok(Edit::AddStep { stage: "buy".into(), name: "Unbox".into(), score: None, before: None });
        assert!(out.ends_with("    Pay: 5\n    Unbox: -\n"), "{out}");
    }

    #[test]
    fn deletes_and_refuses_bad_edits() {
        let out = ok(Edit::DeleteStep { step: "search".into() });
        assert!(
            !out.contains("Search")
                && !out.contains("about search")
                && out.contains("    goal: find it\n    Compare: 2\n"),
            "{out}"
        );
        let out = ok(Edit::DeleteStage { stage: "browse".into() });
        assert!(out.contains("  Hear about us: 3\n  section Buy\n"), "{out}");
        assert!(apply(MAP, &Edit::SetScore { step: "pay".into(), score: Some(9.0) }, &crate::uses::no_files)
            .unwrap_err()
            .0
            .contains("scale is 1..5"));
        assert!(apply(MAP, &Edit::RenameStep { step: "nope".into(), name: "x".into() }, &crate::uses::no_files)
            .unwrap_err()
            .0
            .contains("no step `nope`"));
        assert!(apply(
            MAP,
            &Edit::AddStep { stage: "buy".into(), name: "  ".into(), score: None, before: None },
            &crate::uses::no_files
        )
        .is_err());
        assert!(apply(
            "journey\n  Bad: x\n  section\n",
            &Edit::DeleteStage { stage: "x".into() },
            &crate::uses::no_files
        )
        .is_err());
    }
}
