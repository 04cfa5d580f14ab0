//! Benchmark: a 100-step map (ten stages, every lane filled) to SVG (target
//! ≤ 20 ms) and PNG (≤ 700 ms), plus PDF and HTML for scale; and a 120-step
//! map's PNG at scale 1 (≤ 1.5 s and ≤ 4 MB: a workshop's wall-sized map).
//! Run with `cargo bench -p cjm-render`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

fn map_text(steps: usize) -> String {
    let mut t = String::from("journey\n  title Benchmark map\n  state current\n  persona Sam\n    goal: Buy\n    quote: \"Fast please\"\n  persona Alex\n");
    for i in 0..steps {
        if i % 10 == 0 {
            t.push_str(&format!("  section Stage {}\n    goal: Move on to the next stage\n", i / 10));
        }
        t.push_str(&format!(
            "    Step number {i}: {}: Sam, Alex\n      score Alex: {}\n      channel: web, email\n      touchpoint: Page {i}\n      doing: Clicks through the page and reads the offer carefully\n      thinking: Is this worth the money?\n      feeling: curious\n      pain: Slow page on mobile [severity 3]\n      opportunity: Faster page [impact high, effort low, status planned, owner Web]\n      backstage: Service renders the page\n      system: CMS\n      owner: Web team\n",
            1 + i % 5,
            1 + (i + 2) % 5
        ));
    }
    t
}

fn measure(name: &str, runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[runs / 2];
    println!(
        "{name:<28} median {:>8.2} ms   best {:>8.2} ms   ({runs} runs)",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
    median
}

fn main() {
    let text = map_text(100);
    let map = cjm_model::check(&text).journey;
    assert_eq!(map.steps().count(), 100);
    let opts = cjm_render::Options::default();
    let plain = cjm_render::Options { embed_font: false, ..cjm_render::Options::default() };
    let svg_time = measure("SVG (font embedded)", 30, || {
        black_box(cjm_render::svg(black_box(&map), &opts));
    });
    measure("SVG (no font)", 30, || {
        black_box(cjm_render::svg(black_box(&map), &plain));
    });
    let png_time = measure("PNG (scale 1)", 10, || {
        black_box(cjm_render::png(black_box(&map), &opts, 1.0).unwrap());
    });
    measure("PDF", 5, || {
        black_box(cjm_render::pdf(black_box(&map), &opts).unwrap());
    });
    measure("HTML", 20, || {
        black_box(cjm_render::html(black_box(&map), &opts));
    });
    let wide = cjm_model::check(&map_text(120)).journey;
    let mut wide_png = Vec::new();
    let wide_time = measure("PNG, 120 steps (scale 1)", 5, || {
        wide_png = cjm_render::png(black_box(&wide), &opts, 1.0).unwrap();
    });
    let svg = cjm_render::svg(&map, &opts);
    println!("\nSVG size {:.0} kB; PNG budget 700 ms, SVG budget 20 ms", svg.len() as f64 / 1024.0);
    println!(
        "SVG: {:.2} ms ({}), PNG: {:.1} ms ({})",
        svg_time.as_secs_f64() * 1e3,
        if svg_time.as_millis() <= 20 { "within" } else { "OVER" },
        png_time.as_secs_f64() * 1e3,
        if png_time.as_millis() <= 700 { "within" } else { "OVER" }
    );
    let mb = wide_png.len() as f64 / 1e6;
    println!(
        "PNG of 120 steps: {:.0} ms ({}), {mb:.2} MB ({})",
        wide_time.as_secs_f64() * 1e3,
        if wide_time.as_millis() <= 1500 { "within 1.5 s" } else { "OVER 1.5 s" },
        if mb <= 4.0 { "within 4 MB" } else { "OVER 4 MB" }
    );
}
