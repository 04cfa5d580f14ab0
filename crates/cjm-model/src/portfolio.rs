//! The opportunity portfolio: every opportunity of one or more maps placed
//! on the impact × effort matrix, ranked, with the pain points of its step.
//!
//! The matrix has three levels a side. An opportunity is worth doing when
//! its impact is medium or high, and costly when its effort is high, so:
//! quick wins (impact medium or high, effort low or medium), big bets
//! (impact medium or high, effort high), fill-ins (impact low, effort low
//! or medium) and money pits (impact low, effort high). One without an
//! impact or an effort is *unrated* and stays off the matrix.
//!
//! The ranking: open opportunities (idea, planned, in progress, or no
//! status) before done and dropped ones; then by quadrant in the order
//! above, unrated last; higher impact, then lower effort, then the worse
//! pain of the step (severity, 5 worst); then the order of the maps and
//! of the steps in them. Rank 1 is the first thing to do. Filters keep the
//! ranks, so a number means the same opportunity in every view.

use crate::model::{Journey, Level, Pain, Status};
use serde::Serialize;

/// A quarter of the impact × effort matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quadrant {
    QuickWin,
    BigBet,
    FillIn,
    MoneyPit,
    /// No impact or no effort given.
    Unrated,
}

impl Quadrant {
    pub const ALL: [Quadrant; 5] =
        [Quadrant::QuickWin, Quadrant::BigBet, Quadrant::FillIn, Quadrant::MoneyPit, Quadrant::Unrated];

    pub fn of(impact: Option<Level>, effort: Option<Level>) -> Quadrant {
        let (Some(impact), Some(effort)) = (impact, effort) else { return Quadrant::Unrated };
        match (impact >= Level::Medium, effort == Level::High) {
            (true, false) => Quadrant::QuickWin,
            (true, true) => Quadrant::BigBet,
            (false, false) => Quadrant::FillIn,
            (false, true) => Quadrant::MoneyPit,
        }
    }

    /// Its slug, as JSON and the CSV's label write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::QuickWin => "quick-win",
            Quadrant::BigBet => "big-bet",
            Quadrant::FillIn => "fill-in",
            Quadrant::MoneyPit => "money-pit",
            Quadrant::Unrated => "unrated",
        }
    }

    /// Its name for people, plural as a matrix heading.
    pub fn label(self) -> &'static str {
        match self {
            Quadrant::QuickWin => "Quick wins",
            Quadrant::BigBet => "Big bets",
            Quadrant::FillIn => "Fill-ins",
            Quadrant::MoneyPit => "Money pits",
            Quadrant::Unrated => "Not rated",
        }
    }

    /// The name of one opportunity's quadrant: "Quick win".
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::QuickWin => "Quick win",
            Quadrant::BigBet => "Big bet",
            Quadrant::FillIn => "Fill-in",
            Quadrant::MoneyPit => "Money pit",
            Quadrant::Unrated => "Not rated",
        }
    }

    /// "1 quick win", "3 quick wins", "2 not rated".
    pub fn count(self, n: usize) -> String {
        let name = if n == 1 || self == Quadrant::Unrated { self.name() } else { self.label() };
        format!("{n} {}", name.to_lowercase())
    }

    /// What the quadrant advises.
    pub fn advice(self) -> &'static str {
        match self {
            Quadrant::QuickWin => "worth doing, not costly: do these first",
            Quadrant::BigBet => "worth doing, costly: plan them",
            Quadrant::FillIn => "little worth, little cost: when there is time",
            Quadrant::MoneyPit => "little worth, costly: reconsider",
            Quadrant::Unrated => "give an impact and an effort to place it",
        }
    }
}

/// One opportunity, where it is and what it addresses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    /// Its priority in the whole portfolio, 1 first.
    pub rank: usize,
    pub text: String,
    pub quadrant: Quadrant,
    pub impact: Option<Level>,
    pub effort: Option<Level>,
    pub status: Option<Status>,
    pub owner: Option<String>,
    /// The map's name as the caller gave it (its title or file).
    pub map: String,
    /// Which of the given maps, from 0.
    #[serde(skip)]
    pub map_index: usize,
    pub stage: String,
    pub step: String,
    pub step_id: String,
    /// The personas the step concerns: its actors and scored personas, or
    /// every persona of the map when it names none.
    pub personas: Vec<String>,
    /// The pain points of the step, the worst first.
    pub pains: Vec<Pain>,
    /// The worst severity among them.
    pub severity: Option<u8>,
}

