//! Timestamps: every built-in layout and any `--time-format` pattern parse
//! any text without a panic or an overflow, and a parsed time formats.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern, value) = match text.split_once('\n') {
        Some((p, v)) => (Some(p.to_string()), v),
        None => (None, text),
    };
    for default_offset in [0, 19_800, -43_200] {
        let format = cjm_events::TimeFormat { pattern: pattern.clone(), default_offset };
        if let Some(us) = format.parse(value) {
            let _ = cjm_events::time::format_utc(us);
        }
    }
    let _ = cjm_events::time::parse_offset(value);
});
