//! The opportunity matrix: impact up, effort across, three levels a side,
//! the four quadrants of [`cjm_model::portfolio`] shaded and named, each
//! opportunity a numbered chip in its cell; under it the ranked list with
//! status, owner and the pains each addresses. Rank numbers are the
//! portfolio's, so the chip and the row of an opportunity carry the same.

use super::{heading, Drawn, PAD};
use crate::fonts::Weight;
use crate::text::{esc, fit_line, wrap};
use crate::theme::{theme, ThemeName};
use cjm_model::portfolio::{Item, Quadrant};
use cjm_model::Level;
use std::fmt::Write;

/// The matrix of some opportunities (already filtered and ranked).
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixChart {
    pub title: String,
    pub subtitle: String,
    pub items: Vec<Item>,
    /// The matrix alone: no heading and no list (a page that shows both
    /// itself); a download or a deck has them.
    pub bare: bool,
}

impl From<MatrixChart> for super::Chart {
    fn from(m: MatrixChart) -> super::Chart {
        super::Chart::Matrix(m)
    }
}

const WIDTH: f32 = 1200.0;
const AXIS: f32 = 96.0;
/// A chip's height for one line of text; each more line adds [`LINE`].
const CHIP_H: f32 = 24.0;
const LINE: f32 = 15.0;
/// Chips drawn in one cell before "+N more".
const CELL_CHIPS: usize = 8;
/// Rows of the ranked list drawn under the matrix.
const LIST_ROWS: usize = 40;

fn col(effort: Level) -> usize {
    effort as usize
}

fn row(impact: Level) -> usize {
    2 - impact as usize
}