impl Item {
    /// Done and dropped opportunities are closed; the rest are open.
    pub fn is_open(&self) -> bool {
        !matches!(self.status, Some(Status::Done | Status::Dropped))
    }
}

/// Every opportunity of `maps` (each with the name to show), ranked.
pub fn portfolio(maps: &[(String, &Journey)]) -> Vec<Item> {
    let mut items = Vec::new();
    for (map_index, (name, map)) in maps.iter().enumerate() {
        let everyone = map.persona_names();
        for stage in &map.stages {
            for step in &stage.steps {
                let mut personas: Vec<String> = Vec::new();
                for p in step.actors.iter().chain(step.persona_scores.iter().map(|s| &s.persona)) {
                    if !personas.contains(p) {
                        personas.push(p.clone());
                    }
                }
                if personas.is_empty() {
                    personas = everyone.clone();
                }
                let mut pains = step.pains.clone();
                pains.sort_by_key(|p| std::cmp::Reverse(p.severity));
                let severity = pains.iter().filter_map(|p| p.severity).max();
                for o in &step.opportunities {
                    items.push(Item {
                        rank: 0,
                        text: o.text.clone(),
                        quadrant: Quadrant::of(o.impact, o.effort),
                        impact: o.impact,
                        effort: o.effort,
                        status: o.status,
                        owner: o.owner.clone(),
                        map: name.clone(),
                        map_index,
                        stage: stage.name.clone(),
                        step: step.name.clone(),
                        step_id: step.id.clone(),
                        personas: personas.clone(),
                        pains: pains.clone(),
                        severity,
                    });
                }
            }
        }
    }
    // A stable sort: equal keys keep the maps' and steps' order.
    items.sort_by_key(|i| {
        (
            !i.is_open(),
            i.quadrant,
            std::cmp::Reverse(i.impact.map(|l| l as u8 + 1).unwrap_or(0)),
            i.effort.map_or(u8::MAX, |l| l as u8),
            std::cmp::Reverse(i.severity.unwrap_or(0)),
        )
    });
    for (n, item) in items.iter_mut().enumerate() {
        item.rank = n + 1;
    }
    items
}

/// How many of `items` stand in each quadrant, in [`Quadrant::ALL`]'s order.
pub fn tally(items: &[Item]) -> [(Quadrant, usize); 5] {
    Quadrant::ALL.map(|q| (q, items.iter().filter(|i| i.quadrant == q).count()))
}

/// The quadrants that hold any of `items`, counted: "4 quick wins, 1 big
/// bet"; empty for no items.
pub fn counted(items: &[Item]) -> String {
    tally(items).iter().filter(|(_, n)| *n > 0).map(|(q, n)| q.count(*n)).collect::<Vec<_>>().join(", ")
}

/// Which opportunities a view shows; every field empty keeps them all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Any of these statuses; `None` in the list stands for "no status".
    pub status: Vec<Option<Status>>,
    pub owner: Option<String>,
    pub stage: Option<String>,
    pub persona: Option<String>,
    /// Only those whose step has a pain at least this severe.
    pub min_severity: Option<u8>,
}

impl Filter {
    pub fn keeps(&self, item: &Item) -> bool {
        (self.status.is_empty() || self.status.contains(&item.status))
            && self.owner.as_ref().is_none_or(|o| item.owner.as_deref() == Some(o.as_str()))
            && self.stage.as_ref().is_none_or(|s| &item.stage == s)
            && self.persona.as_ref().is_none_or(|p| item.personas.contains(p))
            && self.min_severity.is_none_or(|m| item.severity.is_some_and(|s| s >= m))
    }
}

