//! The backend boundary: what a backend computes and the one finisher.
//!
//! A backend (the in-memory engine here, a cluster engine elsewhere)
//! returns only **exact** values: counts, integer sums (microseconds as
//! `i128`), exact score sums ([`ExactSum`]) and names. [`finish`] turns
//! them into the [`Summary`] with cjm's own float formulas, orderings and
//! tie-breaks, so two backends agree exactly when their parts do, and a
//! parity test that fails names the part that differs.

use crate::analysis::{Analysis, ChannelReach, Follows, FunnelReport, FunnelSpec, FunnelStep, NextTime, Switch};
use crate::contract::*;
use crate::exact::ExactSum;

/// A summary's exact parts, names resolved, in any order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryParts {
    pub n_events: u64,
    /// Customers with at least one event.
    pub n_customers: u64,
    /// Each transition once.
    pub edges: Vec<EdgeParts>,
    /// Journeys starting (ending) at each touchpoint.
    pub starts: Vec<(String, u64)>,
    pub ends: Vec<(String, u64)>,
    /// Distinct variants.
    pub n_variants: u64,
    /// Every variant whose count is at least the k-th largest (so the top
    /// k are among them, ties included), with its customers.
    pub variant_candidates: Vec<(Vec<String>, u64)>,
    /// Each touchpoint with at least one event.
    pub touchpoints: Vec<TouchpointParts>,
    /// Customers reaching at least step k+1 of the funnel.
    pub funnel_reached: Vec<u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeParts {
    pub from: String,
    pub to: String,
    pub count: u64,
    /// Occurrences whose two times are known, and their durations' sum.
    pub timed: u64,
    pub micros: i128,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TouchpointParts {
    pub touchpoint: String,
    pub events: u64,
    pub customers: u64,
    /// Events with a score, and the scores' exact sum.
    pub scored: u64,
    pub score_sum: ExactSum,
}

/// One transition's durations (microseconds, both times known) as the
/// statistics a backend can compute exactly: the count, the sum, the
/// extremes and three values picked by rank (see [`OrderStats::ranks`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderStats {
    pub n: u64,
    pub total: i128,
    pub min: i64,
    pub max: i64,
    /// The values at the ranks of the median's lower and upper middle.
    pub lo: i64,
    pub hi: i64,
    /// The value at the 90th percentile's nearest rank.
    pub p90: i64,
}

impl OrderStats {
    /// The 1-based ranks of `lo`, `hi` and `p90` among `n` sorted values:
    /// ⌈n/2⌉, ⌊n/2⌋+1 and ⌈9n/10⌉, in integers, as the SQL computes them.
    pub fn ranks(n: u64) -> (u64, u64, u64) {
        (n.div_ceil(2), n / 2 + 1, (n * 9).div_ceil(10).clamp(1, n.max(1)))
    }

    /// The statistics of values, sorted here in place; `None` for none.
    pub fn of(d: &mut [i64]) -> Option<OrderStats> {
        d.sort_unstable();
        (!d.is_empty()).then(|| OrderStats::of_sorted(d))
    }

    /// The statistics of sorted, non-empty values.
    pub fn of_sorted(d: &[i64]) -> OrderStats {
        let n = d.len() as u64;
        let (lo, hi, p90) = Self::ranks(n);
        let at = |rank: u64| d[rank as usize - 1];
        OrderStats {
            n,
            total: d.iter().map(|&x| i128::from(x)).sum(),
            min: d[0],
            max: d[d.len() - 1],
            lo: at(lo),
            hi: at(hi),
            p90: at(p90),
        }
    }

    /// The median: the middle value, or the mean of the two middle ones.
    pub fn median(&self) -> f64 {
        if self.n % 2 == 1 {
            self.lo as f64
        } else {
            (self.lo as f64 + self.hi as f64) / 2.0
        }
    }
}

/// A transition's duration statistics, names resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeTimeParts {
    pub from: String,
    pub to: String,
    pub stats: OrderStats,
}

/// The analysis' `edge_times` from their parts, sorted by (from, to).
pub fn finish_edge_times(parts: Vec<EdgeTimeParts>) -> Vec<crate::analysis::EdgeTimes> {
    let secs = |us: i64| us as f64 / 1e6;
    let mut out: Vec<crate::analysis::EdgeTimes> = parts
        .into_iter()
        .filter(|p| p.stats.n > 0)
        .map(|p| {
            let s = p.stats;
            crate::analysis::EdgeTimes {
                from: p.from,
                to: p.to,
                count: s.n,
                mean_seconds: s.total as f64 / 1e6 / s.n as f64,
                median_seconds: s.median() / 1e6,
                min_seconds: secs(s.min),
                max_seconds: secs(s.max),
                p90_seconds: secs(s.p90),
            }
        })
        .collect();
    out.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    out
}

