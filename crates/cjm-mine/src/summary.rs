//! The in-memory engine for the [`Summary`] contract: one pass over the
//! journeys per core, merged.

use crate::contract::*;
use crate::exact::ExactSum;
use crate::journeys::Journeys;
use crate::parts::{finish, EdgeParts, SummaryParts, TouchpointParts};
use cjm_events::{Dict, EventLog, NONE, UNKNOWN_TIME};
use rustc_hash::FxHashMap;

/// Transition statistics: occurrences and the sum of their durations.
#[derive(Clone, Copy, Default)]
struct EdgeAcc {
    count: u64,
    /// Occurrences whose both times are known.
    timed: u64,
    micros: i128,
}

/// Dense matrix for few touchpoints, a hash map for many.
enum Edges {
    Dense { n: usize, cells: Vec<EdgeAcc> },
    Sparse(FxHashMap<(u32, u32), EdgeAcc>),
}

impl Edges {
    fn new(n: usize) -> Edges {
        if n <= 512 {
            Edges::Dense { n, cells: vec![EdgeAcc::default(); n * n] }
        } else {
            Edges::Sparse(FxHashMap::default())
        }
    }
    #[inline]
    fn add(&mut self, a: u32, b: u32, micros: Option<i64>) {
        let acc = match self {
            Edges::Dense { n, cells } => &mut cells[a as usize * *n + b as usize],
            Edges::Sparse(map) => map.entry((a, b)).or_default(),
        };
        acc.count += 1;
        if let Some(us) = micros {
            acc.timed += 1;
            acc.micros += i128::from(us);
        }
    }
    fn merge(&mut self, other: Edges) {
        match (self, other) {
            (Edges::Dense { cells, .. }, Edges::Dense { cells: o, .. }) => {
                for (c, x) in cells.iter_mut().zip(o) {
                    c.count += x.count;
                    c.timed += x.timed;
                    c.micros += x.micros;
                }
            }
            (Edges::Sparse(map), Edges::Sparse(o)) => {
                for (k, x) in o {
                    let c = map.entry(k).or_default();
                    c.count += x.count;
                    c.timed += x.timed;
                    c.micros += x.micros;
                }
            }
            _ => unreachable!("partials use the same layout"),
        }
    }
    fn entries(&self) -> Vec<((u32, u32), EdgeAcc)> {
        match self {
            Edges::Dense { n, cells } => cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.count > 0)
                .map(|(i, c)| (((i / n) as u32, (i % n) as u32), *c))
                .collect(),
            Edges::Sparse(map) => map.iter().map(|(k, c)| (*k, *c)).collect(),
        }
    }
}

struct Partial {
    customers: u64,
    edges: Edges,
    starts: Vec<u64>,
    ends: Vec<u64>,
    customers_per_act: Vec<u64>,
    /// Each distinct variant once, as [`encode_variant`] writes it.
    variants: Dict,
    /// Customers per variant id.
    variant_counts: Vec<u64>,
    reached: Vec<u64>,
}

/// A journey's touchpoints as text, one char per touchpoint id (two for
/// ids from 0xD800 on), so variants are counted in a [`Dict`]: most
/// variants are a few bytes and compare inside the dictionary's slots, and
/// a batch is looked up with prefetching. On the bench's 1e7 events with
/// 1.9 million distinct variants the summary went from 443–477 ms (a hash
/// map keyed by slices) to 224–313 ms (`cargo bench -p cjm-mine --bench
/// journeys`).
fn encode_variant(acts: &[u32], out: &mut String) {
    for &a in acts {
        match char::from_u32(a).filter(|_| a < 0xD800) {
            Some(c) => out.push(c),
            None => {
                // High part in U+E000.., low part in U+20000..: neither
                // range holds a one-char id, so decoding is unambiguous.
                out.push(char::from_u32(0xE000 + (a >> 16)).expect("U+E000..U+1DFFF are chars"));
                out.push(char::from_u32(0x2_0000 + (a & 0xFFFF)).expect("U+20000..U+2FFFF are chars"));
            }
        }
    }
}

