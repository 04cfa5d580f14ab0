//! Charts in cjm's theme: of evidence, a funnel, the top variants, a trend, the
//! paths as a Sankey diagram ([`PathsChart`]) and the process map ([`ProcessChart`]);
//! of a portfolio, the opportunity matrix ([`MatrixChart`]);
//! drawn as SVG from plain figures (the caller computes them; this module
//! knows no event log), and exported to PNG and PDF like a map.
//!
//! Every chart carries its figures as text as well as bars: a value label
//! on each bar, a `<title>` tooltip saying how it was computed, and an
//! accessible name and description, so nothing is told by colour or
//! length alone.

use crate::fonts::Weight;
use crate::svg::{duration, group_digits};
use crate::text::{esc, fit_line};
use crate::theme::{theme, ThemeName};
use std::fmt::Write;

mod matrix;
mod process;
mod sankey;

pub use matrix::MatrixChart;
pub use process::{
    ProcessChart, ProcessEdge, ProcessNode, MAX_EDGES as PROCESS_MAX_EDGES, MAX_NODES as PROCESS_MAX_NODES,
};
pub use sankey::{PathsChart, SankeyLink, SankeyNode};

/// A chart of evidence, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    Funnel(FunnelChart),
    Variants(VariantsChart),
    Trend(TrendChart),
    Paths(PathsChart),
    Process(ProcessChart),
    Bars(BarsChart),
    Matrix(MatrixChart),
}

impl From<PathsChart> for Chart {
    fn from(p: PathsChart) -> Chart {
        Chart::Paths(p)
    }
}

impl From<ProcessChart> for Chart {
    fn from(p: ProcessChart) -> Chart {
        Chart::Process(p)
    }
}

impl Chart {
    /// The chart's title (the PDF's too).
    pub fn title(&self) -> &str {
        match self {
            Chart::Funnel(f) => &f.title,
            Chart::Variants(v) => &v.title,
            Chart::Trend(t) => &t.title,
            Chart::Paths(p) => &p.title,
            Chart::Process(p) => &p.title,
            Chart::Bars(b) => &b.title,
            Chart::Matrix(m) => &m.title,
        }
    }
}

/// Active customers per day, week or month.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendChart {
    pub title: String,
    pub subtitle: String,
    pub buckets: Vec<TrendBar>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrendBar {
    /// The bucket's first day, as shown.
    pub start: String,
    pub events: u64,
    pub customers: u64,
    pub new_customers: u64,
}

impl From<TrendChart> for Chart {
    fn from(t: TrendChart) -> Chart {
        Chart::Trend(t)
    }
}

/// Customers through a funnel, step by step.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelChart {
    pub title: String,
    /// How the funnel was matched and over which log, in words.
    pub subtitle: String,
    /// Customers in the log (after filters): the first step's denominator.
    pub customers: u64,
    pub steps: Vec<FunnelBar>,
    /// A breakdown: the same steps per segment, drawn as grouped bars.
    pub groups: Vec<FunnelGroup>,
}

/// One segment of a funnel's breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelGroup {
    pub name: String,
    /// The segment's customers: its first step's denominator.
    pub customers: u64,
    /// Customers of the segment reaching each step, in the funnel's order.
    pub reached: Vec<u64>,
}

/// Plain columns with a label and a value written on each (a histogram,
/// conversion per period).
#[derive(Clone, Debug, PartialEq)]
pub struct BarsChart {
    pub title: String,
    pub subtitle: String,
    pub bars: Vec<Bar>,
    /// What a bar's height is, written by the axis.
    pub note: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as written on the bar.
    pub shown: String,
    pub tip: String,
}

