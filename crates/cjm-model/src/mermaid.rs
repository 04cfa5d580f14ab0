//! Export to a plain Mermaid `journey` diagram. Mermaid holds only titles,
//! sections, steps, one score per step and actors, so the export is lossy;
//! [`MermaidExport::dropped`] says what did not make it, for the CLI to tell
//! the user.

use crate::model::*;
use crate::print::number;

pub struct MermaidExport {
    pub text: String,
    /// What the map holds that Mermaid cannot (one line each, for people).
    pub dropped: Vec<String>,
    /// What was changed to fit Mermaid (rescaled scores, replaced characters).
    pub changed: Vec<String>,
}

pub fn to_mermaid(map: &Journey) -> MermaidExport {
    let mut out = String::from("journey\n");
    let mut changed = Vec::new();
    let clean = |text: &str| cjm_syntax::escape::mermaid_entities(text, false);
    if let Some(title) = &map.title {
        out.push_str(&format!("  title {}\n", clean(title)));
    }
    if let Some(t) = &map.acc_title {
        out.push_str(&format!("  accTitle: {}\n", t.replace('\n', " ")));
    }
    if let Some(d) = &map.acc_descr {
        if d.contains('\n') {
            out.push_str(&format!(
                "  accDescr {{\n{}\n  }}\n",
                d.replace('}', ")").lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
            ));
        } else {
            out.push_str(&format!("  accDescr: {d}\n"));
        }
    }
    let rescale = map.scale != Scale::default();
    let mut unscored = 0;
    for (s, stage) in map.stages.iter().enumerate() {
        let indent = if stage.name.is_empty() && s == 0 {
            "  "
        } else {
            out.push_str(&format!("  section {}\n", clean(&stage.name)));
            "    "
        };
        for step in &stage.steps {
            let score = match step.score {
                Some(v) if rescale => to_mermaid_scale(&map.scale, v),
                Some(v) => v,
                None => {
                    unscored += 1;
                    3.0
                }
            };
            let mut line = format!("{indent}{}: {}", clean(&step.name), number(score));
            if !step.actors.is_empty() {
                let actors: Vec<String> =
                    step.actors.iter().map(|a| cjm_syntax::escape::mermaid_entities(a, true)).collect();
                line.push_str(&format!(": {}", actors.join(", ")));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if rescale {
        changed.push(format!("scores rescaled from {}..{} to Mermaid's 1..5", map.scale.min, map.scale.max));
    }
    if unscored > 0 {
        changed.push(format!("{unscored} step(s) without a score drawn as 3 (neutral)"));
    }
    MermaidExport { text: out, dropped: dropped(map), changed }
}

/// Maps a score linearly from the map's scale onto 1..5, to two decimals.
fn to_mermaid_scale(scale: &Scale, v: f64) -> f64 {
    let span = f64::from(scale.max - scale.min);
    let x = 1.0 + (v - f64::from(scale.min)) * 4.0 / span;
    (x * 100.0).round() / 100.0
}

fn dropped(map: &Journey) -> Vec<String> {
    let mut out = Vec::new();
    let mut header = Vec::new();
    if map.description.is_some() {
        header.push("description");
    }
    if map.promise.is_some() {
        header.push("brand promise");
    }
    if map.state.is_some() {
        header.push("state");
    }
    if map.version.is_some() {
        header.push("version");
    }
    if map.date.is_some() {
        header.push("date");
    }
    if !header.is_empty() {
        out.push(format!("journey {}", header.join(", ")));
    }
    if !map.personas.is_empty() {
        let names: Vec<&str> = map.personas.iter().map(|p| p.name.as_str()).collect();
        out.push(format!("{} persona card(s): {}", names.len(), names.join(", ")));
    }
    if !map.metrics.is_empty() {
        out.push(format!("{} journey metric(s)", map.metrics.len()));
    }
    if map.data.is_some() {
        out.push("the data block (event log and columns)".into());
    }
    let stage_extras =
        map.stages.iter().filter(|s| s.goal.is_some() || s.promise.is_some() || s.description.is_some()).count();
    if stage_extras > 0 {
        out.push(format!("goals, promises or descriptions of {stage_extras} stage(s)"));
    }
    let explicit_ids = map.stages.iter().filter(|s| s.id != crate::ids::slug(&s.name)).count()
        + map.steps().filter(|s| s.id != crate::ids::slug(&s.name)).count();
    if explicit_ids > 0 {
        out.push(format!("{explicit_ids} explicit id(s)"));
    }
    let count = |f: &dyn Fn(&Step) -> usize| map.steps().map(f).sum::<usize>();
    let lanes: [(&str, usize); 15] = [
        ("per-persona score(s)", count(&|s| s.persona_scores.len())),
        ("future-state score(s)", count(&|s| s.future_score.iter().count() + s.future_persona_scores.len())),
        ("channel(s)", count(&|s| s.channels.len())),
        ("touchpoint(s)", count(&|s| s.touchpoints.len())),
        ("doing text(s)", count(&|s| s.doing.iter().count())),
        ("thinking text(s)", count(&|s| s.thinking.iter().count())),
        ("feeling text(s)", count(&|s| s.feeling.iter().count())),
        ("pain point(s)", count(&|s| s.pains.len())),
        ("opportunity(ies)", count(&|s| s.opportunities.len())),
        ("backstage action(s)", count(&|s| s.backstage.len())),
        ("support system(s)", count(&|s| s.systems.len())),
        ("owner(s)", count(&|s| s.owner.iter().count())),
        ("note(s)", count(&|s| s.notes.len())),
        ("step metric(s) and evidence rule(s)", count(&|s| s.metrics.len() + s.evidence.iter().count())),
        ("optional step mark(s)", count(&|s| usize::from(s.optional))),
    ];
    for (what, n) in lanes {
        if n > 0 {
            out.push(format!("{n} {what}"));
        }
    }
    out
}
