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
//! most frequent, are grouped into one `Other` node. Nodes are ordered by
//! column, then touchpoints by customers (ties by name bytes), then
//! `Other`, then `End`.

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

#[derive(Clone, Debug)]
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

const END: u32 = u32::MAX;
/// A node while counting: its column and its label.
type Node = (usize, u32);
const OTHER: u32 = u32::MAX - 1;

/// The flows of `spec` over the journeys `j` of `log`. Work and memory are
/// linear in the events plus customers × depth.
pub fn paths(log: &EventLog, j: &Journeys, spec: &PathsSpec) -> Paths {
    let depth = spec.depth.clamp(1, MAX_DEPTH);
    let cols = depth + 1;
    let target = match &spec.anchor {
        Anchor::Start => None,
        Anchor::From(t) | Anchor::Into(t) => Some(log.activities.lookup(t)),
    };
    let backwards = matches!(spec.anchor, Anchor::Into(_));
    // One row of `cols` labels per anchored customer.
    let mut rows: Vec<u32> = Vec::new();
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
        for k in 0..cols {
            let i = if backwards { at.checked_sub(depth - k) } else { Some(at + k) };
            rows.push(i.and_then(|i| acts.get(i)).copied().unwrap_or(END));
        }
        if backwards {
            // Before the journey began: the start marker fills the front.
            let row = rows.len() - cols;
            let first_real = rows[row..].iter().position(|&a| a != END).unwrap_or(0);
            if first_real > 0 {
                rows[row..row + first_real - 1].fill(u32::MAX - 2);
            }
        }
    }
    let anchored = rows.len() / cols;
    group_rare(&mut rows, cols, anchored, spec);
    build(log, j.customers() as u64, anchored as u64, &rows, cols, backwards)
}

/// Replaces, column by column, the touchpoints under the share or beyond
/// the per-column count by `OTHER`.
fn group_rare(rows: &mut [u32], cols: usize, anchored: usize, spec: &PathsSpec) {
    let floor = (spec.min_share.max(0.0) * anchored as f64).ceil() as u64;
    for k in 0..cols {
        let mut counts: FxHashMap<u32, u64> = FxHashMap::default();
        for r in rows.chunks(cols) {
            if r[k] < OTHER - 1 {
                *counts.entry(r[k]).or_insert(0) += 1;
            }
        }
        let mut ranked: Vec<(u32, u64)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let kept: rustc_hash::FxHashSet<u32> =
            ranked.iter().take(spec.per_column.max(1)).filter(|x| x.1 >= floor.max(1)).map(|x| x.0).collect();
        for r in rows.chunks_mut(cols) {
            if r[k] < OTHER - 1 && !kept.contains(&r[k]) {
                r[k] = OTHER;
            }
        }
    }
}

/// Nodes and links from the labelled rows; a row stops at its first `END`
/// (forwards) or starts after its last start marker (backwards).
fn build(log: &EventLog, customers: u64, anchored: u64, rows: &[u32], cols: usize, backwards: bool) -> Paths {
    let start_marker = u32::MAX - 2;
    let mut node_count: FxHashMap<(usize, u32), u64> = FxHashMap::default();
    let mut link_count: FxHashMap<(Node, Node), u64> = FxHashMap::default();
    for r in rows.chunks(cols) {
        let mut prev: Option<(usize, u32)> = None;
        for (k, &label) in r.iter().enumerate() {
            if label == start_marker {
                continue;
            }
            let node = (k, label);
            *node_count.entry(node).or_insert(0) += 1;
            if let Some(p) = prev {
                *link_count.entry((p, node)).or_insert(0) += 1;
            }
            prev = Some(node);
            if label == END && !backwards {
                break;
            }
        }
    }
    let name = |label: u32| -> (String, NodeKind) {
        match label {
            END if backwards => ("journey starts".to_string(), NodeKind::End),
            END => ("journey ends".to_string(), NodeKind::End),
            OTHER => ("other".to_string(), NodeKind::Other),
            a => (log.activities.get(a).to_string(), NodeKind::Touchpoint),
        }
    };
    let mut nodes: Vec<(PathNode, (usize, u32))> = node_count
        .into_iter()
        .map(|(key, n)| {
            let (name, kind) = name(key.1);
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
    let index: FxHashMap<(usize, u32), usize> = nodes.iter().enumerate().map(|(i, n)| (n.1, i)).collect();
    let mut links: Vec<PathLink> =
        link_count.into_iter().map(|((a, b), n)| PathLink { from: index[&a], to: index[&b], customers: n }).collect();
    links.sort_by_key(|l| (l.from, l.to));
    Paths { customers, anchored, nodes: nodes.into_iter().map(|n| n.0).collect(), links }
}
