//! Evidence rules: parsing never panics or overflows the stack, and a
//! parsed rule prints as text that parses back to the same rule.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rule) = cjm_syntax::evidence::parse(text, 0) else { return };
    let printed = rule.to_string();
    let back = cjm_syntax::evidence::parse(&printed, 0).unwrap_or_else(|d| panic!("`{printed}` does not parse: {}", d.message));
    assert_eq!(back, rule, "`{printed}` parses to another rule");
    let _ = rule.fields();
});
