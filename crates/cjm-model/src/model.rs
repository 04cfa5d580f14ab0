//! The journey map model: what a map says, independent of how it was written.
//! Its JSON form (serde) is cjm's interchange format, described by the JSON
//! Schema from [`crate::json::schema`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The value of the `format` field of every JSON map this version writes.
pub const FORMAT: &str = "cjm/1";

fn format_tag() -> String {
    FORMAT.to_string()
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A customer journey map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Always `cjm/1` for this version of the format.
    #[serde(default = "format_tag")]
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The brand promise the journey should keep (`promise:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<String>,
    /// Whether the map shows the journey as it is or as it should become.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<MapState>,
    /// A version label such as `2.1` or `Q3 review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The date the map describes or was reviewed, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub scale: Scale,
    /// Accessible title (Mermaid `accTitle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc_title: Option<String>,
    /// Accessible description (Mermaid `accDescr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc_descr: Option<String>,
    /// Files the map takes personas from (`use`), in the order written.
    /// Their personas are in `personas` too, each marked with its `source`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<PersonaUse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personas: Vec<Persona>,
    /// Metrics the map tracks as a whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// The event log behind the map and how to read it (`data` block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
}

impl Default for Journey {
    fn default() -> Self {
        Journey {
            format: format_tag(),
            title: None,
            description: None,
            promise: None,
            state: None,
            version: None,
            date: None,
            scale: Scale::default(),
            acc_title: None,
            acc_descr: None,
            uses: Vec::new(),
            personas: Vec::new(),
            metrics: Vec::new(),
            data: None,
            stages: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MapState {
    Current,
    Future,
}

impl MapState {
    pub fn as_str(self) -> &'static str {
        match self {
            MapState::Current => "current",
            MapState::Future => "future",
        }
    }
}

/// The range of emotion scores; Mermaid's is 1 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i32,
    pub max: i32,
}

impl Default for Scale {
    fn default() -> Self {
        Scale { min: 1, max: 5 }
    }
}

impl Scale {
    pub fn contains(&self, score: f64) -> bool {
        score >= f64::from(self.min) && score <= f64::from(self.max)
    }
    /// The neutral middle of the scale.
    pub fn midpoint(&self) -> f64 {
        (f64::from(self.min) + f64::from(self.max)) / 2.0
    }
}

/// Where the evidence for a map comes from: a log and the columns to read,
/// as `cjm mine`'s flags say them. Paths are relative to the map file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<String>,
    /// Offset of naive timestamps, e.g. `+02:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_format: Option<String>,
    /// `utf8` or `latin1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `auto`, `all`, `start` or `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    /// The measured funnel's window, e.g. `30d`: a customer is at funnel
    /// step k only when steps 2…k come within it of their first funnel step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// `csv`, `jsonl`, `parquet` or `xes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// Values the `data` block's keys accept (`None`: any text).
pub fn data_choices(key: &str) -> Option<&'static [&'static str]> {
    match key {
        "encoding" => Some(&["utf8", "latin1"]),
        "lifecycle" => Some(&["auto", "all", "start", "complete"]),
        "format" => Some(&["csv", "jsonl", "parquet", "xes"]),
        _ => None,
    }
}

/// `+02:00`, `-0530`, `Z`, `UTC`.
pub fn is_offset(text: &str) -> bool {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return true;
    }
    let Some(rest) = t.strip_prefix(['+', '-']) else { return false };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    (digits.len() == 4 || digits.len() == 2) && digits.chars().all(|c| c.is_ascii_digit())
}

/// A customer archetype whose journey the map tells.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Path or URL of a portrait. For a persona from another file, a
    /// relative path is relative to the map, not to that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The file this persona was taken from (a `use` line's path), when
    /// the map does not declare it itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Persona {
    /// What stands for a missing portrait: the first letters of the first
    /// two words of the name, upper-cased ("?" for a blank name).
    pub fn initials(&self) -> String {
        initials(&self.name)
    }
}

