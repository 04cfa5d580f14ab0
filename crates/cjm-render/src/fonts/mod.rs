//! The embedded fonts and text measurement by their real advance widths, so
//! wrapping matches what resvg, svg2pdf and browsers draw.
//!
//! Inter (SIL OFL 1.1; see `assets/fonts/OFL.txt`) draws Latin, Greek and
//! Cyrillic. What it lacks, a `Fallback` face draws: Noto Sans Arabic,
//! Hebrew, Devanagari, Thai and CJK, and Twemoji's colour emoji (all OFL;
//! `assets/fonts/README.md` says where each comes from). `runs` decides
//! which face draws each character and marks those runs in the SVG, so every
//! renderer uses the same face; `embed` carries the faces a document uses,
//! cut to its characters, into SVG and HTML.

pub(crate) mod embed;
pub(crate) mod emoji;
pub(crate) mod runs;

use std::sync::OnceLock;

pub const REGULAR_OTF: &[u8] = include_bytes!("../../assets/fonts/Inter-Regular.subset.otf");
pub const SEMIBOLD_OTF: &[u8] = include_bytes!("../../assets/fonts/Inter-SemiBold.subset.otf");
pub const REGULAR_WOFF2: &[u8] = include_bytes!("../../assets/fonts/Inter-Regular.subset.woff2");
pub const SEMIBOLD_WOFF2: &[u8] = include_bytes!("../../assets/fonts/Inter-SemiBold.subset.woff2");
pub const FAMILY: &str = "Inter";
/// What SVG and HTML ask for, in order.
pub const FONT_STACK: &str = "Inter, 'Helvetica Neue', Arial, sans-serif";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    SemiBold,
}

/// A face for what Inter cannot draw. The order of [`Fallback::ALL`] is the
/// order they are tried in: emoji before CJK, so a symbol both have (☺, ♥)
/// is drawn in colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Fallback {
    Arabic,
    Hebrew,
    Devanagari,
    Thai,
    Emoji,
    Cjk,
}

macro_rules! font_file {
    ($name:literal) => {
        include_bytes!(concat!("../../assets/fonts/fallback/", $name, ".ttf.zlib")).as_slice()
    };
}

impl Fallback {
    pub(crate) const ALL: [Fallback; 6] =
        [Fallback::Arabic, Fallback::Hebrew, Fallback::Devanagari, Fallback::Thai, Fallback::Emoji, Fallback::Cjk];

    /// The family name the font declares, which SVG and CSS ask for.
    pub(crate) fn family(self) -> &'static str {
        match self {
            Fallback::Arabic => "Noto Sans Arabic",
            Fallback::Hebrew => "Noto Sans Hebrew",
            Fallback::Devanagari => "Noto Sans Devanagari",
            Fallback::Thai => "Noto Sans Thai",
            Fallback::Emoji => "Twemoji Mozilla",
            Fallback::Cjk => "Noto Sans CJK JP",
        }
    }

    /// The zlib-compressed font files, regular then bold where there is one
    /// (CJK and emoji have one weight: a heading draws them regular).
    fn files(self) -> (&'static [u8], Option<&'static [u8]>) {
        match self {
            Fallback::Arabic => (font_file!("NotoSansArabic-Regular"), Some(font_file!("NotoSansArabic-Bold"))),
            Fallback::Hebrew => (font_file!("NotoSansHebrew-Regular"), Some(font_file!("NotoSansHebrew-Bold"))),
            Fallback::Devanagari => {
                (font_file!("NotoSansDevanagari-Regular"), Some(font_file!("NotoSansDevanagari-Bold")))
            }
            Fallback::Thai => (font_file!("NotoSansThai-Regular"), Some(font_file!("NotoSansThai-Bold"))),
            Fallback::Emoji => (font_file!("TwemojiMozilla"), None),
            Fallback::Cjk => (font_file!("NotoSansCJKjp-Regular"), None),
        }
    }

    /// Whether text of `weight` is drawn with the bold file (what fontdb and
    /// browsers pick for weight 600 when 400 and 700 are on offer).
    pub(crate) fn bold(self, weight: Weight) -> bool {
        weight == Weight::SemiBold && self.files().1.is_some()
    }

    /// The font file, inflated on first use and kept for the process.
    pub(crate) fn data(self, bold: bool) -> &'static [u8] {
        static DATA: [OnceLock<Vec<u8>>; 12] = [const { OnceLock::new() }; 12];
        let (regular, bolder) = self.files();
        let (slot, file) = match (bold, bolder) {
            (true, Some(file)) => (self as usize * 2 + 1, file),
            _ => (self as usize * 2, regular),
        };
        DATA[slot].get_or_init(|| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(file), &mut out)
                .expect("the embedded fonts inflate");
            out
        })
    }

    /// The face, parsed once, for coverage, advances and shaping.
    pub(crate) fn face(self, bold: bool) -> &'static rustybuzz::Face<'static> {
        static FACES: [OnceLock<rustybuzz::Face<'static>>; 12] = [const { OnceLock::new() }; 12];
        let bold = bold && self.files().1.is_some();
        FACES[self as usize * 2 + usize::from(bold)]
            .get_or_init(|| rustybuzz::Face::from_slice(self.data(bold), 0).expect("the embedded fonts parse"))
    }

    pub(crate) fn has(self, c: char) -> bool {
        self.face(false).glyph_index(c).is_some()
    }
}

