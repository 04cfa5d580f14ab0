//! Which input column is the customer, the time, the touchpoint, the channel
//! and the score: named by the caller (the CLI's flags, a `.cjm` `data`
//! block, the web app's column fields), or detected from the usual names.

/// The columns' roles, by name. `None` means "detect".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnMap {
    pub case: Option<String>,
    pub time: Option<String>,
    pub activity: Option<String>,
    pub channel: Option<String>,
    pub score: Option<String>,
    /// Extra columns to keep; empty keeps every other column.
    pub attrs: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Case,
    Time,
    Activity,
    Channel,
    Score,
}

impl Role {
    /// The role in the domain's words, e.g. `customer (case) id`.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Case => "customer (case) id",
            Role::Time => "timestamp",
            Role::Activity => "touchpoint (activity)",
            Role::Channel => "channel",
            Role::Score => "score",
        }
    }
    /// Usual names, best first (compared without case, spaces, `_` and `-`).
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Case => &[
                "case:concept:name",
                "caseconceptname",
                "caseid",
                "case",
                "customerid",
                "customer",
                "clientid",
                "userid",
                "user",
                "sessionid",
                "session",
                "accountid",
                "visitorid",
                "personid",
            ],
            Role::Time => &[
                "time:timestamp",
                "timetimestamp",
                "timestamp",
                "completetimestamp",
                "eventtime",
                "time",
                "datetime",
                "date",
                "contactdate",
                "createdat",
                "occurredat",
                "ts",
            ],
            Role::Activity => &[
                "concept:name",
                "conceptname",
                "activity",
                "touchpoint",
                "event",
                "eventname",
                "action",
                "step",
                "task",
                "activityname",
            ],
            Role::Channel => {
                &["channel", "case:channel", "contactchannel", "contactchannelid", "medium", "source", "channelid"]
            }
            Role::Score => &["score", "rating", "satisfaction", "csat", "nps", "sentiment"],
        }
    }
}

/// Why the roles could not be found among a log's columns.
#[derive(Debug)]
pub(crate) struct ColumnError {
    pub kind: crate::ReadErrorKind,
    pub message: String,
}

impl ColumnError {
    /// As a read error of `path` (at `line`, when the header has one).
    pub(crate) fn into_read_error(self, path: &str, line: Option<u64>) -> crate::ReadError {
        crate::ReadError::new(self.kind, path, line, self.message)
    }
}

/// Column names for a message: the first few, each cut to a readable
/// length, and how many more there are.
pub(crate) fn listed(headers: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut out: Vec<String> = headers
        .iter()
        .take(SHOWN)
        .map(|h| if h.chars().count() > 60 { h.chars().take(57).collect::<String>() + "…" } else { h.clone() })
        .collect();
    if headers.len() > SHOWN {
        out.push(format!("and {} more", headers.len() - SHOWN));
    }
    out.join(", ")
}

fn norm(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_lowercase).collect()
}

/// Column positions for each role, and the columns kept as attributes.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub case: usize,
    pub time: usize,
    pub activity: usize,
    pub channel: Option<usize>,
    pub score: Option<usize>,
    /// (column, attribute name, case level?)
    pub attrs: Vec<(usize, String, bool)>,
}

/// Which input column each role was read from, and every column there was:
/// what a user needs to correct a mapping.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceColumns {
    pub all: Vec<String>,
    pub case: String,
    pub time: String,
    pub activity: String,
    pub channel: Option<String>,
    pub score: Option<String>,
}

impl Resolved {
    pub(crate) fn describe(&self, headers: &[String]) -> SourceColumns {
        let name = |i: usize| headers.get(i).cloned().unwrap_or_default();
        SourceColumns {
            all: headers.to_vec(),
            case: name(self.case),
            time: name(self.time),
            activity: name(self.activity),
            channel: self.channel.map(name),
            score: self.score.map(name),
        }
    }
}

impl ColumnMap {
    /// The column of each role (case, time, activity, channel, score)
    /// among `headers`, each found on its own and never an error: the name
    /// given when the headers have it, else the first usual name present.
    /// A detected channel or score is never a column a required role took.
    pub(crate) fn detect(&self, headers: &[String]) -> [Option<usize>; 5] {
        let normed: Vec<String> = headers.iter().map(|h| norm(h)).collect();
        let find = |role: Role, given: &Option<String>| {
            let named = given.as_ref().and_then(|name| {
                let wanted = norm(name);
                headers.iter().position(|h| h == name).or_else(|| normed.iter().position(|h| *h == wanted))
            });
            named.or_else(|| role.candidates().iter().find_map(|c| normed.iter().position(|h| *h == norm(c))))
        };
        let required =
            [find(Role::Case, &self.case), find(Role::Time, &self.time), find(Role::Activity, &self.activity)];
        let optional = |role, given: &Option<String>| {
            find(role, given).filter(|i| given.is_some() || !required.contains(&Some(*i)))
        };
        [
            required[0],
            required[1],
            required[2],
            optional(Role::Channel, &self.channel),
            optional(Role::Score, &self.score),
        ]
    }
}

