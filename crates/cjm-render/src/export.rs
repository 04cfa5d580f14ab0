//! PNG through resvg and PDF through svg2pdf, both with the embedded font so
//! they look like the SVG on every machine.

use crate::svg::{draw, Page};
use crate::Options;
use cjm_model::Journey;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Why an export failed. Messages are for people; nothing internal leaks.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// The picture would be too large to rasterise.
    TooLarge { width: u32, height: u32 },
    /// resvg or svg2pdf refused the drawing (a bug in cjm: please report it).
    Backend(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::TooLarge { width, height } => {
                write!(f, "the PNG would be {width}×{height} pixels, more than the limit of {MAX_PIXELS} pixels")
            }
            RenderError::Backend(m) => write!(f, "rendering failed: {m}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// About 16 000 × 16 000 pixels of RGBA: a 1 GB pixmap at most.
const MAX_PIXELS: u64 = 256_000_000;

/// usvg options with the embedded fonts and nothing from the system, so the
/// same map gives the same pixels on every machine. A drawing whose text
/// needs a fallback face (see `fonts::runs`) gets a database with them all;
/// one in Inter alone does not pay for inflating them.
fn usvg_options(svg: &str) -> &'static usvg::Options<'static> {
    static INTER: OnceLock<usvg::Options<'static>> = OnceLock::new();
    static ALL: OnceLock<usvg::Options<'static>> = OnceLock::new();
    let fallbacks = svg.contains(crate::fonts::runs::MARK);
    let slot = if fallbacks { &ALL } else { &INTER };
    slot.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(crate::fonts::REGULAR_OTF.to_vec());
        db.load_font_data(crate::fonts::SEMIBOLD_OTF.to_vec());
        if fallbacks {
            for face in crate::fonts::Fallback::ALL {
                db.load_font_data(face.data(false).to_vec());
                if face.bold(crate::fonts::Weight::SemiBold) {
                    db.load_font_data(face.data(true).to_vec());
                }
            }
        }
        db.set_sans_serif_family(crate::fonts::FAMILY);
        usvg::Options {
            font_family: crate::fonts::FAMILY.to_string(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        }
    })
}

pub(crate) fn parse(svg: &str) -> Result<usvg::Tree, RenderError> {
    usvg::Tree::from_str(&crate::fonts::runs::for_usvg(svg), usvg_options(svg))
        .map_err(|e| RenderError::Backend(e.to_string()))
}

fn without_embedded_font(opts: &Options) -> Options {
    // resvg and svg2pdf take the font from fontdb; base64 in the SVG would only cost time.
    Options { embed_font: false, ..opts.clone() }
}

/// The map as a PNG, `scale` pixels per SVG unit (2 for sharp slides).
pub fn png(map: &Journey, opts: &Options, scale: f32) -> Result<Vec<u8>, RenderError> {
    let drawing = draw(map, &without_embedded_font(opts), Page::whole(map));
    rasterise(&drawing.svg, scale)
}

/// The map as a PNG of at most `max_pixels` pixels: at `scale` when that
/// fits, else at the largest scale that does (a server's budget per drawing).
pub fn png_within(map: &Journey, opts: &Options, scale: f32, max_pixels: u64) -> Result<Vec<u8>, RenderError> {
    let drawing = draw(map, &without_embedded_font(opts), Page::whole(map));
    let area = f64::from(drawing.width.max(1.0)) * f64::from(drawing.height.max(1.0));
    let fits = (max_pixels.min(MAX_PIXELS) as f64 / area).sqrt() as f32 * 0.999;
    rasterise(&drawing.svg, scale.min(fits))
}

/// Rasterises any SVG cjm drew: horizontal bands rendered in parallel
/// (one per core, straight into one buffer), then encoded (see
/// `encode_png`). The bands halve the time of a large map
/// (see `cargo bench -p cjm-render`).
pub(crate) fn rasterise(svg: &str, scale: f32) -> Result<Vec<u8>, RenderError> {
    let tree = parse(svg)?;
    let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
    let width = (tree.size().width() * scale).ceil() as u32;
    let height = (tree.size().height() * scale).ceil() as u32;
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width == 0 || height == 0 {
        return Err(RenderError::TooLarge { width, height });
    }
    let row = width as usize * 4;
    let mut pixels = vec![0u8; row * height as usize];
    let bands = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8).min(height as usize);
    let rows_per_band = (height as usize).div_ceil(bands);
    std::thread::scope(|scope| {
        for (i, band) in pixels.chunks_mut(rows_per_band * row).enumerate() {
            let tree = &tree;
            scope.spawn(move || {
                let band_rows = (band.len() / row) as u32;
                let top = (i * rows_per_band) as f32;
                if let Some(mut pixmap) = tiny_skia::PixmapMut::from_bytes(band, width, band_rows) {
                    let transform = tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, 0.0, -top);
                    resvg::render(tree, transform, &mut pixmap);
                }
            });
        }
    });
    encode_png(&mut pixels, width, height)
}