impl From<BarsChart> for Chart {
    fn from(b: BarsChart) -> Chart {
        Chart::Bars(b)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunnelBar {
    pub name: String,
    pub reached: u64,
    /// Median seconds from the first step, for those who reached this one.
    pub median_seconds_from_start: Option<f64>,
}

/// The most frequent variants with their share and cumulative coverage.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantsChart {
    pub title: String,
    pub subtitle: String,
    pub customers: u64,
    pub variants: Vec<VariantBar>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantBar {
    pub sequence: Vec<String>,
    pub customers: u64,
}

impl From<FunnelChart> for Chart {
    fn from(f: FunnelChart) -> Chart {
        Chart::Funnel(f)
    }
}

impl From<VariantsChart> for Chart {
    fn from(v: VariantsChart) -> Chart {
        Chart::Variants(v)
    }
}

/// The chart as a standalone SVG (the font embedded when `embed_font`).
pub fn chart_svg(chart: &Chart, embed_font: bool) -> String {
    chart_svg_ids(chart, embed_font, "chart")
}

/// The chart's SVG with its element ids starting `prefix-`, so several
/// charts can stand in one HTML page.
pub fn chart_svg_ids(chart: &Chart, embed_font: bool, prefix: &str) -> String {
    let prefix: String = prefix.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let svg = chart_svg_plain(chart, embed_font);
    if prefix == "chart" {
        return svg;
    }
    svg.replace("\"chart-title", &format!("\"{prefix}-title"))
        .replace(" chart-desc\"", &format!(" {prefix}-desc\""))
        .replace("\"chart-desc\"", &format!("\"{prefix}-desc\""))
        .replace("url(#arrow)", &format!("url(#{prefix}-arrow)"))
        .replace("id=\"arrow\"", &format!("id=\"{prefix}-arrow\""))
}

fn chart_svg_plain(chart: &Chart, embed_font: bool) -> String {
    let body = match chart {
        Chart::Funnel(f) => funnel(f),
        Chart::Variants(v) => variants(v),
        Chart::Trend(t) => trend(t),
        Chart::Paths(p) => sankey::draw(p),
        Chart::Process(p) => process::draw(p),
        Chart::Bars(b) => bars(b),
        Chart::Matrix(m) => matrix::draw(m),
    };
    let (w, h, title, desc, inner) = body;
    document((w as f32, h as f32), (&title, &desc), &inner, embed_font, "chart")
}

/// A standalone SVG of `size` around `inner`: its accessible name and
/// description (ids `{id}-title`, `{id}-desc`), the font when `embed_font`,
/// and the theme's background. Charts and the comparison board share it.
pub(crate) fn document(
    (w, h): (f32, f32),
    (title, desc): (&str, &str),
    inner: &str,
    embed_font: bool,
    id: &str,
) -> String {
    let t = theme(ThemeName::Light);
    let (w, h) = (crate::svg::fmt(w), crate::svg::fmt(h));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="Inter, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    if embed_font {
        s.push_str(&crate::svg::font_face_style());
    }
    let _ = write!(s, r#"<rect width="{w}" height="{h}" fill="{}"/>{inner}</svg>"#, t.background);
    let (mut s, used) = crate::fonts::runs::mark(s);
    if embed_font {
        crate::fonts::embed::embed_in_svg(&mut s, &used);
    }
    s
}

/// The media type of a chart downloaded as `ext` (`svg`, `png`, `pdf`);
/// `None` for any other extension.
pub fn chart_mime(ext: &str) -> Option<&'static str> {
    match ext {
        "svg" => Some("image/svg+xml"),
        "png" => Some("image/png"),
        "pdf" => Some("application/pdf"),
        _ => None,
    }
}

/// The chart as a file for a deck, by extension: SVG with its font
/// embedded, PNG at 2 pixels a unit, else PDF (check `ext` with
/// [`chart_mime`] first).
pub fn chart_file(chart: &Chart, ext: &str) -> Result<Vec<u8>, crate::RenderError> {
    match ext {
        "svg" => Ok(chart_svg(chart, true).into_bytes()),
        "png" => chart_png(chart, 2.0),
        _ => chart_pdf(chart),
    }
}

/// The chart as a PNG, `scale` pixels per SVG unit.
pub fn chart_png(chart: &Chart, scale: f32) -> Result<Vec<u8>, crate::RenderError> {
    crate::export::rasterise(&chart_svg(chart, false), scale)
}

/// The chart as a one-page vector PDF.
pub fn chart_pdf(chart: &Chart) -> Result<Vec<u8>, crate::RenderError> {
    crate::export::pdf_of(&[chart_svg(chart, false)], chart.title())
}

const PAD: f32 = 40.0;

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// Title and subtitle at the top; the y where the chart starts.
fn heading(s: &mut String, title: &str, subtitle: &str, width: f32) -> f32 {
    let t = theme(ThemeName::Light);
    let (title, _) = fit_line(title, width - 2.0 * PAD, 22.0, Weight::SemiBold);
    let (sub, _) = fit_line(subtitle, width - 2.0 * PAD, 13.0, Weight::Regular);
    let _ = write!(
        s,
        r#"<text x="{PAD}" y="{}" font-size="22" font-weight="600" fill="{}">{}</text><text x="{PAD}" y="{}" font-size="13" fill="{}">{}</text>"#,
        PAD + 18.0,
        t.text,
        esc(&title),
        PAD + 42.0,
        t.muted,
        esc(&sub)
    );
    PAD + 72.0
}

type Drawn = (u32, u32, String, String, String);

/// Columns of bars: each step's customers as a solid bar over a pale one
/// for the previous step's, the conversion from it and the drop-off.
fn funnel(f: &FunnelChart) -> Drawn {
    if !f.groups.is_empty() {
        return funnel_grouped(f);
    }
    let t = theme(ThemeName::Light);
    let col = 150.0;
    let width = (2.0 * PAD + col * f.steps.len().max(1) as f32).max(640.0);
    let (bar_h, label_h) = (260.0, 70.0);
    let mut s = String::new();
    let top = heading(&mut s, &f.title, &f.subtitle, width);
    let base = top + 40.0 + bar_h;
    let max = f.customers.max(f.steps.first().map_or(0, |b| b.reached)).max(1) as f32;
    let height = |n: u64| n as f32 / max * bar_h;
    let mut prev = f.customers;
    let mut desc = Vec::new();
    for (i, b) in f.steps.iter().enumerate() {
        let x = PAD + col * i as f32;
        let bw = col - 36.0;
        let conversion = pct(b.reached, prev);
        let drop = prev.saturating_sub(b.reached);
        let tip = format!(
            "{}: {} customers reached this step in order, {conversion} of the {} at the {}; {} dropped off{}",
            b.name,
            group_digits(b.reached),
            group_digits(prev),
            if i == 0 { "start (all customers)" } else { "previous step" },
            group_digits(drop),
            b.median_seconds_from_start
                .map_or(String::new(), |m| format!("; median {} from the first step", duration(m)))
        );
        desc.push(format!("{} {} ({conversion})", b.name, group_digits(b.reached)));
        let _ = write!(
            s,
            r#"<g class="funnel-step"><title>{}</title><rect x="{x}" y="{}" width="{bw}" height="{}" rx="4" fill="{}"/><rect x="{x}" y="{}" width="{bw}" height="{}" rx="4" fill="{}"/>"#,
            esc(&tip),
            base - height(prev),
            height(prev),
            t.surface,
            base - height(b.reached),
            height(b.reached).max(1.0),
            t.accent
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="15" font-weight="600" fill="{}" text-anchor="middle">{}</text><text x="{}" y="{}" font-size="12" fill="{}" text-anchor="middle">{conversion}</text>"#,
            x + bw / 2.0,
            base - height(prev) - 24.0,
            t.text,
            group_digits(b.reached),
            x + bw / 2.0,
            base - height(prev) - 8.0,
            t.muted
        );
        if drop > 0 && i > 0 {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="11" font-weight="600" fill="{}" text-anchor="middle">▼ {} dropped</text>"#,
                x + bw / 2.0,
                base + 16.0,
                t.pain_text,
                group_digits(drop)
            );
        }
        let (name, _) = fit_line(&b.name, col - 12.0, 12.5, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="12.5" font-weight="600" fill="{}" text-anchor="middle">{}. {}</text>"#,
            x + bw / 2.0,
            base + 36.0,
            t.text,
            i + 1,
            esc(&name)
        );
        if let Some(m) = b.median_seconds_from_start.filter(|_| i > 0) {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">median {} from step 1</text>"#,
                x + bw / 2.0,
                base + 54.0,
                t.muted,
                duration(m)
            );
        }
        s.push_str("</g>");
        prev = b.reached;
    }
    let _ = write!(s, r#"<line x1="{PAD}" y1="{base}" x2="{}" y2="{base}" stroke="{}"/>"#, width - PAD, t.border);
    let h = base + label_h + PAD / 2.0;
    let desc = format!("Funnel of {} customers: {}.", group_digits(f.customers), desc.join(", "));
    (width.ceil() as u32, h.ceil() as u32, f.title.clone(), desc, s)
}

