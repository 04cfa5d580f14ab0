//! A slide deck for the board: PowerPoint's `.pptx` (Office Open XML), which
//! PowerPoint, Keynote, Google Slides and LibreOffice all open.
//!
//! A map's deck: a title slide in real, editable text; the whole map; one
//! slide per stage with the lane labels (the PDF's pages, a stage each); the
//! persona cards; the opportunity matrix. Every picture is stored as
//! PowerPoint itself stores one: an SVG (`asvg:svgBlip`, text drawn as
//! outlines so it looks the same in every viewer, whatever fonts it has)
//! with a PNG fallback for viewers that do not read SVG. The package is
//! written in a fixed order with fixed dates, so one map gives one file.

use crate::export::{rasterise, RenderError};
use crate::svg::{draw, persona_sheet, Page};
use crate::text::esc;
use crate::Options;
use cjm_model::Journey;
use std::fmt::Write as _;
use std::io::Write as _;

/// 16:9 at 13.333 × 7.5 inches, in EMU (914,400 an inch).
const SLIDE_W: i64 = 12_192_000;
const SLIDE_H: i64 = 6_858_000;
const MARGIN: i64 = 457_200;
/// A PNG fallback's longest side, in pixels.
const FALLBACK_PX: f32 = 3_200.0;
const INK: &str = "1B1F24";
const MUTED: &str = "59616E";
const ACCENT: &str = "3451B2";

/// The map as a deck.
pub fn pptx(map: &Journey, opts: &Options) -> Result<Vec<u8>, RenderError> {
    let title = map.title.clone().unwrap_or_else(|| "Customer journey map".into());
    let plain = Options { embed_font: false, ..opts.clone() };
    let mut deck = Deck::new(&title);
    deck.title_slide(&title, &title_lines(map));
    deck.picture_slide("The whole journey", &draw(map, &plain, Page::whole(map)).svg, "The whole journey map")?;
    let count = map.stages.len();
    for (i, stage) in map.stages.iter().enumerate() {
        let name = if stage.name.is_empty() { "Before the first stage" } else { stage.name.as_str() };
        let heading = format!("Stage {} of {count}: {name}", i + 1);
        let page = Page { stages: (i, i + 1), number: i + 1, count, cards: false };
        deck.picture_slide(&heading, &draw(map, &plain, page).svg, &heading)?;
    }
    if let Some(sheet) = persona_sheet(map, &plain) {
        deck.picture_slide("Personas", &sheet, "The persona cards")?;
    }
    matrix_slide(&mut deck, &title, map)?;
    deck.finish()
}

/// The current and the future state as a deck: a title slide, the
/// comparison board, each state's whole map and the future's opportunities.
pub fn compare_pptx(current: &Journey, future: &Journey, labels: (&str, &str)) -> Result<Vec<u8>, RenderError> {
    let title = future.title.clone().or_else(|| current.title.clone()).unwrap_or_else(|| "Customer journey".into());
    let mut deck = Deck::new(&format!("{title}: current and future"));
    deck.title_slide(
        &title,
        &[(format!("{} and {}, side by side", labels.0, labels.1), MUTED, 2000), (counts(future), MUTED, 1600)],
    );
    let board = crate::compare::compare_svg(current, future, labels, false);
    deck.picture_slide("What changes", &board, "The current and the future state compared")?;
    let plain = Options { embed_font: false, ..Options::default() };
    for (label, map) in [(labels.0, current), (labels.1, future)] {
        let heading = format!("{label}: the whole journey");
        deck.picture_slide(&heading, &draw(map, &plain, Page::whole(map)).svg, &heading)?;
    }
    matrix_slide(&mut deck, &title, future)?;
    deck.finish()
}

/// The opportunity matrix of `map`, when it has opportunities.
fn matrix_slide(deck: &mut Deck, title: &str, map: &Journey) -> Result<(), RenderError> {
    let items = cjm_model::portfolio::portfolio(&[(title.to_string(), map)]);
    if items.is_empty() {
        return Ok(());
    }
    let n = items.len();
    let chart: crate::charts::Chart = crate::charts::MatrixChart {
        title: format!("Opportunities: {title}"),
        subtitle: format!(
            "{n} {} by impact and effort: {}",
            if n == 1 { "opportunity" } else { "opportunities" },
            cjm_model::portfolio::counted(&items)
        ),
        items,
        bare: false,
    }
    .into();
    deck.picture_slide(
        "Opportunities, by impact and effort",
        &crate::charts::chart_svg(&chart, false),
        "The opportunity matrix",
    )
}

