//! The embedded font (Inter, SIL OFL 1.1; see `assets/fonts/OFL.txt`) and text
//! measurement by its real advance widths, so wrapping matches what resvg,
//! svg2pdf and browsers draw.

use std::sync::OnceLock;

pub const REGULAR_OTF: &[u8] = include_bytes!("../assets/fonts/Inter-Regular.subset.otf");
pub const SEMIBOLD_OTF: &[u8] = include_bytes!("../assets/fonts/Inter-SemiBold.subset.otf");
pub const REGULAR_WOFF2: &[u8] = include_bytes!("../assets/fonts/Inter-Regular.subset.woff2");
pub const SEMIBOLD_WOFF2: &[u8] = include_bytes!("../assets/fonts/Inter-SemiBold.subset.woff2");
pub const FAMILY: &str = "Inter";
/// What SVG and HTML ask for, in order.
pub const FONT_STACK: &str = "Inter, 'Helvetica Neue', Arial, sans-serif";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    SemiBold,
}

/// Advance widths in em, by character, for one face.
struct Metrics {
    /// Characters below `TABLE_SIZE`, looked up directly (NaN: not in the font).
    table: Vec<f32>,
    face_data: &'static [u8],
}

const TABLE_SIZE: usize = 0x0530;

impl Metrics {
    fn new(data: &'static [u8]) -> Metrics {
        let face = ttf_parser::Face::parse(data, 0).expect("the embedded font parses");
        let table =
            (0..TABLE_SIZE as u32).map(|c| char::from_u32(c).map_or(f32::NAN, |ch| advance(&face, ch))).collect();
        Metrics { table, face_data: data }
    }

    fn em(&self, c: char) -> f32 {
        let w = if (c as usize) < TABLE_SIZE {
            self.table[c as usize]
        } else {
            let face = ttf_parser::Face::parse(self.face_data, 0).expect("the embedded font parses");
            advance(&face, c)
        };
        if w.is_nan() {
            fallback_em(c)
        } else {
            w
        }
    }
}

fn advance(face: &ttf_parser::Face, c: char) -> f32 {
    match face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)) {
        Some(adv) => f32::from(adv) / f32::from(face.units_per_em()),
        None => f32::NAN,
    }
}

/// Characters the font lacks are drawn by a fallback font: estimate their width.
fn fallback_em(c: char) -> f32 {
    let cp = c as u32;
    if c.is_control() || matches!(cp, 0x200B..=0x200F | 0xFE00..=0xFE0F | 0x2060..=0x2064) {
        0.0
    } else if matches!(cp, 0x1F000..=0x1FAFF | 0x2600..=0x27BF) {
        1.25 // emoji
    } else if matches!(cp, 0x1100..=0x11FF | 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFF60 | 0x20000..=0x3FFFF)
    {
        1.0 // CJK and Hangul: full width
    } else {
        0.62
    }
}

fn metrics(weight: Weight) -> &'static Metrics {
    static REGULAR: OnceLock<Metrics> = OnceLock::new();
    static SEMIBOLD: OnceLock<Metrics> = OnceLock::new();
    match weight {
        Weight::Regular => REGULAR.get_or_init(|| Metrics::new(REGULAR_OTF)),
        Weight::SemiBold => SEMIBOLD.get_or_init(|| Metrics::new(SEMIBOLD_OTF)),
    }
}

/// Width of `text` in pixels at `size`.
pub fn measure(text: &str, size: f32, weight: Weight) -> f32 {
    let m = metrics(weight);
    text.chars().map(|c| m.em(c)).sum::<f32>() * size
}

/// Width of one character in pixels at `size`.
pub fn char_width(c: char, size: f32, weight: Weight) -> f32 {
    metrics(weight).em(c) * size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_by_real_advances() {
        let w = measure("Hello", 16.0, Weight::Regular);
        assert!(w > 30.0 && w < 50.0, "{w}");
        assert!(measure("iiii", 16.0, Weight::Regular) < measure("MMMM", 16.0, Weight::Regular));
        assert!(measure("Bold", 16.0, Weight::SemiBold) > measure("Bold", 16.0, Weight::Regular));
        assert_eq!(measure("注文", 10.0, Weight::Regular), 20.0);
    }
}
