//! Current and future state on one board: the steps of both versions in
//! shared columns (matched by id, so stages line up), each step marked
//! added, removed, changed or unchanged; both emotion curves of every
//! persona on one chart (current dashed, future solid), each persona's
//! score change written out with an arrow; the pains of each step before
//! and after; and per stage its promise and whether the future keeps it
//! better (a higher mean score). Nothing is told by colour alone.

use crate::fonts::Weight;
use crate::svg::{fmt, smooth};
use crate::text::{esc, fit_line, wrap};
use crate::theme::{theme, Theme, ThemeName};
use cjm_model::{Journey, Step};
use std::collections::HashMap;
use std::fmt::Write;

pub use crate::deck::compare_pptx;

const PAD: f32 = 40.0;
const LABEL_W: f32 = 150.0;
const STEP_H: f32 = 76.0;
const CHART_H: f32 = 190.0;
const PAIN_H: f32 = 40.0;

/// How a step changed from the current to the future state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    /// Its text, lanes, attributes or scores differ (the score row says how).
    Changed,
    Unchanged,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Change::Added => "+ Added",
            Change::Removed => "− Removed",
            Change::Changed => "~ Changed",
            Change::Unchanged => "Unchanged",
        }
    }
}

/// One shared column: a step of either version or both.
struct Column<'a> {
    stage: String,
    current: Option<&'a Step>,
    future: Option<&'a Step>,
}

impl Column<'_> {
    fn change(&self) -> Change {
        match (self.current, self.future) {
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
            (Some(a), Some(b)) if a == b => Change::Unchanged,
            _ => Change::Changed,
        }
    }

    fn name(&self) -> &str {
        self.future.or(self.current).map_or("", |s| s.name.as_str())
    }
}

/// The columns: the future's steps in order, each removed step placed
/// after the step it followed in the current state.
fn columns<'a>(current: &'a Journey, future: &'a Journey) -> Vec<Column<'a>> {
    let cur: HashMap<&str, (&'a str, &'a Step)> = current
        .stages
        .iter()
        .flat_map(|st| st.steps.iter().map(move |s| (s.id.as_str(), (st.name.as_str(), s))))
        .collect();
    let fut: std::collections::HashSet<&str> = future.steps().map(|s| s.id.as_str()).collect();
    // Removed steps by the common step they follow ("" for the start).
    let mut after: HashMap<&str, Vec<(&'a str, &'a Step)>> = HashMap::new();
    let mut anchor = "";
    for st in &current.stages {
        for s in &st.steps {
            if fut.contains(s.id.as_str()) {
                anchor = s.id.as_str();
            } else {
                after.entry(anchor).or_default().push((st.name.as_str(), s));
            }
        }
    }
    let removed = |list: Option<&Vec<(&'a str, &'a Step)>>, out: &mut Vec<Column<'a>>| {
        for (stage, s) in list.into_iter().flatten() {
            out.push(Column { stage: stage.to_string(), current: Some(s), future: None });
        }
    };
    let mut out = Vec::new();
    removed(after.get(""), &mut out);
    for st in &future.stages {
        for s in &st.steps {
            let c = cur.get(s.id.as_str()).map(|(_, c)| *c);
            out.push(Column { stage: st.name.clone(), current: c, future: Some(s) });
            if c.is_some() {
                removed(after.get(s.id.as_str()), &mut out);
            }
        }
    }
    out
}

/// The personas of both versions, the current's first.
fn personas(current: &Journey, future: &Journey) -> Vec<String> {
    let mut names = current.persona_names();
    for n in future.persona_names() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        names.push(String::new());
    }
    names
}

fn score(step: Option<&Step>, persona: &str) -> Option<f64> {
    step.and_then(|s| if persona.is_empty() { s.score } else { s.score_for(persona) })
}

