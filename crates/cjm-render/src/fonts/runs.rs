//! Which face draws each character, and SVG text marked with it.
//!
//! usvg's own fallback shapes a whole line with each candidate font and
//! gives up when the glyph counts differ, which they do for joined Arabic
//! and emoji sequences. So cjm decides: [`runs`] cuts text into runs of one
//! face, and [`mark`] wraps every fallback run of an SVG's text in a
//! `<tspan font-family="…">`. resvg, svg2pdf and browsers then all draw each
//! run with the face measured for it.

use super::{inter_has, Fallback, Weight};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::ops::Range;

/// Characters that join the character before them and must be drawn by
/// its face: combining marks, zero-width (non-)joiners, variation
/// selectors, skin tones and emoji tags.
pub(crate) fn continues(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F
            | 0x1AB0..=0x1AFF
            | 0x1DC0..=0x1DFF
            | 0x200C
            | 0x200D
            | 0x20D0..=0x20FF
            | 0xFE00..=0xFE0F
            | 0xFE20..=0xFE2F
            | 0x1F3FB..=0x1F3FF
            | 0xE0020..=0xE007F
            | 0xE0100..=0xE01EF
    )
}

/// The fallback face that draws `c` (`None`: Inter), given the character
/// after it: one asking for emoji presentation (U+FE0F) is drawn as emoji.
pub(crate) fn face_for(c: char, next: Option<char>) -> Option<Fallback> {
    if next == Some('\u{FE0F}') && Fallback::Emoji.has(c) {
        return Some(Fallback::Emoji);
    }
    if inter_has(c) {
        return None;
    }
    Fallback::ALL.into_iter().find(|f| f.has(c))
}

/// `text` cut into byte ranges of one face each, in order.
pub(crate) fn runs(text: &str) -> impl Iterator<Item = (Range<usize>, Option<Fallback>)> {
    let mut out: Vec<(Range<usize>, Option<Fallback>)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let face = match out.last() {
            Some((_, current)) if continues(c) => *current,
            // A space between two words of one script stays in their run.
            Some((_, Some(f))) if c.is_whitespace() && f.has(c) => Some(*f),
            _ => face_for(c, next),
        };
        let end = i + c.len_utf8();
        match out.last_mut() {
            Some((range, f)) if *f == face => range.end = end,
            _ => out.push((i..end, face)),
        }
    }
    out.into_iter()
}

/// The characters each fallback face drew in a document, by face and by
/// whether its bold file drew them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Used(BTreeMap<(Fallback, bool), BTreeSet<char>>);

impl Used {
    /// Notes what `text`, drawn at `weight`, needs of the fallback faces.
    pub(crate) fn add_text(&mut self, text: &str, weight: Weight) {
        if text.is_ascii() {
            return;
        }
        for (range, face) in runs(text) {
            if let Some(f) = face {
                self.add(f, f.bold(weight), &text[range]);
            }
        }
    }

    fn add(&mut self, face: Fallback, bold: bool, run: &str) {
        self.0.entry((face, bold)).or_default().extend(run.chars());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each face used, whether bold, and its characters.
    pub(crate) fn faces(&self) -> impl Iterator<Item = (Fallback, bool, &BTreeSet<char>)> {
        self.0.iter().map(|(&(f, bold), chars)| (f, bold, chars))
    }

    /// The families used, in fallback order, for a CSS font stack.
    pub(crate) fn families(&self) -> Vec<&'static str> {
        let mut faces: Vec<Fallback> = self.0.keys().map(|&(f, _)| f).collect();
        faces.dedup();
        faces.into_iter().map(Fallback::family).collect()
    }
}

/// The start of every fallback run [`mark`] writes: how PNG and PDF know a
/// drawing needs the fallback faces.
pub(crate) const MARK: &str = "<tspan font-family=\"";

/// `svg` with every `<text>` that needs a fallback face laid out in runs of
/// one face, each a `<tspan>` at its own `x`, and what each face drew.
///
/// A tspan with an `x` starts a new text chunk, which resvg and browsers
/// shape on its own: no run is ever merged with another face's glyphs
/// (usvg's merge panics on emoji sequences and ligatures). So cjm places the
/// runs itself: in visual order by the Unicode bidi algorithm (the element's
/// direction is left to right, as SVG's default), each as wide as its face
/// shapes it. An all-ASCII drawing comes back as it was.
pub(crate) fn mark(svg: String) -> (String, Used) {
    let mut used = Used::default();
    if svg.is_ascii() {
        return (svg, used);
    }
    let mut out = String::with_capacity(svg.len() + 1024);
    let mut rest = svg.as_str();
    while let Some(at) = find_text(rest) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let open_end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let close = rest[open_end..].find("</text>").map_or(rest.len(), |i| open_end + i);
        let (open, content) = (&rest[..open_end], &rest[open_end..close]);
        match layout(open, content, &mut used) {
            Some(laid_out) => out.push_str(&laid_out),
            None => out.push_str(&rest[..close]),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    (out, used)
}

/// Where the next `<text` start tag is.
pub(crate) fn find_text(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("<text") {
        let at = from + i;
        if s[at + 5..].starts_with([' ', '>']) {
            return Some(at);
        }
        from = at + 5;
    }
    None
}

/// One run of a text element as drawn: its text, face and width.
struct Piece<'a> {
    text: &'a str,
    face: Option<Fallback>,
    width: f32,
}

