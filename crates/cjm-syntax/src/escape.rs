//! Escapes: `\:` `\#` `\%` `\,` `\[` `\]` `\|` and `\\` stand for the
//! character itself. A backslash before any other character is kept, so
//! Windows paths and regular text read as written.

const ESCAPABLE: &[u8] = b":#%,[]|\\";

/// Removes the escaping backslashes.
pub fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next.is_ascii() && ESCAPABLE.contains(&(next as u8)) {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Escapes what would end, split or change a piece of text: a backslash
/// before an escapable character, `%%` (a comment at the start of a line)
/// and each character of `extra` (e.g. `:` and `#` in a step name).
pub fn escape_text(text: &str, extra: &[char]) -> String {
    escape_with(text, |c, next| {
        extra.contains(&c)
            || (c == '%' && next == Some('%'))
            || (c == '\\' && next.is_none_or(|n| n.is_ascii() && ESCAPABLE.contains(&(n as u8))))
    })
}

/// Escapes a step, section or actor name for a Mermaid line.
pub fn escape_name(text: &str) -> String {
    escape_text(text, &[':', '#', ','])
}

/// Escapes a property value: besides [`escape_text`], a leading `|` (block
/// marker) and a trailing `[…]` (attributes).
pub fn escape_value(text: &str) -> String {
    let mut out = escape_text(text, &[]);
    if out.starts_with('|') {
        out.insert(0, '\\');
    }
    if out.ends_with(']') {
        if let Some(open) = rfind_unescaped(&out, b'[') {
            out.insert(open, '\\');
        }
    }
    out
}

fn escape_with(text: &str, needs: impl Fn(char, Option<char>) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if needs(c, chars.peek().copied()) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Byte offset of the first `needle` not preceded by an escaping backslash.
pub fn find_unescaped(text: &str, needle: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == needle => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Byte offset of the last `needle` not preceded by an escaping backslash.
pub fn rfind_unescaped(text: &str, needle: u8) -> Option<usize> {
    let mut last = None;
    let mut from = 0;
    while let Some(i) = find_unescaped(&text[from..], needle) {
        last = Some(from + i);
        from += i + 1;
    }
    last
}

/// Splits on every unescaped `sep`, returning byte ranges.
pub fn split_unescaped(text: &str, sep: u8) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = find_unescaped(&text[start..], sep) {
        parts.push(start..start + i);
        start += i + 1;
    }
    parts.push(start..text.len());
    parts
}

/// Byte offset where an unescaped `%%` comment begins.
pub fn find_comment(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'%' if bytes[i + 1] == b'%' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_keeps_unknown_escapes() {
        assert_eq!(unescape(r"a\:b \# c\\d C:\temp"), r"a:b # c\d C:\temp");
    }

    #[test]
    fn escape_name_round_trips() {
        for s in ["a:b", "x # y", r"back\slash", "50%% off", "a, b", "plain", "ends\\"] {
            assert_eq!(unescape(&escape_name(s)), s, "{s}");
        }
    }

    #[test]
    fn escape_value_round_trips() {
        for s in ["|", "see [1]", r"C:\x", r"a\:b", "50%% off"] {
            assert_eq!(unescape(&escape_value(s)), s, "{s}");
        }
    }

    #[test]
    fn finds_unescaped() {
        assert_eq!(find_unescaped(r"a\:b:c", b':'), Some(4));
        assert_eq!(rfind_unescaped(r"a[b\[c", b'['), Some(1));
        assert_eq!(find_comment(r"a \%% b %% c"), Some(8));
    }
}
