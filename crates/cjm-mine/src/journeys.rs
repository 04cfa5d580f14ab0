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
    /// Customer ids, including those left with no event (by a filter, or
    /// because every row of theirs was bad): iterate `0..slots()`.
    pub fn slots(&self) -> usize {
        self.offsets.len() - 1
    }
    /// Customers with at least one event: the denominator of every share.
    pub fn customers(&self) -> usize {
        self.offsets.windows(2).filter(|w| w[0] < w[1]).count()
    }
    pub fn range(&self, c: usize) -> std::ops::Range<usize> {
        self.offsets[c]..self.offsets[c + 1]
    }
}

/// Journeys of a log, with each position's input row.
pub fn build(log: &EventLog) -> Journeys {
    let (offsets, pos) = positions(log.case.clone(), log.cases.len());
    let cuts = customer_cuts(&offsets);
    let mut rows = scatter(&pos, |row| row as u32);
    let mut times = scatter(&pos, |row| log.time[row]);
    let mut acts = scatter(&pos, |row| log.activity[row]);
    sort_journeys(&offsets, &cuts, Some(&mut rows), &mut times, &mut acts);
    Journeys { offsets, rows, acts, times }
}

/// Journeys from a log's columns, consumed: the customer column becomes
/// the rows' slots in place, and each column is dropped once placed (then
/// `freed` is called, so the caller's allocator can hand the memory back),
/// so the peak holds one column twice at most. No input rows are kept
/// (ties stay in row order all the same).
pub fn build_owned(case: Vec<u32>, n_cases: usize, time: Vec<i64>, activity: Vec<u32>, freed: &dyn Fn()) -> Journeys {
    let (offsets, pos) = positions(case, n_cases);
    let cuts = customer_cuts(&offsets);
    let mut times = scatter(&pos, |row| time[row]);
    drop(time);
    freed();
    let mut acts = scatter(&pos, |row| activity[row]);
    drop(activity);
    drop(pos);
    freed();
    sort_journeys(&offsets, &cuts, None, &mut times, &mut acts);
    Journeys { offsets, rows: Vec::new(), acts, times }
}

/// Stretches of `0..n` for the threads to share (one for small inputs).
fn row_chunks(n: usize) -> Vec<std::ops::Range<usize>> {
    let parts = if n < 100_000 { 1 } else { cjm_events::available_threads() };
    (0..parts).map(|t| n * t / parts..n * (t + 1) / parts).collect()
}