/// The text element `open` + `content` laid out in runs, or `None` when
/// Inter draws all of it.
fn layout(open: &str, content: &str, used: &mut Used) -> Option<String> {
    if content.is_ascii() || open.ends_with("/>") {
        return None;
    }
    let text = unescape(content);
    let faces: Vec<(Range<usize>, Option<Fallback>)> = runs(&text).collect();
    if faces.iter().all(|(_, f)| f.is_none()) {
        return None;
    }
    let (size, weight) = text_style(open);
    let spacing: f32 = attribute(open, "letter-spacing").and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let pieces = visual_pieces(&text, &faces, size, spacing, weight);
    let total: f32 = pieces.iter().map(|p| p.width).sum();
    let x: f32 = attribute(open, "x").and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let mut at = match attribute(open, "text-anchor") {
        Some("middle") => x - total / 2.0,
        Some("end") => x - total,
        _ => x,
    };
    let mut out = String::from(open);
    for piece in pieces {
        let text = crate::text::esc(piece.text);
        let x = crate::svg::fmt(at);
        match piece.face {
            Some(f) => {
                used.add(f, f.bold(weight), piece.text);
                let _ = write!(out, r#"{MARK}{}" x="{x}" text-anchor="start">{text}</tspan>"#, f.family());
            }
            None => {
                let _ = write!(out, r#"<tspan x="{x}" text-anchor="start">{text}</tspan>"#);
            }
        }
        at += piece.width;
    }
    Some(out)
}

/// The runs of `text` cut where the bidi level changes, in visual order.
fn visual_pieces<'a>(
    text: &'a str,
    faces: &[(Range<usize>, Option<Fallback>)],
    size: f32,
    spacing: f32,
    weight: Weight,
) -> Vec<Piece<'a>> {
    let bidi = unicode_bidi::BidiInfo::new(text, Some(unicode_bidi::Level::ltr()));
    let mut pieces = Vec::new();
    for paragraph in &bidi.paragraphs {
        let (levels, level_runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in level_runs {
            let mut cut: Vec<Piece> = faces
                .iter()
                .filter_map(|(range, face)| {
                    let (start, end) = (range.start.max(run.start), range.end.min(run.end));
                    let piece = if start < end { &text[start..end] } else { "" };
                    cut_piece(piece, *face, size, spacing, weight)
                })
                .collect();
            if levels[run.start].is_rtl() {
                cut.reverse();
            }
            pieces.extend(cut);
        }
    }
    pieces
}

/// One face's run as a piece to place.
fn cut_piece(text: &str, face: Option<Fallback>, size: f32, spacing: f32, weight: Weight) -> Option<Piece<'_>> {
    let em = super::shaped_width(face, text, weight);
    (!text.is_empty()).then(|| Piece { text, face, width: em * size + spacing * text.chars().count() as f32 })
}

