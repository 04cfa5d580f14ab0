//! The JSON form of a map: reading never panics, and a map read without
//! errors is written and read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(read) = cjm_model::json::from_json(text) else { return };
    if read.findings.iter().any(|f| f.severity == cjm_syntax::Severity::Error) {
        return;
    }
    let json = cjm_model::json::to_json(&read.journey);
    let back = cjm_model::json::from_json(&json).unwrap_or_else(|d| panic!("written JSON does not read: {}", d.message));
    assert!(back.journey == read.journey, "the JSON round trip changed the map");
});