/// The board as SVG; `labels` name the two versions ("version 3").
pub fn compare_svg(current: &Journey, future: &Journey, labels: (&str, &str), embed_font: bool) -> String {
    let t = theme(ThemeName::Light);
    let cols = columns(current, future);
    let people = personas(current, future);
    let n = cols.len().max(1);
    let col_w = ((1360.0 - 2.0 * PAD - LABEL_W) / n as f32).clamp(112.0, 190.0);
    let width = 2.0 * PAD + LABEL_W + col_w * n as f32;
    let x_of = |i: usize| PAD + LABEL_W + col_w * i as f32;
    let mut s = String::new();
    let mut y = heading(&mut s, current, future, labels, &cols, &t, width);
    y = stage_band(&mut s, current, future, &cols, &people, &t, (x_of(0), col_w, y));
    let rows_top = y;
    y = step_row(&mut s, &cols, &t, (x_of(0), col_w, y));
    y = emotion_chart(&mut s, current, future, &cols, &people, &t, (x_of(0), col_w, y), labels);
    y = score_changes(&mut s, &cols, &people, &t, (x_of(0), col_w, y));
    y = pains_row(&mut s, &cols, &t, (x_of(0), col_w, y));
    for i in 0..=n {
        let x = x_of(i);
        let _ = write!(
            s,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>"#,
            fmt(x),
            fmt(rows_top),
            fmt(x),
            fmt(y),
            t.border
        );
    }
    let height = y + PAD;
    let title =
        format!("Current and future: {}", future.title.as_deref().or(current.title.as_deref()).unwrap_or("journey"));
    crate::charts::document((width, height), (&title, &summary(&cols)), &s, embed_font, "compare")
}

/// The board as one self-contained HTML page (the font embedded), fitting
/// the window's width.
pub fn compare_html(current: &Journey, future: &Journey, labels: (&str, &str)) -> String {
    let title = format!("Current and future: {}", future.title.as_deref().unwrap_or("journey"));
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{margin:0;background:#fff}}svg{{display:block;max-width:100%;height:auto}}</style></head><body>{}</body></html>",
        esc(&title),
        compare_svg(current, future, labels, true)
    )
}

/// The board as a PNG, `scale` pixels per unit.
pub fn compare_png(
    current: &Journey,
    future: &Journey,
    labels: (&str, &str),
    scale: f32,
) -> Result<Vec<u8>, crate::RenderError> {
    crate::export::rasterise(&compare_svg(current, future, labels, false), scale)
}

/// The board as a one-page vector PDF.
pub fn compare_pdf(current: &Journey, future: &Journey, labels: (&str, &str)) -> Result<Vec<u8>, crate::RenderError> {
    let title = format!("Current and future: {}", future.title.as_deref().unwrap_or("journey"));
    crate::export::pdf_of(&[compare_svg(current, future, labels, false)], &title)
}

/// "2 steps added, 1 removed, 3 changed".
fn summary(cols: &[Column]) -> String {
    let count = |c: Change| cols.iter().filter(|x| x.change() == c).count();
    let steps = |k: usize| if k == 1 { "1 step".to_string() } else { format!("{k} steps") };
    format!(
        "{} in all: {} added, {} removed, {} changed, {} unchanged.",
        steps(cols.len()),
        count(Change::Added),
        count(Change::Removed),
        count(Change::Changed),
        count(Change::Unchanged)
    )
}

fn heading(
    s: &mut String,
    current: &Journey,
    future: &Journey,
    labels: (&str, &str),
    cols: &[Column],
    t: &Theme,
    width: f32,
) -> f32 {
    let title = future.title.as_deref().or(current.title.as_deref()).unwrap_or("Journey");
    let (title, _) = fit_line(&format!("Current and future: {title}"), width - 2.0 * PAD, 24.0, Weight::SemiBold);
    let sub = format!("Current state ({}) → future state ({}). {}", labels.0, labels.1, summary(cols));
    let (sub, _) = fit_line(&sub, width - 2.0 * PAD, 13.0, Weight::Regular);
    let _ = write!(
        s,
        r#"<text x="{PAD}" y="{}" font-size="24" font-weight="600" fill="{}">{}</text><text x="{PAD}" y="{}" font-size="13" fill="{}">{}</text>"#,
        PAD + 20.0,
        t.text,
        esc(&title),
        PAD + 44.0,
        t.muted,
        esc(&sub)
    );
    let mut y = PAD + 60.0;
    if let Some(p) = future.promise.as_deref().or(current.promise.as_deref()) {
        let (p, _) = fit_line(&format!("Brand promise: {p}"), width - 2.0 * PAD, 14.0, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{PAD}" y="{}" font-size="14" font-weight="600" fill="{}">{}</text>"#,
            fmt(y + 8.0),
            t.accent,
            esc(&p)
        );
        y += 22.0;
    }
    y + 10.0
}

