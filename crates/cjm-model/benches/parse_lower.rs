//! Benchmark: parse and lower a 5,000-step map (target: under 20 ms), plus
//! formatting and JSON output for scale. Run with `cargo bench -p cjm-model`.
//! Reports the median and the fastest of repeated runs.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// A map shaped like the templates: 100 stages of 50 steps, each step with
/// the usual lanes filled.
fn big_map(steps: usize) -> String {
    let mut text =
        String::from("journey\n  title Benchmark map\n  state current\n  persona Sam\n    goal: Buy\n  persona Alex\n");
    for i in 0..steps {
        if i % 50 == 0 {
            text.push_str(&format!("  section Stage {}\n    goal: Move on\n", i / 50));
        }
        text.push_str(&format!(
            "    Step number {i}: {}: Sam, Alex\n      score Alex: 2\n      channel: web, email\n      touchpoint: Page {i}\n      doing: Clicks through the page and reads the offer\n      thinking: Is this worth it?\n      feeling: curious\n      pain: Slow page [severity 3]\n      opportunity: Faster page [impact high, effort low, status planned, owner Web]\n      backstage: Service renders the page\n      evidence: touchpoint = \"page_{i}\" and channel in (\"web\", \"app\")\n",
            1 + i % 5
        ));
    }
    text
}

fn measure(name: &str, runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[runs / 2];
    println!("{name:<40} median {:>8.2} ms   best {:>8.2} ms   ({runs} runs)", ms(median), ms(times[0]));
    median
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let text = big_map(5000);
    if std::env::var_os("BENCH_PROFILE_LOWER").is_some() {
        // For `perf record`: lowering alone, many times.
        let parsed = cjm_syntax::parse(&text);
        for _ in 0..200 {
            black_box(cjm_model::lower(&text, &parsed, &cjm_model::uses::no_files));
        }
        return;
    }
    println!("map: 5,000 steps, {} lines, {:.1} MB\n", text.lines().count(), text.len() as f64 / 1e6);
    let parse_lower = measure("parse + lower (5,000 steps)", 30, || {
        let lowered = cjm_model::check(black_box(&text));
        assert!(!lowered.has_errors());
        black_box(lowered);
    });
    measure("parse only", 30, || {
        black_box(cjm_syntax::parse(black_box(&text)));
    });
    let parsed = cjm_syntax::parse(&text);
    measure("lower only (from a parse)", 30, || {
        black_box(cjm_model::lower(black_box(&text), &parsed, &cjm_model::uses::no_files));
    });
    let lowered_map = cjm_model::check(&text).journey;
    measure("validate only", 30, || {
        black_box(cjm_model::validate::validate(black_box(&lowered_map)));
    });
    measure("drop a parse", 30, || {
        drop(black_box(cjm_syntax::parse(&text)));
    });
    measure("format", 30, || {
        black_box(cjm_syntax::format(&text, &parsed.document));
    });
    let map = cjm_model::check(&text).journey;
    measure("model -> JSON", 30, || {
        black_box(cjm_model::json::to_json(&map));
    });
    measure("model -> .cjm", 30, || {
        black_box(cjm_model::to_cjm(&map));
    });
    let verdict = if parse_lower.as_millis() < 20 { "within" } else { "OVER" };
    println!("\nparse + lower: {:.2} ms, {verdict} the 20 ms budget", ms(parse_lower));
}
