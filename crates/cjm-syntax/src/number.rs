//! Mermaid reads a task's score with JavaScript's `Number()`. cjm reads it the
//! same way so that every Mermaid journey gets the same scores.

/// `Number(text)` for the inputs a score can hold: `None` where JavaScript
/// gives `NaN`. An empty or blank text is `0`, as in JavaScript.
pub fn js_number(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).ok().map(|v| v as f64);
        }
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return Some(if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if !is_decimal_literal(unsigned) {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit.
fn is_decimal_literal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::js_number;

    #[test]
    fn matches_javascript_number() {
        let cases: &[(&str, Option<f64>)] = &[
            ("5", Some(5.0)),
            (" 5 ", Some(5.0)),
            ("", Some(0.0)),
            ("   ", Some(0.0)),
            ("3.5", Some(3.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("-2", Some(-2.0)),
            ("+2", Some(2.0)),
            ("1e1", Some(10.0)),
            ("0x10", Some(16.0)),
            ("-0x10", None),
            ("Infinity", Some(f64::INFINITY)),
            ("inf", None),
            ("nan", None),
            ("NaN", None),
            ("five", None),
            ("5 Me", None),
            ("1e", None),
            (".", None),
        ];
        for (text, want) in cases {
            assert_eq!(js_number(text), *want, "Number({text:?})");
        }
    }
}
