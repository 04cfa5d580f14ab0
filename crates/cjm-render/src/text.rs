//! Wrapping text into a box by measured widths, with an ellipsis when it does
//! not fit; and escaping for XML.

use crate::fonts::{char_width, measure, Weight};

/// Text laid out in lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Wrapped {
    pub lines: Vec<String>,
    /// True when lines were cut: the full text goes into a tooltip.
    pub truncated: bool,
}

/// Longest text cjm lays out; anything longer is cut before wrapping, so a
/// 100 kB string costs no more than a page of text.
const MAX_CHARS: usize = 4000;

/// Wraps `text` to `width` pixels, at most `max_lines` lines. Explicit line
/// breaks are kept; words longer than a line are broken.
pub fn wrap(text: &str, width: f32, size: f32, weight: Weight, max_lines: usize) -> Wrapped {
    let mut truncated = false;
    let text = if text.chars().count() > MAX_CHARS {
        truncated = true;
        text.chars().take(MAX_CHARS).collect::<String>()
    } else {
        text.to_string()
    };
    let space = measure(" ", size, weight);
    let mut lines: Vec<String> = Vec::new();
    'paragraphs: for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in paragraph.split_whitespace() {
            let word_w = measure(word, size, weight);
            let needed = if line.is_empty() { word_w } else { line_w + space + word_w };
            if needed <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_w = needed;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
                if lines.len() > max_lines {
                    break 'paragraphs;
                }
            }
            // A word wider than the box is broken by characters.
            for c in word.chars() {
                let cw = char_width(c, size, weight);
                if line_w + cw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                    if lines.len() > max_lines {
                        break 'paragraphs;
                    }
                }
                line.push(c);
                line_w += cw;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            break;
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        truncated = true;
    }
    if truncated {
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(last, width, size, weight);
        }
    }
    Wrapped { lines, truncated }
}

/// `text` shortened so that `text…` fits in `width`.
pub fn with_ellipsis(text: &str, width: f32, size: f32, weight: Weight) -> String {
    let ell = measure("…", size, weight);
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let cw = char_width(c, size, weight);
        if w + cw + ell > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    let trimmed = out.trim_end().to_string();
    trimmed + "…"
}

/// One line, cut with an ellipsis if wider than `width`.
pub fn fit_line(text: &str, width: f32, size: f32, weight: Weight) -> (String, bool) {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if measure(&one_line, size, weight) <= width {
        (one_line, false)
    } else {
        (with_ellipsis(&one_line, width, size, weight), true)
    }
}

/// Escapes text for XML content and attribute values, and drops characters
/// XML 1.0 forbids (control characters), so no input can break the document.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(' '),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_and_cuts_with_ellipsis() {
        let w = wrap("The comparison table hides battery life below the fold", 120.0, 13.0, Weight::Regular, 2);
        assert_eq!(w.lines.len(), 2);
        assert!(w.truncated);
        assert!(w.lines[1].ends_with('…'));
        for line in &w.lines {
            assert!(measure(line, 13.0, Weight::Regular) <= 120.0 + 0.01, "{line}");
        }
        let short = wrap("Short", 120.0, 13.0, Weight::Regular, 2);
        assert_eq!(short.lines, ["Short"]);
        assert!(!short.truncated);
    }

    #[test]
    fn breaks_long_words_and_keeps_line_breaks() {
        let w = wrap(&"x".repeat(200), 50.0, 13.0, Weight::Regular, 100);
        assert!(w.lines.len() > 3);
        let w = wrap("one\ntwo", 500.0, 13.0, Weight::Regular, 5);
        assert_eq!(w.lines, ["one", "two"]);
    }

    #[test]
    fn huge_text_is_bounded() {
        let w = wrap(&"word ".repeat(20_000), 100.0, 13.0, Weight::Regular, 3);
        assert_eq!(w.lines.len(), 3);
        assert!(w.truncated);
    }

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>\u{0}\u{1b}"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