/// [`Persona::initials`] of a name.
pub fn initials(name: &str) -> String {
    let out: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    if out.is_empty() {
        "?".into()
    } else {
        out.to_uppercase()
    }
}

/// A `use` line: personas declared in another `.cjm` file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaUse {
    /// The file's path as written, relative to the map.
    pub path: String,
    /// The personas taken from it; empty means every persona it declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personas: Vec<String>,
}

/// A measure the team tracks: a name, a unit and a target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to compute the metric from the evidence (`measure:`); journey
    /// metrics only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<crate::kpi::Kpi>,
}

/// A phase of the journey (a Mermaid `section`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stable id, derived from the name unless given with `id:`.
    pub id: String,
    /// Empty for the unnamed stage that holds steps before the first section.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// What the brand promise means in this stage (`promise:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// One step of the journey (a Mermaid task) and everything known about it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable id, unique in the map, derived from the name unless given with `id:`.
    pub id: String,
    pub name: String,
    /// The score on the step line; `null` when the step has none (`-`).
    pub score: Option<f64>,
    /// The actors of the step line: the personas the score applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    /// Scores for single personas (`score Sam: 2`), overriding `score`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persona_scores: Vec<PersonaScore>,
    /// The score this step should have in the future state (`future score: 4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub future_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub future_persona_scores: Vec<PersonaScore>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touchpoints: Vec<String>,
    /// What the customer does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doing: Option<String>,
    /// What the customer thinks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// What the customer feels, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeling: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pains: Vec<Pain>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opportunities: Vec<Opportunity>,
    /// Backstage actions: what the company does out of the customer's sight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backstage: Vec<String>,
    /// Support systems (CRM, payment gateway…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<String>,
    /// The department that owns the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// A filter over event attributes that finds this step in a log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// A step not every customer takes (`optional: yes`): measured for its
    /// reach, but left out of the map's funnel, so skipping it is no drop-off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl Step {
    /// The score a persona gives this step: its own `score P:` line, else the
    /// step score when the persona is one of the actors (or there are none).
    pub fn score_for(&self, persona: &str) -> Option<f64> {
        pick(&self.persona_scores, self.score, &self.actors, persona)
    }

    /// The future-state score for a persona, by the same rule.
    pub fn future_score_for(&self, persona: &str) -> Option<f64> {
        pick(&self.future_persona_scores, self.future_score, &self.actors, persona)
    }
}

fn pick(specific: &[PersonaScore], general: Option<f64>, actors: &[String], persona: &str) -> Option<f64> {
    if let Some(s) = specific.iter().find(|s| s.persona == persona) {
        return Some(s.score);
    }
    if actors.is_empty() || actors.iter().any(|a| a == persona) {
        general
    } else {
        None
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaScore {
    pub persona: String,
    pub score: f64,
}

/// A pain point, with a severity from 1 (minor) to 5 (critical).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pain {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub severity: Option<u8>,
}

/// An improvement idea, with what it would bring and cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Opportunity {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::High];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Idea,
    Planned,
    InProgress,
    Done,
    Dropped,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Idea, Status::Planned, Status::InProgress, Status::Done, Status::Dropped];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idea => "idea",
            Status::Planned => "planned",
            Status::InProgress => "in-progress",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }
}

impl Journey {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.stages.iter().flat_map(|s| s.steps.iter())
    }

    /// The names whose emotion curves the map draws: the declared personas,
    /// or, in a plain Mermaid journey, every actor in order of appearance.
    pub fn persona_names(&self) -> Vec<String> {
        if !self.personas.is_empty() {
            return self.personas.iter().map(|p| p.name.clone()).collect();
        }
        let mut names: Vec<String> = Vec::new();
        for step in self.steps() {
            for name in step.actors.iter().chain(step.persona_scores.iter().map(|s| &s.persona)) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }
}
