//! Layout and SVG: a journey map drawn as a header, persona cards, a stage
//! band, and one lane per kind of content, with one column per step.
//!
//! Layout is measured, not guessed: every text is wrapped by the embedded
//! font's advance widths, each lane is as tall as its fullest cell, and a
//! cell that would overflow is cut with an ellipsis and keeps its full text
//! in a `<title>` tooltip. All user text goes through [`esc`].

use crate::fonts::{self, measure, Weight};
use crate::icons::Channel;
use crate::text::{esc, fit_line, wrap, Wrapped};
use crate::theme::{theme, Theme};
use crate::{Lane, Options, StepFigures};
use cjm_model::measures::Figure;
use cjm_model::{Journey, Level, Persona, Stage, Status, Step};
use std::fmt::Write;

pub(crate) const MARGIN: f32 = 40.0;
pub(crate) const LABEL_W: f32 = 176.0;
const GAP: f32 = 10.0;
const PAD: f32 = 12.0;
const MIN_COL: f32 = 128.0;
/// The narrowest drawing: room for the header and two persona cards.
const MIN_WIDTH: f32 = 720.0;
const BODY: f32 = 13.0;
const LINE: f32 = 18.0;
const SMALL: f32 = 11.5;
const EMOTION_H: f32 = 196.0;
const CARD_W: f32 = 300.0;

/// Which stages a page shows (all of them for SVG, PNG and HTML).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Page {
    pub stages: (usize, usize),
    pub number: usize,
    pub count: usize,
    /// Whether the persona cards are drawn (the first page; a deck shows
    /// them on a slide of their own).
    pub cards: bool,
}

impl Page {
    pub(crate) fn whole(map: &Journey) -> Page {
        Page { stages: (0, map.stages.len()), number: 1, count: 1, cards: true }
    }
}

/// One step column.
struct Col<'a> {
    stage: usize,
    step: &'a Step,
    x: f32,
    w: f32,
}

/// The finished drawing and where its parts are (the HTML viewer uses them).
pub(crate) struct Drawing {
    pub svg: String,
    pub width: f32,
    pub height: f32,
    /// The lane label column as its own SVG fragment (HTML keeps it in view).
    pub labels_svg: String,
    /// What the fallback faces drew (the HTML page embeds them).
    pub used: fonts::runs::Used,
}

pub(crate) fn draw(map: &Journey, opts: &Options, page: Page) -> Drawing {
    let t = theme(opts.theme);
    let personas = shown_personas(map, opts);
    let lanes = visible_lanes(map, opts);
    let cols = columns(map, opts, page, &lanes);
    let content_w = cols.last().map_or(0.0, |c| c.x + c.w) - (MARGIN + LABEL_W + GAP);
    let width = (MARGIN * 2.0 + LABEL_W + GAP + content_w).max(MIN_WIDTH);

    let mut y = MARGIN;
    let header = header(map, opts, &t, page, width, y);
    y = header.1;
    let mut body = header.0;
    if page.cards && !personas.is_empty() {
        let (cards, bottom) = persona_cards(map, &personas, opts, &t, width, y);
        body.push_str(&cards);
        y = bottom + 24.0;
    }
    let (band, band_bottom) = stage_band(map, &cols, &t, y);
    body.push_str(&band);
    let grid_top = band_bottom + 8.0;
    y = grid_top;
    let mut labels = String::new();
    let mut visibility_drawn = false;
    for lane in &lanes {
        if lane.is_backstage() && !visibility_drawn {
            visibility_drawn = true;
            y += line_of_visibility(&mut body, &t, width, y);
        }
        let (cells, h) = lane_cells(map, opts, &t, *lane, &cols, &personas, y);
        let (label, label_h) = lane_label(map, opts, &t, *lane, &personas, y);
        let h = h.max(label_h).max(44.0);
        let _ = write!(
            body,
            r#"<rect class="lane-bg" x="{MARGIN}" y="{y}" width="{}" height="{h}" fill="{}" stroke="{}" stroke-width="1"/>"#,
            width - 2.0 * MARGIN,
            if lanes.iter().position(|l| l == lane).unwrap_or(0) % 2 == 0 { t.surface } else { t.stripe },
            t.border
        );
        labels.push_str(&label);
        body.push_str(&cells);
        y += h;
    }
    let grid_bottom = y;
    // Column separators over the lanes, and a hit area per step for viewers.
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            let _ = write!(
                body,
                r#"<line x1="{}" y1="{grid_top}" x2="{}" y2="{grid_bottom}" stroke="{}" stroke-width="1"/>"#,
                col.x - GAP / 2.0,
                col.x - GAP / 2.0,
                t.border
            );
        }
    }
    for col in &cols {
        let _ = write!(
            body,
            r#"<rect class="step-hit" data-step="{}" x="{}" y="{grid_top}" width="{}" height="{}" fill="transparent"><title>{}</title></rect>"#,
            esc(&col.step.id),
            col.x - GAP / 2.0,
            col.w + GAP,
            grid_bottom - grid_top,
            esc(&col.step.name)
        );
    }
    let height = grid_bottom + footer_height(map, opts) + MARGIN;
    footer(&mut body, map, opts.measures.as_ref(), &t, width, grid_bottom + 16.0);

    let labels_svg = format!(
        r#"<rect x="0" y="{grid_top}" width="{}" height="{}" fill="{}"/>{labels}"#,
        MARGIN + LABEL_W,
        grid_bottom - grid_top,
        t.background
    );
    body.push_str(&labels);
    let (svg, used) = document(map, opts, &t, (width, height), &body);
    let labels_svg = fonts::runs::mark(labels_svg).0;
    Drawing { svg, width, height, labels_svg, used }
}

/// The standalone SVG around a drawing's `body`: its size, accessible name
/// and description, definitions and background; its text marked by font
/// (and the fonts embedded when the options say so).
fn document(
    map: &Journey,
    opts: &Options,
    t: &Theme,
    (width, height): (f32, f32),
    body: &str,
) -> (String, fonts::runs::Used) {
    let mut out = String::with_capacity(body.len() + 4096);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="cjm-title cjm-desc" font-family="{font}">"#,
        w = fmt(width),
        h = fmt(height),
        font = fonts::FONT_STACK.replace('\'', "&#39;")
    );
    let _ = write!(
        out,
        r#"<title id="cjm-title">{}</title><desc id="cjm-desc">{}</desc>"#,
        esc(&accessible_title(map)),
        esc(&accessible_description(map))
    );
    out.push_str(&defs(opts, t));
    let _ = write!(out, r#"<rect width="100%" height="100%" fill="{}"/>"#, t.background);
    out.push_str(body);
    out.push_str("</svg>\n");
    let (mut svg, used) = fonts::runs::mark(out);
    if opts.embed_font {
        fonts::embed::embed_in_svg(&mut svg, &used);
    }
    (svg, used)
}

/// The persona cards alone, up to three a row, as a standalone SVG (a
/// deck's persona slide); `None` when the map shows no declared persona.
pub(crate) fn persona_sheet(map: &Journey, opts: &Options) -> Option<String> {
    let t = theme(opts.theme);
    let names = shown_personas(map, opts);
    let declared = names.iter().filter(|n| map.personas.iter().any(|p| &p.name == *n)).count();
    if declared == 0 {
        return None;
    }
    let width = 2.0 * MARGIN + declared.min(3) as f32 * (CARD_W + 16.0) - 16.0;
    let (cards, bottom) = persona_cards(map, &names, opts, &t, width, MARGIN);
    Some(document(map, opts, &t, (width, bottom + MARGIN), &cards).0)
}

pub(crate) fn fmt(v: f32) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn accessible_title(map: &Journey) -> String {
    map.acc_title.clone().or_else(|| map.title.clone()).unwrap_or_else(|| "Customer journey map".into())
}