/// The touchpoint ids [`encode_variant`] wrote.
fn decode_variant(text: &str) -> Vec<u32> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let c = c as u32;
        if c < 0xD800 {
            out.push(c);
        } else {
            let low = chars.next().map_or(0, |l| l as u32 - 0x2_0000);
            out.push(((c - 0xE000) << 16) | low);
        }
    }
    out
}

/// Customers counted per variant a batch at a time.
const VARIANT_BATCH: usize = 4096;

fn partial(j: &Journeys, c0: usize, c1: usize, n_act: usize, funnel: &[u32]) -> Partial {
    let mut p = Partial {
        customers: 0,
        edges: Edges::new(n_act),
        starts: vec![0; n_act],
        ends: vec![0; n_act],
        customers_per_act: vec![0; n_act],
        variants: Dict::default(),
        variant_counts: Vec::new(),
        reached: vec![0; funnel.len()],
    };
    let mut last_seen = vec![usize::MAX; n_act];
    let (mut text, mut cuts, mut ids) = (String::new(), Vec::new(), Vec::new());
    let mut count_variants = |p: &mut Partial, text: &mut String, cuts: &mut Vec<usize>| {
        let mut from = 0;
        let batch: Vec<&str> = cuts
            .iter()
            .map(|&to| {
                let v = &text[from..to];
                from = to;
                v
            })
            .collect();
        ids.clear();
        p.variants.intern_all(&batch, &mut ids);
        p.variant_counts.resize(p.variants.len(), 0);
        for &id in &ids {
            p.variant_counts[id as usize] += 1;
        }
        text.clear();
        cuts.clear();
    };
    for c in c0..c1 {
        let r = j.range(c);
        if r.is_empty() {
            continue;
        }
        p.customers += 1;
        let acts = &j.acts[r.clone()];
        let times = &j.times[r];
        p.starts[acts[0] as usize] += 1;
        p.ends[acts[acts.len() - 1] as usize] += 1;
        encode_variant(acts, &mut text);
        cuts.push(text.len());
        if cuts.len() == VARIANT_BATCH {
            count_variants(&mut p, &mut text, &mut cuts);
        }
        for &a in acts {
            if last_seen[a as usize] != c {
                last_seen[a as usize] = c;
                p.customers_per_act[a as usize] += 1;
            }
        }
        for i in 1..acts.len() {
            let (t0, t1) = (times[i - 1], times[i]);
            let dur = (t0 != UNKNOWN_TIME && t1 != UNKNOWN_TIME).then(|| t1 - t0);
            p.edges.add(acts[i - 1], acts[i], dur);
        }
        // Funnel: greedy earliest subsequence match.
        let mut k = 0;
        for &a in acts {
            if k < funnel.len() && a == funnel[k] {
                k += 1;
            }
        }
        for slot in &mut p.reached[..k] {
            *slot += 1;
        }
    }
    count_variants(&mut p, &mut text, &mut cuts);
    p
}

/// Events and scores per touchpoint: what the summary takes from the log
/// besides the journeys.
pub struct TouchpointTotals {
    events: Vec<u64>,
    score_sum: Vec<ExactSum>,
    score_n: Vec<u64>,
    n_events: u64,
}

impl TouchpointTotals {
    fn empty(n_act: usize, n_events: u64) -> TouchpointTotals {
        TouchpointTotals {
            events: vec![0; n_act],
            score_sum: vec![ExactSum::default(); n_act],
            score_n: vec![0; n_act],
            n_events,
        }
    }

    /// One pass over the activity and score columns: on every core when
    /// the log is big and its scores are small whole numbers (their f64
    /// sums are exact in any order), else in one pass summing exactly.
    pub fn of(log: &EventLog) -> TouchpointTotals {
        let threads = cjm_events::available_threads();
        match log.score.small_whole_codes() {
            Some((values, codes)) if threads > 1 && log.len() >= 1_000_000 => {
                Self::in_parallel(log, values, codes, threads)
            }
            _ => Self::in_order(log),
        }
    }

