//! JSON exactly as Python's `json.dump(obj, indent=1, sort_keys=True,
//! ensure_ascii=True)` writes it, with floats rounded by `round(x, 6)` and
//! printed by `repr`. The peers write `journey-summary/1` this way, so the
//! engine's summary can be compared byte for byte.

use serde_json::Value;
use std::fmt::Write;

/// Python's `round(x, 6)`: the binary value correctly rounded to 6
/// decimals (ties to even on the exact value), read back as a float.
pub fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Rust's formatting rounds the exact binary value, half to even.
    format!("{x:.6}").parse().unwrap_or(x)
}

/// Python's `repr(float)`: the shortest text that reads back to the same
/// float; `.0` on whole numbers; exponent form below 1e-4 and from 1e16.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Rust: "1e-6", "1.5e16"; Python: "1e-06", "1.5e+16".
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').expect("exponent form");
        let exp: i32 = exp.parse().expect("integer exponent");
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Writes a value as Python's json module does with `indent=1`.
pub fn dump(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, 0);
    out.push('\n');
    out
}

fn write(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&py_float(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                string(out, k);
                out.push_str(": ");
                write(out, &map[k.as_str()], depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push(' ');
    }
}

/// A string with `ensure_ascii`: non-ASCII as `\uXXXX` (surrogate pairs above
/// U+FFFF), lowercase hex, the short escapes Python uses.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        // Expected values are what Python 3.11 prints for repr(round(x, 6)).
        let cases = [
            (3.0, "3.0"),
            (2.5, "2.5"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.333333"),
            (2.0 / 3.0, "0.666667"),
            (0.0078125, "0.007812"),
            (0.000001, "1e-06"),
            (0.0000015, "2e-06"),
            (0.00012, "0.00012"),
            (123_456_789.123_456_79, "123456789.123457"),
            (86400.0, "86400.0"),
            (1e16, "1e+16"),
            (-0.5, "-0.5"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float(round6(x)), want, "{x}");
        }
    }

    #[test]
    fn dumps_like_python_json() {
        let v = serde_json::json!({"b": [1, {"y": null, "x": 2.0}], "a": "é😀\"", "e": [], "d": {}});
        assert_eq!(
            dump(&v),
            "{\n \"a\": \"\\u00e9\\ud83d\\ude00\\\"\",\n \"b\": [\n  1,\n  {\n   \"x\": 2.0,\n   \"y\": null\n  }\n ],\n \"d\": {},\n \"e\": []\n}\n"
        );
    }
}