/// The analysis' exact parts, names resolved, in any order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalysisParts {
    /// Each transition's durations (both times known).
    pub edge_times: Vec<EdgeTimeParts>,
    /// (from, to, occurrences of `to` within k steps after `from`).
    pub follows: Vec<(String, String, u64)>,
    /// Each touchpoint with an event, and its times to the customer's next
    /// event (`None`: no such time is known).
    pub next_times: Vec<(String, Option<OrderStats>)>,
    /// Each channel with an event: events and customers.
    pub channel_reach: Vec<(String, u64, u64)>,
    /// (channel, channel of the customer's next event, count).
    pub channel_switches: Vec<(String, String, u64)>,
    pub funnel: Option<FunnelParts>,
}

/// A funnel's exact parts (matched as [`crate::analysis::FunnelSpec`] says).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunnelParts {
    /// Customers with an event: step 1's denominator.
    pub total: u64,
    /// Customers reaching each step.
    pub reached: Vec<u64>,
    /// Per step, the times from step 1 of those who reached it, both times
    /// known (`None`: none).
    pub from_start: Vec<Option<OrderStats>>,
    /// Per step k, the customers who reached exactly k steps, in the log's
    /// customer order (empty lists when not asked for).
    pub dropped: Vec<Vec<String>>,
    /// Microseconds from step 1 to the last step, ascending, one per
    /// customer who converted with both times known (empty when not asked
    /// for).
    pub conversion_micros: Vec<i64>,
}

/// The analysis from its parts: `top_variants` are the summary's top
/// counts, `customers` the customers with an event.
pub fn finish_analysis(
    parts: AnalysisParts,
    spec: Option<&FunnelSpec>,
    top_variants: &[u64],
    customers: u64,
) -> Analysis {
    let AnalysisParts { edge_times, follows, next_times, channel_reach, channel_switches, funnel } = parts;
    let mut channel_reach: Vec<ChannelReach> = channel_reach
        .into_iter()
        .filter(|c| c.1 > 0)
        .map(|(channel, events, customers)| ChannelReach { channel, events, customers })
        .collect();
    channel_reach.sort_by(|x, y| y.customers.cmp(&x.customers).then_with(|| x.channel.cmp(&y.channel)));
    let mut channel_switches: Vec<Switch> =
        channel_switches.into_iter().map(|(from, to, count)| Switch { from, to, count }).collect();
    channel_switches.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    let mut eventually_follows: Vec<Follows> =
        follows.into_iter().map(|(from, to, count)| Follows { from, to, count }).collect();
    eventually_follows.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| (&x.from, &x.to).cmp(&(&y.from, &y.to))));
    let mut next_times: Vec<NextTime> = next_times
        .into_iter()
        .map(|(touchpoint, s)| NextTime { touchpoint, median_seconds_to_next: s.map(|s| s.median() / 1e6) })
        .collect();
    next_times.sort_by(|x, y| x.touchpoint.cmp(&y.touchpoint));
    Analysis {
        edge_times: finish_edge_times(edge_times),
        eventually_follows,
        variant_coverage: coverage(top_variants, customers),
        next_times,
        funnel: spec.zip(funnel).map(|(spec, parts)| finish_funnel(parts, spec)),
        channel_reach,
        channel_switches,
    }
}

/// The share of customers the top variants cover, cumulatively.
fn coverage(top_variants: &[u64], customers: u64) -> Vec<f64> {
    let customers = customers.max(1) as f64;
    let mut cum = 0u64;
    top_variants
        .iter()
        .map(|&c| {
            cum += c;
            cum as f64 / customers
        })
        .collect()
}