fn accessible_description(map: &Journey) -> String {
    if let Some(d) = map.acc_descr.as_ref().or(map.description.as_ref()) {
        return d.clone();
    }
    let steps = map.steps().count();
    let stages: Vec<&str> = map.stages.iter().map(|s| s.name.as_str()).filter(|n| !n.is_empty()).collect();
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    format!(
        "A customer journey map with {} in {}: {}.",
        n(steps, "step", "steps"),
        n(map.stages.len(), "stage", "stages"),
        stages.join(", ")
    )
}

fn defs(opts: &Options, t: &Theme) -> String {
    let mut d = String::from("<defs>");
    if opts.embed_font {
        d.push_str(&font_face_style());
    }
    for channel in Channel::ALL {
        d.push_str(&channel.symbol(t.text));
    }
    d.push_str("</defs>");
    d
}

/// The embedded Inter faces, as a `<style>` element.
pub(crate) fn font_face_style() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "<style>@font-face{{font-family:Inter;font-weight:400;src:url(data:font/woff2;base64,{}) format('woff2')}}@font-face{{font-family:Inter;font-weight:600;src:url(data:font/woff2;base64,{}) format('woff2')}}</style>",
        b64.encode(fonts::REGULAR_WOFF2),
        b64.encode(fonts::SEMIBOLD_WOFF2)
    )
}

/// The emotion curves to draw, by persona name. A map whose steps have
/// scores but no personas or actors (a plain Mermaid journey) gets one
/// unnamed curve.
fn shown_personas(map: &Journey, opts: &Options) -> Vec<String> {
    let names = map.persona_names();
    if names.is_empty() && map.steps().any(|s| s.score.is_some() || s.future_score.is_some()) {
        return vec![String::new()];
    }
    match &opts.persona {
        Some(p) => names.into_iter().filter(|n| n == p).collect(),
        None => names,
    }
}

/// Lanes in order, without the ones that have nothing to show.
fn visible_lanes(map: &Journey, opts: &Options) -> Vec<Lane> {
    let wanted = opts.lanes.clone().unwrap_or_else(|| Lane::ALL.to_vec());
    wanted.into_iter().filter(|lane| lane_has_content(map, opts, *lane)).collect()
}

fn lane_has_content(map: &Journey, opts: &Options, lane: Lane) -> bool {
    let any = |f: &dyn Fn(&Step) -> bool| map.steps().any(f);
    match lane {
        Lane::Steps => map.steps().next().is_some(),
        Lane::Doing => any(&|s| s.doing.is_some()),
        Lane::Touchpoints => any(&|s| !s.channels.is_empty() || !s.touchpoints.is_empty()),
        Lane::Thinking => any(&|s| s.thinking.is_some()),
        Lane::Feeling => any(&|s| s.feeling.is_some()),
        Lane::Emotion => {
            any(&|s| s.score.is_some() || !s.persona_scores.is_empty() || s.future_score.is_some())
                || opts.measures.as_ref().is_some_and(|m| m.steps.values().any(|f| f.mean_score.is_some()))
        }
        Lane::Pains => any(&|s| !s.pains.is_empty()),
        Lane::Opportunities => any(&|s| !s.opportunities.is_empty()),
        Lane::Backstage => any(&|s| !s.backstage.is_empty()),
        Lane::Systems => any(&|s| !s.systems.is_empty()),
        Lane::Owner => any(&|s| s.owner.is_some()),
        Lane::Metrics => any(&|s| !s.metrics.is_empty()) || opts.measures.is_some(),
    }
}

/// Step columns, each as wide as its content wants (within bounds), scaled
/// to `--width` when one is given.
fn columns<'a>(map: &'a Journey, opts: &Options, page: Page, lanes: &[Lane]) -> Vec<Col<'a>> {
    let mut cols: Vec<Col> = Vec::new();
    for (s, stage) in map.stages.iter().enumerate().take(page.stages.1).skip(page.stages.0) {
        for step in &stage.steps {
            cols.push(Col { stage: s, step, x: 0.0, w: natural_width(step, lanes) });
        }
    }
    if let Some(target) = opts.width {
        let fixed = 2.0 * MARGIN + LABEL_W + GAP * (cols.len() as f32 + 1.0);
        let natural: f32 = cols.iter().map(|c| c.w).sum();
        if natural > 0.0 {
            let k = ((target - fixed) / natural).max(0.0);
            for c in &mut cols {
                c.w = (c.w * k).max(MIN_COL);
            }
        }
    }
    // A small map is drawn at least MIN_WIDTH wide (its header needs the
    // room): its columns widen to fill the grid rather than leave a gap.
    let start = MARGIN + LABEL_W + GAP;
    let room = MIN_WIDTH - MARGIN - start - GAP * (cols.len().max(1) - 1) as f32;
    let natural: f32 = cols.iter().map(|c| c.w).sum();
    if natural > 0.0 && natural < room {
        let k = room / natural;
        cols.iter_mut().for_each(|c| c.w *= k);
    }
    let mut x = start;
    for c in &mut cols {
        c.x = x;
        x += c.w + GAP;
    }
    cols
}

/// The width each stage's columns take, in order (for pagination).
pub(crate) fn stage_widths(map: &Journey, opts: &Options) -> Vec<f32> {
    let lanes = visible_lanes(map, opts);
    let cols = columns(map, opts, Page::whole(map), &lanes);
    let mut widths = vec![0.0; map.stages.len()];
    for c in &cols {
        widths[c.stage] += c.w + GAP;
    }
    widths
}

/// Wider columns for wordier steps: the width at which the step's longest
/// text would need about five lines, between 168 and 280 pixels.
fn natural_width(step: &Step, lanes: &[Lane]) -> f32 {
    let mut longest: f32 = measure(&step.name, 15.0, Weight::SemiBold) / 2.0;
    let mut consider = |text: &str| longest = longest.max(measure(text, BODY, Weight::Regular) / 5.0);
    if lanes.contains(&Lane::Doing) {
        step.doing.iter().for_each(|t| consider(t));
    }
    if lanes.contains(&Lane::Thinking) {
        step.thinking.iter().for_each(|t| consider(t));
    }
    if lanes.contains(&Lane::Pains) {
        step.pains.iter().for_each(|p| consider(&p.text));
    }
    if lanes.contains(&Lane::Opportunities) {
        step.opportunities.iter().for_each(|o| consider(&o.text));
    }
    (longest + 2.0 * PAD).clamp(168.0, 280.0)
}

/// Title, description and a line of facts.
fn header(map: &Journey, opts: &Options, t: &Theme, page: Page, width: f32, top: f32) -> (String, f32) {
    let mut s = String::new();
    let mut y = top;
    let text_w = (width - 2.0 * MARGIN).min(1100.0);
    let title = map.title.clone().unwrap_or_else(|| "Customer journey".into());
    let title_lines = wrap(&title, text_w, 28.0, Weight::SemiBold, 2);
    s.push_str(&text_block(&title_lines, &title, MARGIN, y + 28.0, 28.0, 34.0, Weight::SemiBold, t.text, "title"));
    y += 34.0 * title_lines.lines.len() as f32 + 6.0;
    if page.number == 1 {
        if let Some(desc) = &map.description {
            let lines = wrap(desc, text_w, 15.0, Weight::Regular, 3);
            s.push_str(&text_block(
                &lines,
                desc,
                MARGIN,
                y + 18.0,
                15.0,
                21.0,
                Weight::Regular,
                t.muted,
                "description",
            ));
            y += 21.0 * lines.lines.len() as f32 + 6.0;
        }
        if let Some(promise) = &map.promise {
            y = brand_promise(&mut s, promise, t, text_w, y);
        }
    }
    // Facts as chips.
    let mut facts: Vec<(String, Option<&str>)> = Vec::new();
    if let Some(state) = map.state {
        let label = match state {
            cjm_model::MapState::Current => "Current state",
            cjm_model::MapState::Future => "Future state",
        };
        facts.push((label.into(), Some(t.accent)));
    }
    if let Some(v) = &map.version {
        facts.push((format!("Version {v}"), None));
    }
    if let Some(d) = &map.date {
        facts.push((d.clone(), None));
    }
    let steps = map.steps().count();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    facts.push((format!("{} · {}", plural(map.stages.len(), "stage", "stages"), plural(steps, "step", "steps")), None));
    if let Some(p) = &opts.persona {
        facts.push((format!("Persona view: {p}"), None));
    }
    if let Some(m) = &opts.measures {
        let mut f = format!("Measured: {} customers", group_digits(m.customers));
        if let Some(src) = &m.source {
            f.push_str(&format!(" in {src}"));
        }
        facts.push((f, Some(t.positive)));
    }
    if page.count > 1 {
        facts.push((format!("Page {} of {}", page.number, page.count), None));
    }
    let mut x = MARGIN;
    y += 8.0;
    for (text, color) in facts {
        let (text, _) = fit_line(&text, 360.0, 12.0, Weight::SemiBold);
        let w = measure(&text, 12.0, Weight::SemiBold) + 20.0;
        if x + w > width - MARGIN && x > MARGIN {
            x = MARGIN;
            y += 30.0;
        }
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="24" rx="12" fill="{}"/><text x="{}" y="{}" font-size="12" font-weight="600" fill="{}">{}</text>"#,
            fmt(x),
            fmt(y),
            fmt(w),
            t.chip_bg,
            fmt(x + 10.0),
            fmt(y + 16.0),
            color.unwrap_or(t.muted),
            esc(&text)
        );
        x += w + 8.0;
    }
    (s, y + 24.0 + 24.0)
}