/// The mean score of a stage's steps over every persona, in one version.
fn mean(cols: &[&Column], people: &[String], future: bool) -> Option<f64> {
    let v: Vec<f64> = cols
        .iter()
        .flat_map(|c| people.iter().filter_map(move |p| score(if future { c.future } else { c.current }, p)))
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn stage_band(
    s: &mut String,
    current: &Journey,
    future: &Journey,
    cols: &[Column],
    people: &[String],
    t: &Theme,
    (x0, col_w, y): (f32, f32, f32),
) -> f32 {
    // Each stage's lines first: the tallest sets the band's height.
    let mut groups = Vec::new();
    let mut i = 0;
    while i < cols.len() {
        let j = (i..cols.len()).find(|&j| cols[j].stage != cols[i].stage).unwrap_or(cols.len());
        groups.push((i, j));
        i = j;
    }
    let mut drawn = Vec::new();
    for &(i, j) in &groups {
        drawn.push(stage_lines(current, future, &cols[i..j], people, col_w * (j - i) as f32 - 24.0));
    }
    let most = drawn.iter().map(|(p, v, _)| p.len() + v.len()).max().unwrap_or(0);
    let stage_h = 40.0 + 15.0 * most as f32 + 4.0;
    for (k, (&(i, j), (promise, verdict, d))) in groups.iter().zip(drawn).enumerate() {
        let (x, w) = (x0 + col_w * i as f32, col_w * (j - i) as f32);
        let name = if cols[i].stage.is_empty() { "Journey" } else { cols[i].stage.as_str() };
        let fill = t.stages[k % t.stages.len()];
        let _ = write!(
            s,
            r#"<g class="stage"><rect x="{}" y="{}" width="{}" height="{}" rx="8" fill="{fill}" stroke="{}"/>"#,
            fmt(x + 2.0),
            fmt(y),
            fmt(w - 4.0),
            fmt(stage_h - 6.0),
            t.border
        );
        let (name, _) = fit_line(name, w - 20.0, 14.0, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="14" font-weight="600" fill="{}">{}</text>"#,
            fmt(x + 12.0),
            fmt(y + 20.0),
            t.text,
            esc(&name)
        );
        let color = if d > 0.005 {
            t.positive
        } else if d < -0.005 {
            t.negative
        } else {
            t.muted
        };
        for (n, (line, c)) in
            promise.iter().map(|l| (l, t.accent)).chain(verdict.iter().map(|l| (l, color))).enumerate()
        {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="11" font-weight="600" fill="{c}">{}</text>"#,
                fmt(x + 12.0),
                fmt(y + 38.0 + 15.0 * n as f32),
                esc(line)
            );
        }
        s.push_str("</g>");
    }
    label(s, "Stage", "promise, mean score", t, y);
    y + stage_h
}

/// A stage's promise and its verdict, wrapped to `w`, and the change in
/// its mean score.
fn stage_lines(
    current: &Journey,
    future: &Journey,
    group: &[Column],
    people: &[String],
    w: f32,
) -> (Vec<String>, Vec<String>, f64) {
    let stage = group[0].stage.as_str();
    let promise =
        future.stages.iter().chain(&current.stages).find(|st| st.name == stage).and_then(|st| st.promise.as_deref());
    let refs: Vec<&Column> = group.iter().collect();
    let (verdict, d) = match (mean(&refs, people, false), mean(&refs, people, true)) {
        (Some(a), Some(b)) => {
            let d = b - a;
            let (mark, word) = if d > 0.005 {
                ("▲", if promise.is_some() { "keeps the promise better" } else { "better" })
            } else if d < -0.005 {
                ("▼", "worse")
            } else {
                ("=", "the same")
            };
            (format!("mean {a:.1} → {b:.1} {mark} {word}"), d)
        }
        _ => (String::new(), 0.0),
    };
    let lines = |text: &str| if text.is_empty() { Vec::new() } else { wrap(text, w, 11.0, Weight::SemiBold, 2).lines };
    (promise.map_or(Vec::new(), |p| lines(&format!("Promise: {p}"))), lines(&verdict), d)
}

/// A shaded row from the left margin to `right`, `h` tall, from `y`.
fn band(s: &mut String, t: &Theme, (right, y): (f32, f32), h: f32) {
    let _ = write!(
        s,
        r#"<rect x="{PAD}" y="{}" width="{}" height="{}" fill="{}"/>"#,
        fmt(y),
        fmt(right - PAD),
        fmt(h),
        t.surface
    );
}

