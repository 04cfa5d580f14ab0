//! Colour emoji in PDF. svg2pdf writes text as text, so a PDF can be
//! searched and copied, but it cannot write a colour (COLR) glyph: Twemoji's
//! emoji would come out blank. So before a page goes to svg2pdf, every emoji
//! run [`super::runs::mark`] placed is also drawn, right after its text
//! element, as the vector layers its COLR table paints. The run stays in the
//! text (invisible there), so the PDF's text still holds the emoji.

use super::{runs, Fallback};
use std::borrow::Cow;
use std::fmt::Write;
use ttf_parser::colr::{ClipBox, CompositeMode, Paint, Painter};
use ttf_parser::{GlyphId, RgbaColor, Transform};

/// `svg` with its emoji runs also drawn as paths; as it was when it has none.
pub(crate) fn as_paths(svg: &str) -> Cow<'_, str> {
    let mark = format!("{}{}\"", runs::MARK, Fallback::Emoji.family());
    if !svg.contains(&mark) {
        return Cow::Borrowed(svg);
    }
    let mut out = String::with_capacity(svg.len() + 4096);
    let mut rest = svg;
    while let Some(at) = runs::find_text(rest) {
        let Some(close) = rest[at..].find("</text>").map(|i| at + i + "</text>".len()) else { break };
        let element = &rest[at..close];
        out.push_str(&rest[..close]);
        if element.contains(&mark) {
            paint_runs(element, &mark, &mut out);
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Draws the emoji runs of one text element after it.
fn paint_runs(element: &str, mark: &str, out: &mut String) {
    let open = &element[..element.find('>').unwrap_or(element.len())];
    let y = runs::attribute(open, "y").and_then(|v| v.parse::<f32>().ok()).unwrap_or(0.0);
    let (size, _) = runs::text_style(open);
    let fill = runs::attribute(open, "fill").and_then(hex_colour).unwrap_or(RgbaColor::new(0, 0, 0, 255));
    match runs::attribute(open, "transform") {
        Some(t) => {
            let _ = write!(out, r#"<g class="emoji" transform="{t}">"#);
        }
        None => out.push_str(r#"<g class="emoji">"#),
    }
    let mut rest = element;
    while let Some(at) = rest.find(mark) {
        rest = &rest[at..];
        let tag_end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let x = runs::attribute(&rest[..tag_end], "x").and_then(|v| v.parse::<f32>().ok()).unwrap_or(0.0);
        let end = rest[tag_end..].find("</tspan>").map_or(rest.len(), |i| tag_end + i);
        paint_run(&runs::unescape(&rest[tag_end..end]), (x, y), size, fill, out);
        rest = &rest[end..];
    }
    out.push_str("</g>");
}

/// One emoji run shaped by Twemoji and painted glyph by glyph from `at`.
fn paint_run(text: &str, (x, y): (f32, f32), size: f32, fill: RgbaColor, out: &mut String) {
    let face = Fallback::Emoji.face(false);
    let (_, glyphs) = super::shape(face, text);
    let scale = size / face.units_per_em() as f32;
    let mut pen = 0i32;
    for (info, pos) in glyphs.glyph_infos().iter().zip(glyphs.glyph_positions()) {
        let gx = x + (pen + pos.x_offset) as f32 * scale;
        let gy = y - pos.y_offset as f32 * scale;
        pen += pos.x_advance;
        let mut layers = Layers { face, path: String::new(), out: String::new(), fill };
        let glyph = GlyphId(info.glyph_id as u16);
        if face.paint_color_glyph(glyph, 0, fill, &mut layers).is_none() {
            layers.outline_glyph(glyph);
            layers.paint(Paint::Solid(fill));
        }
        if !layers.out.is_empty() {
            let (gx, gy, s) = (crate::svg::fmt(gx), crate::svg::fmt(gy), scale);
            let _ = write!(out, r#"<g transform="translate({gx} {gy}) scale({s} -{s})">{}</g>"#, layers.out);
        }
    }
}

fn hex_colour(v: &str) -> Option<RgbaColor> {
    let hex = v.strip_prefix('#').filter(|h| h.len() == 6)?;
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(RgbaColor::new(byte(0)?, byte(2)?, byte(4)?, 255))
}

/// Paints COLR layers as SVG paths: an outline, then the colour it is
/// filled with. (Twemoji is COLR version 0: solid layers, no gradients,
/// clips or transforms, so those calls have nothing to do.)
struct Layers<'f> {
    face: &'f ttf_parser::Face<'f>,
    path: String,
    out: String,
    fill: RgbaColor,
}

impl<'a> Painter<'a> for Layers<'_> {
    fn outline_glyph(&mut self, glyph_id: GlyphId) {
        self.path.clear();
        self.face.outline_glyph(glyph_id, &mut PathData(&mut self.path));
    }

    fn paint(&mut self, paint: Paint<'a>) {
        let c = match paint {
            Paint::Solid(c) => c,
            _ => self.fill,
        };
        if self.path.is_empty() {
            return;
        }
        let _ = write!(self.out, r#"<path d="{}" fill="rgb({},{},{})""#, self.path, c.red, c.green, c.blue);
        if c.alpha < 255 {
            let _ = write!(self.out, r#" fill-opacity="{:.3}""#, f32::from(c.alpha) / 255.0);
        }
        self.out.push_str("/>");
    }

    fn push_clip(&mut self) {}
    fn push_clip_box(&mut self, _: ClipBox) {}
    fn pop_clip(&mut self) {}
    fn push_layer(&mut self, _: CompositeMode) {}
    fn pop_layer(&mut self) {}
    fn push_transform(&mut self, _: Transform) {}
    fn pop_transform(&mut self) {}
}

/// A glyph outline as SVG path data, in font units.
struct PathData<'s>(&'s mut String);

impl ttf_parser::OutlineBuilder for PathData<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.0, "M{x} {y}");
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.0, "L{x} {y}");
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let _ = write!(self.0, "Q{x1} {y1} {x} {y}");
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let _ = write!(self.0, "C{x1} {y1} {x2} {y2} {x} {y}");
    }
    fn close(&mut self) {
        self.0.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_emoji_runs_as_coloured_layers_and_leaves_other_text_alone() {
        let plain = r#"<svg><text x="0" y="10">注文</text></svg>"#;
        assert!(matches!(as_paths(plain), Cow::Borrowed(_)));
        let (marked, _) =
            runs::mark(r##"<svg><text x="5" y="20" font-size="10" fill="#112233">Hi 🚀</text></svg>"##.into());
        let painted = as_paths(&marked);
        let after = painted.split("</text>").nth(1).unwrap();
        assert!(after.starts_with(r#"<g class="emoji"><g transform="translate("#), "{after}");
        // A rocket has several layers in several colours.
        assert!(after.matches("<path ").count() >= 3, "{after}");
        assert!(after.matches("fill=\"rgb(").count() >= 3);
        // The text keeps the emoji, for search and copy.
        assert!(painted.contains("🚀</tspan></text>"));
    }
}