/// The title slide's lines under the title: description, brand promise,
/// state and version, personas, size.
fn title_lines(map: &Journey) -> Vec<(String, &'static str, u32)> {
    let mut lines = Vec::new();
    if let Some(d) = &map.description {
        lines.push((d.clone(), MUTED, 2000));
    }
    if let Some(p) = &map.promise {
        lines.push((format!("Brand promise: {p}"), ACCENT, 1800));
    }
    let mut meta: Vec<String> = Vec::new();
    if let Some(state) = map.state {
        meta.push(format!("{} state", if state == cjm_model::MapState::Future { "Future" } else { "Current" }));
    }
    if let Some(v) = &map.version {
        meta.push(format!("version {v}"));
    }
    if let Some(d) = &map.date {
        meta.push(d.clone());
    }
    meta.push(counts(map));
    lines.push((meta.join(" · "), MUTED, 1600));
    if !map.personas.is_empty() {
        let names: Vec<&str> = map.personas.iter().map(|p| p.name.as_str()).collect();
        lines.push((format!("Personas: {}", names.join(", ")), INK, 1600));
    }
    lines
}

fn counts(map: &Journey) -> String {
    let steps = map.steps().count();
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    format!("{} · {}", n(map.stages.len(), "stage", "stages"), n(steps, "step", "steps"))
}

/// The slides and pictures of a deck being written.
struct Deck {
    title: String,
    slides: Vec<Slide>,
    /// Picture files by name (`image3.svg`), in order.
    media: Vec<(String, Vec<u8>)>,
}

struct Slide {
    shapes: String,
    /// (relationship id, target) of the slide's pictures.
    images: Vec<(String, String)>,
}

impl Deck {
    fn new(title: &str) -> Deck {
        Deck { title: title.to_string(), slides: Vec::new(), media: Vec::new() }
    }

    /// A slide of text: the title large, then `lines` (text, colour, size
    /// in hundredths of a point).
    fn title_slide(&mut self, title: &str, lines: &[(String, &str, u32)]) {
        let mut shapes =
            text_box(2, "Title", (MARGIN, 2_011_680), (SLIDE_W - 2 * MARGIN, 1_005_840), &[(title, INK, 4000, true)]);
        let body: Vec<(&str, &str, u32, bool)> = lines.iter().map(|(t, c, s)| (t.as_str(), *c, *s, false)).collect();
        shapes.push_str(&text_box(3, "Subtitle", (MARGIN, 3_108_960), (SLIDE_W - 2 * MARGIN, 2_926_080), &body));
        self.slides.push(Slide { shapes, images: Vec::new() });
    }

    /// A slide with `heading` and the drawing `svg` fitted below it.
    fn picture_slide(&mut self, heading: &str, svg: &str, alt: &str) -> Result<(), RenderError> {
        let (outlined, width, height) = outlined(svg)?;
        let scale = (FALLBACK_PX / width.max(height)).min(2.0);
        let png = rasterise(svg, scale)?;
        let n = self.media.len();
        let (png_name, svg_name) = (format!("image{}.png", n + 1), format!("image{}.svg", n + 2));
        self.media.push((png_name.clone(), png));
        self.media.push((svg_name.clone(), outlined.into_bytes()));
        let mut shapes =
            text_box(2, "Title", (MARGIN, 228_600), (SLIDE_W - 2 * MARGIN, 640_080), &[(heading, INK, 2400, true)]);
        // Fitted into the area under the heading, centred, aspect kept.
        let (top, area_w, area_h) = (960_120, SLIDE_W - 2 * MARGIN, SLIDE_H - 960_120 - 320_040);
        let k = (area_w as f32 / width).min(area_h as f32 / height);
        let (cx, cy) = ((width * k) as i64, (height * k) as i64);
        let (x, y) = (MARGIN + (area_w - cx) / 2, top + (area_h - cy) / 2);
        let _ = write!(
            shapes,
            r#"<p:pic><p:nvPicPr><p:cNvPr id="3" name="Picture" descr="{}"/><p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"><a:extLst><a:ext uri="{{96DAC541-7B7A-43D3-8B79-37D633B846F1}}"><asvg:svgBlip xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" r:embed="rId3"/></a:ext></a:extLst></a:blip><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>"#,
            esc(alt)
        );
        let images = vec![("rId2".into(), png_name), ("rId3".into(), svg_name)];
        self.slides.push(Slide { shapes, images });
        Ok(())
    }