/// A row's title in the label column.
fn label(s: &mut String, title: &str, hint: &str, t: &Theme, y: f32) {
    let _ = write!(
        s,
        r#"<text x="{PAD}" y="{}" font-size="13" font-weight="600" fill="{}">{title}</text><text x="{PAD}" y="{}" font-size="10.5" fill="{}">{}</text>"#,
        fmt(y + 20.0),
        t.text,
        fmt(y + 35.0),
        t.muted,
        esc(hint)
    );
}

fn step_row(s: &mut String, cols: &[Column], t: &Theme, (x0, col_w, y): (f32, f32, f32)) -> f32 {
    band(s, t, (x0 + col_w * cols.len() as f32, y), STEP_H);
    label(s, "Step", "what changed", t, y);
    for (i, c) in cols.iter().enumerate() {
        let x = x0 + col_w * i as f32 + 8.0;
        let change = c.change();
        let (fill, text) = match change {
            Change::Added => (t.opportunity_bg, t.opportunity_text),
            Change::Removed => (t.pain_bg, t.pain_text),
            Change::Changed => (t.thought_bg, t.accent),
            Change::Unchanged => (t.chip_bg, t.muted),
        };
        let bw = crate::fonts::measure(change.label(), 10.5, Weight::SemiBold) + 14.0;
        let _ = write!(
            s,
            r#"<g class="step change-{}"><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="18" rx="9" fill="{fill}"/><text x="{}" y="{}" font-size="10.5" font-weight="600" fill="{text}">{}</text>"#,
            format!("{change:?}").to_lowercase(),
            esc(c.name()),
            change.label(),
            fmt(x),
            fmt(y + 8.0),
            fmt(bw),
            fmt(x + 7.0),
            fmt(y + 21.0),
            change.label()
        );
        let lines = wrap(c.name(), col_w - 16.0, 13.0, Weight::SemiBold, 2);
        let color = if change == Change::Removed { t.muted } else { t.text };
        for (k, line) in lines.lines.iter().enumerate() {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="13" font-weight="600" fill="{color}">{}</text>"#,
                fmt(x),
                fmt(y + 44.0 + 16.0 * k as f32),
                esc(line)
            );
        }
        s.push_str("</g>");
    }
    y + STEP_H
}

#[allow(clippy::too_many_arguments)]
fn emotion_chart(
    s: &mut String,
    current: &Journey,
    future: &Journey,
    cols: &[Column],
    people: &[String],
    t: &Theme,
    (x0, col_w, y): (f32, f32, f32),
    labels: (&str, &str),
) -> f32 {
    let lo = f64::from(current.scale.min.min(future.scale.min));
    let hi = f64::from(current.scale.max.max(future.scale.max));
    let (top, bottom) = (y + 24.0, y + CHART_H - 24.0);
    let y_of = |v: f64| top + ((hi - v.clamp(lo, hi)) / (hi - lo).max(1.0)) as f32 * (bottom - top);
    let mid = y_of((lo + hi) / 2.0);
    let right = x0 + col_w * cols.len() as f32;
    label(s, "Emotion", "solid: future · dashed: current", t, y);
    let _ = write!(
        s,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="3 4"/>"#,
        fmt(x0),
        fmt(mid),
        fmt(right),
        fmt(mid),
        t.muted
    );
    let mut ly = y + 52.0;
    for (pi, p) in people.iter().enumerate() {
        let color = t.personas[pi % t.personas.len()];
        let name = if p.is_empty() { "score" } else { p.as_str() };
        let (name, _) = fit_line(name, LABEL_W - 40.0, 11.0, Weight::Regular);
        let _ = write!(
            s,
            r#"<line x1="{PAD}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}" font-size="11" fill="{}">{}</text>"#,
            fmt(ly),
            PAD + 22.0,
            fmt(ly),
            PAD + 28.0,
            fmt(ly + 4.0),
            t.text,
            esc(&name)
        );
        ly += 16.0;
        let spread = (pi as f32 - (people.len() as f32 - 1.0) / 2.0) * 8.0f32.min(col_w / (people.len() as f32 + 2.0));
        let at = |i: usize, v: f64| (x0 + col_w * (i as f32 + 0.5) + spread, y_of(v), v);
        let now: Vec<Option<(f32, f32, f64)>> =
            cols.iter().enumerate().map(|(i, c)| score(c.current, p).map(|v| at(i, v))).collect();
        let then: Vec<Option<(f32, f32, f64)>> =
            cols.iter().enumerate().map(|(i, c)| score(c.future, p).map(|v| at(i, v))).collect();
        let _ = write!(
            s,
            r#"<path class="curve-current" d="{}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="5 4" opacity="0.7"/><path class="curve-future" d="{}" fill="none" stroke="{color}" stroke-width="3" stroke-linecap="round"/>"#,
            smooth(&now),
            smooth(&then)
        );
        for (x, yy, v) in now.iter().flatten() {
            let _ = write!(
                s,
                r#"<circle cx="{}" cy="{}" r="4.5" fill="{}" stroke="{color}" stroke-width="2"><title>{}: {} now ({})</title></circle>"#,
                fmt(*x),
                fmt(*yy),
                t.background,
                esc(name.as_str()),
                cjm_model::print::number(*v),
                esc(labels.0)
            );
        }
        for (x, yy, v) in then.iter().flatten() {
            let _ = write!(
                s,
                r#"<circle cx="{}" cy="{}" r="6" fill="{color}"><title>{}: {} in the future ({})</title></circle><text x="{}" y="{}" font-size="10.5" font-weight="600" fill="{}">{}</text>"#,
                fmt(*x),
                fmt(*yy),
                esc(name.as_str()),
                cjm_model::print::number(*v),
                esc(labels.1),
                fmt(x + 8.0),
                fmt(yy - 7.0),
                t.text,
                cjm_model::print::number(*v)
            );
        }
    }
    y + CHART_H.max(ly - y + 8.0)
}