/// A funnel broken down: at each step a bar per segment, its height the
/// share of the segment's customers who got that far (so segments of any
/// size compare), numbered as in the legend and labelled with the share.
fn funnel_grouped(f: &FunnelChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let g = f.groups.len();
    let bar = (110.0 / g as f32).clamp(10.0, 34.0);
    let col = (bar + 3.0) * g as f32 + 40.0;
    let width = (2.0 * PAD + col * f.steps.len().max(1) as f32).max(760.0);
    let mut s = String::new();
    let top = heading(&mut s, &f.title, &f.subtitle, width);
    // The legend: number, colour swatch, name, customers.
    let per_row = ((width - 2.0 * PAD) / 230.0).floor().max(1.0) as usize;
    for (i, gr) in f.groups.iter().enumerate() {
        let (x, y) = (PAD + 230.0 * (i % per_row) as f32, top + 22.0 * (i / per_row) as f32);
        let (name, _) = fit_line(&gr.name, 150.0, 12.0, Weight::Regular);
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="12" rx="2" fill="{}"/><text x="{}" y="{}" font-size="12" fill="{}">{}. {} · {}</text>"#,
            y - 10.0,
            t.personas[i % t.personas.len()],
            x + 18.0,
            y,
            t.text,
            i + 1,
            esc(&name),
            group_digits(gr.customers)
        );
    }
    let legend_rows = g.div_ceil(per_row) as f32;
    let bar_h = 240.0;
    let base = top + 22.0 * legend_rows + 36.0 + bar_h;
    for (k, step) in f.steps.iter().enumerate() {
        let x0 = PAD + col * k as f32;
        for (i, gr) in f.groups.iter().enumerate() {
            let reached = gr.reached.get(k).copied().unwrap_or(0);
            let share = if gr.customers == 0 { 0.0 } else { reached as f32 / gr.customers as f32 };
            let x = x0 + (bar + 3.0) * i as f32;
            let h = (share * bar_h).max(1.0);
            let tip = format!(
                "{}, segment {}: {} of {} customers reached step {} ({})",
                step.name,
                gr.name,
                group_digits(reached),
                group_digits(gr.customers),
                k + 1,
                pct(reached, gr.customers)
            );
            let _ = write!(
                s,
                r#"<g class="funnel-group"><title>{}</title><rect x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10" fill="{}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" font-size="10" fill="{}" text-anchor="middle">{:.0}%</text></g>"#,
                esc(&tip),
                base - h,
                t.personas[i % t.personas.len()],
                x + bar / 2.0,
                base + 12.0,
                t.muted,
                i + 1,
                x + bar / 2.0,
                base - h - 4.0,
                t.text,
                share * 100.0
            );
        }
        let (name, _) = fit_line(&step.name, col - 10.0, 12.5, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12.5" font-weight="600" fill="{}" text-anchor="middle">{}. {}</text>"#,
            x0 + (col - 40.0) / 2.0,
            base + 32.0,
            t.text,
            k + 1,
            esc(&name)
        );
    }
    let _ = write!(s, r#"<line x1="{PAD}" y1="{base}" x2="{}" y2="{base}" stroke="{}"/>"#, width - PAD, t.border);
    let desc = format!(
        "Funnel of {} customers broken down into {g} segments; bar heights are the share of each segment's customers reaching each step.",
        group_digits(f.customers)
    );
    (width.ceil() as u32, (base + 56.0).ceil() as u32, f.title.clone(), desc, s)
}

