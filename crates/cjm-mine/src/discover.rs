//! A draft map from data: the steps customers mostly take, ready for a CX
//! designer to edit.
//!
//! The main path is the most frequent variant with repeats removed, extended
//! along the most frequent transitions of the directly-follows graph to
//! touchpoints not yet on it, plus every other touchpoint that at least a
//! tenth of the customers meet, placed at its usual position. The path is cut
//! into stages of about equal length; steps off the most frequent variant
//! are marked optional (left out of the measured funnel). Each step gets its touchpoint's mean
//! score (mapped onto 1..5), its most common channels, an evidence rule that
//! finds it, and its measured reach as a comment.

use crate::{journeys, summary};
use cjm_events::{EventLog, NONE};
use cjm_syntax::escape::{escape_name, escape_value};
use cjm_syntax::evidence::{CmpOp, Expr, Literal};
use std::fmt::Write;

pub struct DiscoverOptions {
    pub title: String,
    pub source: String,
    pub max_steps: usize,
}

pub fn discover(log: &EventLog, opts: &DiscoverOptions) -> String {
    let j = journeys::build(log);
    let s = summary::summarize(log, &j, &[], 1);
    let reach = reach_by_touchpoint(log, &s);
    let path = main_path(log, &j, &s, &reach, opts.max_steps);
    write_draft(log, &s, &reach, &path, opts)
}

/// Customers who meet each touchpoint, by activity id.
fn reach_by_touchpoint(log: &EventLog, s: &crate::Summary) -> Vec<u64> {
    let mut r = vec![0u64; log.activities.len()];
    for t in &s.touchpoints {
        if let Some(a) = log.activities.lookup(&t.touchpoint) {
            r[a as usize] = t.customers;
        }
    }
    r
}

/// The steps of the draft: the top variant without repeats, extended along
/// the most frequent transitions, plus the touchpoints a tenth of the
/// customers meet at their usual position; at most `max_steps`.
fn main_path(log: &EventLog, j: &journeys::Journeys, s: &crate::Summary, reach: &[u64], max_steps: usize) -> Vec<u32> {
    let n_act = log.activities.len();
    let customers = s.n_customers.max(1);
    // Mean position (0..1) of each touchpoint in the journeys it appears in.
    let mut pos_sum = vec![0f64; n_act];
    let mut pos_n = vec![0u64; n_act];
    for c in 0..j.slots() {
        let acts = &j.acts[j.range(c)];
        let len = acts.len().max(2) as f64 - 1.0;
        for (i, &a) in acts.iter().enumerate() {
            pos_sum[a as usize] += i as f64 / len;
            pos_n[a as usize] += 1;
        }
    }
    let position = |a: u32| if pos_n[a as usize] > 0 { pos_sum[a as usize] / pos_n[a as usize] as f64 } else { 1.0 };

    let mut path: Vec<u32> = Vec::new();
    if let Some(top) = s.top_variants.first() {
        for name in &top.sequence {
            let a = log.activities.lookup(name).unwrap_or(NONE);
            if a != NONE && !path.contains(&a) {
                path.push(a);
            }
        }
    }
    // Extend along the most frequent transitions out of the last step.
    let edges: Vec<(u32, u32, u64)> = s
        .dfg
        .iter()
        .filter_map(|e| Some((log.activities.lookup(&e.from)?, log.activities.lookup(&e.to)?, e.count)))
        .collect();
    while path.len() < max_steps {
        let Some(&last) = path.last() else { break };
        let next = edges.iter().filter(|(a, b, _)| *a == last && !path.contains(b)).max_by_key(|(_, _, c)| *c);
        match next {
            Some(&(_, b, count)) if count * 20 >= customers => path.push(b),
            _ => break,
        }
    }
    // Add the touchpoints a tenth of the customers meet, by usual position.
    let mut others: Vec<u32> =
        (0..n_act as u32).filter(|a| !path.contains(a) && reach[*a as usize] * 10 >= customers).collect();
    others.sort_by(|a, b| reach[*b as usize].cmp(&reach[*a as usize]));
    for a in others {
        if path.len() >= max_steps {
            break;
        }
        let p = position(a);
        let at = path.iter().position(|&x| position(x) > p).unwrap_or(path.len());
        path.insert(at, a);
    }
    along_dominant_order(&path, &first_before(j, &path))
}

/// `before[x][y]`: the customers whose first `path[x]` comes before their
/// first `path[y]` (customers with both; positions in contract order).
fn first_before(j: &journeys::Journeys, path: &[u32]) -> Vec<Vec<u64>> {
    let n = path.len();
    let mut before = vec![vec![0u64; n]; n];
    let mut step_of = vec![usize::MAX; path.iter().max().map_or(0, |&m| m as usize + 1)];
    for (k, &a) in path.iter().enumerate() {
        step_of[a as usize] = k;
    }
    let mut first = vec![usize::MAX; n];
    for c in 0..j.slots() {
        first.fill(usize::MAX);
        for (i, &a) in j.acts[j.range(c)].iter().enumerate() {
            if let Some(&k) = step_of.get(a as usize).filter(|&&k| k != usize::MAX) {
                first[k] = first[k].min(i);
            }
        }
        for x in 0..n {
            for y in 0..n {
                if x != y && first[x] < first[y] && first[y] != usize::MAX {
                    before[x][y] += 1;
                }
            }
        }
    }
    before
}