    /// The package: every part, in a fixed order.
    fn finish(self) -> Result<Vec<u8>, RenderError> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let fail = |e: &dyn std::fmt::Display| RenderError::Backend(format!("writing the deck: {e}"));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut part = |name: &str, bytes: &[u8], opts| -> Result<(), RenderError> {
            zip.start_file(name, opts).map_err(|e| fail(&e))?;
            zip.write_all(bytes).map_err(|e| fail(&e))
        };
        part("[Content_Types].xml", content_types(self.slides.len()).as_bytes(), deflated)?;
        part("_rels/.rels", ROOT_RELS.as_bytes(), deflated)?;
        part("docProps/core.xml", core_props(&self.title).as_bytes(), deflated)?;
        part("docProps/app.xml", app_props(self.slides.len()).as_bytes(), deflated)?;
        part("ppt/presentation.xml", presentation(self.slides.len()).as_bytes(), deflated)?;
        part("ppt/_rels/presentation.xml.rels", presentation_rels(self.slides.len()).as_bytes(), deflated)?;
        part("ppt/presProps.xml", PRES_PROPS.as_bytes(), deflated)?;
        part("ppt/tableStyles.xml", TABLE_STYLES.as_bytes(), deflated)?;
        part("ppt/theme/theme1.xml", THEME.as_bytes(), deflated)?;
        part("ppt/slideMasters/slideMaster1.xml", MASTER.as_bytes(), deflated)?;
        part("ppt/slideMasters/_rels/slideMaster1.xml.rels", MASTER_RELS.as_bytes(), deflated)?;
        part("ppt/slideLayouts/slideLayout1.xml", LAYOUT.as_bytes(), deflated)?;
        part("ppt/slideLayouts/_rels/slideLayout1.xml.rels", LAYOUT_RELS.as_bytes(), deflated)?;
        for (i, slide) in self.slides.iter().enumerate() {
            let xml = format!("{XML}<p:sld {NS}><p:cSld><p:spTree>{GROUP}{}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>", slide.shapes);
            part(&format!("ppt/slides/slide{}.xml", i + 1), xml.as_bytes(), deflated)?;
            part(&format!("ppt/slides/_rels/slide{}.xml.rels", i + 1), slide_rels(&slide.images).as_bytes(), deflated)?;
        }
        for (name, bytes) in &self.media {
            // PNG is compressed already; SVG outlines compress well.
            let opts = if name.ends_with(".png") { stored } else { deflated };
            part(&format!("ppt/media/{name}"), bytes, opts)?;
        }
        Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
    }
}

/// `svg` re-written by usvg with its text as outlines, and its size.
fn outlined(svg: &str) -> Result<(String, f32, f32), RenderError> {
    let tree = crate::export::parse(svg)?;
    let opts = usvg::WriteOptions {
        indent: usvg::Indent::None,
        attributes_indent: usvg::Indent::None,
        coordinates_precision: 3,
        transforms_precision: 4,
        ..usvg::WriteOptions::default()
    };
    Ok((tree.to_string(&opts), tree.size().width(), tree.size().height()))
}

/// A text box at `(x, y)` of `(cx, cy)` EMU, one paragraph per line:
/// (text, colour, size in hundredths of a point, bold).
fn text_box(
    id: u32,
    name: &str,
    (x, y): (i64, i64),
    (cx, cy): (i64, i64),
    lines: &[(&str, &str, u32, bool)],
) -> String {
    let mut paragraphs = String::new();
    for (text, colour, size, bold) in lines {
        let b = if *bold { r#" b="1""# } else { "" };
        let _ = write!(
            paragraphs,
            r#"<a:p><a:pPr><a:spcAft><a:spcPts val="600"/></a:spcAft></a:pPr><a:r><a:rPr lang="en-US" sz="{size}"{b} dirty="0"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill><a:latin typeface="Inter"/><a:ea typeface="Noto Sans CJK JP"/><a:cs typeface="Noto Sans Arabic"/></a:rPr><a:t>{}</a:t></a:r></a:p>"#,
            esc(text)
        );
    }
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{name}"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr><p:txBody><a:bodyPr wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t"><a:normAutofit/></a:bodyPr><a:lstStyle/>{paragraphs}</p:txBody></p:sp>"#
    )
}

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const NS: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
const GROUP: &str = r#"<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>"#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

fn rels(entries: &[(String, String, String)]) -> String {
    let mut s = format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
    for (id, kind, target) in entries {
        let _ = write!(s, r#"<Relationship Id="{id}" Type="{REL}/{kind}" Target="{target}"/>"#);
    }
    s.push_str("</Relationships>");
    s
}

fn slide_rels(images: &[(String, String)]) -> String {
    let mut entries =
        vec![("rId1".to_string(), "slideLayout".to_string(), "../slideLayouts/slideLayout1.xml".to_string())];
    entries.extend(images.iter().map(|(id, name)| (id.clone(), "image".to_string(), format!("../media/{name}"))));
    rels(&entries)
}

fn content_types(slides: usize) -> String {
    let kind = "application/vnd.openxmlformats-officedocument";
    let mut s = format!(
        r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="svg" ContentType="image/svg+xml"/><Override PartName="/ppt/presentation.xml" ContentType="{kind}.presentationml.presentation.main+xml"/><Override PartName="/ppt/presProps.xml" ContentType="{kind}.presentationml.presProps+xml"/><Override PartName="/ppt/tableStyles.xml" ContentType="{kind}.presentationml.tableStyles+xml"/><Override PartName="/ppt/theme/theme1.xml" ContentType="{kind}.theme+xml"/><Override PartName="/ppt/slideMasters/slideMaster1.xml" ContentType="{kind}.presentationml.slideMaster+xml"/><Override PartName="/ppt/slideLayouts/slideLayout1.xml" ContentType="{kind}.presentationml.slideLayout+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="{kind}.extended-properties+xml"/>"#
    );
    for i in 1..=slides {
        let _ = write!(
            s,
            r#"<Override PartName="/ppt/slides/slide{i}.xml" ContentType="{kind}.presentationml.slide+xml"/>"#
        );
    }
    s.push_str("</Types>");
    s
}

fn presentation(slides: usize) -> String {
    let ids: String = (1..=slides).map(|i| format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + i, 9 + i)).collect();
    format!(
        r#"{XML}<p:presentation {NS} saveSubsetFonts="1"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx="{SLIDE_W}" cy="{SLIDE_H}"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#
    )
}