/// A count with thousands separators: `1,434`, as the map prints counts.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lines of text at `x`, first baseline at `y`; a tooltip with the whole
/// text when it was cut.
#[allow(clippy::too_many_arguments)]
fn text_block(
    w: &Wrapped,
    full: &str,
    x: f32,
    y: f32,
    size: f32,
    line_h: f32,
    weight: Weight,
    fill: &str,
    class: &str,
) -> String {
    let mut s = String::new();
    let weight_attr = if weight == Weight::SemiBold { r#" font-weight="600""# } else { "" };
    let _ = write!(s, r#"<g class="{class}">"#);
    if w.truncated {
        let full: String = full.chars().take(4000).collect();
        let _ = write!(s, "<title>{}</title>", esc(&full));
    }
    for (i, line) in w.lines.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="{}"{weight_attr} fill="{fill}">{}</text>"#,
            fmt(x),
            fmt(y + i as f32 * line_h),
            fmt(size),
            esc(line)
        );
    }
    s.push_str("</g>");
    s
}

fn persona_color<'t>(map: &Journey, t: &'t Theme, name: &str) -> &'t str {
    let names = map.persona_names();
    let i = names.iter().position(|n| n == name).unwrap_or(0);
    t.personas[i % t.personas.len()]
}

fn persona_cards(map: &Journey, names: &[String], opts: &Options, t: &Theme, width: f32, top: f32) -> (String, f32) {
    let declared: Vec<&Persona> = names.iter().filter_map(|n| map.personas.iter().find(|p| &p.name == n)).collect();
    if declared.is_empty() {
        return (String::new(), top - 24.0);
    }
    let per_row = (((width - 2.0 * MARGIN + 16.0) / (CARD_W + 16.0)).floor() as usize).max(1);
    let bodies: Vec<(String, f32)> = declared.iter().map(|p| persona_card(map, p, opts, t)).collect();
    let mut s = String::new();
    let mut y = top;
    for (r, row) in bodies.chunks(per_row).enumerate() {
        let start = r * per_row;
        let h = row.iter().map(|(_, h)| *h).fold(0.0, f32::max);
        for (i, ((body, _), p)) in row.iter().zip(&declared[start..]).enumerate() {
            let x = MARGIN + i as f32 * (CARD_W + 16.0);
            let _ = write!(
                s,
                r#"<g class="persona" data-persona="{}" transform="translate({},{})"><rect width="{CARD_W}" height="{}" rx="12" fill="{}" stroke="{}"/>{body}</g>"#,
                esc(&p.name),
                fmt(x),
                fmt(y),
                fmt(h),
                t.surface,
                t.border
            );
        }
        y += h + 16.0;
    }
    (s, y - 16.0)
}

