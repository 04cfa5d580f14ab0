//! Journeys: each customer's events in contract order (timestamp, then input
//! row), laid out contiguously so the engine reads memory in order.

use cjm_events::EventLog;

pub struct Journeys {
    /// `offsets[c]..offsets[c + 1]` are the positions of customer `c`.
    pub offsets: Vec<usize>,
    /// Input row of each position.
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

/// Groups by customer with a stable counting sort (rows stay in input
/// order), then sorts each journey by time, stably, only where needed.
pub fn build(log: &EventLog) -> Journeys {
    let n_cases = log.cases.len();
    let n = log.len();
    let mut offsets = vec![0usize; n_cases + 1];
    for &c in &log.case {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..n_cases {
        offsets[i + 1] += offsets[i];
    }
    // One scatter pass: the log's columns are read in order and each
    // event's row, time and touchpoint written to its customer's slot
    // (random writes are cheaper than the random reads of a gather).
    let mut next = offsets.clone();
    let mut rows = vec![0u32; n];
    let mut times = vec![0i64; n];
    let mut acts = vec![0u32; n];
    for (row, ((&c, &t), &a)) in log.case.iter().zip(&log.time).zip(&log.activity).enumerate() {
        let slot = &mut next[c as usize];
        rows[*slot] = row as u32;
        times[*slot] = t;
        acts[*slot] = a;
        *slot += 1;
    }
    sort_journeys(&offsets, &mut rows, &mut times, &mut acts);
    Journeys { offsets, rows, acts, times }
}

/// Sorts every journey by (time, row) in parallel chunks.
fn sort_journeys(offsets: &[usize], rows: &mut [u32], times: &mut [i64], acts: &mut [u32]) {
    let n_cases = offsets.len() - 1;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    if threads == 1 || rows.len() < 100_000 {
        sort_range(offsets, 0, n_cases, rows, times, acts, 0);
        return;
    }
    // Split the customers into chunks of about equal event counts.
    let mut cuts = vec![0usize];
    for t in 1..threads {
        let target = rows.len() * t / threads;
        let c = offsets.partition_point(|&o| o < target).min(n_cases);
        cuts.push(c.max(*cuts.last().unwrap_or(&0)));
    }
    cuts.push(n_cases);
    std::thread::scope(|scope| {
        let mut rows_rest = &mut rows[..];
        let mut times_rest = &mut times[..];
        let mut acts_rest = &mut acts[..];
        let mut consumed = 0usize;
        for w in cuts.windows(2) {
            let (c0, c1) = (w[0], w[1]);
            let len = offsets[c1] - offsets[c0];
            let (r, rr) = rows_rest.split_at_mut(len);
            let (t, tr) = times_rest.split_at_mut(len);
            let (a, ar) = acts_rest.split_at_mut(len);
            rows_rest = rr;
            times_rest = tr;
            acts_rest = ar;
            let base = consumed;
            consumed += len;
            scope.spawn(move || sort_range(offsets, c0, c1, r, t, a, base));
        }
    });
}

fn sort_range(
    offsets: &[usize],
    c0: usize,
    c1: usize,
    rows: &mut [u32],
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
        items.extend((s..e).map(|i| (times[i], rows[i], acts[i])));
        // Rows are in input order already: a stable sort by time keeps ties by row.
        items.sort_by_key(|p| p.0);
        for (i, (tm, r, a)) in items.iter().enumerate() {
            times[s + i] = *tm;
            rows[s + i] = *r;
            acts[s + i] = *a;
        }
    }
}
