//! The backend boundary: what a backend computes and the one finisher.
//!
//! A backend (the in-memory engine here, a cluster engine elsewhere)
//! returns only **exact** values: counts, integer sums (microseconds as
//! `i128`), exact score sums ([`ExactSum`]) and names. [`finish`] turns
//! them into the [`Summary`] with cjm's own float formulas, orderings and
//! tie-breaks, so two backends agree exactly when their parts do, and a
//! parity test that fails names the part that differs.

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
