//! cjm-model's integration tests: golden files that read like the spec,
//! templates, the JSON Schema and the round trips.
//!
//! Golden files: every `.cjm`/`.mmd` under `tests/golden/` has beside it a
//! `.json` (the model) and a `.diag` (the diagnostics, as `cjm check`
//! prints them without colour). Run with `UPDATE_GOLDEN=1` to rewrite them,
//! then review the diff.

mod docs;
mod edits;
mod golden;
mod keys;
mod portfolio;
mod roundtrip;
mod schema;
mod templates;

/// Found by fuzzing: a multi-line text whose lines start with multi-byte
/// white space reads without a panic.
#[test]
fn json_text_with_unicode_indentation_reads() {
    let bytes = include_bytes!("fuzzed/json-map-unicode-indent.json");
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = cjm_model::json::from_json(text);
    }
    let _ = cjm_model::json::from_json("{\"format\":\"cjm/1\",\"title\":\"a\\n\\u3000b\\n \\u00a0c\",\"stages\":[]}");
}

/// Found by fuzzing: a score of 4.1e68 read from JSON came back one unit in
/// the last place away after writing and reading again. serde_json's default
/// float parser is fast but not exact; test builds had the exact one through
/// a dev-dependency's features, the shipped binary did not. The workspace now
/// asks for `float_roundtrip` itself, so every build parses exactly.
#[test]
fn json_numbers_survive_the_round_trip_exactly() {
    let text = include_str!("fuzzed/json-map-huge-score.json");
    let read = cjm_model::json::from_json(text).expect("reads");
    let back = cjm_model::json::from_json(&cjm_model::json::to_json(&read.journey)).expect("reads back");
    assert!(back.journey == read.journey, "the JSON round trip changed the map");
    let score = read.journey.stages[0].steps[1].score.expect("a score");
    assert_eq!(score, 411111111111111111111111111111111111111111111111111111111111111111111.0);
}

