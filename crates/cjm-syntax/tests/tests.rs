//! cjm-syntax's integration tests: the parser and formatter never panic,
//! whatever the input, and formatting is idempotent.

use cjm_syntax::{format, parse, parse_bytes, Diagnostic};
use proptest::prelude::*;
use std::path::Path;

fn fmt(text: &str) -> String {
    format(text, &parse(text).document)
}

/// Spans must lie inside the text and on character boundaries, or rendering
/// a diagnostic could panic.
fn assert_spans_valid(text: &str, diags: &[Diagnostic]) {
    for d in diags {
        assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{d:?} outside {} bytes", text.len());
        assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end), "{d:?} splits a character");
    }
}

/// Characters that matter to the grammar, mixed with anything.
fn map_like_text() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("journey\n".to_string()),
        Just("  title ".to_string()),
        Just("  section ".to_string()),
        Just("persona ".to_string()),
        Just("metric ".to_string()),
        Just("scale 1..5\n".to_string()),
        Just(": ".to_string()),
        Just(", ".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("    ".to_string()),
        Just("\t".to_string()),
        Just("%%".to_string()),
        Just("%%{".to_string()),
        Just("}%%".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just("|".to_string()),
        Just("[severity 3]".to_string()),
        Just("accDescr {".to_string()),
        Just("}".to_string()),
        Just("---\n".to_string()),
        Just("evidence: (".to_string()),
        Just("channel: ".to_string()),
        Just("score Sam: ".to_string()),
        Just("3".to_string()),
        Just("-".to_string()),
        Just("\u{feff}".to_string()),
        "[a-zA-Z é注🎉]{0,6}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        match parse_bytes(&bytes) {
            Ok(parse) => {
                let text = std::str::from_utf8(&bytes).unwrap();
                assert_spans_valid(text, &parse.diagnostics);
                let _ = fmt(text);
            }
            Err(d) => prop_assert!(d.span.start < bytes.len()),
        }
    }

    #[test]
    fn map_like_text_never_panics_and_formats_idempotently(text in map_like_text()) {
        let parsed = parse(&text);
        assert_spans_valid(&text, &parsed.diagnostics);
        let _ = cjm_syntax::diag::render::human("x.cjm", &text, &parsed.diagnostics, false);
        if !parsed.has_errors() {
            let once = fmt(&text);
            prop_assert_eq!(fmt(&once), once.clone(), "not idempotent on {:?}", text);
        }
    }
}

#[test]
fn fifty_megabytes_parse_in_one_pass() {
    let mut text = String::from("journey\n  title Big\n");
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!("  section Stage {i}\n    Step {i}: 3: Me\n      channel: web\n      doing: Something long enough to take space on the line\n"));
        i += 1;
    }
    let started = std::time::Instant::now();
    let parsed = parse(&text);
    assert!(!parsed.has_errors());
    assert_eq!(parsed.document.nodes.len(), 2 + 4 * i);
    // Not a benchmark: a guard against quadratic behaviour (minutes, not seconds).
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

#[test]
fn deeply_indented_garbage_is_flat_errors() {
    let mut text = String::from("journey\n  section S\n    Step: 3\n");
    for depth in 0..5000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("x: ((((\n");
    }
    let parsed = parse(&text);
    assert!(parsed.has_errors());
    let _ = fmt(&text);
}

#[test]
fn crlf_bom_and_tabs_read_like_plain_text() {
    let plain = parse("journey\n  title T\n  section S\n    Step: 3: Me\n");
    let windows = parse("\u{feff}journey\r\n  title T\r\n\tsection S\r\n\t  Step: 3: Me\r\n");
    let kinds =
        |p: &cjm_syntax::Parse| p.document.nodes.iter().map(|n| std::mem::discriminant(&n.kind)).collect::<Vec<_>>();
    assert_eq!(kinds(&plain), kinds(&windows));
    assert!(windows.diagnostics.iter().any(|d| d.code == "W001"), "mixed tabs and spaces are reported");
}

/// Found by fuzzing: a line that starts with a vertical tab
/// or another white space is read as Mermaid reads it, the white space
/// skipped before the keyword, so `cjm fmt` cannot turn a step into a title.
#[test]
fn other_white_space_before_a_keyword_is_skipped() {
    let plain = parse("journey\n  title T\n  section S\n    Step: 3: Me\n");
    let odd = parse("journey\u{b}  title T\n\u{b}\u{c}section S\n\u{a0}   Step: 3: Me\n");
    let kinds =
        |p: &cjm_syntax::Parse| p.document.nodes.iter().map(|n| std::mem::discriminant(&n.kind)).collect::<Vec<_>>();
    assert_eq!(kinds(&plain), kinds(&odd));
    let known = std::str::from_utf8(include_bytes!("fuzzed-vertical-tab-title.cjm")).unwrap();
    let once = fmt(known);
    assert_eq!(fmt(&once), once);
    let count = |text: &str| {
        let nodes = parse(text).document.nodes;
        let tasks = nodes.iter().filter(|n| matches!(n.kind, cjm_syntax::NodeKind::Task(_))).count();
        let titles = nodes.iter().filter(|n| matches!(n.kind, cjm_syntax::NodeKind::Title(_))).count();
        (tasks, titles)
    };
    assert_eq!(count(known), (0, 2), "both lines are titles, as Mermaid reads them");
    assert_eq!(count(&once), count(known));
}

/// A fixed seed keeps CI deterministic; a long run (`PROPTEST_CASES`) explores
/// new cases each time.
fn seed() -> proptest::test_runner::RngSeed {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        proptest::test_runner::RngSeed::Random
    } else {
        proptest::test_runner::RngSeed::Fixed(0x636a_6d00)
    }
}

/// Cases per property: the given default, or `PROPTEST_CASES` for long runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The diagnostic record's schema in docs/ is the one the code generates.
#[test]
fn published_diagnostic_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cjm-diagnostic.schema.json");
    let current = format!("{}\n", serde_json::to_string_pretty(&cjm_syntax::diag::render::schema()).unwrap());
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &current).expect("docs writable");
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(published == current, "docs/cjm-diagnostic.schema.json is stale: run with UPDATE_GOLDEN=1");
}