/// PNG from premultiplied RGBA: RGB when every pixel is opaque (a map's
/// background always is), the Up filter and zlib's default level. On a
/// 119-step map (21,438 × 2,174 px) that is 0.7 MB in 0.24 s, where the
/// fastest level wrote 10.3 MB in 0.04 s: its matcher misses the long runs
/// of flat colour a map is made of.
fn encode_png(pixels: &mut [u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut opaque = true;
    for px in pixels.chunks_exact_mut(4) {
        let a = px[3];
        opaque &= a == 255;
        if a != 255 && a != 0 {
            for c in &mut px[..3] {
                *c = ((u16::from(*c) * 255 + u16::from(a) / 2) / u16::from(a)).min(255) as u8;
            }
        }
    }
    let (data, color) = if opaque {
        // Compact RGBA to RGB in place: byte 3i..3i+3 from 4i..4i+3, which
        // never overtakes what is still to be read.
        let n = pixels.len() / 4;
        for i in 0..n {
            pixels.copy_within(4 * i..4 * i + 3, 3 * i);
        }
        (&pixels[..3 * n], png::ColorType::Rgb)
    } else {
        (&pixels[..], png::ColorType::Rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 32);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    encoder.set_filter(png::FilterType::Up);
    let fail = |e: png::EncodingError| RenderError::Backend(e.to_string());
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(data).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Widest page content, in SVG units, before stages move to the next page.
const PAGE_CONTENT: f32 = 1800.0;

/// The map as a vector PDF: stages are grouped into pages no wider than
/// about 1,800 units; every page repeats the title and the lane labels.
pub fn pdf(map: &Journey, opts: &Options) -> Result<Vec<u8>, RenderError> {
    let opts = without_embedded_font(opts);
    let svgs: Vec<String> = paginate(map, &opts).into_iter().map(|page| draw(map, &opts, page).svg).collect();
    let title = map.title.clone().unwrap_or_else(|| "Customer journey map".into());
    pdf_of(&svgs, &title)
}

/// SVG drawings cjm made, one per page, as a vector PDF titled `title`.
pub(crate) fn pdf_of(svgs: &[String], title: &str) -> Result<Vec<u8>, RenderError> {
    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree_id = alloc.bump();
    let info = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::new();
    let mut chunks = Vec::new();
    for svg in svgs {
        let tree = parse(&crate::fonts::emoji::as_paths(svg))?;
        let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| RenderError::Backend(e.to_string()))?;
        let mut renumbered = HashMap::new();
        let chunk = chunk.renumber(|old| *renumbered.entry(old).or_insert_with(|| alloc.bump()));
        let svg_ref = renumbered[&svg_ref];
        // 96 CSS pixels to the inch, 72 points: one unit is 0.75 pt.
        let (w, h) = (tree.size().width() * 0.75, tree.size().height() * 0.75);
        let page_id = alloc.bump();
        let content_id = alloc.bump();
        let name = Name(b"M");
        let mut page_dict = pdf.page(page_id);
        page_dict.media_box(Rect::new(0.0, 0.0, w, h)).parent(tree_id).contents(content_id);
        page_dict.resources().x_objects().pair(name, svg_ref);
        page_dict.finish();
        let mut content = Content::new();
        content.transform([w, 0.0, 0.0, h, 0.0, 0.0]).x_object(name);
        pdf.stream(content_id, &content.finish());
        page_ids.push(page_id);
        chunks.push(chunk);
    }
    pdf.catalog(catalog).pages(tree_id);
    pdf.pages(tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    pdf.document_info(info).title(TextStr(title)).creator(TextStr("cjm"));
    for chunk in &chunks {
        pdf.extend(chunk);
    }
    Ok(pdf.finish())
}

/// Consecutive stages per page, each page at most [`PAGE_CONTENT`] wide
/// (a wider stage gets a page of its own).
pub(crate) fn paginate(map: &Journey, opts: &Options) -> Vec<Page> {
    let widths = crate::svg::stage_widths(map, opts);
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut acc = 0.0;
    for (i, w) in widths.iter().enumerate() {
        if i > start && acc + w > PAGE_CONTENT {
            groups.push((start, i));
            start = i;
            acc = 0.0;
        }
        acc += w;
    }
    groups.push((start, widths.len()));
    let count = groups.len();
    groups.into_iter().enumerate().map(|(i, stages)| Page { stages, number: i + 1, count, cards: i == 0 }).collect()
}
