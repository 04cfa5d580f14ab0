//! Benchmark: grouping ten million events by customer (1.9 million
//! customers, rows in random order, as in the peers' 1e7 log) into
//! journeys, and the summary over them. Beside it, the scatter as it was
//! before: each thread owned a range of customers and read every row,
//! skipping the others' (a branch mispredicted every other row), against
//! `journeys::build`'s permutation scatter, which needs `unsafe` writes.
//! Run with `cargo bench -p cjm-mine --bench journeys`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cjm_events::EventLog;
use std::time::Instant;

fn synthetic_log(events: usize, customers: u32) -> EventLog {
    let mut state = 0x1234_5678u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut log = EventLog::default();
    for c in 0..customers {
        log.cases.intern(&format!("C{c:08}"));
    }
    for a in 0..30 {
        log.activities.intern(&format!("t{a}"));
    }
    for _ in 0..events {
        let r = next();
        log.case.push((r % customers as u64) as u32);
        log.time.push(1_700_000_000_000_000 + ((r >> 32) % 31_536_000) as i64 * 1_000_000);
        log.activity.push(((r >> 20) % 30) as u32);
        log.score.push(if r % 5 == 0 { (r % 5 + 1) as f64 } else { f64::NAN });
    }
    log
}

/// The earlier grouping, without its sort: offsets, then each column
/// scattered by two threads, one per customer range, every row read by
/// both.
fn old_grouping_without_sort(log: &EventLog) -> (Vec<u32>, Vec<i64>, Vec<u32>) {
    let n_cases = log.cases.len();
    let mut offsets = vec![0usize; n_cases + 1];
    for &c in &log.case {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..n_cases {
        offsets[i + 1] += offsets[i];
    }
    let rows = scatter_by_customer_range(&log.case, &offsets, |r| r as u32);
    let times = scatter_by_customer_range(&log.case, &offsets, |r| log.time[r]);
    let acts = scatter_by_customer_range(&log.case, &offsets, |r| log.activity[r]);
    (rows, times, acts)
}

fn scatter_by_customer_range<T: Copy + Default + Send>(
    case: &[u32],
    offsets: &[usize],
    value: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let n_cases = offsets.len() - 1;
    let cut = offsets.partition_point(|&o| o < case.len() / 2).min(n_cases);
    let mut out = vec![T::default(); case.len()];
    let (lo, hi) = out.split_at_mut(offsets[cut]);
    std::thread::scope(|scope| {
        for (c0, c1, part) in [(0, cut, lo), (cut, n_cases, hi)] {
            let value = &value;
            scope.spawn(move || {
                let base = offsets[c0];
                let mut next: Vec<usize> = offsets[c0..c1].iter().map(|o| o - base).collect();
                for (row, &c) in case.iter().enumerate() {
                    let c = c as usize;
                    if (c0..c1).contains(&c) {
                        part[next[c - c0]] = value(row);
                        next[c - c0] += 1;
                    }
                }
            });
        }
    });
    out
}

fn main() {
    let log = synthetic_log(10_000_000, 1_919_058);
    println!("{} events, {} customers\n", log.len(), log.cases.len());
    for round in 0..3 {
        let t = Instant::now();
        let j = cjm_mine::journeys::build(&log);
        let build = t.elapsed();
        let t = Instant::now();
        let old = old_grouping_without_sort(&log);
        let old_scatter = t.elapsed();
        std::hint::black_box(old);
        let t = Instant::now();
        let s = cjm_mine::summary::summarize(&log, &j, &[], 20);
        let summary = t.elapsed();
        std::hint::black_box(s);
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "round {round}: journeys::build {:>6.1} ms   summary {:>6.1} ms   earlier grouping (no sort) {:>6.1} ms",
            ms(build),
            ms(summary),
            ms(old_scatter)
        );
    }
}