/// One card, drawn at (0, 0); returns its body and height.
fn persona_card(map: &Journey, p: &Persona, opts: &Options, t: &Theme) -> (String, f32) {
    let mut s = String::new();
    let color = persona_color(map, t, &p.name);
    let inner = CARD_W - 2.0 * 16.0;
    match p.image.as_ref().and_then(|path| opts.images.get(path)).and_then(|bytes| data_uri(bytes)) {
        Some(uri) => {
            let clip = format!("avatar-{}", esc(&p.id));
            let _ = write!(
                s,
                r#"<clipPath id="{clip}"><circle cx="40" cy="40" r="24"/></clipPath><image x="16" y="16" width="48" height="48" href="{uri}" clip-path="url(#{clip})" preserveAspectRatio="xMidYMid slice"/><circle cx="40" cy="40" r="24" fill="none" stroke="{color}" stroke-width="2"/>"#
            );
        }
        None => {
            let _ = write!(
                s,
                r#"<circle cx="40" cy="40" r="24" fill="{color}"/><text x="40" y="46" font-size="17" font-weight="600" fill="{}" text-anchor="middle">{}</text>"#,
                t.background,
                esc(&p.initials())
            );
        }
    }
    let (name, _) = fit_line(&p.name, inner - 60.0, 17.0, Weight::SemiBold);
    let _ = write!(
        s,
        r#"<text class="persona-name" data-field="name" x="76" y="36" font-size="17" font-weight="600" fill="{}">{}</text>"#,
        t.text,
        esc(&name)
    );
    if let Some(seg) = &p.segment {
        let (seg, _) = fit_line(seg, inner - 60.0, 12.0, Weight::Regular);
        let _ = write!(
            s,
            r#"<text class="persona-segment" data-field="segment" x="76" y="55" font-size="12" fill="{}">{}</text>"#,
            t.muted,
            esc(&seg)
        );
    }
    let mut y = 80.0;
    if let Some(d) = &p.description {
        let w = wrap(d, inner, BODY, Weight::Regular, 3);
        s.push_str(r#"<g data-field="description">"#);
        s.push_str(&text_block(&w, d, 16.0, y + 13.0, BODY, LINE, Weight::Regular, t.text, "persona-description"));
        s.push_str("</g>");
        y += LINE * w.lines.len() as f32 + 8.0;
    }
    for (label, key, items) in [("GOALS", "goal", &p.goals), ("NEEDS", "need", &p.needs), ("PAINS", "pain", &p.pains)] {
        if items.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            r#"<text x="16" y="{}" font-size="10.5" font-weight="600" fill="{}" letter-spacing="0.8">{label}</text>"#,
            fmt(y + 11.0),
            t.muted
        );
        y += 18.0;
        for (i, item) in items.iter().take(4).enumerate() {
            let w = wrap(item, inner - 14.0, BODY, Weight::Regular, 2);
            let _ = write!(s, r#"<g data-field="{key}" data-index="{i}">"#);
            let _ = write!(s, r#"<circle cx="20" cy="{}" r="2.5" fill="{color}"/>"#, fmt(y + 8.0));
            s.push_str(&text_block(&w, item, 30.0, y + 12.5, BODY, LINE, Weight::Regular, t.text, "persona-item"));
            s.push_str("</g>");
            y += LINE * w.lines.len() as f32 + 2.0;
        }
        y += 6.0;
    }
    if let Some(q) = &p.quote {
        let quoted = format!("“{q}”");
        let w = wrap(&quoted, inner - 14.0, BODY, Weight::SemiBold, 3);
        let h = LINE * w.lines.len() as f32;
        let _ =
            write!(s, r#"<rect x="16" y="{}" width="3" height="{}" rx="1.5" fill="{color}"/>"#, fmt(y + 2.0), fmt(h));
        s.push_str(r#"<g data-field="quote">"#);
        s.push_str(&text_block(&w, &quoted, 28.0, y + 14.0, BODY, LINE, Weight::SemiBold, t.text, "persona-quote"));
        s.push_str("</g>");
        y += h + 8.0;
    }
    (s, y + 10.0)
}

/// A `data:` URI for an image the map names, when it is a format SVG
/// viewers and resvg both read. Anything else falls back to initials.
pub(crate) fn data_uri(bytes: &[u8]) -> Option<String> {
    use base64::Engine;
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return None;
    };
    Some(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The brand promise under the title: a label and the promise beside an
/// accent bar; the y below it.
fn brand_promise(s: &mut String, promise: &str, t: &Theme, text_w: f32, y: f32) -> f32 {
    let lines = wrap(promise, text_w - 16.0, 15.0, Weight::SemiBold, 2);
    let h = 18.0 + 21.0 * lines.lines.len() as f32;
    let _ = write!(
        s,
        r#"<g class="brand-promise"><rect x="{MARGIN}" y="{}" width="3" height="{}" rx="1.5" fill="{}"/><text x="{}" y="{}" font-size="11" font-weight="600" fill="{}" letter-spacing="0.6">BRAND PROMISE</text>"#,
        fmt(y + 4.0),
        fmt(h),
        t.accent,
        MARGIN + 12.0,
        fmt(y + 16.0),
        t.accent
    );
    s.push_str(&text_block(&lines, promise, MARGIN + 12.0, y + 35.0, 15.0, 21.0, Weight::SemiBold, t.text, "promise"));
    s.push_str("</g>");
    y + h + 12.0
}

fn stage_band(map: &Journey, cols: &[Col], t: &Theme, top: f32) -> (String, f32) {
    let mut s = String::new();
    let mut groups: Vec<(usize, f32, f32)> = Vec::new(); // stage, x0, x1
    for c in cols {
        match groups.last_mut() {
            Some(g) if g.0 == c.stage => g.2 = c.x + c.w,
            _ => groups.push((c.stage, c.x, c.x + c.w)),
        }
    }
    let mut heights = Vec::new();
    let mut parts = Vec::new();
    for &(stage, x0, x1) in &groups {
        let st: &Stage = &map.stages[stage];
        let w = x1 - x0 - 2.0 * PAD;
        let name = if st.name.is_empty() { "Journey".to_string() } else { st.name.replace("<br>", " ") };
        let nw = wrap(&name, w, 15.0, Weight::SemiBold, 2);
        let gw = st.goal.as_ref().map(|g| wrap(g, w, 12.0, Weight::Regular, 2));
        let pw = st.promise.as_ref().map(|p| wrap(&format!("Promise: {p}"), w, 12.0, Weight::SemiBold, 2));
        let lines = |x: &Option<Wrapped>| x.as_ref().map_or(0.0, |g| 16.0 * g.lines.len() as f32 + 2.0);
        let h = 14.0 + 20.0 * nw.lines.len() as f32 + lines(&gw) + lines(&pw) + 10.0;
        heights.push(h);
        parts.push((stage, x0, x1, name, nw, gw, pw));
    }
    let h = heights.iter().copied().fold(52.0, f32::max);
    for (stage, x0, x1, name, nw, gw, pw) in parts {
        let fill = t.stages[stage % t.stages.len()];
        let _ = write!(
            s,
            r#"<g class="stage" data-stage="{}"><rect x="{}" y="{top}" width="{}" height="{h}" rx="10" fill="{fill}" stroke="{}"/>"#,
            esc(&map.stages[stage].id),
            fmt(x0 - 2.0),
            fmt(x1 - x0 + 4.0),
            t.border
        );
        s.push_str(&text_block(&nw, &name, x0 + PAD, top + 26.0, 15.0, 20.0, Weight::SemiBold, t.text, "stage-name"));
        let mut gy = top + 26.0 + 20.0 * nw.lines.len() as f32;
        if let (Some(gw), Some(goal)) = (gw, map.stages[stage].goal.as_ref()) {
            s.push_str(&text_block(&gw, goal, x0 + PAD, gy, 12.0, 16.0, Weight::Regular, t.muted, "stage-goal"));
            gy += 16.0 * gw.lines.len() as f32 + 2.0;
        }
        if let (Some(pw), Some(promise)) = (pw, map.stages[stage].promise.as_ref()) {
            let full = format!("Promise: {promise}");
            s.push_str(&text_block(&pw, &full, x0 + PAD, gy, 12.0, 16.0, Weight::SemiBold, t.accent, "stage-promise"));
        }
        s.push_str("</g>");
    }
    (s, top + h)
}

fn line_of_visibility(body: &mut String, t: &Theme, width: f32, y: f32) -> f32 {
    let mid = y + 14.0;
    let _ = write!(
        body,
        r#"<g class="line-of-visibility"><line x1="{MARGIN}" y1="{mid}" x2="{}" y2="{mid}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 5"/><rect x="{}" y="{}" width="132" height="20" rx="10" fill="{}"/><text x="{}" y="{}" font-size="11" font-weight="600" fill="{}">LINE OF VISIBILITY</text></g>"#,
        fmt(width - MARGIN),
        t.muted,
        MARGIN + 8.0,
        fmt(mid - 10.0),
        t.background,
        MARGIN + 16.0,
        fmt(mid + 4.0),
        t.muted
    );
    28.0
}

fn lane_label(map: &Journey, opts: &Options, t: &Theme, lane: Lane, personas: &[String], y: f32) -> (String, f32) {
    let mut s = String::new();
    let _ = write!(s, r#"<g class="lane-label" data-lane="{}">"#, lane.id());
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" font-size="13" font-weight="600" fill="{}">{}</text>"#,
        MARGIN + PAD,
        fmt(y + 24.0),
        t.text,
        lane.title()
    );
    let w = wrap(lane.hint(), LABEL_W - 2.0 * PAD, SMALL, Weight::Regular, 3);
    s.push_str(&text_block(
        &w,
        lane.hint(),
        MARGIN + PAD,
        y + 42.0,
        SMALL,
        15.0,
        Weight::Regular,
        t.muted,
        "lane-hint",
    ));
    let mut h = 42.0 + 15.0 * w.lines.len() as f32;
    if lane == Lane::Emotion {
        // Legend: one swatch per persona, and the line styles.
        let mut ly = y + h + 8.0;
        for name in personas {
            let color = persona_color(map, t, name);
            let shown = if name.is_empty() { "Score" } else { name.as_str() };
            let (label, _) = fit_line(shown, LABEL_W - 2.0 * PAD - 26.0, 12.0, Weight::Regular);
            let _ = write!(
                s,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="3" stroke-linecap="round"/><text x="{}" y="{}" font-size="12" fill="{}">{}</text>"#,
                MARGIN + PAD,
                fmt(ly),
                MARGIN + PAD + 18.0,
                fmt(ly),
                MARGIN + PAD + 26.0,
                fmt(ly + 4.0),
                t.text,
                esc(&label)
            );
            ly += 18.0;
        }
        let has_future = map.steps().any(|s| s.future_score.is_some() || !s.future_persona_scores.is_empty());
        let measured = opts.measures.as_ref().is_some_and(|m| m.steps.values().any(|f| f.mean_score.is_some()));
        for (on, label, dash) in [(has_future, "to-be (future)", "5 4"), (measured, "measured", "1.5 4")] {
            if on {
                let _ = write!(
                    s,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{}" y="{}" font-size="12" fill="{}">{label}</text>"#,
                    MARGIN + PAD,
                    fmt(ly),
                    MARGIN + PAD + 18.0,
                    fmt(ly),
                    t.muted,
                    MARGIN + PAD + 26.0,
                    fmt(ly + 4.0),
                    t.muted
                );
                ly += 18.0;
            }
        }
        h = ly - y + 4.0;
    }
    s.push_str("</g>");
    (s, h)
}

/// The cells of one lane whose top is at `y`, and the lane's height.
#[allow(clippy::too_many_arguments)]
fn lane_cells(
    map: &Journey,
    opts: &Options,
    t: &Theme,
    lane: Lane,
    cols: &[Col],
    personas: &[String],
    y: f32,
) -> (String, f32) {
    if lane == Lane::Emotion {
        return (emotion_lane(map, opts, t, cols, personas, y), EMOTION_H);
    }
    let drawn: Vec<(String, f32)> = cols.iter().map(|col| cell(map, opts, t, lane, col)).collect();
    let h = drawn.iter().map(|(_, ch)| *ch).fold(0.0, f32::max) + PAD;
    let mut s = String::new();
    for (col, (cell, _)) in cols.iter().zip(drawn) {
        // A clear rectangle under the content makes the whole cell a target
        // for the map editor's clicks.
        let _ = write!(
            s,
            r#"<g class="cell" data-step="{}" data-lane="{}" transform="translate({},{})"><rect class="cell-hit" width="{}" height="{}" fill="transparent"/>{cell}</g>"#,
            esc(&col.step.id),
            lane.id(),
            fmt(col.x),
            fmt(y),
            fmt(col.w),
            fmt(h)
        );
    }
    (s, h)
}

/// The content of one cell at (0, 0) and its height.
fn cell(map: &Journey, opts: &Options, t: &Theme, lane: Lane, col: &Col) -> (String, f32) {
    let step = col.step;
    let mut c = Cell { s: String::new(), y: PAD, w: col.w - 2.0 * PAD, t };
    let w = c.w;
    match lane {
        Lane::Steps => step_name(&mut c, opts, step),
        Lane::Doing => {
            if let Some(d) = &step.doing {
                c.para(d, 8, Weight::Regular, t.text, PAD, w);
            }
        }
        Lane::Touchpoints => touchpoints(&mut c, step),
        Lane::Thinking => {
            if let Some(th) = &step.thinking {
                thought(&mut c, th);
            }
        }
        Lane::Feeling => {
            if let Some(f) = &step.feeling {
                c.para(f, 4, Weight::SemiBold, t.text, PAD, w);
            }
        }
        Lane::Pains => step.pains.iter().enumerate().for_each(|(i, pain)| pain_card(&mut c, i, pain)),
        Lane::Opportunities => step.opportunities.iter().enumerate().for_each(|(i, o)| opportunity_card(&mut c, i, o)),
        Lane::Backstage => step.backstage.iter().enumerate().for_each(|(i, item)| backstage_item(&mut c, i, item)),
        Lane::Systems => step.systems.iter().enumerate().for_each(|(i, item)| system_chip(&mut c, i, item)),
        Lane::Owner => {
            if let Some(o) = &step.owner {
                c.para(o, 3, Weight::SemiBold, t.text, PAD, w);
            }
        }
        Lane::Metrics => metrics(&mut c, map, opts, step),
        Lane::Emotion => unreachable!("drawn as a whole lane"),
    }
    (c.s, c.y)
}

/// A cell being drawn: its SVG so far, the height used, and the width
/// inside its padding.
struct Cell<'t> {
    s: String,
    y: f32,
    w: f32,
    t: &'t Theme,
}

impl Cell<'_> {
    /// A wrapped paragraph of body text at `x`, at most `max` lines.
    fn para(&mut self, text: &str, max: usize, weight: Weight, fill: &str, x: f32, w: f32) {
        let wr = wrap(text, w, BODY, weight, max);
        self.s.push_str(&text_block(&wr, text, x, self.y + 13.0, BODY, LINE, weight, fill, "text"));
        self.y += LINE * wr.lines.len() as f32;
    }

    /// Opens a card (`<g class>` and its rounded background) `h` high;
    /// the caller closes the group.
    fn open_card(&mut self, class: &str, index: usize, h: f32, fill: &str) {
        let _ = write!(
            self.s,
            r#"<g class="{class}" data-item="{class}" data-index="{index}"><rect x="{PAD}" y="{}" width="{}" height="{}" rx="8" fill="{}"/>"#,
            fmt(self.y),
            fmt(self.w),
            fmt(h),
            fill
        );
    }
}

/// The step's name, and its drop-off badge when a fifth or more leave.
fn step_name(c: &mut Cell, opts: &Options, step: &Step) {
    let t = c.t;
    let wr = wrap(&step.name, c.w, 15.0, Weight::SemiBold, 3);
    c.s.push_str(&text_block(&wr, &step.name, PAD, c.y + 15.0, 15.0, 20.0, Weight::SemiBold, t.text, "step-name"));
    c.y += 20.0 * wr.lines.len() as f32;
    let figures = opts.measures.as_ref().and_then(|m| m.steps.get(&step.id));
    let Some(drop) = figures.and_then(|f| f.drop_off).filter(|d| *d >= 0.2) else { return };
    let label = format!("▼ {:.0}% drop-off", drop * 100.0);
    let bw = measure(&label, 11.0, Weight::SemiBold) + 14.0;
    let _ = write!(
        c.s,
        r#"<g class="drop-off"><title>{}</title><rect x="{PAD}" y="{}" width="{}" height="20" rx="10" fill="{}"/><text x="{}" y="{}" font-size="11" font-weight="600" fill="{}">{}</text></g>"#,
        esc(Figure::DropOff.explain()),
        fmt(c.y + 6.0),
        fmt(bw),
        t.pain_bg,
        PAD + 7.0,
        fmt(c.y + 20.0),
        t.pain_text,
        esc(&label)
    );
    c.y += 28.0;
}

/// Channels with their icons, then touchpoints as a bulleted list.
fn touchpoints(c: &mut Cell, step: &Step) {
    let t = c.t;
    for ch in &step.channels {
        let icon = Channel::classify(ch);
        let (label, cut) = fit_line(ch, c.w - 28.0, 12.0, Weight::SemiBold);
        let title = if cut { format!("<title>{}</title>", esc(ch)) } else { String::new() };
        let _ = write!(
            c.s,
            r##"<g class="channel" data-item="channel" data-channel="{}">{title}<use href="#icon-{}" x="{PAD}" y="{}" width="18" height="18"/><text x="{}" y="{}" font-size="12" font-weight="600" fill="{}">{}</text></g>"##,
            icon.id(),
            icon.id(),
            fmt(c.y),
            PAD + 26.0,
            fmt(c.y + 13.5),
            t.text,
            esc(&label)
        );
        c.y += 24.0;
    }
    if !step.channels.is_empty() && !step.touchpoints.is_empty() {
        c.y += 2.0;
    }
    for (i, tp) in step.touchpoints.iter().enumerate() {
        let _ = write!(c.s, r#"<g class="touchpoint" data-item="touchpoint" data-index="{i}">"#);
        let _ = write!(c.s, r#"<circle cx="{}" cy="{}" r="2.5" fill="{}"/>"#, PAD + 3.0, fmt(c.y + 8.5), t.muted);
        c.para(tp, 3, Weight::Regular, t.text, PAD + 12.0, c.w - 12.0);
        c.s.push_str("</g>");
        c.y += 2.0;
    }
}

/// What the customer thinks, quoted in a thought bubble.
fn thought(c: &mut Cell, thinking: &str) {
    let t = c.t;
    let quoted = format!("“{thinking}”");
    let wr = wrap(&quoted, c.w - 16.0, BODY, Weight::Regular, 7);
    let bh = LINE * wr.lines.len() as f32 + 14.0;
    let _ = write!(
        c.s,
        r#"<rect x="{PAD}" y="{}" width="{}" height="{}" rx="10" fill="{}"/>"#,
        fmt(c.y - 2.0),
        fmt(c.w),
        fmt(bh),
        t.thought_bg
    );
    let _ =
        write!(c.s, r#"<circle cx="{}" cy="{}" r="3.5" fill="{}"/>"#, PAD + 14.0, fmt(c.y + bh + 3.0), t.thought_bg);
    c.s.push_str(&text_block(&wr, &quoted, PAD + 8.0, c.y + 16.0, BODY, LINE, Weight::Regular, t.text, "thought"));
    c.y += bh + 8.0;
}

/// A pain point's card: its severity as five dots, then its text.
fn pain_card(c: &mut Cell, index: usize, pain: &cjm_model::Pain) {
    let t = c.t;
    let (y, w) = (c.y, c.w);
    let wr = wrap(&pain.text, w - 16.0, BODY, Weight::Regular, 6);
    let top_h = if pain.severity.is_some() { 22.0 } else { 6.0 };
    let bh = top_h + LINE * wr.lines.len() as f32 + 10.0;
    c.open_card("pain", index, bh, t.pain_bg);
    if let Some(sev) = pain.severity {
        let _ = write!(c.s, "<title>Severity {sev} of 5</title>");
        for i in 0..5u8 {
            let _ = write!(
                c.s,
                r#"<circle cx="{}" cy="{}" r="4" fill="{}" stroke="{}" stroke-width="1.2"/>"#,
                fmt(PAD + 12.0 + f32::from(i) * 11.0),
                fmt(y + 12.0),
                if i < sev { t.pain_text } else { t.pain_bg },
                t.pain_text
            );
        }
        let _ = write!(
            c.s,
            r#"<text x="{}" y="{}" font-size="11" font-weight="600" fill="{}">{sev}/5</text>"#,
            fmt(PAD + 66.0),
            fmt(y + 16.0),
            t.pain_text
        );
    }
    let text =
        text_block(&wr, &pain.text, PAD + 8.0, y + top_h + 13.0, BODY, LINE, Weight::Regular, t.pain_text, "text");
    c.s.push_str(&text);
    c.s.push_str("</g>");
    c.y += bh + 6.0;
}

/// An opportunity's card: its text, then its impact, effort and other tags.
fn opportunity_card(c: &mut Cell, index: usize, o: &cjm_model::Opportunity) {
    let t = c.t;
    let (y, w) = (c.y, c.w);
    let wr = wrap(&o.text, w - 16.0, BODY, Weight::Regular, 6);
    let tags = opportunity_tags(o);
    let tag_lines = wrap(&tags, w - 16.0, SMALL, Weight::SemiBold, 3);
    let tag_h = if tags.is_empty() { 0.0 } else { 15.0 * tag_lines.lines.len() as f32 + 4.0 };
    let bh = 8.0 + LINE * wr.lines.len() as f32 + tag_h + 8.0;
    c.open_card("opportunity", index, bh, t.opportunity_bg);
    let fill = t.opportunity_text;
    c.s.push_str(&text_block(&wr, &o.text, PAD + 8.0, y + 21.0, BODY, LINE, Weight::Regular, fill, "text"));
    if !tags.is_empty() {
        let ty = y + 8.0 + LINE * wr.lines.len() as f32 + 12.0;
        c.s.push_str(&text_block(&tag_lines, &tags, PAD + 8.0, ty, SMALL, 15.0, Weight::SemiBold, fill, "tags"));
    }
    c.s.push_str("</g>");
    c.y += bh + 6.0;
}

/// A backstage action: a short bar, then its text.
fn backstage_item(c: &mut Cell, index: usize, item: &str) {
    let t = c.t;
    let _ = write!(c.s, r#"<g class="backstage" data-item="backstage" data-index="{index}">"#);
    let _ =
        write!(c.s, r#"<rect x="{PAD}" y="{}" width="3" height="14" rx="1.5" fill="{}"/>"#, fmt(c.y + 2.0), t.muted);
    c.para(item, 5, Weight::Regular, t.text, PAD + 10.0, c.w - 10.0);
    c.s.push_str("</g>");
    c.y += 6.0;
}

/// A supporting system as a chip, cut to one line (the whole in a title).
fn system_chip(c: &mut Cell, index: usize, item: &str) {
    let t = c.t;
    let (label, cut) = fit_line(item, c.w - 16.0, 12.0, Weight::SemiBold);
    let cw = measure(&label, 12.0, Weight::SemiBold) + 16.0;
    let title = if cut { format!("<title>{}</title>", esc(item)) } else { String::new() };
    let _ = write!(
        c.s,
        r#"<g class="system" data-item="system" data-index="{index}">{title}<rect x="{PAD}" y="{}" width="{}" height="22" rx="6" fill="{}" stroke="{}"/><text x="{}" y="{}" font-size="12" font-weight="600" fill="{}">{}</text></g>"#,
        fmt(c.y),
        fmt(cw),
        t.chip_bg,
        t.border,
        PAD + 8.0,
        fmt(c.y + 15.0),
        t.text,
        esc(&label)
    );
    c.y += 28.0;
}

/// Measured figures (label left, value right), then the step's metrics
/// with their targets.
fn metrics(c: &mut Cell, map: &Journey, opts: &Options, step: &Step) {
    let t = c.t;
    if let Some(f) = opts.measures.as_ref().and_then(|m| m.steps.get(&step.id)) {
        for (figure, value) in measured_lines(map, f) {
            let y = fmt(c.y + 12.0);
            let _ = write!(
                c.s,
                r#"<g class="figure"><title>{}</title><text x="{PAD}" y="{y}" font-size="11.5" fill="{}">{}</text>"#,
                esc(figure.explain()),
                t.muted,
                esc(figure.label())
            );
            let _ = write!(
                c.s,
                r#"<text x="{}" y="{y}" font-size="13" font-weight="600" fill="{}" text-anchor="end">{}</text>"#,
                fmt(PAD + c.w),
                t.text,
                esc(&value)
            );
            c.s.push_str("</g>");
            c.y += 19.0;
        }
        c.y += 4.0;
    }
    for (i, m) in step.metrics.iter().enumerate() {
        let _ = write!(c.s, r#"<g class="metric" data-item="metric" data-index="{i}">"#);
        let mut text = m.name.clone();
        if let Some(target) = m.target {
            let unit = m.unit.as_deref().map(|u| if u == "%" { u.to_string() } else { format!(" {u}") });
            text.push_str(&format!(" · target {}{}", cjm_model::print::number(target), unit.unwrap_or_default()));
        }
        c.para(&text, 3, Weight::Regular, t.muted, PAD, c.w);
        c.s.push_str("</g>");
        c.y += 2.0;
    }
}

/// The measured figures of a step, each with its value as drawn.
fn measured_lines(map: &Journey, f: &StepFigures) -> Vec<(Figure, String)> {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let mut out = vec![(Figure::Reach, format!("{} · {}", group_digits(f.reached), pct(f.reach_share)))];
    match f.funnel {
        Some(n) => out.push((Figure::Funnel, group_digits(n))),
        None if f.optional => out.push((Figure::Funnel, "optional".into())),
        None => {}
    }
    if let Some(share) = f.conversion {
        out.push((Figure::Conversion, pct(share)));
    }
    if let Some(drop) = f.drop_off {
        out.push((Figure::DropOff, pct(drop)));
    }
    if let Some(secs) = f.median_seconds_since_previous {
        out.push((Figure::Time, duration(secs)));
    }
    if let Some(score) = f.mean_score {
        out.push((Figure::Score, format!("{score:.1} / {}", map.scale.max)));
    }
    out
}

/// `5400` seconds → `1.5 h`: seconds under 90, minutes under 90, hours
/// under two days, then days.
pub fn duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 172_800.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} d", secs / 86_400.0)
    }
}

fn opportunity_tags(o: &cjm_model::Opportunity) -> String {
    let mut tags = Vec::new();
    // The portfolio's quadrant, so the card and `cjm opportunities` agree.
    use cjm_model::portfolio::Quadrant;
    match Quadrant::of(o.impact, o.effort) {
        Quadrant::QuickWin => tags.push("★ Quick win".to_string()),
        Quadrant::Unrated => {}
        q => tags.push(q.name().to_string()),
    }
    if let Some(l) = o.impact {
        tags.push(format!("Impact {}", arrow(l)));
    }
    if let Some(l) = o.effort {
        tags.push(format!("Effort {}", arrow(l)));
    }
    if let Some(s) = o.status {
        tags.push(match s {
            Status::Idea => "Idea".into(),
            Status::Planned => "Planned".into(),
            Status::InProgress => "In progress".into(),
            Status::Done => "✓ Done".into(),
            Status::Dropped => "Dropped".into(),
        });
    }
    if let Some(owner) = &o.owner {
        tags.push(owner.clone());
    }
    tags.join(" · ")
}

fn arrow(l: Level) -> &'static str {
    match l {
        Level::High => "▲ high",
        Level::Medium => "■ medium",
        Level::Low => "▼ low",
    }
}

/// The emotion curves: one smooth line per persona through its scores, a
/// face at each point (its mouth says the sentiment, its colour repeats it),
/// the neutral midline, and the to-be and measured curves when present.
fn emotion_lane(map: &Journey, opts: &Options, t: &Theme, cols: &[Col], personas: &[String], lane_y: f32) -> String {
    let mut s = String::new();
    let (lo, hi) = (f64::from(map.scale.min), f64::from(map.scale.max));
    let top = 26.0;
    let bottom = EMOTION_H - 26.0;
    let y_of = |v: f64| -> f32 { top + ((hi - v.clamp(lo, hi)) / (hi - lo)) as f32 * (bottom - top) };
    let x0 = cols.first().map_or(0.0, |c| c.x);
    let x1 = cols.last().map_or(0.0, |c| c.x + c.w);
    let mid = y_of(map.scale.midpoint());
    let _ = write!(
        s,
        r#"<g class="emotion" data-min="{lo}" data-max="{hi}" data-top="{top}" data-bottom="{bottom}" transform="translate(0,{})">"#,
        fmt(lane_y)
    );
    let _ = write!(
        s,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="3 4"/><text x="{}" y="{}" font-size="10.5" fill="{}" text-anchor="end">neutral</text>"#,
        fmt(x0),
        fmt(mid),
        fmt(x1),
        fmt(mid),
        t.muted,
        fmt(x1 - 4.0),
        fmt(mid - 5.0),
        t.muted
    );
    // Measured figures first, so the designed faces stay on top.
    if let Some(m) = &opts.measures {
        let measured: Vec<Option<(f32, f32, f64)>> = cols
            .iter()
            .map(|c| m.steps.get(&c.step.id).and_then(|f| f.mean_score).map(|v| (c.x + c.w / 2.0, y_of(v), v)))
            .collect();
        if measured.iter().any(Option::is_some) {
            let _ = write!(
                s,
                r#"<path class="curve-measured" d="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="1.5 4" stroke-linecap="round"/>"#,
                smooth(&measured),
                t.muted
            );
            for (x, y, v) in measured.iter().flatten() {
                let _ = write!(
                    s,
                    r#"<rect x="{}" y="{}" width="9" height="9" transform="rotate(45 {} {})" fill="{}" stroke="{}" stroke-width="1.5"><title>measured {:.2}</title></rect>"#,
                    fmt(x - 4.5),
                    fmt(y - 4.5),
                    fmt(*x),
                    fmt(*y),
                    t.background,
                    t.muted,
                    v
                );
            }
        }
    }
    let n = personas.len().max(1) as f32;
    // Several personas: spread their faces (22 px across) so that none
    // covers another at the same score, within the narrowest column.
    let narrowest = cols.iter().map(|c| c.w).fold(f32::INFINITY, f32::min);
    let spacing = if n > 1.0 { 24f32.min((narrowest - 26.0).max(0.0) / (n - 1.0)) } else { 0.0 };
    // Too many for the column at full size: smaller faces, 1 px apart.
    let size = if n > 1.0 { ((spacing - 1.0) / 22.0).clamp(0.4, 1.0) } else { 1.0 };
    for (pi, name) in personas.iter().enumerate() {
        let color = persona_color(map, t, name);
        let dx = (pi as f32 - (n - 1.0) / 2.0) * spacing;
        let points: Vec<Option<(f32, f32, f64)>> =
            cols.iter().map(|c| c.step.score_for(name).map(|v| (c.x + c.w / 2.0 + dx, y_of(v), v))).collect();
        let ids: Vec<&str> = cols.iter().map(|c| c.step.id.as_str()).collect();
        let future: Vec<Option<(f32, f32, f64)>> =
            cols.iter().map(|c| c.step.future_score_for(name).map(|v| (c.x + c.w / 2.0 + dx, y_of(v), v))).collect();
        if future.iter().any(Option::is_some) {
            let _ = write!(
                s,
                r#"<path class="curve-future" d="{}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="5 4" opacity="0.8"/>"#,
                smooth(&future)
            );
            for (i, (x, y, v)) in future.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))) {
                let _ = write!(
                    s,
                    r#"<circle class="face-future" data-step="{}" data-persona="{}" cx="{}" cy="{}" r="5" fill="{}" stroke="{color}" stroke-width="2"><title>{}: to-be {}</title></circle>"#,
                    esc(ids[i]),
                    esc(name),
                    fmt(x),
                    fmt(y),
                    t.background,
                    esc(name),
                    cjm_model::print::number(v)
                );
            }
        }
        let _ = write!(
            s,
            r#"<path class="curve" data-persona="{}" d="{}" fill="none" stroke="{color}" stroke-width="3" stroke-linecap="round"/>"#,
            esc(name),
            smooth(&points)
        );
        for (i, (x, y, v)) in points.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))) {
            // Alternate label sides so equal scores of two personas stay readable.
            let drawn = face((x, y), v, map, t, (name, ids[i]), pi % 2 == 1);
            if size < 1.0 {
                // Scaled about its own centre, so it stays on its score.
                let _ = write!(
                    s,
                    r#"<g transform="translate({x} {y}) scale({k}) translate({nx} {ny})">{drawn}</g>"#,
                    x = fmt(x),
                    y = fmt(y),
                    k = fmt(size),
                    nx = fmt(-x),
                    ny = fmt(-y)
                );
            } else {
                s.push_str(&drawn);
            }
        }
    }
    s.push_str("</g>");
    s
}

