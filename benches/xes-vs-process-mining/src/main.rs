//! Reads one XES file with cjm-events and with process_mining, one after the
//! other, and prints the best of five wall times of each (ours also on one thread).

/// Both readers use the allocator cjm ships with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

fn best(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        n = f();
        times.push(t.elapsed());
    }
    (*times.iter().min().expect("five runs"), n)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: xes-vs-process-mining FILE.xes[.gz]");
    let opts = cjm_events::ReadOptions { lifecycle: cjm_events::Lifecycle::All, ..Default::default() };
    let (ours, n_ours) = best(|| cjm_events::read_path(std::path::Path::new(&path), &opts).expect("cjm reads it").len());
    // process_mining parses on one thread: ours on one thread too, for the record.
    let one_thread = cjm_events::ReadOptions { threads: 1, ..opts.clone() };
    let (ours_alone, _) =
        best(|| cjm_events::read_path(std::path::Path::new(&path), &one_thread).expect("cjm reads it").len());
    let (theirs, n_theirs) = best(|| {
        let log = process_mining::import_xes_file(&path, process_mining::XESImportOptions::default()).expect("process_mining reads it");
        log.traces.iter().map(|t| t.events.len()).sum()
    });
    println!("file: {path}");
    println!("cjm-events      {:>8.1} ms  ({n_ours} events)", ours.as_secs_f64() * 1e3);
    println!("  on one thread {:>8.1} ms", ours_alone.as_secs_f64() * 1e3);
    println!("process_mining  {:>8.1} ms  ({n_theirs} events)", theirs.as_secs_f64() * 1e3);
    println!(
        "ratio: cjm-events is {:.2}x as fast ({:.2}x on one thread)",
        theirs.as_secs_f64() / ours.as_secs_f64(),
        theirs.as_secs_f64() / ours_alone.as_secs_f64()
    );
}
