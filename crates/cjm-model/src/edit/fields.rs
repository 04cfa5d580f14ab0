//! Edits of single lines: a property of anything that has them, the
//! journey's header lines, a step's channels, actors and per-persona scores,
//! pain points, opportunities and metrics with their attributes.

use super::{fail, number, score_text, EditError, Layout, Owner};
use crate::model::{Level, Metric, Status};
use crate::print::{escape_attr, metric_text, with_attrs};
use cjm_syntax::escape::{escape_name, escape_text, escape_value};
use cjm_syntax::keys::{self, Context};
use cjm_syntax::tree::{Keyword, NodeKind};

/// The longest value a field takes, in characters.
const LONGEST_VALUE: usize = 10_000;

/// Keys whose value may run over several lines (a `|` block).
const PROSE: &[&str] = &[
    "description",
    "promise",
    "goal",
    "need",
    "pain",
    "quote",
    "doing",
    "thinking",
    "feeling",
    "note",
    "backstage",
    "opportunity",
    "accDescr",
];

/// The order `cjm fmt` writes a step's properties in; a new line goes
/// after the last line of its key, or of the keys before it.
const STEP_ORDER: &[&str] = &[
    "id",
    "score",
    "future score",
    "channel",
    "touchpoint",
    "doing",
    "thinking",
    "feeling",
    "pain",
    "opportunity",
    "backstage",
    "system",
    "owner",
    "note",
    "metric",
    "optional",
    "evidence",
];

/// Where `key` stands among its owner's keys.
fn rank(ctx: Context, key: &str) -> usize {
    let order = if ctx == Context::Step { STEP_ORDER } else { ctx.keys() };
    order.iter().position(|k| *k == key).unwrap_or(order.len())
}

/// A property's value before it is written: its text, its `[…]`
/// attributes, and whether the text is written as it is (already escaped,
/// or an evidence rule, which is read verbatim).
pub(super) struct Value {
    text: String,
    attrs: Vec<String>,
    verbatim: bool,
}

impl Value {
    fn plain(text: String) -> Value {
        Value { text, attrs: Vec::new(), verbatim: false }
    }

    /// The lines of `key: value` at `indent`, a `|` block when the text has
    /// several lines.
    fn lines(&self, indent: &str, key: &str) -> String {
        if !self.text.contains('\n') {
            let text = if self.verbatim { self.text.clone() } else { escape_value(&self.text) };
            return format!("{indent}{key}: {}\n", with_attrs(&text, &self.attrs));
        }
        let mut out = format!("{indent}{}\n", with_attrs(&format!("{key}: |"), &self.attrs));
        for line in self.text.lines() {
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("{indent}  {line}\n"));
            }
        }
        out
    }
}

/// A pain point's value: its text and severity.
pub(super) fn pain_line(text: &str, severity: Option<u8>) -> Result<Value, EditError> {
    let text = clean_value("pain", text)?;
    let mut attrs = Vec::new();
    if let Some(v) = severity {
        if !(1..=5).contains(&v) {
            return fail(format!("severity {v}: expected 1 (minor) to 5 (critical)"));
        }
        attrs.push(format!("severity {v}"));
    }
    Ok(Value { text, attrs, verbatim: false })
}

/// An opportunity's value with its attributes in the format's order.
pub(super) fn opportunity_line(
    text: &str,
    impact: Option<Level>,
    effort: Option<Level>,
    status: Option<Status>,
    owner: Option<&str>,
) -> Result<Value, EditError> {
    let text = clean_value("opportunity", text)?;
    let mut attrs = Vec::new();
    if let Some(l) = impact {
        attrs.push(format!("impact {}", l.as_str()));
    }
    if let Some(l) = effort {
        attrs.push(format!("effort {}", l.as_str()));
    }
    if let Some(s) = status {
        attrs.push(format!("status {}", s.as_str()));
    }
    if let Some(o) = owner.map(str::trim).filter(|o| !o.is_empty()) {
        attrs.push(format!("owner {}", escape_attr(&one_line(o))));
    }
    Ok(Value { text, attrs, verbatim: false })
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ").trim().to_string()
}