    fn in_parallel(log: &EventLog, values: &[f64], codes: &[u8], threads: usize) -> TouchpointTotals {
        let n_act = log.activities.len();
        let n = log.len();
        let parts: Vec<(Vec<u64>, Vec<f64>, Vec<u64>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let rows = n * t / threads..n * (t + 1) / threads;
                    let (acts, codes) = (&log.activity[rows.clone()], &codes[rows]);
                    scope.spawn(move || {
                        let (mut events, mut sums, mut scored) = (vec![0; n_act], vec![0f64; n_act], vec![0; n_act]);
                        for (&a, &c) in acts.iter().zip(codes) {
                            events[a as usize] += 1;
                            if c != cjm_events::Scores::NO_SCORE {
                                sums[a as usize] += values[c as usize];
                                scored[a as usize] += 1;
                            }
                        }
                        (events, sums, scored)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("counting does not panic")).collect()
        });
        let mut total = TouchpointTotals::empty(n_act, n as u64);
        for (events, sums, scored) in parts {
            add_counts(&mut total.events, &events);
            add_counts(&mut total.score_n, &scored);
            // Each part's f64 sum of small whole numbers is exact.
            for (sum, part) in total.score_sum.iter_mut().zip(sums) {
                sum.add(part);
            }
        }
        total
    }

    fn in_order(log: &EventLog) -> TouchpointTotals {
        let mut t = TouchpointTotals::empty(log.activities.len(), log.len() as u64);
        for &a in &log.activity {
            t.events[a as usize] += 1;
        }
        // Summed exactly: the order of the rows does not matter.
        log.score.for_each_present(|row, s| {
            let a = log.activity[row] as usize;
            t.score_sum[a].add(s);
            t.score_n[a] += 1;
        });
        t
    }
}

