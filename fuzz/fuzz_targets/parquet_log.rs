//! Parquet logs: any bytes, whole files and damaged footers alike, read as
//! a log or a clear error, never a panic or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for threads in [1, 2] {
        let opts = cjm_events::ReadOptions { threads, ..Default::default() };
        let _ = cjm_events::read_bytes(data, "fuzz.parquet", &opts);
    }
});