/// A funnel's report from its parts: conversion to each step from the one
/// before (step 1: from all customers), and the median time from step 1.
pub fn finish_funnel(parts: FunnelParts, spec: &FunnelSpec) -> FunnelReport {
    let FunnelParts { total, reached, from_start, mut dropped, conversion_micros } = parts;
    let n = spec.steps.len();
    let steps = (0..n)
        .map(|i| {
            let now = reached.get(i).copied().unwrap_or(0);
            let prev = if i == 0 { total } else { reached.get(i - 1).copied().unwrap_or(0) };
            let conversion = if prev == 0 { 0.0 } else { now as f64 / prev as f64 };
            FunnelStep {
                touchpoint: spec.steps[i].clone(),
                reached: now,
                conversion,
                drop_off: 1.0 - conversion,
                median_seconds_from_start: from_start.get(i).copied().flatten().map(|s| s.median() / 1e6),
            }
        })
        .collect();
    dropped.resize(n, Vec::new());
    FunnelReport {
        ordered: !spec.any_order,
        strict: spec.strict,
        window_seconds: spec.window_seconds,
        steps,
        dropped,
        conversion_seconds: conversion_micros.into_iter().map(|us| us as f64 / 1e6).collect(),
    }
}

/// A measured map's exact parts (see [`crate::measure`]), by the map's
/// step index (zeros for steps without a rule that runs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeasureParts {
    /// Customers with an event, and the log's events.
    pub customers: u64,
    pub events: u64,
    /// Events each step's rule matches, and customers with such an event.
    pub matched: Vec<u64>,
    pub reached: Vec<u64>,
    /// Scored matching events and their scores' exact sum.
    pub scored: Vec<u64>,
    pub score_sums: Vec<ExactSum>,
    /// Times from the previous measured step's first match to this one's,
    /// for customers who reached both, both times known, not negative.
    pub since_previous: Vec<Option<OrderStats>>,
    /// Customers at each step of the funnel (the measured steps not
    /// marked optional, in map order).
    pub at_funnel: Vec<u64>,
    /// Per stage of the map: customers who reached its first and its last
    /// measured step.
    pub stage_both: Vec<u64>,
    /// Each touchpoint with an event: its events and customers, and
    /// whether some rule matched one of its events.
    pub touchpoints: Vec<(String, u64, u64, bool)>,
    /// Every transition with its count, in any order.
    pub edges: Vec<(String, String, u64)>,
    /// The lowest and highest score of the log (`INFINITY`,
    /// `NEG_INFINITY` when none).
    pub score_range: (f64, f64),
    /// Per journey metric with a formula, in map order.
    pub kpis: Vec<KpiParts>,
}

/// A journey metric's exact parts.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum KpiParts {
    /// Not measured (its note says why).
    #[default]
    None,
    /// A share: `part` of `whole` customers (reach, conversion, switch).
    Share { part: u64, whole: u64 },
    /// Scores of the step's matching events, and the customers with one.
    Score { customers: u64, scored: u64, sum: Box<ExactSum> },
    /// Times from the first `from` to the first `to` after it (`None`: no
    /// customer timed).
    Time(Option<OrderStats>),
}

/// The summary from its parts: lists sorted by name bytes, means from the
/// exact sums, the top `top` variants in contract order.
pub fn finish(parts: SummaryParts, funnel: &[String], top: usize) -> Summary {
    let SummaryParts {
        n_events,
        n_customers,
        mut edges,
        starts,
        ends,
        n_variants,
        variant_candidates,
        touchpoints,
        funnel_reached,
    } = parts;
    edges.retain(|e| e.count > 0);
    edges.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    let dfg = edges.iter().map(|e| Edge { from: e.from.clone(), to: e.to.clone(), count: e.count }).collect();
    let performance_dfg = edges
        .into_iter()
        .map(|e| EdgeTime { mean_seconds: mean_seconds(e.micros, e.timed), from: e.from, to: e.to })
        .collect();
    let mut touchpoints: Vec<TouchpointStats> = touchpoints
        .into_iter()
        .filter(|t| t.events > 0)
        .map(|t| TouchpointStats {
            mean_score: (t.scored > 0).then(|| t.score_sum.to_f64() / t.scored as f64),
            touchpoint: t.touchpoint,
            events: t.events,
            customers: t.customers,
        })
        .collect();
    touchpoints.sort_by(|a, b| a.touchpoint.cmp(&b.touchpoint));
    Summary {
        n_events,
        n_customers,
        dfg,
        start_touchpoints: counts(starts),
        end_touchpoints: counts(ends),
        n_variants,
        top_variants: top_variants(variant_candidates, top),
        touchpoints,
        performance_dfg,
        funnel: Funnel { steps: funnel.to_vec(), reached: funnel_reached },
    }
}

