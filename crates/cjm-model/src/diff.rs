//! What changed in a map between two versions, in the map's own terms:
//! stages and steps added, removed, renamed, moved; scores, pains,
//! opportunities and the other lanes changed. Steps are matched by id, so a
//! rename that keeps its id (`id:`) reads as a rename.

use crate::model::{Journey, Metric, Opportunity, Pain, Persona, PersonaScore, Stage, Step};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// `added`, `removed`, `renamed`, `moved` or `changed`.
    pub kind: &'static str,
    /// `map`, `stage` or `step`.
    pub what: &'static str,
    /// The stage or step id (empty for the map).
    pub id: String,
    /// One line for people, e.g. `score 2 → 4`.
    pub detail: String,
}

fn change(kind: &'static str, what: &'static str, id: &str, detail: String) -> Change {
    Change { kind, what, id: id.to_string(), detail }
}

/// The changes from `old` to `new`, map first, then stages, then steps.
pub fn diff(old: &Journey, new: &Journey) -> Vec<Change> {
    let mut out = Vec::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for (field, a, b) in [
        ("title", opt(&old.title), opt(&new.title)),
        ("description", opt(&old.description), opt(&new.description)),
        ("promise", opt(&old.promise), opt(&new.promise)),
        (
            "state",
            old.state.map(|s| s.as_str().to_string()).unwrap_or_default(),
            new.state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        ),
        ("version", opt(&old.version), opt(&new.version)),
        ("date", opt(&old.date), opt(&new.date)),
        ("scale", format!("{}..{}", old.scale.min, old.scale.max), format!("{}..{}", new.scale.min, new.scale.max)),
        ("accTitle", opt(&old.acc_title), opt(&new.acc_title)),
        ("accDescr", opt(&old.acc_descr), opt(&new.acc_descr)),
    ] {
        if a != b {
            out.push(change("changed", "map", "", format!("{field}: {} → {}", shown(&a), shown(&b))));
        }
    }
    let (pa, pb) = (persona_names(old), persona_names(new));
    for p in only_in(&pb, &pa) {
        out.push(change("added", "map", "", format!("persona {p}")));
    }
    for p in only_in(&pa, &pb) {
        out.push(change("removed", "map", "", format!("persona {p}")));
    }
    out.extend(header_changes(old, new));
    // Stages and steps by id, once: every lookup below is a hash probe, so
    // two versions of tens of thousands of steps compare in linear time.
    let (old_stages, new_stages) = (stages_by_id(old), stages_by_id(new));
    for stage in &new.stages {
        match old_stages.get(stage.id.as_str()) {
            None => out.push(change("added", "stage", &stage.id, format!("stage “{}”", stage.name))),
            Some(was) => {
                if was.name != stage.name {
                    out.push(change("renamed", "stage", &stage.id, format!("“{}” → “{}”", was.name, stage.name)));
                }
                for (field, a, b) in [
                    ("goal", &was.goal, &stage.goal),
                    ("promise", &was.promise, &stage.promise),
                    ("description", &was.description, &stage.description),
                ] {
                    if a != b {
                        let detail = format!(
                            "{field}: {} → {}",
                            shown(a.as_deref().unwrap_or("")),
                            shown(b.as_deref().unwrap_or(""))
                        );
                        out.push(change("changed", "stage", &stage.id, detail));
                    }
                }
            }
        }
    }
    for stage in old.stages.iter().filter(|s| !new_stages.contains_key(s.id.as_str())) {
        out.push(change("removed", "stage", &stage.id, format!("stage “{}”", stage.name)));
    }
    let both = |m: &Journey| -> Vec<String> {
        m.stages
            .iter()
            .filter(|s| old_stages.contains_key(s.id.as_str()) && new_stages.contains_key(s.id.as_str()))
            .map(|s| s.id.clone())
            .collect()
    };
    if both(old) != both(new) {
        out.push(change("moved", "map", "", "stages reordered".into()));
    }
    let (old_steps, new_steps) = (steps_by_id(old), steps_by_id(new));
    for stage in &new.stages {
        for step in &stage.steps {
            let Some(&(was, was_in)) = old_steps.get(step.id.as_str()) else {
                out.push(change("added", "step", &step.id, format!("step “{}”", step.name)));
                continue;
            };
            if was.name != step.name {
                out.push(change("renamed", "step", &step.id, format!("“{}” → “{}”", was.name, step.name)));
            }
            if was_in != stage.id {
                out.push(change("moved", "step", &step.id, format!("“{}” to stage {}", step.name, stage.id)));
            }
            out.extend(step_changes(was, step));
        }
    }
    for step in old.steps().filter(|s| !new_steps.contains_key(s.id.as_str())) {
        out.push(change("removed", "step", &step.id, format!("step “{}”", step.name)));
    }
    out
}