/// The values a filter can take in these items: owners, stages and
/// personas, each once, in order of first appearance.
pub fn choices(items: &[Item]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut owners, mut stages, mut personas) = (Vec::new(), Vec::new(), Vec::new());
    let add = |list: &mut Vec<String>, v: &str| {
        if !v.is_empty() && !list.iter().any(|x| x == v) {
            list.push(v.to_string());
        }
    };
    for i in items {
        if let Some(o) = &i.owner {
            add(&mut owners, o);
        }
        add(&mut stages, &i.stage);
        for p in &i.personas {
            add(&mut personas, p);
        }
    }
    (owners, stages, personas)
}

/// The items as CSV whose columns Jira's and Linear's CSV importers map
/// to issue fields: Summary, Description, Priority (from the impact),
/// Status, Assignee (the owner) and Labels (the quadrant); then cjm's own
/// columns. Cells a spreadsheet would run as a formula are quoted with a
/// leading apostrophe.
pub fn csv(items: &[Item]) -> String {
    let mut out = String::from(
        "Summary,Description,Priority,Status,Assignee,Labels,Rank,Impact,Effort,Map,Stage,Step,Pain points,Severity\n",
    );
    for i in items {
        let level = |l: Option<Level>| l.map_or("", Level::as_str);
        let priority = match i.impact {
            Some(Level::High) => "High",
            Some(Level::Medium) => "Medium",
            Some(Level::Low) => "Low",
            None => "",
        };
        let status = match i.status {
            None | Some(Status::Idea) => "Backlog",
            Some(Status::Planned) => "To Do",
            Some(Status::InProgress) => "In Progress",
            Some(Status::Done) => "Done",
            Some(Status::Dropped) => "Canceled",
        };
        let pains = i.pains.iter().map(pain_text).collect::<Vec<_>>().join("; ");
        let cells = [
            i.text.clone(),
            description(i),
            priority.to_string(),
            status.to_string(),
            i.owner.clone().unwrap_or_default(),
            i.quadrant.as_str().to_string(),
            i.rank.to_string(),
            level(i.impact).to_string(),
            level(i.effort).to_string(),
            i.map.clone(),
            i.stage.clone(),
            i.step.clone(),
            pains,
            i.severity.map_or(String::new(), |s| s.to_string()),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn pain_text(p: &Pain) -> String {
    match p.severity {
        Some(s) => format!("{} (severity {s})", p.text),
        None => p.text.clone(),
    }
}

/// The body: where the opportunity is, how it was rated, the pains.
fn description(i: &Item) -> String {
    let mut d = format!("From the journey map \"{}\"", i.map);
    if !i.stage.is_empty() {
        d.push_str(&format!(", stage \"{}\"", i.stage));
    }
    d.push_str(&format!(", step \"{}\".", i.step));
    match (i.impact, i.effort) {
        (Some(a), Some(e)) => d.push_str(&format!(
            "\nImpact {}, effort {}: {} ({}).",
            a.as_str(),
            e.as_str(),
            i.quadrant.name().to_lowercase(),
            i.quadrant.advice()
        )),
        _ => d.push_str("\nNot rated yet: give an impact and an effort."),
    }
    if !i.pains.is_empty() {
        d.push_str("\nPain points it addresses:");
        for p in &i.pains {
            d.push_str(&format!("\n- {}", pain_text(p)));
        }
    }
    d
}

/// A CSV field, quoted when needed; a leading `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` so a spreadsheet does not run it
/// as a formula.
pub fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_string() };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quadrants_follow_the_rule() {
        use Level::*;
        assert_eq!(Quadrant::of(Some(High), Some(Low)), Quadrant::QuickWin);
        assert_eq!(Quadrant::of(Some(Medium), Some(Medium)), Quadrant::QuickWin);
        assert_eq!(Quadrant::of(Some(High), Some(High)), Quadrant::BigBet);
        assert_eq!(Quadrant::of(Some(Low), Some(Medium)), Quadrant::FillIn);
        assert_eq!(Quadrant::of(Some(Low), Some(High)), Quadrant::MoneyPit);
        assert_eq!(Quadrant::of(None, Some(High)), Quadrant::Unrated);
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_defused() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
