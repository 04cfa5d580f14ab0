//! The paths chart: a Sankey diagram, one column per step from the anchor,
//! a node per touchpoint sized by its customers, bands between columns
//! sized by the customers who went that way.

use super::{heading, pct, Drawn, PAD};
use crate::fonts::Weight;
use crate::svg::group_digits;
use crate::text::{esc, fit_line};
use crate::theme::{theme, ThemeName};
use std::fmt::Write;

/// Flows from (or into) a touchpoint, column by column.
#[derive(Clone, Debug, PartialEq)]
pub struct PathsChart {
    pub title: String,
    pub subtitle: String,
    /// A heading per column ("from search", "step 2", …).
    pub columns: Vec<String>,
    /// The customers the flows are shares of.
    pub anchored: u64,
    pub nodes: Vec<SankeyNode>,
    pub links: Vec<SankeyLink>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SankeyNode {
    pub column: usize,
    pub name: String,
    /// Grouped or end nodes, drawn in grey.
    pub muted: bool,
    pub customers: u64,
    /// Where a click on the node goes (the page's filter), if anywhere.
    pub href: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SankeyLink {
    pub from: usize,
    pub to: usize,
    pub customers: u64,
}

const NODE_W: f32 = 14.0;
const GAP: f32 = 14.0;

/// Where each node is: its column's x, its top and its height.
fn place(p: &PathsChart, top: f32, flow_h: f32) -> Vec<(f32, f32, f32)> {
    let cols = p.columns.len().max(1);
    let width = chart_width(p);
    let step = if cols > 1 { (width - 2.0 * PAD - NODE_W - 150.0) / (cols - 1) as f32 } else { 0.0 };
    let unit = flow_h / p.anchored.max(1) as f32;
    let mut y_in_col = vec![top; cols];
    p.nodes
        .iter()
        .map(|n| {
            let c = n.column.min(cols - 1);
            let h = (n.customers as f32 * unit).max(2.0);
            let y = y_in_col[c];
            // Room for the two label lines beside even a thin node.
            y_in_col[c] += h.max(28.0) + GAP;
            (PAD + step * c as f32, y, h)
        })
        .collect()
}

fn chart_width(p: &PathsChart) -> f32 {
    (PAD * 2.0 + 210.0 * p.columns.len().max(1) as f32).clamp(900.0, 2000.0)
}

pub(super) fn draw(p: &PathsChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let width = chart_width(p);
    let mut s = String::new();
    let top = heading(&mut s, &p.title, &p.subtitle, width);
    let most = (0..p.columns.len()).map(|c| p.nodes.iter().filter(|n| n.column == c).count()).max().unwrap_or(1);
    let flow_h = (most as f32 * 46.0).clamp(320.0, 900.0);
    let body_top = top + 30.0;
    let at = place(p, body_top, flow_h);
    for (c, label) in p.columns.iter().enumerate() {
        let x = at.iter().zip(&p.nodes).find(|(_, n)| n.column == c).map_or(PAD, |(a, _)| a.0);
        let (label, _) = fit_line(label, 190.0, 12.0, Weight::SemiBold);
        let _ = write!(
            s,
            r#"<text x="{x}" y="{}" font-size="12" font-weight="600" fill="{}">{}</text>"#,
            top + 8.0,
            t.muted,
            esc(&label)
        );
    }
    // Bands leave a node top-down in their targets' order, and enter one in their sources' order.
    let mut out_off: Vec<f32> = vec![0.0; p.nodes.len()];
    let mut in_off: Vec<f32> = vec![0.0; p.nodes.len()];
    let unit = flow_h / p.anchored.max(1) as f32;
    let mut order: Vec<&SankeyLink> =
        p.links.iter().filter(|l| l.from < p.nodes.len() && l.to < p.nodes.len()).collect();
    order.sort_by_key(|l| (l.from, l.to));
    for l in order {
        let (x0, y0, _) = at[l.from];
        let (x1, y1, _) = at[l.to];
        let h = (l.customers as f32 * unit).max(1.0);
        let (a, b) = (y0 + out_off[l.from], y1 + in_off[l.to]);
        out_off[l.from] += h;
        in_off[l.to] += h;
        let (sx, ex) = (x0 + NODE_W, x1);
        let mx = (sx + ex) / 2.0;
        let (from, to) = (&p.nodes[l.from], &p.nodes[l.to]);
        let tip = format!(
            "{} → {}: {} customers ({} of the {} on these paths)",
            from.name,
            to.name,
            group_digits(l.customers),
            pct(l.customers, p.anchored),
            group_digits(p.anchored)
        );
        let _ = write!(
            s,
            r#"<path class="flow" d="M{sx:.1},{a:.1} C{mx:.1},{a:.1} {mx:.1},{b:.1} {ex:.1},{b:.1} L{ex:.1},{:.1} C{mx:.1},{:.1} {mx:.1},{:.1} {sx:.1},{:.1} Z" fill="{}" fill-opacity="{}"><title>{}</title></path>"#,
            b + h,
            b + h,
            a + h,
            a + h,
            if to.muted { t.muted } else { t.accent },
            if to.muted { "0.18" } else { "0.3" },
            esc(&tip)
        );
    }
    for (n, &(x, y, h)) in p.nodes.iter().zip(&at) {
        node(&mut s, n, x, y, h, p.anchored);
    }
    let height = at.iter().map(|a| a.1 + a.2).fold(body_top + flow_h, f32::max) + PAD;
    let desc = format!(
        "Paths of {} customers over {} columns; the largest flows: {}.",
        group_digits(p.anchored),
        p.columns.len(),
        largest(p)
    );
    (width.ceil() as u32, height.ceil() as u32, p.title.clone(), desc, s)
}

fn node(s: &mut String, n: &SankeyNode, x: f32, y: f32, h: f32, anchored: u64) {
    let t = theme(ThemeName::Light);
    let tip = format!("{}: {} customers ({})", n.name, group_digits(n.customers), pct(n.customers, anchored));
    let (name, _) = fit_line(&n.name, 170.0, 12.5, Weight::SemiBold);
    let (lx, anchor) = (x + NODE_W + 6.0, "start");
    let ly = y + (h / 2.0).min(14.0) + 4.0;
    let halo = t.background;
    if let Some(href) = &n.href {
        let _ = write!(s, r#"<a href="{}">"#, esc(href));
    }
    let _ = write!(
        s,
        r#"<g class="node"><title>{}</title><rect x="{x}" y="{y:.1}" width="{NODE_W}" height="{h:.1}" rx="2" fill="{}"/><text x="{lx}" y="{ly:.1}" font-size="12.5" font-weight="600" fill="{}" text-anchor="{anchor}" paint-order="stroke" stroke="{halo}" stroke-width="3">{}</text><text x="{lx}" y="{:.1}" font-size="11" fill="{}" text-anchor="{anchor}" paint-order="stroke" stroke="{halo}" stroke-width="3">{} · {}</text></g>"#,
        esc(&tip),
        if n.muted { t.muted } else { t.text },
        if n.muted { t.muted } else { t.text },
        esc(&name),
        ly + 14.0,
        t.muted,
        group_digits(n.customers),
        pct(n.customers, anchored)
    );
    if n.href.is_some() {
        s.push_str("</a>");
    }
}

/// The three largest flows, in words, for the accessible description.
fn largest(p: &PathsChart) -> String {
    let mut links: Vec<&SankeyLink> = p.links.iter().collect();
    links.sort_by(|a, b| b.customers.cmp(&a.customers).then((a.from, a.to).cmp(&(b.from, b.to))));
    let words: Vec<String> = links
        .iter()
        .take(3)
        .filter_map(|l| {
            let (a, b) = (p.nodes.get(l.from)?, p.nodes.get(l.to)?);
            Some(format!("{} → {} {}", a.name, b.name, group_digits(l.customers)))
        })
        .collect();
    if words.is_empty() {
        "none".into()
    } else {
        words.join(", ")
    }
}