/// A face marker: a circle in the sentiment colour with eyes and a mouth
/// that smiles, frowns or stays flat, and the score beside it.
fn face(
    (x, y): (f32, f32),
    v: f64,
    map: &Journey,
    t: &Theme,
    (persona, step): (&str, &str),
    label_left: bool,
) -> String {
    let (lo, hi) = (f64::from(map.scale.min), f64::from(map.scale.max));
    let rel = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let (fill, mouth, mood) = if rel > 0.6 {
        (t.positive, format!("M{} {}q4 4.5 8 0", fmt(x - 4.0), fmt(y + 2.0)), "positive")
    } else if rel < 0.4 {
        (t.negative, format!("M{} {}q4 -4.5 8 0", fmt(x - 4.0), fmt(y + 5.0)), "negative")
    } else {
        (t.neutral, format!("M{} {}h8", fmt(x - 4.0), fmt(y + 3.5)), "neutral")
    };
    format!(
        r#"<g class="face {mood}" data-step="{}" data-persona="{}" data-score="{}"><title>{}: {} ({mood})</title><circle cx="{}" cy="{}" r="11" fill="{fill}"/><circle cx="{}" cy="{}" r="1.6" fill="{on}"/><circle cx="{}" cy="{}" r="1.6" fill="{on}"/><path d="{mouth}" fill="none" stroke="{on}" stroke-width="1.8" stroke-linecap="round"/><text x="{}" y="{}" font-size="11" font-weight="600" fill="{fill}"{anchor}>{}</text></g>"#,
        esc(step),
        esc(persona),
        cjm_model::print::number(v),
        esc(persona),
        cjm_model::print::number(v),
        fmt(x),
        fmt(y),
        fmt(x - 3.8),
        fmt(y - 2.5),
        fmt(x + 3.8),
        fmt(y - 2.5),
        fmt(if label_left { x - 14.0 } else { x + 14.0 }),
        fmt(y - 8.0),
        cjm_model::print::number(v),
        on = t.on_marker,
        anchor = if label_left { r#" text-anchor="end""# } else { "" }
    )
}

/// A smooth path through the points, broken where a step has no score: a
/// monotone cubic (Fritsch–Carlson) drawn as Béziers, so the curve never
/// leaves the range of the two scores it passes between, and is flat
/// between equal ones.
pub(crate) fn smooth(points: &[Option<(f32, f32, f64)>]) -> String {
    let mut d = String::new();
    let mut run: Vec<(f32, f32)> = Vec::new();
    let flush = |run: &mut Vec<(f32, f32)>, d: &mut String| {
        if run.len() == 1 {
            let (x, y) = run[0];
            let _ = write!(d, "M{} {}h0.01", fmt(x), fmt(y));
        } else if run.len() > 1 {
            let _ = write!(d, "M{} {}", fmt(run[0].0), fmt(run[0].1));
            for (i, (c1, c2)) in monotone_controls(run).into_iter().enumerate() {
                let p2 = run[i + 1];
                let _ =
                    write!(d, "C{} {} {} {} {} {}", fmt(c1.0), fmt(c1.1), fmt(c2.0), fmt(c2.1), fmt(p2.0), fmt(p2.1));
            }
        }
        run.clear();
    };
    for p in points {
        match p {
            Some((x, y, _)) => run.push((*x, *y)),
            None => flush(&mut run, &mut d),
        }
    }
    flush(&mut run, &mut d);
    d
}

/// The Bézier control points of each segment of the monotone cubic
/// through `p` (x increasing). Tangents are the mean of the neighbouring
/// slopes, zero at a peak, a trough or a flat stretch, and scaled down
/// where they would overshoot (Fritsch and Carlson, 1980); a segment's
/// control points then lie within its two ends' heights.
fn monotone_controls(p: &[(f32, f32)]) -> Vec<((f32, f32), (f32, f32))> {
    let n = p.len();
    let slope = |k: usize| {
        let h = p[k + 1].0 - p[k].0;
        if h.abs() < f32::EPSILON {
            0.0
        } else {
            (p[k + 1].1 - p[k].1) / h
        }
    };
    let d: Vec<f32> = (0..n - 1).map(slope).collect();
    let mut m = vec![0.0f32; n];
    m[0] = d[0];
    m[n - 1] = d[n - 2];
    for k in 1..n - 1 {
        m[k] = if d[k - 1] * d[k] <= 0.0 { 0.0 } else { (d[k - 1] + d[k]) / 2.0 };
    }
    for k in 0..n - 1 {
        if d[k] == 0.0 {
            m[k] = 0.0;
            m[k + 1] = 0.0;
            continue;
        }
        let (a, b) = (m[k] / d[k], m[k + 1] / d[k]);
        let r = a * a + b * b;
        if r > 9.0 {
            let tau = 3.0 / r.sqrt();
            m[k] = tau * a * d[k];
            m[k + 1] = tau * b * d[k];
        }
    }
    (0..n - 1)
        .map(|k| {
            let h = (p[k + 1].0 - p[k].0) / 3.0;
            ((p[k].0 + h, p[k].1 + m[k] * h), (p[k + 1].0 - h, p[k + 1].1 - m[k + 1] * h))
        })
        .collect()
}

fn footer_height(map: &Journey, opts: &Options) -> f32 {
    if map.metrics.is_empty() && opts.measures.is_none() {
        24.0
    } else {
        64.0
    }
}

/// Journey metrics and a credit line under the grid.
fn footer(
    s: &mut String,
    map: &Journey,
    measures: Option<&cjm_model::measures::Measures>,
    t: &Theme,
    width: f32,
    y: f32,
) {
    let mut x = MARGIN;
    let mut line_y = y + 14.0;
    if !map.metrics.is_empty() {
        let _ = write!(
            s,
            r#"<text x="{x}" y="{}" font-size="10.5" font-weight="600" fill="{}" letter-spacing="0.8">JOURNEY METRICS</text>"#,
            fmt(line_y),
            t.muted
        );
        line_y += 22.0;
        for m in &map.metrics {
            let mut text = m.name.clone();
            // A formula measured: the verdict in words first (so a cut chip
            // keeps it), then the value and the target.
            let kpi = measures.and_then(|ms| ms.kpis.iter().find(|k| k.metric == m.name));
            match kpi {
                Some(k) => {
                    if let Some(v) = k.verdict() {
                        text = format!("{v}: {text}");
                    }
                    text.push_str(&format!(" {}", k.value.as_deref().unwrap_or("not measured")));
                    if let Some(target) = &k.target {
                        text.push_str(&format!(" (target {target})"));
                    }
                }
                None => {
                    if let Some(target) = m.target {
                        let unit = m
                            .unit
                            .as_deref()
                            .map(|u| if u == "%" { u.to_string() } else { format!(" {u}") })
                            .unwrap_or_default();
                        text.push_str(&format!(": target {}{unit}", cjm_model::print::number(target)));
                    }
                }
            }
            let (text, _) = fit_line(&text, if kpi.is_some() { 620.0 } else { 320.0 }, 12.0, Weight::Regular);
            let w = measure(&text, 12.0, Weight::Regular) + 20.0;
            if x + w > width - MARGIN && x > MARGIN {
                break;
            }
            // Met or missed also outlines the chip (the words say it too).
            let stroke = match kpi.and_then(|k| k.met) {
                Some(true) => format!(r#" stroke="{}""#, t.positive),
                Some(false) => format!(r#" stroke="{}""#, t.negative),
                None => String::new(),
            };
            let tip = kpi.map_or(String::new(), |k| format!("<title>{}</title>", esc(&k.explain)));
            let _ = write!(
                s,
                r#"<g class="journey-metric">{tip}<rect x="{}" y="{}" width="{}" height="22" rx="11" fill="{}"{stroke}/><text x="{}" y="{}" font-size="12" fill="{}">{}</text></g>"#,
                fmt(x),
                fmt(line_y - 15.0),
                fmt(w),
                t.chip_bg,
                fmt(x + 10.0),
                fmt(line_y),
                t.text,
                esc(&text)
            );
            x += w + 8.0;
        }
    }
}

#[cfg(test)]
mod curve_tests {
    use super::monotone_controls;

    /// The curve's height at `t` on the segment from `a` to `b` with
    /// control points `c1`, `c2`.
    fn at(a: f32, c1: f32, c2: f32, b: f32, t: f32) -> f32 {
        let u = 1.0 - t;
        u * u * u * a + 3.0 * u * u * t * c1 + 3.0 * u * t * t * c2 + t * t * t * b
    }

    #[test]
    fn the_emotion_curve_never_leaves_the_range_of_the_scores_it_joins() {
        // Scores 1..5 on a 5-point scale, drawn at y = 26 + (5 - v) * 30.
        let mut seed = 0x2545_f491_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as u32
        };
        for _ in 0..2000 {
            let n = 2 + (next() % 9) as usize;
            let p: Vec<(f32, f32)> =
                (0..n).map(|i| (i as f32 * 170.0, 26.0 + (5 - (next() % 5)) as f32 * 30.0 - 30.0)).collect();
            for (k, (c1, c2)) in monotone_controls(&p).into_iter().enumerate() {
                let (a, b) = (p[k].1, p[k + 1].1);
                let (lo, hi) = (a.min(b) - 1e-3, a.max(b) + 1e-3);
                for s in 0..=20 {
                    let y = at(a, c1.1, c2.1, b, s as f32 / 20.0);
                    assert!(y >= lo && y <= hi, "{p:?}: segment {k} reaches {y} outside {a}..{b}");
                }
                // Flat between equal neighbours.
                if a == b {
                    assert!((c1.1 - a).abs() < 1e-4 && (c2.1 - a).abs() < 1e-4, "{p:?}: segment {k} bulges");
                }
            }
        }
    }

    #[test]
    fn two_equal_scores_give_a_straight_line() {
        let c = monotone_controls(&[(0.0, 50.0), (170.0, 50.0), (340.0, 110.0)]);
        assert_eq!(c[0].0 .1, 50.0);
        assert_eq!(c[0].1 .1, 50.0);
    }
}