/// Adds per-touchpoint (or per-step) counts of a partial into the total.
fn add_counts(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

/// Computes the summary. `funnel` names touchpoints; `top` bounds the variants.
pub fn summarize(log: &EventLog, j: &Journeys, funnel: &[String], top: usize) -> Summary {
    summarize_parts(&log.activities, &TouchpointTotals::of(log), j, funnel, top)
}

/// The summary of a log that is not needed afterwards: each column is
/// freed as soon as it has been used, so the peak memory is the log plus
/// one column (what `cjm mine --format summary-json` runs). `freed` is
/// called after the log's unused parts are dropped, so the caller's
/// allocator can hand that memory back before the journeys take theirs.
pub fn summarize_owned(log: EventLog, funnel: &[String], top: usize, freed: &dyn Fn()) -> Summary {
    let totals = TouchpointTotals::of(&log);
    let mut log = log;
    let (case, time, activity) =
        (std::mem::take(&mut log.case), std::mem::take(&mut log.time), std::mem::take(&mut log.activity));
    let (n_cases, activities) = (log.cases.len(), std::mem::take(&mut log.activities));
    // Scores, channels, attributes and the customer dictionary go now,
    // before the journeys take their room.
    drop(log);
    freed();
    let j = crate::journeys::build_owned(case, n_cases, time, activity, freed);
    summarize_parts(&activities, &totals, &j, funnel, top)
}

fn summarize_parts(
    activities: &cjm_events::Dict,
    totals: &TouchpointTotals,
    j: &Journeys,
    funnel: &[String],
    top: usize,
) -> Summary {
    let n_act = activities.len();
    let funnel_ids: Vec<u32> = funnel.iter().map(|s| activities.lookup(s).unwrap_or(NONE)).collect();
    // The customer ranges the journeys were sorted in: about equal event
    // counts, one per core.
    let cuts = crate::journeys::customer_cuts(&j.offsets);
    let parts: Vec<Partial> = if cuts.len() == 2 {
        vec![partial(j, 0, j.slots(), n_act, &funnel_ids)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = cuts
                .windows(2)
                .map(|w| {
                    let (a, b) = (w[0], w[1]);
                    let f = &funnel_ids;
                    scope.spawn(move || partial(j, a, b, n_act, f))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("engine threads do not panic")).collect()
        })
    };
    let mut iter = parts.into_iter();
    let mut total = iter.next().expect("at least one partial");
    for p in iter {
        total.customers += p.customers;
        total.edges.merge(p.edges);
        add_counts(&mut total.starts, &p.starts);
        add_counts(&mut total.ends, &p.ends);
        add_counts(&mut total.customers_per_act, &p.customers_per_act);
        let ids = total.variants.absorb(&p.variants);
        total.variant_counts.resize(total.variants.len(), 0);
        for (id, n) in ids.into_iter().zip(p.variant_counts) {
            total.variant_counts[id as usize] += n;
        }
        add_counts(&mut total.reached, &p.reached);
    }
    let TouchpointTotals { events, score_sum, score_n, .. } = totals;
    let name = |a: u32| activities.get(a).to_string();
    let edges = total
        .edges
        .entries()
        .into_iter()
        .map(|((a, b), acc)| EdgeParts {
            from: name(a),
            to: name(b),
            count: acc.count,
            timed: acc.timed,
            micros: acc.micros,
        })
        .collect();
    let named = |v: &[u64]| (0..n_act as u32).map(|a| (name(a), v[a as usize])).filter(|x| x.1 > 0).collect();
    let touchpoints = (0..n_act)
        .filter(|&a| events[a] > 0)
        .map(|a| TouchpointParts {
            touchpoint: name(a as u32),
            events: events[a],
            customers: total.customers_per_act[a],
            scored: score_n[a],
            score_sum: score_sum[a].clone(),
        })
        .collect();
    let parts = SummaryParts {
        n_events: totals.n_events,
        n_customers: total.customers,
        edges,
        starts: named(&total.starts),
        ends: named(&total.ends),
        n_variants: total.variants.len() as u64,
        variant_candidates: variant_candidates(activities, &total.variants, &total.variant_counts, top),
        touchpoints,
        funnel_reached: total.reached,
    };
    finish(parts, funnel, top)
}

/// Every variant whose count could be among the `top` (ties at the
/// k-th count included), as names, for [`finish`] to order.
fn variant_candidates(activities: &Dict, variants: &Dict, counts: &[u64], top: usize) -> Vec<(Vec<String>, u64)> {
    let mut all: Vec<(u32, u64)> = counts.iter().enumerate().map(|(id, &n)| (id as u32, n)).collect();
    if top == 0 || all.is_empty() {
        return Vec::new();
    }
    if all.len() > top {
        let nth = top - 1;
        all.select_nth_unstable_by(nth, |a, b| b.1.cmp(&a.1));
        let threshold = all[nth].1;
        all.retain(|v| v.1 >= threshold);
    }
    all.into_iter()
        .map(|(id, n)| (decode_variant(variants.get(id)).iter().map(|&a| activities.get(a).to_string()).collect(), n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touchpoint_totals_on_every_core_equal_the_ones_in_row_order() {
        let mut log = EventLog::default();
        for a in 0..7 {
            log.activities.intern(&format!("t{a}"));
        }
        for i in 0..1_200_000u32 {
            log.case.push(i / 5);
            log.time.push(i64::from(i));
            log.activity.push(i.wrapping_mul(2_654_435_761) % 7);
            log.score.push(if i % 3 == 0 { f64::from(i % 5 + 1) } else { f64::NAN });
        }
        let (fast, slow) = (TouchpointTotals::of(&log), TouchpointTotals::in_order(&log));
        assert!(log.score.small_whole_codes().is_some());
        assert_eq!((fast.events, fast.score_n, fast.n_events), (slow.events, slow.score_n, slow.n_events));
        assert_eq!(fast.score_sum, slow.score_sum);
    }

    #[test]
    fn variants_round_trip_for_every_kind_of_id() {
        let ids = [0, 1, 127, 128, 0xD7FF, 0xD800, 0xFFFF, 0x1_0000, 0x10_FFFF, 0x7FFF_FFFF, u32::MAX - 1];
        let mut text = String::new();
        encode_variant(&ids, &mut text);
        assert_eq!(decode_variant(&text), ids);
        // Two different sequences never share a text.
        let (mut a, mut b) = (String::new(), String::new());
        encode_variant(&[0xE000 - 0xD800 + 5], &mut a);
        encode_variant(&[0xD800 + 5], &mut b);
        assert_ne!(a, b);
    }
}
