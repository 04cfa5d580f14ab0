//! Adding, renaming and removing personas: a persona's name stands in its
//! declaration, in the actor lists of step lines and in `score <persona>:`
//! lines, and all of them change together.

use super::{clean, fail, EditError, Layout};
use cjm_syntax::escape::{escape_name, escape_text};
use cjm_syntax::tree::{Keyword, NodeKind};

impl Layout<'_> {
    pub(super) fn persona_node(&self, name: &str) -> Result<usize, EditError> {
        if let Some(file) = self.map.personas.iter().find(|p| p.name == name).and_then(|p| p.source.as_deref()) {
            return fail(format!("{name} comes from `{file}`; edit the persona there"));
        }
        self.keyword_nodes(Keyword::Persona)
            .find(|&n| self.keyword_arg(n) == Some(name))
            .map_or_else(|| fail(format!("there is no persona `{name}` declared in the map (reload)")), Ok)
    }

    /// The step lines (task nodes) and their actor lists.
    fn tasks(&self) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
        self.doc.nodes.iter().enumerate().filter_map(|(i, n)| match &n.kind {
            NodeKind::Task(t) => Some((i, t.actors.iter().map(|a| a.value.clone()).collect())),
            _ => None,
        })
    }

    pub(super) fn add_persona(&self, name: &str) -> Result<String, EditError> {
        let name = clean(name, "persona name")?;
        let names = self.map.persona_names();
        if names.contains(&name) {
            return fail(format!("the map already has a persona `{name}`"));
        }
        // A map whose personas are its actors declares them all at once, or
        // its steps would name undeclared personas.
        let mut declare: Vec<String> = if self.map.personas.is_empty() { names } else { Vec::new() };
        declare.retain(|n| !n.is_empty());
        declare.push(name);
        // After the last persona, or as a new group after the header.
        let (at, indent, gap) = match self.keyword_nodes(Keyword::Persona).last() {
            Some(p) => {
                let last = self.doc.children(p).map(|(i, _)| i).last().unwrap_or(p);
                (self.lines_of(last).1, self.indent_of(p).to_string(), "")
            }
            None => {
                let (at, indent) = self.block_slot();
                (at, indent, "\n")
            }
        };
        let lines: String =
            declare.iter().map(|n| format!("{indent}persona {}\n", escape_text(n, &[':', '#']))).collect();
        Ok(super::insert_line(self.source, at, &format!("{gap}{lines}")))
    }

    pub(super) fn rename_persona(&self, persona: &str, name: &str) -> Result<String, EditError> {
        let name = clean(name, "persona name")?;
        if name == persona {
            return Ok(self.source.to_string());
        }
        if self.map.persona_names().contains(&name) {
            return fail(format!("the map already has a persona `{name}`; pick another name"));
        }
        let declared = self.persona_node(persona).ok();
        if declared.is_none() && !self.map.persona_names().iter().any(|n| n == persona) {
            return fail(format!("there is no persona `{persona}` in the map (reload)"));
        }
        let mut cuts = Vec::new();
        if let Some(NodeKind::Keyword { arg, .. }) = declared.map(|n| &self.doc.nodes[n].kind) {
            cuts.push((arg.span.start, arg.span.end, escape_text(&name, &[':', '#'])));
        }
        for node in &self.doc.nodes {
            match &node.kind {
                NodeKind::Task(t) => cuts.extend(
                    t.actors
                        .iter()
                        .filter(|a| a.value == persona)
                        .map(|a| (a.span.start, a.span.end, escape_name(&name))),
                ),
                NodeKind::Property(p) => cuts.extend(
                    p.qualifier
                        .iter()
                        .filter(|q| q.value == persona)
                        .map(|q| (q.span.start, q.span.end, escape_name(&name))),
                ),
                _ => {}
            }
        }
        Ok(super::splice_all(self.source, cuts))
    }

    pub(super) fn delete_persona(&self, persona: &str) -> Result<String, EditError> {
        let declared = self.persona_node(persona).ok();
        if declared.is_none() && !self.map.persona_names().iter().any(|n| n == persona) {
            return fail(format!("there is no persona `{persona}` in the map (reload)"));
        }
        let mut cuts = Vec::new();
        if let Some(node) = declared {
            let last = self.doc.children(node).map(|(i, _)| i).last().unwrap_or(node);
            let (start, mut end) = (self.lead_start(node), self.lines_of(last).1);
            if (start == 0 || self.source[..start].ends_with("\n\n")) && self.source[end..].starts_with('\n') {
                end += 1;
            }
            cuts.push((start, end, String::new()));
        }
        for (task, actors) in self.tasks().collect::<Vec<_>>() {
            if actors.iter().any(|a| a == persona) {
                let rest: Vec<String> = actors.into_iter().filter(|a| a != persona).collect();
                cuts.extend(self.actors_cut(task, &rest));
            }
        }
        for (i, node) in self.doc.nodes.iter().enumerate() {
            if let NodeKind::Property(p) = &node.kind {
                if p.qualifier.as_ref().is_some_and(|q| q.value == persona) {
                    let (start, end) = self.lines_of(i);
                    cuts.push((start, end, String::new()));
                }
            }
        }
        Ok(super::splice_all(self.source, cuts))
    }
}
