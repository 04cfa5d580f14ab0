//! Paths: where customers go from a touchpoint (or how they arrive at
//! one), a few steps deep, as the flows of a Sankey diagram.
//!
//! Each customer is anchored once: at their first event ([`Anchor::Start`]),
//! at the first time they meet the chosen touchpoint ([`Anchor::From`]),
//! or at the first time they meet the touchpoint they arrive at
//! ([`Anchor::Into`], read backwards). Column 0 is the anchor for the first
//! two; for `Into` the anchor is the last column. A journey that ends (or,
//! backwards, begins) before the last column flows into an `End` node and
//! stops there. In every column, touchpoints reached by fewer than
//! `min_share` of the anchored customers, and any beyond the `per_column`
//! most frequent (ties by name bytes), are grouped into one `Other` node.
//! Nodes are ordered by column, then touchpoints by customers (ties by
//! name bytes), then `Other`, then `End`.
//!
//! A backend counts [`PathParts`] (rows per label and per pair of labels);
//! [`finish_paths`] groups and orders them, the same for every backend.

use crate::journeys::Journeys;
use cjm_events::EventLog;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Where each customer's path is anchored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The customer's first event.
    Start,
    /// The first event with this touchpoint; the flows go forward.
    From(String),
    /// The first event with this touchpoint; the flows lead into it.
    Into(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathsSpec {
    pub anchor: Anchor,
    /// Steps from the anchor (1 to [`MAX_DEPTH`]).
    pub depth: usize,
    /// A touchpoint below this share of anchored customers in a column goes to `Other`.
    pub min_share: f64,
    /// At most this many touchpoints per column; the rest go to `Other`.
    pub per_column: usize,
}

/// The deepest a path goes.
pub const MAX_DEPTH: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Touchpoint,
    /// Rare touchpoints of the column, grouped.
    Other,
    /// The journey ended (forwards) or began (backwards) before this column.
    End,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathNode {
    pub column: usize,
    pub name: String,
    pub kind: NodeKind,
    pub customers: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathLink {
    /// Indexes into [`Paths::nodes`].
    pub from: usize,
    pub to: usize,
    pub customers: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paths {
    /// Customers with at least one event (after filters).
    pub customers: u64,
    /// Customers the anchor holds for (all of them for `Start`).
    pub anchored: u64,
    pub nodes: Vec<PathNode>,
    pub links: Vec<PathLink>,
}

/// A label of a path's column, as every backend counts it: a touchpoint,
/// or the end (forwards) or start (backwards) of the journey. `Other` is
/// not a label here: [`finish_paths`] groups the rare touchpoints.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    Touchpoint(String),
    End,
}

/// The exact parts of the paths, before rare touchpoints are grouped:
/// what a backend counts for [`finish_paths`]. A row is one anchored
/// customer's labels, column by column; it counts up to and including
/// its first `End` forwards, and from the `End` before its first
/// touchpoint backwards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PathParts {
    /// Customers with at least one event.
    pub customers: u64,
    pub anchored: u64,
    /// Rows per (column, label).
    pub nodes: Vec<(usize, Label, u64)>,
    /// Rows per (column, its label, the next column's label).
    pub links: Vec<(usize, Label, Label, u64)>,
}

/// The flows of `spec` over the journeys `j` of `log`. Work and memory are
/// linear in the events plus customers × depth.
pub fn paths(log: &EventLog, j: &Journeys, spec: &PathsSpec) -> Paths {
    finish_paths(path_parts(log, j, spec), spec)
}

/// A journey ends (forwards) or begins (backwards) before this column.
const END: u32 = u32::MAX;
/// Backwards, the columns before the one where the journey starts.
const BEFORE: u32 = u32::MAX - 1;

/// The parts of [`paths`] over the journeys `j` of `log`.
pub fn path_parts(log: &EventLog, j: &Journeys, spec: &PathsSpec) -> PathParts {
    let depth = spec.depth.clamp(1, MAX_DEPTH);
    let cols = depth + 1;
    let target = match &spec.anchor {
        Anchor::Start => None,
        Anchor::From(t) | Anchor::Into(t) => Some(log.activities.lookup(t)),
    };
    let backwards = matches!(spec.anchor, Anchor::Into(_));
    let mut nodes: FxHashMap<(usize, u32), u64> = FxHashMap::default();
    let mut links: FxHashMap<(usize, u32, u32), u64> = FxHashMap::default();
    let mut anchored = 0;
    let mut row = vec![END; cols];
    for c in 0..j.slots() {
        let acts = &j.acts[j.range(c)];
        if acts.is_empty() {
            continue;
        }
        let at = match target {
            None => 0,
            Some(None) => continue,
            Some(Some(t)) => match acts.iter().position(|&a| a == t) {
                Some(i) => i,
                None => continue,
            },
        };
        anchored += 1;
        for (k, label) in row.iter_mut().enumerate() {
            *label = if backwards {
                match (at + k).checked_sub(depth) {
                    Some(i) => acts[i],
                    None if at + k + 1 == depth => END,
                    None => BEFORE,
                }
            } else {
                acts.get(at + k).copied().unwrap_or(END)
            };
        }
        count_row(&row, backwards, &mut nodes, &mut links);
    }
    let label = |a: u32| if a == END { Label::End } else { Label::Touchpoint(log.activities.get(a).to_string()) };
    PathParts {
        customers: j.customers() as u64,
        anchored,
        nodes: nodes.into_iter().map(|((k, a), n)| (k, label(a), n)).collect(),
        links: links.into_iter().map(|((k, a, b), n)| (k, label(a), label(b), n)).collect(),
    }
}

/// Counts one row's nodes and links: forwards up to its first `END`,
/// backwards from the first column that is not `BEFORE`.
fn count_row(
    row: &[u32],
    backwards: bool,
    nodes: &mut FxHashMap<(usize, u32), u64>,
    links: &mut FxHashMap<(usize, u32, u32), u64>,
) {
    let mut prev: Option<u32> = None;
    for (k, &label) in row.iter().enumerate() {
        if label == BEFORE {
            continue;
        }
        *nodes.entry((k, label)).or_insert(0) += 1;
        if let Some(p) = prev {
            *links.entry((k - 1, p, label)).or_insert(0) += 1;
        }
        prev = Some(label);
        if label == END && !backwards {
            break;
        }
    }
}

/// A node while grouping: its column and label, `None` for `Other`.
type Key = (usize, Option<Label>);

/// The paths of `parts`: in each column the touchpoints under
/// `spec.min_share` of the anchored customers, and those beyond the
/// `spec.per_column` most frequent (ties by name bytes), become one
/// `Other` node; nodes are ordered by column, kind, customers (more
/// first), name bytes; links by their nodes.
pub fn finish_paths(parts: PathParts, spec: &PathsSpec) -> Paths {
    let floor = ((spec.min_share.max(0.0) * parts.anchored as f64).ceil() as u64).max(1);
    let mut by_column: FxHashMap<usize, Vec<(&str, u64)>> = FxHashMap::default();
    for (k, label, n) in &parts.nodes {
        if let Label::Touchpoint(t) = label {
            by_column.entry(*k).or_default().push((t.as_str(), *n));
        }
    }
    let mut kept: rustc_hash::FxHashSet<(usize, &str)> = rustc_hash::FxHashSet::default();
    for (k, ranked) in &mut by_column {
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
        kept.extend(ranked.iter().take(spec.per_column.max(1)).filter(|x| x.1 >= floor).map(|x| (*k, x.0)));
    }
    let grouped = |k: usize, label: &Label| -> Key {
        match label {
            Label::Touchpoint(t) if !kept.contains(&(k, t.as_str())) => (k, None),
            other => (k, Some(other.clone())),
        }
    };
    let mut node_count: FxHashMap<Key, u64> = FxHashMap::default();
    for (k, label, n) in &parts.nodes {
        *node_count.entry(grouped(*k, label)).or_insert(0) += n;
    }
    let mut link_count: FxHashMap<(Key, Key), u64> = FxHashMap::default();
    for (k, a, b, n) in &parts.links {
        *link_count.entry((grouped(*k, a), grouped(k + 1, b))).or_insert(0) += n;
    }
    let backwards = matches!(spec.anchor, Anchor::Into(_));
    let name = |label: &Option<Label>| -> (String, NodeKind) {
        match label {
            Some(Label::End) if backwards => ("journey starts".to_string(), NodeKind::End),
            Some(Label::End) => ("journey ends".to_string(), NodeKind::End),
            None => ("other".to_string(), NodeKind::Other),
            Some(Label::Touchpoint(t)) => (t.clone(), NodeKind::Touchpoint),
        }
    };
    let mut nodes: Vec<(PathNode, Key)> = node_count
        .into_iter()
        .map(|(key, n)| {
            let (name, kind) = name(&key.1);
            (PathNode { column: key.0, name, kind, customers: n }, key)
        })
        .collect();
    let kind_rank = |k: NodeKind| match k {
        NodeKind::Touchpoint => 0,
        NodeKind::Other => 1,
        NodeKind::End => 2,
    };
    nodes.sort_by(|a, b| {
        (a.0.column, kind_rank(a.0.kind))
            .cmp(&(b.0.column, kind_rank(b.0.kind)))
            .then(b.0.customers.cmp(&a.0.customers))
            .then_with(|| a.0.name.as_bytes().cmp(b.0.name.as_bytes()))
    });
    let index: FxHashMap<&Key, usize> = nodes.iter().enumerate().map(|(i, n)| (&n.1, i)).collect();
    let mut links: Vec<PathLink> =
        link_count.iter().map(|((a, b), n)| PathLink { from: index[a], to: index[b], customers: *n }).collect();
    links.sort_by_key(|l| (l.from, l.to));
    Paths {
        customers: parts.customers,
        anchored: parts.anchored,
        nodes: nodes.into_iter().map(|n| n.0).collect(),
        links,
    }
}
