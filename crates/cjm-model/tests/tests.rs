//! cjm-model's integration tests: golden files that read like the spec,
//! templates, the JSON Schema and the round trips.
//!
//! Golden files: every `.cjm`/`.mmd` under `tests/golden/` has beside it a
//! `.json` (the model) and a `.diag` (the diagnostics, as `cjm check`
//! prints them without colour). Run with `UPDATE_GOLDEN=1` to rewrite them,
//! then review the diff.

mod docs;
mod golden;
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