/// A fallback face as a web page loads it, so a browser draws the web app's
/// maps with the faces cjm measured them with.
pub struct WebFont {
    /// The file name in its URL.
    pub name: &'static str,
    /// The CSS family and weight (`100 900`: one file serves every weight).
    pub family: &'static str,
    pub weight: &'static str,
    /// The TrueType file compressed with zlib: HTTP's `deflate` encoding.
    pub zlib: &'static [u8],
    face: Fallback,
    bold: bool,
}

impl WebFont {
    /// The TrueType file itself, for a client that does not take `deflate`.
    pub fn ttf(&self) -> &'static [u8] {
        self.face.data(self.bold)
    }
}

/// Every fallback face, named for the web app's `@font-face` rules.
pub fn web_fonts() -> Vec<WebFont> {
    use Fallback::*;
    const FILES: [(Fallback, bool, &str, &str); 10] = [
        (Arabic, false, "noto-sans-arabic-400.ttf", "400"),
        (Arabic, true, "noto-sans-arabic-700.ttf", "700"),
        (Hebrew, false, "noto-sans-hebrew-400.ttf", "400"),
        (Hebrew, true, "noto-sans-hebrew-700.ttf", "700"),
        (Devanagari, false, "noto-sans-devanagari-400.ttf", "400"),
        (Devanagari, true, "noto-sans-devanagari-700.ttf", "700"),
        (Thai, false, "noto-sans-thai-400.ttf", "400"),
        (Thai, true, "noto-sans-thai-700.ttf", "700"),
        (Emoji, false, "twemoji-mozilla.ttf", "100 900"),
        (Cjk, false, "noto-sans-cjk-jp.ttf", "100 900"),
    ];
    FILES
        .iter()
        .map(|&(face, bold, name, weight)| {
            let (regular, bolder) = face.files();
            let zlib = if bold { bolder.unwrap_or(regular) } else { regular };
            WebFont { name, family: face.family(), weight, zlib, face, bold }
        })
        .collect()
}

/// Advance widths in em, by character, for one Inter face.
struct Metrics {
    /// Characters below `TABLE_SIZE`, looked up directly (NaN: not in the font).
    table: Vec<f32>,
    face: ttf_parser::Face<'static>,
}

const TABLE_SIZE: usize = 0x0530;

impl Metrics {
    fn new(data: &'static [u8]) -> Metrics {
        let face = ttf_parser::Face::parse(data, 0).expect("the embedded font parses");
        let table =
            (0..TABLE_SIZE as u32).map(|c| char::from_u32(c).map_or(f32::NAN, |ch| advance(&face, ch))).collect();
        Metrics { table, face }
    }

    /// What Inter draws for `c`: its glyph, nothing for a control or
    /// joining character, else the missing-glyph box.
    fn drawn_em(&self, c: char) -> f32 {
        let w = self.em(c);
        if !w.is_nan() {
            w
        } else if c.is_control() || runs::continues(c) {
            0.0
        } else {
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(0))
                .map_or(0.5, |a| f32::from(a) / f32::from(self.face.units_per_em()))
        }
    }

    /// Inter's advance for `c`, NaN when Inter lacks it.
    fn em(&self, c: char) -> f32 {
        if (c as usize) < TABLE_SIZE {
            self.table[c as usize]
        } else {
            advance(&self.face, c)
        }
    }
}