/// What changed in the personas both versions have, in the journey's
/// metrics and in its data block.
fn header_changes(old: &Journey, new: &Journey) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |detail: String| out.push(change("changed", "map", "", detail));
    let was_persona: HashMap<&str, &Persona> = old.personas.iter().rev().map(|p| (p.name.as_str(), p)).collect();
    for p in &new.personas {
        if let Some(&was) = was_persona.get(p.name.as_str()) {
            for c in field_changes(was, p, &["id", "name"]) {
                push(format!("persona {}: {c}", p.name));
            }
        }
    }
    for line in metric_changes(&old.metrics, &new.metrics) {
        push(line);
    }
    match (&old.data, &new.data) {
        (None, Some(_)) => push("data block added".into()),
        (Some(_), None) => push("data block removed".into()),
        (Some(a), Some(b)) => field_changes(a, b, &[]).into_iter().for_each(|c| push(format!("data {c}"))),
        (None, None) => {}
    }
    out
}

/// Metrics added and removed (by name), and those whose unit, target or
/// description changed.
fn metric_changes(old: &[Metric], new: &[Metric]) -> Vec<String> {
    let mut out = Vec::new();
    fn by_name(list: &[Metric]) -> HashMap<&str, &Metric> {
        list.iter().rev().map(|m| (m.name.as_str(), m)).collect()
    }
    let (was, now) = (by_name(old), by_name(new));
    for m in new {
        match was.get(m.name.as_str()).copied() {
            None => out.push(format!("metric added {}", shown(&m.name))),
            Some(was) => {
                out.extend(field_changes(was, m, &["name"]).into_iter().map(|c| format!("metric {}: {c}", m.name)))
            }
        }
    }
    for m in old.iter().filter(|o| !now.contains_key(o.name.as_str())) {
        out.push(format!("metric removed {}", shown(&m.name)));
    }
    out
}

/// The fields of two values of one type that differ (but `skip`), each as
/// `field: old → new`, the field named as the `.cjm` key says it.
fn field_changes<T: Serialize>(a: &T, b: &T, skip: &[&str]) -> Vec<String> {
    use serde_json::Value;
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
    keys.retain(|k| !skip.contains(&k.as_str()) && a.get(*k) != b.get(*k));
    keys.into_iter()
        .map(|k| format!("{}: {} → {}", key_name(k), shown_value(a.get(k)), shown_value(b.get(k))))
        .collect()
}

/// A model field's name as a `.cjm` key: `goals` is `goal`, `time_format`
/// is `time-format`.
fn key_name(field: &str) -> String {
    match field {
        "goals" | "needs" | "pains" | "attrs" => field.trim_end_matches('s').to_string(),
        _ => field.replace('_', "-"),
    }
}

fn shown_value(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) => shown(s),
        Some(Value::Array(items)) => {
            let texts: Vec<String> =
                items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect();
            shown(&texts.join("; "))
        }
        Some(Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), crate::print::number),
        Some(other) => other.to_string(),
    }
}

fn persona_names(m: &Journey) -> Vec<&str> {
    m.personas.iter().map(|p| p.name.as_str()).collect()
}

fn stages_by_id(m: &Journey) -> HashMap<&str, &Stage> {
    m.stages.iter().map(|s| (s.id.as_str(), s)).collect()
}

/// Each step by id, with the id of its stage.
fn steps_by_id(m: &Journey) -> HashMap<&str, (&Step, &str)> {
    m.stages.iter().flat_map(|st| st.steps.iter().map(move |s| (s.id.as_str(), (s, st.id.as_str())))).collect()
}

/// The items of `a` that `b` lacks, in `a`'s order (a set of `b`, so long
/// lists compare in linear time).
fn only_in<'a, T: Eq + std::hash::Hash + ?Sized>(a: &[&'a T], b: &[&T]) -> Vec<&'a T> {
    let b: HashSet<&T> = b.iter().copied().collect();
    a.iter().copied().filter(|x| !b.contains(x)).collect()
}

fn shown(text: &str) -> String {
    if text.is_empty() {
        "(none)".into()
    } else {
        let short: String = text.chars().take(80).collect();
        if short.len() < text.len() {
            format!("“{short}…”")
        } else {
            format!("“{short}”")
        }
    }
}

fn score(v: Option<f64>) -> String {
    v.map_or("-".into(), crate::print::number)
}

