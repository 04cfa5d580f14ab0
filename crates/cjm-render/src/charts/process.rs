//! The process map: the directly-follows graph, top to bottom, laid out in
//! layers by Sugiyama's method (`rust-sugiyama`: cycle removal, layering,
//! crossing reduction, coordinates), with a start and an end marker. Each
//! arrow carries its count (frequency view) or its median time
//! (performance view) as text as well as width or shade.

use super::{heading, Drawn, PAD};
use crate::fonts::Weight;
use crate::svg::{duration, group_digits};
use crate::text::{esc, fit_line};
use crate::theme::{theme, ThemeName};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq)]
pub struct ProcessChart {
    pub title: String,
    pub subtitle: String,
    /// Label arrows with median times instead of counts.
    pub performance: bool,
    pub nodes: Vec<ProcessNode>,
    pub edges: Vec<ProcessEdge>,
    /// Customers starting at a node, and ending at one (node index, count).
    pub starts: Vec<(usize, u64)>,
    pub ends: Vec<(usize, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcessNode {
    pub name: String,
    pub events: u64,
    pub href: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcessEdge {
    pub from: usize,
    pub to: usize,
    pub count: u64,
    pub median_seconds: Option<f64>,
}

/// The most nodes a process map lays out (the caller keeps the most frequent).
pub const MAX_NODES: usize = 60;
/// The most arrows a process map lays out. layout-rs's crossing reduction
/// grows much faster than the arrows: on a log of 30 touchpoints, 83
/// arrows take 0.3 s, 112 take 5 s and 160 take 90 s, so past this the
/// map shows the most frequent (the slider simplifies further).
pub const MAX_EDGES: usize = 80;

const BOX_H: f32 = 46.0;

/// Where layout-rs put things: boxes by our names (`n3`, `start`, `end`),
/// and each arrow's cubic path by ours (`e5`, `s2`, `t4`), start to end.
#[derive(Clone, Default)]
struct Placed {
    boxes: std::collections::HashMap<String, (f64, f64, f64, f64)>,
    arrows: std::collections::HashMap<String, Vec<(f64, f64)>>,
}

impl layout::core::format::RenderBackend for Placed {
    fn draw_rect(
        &mut self,
        xy: layout::core::geometry::Point,
        size: layout::core::geometry::Point,
        _: &layout::core::style::StyleAttr,
        properties: Option<String>,
        _: Option<layout::core::format::ClipHandle>,
    ) {
        if let Some(p) = properties {
            self.boxes.entry(p).or_insert((xy.x, xy.y, size.x, size.y));
        }
    }
    fn draw_line(
        &mut self,
        _: layout::core::geometry::Point,
        _: layout::core::geometry::Point,
        _: &layout::core::style::StyleAttr,
        _: Option<String>,
    ) {
    }
    fn draw_circle(
        &mut self,
        _: layout::core::geometry::Point,
        _: layout::core::geometry::Point,
        _: &layout::core::style::StyleAttr,
        _: Option<String>,
    ) {
    }
    fn draw_text(&mut self, _: layout::core::geometry::Point, _: &str, _: &layout::core::style::StyleAttr) {}
    fn draw_arrow(
        &mut self,
        path: &[(layout::core::geometry::Point, layout::core::geometry::Point)],
        _: bool,
        head: (bool, bool),
        _: &layout::core::style::StyleAttr,
        properties: Option<String>,
        _: &str,
    ) {
        // The points as one list: start, then control, control, end per curve.
        let mut pts: Vec<(f64, f64)> = Vec::new();
        if let [first, second, rest @ ..] = path {
            pts.extend([
                (first.0.x, first.0.y),
                (first.1.x, first.1.y),
                (second.0.x, second.0.y),
                (second.1.x, second.1.y),
            ]);
            let mut prev_ctrl = (second.0.x, second.0.y);
            let mut prev_end = (second.1.x, second.1.y);
            for p in rest {
                // `S`: the first control mirrors the previous one.
                let c1 = (2.0 * prev_end.0 - prev_ctrl.0, 2.0 * prev_end.1 - prev_ctrl.1);
                pts.extend([c1, (p.0.x, p.0.y), (p.1.x, p.1.y)]);
                prev_ctrl = (p.0.x, p.0.y);
                prev_end = (p.1.x, p.1.y);
            }
        }
        // An edge the layout turned round to break a cycle is drawn from its end.
        if head.0 && !head.1 {
            pts.reverse();
        }
        if let Some(p) = properties {
            self.arrows.insert(p, pts);
        }
    }
    fn create_clip(
        &mut self,
        _: layout::core::geometry::Point,
        _: layout::core::geometry::Point,
        _: usize,
    ) -> layout::core::format::ClipHandle {
        0
    }
}

/// Layouts kept: the same graph is drawn again and again (a page, its
/// downloads, its other side), and laying it out is the costly part.
const KEPT_LAYOUTS: usize = 32;

/// What a layout depends on: the boxes' widths and the arrows, hashed.
fn layout_key(p: &ProcessChart, widths: &[f32]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    widths.iter().for_each(|w| w.to_bits().hash(&mut h));
    p.edges.iter().for_each(|e| (e.from, e.to).hash(&mut h));
    p.starts.iter().for_each(|s| s.0.hash(&mut h));
    p.ends.iter().for_each(|e| e.0.hash(&mut h));
    (p.nodes.len(), p.edges.len(), p.starts.len(), p.ends.len()).hash(&mut h);
    h.finish()
}

/// [`lay_out`], from the kept layouts when this graph was laid out lately.
fn layout(p: &ProcessChart, widths: &[f32]) -> Option<Placed> {
    static KEPT: std::sync::Mutex<Vec<(u64, Placed)>> = std::sync::Mutex::new(Vec::new());
    let kept = || KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let key = layout_key(p, widths);
    {
        let mut k = kept();
        if let Some(i) = k.iter().position(|(h, _)| *h == key) {
            // Most recently used last.
            let entry = k.remove(i);
            let placed = entry.1.clone();
            k.push(entry);
            return Some(placed);
        }
    }
    let placed = lay_out(p, widths)?;
    let mut k = kept();
    if k.len() >= KEPT_LAYOUTS {
        k.remove(0);
    }
    k.push((key, placed.clone()));
    Some(placed)
}

/// Lays the graph out top to bottom with layout-rs (Graphviz's dot method:
/// cycles broken, ranks, crossings reduced, edges routed round the boxes).
fn lay_out(p: &ProcessChart, widths: &[f32]) -> Option<Placed> {
    use layout::core::base::Orientation;
    use layout::core::geometry::Point;
    use layout::core::style::StyleAttr;
    use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
    let n = p.nodes.len();
    let run = || {
        let mut vg = layout::topo::layout::VisualGraph::new(Orientation::TopToBottom);
        let boxed = |vg: &mut layout::topo::layout::VisualGraph, name: String, w: f32, h: f32| {
            let size = Point::new(w as f64, h as f64);
            vg.add_node(Element::create_with_properties(
                ShapeKind::new_box(""),
                StyleAttr::simple(),
                Orientation::LeftToRight,
                size,
                name,
            ))
        };
        let handles: Vec<_> = (0..n).map(|i| boxed(&mut vg, format!("n{i}"), widths[i], BOX_H)).collect();
        let start = boxed(&mut vg, "start".into(), 70.0, 30.0);
        let end = boxed(&mut vg, "end".into(), 70.0, 30.0);
        for (k, e) in p.edges.iter().enumerate().filter(|(_, e)| e.from < n && e.to < n) {
            vg.add_edge(Arrow::simple_with_properties("", format!("e{k}")), handles[e.from], handles[e.to]);
        }
        for &(i, _) in p.starts.iter().filter(|s| s.0 < n) {
            vg.add_edge(Arrow::simple_with_properties("", format!("s{i}")), start, handles[i]);
        }
        for &(i, _) in p.ends.iter().filter(|e| e.0 < n) {
            vg.add_edge(Arrow::simple_with_properties("", format!("t{i}")), handles[i], end);
        }
        let mut placed = Placed::default();
        vg.do_it(false, false, false, &mut placed);
        placed
    };
    // A young library: a panic inside it must not take the request down;
    // the caller then draws the boxes in one column.
    std::panic::catch_unwind(run).ok()
}

fn box_width(name: &str) -> f32 {
    let (shown, _) = fit_line(name, 220.0, 13.0, Weight::SemiBold);
    (crate::fonts::measure(&shown, 13.0, Weight::SemiBold) + 28.0).clamp(90.0, 250.0)
}

/// Box centres for the nodes, then the start and end markers; arrows'
/// paths by name when the layout ran.
type Layout = (Vec<(f32, f32)>, std::collections::HashMap<String, Vec<(f64, f64)>>);

fn placed(p: &ProcessChart, widths: &[f32]) -> Layout {
    let n = p.nodes.len();
    let names = (0..n).map(|i| format!("n{i}")).chain(["start".to_string(), "end".to_string()]);
    if let Some(pl) = layout(p, widths) {
        let centres: Option<Vec<(f32, f32)>> =
            names.map(|k| pl.boxes.get(&k).map(|b| ((b.0 + b.2 / 2.0) as f32, (b.1 + b.3 / 2.0) as f32))).collect();
        if let Some(c) = centres {
            return (c, pl.arrows);
        }
    }
    // One column, start first and end last.
    let mut c: Vec<(f32, f32)> = (0..n).map(|i| (0.0, (i + 1) as f32 * (BOX_H + 50.0))).collect();
    c.extend([(0.0, 0.0), (0.0, (n + 1) as f32 * (BOX_H + 50.0))]);
    (c, Default::default())
}

pub(super) fn draw(p: &ProcessChart) -> Drawn {
    let t = theme(ThemeName::Light);
    let n = p.nodes.len();
    let mut widths: Vec<f32> = p.nodes.iter().map(|x| box_width(&x.name)).collect();
    widths.extend([70.0, 70.0]);
    let (centres, paths) = placed(p, &widths);
    let xs = centres.iter().zip(&widths).flat_map(|(c, w)| [c.0 - w / 2.0, c.0 + w / 2.0]);
    let xs = xs.chain(paths.values().flatten().map(|q| q.0 as f32));
    let ys = centres.iter().flat_map(|c| [c.1 - BOX_H / 2.0, c.1 + BOX_H / 2.0]);
    let ys = ys.chain(paths.values().flatten().map(|q| q.1 as f32));
    let (min_x, max_x) = xs.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (min_y, max_y) = ys.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let width = (max_x - min_x + 2.0 * PAD + 80.0).max(760.0);
    let mut s = String::new();
    let top = heading(&mut s, &p.title, &p.subtitle, width);
    let (ox, oy) = ((width - (max_x - min_x)) / 2.0 - min_x, top + 20.0 - min_y);
    let pos: Vec<(f32, f32)> = centres.iter().map(|a| (a.0 + ox, a.1 + oy)).collect();
    let shift =
        |pts: &Vec<(f64, f64)>| -> Vec<(f32, f32)> { pts.iter().map(|q| (q.0 as f32 + ox, q.1 as f32 + oy)).collect() };
    let max_count = p.edges.iter().map(|e| e.count).max().unwrap_or(1).max(1) as f32;
    let max_time = p.edges.iter().filter_map(|e| e.median_seconds).fold(0.0f64, f64::max).max(1.0);
    let _ = write!(
        s,
        r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker></defs>"#,
        t.muted
    );
    for (k, e) in p.edges.iter().enumerate().filter(|(_, e)| e.from < n && e.to < n) {
        let strength = if p.performance {
            e.median_seconds.map_or(0.0, |m| (m / max_time) as f32)
        } else {
            e.count as f32 / max_count
        };
        let label =
            if p.performance { e.median_seconds.map_or("-".to_string(), duration) } else { group_digits(e.count) };
        let tip = format!(
            "{} → {}: {} times directly after{}",
            p.nodes[e.from].name,
            p.nodes[e.to].name,
            group_digits(e.count),
            e.median_seconds.map_or(String::new(), |m| format!(", median {} between them", duration(m)))
        );
        // A pair of opposite arrows would lie on one line: each moves to its own side.
        let opposite = p.edges.iter().any(|o| o.from == e.to && o.to == e.from && e.from != e.to);
        let side = if !opposite {
            0.0
        } else if e.from < e.to {
            9.0
        } else {
            -9.0
        };
        let route = paths.get(&format!("e{k}")).map(|r| shift(r).into_iter().map(|q| (q.0 + side, q.1)).collect());
        let (a, b) = ((pos[e.from].0 + side, pos[e.from].1), (pos[e.to].0 + side, pos[e.to].1));
        arrow(&mut s, route, a, b, (widths[e.from], widths[e.to]), strength, &label, &tip, side * 1.6);
    }
    for &(i, c) in p.starts.iter().filter(|s| s.0 < n) {
        let tip = format!("{} customers start at {}", group_digits(c), p.nodes[i].name);
        let route = paths.get(&format!("s{i}")).map(shift);
        arrow(&mut s, route, pos[n], pos[i], (70.0, widths[i]), 0.0, &group_digits(c), &tip, 0.0);
    }
    for &(i, c) in p.ends.iter().filter(|e| e.0 < n) {
        let tip = format!("{} customers end at {}", group_digits(c), p.nodes[i].name);
        let route = paths.get(&format!("t{i}")).map(shift);
        arrow(&mut s, route, pos[i], pos[n + 1], (widths[i], 70.0), 0.0, &group_digits(c), &tip, 0.0);
    }
    for (i, node) in p.nodes.iter().enumerate() {
        draw_node(&mut s, node, pos[i], widths[i]);
    }
    for (k, word) in [(n, "start"), (n + 1, "end")] {
        let (x, y) = pos[k];
        let _ = write!(
            s,
            r#"<g class="marker"><rect x="{:.1}" y="{:.1}" width="70" height="30" rx="15" fill="{}"/><text x="{x:.1}" y="{:.1}" font-size="12" font-weight="600" fill="{}" text-anchor="middle">{word}</text></g>"#,
            x - 35.0,
            y - 15.0,
            t.text,
            y + 4.0,
            t.background
        );
    }
    let height = max_y + oy + PAD;
    let desc = format!(
        "Process map of {} touchpoints and {} transitions; {}.",
        n,
        p.edges.len(),
        if p.performance { "arrows labelled with median times" } else { "arrows labelled with counts" }
    );
    (width.ceil() as u32, height.ceil() as u32, p.title.clone(), desc, s)
}

fn draw_node(s: &mut String, node: &ProcessNode, (x, y): (f32, f32), w: f32) {
    let t = theme(ThemeName::Light);
    let (name, _) = fit_line(&node.name, w - 20.0, 13.0, Weight::SemiBold);
    if let Some(href) = &node.href {
        let _ = write!(s, r#"<a href="{}">"#, esc(href));
    }
    let _ = write!(
        s,
        r#"<g class="activity"><title>{}: {} events</title><rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{BOX_H}" rx="8" fill="{}" stroke="{}" stroke-width="1.5"/><text x="{x:.1}" y="{:.1}" font-size="13" font-weight="600" fill="{}" text-anchor="middle">{}</text><text x="{x:.1}" y="{:.1}" font-size="11" fill="{}" text-anchor="middle">{} events</text></g>"#,
        esc(&node.name),
        group_digits(node.events),
        x - w / 2.0,
        y - BOX_H / 2.0,
        t.surface,
        t.accent,
        y - 3.0,
        t.text,
        esc(&name),
        y + 13.0,
        t.muted,
        group_digits(node.events)
    );
    if node.href.is_some() {
        s.push_str("</a>");
    }
}

/// An arrow from box `a` to box `b`: along the layout's `route` when there
/// is one, else down from a's foot to b's head (or round the right-hand
/// side when b is not below a); its label at the middle, moved `label_dx`
/// sideways. `strength` (0..1) sets width and shade.
#[allow(clippy::too_many_arguments)]
fn arrow(
    s: &mut String,
    route: Option<Vec<(f32, f32)>>,
    a: (f32, f32),
    b: (f32, f32),
    (wa, wb): (f32, f32),
    strength: f32,
    label: &str,
    tip: &str,
    label_dx: f32,
) {
    let t = theme(ThemeName::Light);
    let half = BOX_H / 2.0;
    let width = 1.2 + 4.0 * strength.clamp(0.0, 1.0);
    let routed = route.filter(|r| r.len() >= 4 && (r.len() - 1) % 3 == 0).map(|r| {
        let mut d = format!("M{:.1},{:.1}", r[0].0, r[0].1);
        for c in r[1..].chunks(3) {
            let _ = write!(d, " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}", c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1);
        }
        // The label at the middle of the middle curve.
        let m = (r.len() - 1) / 3 / 2 * 3;
        let (p0, p1, p2, p3) = (r[m], r[m + 1], r[m + 2], r[m + 3]);
        let mid = |a: f32, b: f32, c: f32, d: f32| (a + 3.0 * b + 3.0 * c + d) / 8.0;
        (d, mid(p0.0, p1.0, p2.0, p3.0), mid(p0.1, p1.1, p2.1, p3.1))
    });
    let (d, lx, ly) = routed.unwrap_or_else(|| {
        if b.1 > a.1 + 1.0 {
            let (sy, ey) = (a.1 + half, b.1 - half - 2.0);
            let my = (sy + ey) / 2.0;
            (
                format!("M{:.1},{sy:.1} C{:.1},{my:.1} {:.1},{my:.1} {:.1},{ey:.1}", a.0, a.0, b.0, b.0),
                (a.0 + b.0) / 2.0,
                my,
            )
        } else {
            let (sx, ex) = (a.0 + wa / 2.0, b.0 + wb / 2.0 + 2.0);
            let out = sx.max(ex) + 40.0 + (a.1 - b.1).abs() * 0.15;
            (
                format!("M{sx:.1},{:.1} C{out:.1},{:.1} {out:.1},{:.1} {ex:.1},{:.1}", a.1, a.1, b.1, b.1),
                out - 8.0,
                (a.1 + b.1) / 2.0,
            )
        }
    });
    let shade = if strength > 0.5 { t.text } else { t.muted };
    let lx = lx + label_dx;
    let _ = write!(
        s,
        r#"<g class="transition"><title>{}</title><path d="{d}" fill="none" stroke="{shade}" stroke-width="{width:.2}" stroke-opacity="0.75" marker-end="url(#arrow)"/><text x="{lx:.1}" y="{:.1}" font-size="11" font-weight="600" fill="{}" text-anchor="middle" paint-order="stroke" stroke="{}" stroke-width="3">{}</text></g>"#,
        esc(tip),
        ly + 4.0,
        t.text,
        t.background,
        esc(label)
    );
}