impl ColumnMap {
    /// Finds every role among `headers`. The error names the missing role
    /// and lists the columns.
    pub(crate) fn resolve(&self, headers: &[String]) -> Result<Resolved, ColumnError> {
        // Each header normalised once, however many names are looked for.
        let normed: Vec<String> = headers.iter().map(|h| norm(h)).collect();
        let find = |role: Role, given: &Option<String>| -> Result<Option<usize>, ColumnError> {
            if let Some(name) = given {
                let wanted = norm(name);
                return headers
                    .iter()
                    .position(|h| h == name)
                    .or_else(|| normed.iter().position(|h| *h == wanted))
                    .map(Some)
                    .ok_or_else(|| ColumnError {
                        kind: crate::ReadErrorKind::UnknownColumn { role: Some(role), name: name.clone() },
                        message: format!(
                            "the {} column `{name}` is not in the log; the columns are: {}",
                            role.describe(),
                            listed(headers)
                        ),
                    });
            }
            for cand in role.candidates() {
                let cand = norm(cand);
                if let Some(i) = normed.iter().position(|h| *h == cand) {
                    return Ok(Some(i));
                }
            }
            Ok(None)
        };
        let required = |role: Role, given: &Option<String>| -> Result<usize, ColumnError> {
            find(role, given)?.ok_or_else(|| ColumnError {
                kind: crate::ReadErrorKind::MissingColumn(role),
                message: format!("no {} column found among: {}", role.describe(), listed(headers)),
            })
        };
        let case = required(Role::Case, &self.case)?;
        let time = required(Role::Time, &self.time)?;
        let activity = required(Role::Activity, &self.activity)?;
        let mut channel = find(Role::Channel, &self.channel)?;
        let mut score = find(Role::Score, &self.score)?;
        // A detected optional column never doubles as a required one.
        for taken in [case, time, activity] {
            if channel == Some(taken) && self.channel.is_none() {
                channel = None;
            }
            if score == Some(taken) && self.score.is_none() {
                score = None;
            }
        }
        let used = [Some(case), Some(time), Some(activity), channel, score];
        let mut attrs = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if used.contains(&Some(i)) && !h.starts_with("case:") {
                continue;
            }
            if !self.attrs.is_empty()
                && !self.attrs.iter().any(|a| a == h || Some(a.as_str()) == h.strip_prefix("case:"))
            {
                continue;
            }
            match h.strip_prefix("case:") {
                Some(rest) if i != case => attrs.push((i, rest.to_string(), true)),
                Some(_) => {}
                None => attrs.push((i, h.clone(), false)),
            }
        }
        for wanted in &self.attrs {
            if !headers.iter().any(|h| h == wanted || h.strip_prefix("case:") == Some(wanted.as_str())) {
                return Err(ColumnError {
                    kind: crate::ReadErrorKind::UnknownColumn { role: None, name: wanted.clone() },
                    message: format!(
                        "the attribute column `{wanted}` is not in the log; the columns are: {}",
                        listed(headers)
                    ),
                });
            }
        }
        Ok(Resolved { case, time, activity, channel, score, attrs })
    }
}

/// The columns of each role and the attributes kept, by name, as this
/// crate's readers resolve them: for an engine that reads a log itself
/// (cjm-spark compiles the reader's rules into SQL over these columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Roles {
    pub case: String,
    pub time: String,
    pub activity: String,
    pub channel: Option<String>,
    pub score: Option<String>,
    /// (column, attribute name, customer level?), in column order.
    pub attrs: Vec<(String, String, bool)>,
}

impl ColumnMap {
    /// The roles among `headers`, or why they cannot be found (the message
    /// names the missing role and lists the columns).
    pub fn roles(&self, headers: &[String]) -> Result<Roles, String> {
        let r = self.resolve(headers).map_err(|e| e.message)?;
        let name = |i: usize| headers[i].clone();
        Ok(Roles {
            case: name(r.case),
            time: name(r.time),
            activity: name(r.activity),
            channel: r.channel.map(name),
            score: r.score.map(name),
            attrs: r.attrs.into_iter().map(|(i, attr, case_level)| (name(i), attr, case_level)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_pm4py_and_plain_names() {
        let r = ColumnMap::default()
            .resolve(&h(&["case:concept:name", "concept:name", "time:timestamp", "case:channel", "org:resource"]))
            .unwrap();
        assert_eq!((r.case, r.activity, r.time, r.channel), (0, 1, 2, Some(3)));
        assert_eq!(r.attrs, vec![(3, "channel".to_string(), true), (4, "org:resource".to_string(), false)]);
        let r =
            ColumnMap::default().resolve(&h(&["customer_id", "timestamp", "touchpoint", "channel", "score"])).unwrap();
        assert_eq!((r.case, r.time, r.activity, r.channel, r.score), (0, 1, 2, Some(3), Some(4)));
        let r = ColumnMap::default().resolve(&h(&["Case ID", "Activity", "Complete Timestamp", "Age"])).unwrap();
        assert_eq!((r.case, r.activity, r.time), (0, 1, 2));
    }

    #[test]
    fn missing_roles_say_which_flag_to_use() {
        let e = ColumnMap::default().resolve(&h(&["who", "when", "what"])).unwrap_err();
        assert_eq!(e.kind, crate::ReadErrorKind::MissingColumn(Role::Case));
        assert_eq!(e.message, "no customer (case) id column found among: who, when, what");
        let m = ColumnMap {
            case: Some("who".into()),
            time: Some("when".into()),
            activity: Some("wat".into()),
            ..Default::default()
        };
        let e = m.resolve(&h(&["who", "when", "what"])).unwrap_err();
        assert_eq!(e.kind, crate::ReadErrorKind::UnknownColumn { role: Some(Role::Activity), name: "wat".into() });
        assert!(e.message.contains("the touchpoint (activity) column `wat` is not in the log"), "{}", e.message);
    }
}
