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

/// Byte offset of the first `needle` not preceded by an escaping backslash
/// (a `#` that begins an entity code such as `#58;` is not a `#`: Mermaid
/// reads the code before anything else).
pub fn find_unescaped(text: &str, needle: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'#' if needle == b'#' && entity_len(bytes, i).is_some() => i += entity_len(bytes, i).unwrap_or(1),
            b if b == needle => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The length of the entity code at `i` (`#` then word characters then
/// `;`, as Mermaid's `encodeEntities` matches them), if one starts there.
pub fn entity_len(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'#') {
        return None;
    }
    let word = bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    (word > 0 && bytes.get(i + 1 + word) == Some(&b';')).then_some(word + 2)
}

/// The character an entity code's inner word stands for: a decimal code
/// point (`58`), or an HTML named character (`colon`, `quot`, `amp`…).
/// Control characters and unknown names stand for nothing (the code is
/// kept as text, as a browser shows an unknown `&name;`).
fn entity_char(word: &str) -> Option<char> {
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse::<u32>().ok().and_then(char::from_u32).filter(|c| !c.is_control());
    }
    let c = match word {
        "colon" => ':',
        "semi" => ';',
        "num" => '#',
        "comma" => ',',
        "quot" => '"',
        "apos" => '\'',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "nbsp" => '\u{a0}',
        "percnt" => '%',
        "excl" => '!',
        "quest" => '?',
        "commat" => '@',
        "dollar" => '$',
        "lpar" => '(',
        "rpar" => ')',
        "lsqb" | "lbrack" => '[',
        "rsqb" | "rbrack" => ']',
        "lcub" | "lbrace" => '{',
        "rcub" | "rbrace" => '}',
        "vert" | "verbar" => '|',
        "sol" => '/',
        "bsol" => '\\',
        "ast" => '*',
        "plus" => '+',
        "equals" => '=',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "deg" => '°',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "hearts" => '♥',
        "check" => '✓',
        _ => return None,
    };
    Some(c)
}

/// [`unescape`] for the text of Mermaid lines (titles, sections, step names,
/// actors): entity codes such as `#58;`, `#colon;` or `#quot;` become their
/// character, as Mermaid reads them; `\#58;` stays the text `#58;`.
pub fn unescape_mermaid(raw: &str) -> String {
    if !raw.contains('#') {
        return unescape(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'#' => match entity_len(bytes, i) {
                Some(len) => {
                    if let Some(c) = entity_char(&raw[i + 1..i + len - 1]) {
                        out.push_str(&unescape(&raw[plain..i]));
                        out.push(c);
                        plain = i + len;
                    }
                    i += len;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    out.push_str(&unescape(&raw[plain.min(raw.len())..]));
    out
}

/// A name for a Mermaid line, with the characters Mermaid would read as
/// syntax written as entity codes (`:` → `#58;`, `#` → `#35;`, `;` →
/// `#59;`, and `,` → `#44;` in an actor), so the export reads back the same
/// in Mermaid and in cjm.
pub fn mermaid_entities(text: &str, actor: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ':' => out.push_str("#58;"),
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            ',' if actor => out.push_str("#44;"),
            // cjm reads a backslash as an escape, Mermaid as text: a code for both.
            '\\' => out.push_str("#92;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
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
    fn entity_codes_read_as_mermaid_reads_them() {
        assert_eq!(unescape_mermaid("Check #58; then pay"), "Check : then pay");
        assert_eq!(unescape_mermaid("#quot;Hi#quot; #colon; #35;1 #amp; #9731;"), "\"Hi\" : #1 & ☃");
        // Escaped, unknown, control or not a code: kept as written.
        assert_eq!(unescape_mermaid(r"\#58; #nosuch; #7; # 58; #58"), "#58; #nosuch; #7; # 58; #58");
        assert_eq!(find_unescaped("a #58; b # c", b'#'), Some(9), "the code is no comment");
        for name in ["a:b", "x # y; z", "#58;", "a, b", r"back\slash", "naïve #1"] {
            assert_eq!(unescape_mermaid(&mermaid_entities(name, true)), name.replace('\n', " "), "{name}");
            assert!(find_unescaped(&mermaid_entities(name, true), b'#').is_none(), "{name}");
        }
    }

    #[test]
    fn finds_unescaped() {
        assert_eq!(find_unescaped(r"a\:b:c", b':'), Some(4));
        assert_eq!(rfind_unescaped(r"a[b\[c", b'['), Some(1));
        assert_eq!(find_comment(r"a \%% b %% c"), Some(8));
    }
}