/// Found by fuzzing: a JSON array read as a map (serde takes a struct from a
/// sequence, by position), with its first string as the format, which was
/// only checked on objects; the map written back did not read. A map must
/// be an object, whose `format` key is checked before its shape.
#[test]
fn a_json_array_is_not_a_map() {
    let e = cjm_model::json::from_json(include_str!("fuzzed/json-map-array.json")).err().expect("refused");
    assert!(e.message.contains("a map is an object"), "{}", e.message);
    let e = cjm_model::json::from_json(r#"{"format": "cjm/9", "title": "t", "stages": []}"#).err().expect("refused");
    assert!(e.message.contains("unsupported format `cjm/9`"), "{}", e.message);
    // A later format's new fields do not hide that it is a later format.
    let e = cjm_model::json::from_json(r#"{"format": "cjm/9", "stages": {"new": true}}"#).err().expect("refused");
    assert!(e.message.contains("unsupported format `cjm/9`"), "{}", e.message);
}

/// A file's personas are taken once however many `use` lines name it; a
/// map may name at most 16 files, and what `use` took prints back as the
/// `use` lines, from the text and from the JSON.
#[test]
fn use_lines_are_bounded_and_print_back() {
    let reads = std::cell::Cell::new(0);
    let resolve = |path: &str| {
        reads.set(reads.get() + 1);
        Ok(format!("journey\n  persona P{}\n", path.trim_end_matches(".cjm")))
    };
    let mut text = String::from("journey\n");
    for _ in 0..100_000 {
        text.push_str("  use 1.cjm\n");
    }
    let started = std::time::Instant::now();
    let lowered = cjm_model::check_with(&text, &resolve);
    assert_eq!(reads.get(), 1, "one read for one file");
    assert!(started.elapsed().as_secs() < 20);
    // The same persona taken again and again: a duplicate for each line
    // until 10,000 are taken, then the bound for each line after.
    let count = |code: &str| lowered.diagnostics.iter().filter(|d| d.code == code).count();
    assert_eq!((count("E103"), count("E108")), (9_999, 90_000));
    assert_eq!(lowered.diagnostics.len(), 99_999);

    let many: String = (1..=17).map(|i| format!("  use {i}.cjm\n")).collect();
    let lowered = cjm_model::check_with(&format!("journey\n{many}"), &resolve);
    let errors: Vec<&str> = lowered.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(errors, ["a map may use at most 16 files"]);
    assert_eq!(lowered.journey.personas.len(), 16);

    let map = "journey\n  title T\n  use P1, P2 from team/a.cjm\n  persona Own\n  section S\n    Go: 3: P1, Own\n";
    let resolve = |_: &str| Ok("journey\n  persona P1\n    goal: g\n  persona P2\n  persona P3\n".to_string());
    let lowered = cjm_model::check_with(map, &resolve);
    assert!(!lowered.has_errors(), "{:?}", lowered.diagnostics);
    let printed = cjm_model::to_cjm(&lowered.journey);
    assert!(printed.contains("  use P1, P2 from team/a.cjm\n") && !printed.contains("persona P1"), "{printed}");
    let json = cjm_model::json::to_json(&lowered.journey);
    assert!(json.contains("\"source\": \"team/a.cjm\"") && json.contains("\"goals\""), "{json}");
    let back = cjm_model::json::from_json(&json).expect("reads");
    assert_eq!(cjm_model::to_cjm(&back.journey), printed);
    // Read on its own (no files), the map says the file is not read.
    let alone = cjm_model::check(map);
    assert!(alone.diagnostics.iter().any(|d| d.code == "E108"));
}

/// A file of 20,000 personas named by 50,000 lines costs one read and at
/// most 10,000 personas taken.
#[test]
fn personas_taken_from_files_are_bounded() {
    let library: String =
        std::iter::once("journey\n".to_string()).chain((0..20_000).map(|i| format!("  persona P{i}\n"))).collect();
    let resolve = |_: &str| Ok(library.clone());
    let text: String =
        std::iter::once("journey\n".to_string()).chain((0..50_000).map(|_| "  use big.cjm\n".into())).collect();
    let started = std::time::Instant::now();
    let lowered = cjm_model::check_with(&text, &resolve);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(lowered.journey.personas.is_empty());
    assert!(lowered.diagnostics.iter().all(|d| d.message == "a map may take at most 10000 personas from files"));
    let some = cjm_model::check_with("journey\n  use P1, P7 from big.cjm\n", &resolve);
    assert!(!some.has_errors() && some.journey.personas.len() == 2);
}

/// Unknown names taken from a large file are found by lookup, and "did you
/// mean" is tried for the first 32 of the map only: 5,000 unknown names
/// against 10,000 personas stay quick, and the rest get the list.
#[test]
fn unknown_names_from_a_file_are_bounded() {
    let library: String =
        std::iter::once("journey\n".to_string()).chain((0..10_000).map(|i| format!("  persona Person{i}\n"))).collect();
    let resolve = |_: &str| Ok(library.clone());
    let names: Vec<String> = (0..5_000).map(|i| format!("Persn{i}")).collect();
    let text = format!("journey\n  use {}, Person9 from big.cjm\n", names.join(", "));
    let started = std::time::Instant::now();
    let lowered = cjm_model::check_with(&text, &resolve);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    assert_eq!(lowered.journey.personas.len(), 1);
    let hints: Vec<&str> =
        lowered.diagnostics.iter().filter(|d| d.code == "E110").map(|d| d.hint.as_deref().unwrap_or("")).collect();
    assert_eq!(hints.len(), 5_000);
    assert_eq!(hints[0], "did you mean `Person0`?");
    assert!(hints[..32].iter().all(|h| h.starts_with("did you mean")), "{:?}", &hints[..32]);
    assert!(hints[32].starts_with("`big.cjm` declares `Person0`"), "{}", hints[32]);
    assert!(hints[32].ends_with("and 9994 more"), "{}", hints[32]);
}
