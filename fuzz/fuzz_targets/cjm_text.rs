//! The `.cjm` language: parsing, lowering, checking and formatting never
//! panic on any text; for a map without errors, formatting is idempotent
//! and keeps the map, and printing the model reads back as the same map.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn fmt(text: &str) -> String {
    cjm_syntax::format(text, &cjm_syntax::parse(text).document)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let checked = cjm_model::check(text);
    let once = fmt(text);
    if checked.has_errors() {
        return;
    }
    assert_eq!(fmt(&once), once, "fmt is not idempotent");
    let after = cjm_model::check(&once);
    assert!(!after.has_errors(), "the formatted text has errors: {:?}", after.diagnostics);
    assert!(after.journey == checked.journey, "fmt changed the map");
    let printed = cjm_model::to_cjm(&checked.journey);
    let reread = cjm_model::check(&printed);
    assert!(!reread.has_errors(), "the printed map has errors: {:?}\n{printed}", reread.diagnostics);
    assert!(reread.journey == checked.journey, "printing changed the map:\n{printed}");
});