pub(super) fn draw(m: &MatrixChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let mut s = String::new();
    let top = if m.bare { PAD / 2.0 } else { heading(&mut s, &m.title, &m.subtitle, WIDTH) };
    let mut cells: Vec<Vec<&Item>> = vec![Vec::new(); 9];
    for i in &m.items {
        if let (Some(a), Some(e)) = (i.impact, i.effort) {
            cells[row(a) * 3 + col(e)].push(i);
        }
    }
    let cell_w = (WIDTH - 2.0 * PAD - AXIS) / 3.0;
    let chip_w = cell_w - 20.0;
    // Each cell's chips laid out first: their lines decide the row heights.
    let laid: Vec<Vec<(&Item, Vec<String>)>> =
        cells.iter().map(|cell| cell.iter().take(CELL_CHIPS).map(|i| (*i, chip_lines(i, chip_w))).collect()).collect();
    let cell_h = |k: usize| {
        let chips: f32 = laid[k].iter().map(|(_, l)| chip_h(l) + 4.0).sum();
        let more = if cells[k].len() > CELL_CHIPS { 22.0 } else { 0.0 };
        34.0 + chips + more + 8.0
    };
    let heights: Vec<f32> = (0..3).map(|r| (0..3).map(|c| cell_h(r * 3 + c)).fold(96.0f32, f32::max)).collect();
    let x0 = PAD + AXIS;
    let y_of = |r: usize| top + heights[..r].iter().sum::<f32>();
    let grid_h: f32 = heights.iter().sum();
    // Quadrants: cells (rows, cols) each covers.
    let quads = [
        (Quadrant::QuickWin, 0..2, 0..2, t.stages[1]),
        (Quadrant::BigBet, 0..2, 2..3, t.stages[0]),
        (Quadrant::FillIn, 2..3, 0..2, t.stages[4]),
        (Quadrant::MoneyPit, 2..3, 2..3, t.stages[5]),
    ];
    for (q, rows, cols, fill) in &quads {
        let (x, y) = (x0 + cell_w * cols.start as f32, y_of(rows.start));
        let (w, h) = (cell_w * cols.len() as f32, y_of(rows.end) - y);
        let n = m.items.iter().filter(|i| i.quadrant == *q).count();
        let _ = write!(
            s,
            r#"<g class="quadrant"><title>{}: {}; {n} here</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"/><text x="{:.1}" y="{:.1}" font-size="13" font-weight="600" fill="{}">{} · {n}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="{}" text-anchor="end">{}</text></g>"#,
            q.label(),
            q.advice(),
            x + 10.0,
            y + 20.0,
            t.text,
            q.label(),
            x + w - 10.0,
            y + 20.0,
            t.muted,
            esc(q.advice())
        );
    }
    for r in 0..=3 {
        let y = y_of(r);
        let _ = write!(s, r#"<line x1="{x0}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}"/>"#, WIDTH - PAD, t.border);
    }
    for c in 0..=3 {
        let x = x0 + cell_w * c as f32;
        let _ =
            write!(s, r#"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="{}"/>"#, top + grid_h, t.border);
    }
    for (r, level) in ["high", "medium", "low"].iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{}" text-anchor="end">{level}</text>"#,
            x0 - 8.0,
            y_of(r) + heights[r] / 2.0 + 4.0,
            t.muted
        );
    }
    let _ = write!(
        s,
        r#"<text x="{PAD}" y="{:.1}" font-size="13" font-weight="600" fill="{}" transform="rotate(-90 {PAD} {:.1})" text-anchor="middle" dy="12">Impact ↑</text>"#,
        top + grid_h / 2.0,
        t.text,
        top + grid_h / 2.0
    );
    for (c, level) in ["low", "medium", "high"].iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{}" text-anchor="middle">{level}</text>"#,
            x0 + cell_w * (c as f32 + 0.5),
            top + grid_h + 18.0,
            t.muted
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" font-weight="600" fill="{}" text-anchor="middle">Effort →</text>"#,
        x0 + cell_w * 1.5,
        top + grid_h + 38.0,
        t.text
    );
    for (k, cell) in cells.iter().enumerate() {
        let (r, c) = (k / 3, k % 3);
        let (x, mut y) = (x0 + cell_w * c as f32 + 10.0, y_of(r) + 32.0);
        for (i, lines) in &laid[k] {
            chip(&mut s, i, lines, x, y, chip_w);
            y += chip_h(lines) + 4.0;
        }
        if cell.len() > CELL_CHIPS {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" font-size="12" fill="{}">+{} more in the list</text>"#,
                y + 16.0,
                t.muted,
                cell.len() - CELL_CHIPS
            );
        }
    }
    let mut y = top + grid_h + 64.0;
    let unrated = m.items.iter().filter(|i| i.quadrant == Quadrant::Unrated).count();
    if unrated > 0 {
        let _ = write!(
            s,
            r#"<text x="{PAD}" y="{y:.1}" font-size="12" fill="{}">{unrated} not rated (no impact or no effort), so not on the matrix: in the list below.</text>"#,
            t.muted
        );
        y += 24.0;
    }
    if !m.bare {
        y = list(&mut s, &m.items, y);
    }
    let desc = format!(
        "Impact × effort matrix of {} opportunities: {}.",
        m.items.len(),
        cjm_model::portfolio::tally(&m.items).iter().map(|(q, n)| q.count(*n)).collect::<Vec<_>>().join(", ")
    );
    (WIDTH as u32, (y + PAD / 2.0).ceil() as u32, m.title.clone(), desc, s)
}

/// A chip's text: the opportunity and its status, in at most two lines.
fn chip_lines(i: &Item, w: f32) -> Vec<String> {
    let status = i.status.map_or(String::new(), |st| format!(" · {}", st.as_str()));
    wrap(&format!("{}{status}", i.text), w - 40.0, 12.0, Weight::Regular, 2).lines
}

fn chip_h(lines: &[String]) -> f32 {
    CHIP_H + LINE * lines.len().saturating_sub(1) as f32
}