fn step_changes(a: &Step, b: &Step) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |detail: String| out.push(change("changed", "step", &b.id, format!("“{}”: {detail}", b.name)));
    if a.score != b.score {
        push(format!("score {} → {}", score(a.score), score(b.score)));
    }
    if a.future_score != b.future_score {
        push(format!("future score {} → {}", score(a.future_score), score(b.future_score)));
    }
    if a.optional != b.optional {
        push(if b.optional { "now optional".into() } else { "no longer optional".into() });
    }
    for (lane, x, y) in [
        ("doing", &a.doing, &b.doing),
        ("thinking", &a.thinking, &b.thinking),
        ("feeling", &a.feeling, &b.feeling),
        ("owner", &a.owner, &b.owner),
        ("evidence", &a.evidence, &b.evidence),
    ] {
        if x != y {
            push(format!("{lane} {} → {}", shown(x.as_deref().unwrap_or("")), shown(y.as_deref().unwrap_or(""))));
        }
    }
    let list = |name: &str, x: Vec<String>, y: Vec<String>, push: &mut dyn FnMut(String)| {
        let (x, y): (Vec<&str>, Vec<&str>) =
            (x.iter().map(String::as_str).collect(), y.iter().map(String::as_str).collect());
        for v in only_in(&y, &x) {
            push(format!("{name} added {}", shown(v)));
        }
        for v in only_in(&x, &y) {
            push(format!("{name} removed {}", shown(v)));
        }
    };
    list(
        "pain",
        a.pains.iter().map(|p| p.text.clone()).collect(),
        b.pains.iter().map(|p| p.text.clone()).collect(),
        &mut push,
    );
    list(
        "opportunity",
        a.opportunities.iter().map(|p| p.text.clone()).collect(),
        b.opportunities.iter().map(|p| p.text.clone()).collect(),
        &mut push,
    );
    list("channel", a.channels.clone(), b.channels.clone(), &mut push);
    list("touchpoint", a.touchpoints.clone(), b.touchpoints.clone(), &mut push);
    list("backstage", a.backstage.clone(), b.backstage.clone(), &mut push);
    list("system", a.systems.clone(), b.systems.clone(), &mut push);
    list("actor", a.actors.clone(), b.actors.clone(), &mut push);
    list("note", a.notes.clone(), b.notes.clone(), &mut push);
    for line in metric_changes(&a.metrics, &b.metrics) {
        push(line);
    }
    for (lane, x, y) in [
        ("score", &a.persona_scores, &b.persona_scores),
        ("future score", &a.future_persona_scores, &b.future_persona_scores),
    ] {
        for line in persona_score_changes(lane, x, y) {
            push(line);
        }
    }
    // Pains and opportunities kept with the same text whose attributes changed.
    let was_pain: HashMap<&str, &Pain> = a.pains.iter().rev().map(|p| (p.text.as_str(), p)).collect();
    for p in &b.pains {
        if let Some(&was) = was_pain.get(p.text.as_str()) {
            field_changes(was, p, &["text"]).into_iter().for_each(|c| push(format!("pain {}: {c}", shown(&p.text))));
        }
    }
    let was_opportunity: HashMap<&str, &Opportunity> =
        a.opportunities.iter().rev().map(|o| (o.text.as_str(), o)).collect();
    for o in &b.opportunities {
        if let Some(&was) = was_opportunity.get(o.text.as_str()) {
            field_changes(was, o, &["text"])
                .into_iter()
                .for_each(|c| push(format!("opportunity {}: {c}", shown(&o.text))));
        }
    }
    out
}