/// Each persona's score at each step: now → then, with an arrow.
fn score_changes(
    s: &mut String,
    cols: &[Column],
    people: &[String],
    t: &Theme,
    (x0, col_w, y): (f32, f32, f32),
) -> f32 {
    let h = (16.0 + 17.0 * people.len() as f32).max(44.0);
    band(s, t, (x0 + col_w * cols.len() as f32, y), h);
    label(s, "Score change", "per persona", t, y);
    for (i, c) in cols.iter().enumerate() {
        for (pi, p) in people.iter().enumerate() {
            let (text, color) = match (score(c.current, p), score(c.future, p)) {
                (Some(a), Some(b)) if b > a => (format!("{} → {} ▲ +{}", num(a), num(b), num(b - a)), t.positive),
                (Some(a), Some(b)) if b < a => (format!("{} → {} ▼ −{}", num(a), num(b), num(a - b)), t.negative),
                (Some(a), Some(_)) => (format!("= {}", num(a)), t.muted),
                (None, Some(b)) => (format!("new: {}", num(b)), t.text),
                (Some(a), None) => (format!("{}: gone", num(a)), t.muted),
                (None, None) => ("–".into(), t.muted),
            };
            let who = if p.is_empty() || people.len() == 1 { String::new() } else { format!("{p} ") };
            let (text, _) = fit_line(&format!("{who}{text}"), col_w - 14.0, 11.0, Weight::SemiBold);
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="11" font-weight="600" fill="{color}">{}</text>"#,
                fmt(x0 + col_w * i as f32 + 8.0),
                fmt(y + 18.0 + 17.0 * pi as f32),
                esc(&text)
            );
        }
    }
    y + h
}

fn num(v: f64) -> String {
    cjm_model::print::number((v * 100.0).round() / 100.0)
}

/// The pains of each step now and then, with the worst severity.
fn pains_row(s: &mut String, cols: &[Column], t: &Theme, (x0, col_w, y): (f32, f32, f32)) -> f32 {
    label(s, "Pain points", "now → future", t, y);
    for (i, c) in cols.iter().enumerate() {
        let count = |st: Option<&Step>| st.map_or(0, |s| s.pains.len());
        let (a, b) = (count(c.current), count(c.future));
        let text = match (c.current, c.future) {
            (Some(_), Some(_)) if a == b => format!("{a}, the same"),
            (Some(_), Some(_)) => format!("{a} → {b} {}", if b < a { "▼ fewer" } else { "▲ more" }),
            (None, Some(_)) => format!("{b} (new step)"),
            (Some(_), None) => format!("{a} (step removed)"),
            (None, None) => String::new(),
        };
        let color = if b < a {
            t.positive
        } else if b > a && c.current.is_some() {
            t.negative
        } else {
            t.muted
        };
        let (text, _) = fit_line(&text, col_w - 14.0, 11.0, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" font-weight="600" fill="{color}">{}</text>"#,
            fmt(x0 + col_w * i as f32 + 8.0),
            fmt(y + 24.0),
            esc(&text)
        );
    }
    y + PAIN_H
}