/// The marked `svg` as usvg 0.45 must read it to draw what browsers draw:
/// every fallback run it would misplace (see [`super::usvg_shortfalls`])
/// gets a `dx` that moves each cluster back where shaping put it. Only PNG
/// and PDF go through this; browsers place clusters right on their own.
pub(crate) fn for_usvg(svg: &str) -> std::borrow::Cow<'_, str> {
    if !svg.contains(MARK) {
        return std::borrow::Cow::Borrowed(svg);
    }
    let mut out = String::with_capacity(svg.len() + 256);
    let mut rest = svg;
    while let Some(at) = find_text(rest) {
        let Some(close) = rest[at..].find("</text>").map(|i| at + i) else { break };
        let open_end = rest[at..close].find('>').map_or(close, |i| at + i + 1);
        out.push_str(&rest[..open_end]);
        let open = &rest[at..open_end];
        let (size, weight) = text_style(open);
        shift_runs(&rest[open_end..close], size, weight, &mut out);
        rest = &rest[close..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Copies the runs of one text element, with a `dx` where usvg needs one.
fn shift_runs(content: &str, size: f32, weight: Weight, out: &mut String) {
    let mut rest = content;
    while let Some(at) = rest.find(MARK) {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |i| at + i);
        let end = rest[tag_end..].find("</tspan>").map_or(rest.len(), |i| tag_end + i);
        let (tag, text) = (&rest[at..tag_end], unescape(&rest[tag_end + 1..end]));
        let family = &tag[MARK.len()..tag[MARK.len()..].find('"').map_or(tag.len(), |i| MARK.len() + i)];
        let face = Fallback::ALL.into_iter().find(|f| f.family() == family);
        out.push_str(&rest[..tag_end]);
        if let Some(shortfalls) = face.and_then(|f| super::usvg_shortfalls(f, &text, weight)) {
            let mut dx = vec![String::from("0"); text.chars().count()];
            for (i, em) in shortfalls {
                dx[i] = crate::svg::fmt(em * size);
            }
            let _ = write!(out, r#" dx="{}""#, dx.join(" "));
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
}

/// The font size and weight a `<text>` start tag sets (SVG's 16 px and
/// regular when it sets none).
pub(crate) fn text_style(open: &str) -> (f32, Weight) {
    let size = attribute(open, "font-size").and_then(|v| v.parse().ok()).unwrap_or(16.0);
    let weight = match attribute(open, "font-weight") {
        Some("600" | "700" | "bold") => Weight::SemiBold,
        _ => Weight::Regular,
    };
    (size, weight)
}

/// The value of attribute `name` in start tag `tag`.
pub(crate) fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Character data back to text: the five entities `esc` writes.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces(text: &str) -> Vec<(&str, Option<Fallback>)> {
        runs(text).map(|(r, f)| (&text[r], f)).collect()
    }

    #[test]
    fn cuts_text_into_runs_of_one_face() {
        use Fallback::*;
        assert_eq!(faces("Pay 支付"), [("Pay ", None), ("支付", Some(Cjk))]);
        assert_eq!(faces("شكرا لك!"), [("شكرا لك", Some(Arabic)), ("!", None)]);
        assert_eq!(
            faces("ok 👩\u{200D}💻 👍🏽"),
            [("ok ", None), ("👩\u{200D}💻", Some(Emoji)), (" ", None), ("👍🏽", Some(Emoji))]
        );
        // U+FE0F asks for the emoji form of a character Inter also has.
        assert_eq!(faces("I ❤\u{FE0F}"), [("I ", None), ("❤\u{FE0F}", Some(Emoji))]);
        assert_eq!(faces("Привет Γειά"), [("Привет Γειά", None)]);
        assert_eq!(faces("नमस्ते"), [("नमस्ते", Some(Devanagari))]);
    }

    #[test]
    fn lays_out_mixed_text_in_runs_and_keeps_ascii_drawings_as_they_are() {
        let plain = r#"<svg><text x="1">Hello &amp; bye</text></svg>"#.to_string();
        assert_eq!(mark(plain.clone()), (plain, Used::default()));
        let svg =
            r#"<svg><title>注文</title><text x="10" font-size="10" font-weight="600">注文 &amp; שלום</text></svg>"#;
        let (marked, used) = mark(svg.to_string());
        assert_eq!(
            marked,
            r#"<svg><title>注文</title><text x="10" font-size="10" font-weight="600"><tspan font-family="Noto Sans CJK JP" x="10" text-anchor="start">注文</tspan><tspan x="30" text-anchor="start"> &amp; </tspan><tspan font-family="Noto Sans Hebrew" x="41.6" text-anchor="start">שלום</tspan></text></svg>"#
        );
        let got: Vec<_> = used.faces().map(|(f, bold, chars)| (f, bold, chars.iter().collect::<String>())).collect();
        assert_eq!(got, [(Fallback::Hebrew, true, "ולםש".into()), (Fallback::Cjk, false, "文注".into())]);
    }

    #[test]
    fn places_right_to_left_runs_in_visual_order() {
        // An emoji between two Arabic words takes their direction: the
        // second word is drawn leftmost.
        let (marked, _) = mark(r#"<text x="0" font-size="10">شكرا 👍 جدا</text>"#.to_string());
        let order: Vec<&str> = marked.split("\">").skip(2).map(|s| s.split('<').next().unwrap()).collect();
        assert_eq!(order, ["جدا", " ", "👍", "شكرا "], "{marked}");
        // Anchored at the end, the runs end at x.
        let (marked, _) = mark(r#"<text x="100" font-size="10" text-anchor="end">注文</text>"#.to_string());
        assert!(marked.contains(r#"x="80" text-anchor="start">注文"#), "{marked}");
    }
}
