//! cjm-render's integration tests.
//!
//! - Golden SVGs per template (`tests/golden/*.svg`, drawn without the
//!   embedded font so the files stay readable).
//! - PNG references per template (`docs/img/*.png`, shown in README.md),
//!   compared pixel by pixel with a tolerance.
//! - Hostile text: no markup injected, nothing breaks the layout.
//!
//! `UPDATE_GOLDEN=1 cargo test -p cjm-render` rewrites the golden files and
//! the reference PNGs; look at the PNGs before committing them.

use cjm_model::{check, templates, Journey};
use cjm_render::{html, pdf, png, svg, Lane, Measures, Options, StepFigures, ThemeName};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

fn template_map(name: &str) -> Journey {
    let t = templates::get(name).expect("template exists");
    let lowered = check(t.text);
    assert!(!lowered.has_errors());
    lowered.journey
}

fn plain() -> Options {
    Options { embed_font: false, ..Options::default() }
}

#[test]
fn golden_svgs_per_template() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut failures = Vec::new();
    for t in templates::ALL {
        let actual = svg(&template_map(t.name), &plain());
        let path = dir.join(format!("{}.svg", t.name));
        if updating() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
                let at = expected.chars().zip(actual.chars()).position(|(a, b)| a != b).unwrap_or(0);
                let snippet = |s: &str| s.chars().skip(at.saturating_sub(80)).take(200).collect::<String>();
                failures.push(format!(
                    "{}: differs at line {line}, char {at}:\n  expected …{}…\n  actual   …{}…",
                    t.name,
                    snippet(&expected),
                    snippet(&actual)
                ));
            }
            Err(_) => failures.push(format!("{} missing (UPDATE_GOLDEN=1)", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the change is intended: UPDATE_GOLDEN=1 cargo test -p cjm-render, and look at docs/img/*.png",
        failures.join("\n")
    );
}

/// Decoded RGBA pixels and size.
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let pixmap = tiny_skia::Pixmap::decode_png(png_bytes).expect("a PNG");
    (pixmap.width(), pixmap.height(), pixmap.data().to_vec())
}

#[test]
fn png_references_match_within_tolerance() {
    let dir = root().join("docs/img");
    for t in templates::ALL {
        let actual = png(&template_map(t.name), &Options::default(), 1.0).expect("renders");
        assert_png_matches(&actual, &dir.join(format!("{}.png", t.name)));
    }
}

/// `actual` against the reference PNG at `path` (rewritten when updating).
fn assert_png_matches(actual: &[u8], path: &Path) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let name = path.display();
    let reference = std::fs::read(path).unwrap_or_else(|_| panic!("{name} missing (UPDATE_GOLDEN=1)"));
    let (w1, h1, a) = decode(&reference);
    let (w2, h2, b) = decode(actual);
    assert_eq!((w1, h1), (w2, h2), "{name}: size changed");
    // Anti-aliasing may differ by a few levels between builds; a changed
    // drawing changes many pixels by a lot.
    let differing =
        a.chunks(4).zip(b.chunks(4)).filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 24)).count();
    let share = differing as f64 / f64::from(w1 * h1);
    assert!(
        share < 0.002,
        "{name}: {:.3}% of pixels differ (UPDATE_GOLDEN=1 to accept, and look at it)",
        share * 100.0
    );
}

fn multi_script_map() -> Journey {
    let text = std::fs::read_to_string(root().join("testdata/multi-script.cjm")).unwrap();
    let lowered = check(&text);
    assert!(!lowered.has_errors());
    lowered.journey
}

/// Text in every script, drawn by the embedded fonts alone (no system font
/// is ever consulted): PNG references a person has looked at, a golden SVG,
/// and a PDF whose text reads back.
#[test]
fn every_script_draws_the_same_in_every_format() {
    let map = multi_script_map();
    let golden = root().join("crates/cjm-render/tests/golden");
    assert_png_matches(&png(&map, &Options::default(), 1.0).unwrap(), &golden.join("multi-script.png"));
    assert_png_matches(&png(&hostile_map(), &Options::default(), 1.0).unwrap(), &golden.join("hostile-text.png"));
    let plain_svg = svg(&map, &plain());
    let path = golden.join("multi-script.svg");
    if updating() {
        std::fs::write(&path, &plain_svg).unwrap();
    } else {
        let expected = std::fs::read_to_string(&path).expect("multi-script.svg (UPDATE_GOLDEN=1)");
        assert_eq!(expected, plain_svg, "multi-script.svg differs (UPDATE_GOLDEN=1 to accept, and look at it)");
    }
    // Every run a fallback face draws names it; mixed lines are placed run
    // by run, and no run is left to a browser's own font choice.
    for family in [
        "Noto Sans CJK JP",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "Noto Sans Devanagari",
        "Noto Sans Thai",
        "Twemoji Mozilla",
    ] {
        assert!(plain_svg.contains(&format!("<tspan font-family=\"{family}\"")), "{family} unused");
    }

    // SVG and HTML carry the faces they use, cut to the map's characters.
    let embedded = svg(&map, &Options::default());
    for family in ["Noto Sans CJK JP", "Noto Sans Arabic", "Twemoji Mozilla"] {
        assert!(embedded.contains(&format!("font-family:'{family}'")), "{family} not embedded");
    }
    assert!(embedded.len() < 1_000_000, "the embedded SVG is {} bytes", embedded.len());
    let page = html(&map, &Options::default());
    assert!(
        page.contains("font-family:'Noto Sans Devanagari';font-weight:700"),
        "the bold face is embedded for headings"
    );
    assert!(page.len() < 1_500_000, "the HTML is {} bytes", page.len());
    // A map in Latin alone embeds Inter and nothing else.
    assert!(!svg(&template_map("ecommerce"), &Options::default()).contains("font/ttf"));

    // The PDF's text is text: pdftotext reads every script back.
    let pdf_path = std::env::temp_dir().join(format!("cjm-multi-script-{}.pdf", std::process::id()));
    std::fs::write(&pdf_path, pdf(&map, &Options::default()).unwrap()).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([pdf_path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    std::fs::remove_file(&pdf_path).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in
        ["多言語の旅", "Путь клиента", "리뷰 검색하기", "广告里看到新款笔记", "שאלה", "Ελπίζω", "سارة", "🚀"]
    {
        assert!(text.contains(expected), "pdftotext lost {expected:?}:\n{text}");
    }
    // Devanagari and Thai are drawn right, but svg2pdf maps a cluster of
    // several glyphs to its text glyph by glyph, so a reader gets their
    // letters out of order: the text is there, not in reading order.
    for (script, range) in [("Devanagari", '\u{0900}'..='\u{097F}'), ("Thai", '\u{0E00}'..='\u{0E7F}')] {
        assert!(text.chars().filter(|c| range.contains(c)).count() > 20, "no {script} text in the PDF");
    }
}

/// Strings built to break markup, layout or both: the corpus in
/// `testdata/hostile-text.json`, shared with the web app's browser test.
fn hostile_strings() -> Vec<String> {
    let corpus: serde_json::Value = serde_json::from_str(include_str!("../../../testdata/hostile-text.json")).unwrap();
    corpus["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| match entry {
            serde_json::Value::String(s) => s.clone(),
            other => other["repeat"].as_str().unwrap().repeat(other["times"].as_u64().unwrap() as usize),
        })
        .collect()
}

fn hostile_map() -> Journey {
    let mut text = String::from("journey\n  title T\n  persona P\n    description: d\n  section S\n    A: 3: P\n");
    for (i, _) in hostile_strings().iter().enumerate() {
        text.push_str(&format!("    Step {i}: 4: P\n"));
    }
    let mut map = check(&text).journey;
    let hostile = hostile_strings();
    map.title = Some(hostile[0].clone());
    map.description = Some(hostile[1].clone());
    map.version = Some(hostile[2].clone());
    map.personas[0].name = "P".into();
    map.personas[0].description = Some(hostile[7].clone());
    map.personas[0].quote = Some(hostile[3].clone());
    map.personas[0].goals = hostile.clone();
    map.stages[0].name = hostile[1].clone();
    map.stages[0].goal = Some(hostile[8].clone());
    for (step, h) in map.stages[0].steps.iter_mut().skip(1).zip(&hostile) {
        step.name = h.clone();
        step.id = format!("\"><script>{}", step.id);
        step.doing = Some(h.clone());
        step.thinking = Some(h.clone());
        step.feeling = Some(h.clone());
        step.channels = vec![h.clone(), "web".into()];
        step.touchpoints = vec![h.clone()];
        step.pains = vec![cjm_model::Pain { text: h.clone(), severity: Some(5) }];
        step.opportunities =
            vec![cjm_model::Opportunity { text: h.clone(), owner: Some(h.clone()), ..Default::default() }];
        step.backstage = vec![h.clone()];
        step.systems = vec![h.clone()];
        step.owner = Some(h.clone());
        step.notes = vec![h.clone()];
        step.evidence = Some(h.clone());
    }
    map
}

/// Every element is one cjm draws, no attribute is an event handler or a
/// link to script, and every user string stayed text.
fn assert_markup_is_ours(svg_text: &str) {
    const ELEMENTS: &[&str] = &[
        "svg", "title", "desc", "defs", "style", "symbol", "g", "rect", "text", "tspan", "circle", "path", "line",
        "use", "clipPath", "image",
    ];
    let doc = roxmltree::Document::parse(svg_text).expect("well-formed XML");
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(ELEMENTS.contains(&name), "unexpected element <{name}>");
        for attr in node.attributes() {
            assert!(
                !attr.name().to_lowercase().starts_with("on"),
                "event attribute {}={:?}",
                attr.name(),
                attr.value()
            );
            if matches!(attr.name(), "href") {
                let v = attr.value();
                assert!(v.starts_with('#') || v.starts_with("data:image/"), "link {v:?}");
            }
        }
    }
}

#[test]
fn hostile_text_injects_no_markup_and_keeps_the_layout() {
    let map = hostile_map();
    let out = svg(&map, &Options::default());
    // Well-formed: a strict XML parser (usvg's) reads it.
    let tree = usvg::Tree::from_str(&out, &usvg::Options::default()).expect("the SVG is well-formed");
    assert_markup_is_ours(&out);
    assert_eq!(out.matches("</svg>").count(), 1);
    assert!(!out.contains('\u{0}') && !out.contains('\u{1b}'), "control characters reach the XML");
    // Layout: 100 kB strings are cut, not drawn; columns keep their bounds.
    let steps = map.steps().count() as f32;
    assert!(tree.size().width() < 120.0 + 176.0 + steps * (280.0 + 10.0) + 80.0, "width {}", tree.size().width());
    assert!(tree.size().height() < 6000.0, "height {}", tree.size().height());
    for text in out.split("<text").skip(1) {
        let content = text.split('>').nth(1).unwrap_or("");
        assert!(content.len() < 2000, "a text line of {} bytes", content.len());
    }

    let page = html(&map, &Options::default());
    assert_eq!(page.matches("<script").count(), 2, "only the JSON island and the viewer script");
    assert!(!page.contains("<svg onload"));
    let island = page
        .split(r#"<script type="application/json" id="cjm-data">"#)
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert!(!island.contains('<') && !island.contains('>'), "the JSON island holds raw angle brackets");
    let parsed: serde_json::Value = serde_json::from_str(island).expect("the island is JSON");
    assert_eq!(parsed["map"]["title"], "<script>alert(1)</script>");

    png(&map, &Options::default(), 0.5).expect("PNG renders");
    pdf(&map, &Options::default()).expect("PDF renders");
}

#[test]
fn lanes_persona_and_width_options() {
    let map = template_map("five-as");
    let only = Options { lanes: Some(vec![Lane::Emotion, Lane::Steps]), ..plain() };
    let out = svg(&map, &only);
    let doc = roxmltree::Document::parse(&out).unwrap();
    let order: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane-label"))
        .filter_map(|n| n.attribute("data-lane"))
        .collect();
    assert_eq!(order, ["emotion", "steps"]);
    assert!(!out.contains("LINE OF VISIBILITY"));

    let tom = svg(&map, &Options { persona: Some("Tom".into()), ..plain() });
    assert!(tom.contains(r#"data-persona="Tom""#) && !tom.contains(r#"data-persona="Priya""#));
    assert_eq!(tom.matches(r#"class="persona""#).count(), 1);

    let narrow = svg(&map, &Options { width: Some(1000.0), ..plain() });
    let wide = svg(&map, &Options { width: Some(3000.0), ..plain() });
    let width = |s: &str| s.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse::<f32>().unwrap();
    assert!(width(&narrow) < width(&wide), "{} vs {}", width(&narrow), width(&wide));
    assert!((width(&wide) - 3000.0).abs() < 60.0, "{}", width(&wide));
}

#[test]
fn every_theme_renders() {
    let map = template_map("service");
    for theme in [ThemeName::Light, ThemeName::Dark, ThemeName::Print] {
        let opts = Options { theme, ..plain() };
        let out = svg(&map, &opts);
        usvg::Tree::from_str(&out, &usvg::Options::default()).expect("well-formed");
        png(&map, &opts, 0.25).expect("PNG");
    }
}

#[test]
fn accessibility_title_and_description() {
    let map = template_map("service");
    let out = svg(&map, &plain());
    assert!(out.contains(r#"aria-labelledby="cjm-title cjm-desc""#));
    assert!(out.contains(r#"<title id="cjm-title">Patient journey for a physiotherapy appointment</title>"#));
    assert!(out.contains("<desc id=\"cjm-desc\">Eight steps in three stages"));
    // Sentiment is also a shape: faces carry their mood.
    assert!(out.contains(r#"class="face positive""#) && out.contains(r#"class="face negative""#));
}

#[test]
fn long_maps_paginate_by_stage_and_keep_lane_labels() {
    let mut text = String::from("journey\n  title Long\n");
    for s in 0..12 {
        text.push_str(&format!("  section Stage {s}\n"));
        for i in 0..10 {
            text.push_str(&format!("    Step {s}-{i}: {}: Me\n      doing: Something\n", 1 + (i % 5)));
        }
    }
    let map = check(&text).journey;
    let bytes = pdf(&map, &Options::default()).expect("PDF");
    let pages = String::from_utf8_lossy(&bytes).matches("/Type /Page\n").count()
        + String::from_utf8_lossy(&bytes).matches("/Type /Page ").count();
    assert!(pages >= 6, "{pages} pages for 12 stages of 10 steps");
    let body = String::from_utf8_lossy(&bytes);
    assert!(body.contains("/FontFile3") || body.contains("/FontFile2"), "text is embedded as text, not paths");
    let page = html(&map, &Options::default());
    assert!(page.contains("class=\"sticky-labels\""));
}

#[test]
fn measured_figures_fill_the_metrics_lane() {
    let map = template_map("ecommerce");
    let mut measures = Measures { customers: 12_345, source: Some("shop.parquet".into()), ..Default::default() };
    measures.steps.insert(
        "check-out".into(),
        StepFigures {
            reached: 4200,
            reach_share: 0.34,
            funnel: Some(3900),
            conversion: Some(0.61),
            drop_off: Some(0.34),
            median_seconds_since_previous: Some(5400.0),
            mean_score: Some(2.4),
            optional: false,
        },
    );
    let out = svg(&map, &Options { measures: Some(measures), ..plain() });
    for needle in [
        "Measured: 12,345 customers in shop.parquet",
        "4,200 · 34.0%",
        "3,900",
        "61.0%",
        "1.5 h",
        "2.4 / 5",
        "▼ 34% drop-off",
        "curve-measured",
        ">Reach<",
        ">In funnel<",
        ">Conversion<",
    ] {
        assert!(out.contains(needle), "missing {needle}");
    }
    // Every figure says how it was computed, in a tooltip.
    for figure in cjm_model::measures::Figure::ALL {
        let title = format!("<title>{}</title>", figure.explain().replace('\'', "&#39;"));
        assert!(out.contains(&title), "no tooltip for {}", figure.label());
    }
}

#[test]
fn images_are_embedded_and_bad_ones_fall_back_to_initials() {
    let mut map = template_map("service");
    map.personas[0].image = Some("p.png".into());
    let mut opts = plain();
    let png_bytes =
        png(&template_map("five-as"), &Options { lanes: Some(vec![Lane::Steps]), ..Options::default() }, 0.1).unwrap();
    opts.images.insert("p.png".into(), png_bytes);
    assert!(svg(&map, &opts).contains("data:image/png;base64,"));
    opts.images.insert("p.png".into(), b"<svg onload=alert(1)>".to_vec());
    let out = svg(&map, &opts);
    assert!(!out.contains("data:image") && out.contains(">M</text>"), "initials instead of a bad image");
}

/// The evidence charts, as golden SVGs: a funnel and the top variants, with
/// hostile names that must stay text.
#[test]
fn golden_charts() {
    use cjm_render::charts::*;
    let funnel: Chart = FunnelChart {
        title: "Funnel in shop.parquet".into(),
        subtitle: "1,000 customers; steps in order".into(),
        customers: 1000,
        steps: vec![
            FunnelBar { name: "product_page".into(), reached: 640, median_seconds_from_start: Some(0.0) },
            FunnelBar {
                name: "<script>alert(1)</script>".into(),
                reached: 320,
                median_seconds_from_start: Some(3900.0),
            },
            FunnelBar { name: "payment & \"done\"".into(), reached: 0, median_seconds_from_start: None },
        ],
        groups: Vec::new(),
    }
    .into();
    let grouped: Chart = FunnelChart {
        title: "Funnel by channel".into(),
        subtitle: "1,000 customers".into(),
        customers: 1000,
        steps: vec![
            FunnelBar { name: "search".into(), reached: 900, median_seconds_from_start: None },
            FunnelBar { name: "pay".into(), reached: 300, median_seconds_from_start: Some(600.0) },
        ],
        groups: vec![
            FunnelGroup { name: "web".into(), customers: 600, reached: vec![600, 240] },
            FunnelGroup { name: "<i onclick=x>app</i>".into(), customers: 400, reached: vec![300, 60] },
        ],
    }
    .into();
    let paths: Chart = PathsChart {
        title: "Paths in shop.parquet".into(),
        subtitle: "100 of 120 customers".into(),
        columns: vec!["search".into(), "1 after".into()],
        anchored: 100,
        nodes: vec![
            SankeyNode {
                column: 0,
                name: "search".into(),
                muted: false,
                customers: 100,
                href: Some("/x?at=search&b=\"".into()),
            },
            SankeyNode { column: 1, name: "<script>pay</script>".into(), muted: false, customers: 70, href: None },
            SankeyNode { column: 1, name: "journey ends".into(), muted: true, customers: 30, href: None },
        ],
        links: vec![SankeyLink { from: 0, to: 1, customers: 70 }, SankeyLink { from: 0, to: 2, customers: 30 }],
    }
    .into();
    let process: Chart = ProcessChart {
        title: "Process map".into(),
        subtitle: "3 touchpoints".into(),
        performance: false,
        nodes: vec![
            ProcessNode { name: "search".into(), events: 120, href: None },
            ProcessNode { name: "<b onload=x>compare</b>".into(), events: 90, href: None },
            ProcessNode { name: "pay".into(), events: 40, href: None },
        ],
        edges: vec![
            ProcessEdge { from: 0, to: 1, count: 90, median_seconds: Some(120.0) },
            ProcessEdge { from: 1, to: 2, count: 40, median_seconds: Some(3600.0) },
            ProcessEdge { from: 1, to: 0, count: 10, median_seconds: Some(30.0) },
            ProcessEdge { from: 2, to: 2, count: 5, median_seconds: None },
        ],
        starts: vec![(0, 100)],
        ends: vec![(1, 60), (2, 40)],
    }
    .into();
    let bars: Chart = BarsChart {
        title: "Time to convert".into(),
        subtitle: "40 customers".into(),
        bars: (0..6)
            .map(|i| Bar {
                label: format!("{i}–{} h", i + 1),
                value: (i * 3) as f64,
                shown: (i * 3).to_string(),
                tip: format!("band {i}"),
            })
            .collect(),
        note: "customers per time band".into(),
    }
    .into();
    let variants: Chart = VariantsChart {
        title: "Top variants".into(),
        subtitle: "1,000 customers, 3 variants".into(),
        customers: 1000,
        variants: vec![
            VariantBar { sequence: vec!["a".into(), "b".into()], customers: 600 },
            VariantBar { sequence: vec!["a".into(), "<b onload=x>".into(), "c".into()], customers: 300 },
            VariantBar { sequence: vec!["a".repeat(400)], customers: 100 },
        ],
    }
    .into();
    let trend: Chart = TrendChart {
        title: "Customers over time".into(),
        subtitle: "active customers per week (from Monday), UTC".into(),
        buckets: (0..30u64)
            .map(|i| TrendBar {
                start: format!("2024-{:02}-{:02}", 1 + i / 4, 1 + (i % 4) * 7),
                events: 10 * i,
                customers: 3 * i,
                new_customers: i,
            })
            .collect(),
    }
    .into();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let all = [
        ("chart-funnel", &funnel),
        ("chart-variants", &variants),
        ("chart-trend", &trend),
        ("chart-funnel-grouped", &grouped),
        ("chart-paths", &paths),
        ("chart-process", &process),
        ("chart-bars", &bars),
    ];
    for (name, chart) in all {
        let actual = chart_svg(chart, false);
        assert_eq!(actual, chart_svg(chart, false), "{name}: drawn the same every time");
        assert!(
            !actual.contains("<script") && !actual.contains("<b onload") && !actual.contains("<i onclick"),
            "{name}: markup escaped"
        );
        assert!(usvg::Tree::from_str(&actual, &usvg::Options::default()).is_ok(), "{name}: a valid SVG");
        let path = dir.join(format!("{name}.svg"));
        if updating() {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{name} missing (UPDATE_GOLDEN=1)"));
        assert_eq!(expected, actual, "{name} differs (UPDATE_GOLDEN=1 to accept, and look at it)");
        assert!(chart_png(chart, 1.0).unwrap().starts_with(b"\x89PNG"));
        assert!(chart_pdf(chart).unwrap().starts_with(b"%PDF"));
    }
    let f = chart_svg(&funnel, false);
    for needle in ["640", "64.0%", "50.0%", "▼ 320 dropped", "median 65 min from step 1", "Funnel of 1,000 customers"]
    {
        assert!(f.contains(needle), "funnel: missing {needle}");
    }
    let t = chart_svg(&trend, false);
    for needle in [
        "87 customers at most",
        "From 2024-08-08: 87 customers active (29 new), 290 events",
        "Active customers in 30 periods",
    ] {
        assert!(t.contains(needle), "trend: missing {needle}");
    }
    let g = chart_svg(&grouped, false);
    for needle in [
        "1. web · 600",
        "2. &lt;i onclick=x&gt;app&lt;/i&gt; · 400",
        "pay, segment web: 240 of 600 customers reached step 2 (40.0%)",
    ] {
        assert!(g.contains(needle), "grouped funnel: missing {needle}");
    }
    let p = chart_svg(&paths, false);
    for needle in [
        "search → &lt;script&gt;pay&lt;/script&gt;: 70 customers (70.0% of the 100 on these paths)",
        "href=\"/x?at=search&amp;b=&quot;\"",
    ] {
        assert!(p.contains(needle), "paths: missing {needle}");
    }
    let m = chart_svg(&process, false);
    for needle in [
        "search → &lt;b onload=x&gt;compare&lt;/b&gt;: 90 times directly after, median 2 min between them",
        "100 customers start at search",
        ">start</text>",
        ">end</text>",
    ] {
        assert!(m.contains(needle), "process: missing {needle}");
    }
    let v = chart_svg(&variants, false);
    for needle in ["600 · 60.0%", "cumulative 90.0%", "cumulative 100.0%", "a → &lt;b onload=x&gt; → c"] {
        assert!(v.contains(needle), "variants: missing {needle}");
    }
}

/// The header and the accessible description count in words that agree
/// with the number: "1 stage", "2 steps".
#[test]
fn counts_read_in_the_singular_for_one() {
    let one = check("journey\n  title One\n  section Only\n    Pay: 3: Me\n").journey;
    let doc = svg(&one, &plain());
    assert!(doc.contains("with 1 step in 1 stage: Only."), "{}", &doc[..doc.len().min(600)]);
    assert!(doc.contains("1 stage · 1 step"));
    let two = check("journey\n  section A\n    Pay: 3: Me\n  section B\n    Go: 3: Me\n").journey;
    assert!(svg(&two, &plain()).contains("with 2 steps in 2 stages: A, B."));
}

/// Twelve personas giving every step the same score, in the narrowest
/// columns: their faces sit side by side, smaller, none covering another.
#[test]
fn faces_of_many_personas_at_one_score_do_not_cover_each_other() {
    let names: Vec<String> = (1..=12).map(|i| format!("P{i}")).collect();
    let mut text = String::from("journey\n  title Crowd\n");
    for n in &names {
        text.push_str(&format!("  persona {n}\n"));
    }
    text.push_str(&format!("  section S\n    Look: 3: {}\n    Buy: 3: {}\n", names.join(", "), names.join(", ")));
    let map = check(&text).journey;
    let doc = svg(&map, &Options { width: Some(320.0), ..plain() });
    // Each face: its centre and drawn radius (11, times its group's scale).
    let mut faces: Vec<(f32, f32, f32)> = Vec::new();
    for (at, _) in doc.match_indices("<g class=\"face ") {
        let before = &doc[..at];
        let scale = before
            .rfind("scale(")
            .filter(|&i| !before[i..].contains("</g>"))
            .map_or(1.0, |i| before[i + 6..].split(')').next().unwrap().parse::<f32>().unwrap());
        let attr = |name: &str| -> f32 {
            let rest = &doc[at..];
            let i = rest.find(&format!("<circle {name}=\"")).unwrap() + name.len() + 10;
            rest[i..].split('"').next().unwrap().parse().unwrap()
        };
        let cy = {
            let rest = &doc[at..];
            let i = rest.find(" cy=\"").unwrap() + 5;
            rest[i..].split('"').next().unwrap().parse::<f32>().unwrap()
        };
        faces.push((attr("cx"), cy, 11.0 * scale));
    }
    assert_eq!(faces.len(), 24, "12 personas × 2 steps");
    assert!(faces.iter().all(|f| f.2 < 11.0), "too many for full size: drawn smaller");
    for (i, a) in faces.iter().enumerate() {
        for b in &faces[i + 1..] {
            let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
            assert!(d >= a.2 + b.2, "faces at {a:?} and {b:?} overlap ({d:.1} px apart)");
        }
    }
}

/// The current-vs-future board: shared columns in the future's order with
/// a removed step after the one it followed, each step's change named,
/// each persona's score change written out, each stage's verdict.
#[test]
fn the_comparison_board_marks_what_changed() {
    let current = check(
        "journey\n  title Shop\n  promise: Easy\n  persona Sam\n  section Find\n    promise: Quick\n    Search: 2: Sam\n    Browse: 3: Sam\n  section Buy\n    Pay: 2: Sam\n      pain: Slow [severity 4]\n",
    )
    .journey;
    let future = check(
        "journey\n  title Shop\n  promise: Easy\n  persona Sam\n  section Find\n    promise: Quick\n    Search: 4: Sam\n  section Buy\n    Save the cart: 4: Sam\n    Pay: 2: Sam\n",
    )
    .journey;
    let board = cjm_render::compare::compare_svg(&current, &future, ("v1", "v2"), false);
    assert_markup_is_ours(&board);
    assert!(board.contains("4 steps in all: 1 added, 1 removed, 2 changed, 0 unchanged."), "{}", &board[..800]);
    let order: Vec<usize> = ["Search", "Browse", "Save the cart", "Pay"]
        .iter()
        .map(|n| board.find(&format!(">{n}</text>")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "Browse (removed) stays after Search; the new step before Pay");
    for (class, n) in [("change-added", 1), ("change-removed", 1), ("change-changed", 2)] {
        assert_eq!(board.matches(&format!("class=\"step {class}\"")).count(), n, "{class}");
    }
    assert!(board.contains("2 → 4 ▲ +2"), "Sam's score at Search, with an arrow");
    assert!(board.contains("1 → 0 ▼ fewer"), "Pay lost its pain");
    assert!(board.contains("mean 2.5 → 4.0 ▲ keeps the promise better"), "Find: (2+3)/2 → 4");
    // The hostile corpus on both sides stays text.
    let hostile = hostile_map();
    assert_markup_is_ours(&cjm_render::compare::compare_svg(&hostile, &current, ("<b>", "\"x"), true));
    let png = cjm_render::compare::compare_png(&current, &future, ("v1", "v2"), 1.0).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

/// A deck is a package any Office reader opens: every part a slide names is
/// there, each picture is an SVG (text as outlines) with a PNG fallback,
/// and one map gives one file, byte for byte.
#[test]
fn the_deck_has_a_slide_per_part_and_every_picture_twice() {
    use std::io::Read;
    let map = template_map("ecommerce");
    let bytes = cjm_render::pptx(&map, &plain()).expect("a deck");
    assert_eq!(bytes, cjm_render::pptx(&map, &plain()).unwrap(), "the same map, the same deck");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("a zip");
    let mut part = |name: &str| {
        let mut s = Vec::new();
        zip.by_name(name).unwrap_or_else(|_| panic!("{name} missing")).read_to_end(&mut s).unwrap();
        s
    };
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let presentation = text(part("ppt/presentation.xml"));
    // Title, whole map, five stages, personas, opportunities.
    assert_eq!(presentation.matches("<p:sldId ").count(), 9, "{presentation}");
    assert!(text(part("[Content_Types].xml")).contains(r#"Extension="svg" ContentType="image/svg+xml""#));
    let title = text(part("ppt/slides/slide1.xml"));
    assert!(title.contains("<a:t>Buy a laptop online</a:t>") && title.contains("Brand promise: The right laptop"));
    for n in 2..=9 {
        let rels = text(part(&format!("ppt/slides/_rels/slide{n}.xml.rels")));
        let slide = text(part(&format!("ppt/slides/slide{n}.xml")));
        assert!(slide.contains(r#"<a:blip r:embed="rId2">"#) && slide.contains(r#"<asvg:svgBlip"#), "slide {n}");
        let targets: Vec<&str> =
            rels.split("Target=\"../media/").skip(1).map(|s| s.split('"').next().unwrap()).collect();
        assert_eq!(targets.len(), 2, "slide {n}: {rels}");
        let png = part(&format!("ppt/media/{}", targets[0]));
        let (w, h, _) = decode(&png);
        assert!(w.max(h) <= 3200 && w.min(h) > 100, "slide {n}: fallback {w}×{h}");
        let svg = text(part(&format!("ppt/media/{}", targets[1])));
        assert!(!svg.contains("<text"), "slide {n}: text is drawn as outlines");
        usvg::Tree::from_str(&svg, &usvg::Options::default()).expect("the SVG reads back");
    }
    assert!(text(part("ppt/slides/slide3.xml")).contains("<a:t>Stage 1 of 5: Discover</a:t>"));
    assert!(text(part("ppt/slides/slide9.xml")).contains("<a:t>Opportunities, by impact and effort</a:t>"));
}

/// Hostile text reaches a deck as text: every XML part stays well-formed
/// and the title is the string itself.
#[test]
fn hostile_text_keeps_the_deck_well_formed() {
    use std::io::Read;
    let map = hostile_map();
    let bytes = cjm_render::pptx(&map, &plain()).expect("a deck");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "ppt/slides/slide1.xml" {
            let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("t")).filter_map(|n| n.text()).collect();
            assert_eq!(texts[0], hostile_strings()[0], "the title is the string itself");
        }
    }
}