/// Columns, each with its value written above and its label below (every
/// few labels when there are many).
fn bars(b: &BarsChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let n = b.bars.len().max(1);
    let step = (900.0 / n as f32).clamp(4.0, 90.0);
    let width = (2.0 * PAD + step * n as f32).max(640.0);
    let bar_h = 220.0;
    let mut s = String::new();
    let top = heading(&mut s, &b.title, &b.subtitle, width);
    let base = top + 40.0 + bar_h;
    let max = b.bars.iter().map(|x| x.value).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
    let label_every = (80.0 / step).ceil().max(1.0) as usize;
    for (i, x) in b.bars.iter().enumerate() {
        let bx = PAD + step * i as f32;
        let w = (step - if step > 8.0 { 6.0 } else { 1.0 }).max(1.0);
        let h = if x.value > 0.0 { ((x.value / max) as f32 * bar_h).max(1.0) } else { 0.0 };
        let _ = write!(
            s,
            r#"<g class="bar"><title>{}</title><rect x="{bx:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{}"/>"#,
            esc(&x.tip),
            base - h,
            t.accent
        );
        if step >= 28.0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="11" font-weight="600" fill="{}" text-anchor="middle">{}</text>"#,
                bx + w / 2.0,
                base - h - 5.0,
                t.text,
                esc(&x.shown)
            );
        }
        s.push_str("</g>");
        if i % label_every == 0 {
            let (label, _) = fit_line(&x.label, step * label_every as f32 - 4.0, 11.0, Weight::Regular);
            let _ = write!(
                s,
                r#"<text x="{bx:.1}" y="{:.1}" font-size="11" fill="{}">{}</text>"#,
                base + 16.0,
                t.muted,
                esc(&label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<line x1="{PAD}" y1="{base}" x2="{}" y2="{base}" stroke="{}"/><text x="{PAD}" y="{}" font-size="11" fill="{}">{}</text>"#,
        width - PAD,
        t.border,
        top + 14.0,
        t.muted,
        esc(&b.note)
    );
    let desc = format!(
        "{}: {}.",
        b.note,
        b.bars.iter().take(24).map(|x| format!("{} {}", x.label, x.shown)).collect::<Vec<_>>().join(", ")
    );
    (width.ceil() as u32, (base + 36.0).ceil() as u32, b.title.clone(), desc, s)
}

/// Rows of bars: each variant's customers, its share and the cumulative
/// coverage, with its path written out.
fn variants(v: &VariantsChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let width = 1100.0;
    let row = 54.0;
    let bar_w = 300.0;
    let mut s = String::new();
    let top = heading(&mut s, &v.title, &v.subtitle, width);
    let max = v.variants.iter().map(|x| x.customers).max().unwrap_or(1).max(1) as f32;
    let mut covered = 0u64;
    let mut desc = Vec::new();
    for (i, x) in v.variants.iter().enumerate() {
        covered += x.customers;
        let y = top + row * i as f32;
        let path = x.sequence.join(" → ");
        let path_x = PAD + 50.0 + bar_w + 140.0;
        let (shown, _) = fit_line(&path, width - PAD - path_x, 12.5, Weight::Regular);
        let share = pct(x.customers, v.customers);
        let cover = pct(covered, v.customers);
        let tip = format!(
            "Variant {}: {} customers ({share}) took exactly this path; the top {} variants cover {cover} of customers. {path}",
            i + 1,
            group_digits(x.customers),
            i + 1
        );
        desc.push(format!("{} {} ({share})", i + 1, group_digits(x.customers)));
        let len = (x.customers as f32 / max * bar_w).max(1.0);
        let _ = write!(
            s,
            r#"<g class="variant"><title>{}</title><text x="{PAD}" y="{}" font-size="13" font-weight="600" fill="{}">#{}</text><rect x="{}" y="{}" width="{bar_w}" height="18" rx="4" fill="{}"/><rect x="{}" y="{}" width="{len}" height="18" rx="4" fill="{}"/>"#,
            esc(&tip),
            y + 14.0,
            t.text,
            i + 1,
            PAD + 40.0,
            y,
            t.surface,
            PAD + 40.0,
            y,
            t.accent
        );
        let after = PAD + 50.0 + bar_w;
        let _ = write!(
            s,
            r#"<text x="{after}" y="{}" font-size="13" font-weight="600" fill="{}">{} · {share}</text><text x="{after}" y="{}" font-size="11" fill="{}">cumulative {cover}</text><text x="{}" y="{}" font-size="12.5" fill="{}">{}</text></g>"#,
            y + 13.0,
            t.text,
            group_digits(x.customers),
            y + 30.0,
            t.muted,
            path_x,
            y + 13.0,
            t.text,
            esc(&shown)
        );
    }
    let h = top + row * v.variants.len().max(1) as f32 + PAD / 2.0;
    let desc = format!("Top variants of {} customers: {}.", group_digits(v.customers), desc.join(", "));
    (width as u32, h.ceil() as u32, v.title.clone(), desc, s)
}

/// Columns of active customers per bucket (new customers darker at the
/// foot), the highest value and every few buckets' start written out.
fn trend(t: &TrendChart) -> Drawn {
    let th = theme(ThemeName::Light);
    let n = t.buckets.len().max(1);
    let step = (900.0 / n as f32).clamp(3.0, 48.0);
    let width = (2.0 * PAD + step * n as f32).max(640.0);
    let bar_h = 240.0;
    let mut s = String::new();
    let top = heading(&mut s, &t.title, &t.subtitle, width);
    let base = top + 30.0 + bar_h;
    let max = t.buckets.iter().map(|b| b.customers).max().unwrap_or(0).max(1);
    let scale = |v: u64| v as f32 / max as f32 * bar_h;
    let label_every = (70.0 / step).ceil().max(1.0) as usize;
    for (i, b) in t.buckets.iter().enumerate() {
        let x = PAD + step * i as f32;
        let w = (step - if step > 6.0 { 2.0 } else { 0.5 }).max(1.0);
        let tip = format!(
            "From {}: {} customers active ({} new), {} events",
            b.start,
            group_digits(b.customers),
            group_digits(b.new_customers),
            group_digits(b.events)
        );
        let _ = write!(
            s,
            r#"<g class="trend-bucket"><title>{}</title><rect x="{x}" y="{}" width="{w}" height="{}" fill="{}"/><rect x="{x}" y="{}" width="{w}" height="{}" fill="{}"/></g>"#,
            esc(&tip),
            base - scale(b.customers),
            scale(b.customers),
            th.accent,
            base - scale(b.new_customers),
            scale(b.new_customers),
            th.text
        );
        if i % label_every == 0 {
            let _ = write!(
                s,
                r#"<text x="{x}" y="{}" font-size="11" fill="{}">{}</text>"#,
                base + 16.0,
                th.muted,
                esc(&b.start)
            );
        }
    }
    let _ = write!(
        s,
        r#"<line x1="{PAD}" y1="{base}" x2="{}" y2="{base}" stroke="{}"/><text x="{PAD}" y="{}" font-size="11" fill="{}">{} customers at most; darker: new customers</text>"#,
        width - PAD,
        th.border,
        top + 18.0,
        th.muted,
        group_digits(max)
    );
    let total: u64 = t.buckets.iter().map(|b| b.events).sum();
    let desc = format!(
        "Active customers in {} periods from {} to {}, {} events in all.",
        t.buckets.len(),
        t.buckets.first().map_or("", |b| b.start.as_str()),
        t.buckets.last().map_or("", |b| b.start.as_str()),
        group_digits(total)
    );
    (width.ceil() as u32, (base + 40.0).ceil() as u32, t.title.clone(), desc, s)
}
