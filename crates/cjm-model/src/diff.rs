//! What changed in a map between two versions, in the map's own terms:
//! stages and steps added, removed, renamed, moved; scores, pains,
//! opportunities and the other lanes changed. Steps are matched by id, so a
//! rename that keeps its id (`id:`) reads as a rename.

use crate::model::{Journey, Step};
use serde::Serialize;

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
    let names = |m: &Journey| m.personas.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let (pa, pb) = (names(old), names(new));
    for p in pb.iter().filter(|p| !pa.contains(p)) {
        out.push(change("added", "map", "", format!("persona {p}")));
    }
    for p in pa.iter().filter(|p| !pb.contains(p)) {
        out.push(change("removed", "map", "", format!("persona {p}")));
    }
    for stage in &new.stages {
        match old.stages.iter().find(|s| s.id == stage.id) {
            None => out.push(change("added", "stage", &stage.id, format!("stage “{}”", stage.name))),
            Some(was) if was.name != stage.name => {
                out.push(change("renamed", "stage", &stage.id, format!("“{}” → “{}”", was.name, stage.name)))
            }
            Some(_) => {}
        }
    }
    for stage in old.stages.iter().filter(|s| !new.stages.iter().any(|n| n.id == s.id)) {
        out.push(change("removed", "stage", &stage.id, format!("stage “{}”", stage.name)));
    }
    let order = |m: &Journey| {
        m.stages
            .iter()
            .map(|s| s.id.clone())
            .filter(|id| old.stages.iter().any(|s| &s.id == id) && new.stages.iter().any(|s| &s.id == id))
            .collect::<Vec<_>>()
    };
    if order(old) != order(new) {
        out.push(change("moved", "map", "", "stages reordered".into()));
    }
    let place = |m: &Journey| -> Vec<(String, String, usize)> {
        m.stages
            .iter()
            .flat_map(|st| st.steps.iter().enumerate().map(move |(i, s)| (s.id.clone(), st.id.clone(), i)))
            .collect()
    };
    let (old_place, new_place) = (place(old), place(new));
    for step in new.steps() {
        let Some(was) = old.steps().find(|s| s.id == step.id) else {
            out.push(change("added", "step", &step.id, format!("step “{}”", step.name)));
            continue;
        };
        if was.name != step.name {
            out.push(change("renamed", "step", &step.id, format!("“{}” → “{}”", was.name, step.name)));
        }
        let stage_of = |places: &[(String, String, usize)]| places.iter().find(|p| p.0 == step.id).map(|p| p.1.clone());
        if stage_of(&old_place) != stage_of(&new_place) {
            out.push(change(
                "moved",
                "step",
                &step.id,
                format!("“{}” to stage {}", step.name, stage_of(&new_place).unwrap_or_default()),
            ));
        }
        out.extend(step_changes(was, step));
    }
    for step in old.steps().filter(|s| !new.steps().any(|n| n.id == s.id)) {
        out.push(change("removed", "step", &step.id, format!("step “{}”", step.name)));
    }
    out
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
        for v in y.iter().filter(|v| !x.contains(v)) {
            push(format!("{name} added {}", shown(v)));
        }
        for v in x.iter().filter(|v| !y.contains(v)) {
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