fn advance(face: &ttf_parser::Face, c: char) -> f32 {
    match face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)) {
        Some(adv) => f32::from(adv) / f32::from(face.units_per_em()),
        None => f32::NAN,
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

/// Whether Inter draws `c`.
pub(crate) fn inter_has(c: char) -> bool {
    !metrics(Weight::Regular).em(c).is_nan()
}

/// Width of `text` in pixels at `size`: Inter's advances where Inter draws
/// it, and each fallback run shaped (joined Arabic, Devanagari conjuncts,
/// emoji sequences) by the face that draws it.
pub fn measure(text: &str, size: f32, weight: Weight) -> f32 {
    let m = metrics(weight);
    let mut sum = 0.0;
    for c in text.chars() {
        let w = if (c as usize) < TABLE_SIZE { m.table[c as usize] } else { f32::NAN };
        if w.is_nan() {
            return measure_runs(text, weight) * size;
        }
        sum += w;
    }
    sum * size
}

fn measure_runs(text: &str, weight: Weight) -> f32 {
    let m = metrics(weight);
    runs::runs(text)
        .map(|(range, face)| {
            let run = &text[range];
            match face {
                None => run.chars().map(|c| m.drawn_em(c)).sum::<f32>(),
                Some(_) => shaped_width(face, run, weight),
            }
        })
        .sum()
}

/// The width in em of `text` shaped by `face` (`None`: Inter) at `weight`,
/// kerning and all, as resvg and browsers lay it out.
pub(crate) fn shaped_width(face: Option<Fallback>, text: &str, weight: Weight) -> f32 {
    match face {
        Some(f) => shaped_em(f.face(f.bold(weight)), text),
        None => shaped_em(inter(weight), text),
    }
}

/// Where usvg 0.45 misplaces `text` shaped by `face`: it advances a
/// cluster by its widest glyph, not by the sum of its glyphs, so after a
/// cluster holding two glyphs that advance (a Devanagari consonant and its
/// vowel sign, Thai's sara am) the rest of the line is drawn too far left.
/// Each entry is a character index where a cluster starts and how far (in
/// em) usvg falls short before it; `None` when it never does.
pub(crate) fn usvg_shortfalls(face: Fallback, text: &str, weight: Weight) -> Option<Vec<(usize, f32)>> {
    let face = face.face(face.bold(weight));
    let (direction, glyphs) = shape(face, text);
    if direction != rustybuzz::Direction::LeftToRight {
        return None;
    }
    let upem = face.units_per_em() as f32;
    // (first byte, sum of advances, widest advance) per cluster.
    let mut clusters: Vec<(usize, i32, i32)> = Vec::new();
    for (info, pos) in glyphs.glyph_infos().iter().zip(glyphs.glyph_positions()) {
        match clusters.last_mut() {
            Some((start, sum, widest)) if *start == info.cluster as usize => {
                *sum += pos.x_advance;
                *widest = (*widest).max(pos.x_advance);
            }
            _ => clusters.push((info.cluster as usize, pos.x_advance, pos.x_advance)),
        }
    }
    let shortfalls: Vec<(usize, f32)> = clusters
        .windows(2)
        .filter(|w| w[0].1 > w[0].2)
        .map(|w| (text[..w[1].0].chars().count(), (w[0].1 - w[0].2) as f32 / upem))
        .collect();
    (!shortfalls.is_empty()).then_some(shortfalls)
}

/// Inter for shaping.
fn inter(weight: Weight) -> &'static rustybuzz::Face<'static> {
    static REGULAR: OnceLock<rustybuzz::Face<'static>> = OnceLock::new();
    static SEMIBOLD: OnceLock<rustybuzz::Face<'static>> = OnceLock::new();
    let (slot, data) = match weight {
        Weight::Regular => (&REGULAR, REGULAR_OTF),
        Weight::SemiBold => (&SEMIBOLD, SEMIBOLD_OTF),
    };
    slot.get_or_init(|| rustybuzz::Face::from_slice(data, 0).expect("the embedded font parses"))
}

/// `text` shaped by `face` with the script, language and direction it
/// implies (as usvg shapes it), and that direction.
pub(crate) fn shape(face: &rustybuzz::Face, text: &str) -> (rustybuzz::Direction, rustybuzz::GlyphBuffer) {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    let direction = buffer.direction();
    (direction, rustybuzz::shape(face, &[], buffer))
}

/// The advance of `text` shaped by `face`, in em.
fn shaped_em(face: &rustybuzz::Face, text: &str) -> f32 {
    let (_, glyphs) = shape(face, text);
    let units: i64 = glyphs.glyph_positions().iter().map(|p| i64::from(p.x_advance)).sum();
    units as f32 / face.units_per_em() as f32
}

/// Width of one character in pixels at `size` (by the face that draws it).
pub fn char_width(c: char, size: f32, weight: Weight) -> f32 {
    let w = metrics(weight).em(c);
    if !w.is_nan() {
        return w * size;
    }
    match runs::face_for(c, None) {
        Some(f) => {
            let face = f.face(f.bold(weight));
            advance(face, c) * size
        }
        None => metrics(weight).drawn_em(c) * size,
    }
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
    }

    #[test]
    fn measures_other_scripts_with_the_face_that_draws_them() {
        // Noto Sans CJK: full-width ideographs, one em each.
        assert_eq!(measure("注文", 10.0, Weight::Regular), 20.0);
        // An emoji ZWJ sequence is one glyph, not three.
        let technologist = measure("👩\u{200D}💻", 10.0, Weight::Regular);
        let woman = measure("👩", 10.0, Weight::Regular);
        assert!(woman > 8.0 && (technologist - woman).abs() < 0.01, "{technologist} vs {woman}");
        // Arabic is measured joined, as drawn: narrower than its letters apart.
        let joined = measure("سلام", 10.0, Weight::Regular);
        let apart: f32 = "سلام".chars().map(|c| char_width(c, 10.0, Weight::Regular)).sum();
        assert!(joined > 5.0 && joined <= apart, "{joined} vs {apart}");
        // Headings in Arabic use the bold face, which is wider.
        assert!(measure("سلام", 10.0, Weight::SemiBold) > joined);
    }
}
