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
