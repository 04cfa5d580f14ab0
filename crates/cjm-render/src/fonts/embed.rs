//! The fallback faces a document uses, cut to its characters, as CSS
//! `@font-face` rules with TrueType data URLs: SVG and HTML then draw in a
//! browser what PNG and PDF draw, at a few kilobytes a script.
//!
//! The cut is klippa's (Google's Rust port of HarfBuzz's subsetter, as
//! `fontcull-klippa`): it keeps `cmap`, so browsers can map text to glyphs,
//! and closes over `GSUB`, so joined Arabic, Devanagari conjuncts and emoji
//! sequences still form. (The `subsetter` crate that svg2pdf uses drops both:
//! fine for PDF, which addresses glyphs by id, not for a browser.)

use super::runs::Used;
use base64::Engine;
use fontcull_klippa::{subset_font, Plan, SubsetFlags};
use fontcull_write_fonts::read::collections::IntSet;
use fontcull_write_fonts::read::FontRef;
use fontcull_write_fonts::types::{NameId, Tag};
use std::collections::BTreeSet;
use std::fmt::Write;

/// `@font-face` rules for every face in `used`.
pub(crate) fn font_faces(used: &Used) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut css = String::new();
    for (face, bold, chars) in used.faces() {
        let Some(data) = cut(face.data(bold), chars) else { continue };
        // A face with one file serves every weight, as it does in resvg
        // (no synthetic bold in one renderer and not the other).
        let weight = match (bold, face.bold(super::Weight::SemiBold)) {
            (true, _) => "700",
            (false, true) => "400",
            (false, false) => "100 900",
        };
        let _ = write!(
            css,
            "@font-face{{font-family:'{}';font-weight:{weight};src:url(data:font/ttf;base64,{}) format('truetype')}}",
            face.family(),
            b64.encode(data)
        );
    }
    css
}

/// `svg` with the fallback faces in `used` embedded in a `<style>` right
/// after its root element's start tag.
pub(crate) fn embed_in_svg(svg: &mut String, used: &Used) {
    if used.is_empty() {
        return;
    }
    let Some(at) = svg.find('>').map(|i| i + 1) else { return };
    // No synthetic bold: resvg draws a one-weight face as it is, and so
    // must a browser.
    svg.insert_str(at, &format!("<style>svg{{font-synthesis:none}}{}</style>", font_faces(used)));
}

/// `data` cut to `chars` (and what shaping them needs).
fn cut(data: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
    let font = FontRef::new(data).ok()?;
    let mut unicodes = IntSet::empty();
    unicodes.extend(chars.iter().map(|&c| c as u32));
    let mut drop_tables = IntSet::empty();
    // Vertical metrics too: cjm writes no vertical text, and klippa keeps
    // `vhea` whole while cutting `vmtx`, which browsers then refuse.
    for tag in [
        "morx", "mort", "kerx", "kern", "JSTF", "DSIG", "EBDT", "EBLC", "EBSC", "SVG ", "PCLT", "LTSH", "feat", "vhea",
        "vmtx", "VORG",
    ] {
        drop_tables.insert(Tag::new_checked(tag.as_bytes()).ok()?);
    }
    let mut name_ids = IntSet::<NameId>::empty();
    name_ids.insert_range(NameId::from(0)..=NameId::from(6));
    let mut languages = IntSet::<u16>::empty();
    languages.insert(0x0409);
    let mut flags = SubsetFlags::SUBSET_FLAGS_NO_HINTING;
    flags |= SubsetFlags::SUBSET_FLAGS_NOTDEF_OUTLINE;
    let plan = Plan::new(
        &IntSet::empty(),
        &unicodes,
        &font,
        flags,
        &drop_tables,
        &IntSet::all(),
        &IntSet::all(),
        &name_ids,
        &languages,
    );
    subset_font(&font, &plan).ok()
}

/// Every face cut to a few characters still parses and maps them.
#[cfg(test)]
mod tests {
    use super::super::Fallback;
    use super::*;

    #[test]
    fn cuts_each_face_to_the_characters_a_document_uses() {
        let samples = [
            (Fallback::Arabic, "سلام"),
            (Fallback::Hebrew, "שלום"),
            (Fallback::Devanagari, "नमस्ते"),
            (Fallback::Thai, "สวัสดี"),
            (Fallback::Emoji, "👩\u{200D}💻"),
            (Fallback::Cjk, "注文한국"),
        ];
        for (face, text) in samples {
            let chars: BTreeSet<char> = text.chars().collect();
            let whole = face.data(false);
            let data = cut(whole, &chars).expect("cut");
            assert!(data.len() * 5 < whole.len(), "{face:?}: {} of {}", data.len(), whole.len());
            let parsed = ttf_parser::Face::parse(&data, 0).expect("the cut parses");
            for c in text.chars().filter(|&c| c != '\u{200D}') {
                assert!(parsed.glyph_index(c).is_some(), "{face:?} lost {c}");
            }
        }
    }
}