fn presentation_rels(slides: usize) -> String {
    let part = |id: &str, kind: &str, target: &str| (id.to_string(), kind.to_string(), target.to_string());
    let mut entries = vec![
        part("rId1", "slideMaster", "slideMasters/slideMaster1.xml"),
        part("rId2", "theme", "theme/theme1.xml"),
        part("rId3", "presProps", "presProps.xml"),
        part("rId4", "tableStyles", "tableStyles.xml"),
    ];
    for i in 1..=slides {
        entries.push((format!("rId{}", 9 + i), "slide".to_string(), format!("slides/slide{i}.xml")));
    }
    rels(&entries)
}

fn core_props(title: &str) -> String {
    format!(
        r#"{XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>cjm</dc:creator></cp:coreProperties>"#,
        esc(title)
    )
}

fn app_props(slides: usize) -> String {
    format!(
        r#"{XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>cjm</Application><PresentationFormat>Widescreen</PresentationFormat><Slides>{slides}</Slides></Properties>"#
    )
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="ppt/presentation.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const PRES_PROPS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:presentationPr xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>"#;

const TABLE_STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a:tblStyleLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" def="{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"/>"#;

const MASTER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sldMaster xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:bg><p:bgPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:effectLst/></p:bgPr></p:bg><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr></p:spTree></p:cSld><p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst><p:txStyles><p:titleStyle><a:lvl1pPr><a:defRPr sz="2400"/></a:lvl1pPr></p:titleStyle><p:bodyStyle><a:lvl1pPr><a:defRPr sz="1800"/></a:lvl1pPr></p:bodyStyle><p:otherStyle><a:lvl1pPr><a:defRPr sz="1800"/></a:lvl1pPr></p:otherStyle></p:txStyles></p:sldMaster>"#;

const MASTER_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout" Target="../slideLayouts/slideLayout1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="../theme/theme1.xml"/></Relationships>"#;

const LAYOUT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sldLayout xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" type="blank" preserve="1"><p:cSld name="Blank"><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"#;

const LAYOUT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster" Target="../slideMasters/slideMaster1.xml"/></Relationships>"#;

/// The theme: cjm's colours and Inter; every style list PowerPoint requires.
const THEME: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="cjm"><a:themeElements><a:clrScheme name="cjm"><a:dk1><a:srgbClr val="1B1F24"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="3451B2"/></a:dk2><a:lt2><a:srgbClr val="F5F6F8"/></a:lt2><a:accent1><a:srgbClr val="3451B2"/></a:accent1><a:accent2><a:srgbClr val="C2410C"/></a:accent2><a:accent3><a:srgbClr val="15803D"/></a:accent3><a:accent4><a:srgbClr val="B45309"/></a:accent4><a:accent5><a:srgbClr val="7C3AED"/></a:accent5><a:accent6><a:srgbClr val="BE123C"/></a:accent6><a:hlink><a:srgbClr val="3451B2"/></a:hlink><a:folHlink><a:srgbClr val="59616E"/></a:folHlink></a:clrScheme><a:fontScheme name="cjm"><a:majorFont><a:latin typeface="Inter"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Inter"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="cjm"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst><a:lnStyleLst><a:ln w="6350"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="12700"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="19050"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slide_parts_reference_their_pictures() {
        let rels = slide_rels(&[("rId2".into(), "image1.png".into()), ("rId3".into(), "image2.svg".into())]);
        assert!(rels.contains(
            r#"Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout""#
        ));
        assert!(rels.contains(r#"Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image2.svg""#));
        let types = content_types(2);
        assert!(types.contains("/ppt/slides/slide2.xml") && !types.contains("/ppt/slides/slide3.xml"));
        assert!(presentation(2).contains(r#"<p:sldId id="257" r:id="rId11"/>"#));
    }
}