/// `score Sam 2 → 4` for each persona whose own score changed.
fn persona_score_changes(lane: &str, a: &[PersonaScore], b: &[PersonaScore]) -> Vec<String> {
    // The first score a persona has counts, as in `Step::score_for`.
    fn by_persona(list: &[PersonaScore]) -> HashMap<&str, f64> {
        list.iter().rev().map(|s| (s.persona.as_str(), s.score)).collect()
    }
    let (was, now) = (by_persona(a), by_persona(b));
    let mut seen = HashSet::new();
    a.iter()
        .chain(b)
        .map(|s| s.persona.as_str())
        .filter(|p| seen.insert(*p) && was.get(p) != now.get(p))
        .map(|p| format!("{lane} {p} {} → {}", score(was.get(p).copied()), score(now.get(p).copied())))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_of_many_steps_compare_in_linear_time() {
        let map = |n: usize, bump: usize| {
            let steps: String =
                (0..n).map(|i| format!("    Step {i}: {}\n", if i % bump == 0 { 4 } else { 3 })).collect();
            crate::check(&format!("journey\n  section S\n{steps}")).journey
        };
        let (a, b) = (map(40_000, 1_000_000), map(40_000, 10_000));
        let d = super::diff(&a, &b);
        let ids: Vec<&str> = d.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["step-10000", "step-20000", "step-30000"]);
        assert!(d.iter().all(|c| c.detail.ends_with("score 3 → 4")), "{d:?}");
    }

    #[test]
    fn names_changes_inside_personas_metrics_stages_and_lanes() {
        let a = crate::check(
            "journey\n  persona Sam\n    goal: Pay\n  section S\n    One: 2: Sam\n      pain: slow [severity 2]\n      score Sam: 2\n",
        )
        .journey;
        let b = crate::check(
            "journey\n  persona Sam\n    goal: Pay fast\n  metric NPS\n  section S\n    goal: Start\n    One: 2: Sam\n      pain: slow [severity 4]\n      score Sam: 3\n      note: ask support\n",
        )
        .journey;
        let d: Vec<String> =
            super::diff(&a, &b).iter().map(|c| format!("{} {} {}", c.kind, c.what, c.detail)).collect();
        assert_eq!(
            d,
            [
                "changed map persona Sam: goal: “Pay” → “Pay fast”",
                "changed map metric added “NPS”",
                "changed stage goal: (none) → “Start”",
                "changed step “One”: note added “ask support”",
                "changed step “One”: score Sam 2 → 3",
                "changed step “One”: pain “slow”: severity: 2 → 4",
            ]
        );
    }

    #[test]
    fn names_what_changed() {
        let a = crate::check("journey\n  title A\n  section S\n    One: 2\n      pain: slow\n    Two: 3\n").journey;
        let b = crate::check(
            "journey\n  title B\n  section S\n    Uno: 4\n      id: one\n    Three: 3\n  section T\n    Two: 3\n",
        )
        .journey;
        let d: Vec<String> =
            super::diff(&a, &b).iter().map(|c| format!("{} {} {} {}", c.kind, c.what, c.id, c.detail)).collect();
        assert_eq!(
            d,
            [
                "changed map  title: “A” → “B”",
                "added stage t stage “T”",
                "renamed step one “One” → “Uno”",
                "changed step one “Uno”: score 2 → 4",
                "changed step one “Uno”: pain removed “slow”",
                "added step three step “Three”",
                "moved step two “Two” to stage t",
            ]
        );
    }
}

/// The changes told in one sentence for a version's note, e.g. "Added 2
/// steps and changed 3 steps and the map".
pub fn summary(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "Changed the text only (comments or layout)".into();
    }
    // Each thing counts once per kind: a step whose pain was replaced is
    // one changed step, though it is two changes.
    let mut groups: Vec<(&str, &str, usize)> = Vec::new();
    let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
    for c in changes {
        // The map's own additions and removals are its personas.
        let (what, id) = if c.what == "map" && c.kind != "changed" {
            ("persona", c.detail.as_str())
        } else {
            (c.what, c.id.as_str())
        };
        if !seen.insert((c.kind, what, id)) {
            continue;
        }
        match groups.iter_mut().find(|g| g.0 == c.kind && g.1 == what) {
            Some(g) => g.2 += 1,
            None => groups.push((c.kind, what, 1)),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    let mut last_kind = "";
    for (kind, what, n) in groups {
        let thing = match (what, n) {
            ("map", _) => "the map".to_string(),
            (w, 1) => format!("a {w}"),
            (w, n) => format!("{n} {w}s"),
        };
        if kind == last_kind {
            parts.push(thing);
        } else {
            parts.push(format!("{kind} {thing}"));
            last_kind = kind;
        }
    }
    let text = match parts.len() {
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    };
    let mut chars = text.chars();
    chars.next().map_or(text.clone(), |f| f.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn changes_read_as_one_sentence() {
        let mut n = 0;
        let mut c = |kind, what| {
            n += 1;
            change(kind, what, &format!("x{n}"), format!("persona p{n}"))
        };
        assert_eq!(
            summary(&[c("added", "step"), c("added", "step"), c("changed", "step"), c("changed", "map")]),
            "Added 2 steps, changed a step and the map"
        );
        assert_eq!(summary(&[c("renamed", "stage")]), "Renamed a stage");
        assert_eq!(summary(&[c("added", "map"), c("changed", "step")]), "Added a persona and changed a step");
        assert_eq!(summary(&[]), "Changed the text only (comments or layout)");
        // Two changes of one step are one changed step.
        let pain = |d: &str| change("changed", "step", "pay", d.to_string());
        assert_eq!(summary(&[pain("pain added “a”"), pain("pain removed “b”")]), "Changed a step");
    }
}
