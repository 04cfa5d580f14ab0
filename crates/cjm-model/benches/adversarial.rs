//! Benchmark: maps of up to 2 MB shaped to hit every per-item cost of the
//! checker at once (thousands of personas, a name repeated everywhere, a
//! title on every line, …). The bound is that any such map is checked,
//! formatted and converted in under a second. Run with
//! `cargo bench -p cjm-model --bench adversarial`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Instant;

/// The budget for any map up to this size.
const MAX_BYTES: usize = 2 * 1024 * 1024;
const BUDGET_MS: f64 = 1000.0;

/// Lines repeated until the map is just under 2 MB.
fn fill(head: &str, line: impl Fn(usize) -> String) -> String {
    let mut text = head.to_string();
    for i in 0.. {
        let next = line(i);
        if text.len() + next.len() > MAX_BYTES {
            break;
        }
        text.push_str(&next);
    }
    text
}

fn shapes() -> Vec<(&'static str, String)> {
    let personas: String = (0..20_000).map(|i| format!("  persona P{i}\n")).collect();
    vec![
        (
            "20,000 personas, steps naming them",
            fill(&format!("journey\n{personas}  section S\n"), |i| format!("    Step {i}: 3: P{}\n", i % 20_000)),
        ),
        (
            "20,000 personas, steps naming others",
            fill(&format!("journey\n{personas}  section S\n"), |i| format!("    Step {i}: 3: Q{i}\n")),
        ),
        ("one step name repeated", fill("journey\n  section S\n", |_| "    Pay: 3\n".to_string())),
        ("one section name repeated", fill("journey\n", |_| "  section S\n    Pay: 3\n".to_string())),
        ("a title on every line", fill("journey\n", |_| "  title T\n".to_string())),
        (
            "one step, a score per persona",
            fill(&format!("journey\n{personas}  section S\n    Step: 3\n"), |i| {
                format!("      score P{}: 3\n", i % 20_000)
            }),
        ),
        (
            "one step, 10,000 pains",
            fill("journey\n  section S\n    Step: 3\n", |i| format!("      pain: p{i} [severity 3]\n")),
        ),
        (
            "an evidence rule of 200,000 terms",
            format!(
                "journey\n  section S\n    Step: 3\n      evidence: {}\n",
                vec!["t = \"x\""; 190_000].join(" and ")
            ),
        ),
        ("one keyword repeated", fill("journey\n  section S\n    Step: 3\n", |_| "  state current\n".to_string())),
        ("unknown keys everywhere", fill("journey\n  section S\n    Step: 3\n", |i| format!("      chanel{i}: web\n"))),
    ]
}

fn main() {
    let mut worst: f64 = 0.0;
    for (name, text) in shapes() {
        let started = Instant::now();
        let lowered = cjm_model::check(black_box(&text));
        let check = started.elapsed().as_secs_f64() * 1000.0;
        let parsed = cjm_syntax::parse(&text);
        let t = Instant::now();
        black_box(cjm_syntax::format(&text, &parsed.document));
        let format = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        black_box(cjm_model::json::to_json(&lowered.journey));
        black_box(cjm_model::to_cjm(&lowered.journey));
        let convert = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        drop(black_box((lowered, parsed)));
        let dropped = t.elapsed().as_secs_f64() * 1000.0;
        let total = check + format + convert + dropped;
        worst = worst.max(total);
        println!(
            "{name:<40} {:>5.2} MB  check {check:>7.1} ms  format {format:>6.1} ms  convert {convert:>6.1} ms  drop {dropped:>5.1} ms",
            text.len() as f64 / 1e6
        );
    }
    let verdict = if worst < BUDGET_MS { "within" } else { "OVER" };
    println!("\nworst map: {worst:.0} ms, {verdict} the {BUDGET_MS:.0} ms budget");
}