fn counts(mut v: Vec<(String, u64)>) -> Vec<Count> {
    v.retain(|(_, n)| *n > 0);
    v.sort();
    v.into_iter().map(|(touchpoint, count)| Count { touchpoint, count }).collect()
}

/// Mean seconds from a sum of microseconds, exact for whole seconds: the
/// sum in seconds over the count, one correctly rounded division (as the
/// peers' integer sum / count). No timed occurrence: NaN (`null`).
pub fn mean_seconds(micros: i128, n: u64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    if micros % 1_000_000 == 0 {
        (micros / 1_000_000) as f64 / n as f64
    } else {
        micros as f64 / 1e6 / n as f64
    }
}

/// The `top` variants by count, then by sequence (byte-wise, a proper
/// prefix first).
fn top_variants(mut candidates: Vec<(Vec<String>, u64)>, top: usize) -> Vec<Variant> {
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    candidates.truncate(top);
    candidates.into_iter().map(|(sequence, count)| Variant { count, sequence }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        xs.iter().for_each(|&x| s.add(x));
        s
    }

    #[test]
    fn order_statistics_by_rank_are_the_median_and_p90_of_the_values() {
        for n in 1..600usize {
            let d: Vec<i64> = (0..n as i64).map(|i| i * i % 97 - 40).collect::<Vec<_>>();
            let mut d = d;
            d.sort_unstable();
            let s = OrderStats::of_sorted(&d);
            assert_eq!(s.median().to_bits(), crate::analysis::median_sorted(&d).to_bits(), "n = {n}");
            assert_eq!(OrderStats::ranks(n as u64).2 as usize, crate::analysis::p90_rank(n), "n = {n}");
        }
    }

    #[test]
    fn the_finisher_orders_by_name_bytes_and_computes_the_floats() {
        let s = |x: &str| x.to_string();
        let parts = SummaryParts {
            n_events: 9,
            n_customers: 3,
            edges: vec![
                EdgeParts { from: s("b"), to: s("a"), count: 2, timed: 2, micros: 3_000_000 },
                EdgeParts { from: s("a"), to: s("é"), count: 1, timed: 1, micros: 1_500_000 },
                EdgeParts { from: s("a"), to: s("Z"), count: 1, timed: 0, micros: 0 },
                EdgeParts { from: s("a"), to: s("b"), count: 0, timed: 0, micros: 0 },
            ],
            starts: vec![(s("b"), 1), (s("a"), 2), (s("c"), 0)],
            ends: vec![(s("a"), 3)],
            n_variants: 3,
            variant_candidates: vec![(vec![s("a"), s("b")], 1), (vec![s("a")], 1), (vec![s("b"), s("a"), s("a")], 2)],
            touchpoints: vec![
                TouchpointParts {
                    touchpoint: s("b"),
                    events: 3,
                    customers: 2,
                    scored: 3,
                    score_sum: sum(&[0.1, 0.2, 0.3]),
                },
                TouchpointParts {
                    touchpoint: s("a"),
                    events: 6,
                    customers: 3,
                    scored: 0,
                    score_sum: ExactSum::default(),
                },
            ],
            funnel_reached: vec![3, 1],
        };
        let out = finish(parts, &[s("a"), s("b")], 2);
        let edges: Vec<(&str, &str, u64)> = out.dfg.iter().map(|e| (e.from.as_str(), e.to.as_str(), e.count)).collect();
        assert_eq!(edges, [("a", "Z", 1), ("a", "é", 1), ("b", "a", 2)], "byte order, zero counts dropped");
        assert!(out.performance_dfg[0].mean_seconds.is_nan(), "no timed occurrence");
        assert_eq!(out.performance_dfg[1].mean_seconds, 1.5);
        assert_eq!(out.performance_dfg[2].mean_seconds, 1.5);
        assert_eq!(out.start_touchpoints.iter().map(|c| c.touchpoint.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let top: Vec<(u64, usize)> = out.top_variants.iter().map(|v| (v.count, v.sequence.len())).collect();
        assert_eq!(top, [(2, 3), (1, 1)], "count, then the sequence with a proper prefix first");
        assert_eq!(out.touchpoints[0].touchpoint, "a");
        assert_eq!(out.touchpoints[0].mean_score, None);
        assert_eq!(out.touchpoints[1].mean_score, Some(0.6 / 3.0), "the exact sum 0.6, then / 3");
        assert_eq!(out.funnel.reached, [3, 1]);
    }
}