/// The steps reordered so that each one comes before the next for at least
/// as many customers as the other way round (of those who have both): each
/// step, in the draft's order, goes right after the last placed step that
/// precedes it, which the step then precedes in turn (so the order is a
/// path through the "comes first" tournament, Rédei's theorem).
fn along_dominant_order(path: &[u32], before: &[Vec<u64>]) -> Vec<u32> {
    let precedes = |x: usize, y: usize| before[x][y] >= before[y][x];
    let mut order: Vec<usize> = Vec::with_capacity(path.len());
    for k in 0..path.len() {
        let at = order.iter().rposition(|&x| precedes(x, k)).map_or(0, |i| i + 1);
        order.insert(at, k);
    }
    order.into_iter().map(|k| path[k]).collect()
}

/// The draft as `.cjm` text: a comment on where it comes from, the header,
/// and the path cut into stages, each step with its score, channels, an
/// evidence rule and its reach.
fn write_draft(log: &EventLog, s: &crate::Summary, reach: &[u64], path: &[u32], opts: &DiscoverOptions) -> String {
    let customers = s.n_customers.max(1);
    let observed = crate::measure::observed_score_range(log);
    let score_of = |a: u32| -> Option<f64> {
        let mean = s.touchpoints.iter().find(|t| t.touchpoint == log.activities.get(a))?.mean_score?;
        let mapped = crate::measure::onto_scale(mean, observed, (1.0, 5.0));
        Some((mapped * 10.0).round() / 10.0)
    };
    let channels_of = channels_by_touchpoint(log);
    // Steps off the most frequent variant are ones many customers skip.
    let dominant: Vec<&str> =
        s.top_variants.first().map_or(Vec::new(), |v| v.sequence.iter().map(String::as_str).collect());

    let mut out = String::new();
    let _ =
        writeln!(out, "%% Draft discovered by `cjm discover` from {}: edit freely.", opts.source.replace('\n', " "));
    let _ = writeln!(
        out,
        "%% {} customers, {} events, {} variants; steps follow the dominant path.",
        s.n_customers, s.n_events, s.n_variants
    );
    if log.stats.lifecycle_skipped > 0 {
        let _ = writeln!(
            out,
            "%% {} start (and other non-complete) events left out: the log has start/complete pairs, so each activity counts once, at completion.",
            log.stats.lifecycle_skipped
        );
    }
    let _ = writeln!(out, "journey");
    let _ = writeln!(out, "  title {}", cjm_syntax::escape::escape_text(&opts.title, &['#']));
    let _ = writeln!(
        out,
        "  description: {}",
        escape_value(&format!("Discovered from {} ({} customers, {} events).", opts.source, s.n_customers, s.n_events))
    );
    let _ = writeln!(out, "  state current");
    let stages = ((path.len() as f64 / 3.0).round() as usize).clamp(1, 5);
    let names: &[&str] = match stages {
        1 => &["Journey"],
        2 => &["Beginning", "End"],
        3 => &["Beginning", "Middle", "End"],
        _ => &[],
    };
    for (si, chunk) in chunks(path, stages).into_iter().enumerate() {
        let name = names.get(si).map_or(format!("Stage {}", si + 1), |n| n.to_string());
        let _ = writeln!(out, "\n  section {name}");
        for &a in chunk {
            let touchpoint = log.activities.get(a);
            let r = reach[a as usize];
            let _ = writeln!(out, "    %% reached by {r} customers ({:.1}%)", r as f64 * 100.0 / customers as f64);
            let score = score_of(a).map_or("-".to_string(), |v| format!("{v}"));
            let _ = writeln!(out, "    {}: {score}", escape_name(touchpoint));
            if let Some(chs) = channels_of.get(&a) {
                let list: Vec<String> = chs.iter().map(|c| escape_value(c).replace(',', "\\,")).collect();
                let _ = writeln!(out, "      channel: {}", list.join(", "));
            }
            if !dominant.contains(&touchpoint) {
                let _ = writeln!(out, "      optional: yes");
            }
            let rule = Expr::Compare {
                field: "touchpoint".into(),
                op: CmpOp::Eq,
                value: Literal::Text(touchpoint.to_string()),
            };
            let _ = writeln!(out, "      evidence: {rule}");
        }
    }
    out
}

/// Cuts a path into `n` parts of about equal length.
fn chunks(path: &[u32], n: usize) -> Vec<&[u32]> {
    let n = n.min(path.len()).max(1);
    (0..n).map(|i| &path[i * path.len() / n..(i + 1) * path.len() / n]).filter(|c| !c.is_empty()).collect()
}

/// The one or two most common channels of each touchpoint (those on at
/// least a fifth of its events).
fn channels_by_touchpoint(log: &EventLog) -> rustc_hash::FxHashMap<u32, Vec<String>> {
    let mut counts: rustc_hash::FxHashMap<(u32, u32), u64> = rustc_hash::FxHashMap::default();
    let mut totals: rustc_hash::FxHashMap<u32, u64> = rustc_hash::FxHashMap::default();
    for (&a, &c) in log.activity.iter().zip(&log.channel) {
        if c != NONE {
            *counts.entry((a, c)).or_insert(0) += 1;
            *totals.entry(a).or_insert(0) += 1;
        }
    }
    let mut by_act: rustc_hash::FxHashMap<u32, Vec<(u64, u32)>> = rustc_hash::FxHashMap::default();
    for ((a, c), n) in counts {
        by_act.entry(a).or_default().push((n, c));
    }
    by_act
        .into_iter()
        .map(|(a, mut v)| {
            v.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            let total = totals[&a];
            let keep: Vec<String> = v
                .iter()
                .take(2)
                .filter(|(n, _)| n * 5 >= total)
                .map(|(_, c)| log.channels.get(*c).to_string())
                .collect();
            (a, keep)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}
