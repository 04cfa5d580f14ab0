//! Journeys: each customer's events in contract order (timestamp, then input
//! row), laid out contiguously so the engine reads memory in order.
//!
//! Grouping is a stable counting sort by customer: one column at a time,
//! each scattered to its customer's slots by as many threads as there are
//! cores (each thread owns a range of customers and scans every row), so a
//! column consumed by [`build_owned`] is freed as soon as it is placed.

use cjm_events::EventLog;

pub struct Journeys {
    /// `offsets[c]..offsets[c + 1]` are the positions of customer `c`.
    pub offsets: Vec<usize>,
    /// Input row of each position (empty when built by [`build_owned`]).
    pub rows: Vec<u32>,
    /// Touchpoint (activity id) of each position.
    pub acts: Vec<u32>,
    /// Time of each position.
    pub times: Vec<i64>,
}

impl Journeys {
    pub fn customers(&self) -> usize {
        self.offsets.len() - 1
    }
    pub fn range(&self, c: usize) -> std::ops::Range<usize> {
        self.offsets[c]..self.offsets[c + 1]
    }
}

/// Journeys of a log, with each position's input row.
pub fn build(log: &EventLog) -> Journeys {
    let offsets = offsets(&log.case, log.cases.len());
    let cuts = customer_cuts(&offsets);
    let mut rows = scatter(&log.case, &offsets, &cuts, |row| row as u32);
    let mut times = scatter(&log.case, &offsets, &cuts, |row| log.time[row]);
    let mut acts = scatter(&log.case, &offsets, &cuts, |row| log.activity[row]);
    sort_journeys(&offsets, &cuts, Some(&mut rows), &mut times, &mut acts);
    Journeys { offsets, rows, acts, times }
}

/// Journeys from a log's columns, consumed: each is dropped once placed, so
/// the peak holds one column twice at most. No input rows are kept (ties
/// stay in row order all the same).
pub fn build_owned(case: Vec<u32>, n_cases: usize, time: Vec<i64>, activity: Vec<u32>) -> Journeys {
    let offsets = offsets(&case, n_cases);
    let cuts = customer_cuts(&offsets);
    let mut times = scatter(&case, &offsets, &cuts, |row| time[row]);
    drop(time);
    let mut acts = scatter(&case, &offsets, &cuts, |row| activity[row]);
    drop(activity);
    drop(case);
    sort_journeys(&offsets, &cuts, None, &mut times, &mut acts);
    Journeys { offsets, rows: Vec::new(), acts, times }
}

/// Where each customer's events start (prefix sums of their counts).
fn offsets(case: &[u32], n_cases: usize) -> Vec<usize> {
    let mut offsets = vec![0usize; n_cases + 1];
    for &c in case {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..n_cases {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// Customer ranges of about equal event counts, one per thread (one range
/// for small logs).
fn customer_cuts(offsets: &[usize]) -> Vec<usize> {
    let n_cases = offsets.len() - 1;
    let n = offsets[n_cases];
    let parts = if n < 100_000 { 1 } else { threads() };
    let mut cuts = vec![0usize];
    for t in 1..parts {
        let c = offsets.partition_point(|&o| o < n * t / parts).min(n_cases);
        cuts.push(c.max(*cuts.last().unwrap_or(&0)));
    }
    cuts.push(n_cases);
    cuts
}

/// One column placed in journey order. Each thread takes the customers
/// `cuts[t]..cuts[t + 1]`, reads every row's customer and writes its own
/// customers' values (random writes are cheaper than a gather's random
/// reads; rows keep their input order inside a customer).
fn scatter<T: Copy + Default + Send + Sync>(
    case: &[u32],
    offsets: &[usize],
    cuts: &[usize],
    value: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    // Zeroed memory comes fresh from the OS: no pass to fill it.
    let mut out: Vec<T> = vec![T::default(); case.len()];
    std::thread::scope(|scope| {
        let mut rest = &mut out[..];
        for w in cuts.windows(2) {
            let (c0, c1) = (w[0], w[1]);
            let (mine, later) = rest.split_at_mut(offsets[c1] - offsets[c0]);
            rest = later;
            let value = &value;
            let mut fill = move || {
                let base = offsets[c0];
                let mut next: Vec<usize> = offsets[c0..c1].iter().map(|o| o - base).collect();
                for (row, &c) in case.iter().enumerate() {
                    let c = c as usize;
                    if (c0..c1).contains(&c) {
                        let slot = &mut next[c - c0];
                        mine[*slot] = value(row);
                        *slot += 1;
                    }
                }
            };
            if cuts.len() == 2 {
                fill();
            } else {
                scope.spawn(fill);
            }
        }
    });
    out
}

/// Sorts every journey by (time, row), one customer range per thread.
fn sort_journeys(offsets: &[usize], cuts: &[usize], rows: Option<&mut [u32]>, times: &mut [i64], acts: &mut [u32]) {
    std::thread::scope(|scope| {
        let mut rows_rest = rows;
        let mut times_rest = times;
        let mut acts_rest = acts;
        for w in cuts.windows(2) {
            let (c0, c1) = (w[0], w[1]);
            let len = offsets[c1] - offsets[c0];
            let (r, rr) = match rows_rest.take() {
                Some(r) => {
                    let (a, b) = r.split_at_mut(len);
                    (Some(a), Some(b))
                }
                None => (None, None),
            };
            let (t, tr) = std::mem::take(&mut times_rest).split_at_mut(len);
            let (a, ar) = std::mem::take(&mut acts_rest).split_at_mut(len);
            (rows_rest, times_rest, acts_rest) = (rr, tr, ar);
            let base = offsets[c0];
            scope.spawn(move || sort_range(offsets, c0, c1, r, t, a, base));
        }
    });
}

fn sort_range(
    offsets: &[usize],
    c0: usize,
    c1: usize,
    mut rows: Option<&mut [u32]>,
    times: &mut [i64],
    acts: &mut [u32],
    base: usize,
) {
    let mut items: Vec<(i64, u32, u32)> = Vec::new();
    for c in c0..c1 {
        let (s, e) = (offsets[c] - base, offsets[c + 1] - base);
        let t = &times[s..e];
        if t.windows(2).all(|w| w[0] <= w[1]) {
            continue;
        }
        items.clear();
        items.extend((s..e).map(|i| (times[i], rows.as_deref().map_or(0, |r| r[i]), acts[i])));
        // Rows are in input order already: a stable sort by time keeps ties by row.
        items.sort_by_key(|p| p.0);
        for (i, (tm, r, a)) in items.iter().enumerate() {
            times[s + i] = *tm;
            acts[s + i] = *a;
            if let Some(rows) = rows.as_deref_mut() {
                rows[s + i] = *r;
            }
        }
    }
}