/// A stable counting sort by customer, in parallel: where each customer's
/// events start (`offsets`) and where each row goes (`pos`). Every thread
/// counts the customers of its stretch of rows; a customer's slots are
/// then handed out stretch by stretch, so rows keep their input order.
/// The customer column is overwritten with the slots (no second column).
fn positions(mut case: Vec<u32>, n_cases: usize) -> (Vec<usize>, Vec<u32>) {
    let n = case.len();
    assert!(n < u32::MAX as usize, "a log holds fewer than 4 billion events");
    let chunks = row_chunks(n);
    let mut counts: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|r| {
                let rows = &case[r.clone()];
                scope.spawn(move || {
                    let mut count = vec![0u32; n_cases];
                    for &c in rows {
                        count[c as usize] += 1;
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("counting does not panic")).collect()
    });
    // Each stretch's count becomes the first slot it may use.
    let mut offsets = vec![0usize; n_cases + 1];
    let mut next = 0usize;
    for c in 0..n_cases {
        offsets[c] = next;
        for count in counts.iter_mut() {
            let k = count[c] as usize;
            count[c] = next as u32;
            next += k;
        }
    }
    offsets[n_cases] = next;
    std::thread::scope(|scope| {
        let mut rest = &mut case[..];
        for (r, mut start) in chunks.iter().zip(counts) {
            let (mine, later) = std::mem::take(&mut rest).split_at_mut(r.len());
            rest = later;
            scope.spawn(move || {
                for c_then_slot in mine.iter_mut() {
                    let slot = &mut start[*c_then_slot as usize];
                    *c_then_slot = *slot;
                    *slot += 1;
                }
            });
        }
    });
    (offsets, case)
}

/// Customer ranges of about equal event counts, one per thread (one range
/// for small logs).
pub(crate) fn customer_cuts(offsets: &[usize]) -> Vec<usize> {
    let n_cases = offsets.len() - 1;
    let n = offsets[n_cases];
    let parts = row_chunks(n).len();
    let mut cuts = vec![0usize];
    for t in 1..parts {
        let c = offsets.partition_point(|&o| o < n * t / parts).min(n_cases);
        cuts.push(c.max(*cuts.last().unwrap_or(&0)));
    }
    cuts.push(n_cases);
    cuts
}

/// A raw view of the output column, shared by the scatter's threads.
struct Slots<T>(*mut T);
// SAFETY: threads write through it only to slots no other thread writes
// (see `scatter`), and the column outlives the scope they run in.
unsafe impl<T: Send> Send for Slots<T> {}
unsafe impl<T: Send> Sync for Slots<T> {}

/// One column placed in journey order: `out[pos[row]] = value(row)`, the
/// rows split among the threads. Each thread reads its rows in order and
/// writes at random, with no branch on which customer a row belongs to
/// (splitting by customer range instead, each thread reading every row,
/// mispredicted every other row: grouping 1e7 events took 270 ms instead
/// of 135 ms, sort included; `cargo bench -p cjm-mine --bench journeys`).
fn scatter<T: Copy + Default + Send + Sync>(pos: &[u32], value: impl Fn(usize) -> T + Sync) -> Vec<T> {
    // Zeroed memory comes fresh from the OS: no pass to fill it.
    let mut out: Vec<T> = vec![T::default(); pos.len()];
    let slots = Slots(out.as_mut_ptr());
    let chunks = row_chunks(pos.len());
    std::thread::scope(|scope| {
        for r in chunks {
            let (slots, value) = (&slots, &value);
            let positions = &pos[r.clone()];
            scope.spawn(move || {
                for (row, &p) in r.zip(positions) {
                    // SAFETY: `pos` is a permutation of 0..out.len() (a
                    // counting sort's slots, each handed out once), so `p`
                    // is in bounds and no two rows — in this thread or
                    // another — write the same slot; `out` is not read
                    // until every thread has finished.
                    unsafe { slots.0.add(p as usize).write(value(row)) };
                }
            });
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
        if e - s <= 16 {
            // Most journeys are short: an insertion sort in place, no copy.
            insertion_sort(&mut times[s..e], &mut acts[s..e], rows.as_deref_mut().map(|r| &mut r[s..e]));
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

/// Sorts one short journey by time, in place and stably (a later row never
/// moves before an earlier one with the same time).
fn insertion_sort(times: &mut [i64], acts: &mut [u32], mut rows: Option<&mut [u32]>) {
    for i in 1..times.len() {
        let (t, a) = (times[i], acts[i]);
        let r = rows.as_deref().map(|r| r[i]);
        let mut j = i;
        while j > 0 && times[j - 1] > t {
            times[j] = times[j - 1];
            acts[j] = acts[j - 1];
            if let Some(rows) = rows.as_deref_mut() {
                rows[j] = rows[j - 1];
            }
            j -= 1;
        }
        times[j] = t;
        acts[j] = a;
        if let (Some(rows), Some(r)) = (rows.as_deref_mut(), r) {
            rows[j] = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_journeys_sort_stably_by_time() {
        for len in [2usize, 5, 16, 17, 40] {
            let times: Vec<i64> = (0..len).map(|i| ((i * 7919) % 5) as i64).collect();
            let mut t = times.clone();
            let mut a: Vec<u32> = (0..len as u32).collect();
            let mut r: Vec<u32> = (0..len as u32).collect();
            let offsets = vec![0, len];
            sort_range(&offsets, 0, 1, Some(&mut r), &mut t, &mut a, 0);
            let mut expected: Vec<(i64, u32)> = times.iter().copied().zip(0..len as u32).collect();
            expected.sort_by_key(|p| p.0);
            assert_eq!(t, expected.iter().map(|p| p.0).collect::<Vec<_>>(), "len {len}");
            assert_eq!(a, expected.iter().map(|p| p.1).collect::<Vec<_>>(), "len {len}");
            assert_eq!(r, a, "len {len}");
        }
    }
}
