//! Benchmark: interning ten million customer ids (1.9 million distinct, in
//! random order, as in the peers' 1e7 log) one call at a time versus in
//! batches with prefetching (`Dict::intern_all`), the reader's hot loop.
//! Run with `cargo bench -p cjm-events --bench dict`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cjm_events::Dict;
use std::time::Instant;

fn main() {
    let (events, customers) = (10_000_000u64, 1_919_058u64);
    // A fixed pseudo-random order (splitmix64), no dependency needed.
    let mut state = 0x1234_5678u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let ids: Vec<String> = (0..events).map(|_| format!("C{:08}", next() % customers)).collect();
    println!("{events} ids, {customers} possible customers\n");
    for round in 0..3 {
        let t = Instant::now();
        let mut one = Dict::default();
        let mut a = Vec::with_capacity(ids.len());
        for id in &ids {
            a.push(one.intern(id));
        }
        let single = t.elapsed();
        let t = Instant::now();
        let mut batch = Dict::default();
        let mut b = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(64 * 1024) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            batch.intern_all(&refs, &mut b);
        }
        let batched = t.elapsed();
        assert_eq!(a, b);
        println!(
            "round {round}: one at a time {:>7.1} ms   intern_all (prefetch) {:>7.1} ms   {:.2}x   ({} distinct)",
            single.as_secs_f64() * 1e3,
            batched.as_secs_f64() * 1e3,
            single.as_secs_f64() / batched.as_secs_f64(),
            one.len()
        );
    }
}
