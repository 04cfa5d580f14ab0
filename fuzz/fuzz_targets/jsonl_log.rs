//! JSONL logs: any bytes read as a log or a clear error, never a panic, on
//! one thread and on two, with the same answer; gzipped too (capped).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let read = |threads| {
        let opts = cjm_events::ReadOptions { threads, max_inflated: Some(16 << 20), ..Default::default() };
        cjm_events::read_bytes(data, "fuzz.jsonl", &opts).map(|log| (log.len(), log.cases.len(), log.stats.clone()))
    };
    let one = read(1);
    let two = read(2);
    assert_eq!(one.as_ref().map_err(|e| &e.message), two.as_ref().map_err(|e| &e.message), "one thread and two differ");
});
