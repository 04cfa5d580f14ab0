//! Which property keys are allowed where, and what shape their values take.

/// Where a `key: value` line stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Journey,
    Persona,
    Metric,
    Data,
    Stage,
    Step,
}

impl Context {
    pub fn describe(self) -> &'static str {
        match self {
            Context::Journey => "the journey",
            Context::Persona => "a persona",
            Context::Metric => "a metric",
            Context::Data => "the data block",
            Context::Stage => "a section",
            Context::Step => "a step",
        }
    }

    /// Plain keys (one word) allowed in this context.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Context::Journey => &["description", "promise"],
            Context::Persona => &["description", "goal", "need", "pain", "quote", "segment", "image"],
            Context::Metric => &["description", "measure"],
            Context::Data => DATA_KEYS,
            Context::Stage => &["id", "goal", "promise", "description"],
            Context::Step => STEP_KEYS,
        }
    }

    pub fn knows(self, key: &str) -> bool {
        self.keys().contains(&key)
    }
}

/// How to read the map's event log (the flags of `cjm mine`).
const DATA_KEYS: &[&str] = &[
    "case",
    "time",
    "activity",
    "channel",
    "score",
    "attr",
    "tz",
    "time-format",
    "encoding",
    "lifecycle",
    "format",
    "window",
];

const STEP_KEYS: &[&str] = &[
    "id",
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
    "evidence",
    "optional",
    "score",
    "future score",
];

/// Keys whose value may end in `[key value, …]` attributes.
pub fn takes_attrs(key: &str) -> bool {
    matches!(key, "pain" | "opportunity" | "metric")
}

/// Keys that name a persona after the key word: `score Sam: 4`.
pub fn takes_qualifier(key: &str) -> bool {
    matches!(key, "score" | "future score")
}

/// Keys that may be given only once per owner.
pub fn single_valued(context: Context, key: &str) -> bool {
    match context {
        Context::Step => matches!(key, "id" | "doing" | "thinking" | "feeling" | "owner" | "evidence" | "optional"),
        Context::Persona => matches!(key, "description" | "quote" | "segment" | "image"),
        Context::Stage => matches!(key, "id" | "goal" | "promise" | "description"),
        Context::Journey => matches!(key, "description" | "promise"),
        Context::Metric => matches!(key, "description" | "measure"),
        Context::Data => key != "attr",
    }
}

/// Attributes allowed inside `[…]` after each key.
pub fn attrs_for(key: &str) -> &'static [&'static str] {
    match key {
        "pain" => &["severity"],
        "opportunity" => &["impact", "effort", "status", "owner"],
        "metric" => &["unit", "target"],
        _ => &[],
    }
}

/// The closest candidate to a misspelt word, when it is close enough to be a
/// plausible typo.
///
/// Bounded work: a word longer than [`SUGGEST_LONGEST`] characters gets no
/// suggestion, a candidate whose length alone rules it out is not compared,
/// and at most [`SUGGEST_AMONG`] candidates are looked at.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.chars().count() > SUGGEST_LONGEST {
        return None;
    }
    let lower = word.to_lowercase();
    let chars = lower.chars().count();
    candidates
        .into_iter()
        .take(SUGGEST_AMONG)
        .filter(|&c| c != word)
        .filter_map(|c| {
            let limit = (c.len() / 3).max(1);
            let c_lower = c.to_lowercase();
            // The distance is at least the difference in length.
            (c_lower.chars().count().abs_diff(chars) <= limit)
                .then(|| (c, strsim::damerau_levenshtein(&lower, &c_lower)))
        })
        .filter(|&(c, d)| d <= (c.len() / 3).max(1))
        .min_by_key(|&(_, d)| d)
        .map(|(c, _)| c)
}

/// Words longer than this get no "did you mean".
pub const SUGGEST_LONGEST: usize = 64;
/// Candidates looked at for one "did you mean".
pub const SUGGEST_AMONG: usize = 10_000;