/// One opportunity in its cell: its rank and text, greyed when closed.
fn chip(s: &mut String, i: &Item, lines: &[String], x: f32, y: f32, w: f32) {
    let t = theme(ThemeName::Light);
    let closed = !i.is_open();
    let _ = write!(
        s,
        r#"<g class="chip"><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" rx="5" fill="{}" stroke="{}"/><text x="{:.1}" y="{:.1}" font-size="12" font-weight="700" fill="{}">{}</text>"#,
        esc(&tip(i)),
        chip_h(lines),
        t.background,
        t.border,
        x + 8.0,
        y + 16.0,
        t.accent,
        i.rank,
    );
    for (n, line) in lines.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{}">{}</text>"#,
            x + 36.0,
            y + 16.0 + LINE * n as f32,
            if closed { t.muted } else { t.text },
            esc(line)
        );
    }
    s.push_str("</g>");
}

fn tip(i: &Item) -> String {
    let level = |l: Option<Level>| l.map_or("not given", Level::as_str);
    let mut tip = format!(
        "#{} {}. {} (impact {}, effort {}). Step: {}",
        i.rank,
        i.text,
        i.quadrant.label(),
        level(i.impact),
        level(i.effort),
        i.step
    );
    if let Some(st) = i.status {
        let _ = write!(tip, ". Status: {}", st.as_str());
    }
    if let Some(o) = &i.owner {
        let _ = write!(tip, ". Owner: {o}");
    }
    tip
}

/// The ranked list: rank, opportunity, quadrant, status, owner, pains.
fn list(s: &mut String, items: &[Item], mut y: f32) -> f32 {
    let t = theme(ThemeName::Light);
    let cols = [PAD, PAD + 44.0, PAD + 450.0, PAD + 560.0, PAD + 660.0, PAD + 780.0];
    let heads = ["#", "Opportunity", "Quadrant", "Status", "Owner", "Pain points it addresses"];
    for (x, h) in cols.iter().zip(heads) {
        let _ = write!(s, r#"<text x="{x}" y="{y:.1}" font-size="12" font-weight="600" fill="{}">{h}</text>"#, t.muted);
    }
    y += 8.0;
    let _ = write!(s, r#"<line x1="{PAD}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{}"/>"#, WIDTH - PAD, t.border);
    for i in items.iter().take(LIST_ROWS) {
        y += 22.0;
        let pains = i
            .pains
            .iter()
            .map(|p| p.severity.map_or(p.text.clone(), |sv| format!("{} ({sv})", p.text)))
            .collect::<Vec<_>>()
            .join("; ");
        let cells = [
            i.rank.to_string(),
            i.text.clone(),
            i.quadrant.name().to_string(),
            i.status.map_or("-", |st| st.as_str()).to_string(),
            i.owner.clone().unwrap_or_else(|| "-".into()),
            if pains.is_empty() { "-".into() } else { pains },
        ];
        let _ = write!(s, r#"<g class="row"><title>{}</title>"#, esc(&tip(i)));
        for (k, (x, c)) in cols.iter().zip(&cells).enumerate() {
            let room = cols.get(k + 1).copied().unwrap_or(WIDTH - PAD) - x - 10.0;
            let (shown, _) = fit_line(c, room, 12.0, if k == 0 { Weight::SemiBold } else { Weight::Regular });
            let _ = write!(s, r#"<text x="{x}" y="{y:.1}" font-size="12" fill="{}">{}</text>"#, t.text, esc(&shown));
        }
        s.push_str("</g>");
    }
    if items.len() > LIST_ROWS {
        y += 24.0;
        let _ = write!(
            s,
            r#"<text x="{PAD}" y="{y:.1}" font-size="12" fill="{}">and {} more (the CSV and JSON list them all)</text>"#,
            t.muted,
            items.len() - LIST_ROWS
        );
    }
    if items.is_empty() {
        y += 22.0;
        let _ = write!(s, r#"<text x="{PAD}" y="{y:.1}" font-size="12" fill="{}">No opportunities.</text>"#, t.muted);
    }
    y + 8.0
}
