//! An edit told as a sentence for the history ("Set the severity of a pain
//! point on “Pay” to 4"), naming stages and steps by their names.

use super::{Edit, Owner};
use crate::model::Journey;
use crate::print::number;

/// What `edit` does to the map `before` is the text of, as a sentence.
pub fn describe(before: &str, edit: &Edit) -> String {
    let map = crate::check(before).journey;
    let step = |id: &str| name_of_step(&map, id);
    let stage = |id: &str| name_of_stage(&map, id);
    let score = |s: &Option<f64>| s.map_or("no score".into(), number);
    match edit {
        Edit::AddStage { name, .. } => format!("Added the stage “{name}”"),
        Edit::RenameStage { stage: s, name } => format!("Renamed the stage {} to “{name}”", stage(s)),
        Edit::MoveStage { stage: s, .. } => format!("Moved the stage {}", stage(s)),
        Edit::DeleteStage { stage: s } => format!("Deleted the stage {}", stage(s)),
        Edit::AddStep { name, stage: s, .. } => format!("Added the step “{name}” to {}", stage(s)),
        Edit::RenameStep { step: s, name } => format!("Renamed the step {} to “{name}”", step(s)),
        Edit::MoveStep { step: s, stage: to, .. } => format!("Moved the step {} to {}", step(s), stage(to)),
        Edit::DeleteStep { step: s } => format!("Deleted the step {}", step(s)),
        Edit::SetScore { step: s, score: v } => format!("Set the score of {} to {}", step(s), score(v)),
        Edit::AddPain { step: s, .. } => format!("Added a pain point to {}", step(s)),
        Edit::AddOpportunity { step: s, .. } => format!("Added an opportunity to {}", step(s)),
        Edit::SetField { owner, key, index, value } => {
            let verb = match (value, index) {
                (None, _) => "Removed",
                (Some(_), Some(_)) => "Changed",
                (Some(_), None) => "Set",
            };
            format!("{verb} the {key} of {}", owner_name(&map, owner))
        }
        Edit::SetHeader { key, value: None } => format!("Removed the map's {key}"),
        Edit::SetHeader { key, value: Some(v) } => format!("Set the map's {key} to “{v}”"),
        Edit::SetPain { step: s, index: None, .. } => format!("Added a pain point to {}", step(s)),
        Edit::SetPain { step: s, .. } => format!("Changed a pain point of {}", step(s)),
        Edit::SetOpportunity { step: s, index: None, .. } => format!("Added an opportunity to {}", step(s)),
        Edit::SetOpportunity { step: s, .. } => format!("Changed an opportunity of {}", step(s)),
        Edit::SetMetric { owner, index: None, name, .. } => {
            format!("Added the metric “{name}” to {}", owner_name(&map, owner))
        }
        Edit::SetMetric { owner, name, .. } => format!("Changed the metric “{name}” of {}", owner_name(&map, owner)),
        Edit::DeleteMetric { metric } => format!("Deleted the metric “{metric}”"),
        Edit::SetChannels { step: s, .. } => format!("Changed the channels of {}", step(s)),
        Edit::SetActors { step: s, .. } => format!("Changed who takes the step {}", step(s)),
        Edit::SetPersonaScore { step: s, persona, score: v, future } => {
            format!("Set {persona}'s {}score on {} to {}", if *future { "future " } else { "" }, step(s), score(v))
        }
        Edit::AddPersona { name } => format!("Added the persona {name}"),
        Edit::RenamePersona { persona, name } => format!("Renamed the persona {persona} to {name}"),
        Edit::DeletePersona { persona } => format!("Deleted the persona {persona}"),
    }
}

fn name_of_step(map: &Journey, id: &str) -> String {
    map.steps().find(|s| s.id == id).map_or_else(|| format!("`{id}`"), |s| format!("“{}”", s.name))
}

fn name_of_stage(map: &Journey, id: &str) -> String {
    match map.stages.iter().find(|s| s.id == id) {
        Some(s) if s.name.is_empty() => "the steps before the first stage".into(),
        Some(s) => format!("“{}”", s.name),
        None => format!("`{id}`"),
    }
}

fn owner_name(map: &Journey, owner: &Owner) -> String {
    match owner {
        Owner::Journey => "the map".into(),
        Owner::Data => "the data block".into(),
        Owner::Persona { persona } => format!("the persona {persona}"),
        Owner::Metric { metric } => format!("the metric “{metric}”"),
        Owner::Stage { stage } => format!("the stage {}", name_of_stage(map, stage)),
        Owner::Step { step } => format!("the step {}", name_of_step(map, step)),
    }
}