/// A value as typed, made ready for `key`: trimmed, on one line unless the
/// key is prose, and not empty (removing is its own edit).
fn clean_value(key: &str, text: &str) -> Result<String, EditError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = if PROSE.contains(&key) { text.trim().to_string() } else { one_line(&text) };
    if text.is_empty() {
        return fail(format!("the {key} is empty; type something, or remove it"));
    }
    if text.chars().count() > LONGEST_VALUE {
        return fail(format!("the {key} is longer than {LONGEST_VALUE} characters"));
    }
    Ok(text)
}

/// `score Sam` is the key `score` for the persona `Sam`.
fn split_key(key: &str) -> (&str, Option<&str>) {
    for base in ["future score", "score"] {
        if let Some(rest) = key.strip_prefix(base).and_then(|r| r.strip_prefix(' ')) {
            return (base, Some(rest.trim()).filter(|r| !r.is_empty()));
        }
    }
    (key, None)
}

impl Layout<'_> {
    /// The node whose children an owner's properties are (none for the
    /// journey's own), and the context that says which keys it takes.
    fn owner_node(&self, owner: &Owner) -> Result<(Option<usize>, Context), EditError> {
        match owner {
            Owner::Journey => Ok((None, Context::Journey)),
            Owner::Data => self
                .keyword_nodes(Keyword::Data)
                .next()
                .map(|n| (Some(n), Context::Data))
                .ok_or_else(|| EditError("the map has no `data` block; add one in the text first".into())),
            Owner::Persona { persona } => Ok((Some(self.persona_node(persona)?), Context::Persona)),
            Owner::Metric { metric } => self
                .keyword_nodes(Keyword::Metric)
                .find(|&n| self.keyword_arg(n) == Some(metric.as_str()))
                .map(|n| (Some(n), Context::Metric))
                .ok_or_else(|| EditError(format!("there is no metric `{metric}` in the map (reload)"))),
            Owner::Stage { stage } => {
                let s = self.stage(stage)?;
                match self.stages[s].section {
                    Some(n) => Ok((Some(n), Context::Stage)),
                    None => fail("the steps before the first section have no stage to hold properties"),
                }
            }
            Owner::Step { step } => {
                let (s, t) = self.step(step)?;
                Ok((Some(self.stages[s].steps[t].task), Context::Step))
            }
        }
    }

    pub(super) fn keyword_nodes(&self, keyword: Keyword) -> impl Iterator<Item = usize> + '_ {
        (0..self.doc.nodes.len())
            .filter(move |&i| matches!(&self.doc.nodes[i].kind, NodeKind::Keyword { keyword: k, .. } if *k == keyword))
    }

    pub(super) fn keyword_arg(&self, node: usize) -> Option<&str> {
        match &self.doc.nodes[node].kind {
            NodeKind::Keyword { arg, .. } => Some(arg.value.as_str()),
            _ => None,
        }
    }

    /// The `key` lines (for `score`, of one persona) owned by `owner`, in order.
    pub(super) fn props(&self, owner: Option<usize>, key: &str, qualifier: Option<&str>) -> Vec<usize> {
        (0..self.doc.nodes.len())
            .filter(|&i| {
                let n = &self.doc.nodes[i];
                matches!(&n.kind, NodeKind::Property(p)
                    if n.owner == owner
                        && p.key.name == key
                        && p.qualifier.as_ref().map(|q| q.value.as_str()) == qualifier)
            })
            .collect()
    }

    /// A node's lines, from its line's start to after its last line.
    pub(super) fn lines_of(&self, node: usize) -> (usize, usize) {
        let span = self.doc.nodes[node].span;
        (self.line_start(span.start), self.line_end(span.end))
    }

    /// Where a new `key` line of `owner` goes, and its indentation: after
    /// the last line of the same key or of a key written before it.
    fn child_slot(&self, owner: Option<usize>, ctx: Context, key: &str) -> (usize, String) {
        let Some(node) = owner else { return self.header_slot() };
        let props: Vec<(usize, usize)> = self
            .doc
            .children(node)
            .map(|(i, _)| i)
            .take_while(|&i| !matches!(self.doc.nodes[i].kind, NodeKind::Task(_)))
            .filter_map(|i| match &self.doc.nodes[i].kind {
                NodeKind::Property(p) => Some((i, rank(ctx, p.key.name))),
                _ => None,
            })
            .collect();
        let Some(&(first, _)) = props.first() else {
            return (self.lines_of(node).1, format!("{}  ", self.indent_of(node)));
        };
        let indent = self.indent_of(first).to_string();
        let mine = rank(ctx, key);
        match props.iter().rev().find(|(_, r)| *r <= mine) {
            Some(&(after, _)) => (self.lines_of(after).1, indent),
            None => (self.lines_of(node).1, indent),
        }
    }

    /// After the journey's header lines (title, keywords, description),
    /// before its personas, metrics, data and stages.
    pub(super) fn header_slot(&self) -> (usize, String) {
        let nodes = &self.doc.nodes;
        let Some(header) = nodes.iter().position(|n| n.kind == NodeKind::Header) else {
            return (0, String::new());
        };
        let mut last = header;
        let mut indent = None;
        for (i, n) in nodes.iter().enumerate().skip(header + 1) {
            match &n.kind {
                NodeKind::Title(_)
                | NodeKind::AccTitle(_)
                | NodeKind::AccDescr { .. }
                | NodeKind::Keyword {
                    keyword: Keyword::State | Keyword::Scale | Keyword::Version | Keyword::Date,
                    ..
                } => {}
                NodeKind::Property(_) if n.owner.is_none() => {}
                NodeKind::Blank | NodeKind::Comment | NodeKind::Directive => continue,
                _ => break,
            }
            last = i;
            indent.get_or_insert_with(|| self.indent_of(i).to_string());
        }
        let indent = indent.unwrap_or_else(|| format!("{}  ", self.indent_of(header)));
        (self.lines_of(last).1, indent)
    }

    pub(super) fn set_field(
        &self,
        owner: &Owner,
        key: &str,
        index: Option<usize>,
        value: Option<&str>,
    ) -> Result<String, EditError> {
        let (node, ctx) = self.owner_node(owner)?;
        let (base, qualifier) = split_key(key);
        let qualified = ctx == Context::Step && keys::takes_qualifier(base);
        if !(ctx.knows(base) || (qualified && ctx == Context::Step))
            || (ctx == Context::Step && base == "score" && qualifier.is_none())
        {
            let known = ctx.keys().join(", ");
            return fail(format!("`{key}` is not a property of {}; it takes {known}", ctx.describe()));
        }
        if ctx == Context::Journey && !matches!(base, "description" | "promise") {
            return fail(format!("`{key}` is not a property of the journey"));
        }
        if base == "metric" {
            return fail("set a metric with its name, unit and target (the metric edit)");
        }
        let value = match value {
            None => None,
            Some(v) if qualified => Some(Value { verbatim: true, ..Value::plain(score_arg(v, self)?) }),
            Some(v) => Some(self.field_value(base, v, ctx)?),
        };
        let lines = self.props(node, base, qualifier);
        let single = keys::single_valued(ctx, base) || qualified;
        let target = match index {
            Some(i) => Some(*lines.get(i).ok_or_else(|| missing(key, i, lines.len()))?),
            None if single => lines.first().copied(),
            None if value.is_none() => return fail(format!("say which `{key}` line to remove")),
            None => None,
        };
        let key_text = match qualifier {
            Some(q) => format!("{base} {}", escape_name(q)),
            None => base.to_string(),
        };
        match (target, value) {
            (Some(n), Some(mut v)) => {
                if let NodeKind::Property(p) = &self.doc.nodes[n].kind {
                    if let (Some(a), true) = (&p.attrs, v.attrs.is_empty()) {
                        // A new text keeps the line's attributes.
                        let raw = &self.source[a.span.start..a.span.end];
                        v.attrs = vec![raw.trim_start_matches('[').trim_end_matches(']').to_string()];
                    }
                }
                Ok(self.replace_line(n, &v.lines(self.indent_of(n), &key_text)))
            }
            (Some(n), None) => Ok(self.replace_line(n, "")),
            (None, Some(v)) => {
                let (at, indent) = self.child_slot(node, ctx, base);
                Ok(super::insert_line(self.source, at, &v.lines(&indent, &key_text)))
            }
            (None, None) => Ok(self.source.to_string()),
        }
    }

    /// A value written as the key needs it: a quote in quotes, an evidence
    /// rule verbatim.
    fn field_value(&self, key: &str, text: &str, ctx: Context) -> Result<Value, EditError> {
        let text = clean_value(key, text)?;
        if key == "quote" && !text.contains('\n') && !text.starts_with('"') {
            return Ok(Value::plain(format!("\"{text}\"")));
        }
        if key == "evidence" || (ctx == Context::Data && key != "attr") {
            return Ok(Value { verbatim: key == "evidence", ..Value::plain(text) });
        }
        Ok(Value::plain(text))
    }

    /// Replaces a whole line (or block) with `lines`; empty removes it.
    fn replace_line(&self, node: usize, lines: &str) -> String {
        let (start, end) = self.lines_of(node);
        super::splice(self.source, start, end, lines)
    }

    /// A pain point or opportunity: the `index`-th replaced, or a new one.
    pub(super) fn set_item(
        &self,
        owner: &Owner,
        key: &str,
        index: Option<usize>,
        value: &Value,
    ) -> Result<String, EditError> {
        let (node, ctx) = self.owner_node(owner)?;
        let lines = self.props(node, key, None);
        match index {
            Some(i) => {
                let n = *lines.get(i).ok_or_else(|| missing(key, i, lines.len()))?;
                Ok(self.replace_line(n, &value.lines(self.indent_of(n), key)))
            }
            None => {
                let (at, indent) = self.child_slot(node, ctx, key);
                Ok(super::insert_line(self.source, at, &value.lines(&indent, key)))
            }
        }
    }

    pub(super) fn set_header(&self, key: &str, value: Option<&str>) -> Result<String, EditError> {
        let value = value.map(|v| clean_value(key, v)).transpose()?;
        let (node, line) = match key {
            "title" => {
                let node = self.doc.nodes.iter().position(|n| matches!(n.kind, NodeKind::Title(_)));
                if node.is_none()
                    && self.doc.nodes.iter().any(|n| matches!(n.kind, NodeKind::FrontMatter { title: Some(_) }))
                {
                    return fail("this map's title is in its front matter (`---` … `---`); change it in the text");
                }
                (node, value.as_ref().map(|v| format!("title {}", escape_text(v, &['#']))))
            }
            "accTitle" => (
                self.doc.nodes.iter().position(|n| matches!(n.kind, NodeKind::AccTitle(_))),
                value.as_ref().map(|v| format!("accTitle: {}", escape_text(v, &['#']))),
            ),
            "accDescr" => (self.doc.nodes.iter().position(|n| matches!(n.kind, NodeKind::AccDescr { .. })), None),
            _ => {
                let Some(keyword) = Keyword::from_word(key).filter(|k| !k.opens_block()) else {
                    return fail(format!(
                        "`{key}` is not a header line; the header has title, accTitle, accDescr, state, version, date and scale"
                    ));
                };
                (self.keyword_nodes(keyword).next(), value.as_ref().map(|v| format!("{key} {}", escape_text(v, &[]))))
            }
        };
        let (at, indent) = match node {
            Some(n) => (n, self.indent_of(n).to_string()),
            None => (usize::MAX, self.header_slot().1),
        };
        let lines = match (key, &value, line) {
            ("accDescr", Some(v), _) if v.contains('\n') => {
                let body: String = v.lines().map(|l| format!("{indent}  {l}\n")).collect();
                Some(format!("{indent}accDescr {{\n{body}{indent}}}\n"))
            }
            ("accDescr", Some(v), _) => Some(format!("{indent}accDescr: {}\n", escape_text(v, &['#']))),
            (_, _, Some(l)) => Some(format!("{indent}{l}\n")),
            _ => None,
        };
        match (at, lines) {
            (usize::MAX, None) => Ok(self.source.to_string()),
            (usize::MAX, Some(l)) => Ok(super::insert_line(self.source, self.header_slot().0, &l)),
            (n, l) => Ok(self.replace_line(n, &l.unwrap_or_default())),
        }
    }

    pub(super) fn set_metric(
        &self,
        owner: &Owner,
        index: Option<usize>,
        name: &str,
        unit: Option<&str>,
        target: Option<f64>,
    ) -> Result<String, EditError> {
        let name = clean_value("metric", name)?;
        if target.is_some_and(|t| !t.is_finite()) {
            return fail("the target is not a number");
        }
        let unit = unit.map(one_line).filter(|u| !u.is_empty());
        let text = metric_text(&Metric { name, unit, target, description: None, measure: None });
        if !matches!(owner, Owner::Journey) {
            let value = Value { text, attrs: Vec::new(), verbatim: true };
            return self.set_item(owner, "metric", index, &value);
        }
        let metrics: Vec<usize> = self.keyword_nodes(Keyword::Metric).collect();
        match index {
            Some(i) => {
                let n = *metrics.get(i).ok_or_else(|| missing("metric", i, metrics.len()))?;
                let (start, end) = (self.line_start(self.doc.nodes[n].span.start), self.doc.nodes[n].span.end);
                Ok(super::splice(self.source, start, end, &format!("{}metric {text}", self.indent_of(n))))
            }
            None => {
                let (at, indent) = self.block_slot();
                Ok(super::insert_line(self.source, at, &format!("\n{indent}metric {text}\n")))
            }
        }
    }

    /// A journey metric's block removed.
    pub(super) fn delete_metric(&self, metric: &str) -> Result<String, EditError> {
        let (Some(node), _) = self.owner_node(&Owner::Metric { metric: metric.into() })? else {
            return fail("not a metric");
        };
        Ok(self.remove_block(node))
    }

    /// The lines of a persona, metric or data block, with the comments
    /// above it, and one blank line around it, removed.
    pub(super) fn remove_block(&self, node: usize) -> String {
        let start = self.lead_start(node);
        let last = self.doc.children(node).map(|(i, _)| i).last().unwrap_or(node);
        let mut end = self.lines_of(last).1;
        let before_blank = start == 0 || self.source[..start].ends_with("\n\n");
        if before_blank && self.source[end..].starts_with('\n') {
            end += 1;
        }
        super::splice(self.source, start, end, "")
    }

    /// Where a new persona or journey metric block goes: after the last
    /// persona, metric or data block, else after the header lines.
    pub(super) fn block_slot(&self) -> (usize, String) {
        let blocks: Vec<usize> = (0..self.doc.nodes.len())
            .filter(|&i| matches!(&self.doc.nodes[i].kind, NodeKind::Keyword { keyword, .. } if keyword.opens_block()))
            .collect();
        match blocks.last() {
            Some(&b) => {
                let last = self.doc.children(b).map(|(i, _)| i).last().unwrap_or(b);
                (self.lines_of(last).1, self.indent_of(b).to_string())
            }
            None => self.header_slot(),
        }
    }

    pub(super) fn set_channels(&self, step: &str, channels: &[String]) -> Result<String, EditError> {
        let (node, _) = self.owner_node(&Owner::Step { step: step.into() })?;
        let mut names = Vec::new();
        for c in channels {
            let c = one_line(c);
            if c.chars().count() > 200 {
                return fail("a channel name is longer than 200 characters");
            }
            if !c.is_empty() && !names.contains(&c) {
                names.push(c);
            }
        }
        let lines = self.props(node, "channel", None);
        let text: Vec<String> = names.iter().map(|c| escape_value(c).replace(',', "\\,")).collect();
        let value = Value { text: text.join(", "), attrs: Vec::new(), verbatim: true };
        let mut cuts: Vec<(usize, usize, String)> = Vec::new();
        for (k, &n) in lines.iter().enumerate() {
            let (start, end) = self.lines_of(n);
            let with =
                if k == 0 && !names.is_empty() { value.lines(self.indent_of(n), "channel") } else { String::new() };
            cuts.push((start, end, with));
        }
        if lines.is_empty() {
            if names.is_empty() {
                return Ok(self.source.to_string());
            }
            let (at, indent) = self.child_slot(node, Context::Step, "channel");
            return Ok(super::insert_line(self.source, at, &value.lines(&indent, "channel")));
        }
        Ok(super::splice_all(self.source, cuts))
    }

    /// The actor list of a step's line, rewritten.
    pub(super) fn actors_cut(&self, task: usize, actors: &[String]) -> Option<(usize, usize, String)> {
        let NodeKind::Task(t) = &self.doc.nodes[task].kind else { return None };
        let list: Vec<String> = actors.iter().map(|a| escape_name(a)).collect();
        match (t.actors.first(), t.actors.last()) {
            (Some(first), Some(last)) => {
                let colon = self.source[..first.span.start].rfind(':').unwrap_or(t.score.span.end);
                let with = if list.is_empty() { String::new() } else { format!(": {}", list.join(", ")) };
                Some((colon, last.span.end, with))
            }
            _ if list.is_empty() => None,
            _ => Some((t.score.span.end, t.score.span.end, format!(": {}", list.join(", ")))),
        }
    }

    pub(super) fn set_actors(&self, step: &str, actors: &[String]) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        let mut names: Vec<String> = Vec::new();
        for a in actors {
            let a = one_line(a);
            if !a.is_empty() && !names.contains(&a) {
                names.push(a);
            }
        }
        match self.actors_cut(self.stages[s].steps[t].task, &names) {
            Some(cut) => Ok(super::splice_all(self.source, vec![cut])),
            None => Ok(self.source.to_string()),
        }
    }

    /// One persona's score: on the step line when the line's score is the
    /// persona's alone, else on a `score <persona>:` line.
    pub(super) fn set_persona_score(
        &self,
        step: &str,
        persona: &str,
        score: Option<f64>,
        future: bool,
    ) -> Result<String, EditError> {
        let (s, t) = self.step(step)?;
        let task = self.stages[s].steps[t].task;
        let key = if future { "future score" } else { "score" };
        let model = self.map.stages[s].steps.get(t).ok_or_else(|| EditError("not a step".into()))?;
        let owner = Owner::Step { step: step.into() };
        let value = score.map(number);
        if !persona.is_empty() && !self.props(Some(task), key, Some(persona)).is_empty() {
            return self.set_field(&owner, &format!("{key} {persona}"), None, value.as_deref());
        }
        let names = self.map.persona_names();
        let alone = persona.is_empty()
            || model.actors == [persona]
            || (model.actors.is_empty() && names.len() == 1 && names[0] == persona);
        if !alone && !names.iter().any(|n| n == persona) {
            return fail(format!("there is no persona `{persona}` in the map (reload)"));
        }
        match (alone, future) {
            (true, false) => self.set_score(step, &score),
            (true, true) => self.set_field(&owner, "future score", None, value.as_deref()),
            (false, _) if score.is_none() => fail(format!(
                "{persona}'s score here is the step's score, shared with other personas; clear the step's score instead"
            )),
            (false, _) => self.set_field(&owner, &format!("{key} {persona}"), None, value.as_deref()),
        }
    }
}

/// A score typed for a `score <persona>:` line, checked against the scale.
fn score_arg(text: &str, layout: &Layout) -> Result<String, EditError> {
    let v: f64 = text.trim().parse().map_err(|_| EditError(format!("`{}` is not a score", text.trim())))?;
    score_text(Some(v), &layout.map)
}

fn missing(key: &str, index: usize, count: usize) -> EditError {
    EditError(format!(
        "there is no `{key}` number {} here (there are {count}); it may have been removed, reload",
        index + 1
    ))
}
