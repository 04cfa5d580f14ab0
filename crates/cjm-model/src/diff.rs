//! What changed in a map between two versions, in the map's own terms:
//! stages and steps added, removed, renamed, moved; scores, pains,
//! opportunities and the other lanes changed. Steps are matched by id, so a
//! rename that keeps its id (`id:`) reads as a rename.

use crate::model::{Journey, Stage, Step};
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
        (
            "state",
            old.state.map(|s| s.as_str().to_string()).unwrap_or_default(),
            new.state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        ),
        ("version", opt(&old.version), opt(&new.version)),
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
    // Stages and steps by id, once: every lookup below is a hash probe, so
    // two versions of tens of thousands of steps compare in linear time.
    let (old_stages, new_stages) = (stages_by_id(old), stages_by_id(new));
    for stage in &new.stages {
        match old_stages.get(stage.id.as_str()) {
            None => out.push(change("added", "stage", &stage.id, format!("stage “{}”", stage.name))),
            Some(was) if was.name != stage.name => {
                out.push(change("renamed", "stage", &stage.id, format!("“{}” → “{}”", was.name, stage.name)))
            }
            Some(_) => {}
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
    out
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
