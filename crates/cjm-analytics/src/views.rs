//! The views: each a function from a (filtered) log to its figures, and a
//! function from the figures to a chart. Every view is bounded: work is
//! linear in the log (the breakdown: in the log times [`MAX_SEGMENTS`]),
//! and what is drawn has a fixed most.

use crate::QueryError;
use cjm_events::{EventLog, NONE, UNKNOWN_TIME};
use cjm_mine::analysis::{FunnelReport, FunnelSpec};
use cjm_mine::paths::{Anchor, NodeKind, Paths, PathsSpec};
use cjm_mine::trend::{Bucket, ConversionBucket, Interval};
use cjm_model::portfolio::csv_field;
use cjm_render::charts::*;
use cjm_render::{duration, group_digits};
use rustc_hash::FxHashSet;
use serde::Serialize;

/// The most segments a breakdown compares (those with the most customers).
pub const MAX_SEGMENTS: usize = 12;
/// The most variants a view lists.
pub const MAX_VARIANTS: usize = 200;

// ---------------------------------------------------------------- overview

#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub events: u64,
    pub customers: u64,
    /// The first and last event times (microseconds), if any are known.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub touchpoints: Vec<cjm_mine::contract::TouchpointStats>,
    pub channels: Vec<cjm_mine::analysis::ChannelReach>,
}

pub fn overview(log: &EventLog) -> Overview {
    let j = cjm_mine::journeys::build(log);
    let s = cjm_mine::summary::summarize(log, &j, &[], 0);
    let timed = || log.time.iter().copied().filter(|&t| t != UNKNOWN_TIME);
    Overview {
        events: s.n_events,
        customers: s.n_customers,
        first: timed().min(),
        last: timed().max(),
        touchpoints: s.touchpoints,
        channels: channel_reach(log),
    }
}

/// Events and customers per channel, most customers first (ties by name).
fn channel_reach(log: &EventLog) -> Vec<cjm_mine::analysis::ChannelReach> {
    let n = log.channels.len();
    let mut events = vec![0u64; n];
    let mut seen: FxHashSet<(u32, u32)> = FxHashSet::default();
    let mut customers = vec![0u64; n];
    for (&c, &case) in log.channel.iter().zip(&log.case) {
        if c != NONE {
            events[c as usize] += 1;
            if seen.insert((c, case)) {
                customers[c as usize] += 1;
            }
        }
    }
    let mut out: Vec<_> = (0..n)
        .filter(|&c| events[c] > 0)
        .map(|c| cjm_mine::analysis::ChannelReach {
            channel: log.channels.get(c as u32).to_string(),
            events: events[c],
            customers: customers[c],
        })
        .collect();
    out.sort_by(|a, b| b.customers.cmp(&a.customers).then_with(|| a.channel.as_bytes().cmp(b.channel.as_bytes())));
    out
}

// ---------------------------------------------------------------- funnel

#[derive(Clone, Debug, Serialize)]
pub struct FunnelView {
    /// Customers with an event after the filters: step 1's denominator.
    pub customers: u64,
    pub report: FunnelReport,
    /// Time from the first step to the last, for those who converted.
    pub histogram: Vec<Bin>,
    pub by: Option<String>,
    /// The funnel per value of `by`, most customers first.
    pub breakdown: Vec<Segment>,
    /// Values of `by` beyond [`MAX_SEGMENTS`], left out.
    pub segments_left_out: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Bin {
    pub from_seconds: f64,
    pub to_seconds: f64,
    pub customers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Segment {
    pub value: String,
    pub customers: u64,
    /// The segment's funnel; its `dropped` lists are empty (the page
    /// names a segment's dropped customers through the `segment` filter).
    pub report: FunnelReport,
}

pub fn funnel(log: &EventLog, spec: &FunnelSpec, by: Option<&str>) -> Result<FunnelView, QueryError> {
    if spec.steps.is_empty() {
        return Err(QueryError::new("steps", "choose the funnel's steps: at least one touchpoint"));
    }
    let j = cjm_mine::journeys::build(log);
    let (mut ranked, mut masks, mut left_out) = (Vec::new(), Vec::new(), 0);
    if let Some(attr) = by {
        // Each segment keeps whole customers, so a customer's funnel is the
        // same in it as in the log: every journey is matched once, for the
        // whole funnel and its segments together.
        let column = SegmentColumn::of(log, attr)?;
        ranked = segment_sizes(log, &j, &column);
        left_out = ranked.len().saturating_sub(MAX_SEGMENTS);
        ranked.truncate(MAX_SEGMENTS);
        masks = segment_masks(log, &j, &column, &ranked);
    }
    let (report, reports) = cjm_mine::analysis::funnel_report_by(log, &j, spec, &masks);
    let mut view = funnel_of(j.customers() as u64, report);
    let breakdown = ranked
        .into_iter()
        .zip(reports)
        .map(|((_, value, customers), report)| Segment { value, customers, report })
        .collect();
    view.by = by.map(str::to_string);
    view.breakdown = breakdown;
    view.segments_left_out = left_out;
    Ok(view)
}

/// The funnel of `customers` (those with an event after the filters)
/// from its report, as any backend computes it: no breakdown.
pub fn funnel_of(customers: u64, report: FunnelReport) -> FunnelView {
    let histogram = bins(&report.conversion_seconds);
    FunnelView { customers, report, histogram, by: None, breakdown: Vec::new(), segments_left_out: 0 }
}

/// The funnel broken down by `by` from another backend's segments (each
/// value with its summary and analysis; the analysis' funnel report is
/// the segment's), ranked as [`funnel`] ranks them: most customers first,
/// ties by name bytes, the first [`MAX_SEGMENTS`] kept and the rest
/// counted as left out.
pub fn broken_down(
    mut view: FunnelView,
    by: &str,
    segments: Vec<(String, cjm_mine::Summary, Option<cjm_mine::analysis::Analysis>)>,
) -> FunnelView {
    let mut segments: Vec<(String, u64, FunnelReport)> = segments
        .into_iter()
        .filter_map(|(value, s, a)| a.and_then(|a| a.funnel).map(|f| (value, s.n_customers, f)))
        .filter(|s| s.1 > 0)
        .collect();
    segments.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
    view.segments_left_out = segments.len().saturating_sub(MAX_SEGMENTS);
    segments.truncate(MAX_SEGMENTS);
    view.by = Some(by.to_string());
    view.breakdown =
        segments.into_iter().map(|(value, customers, report)| Segment { value, customers, report }).collect();
    view
}

/// Where a breakdown's values are: a customer attribute (one value per
/// customer), an event attribute or the channel (a customer has every
/// value of its events).
enum SegmentColumn<'a> {
    Customer(&'a cjm_events::AttrColumn),
    Event(&'a cjm_events::AttrColumn),
    Channel,
}

impl<'a> SegmentColumn<'a> {
    fn of(log: &'a EventLog, attr: &str) -> Result<Self, QueryError> {
        cjm_mine::analysis::breakdown_values(log, attr).map_err(|e| QueryError::new("by", e.to_string()))?;
        let bare = attr.strip_prefix("case:").unwrap_or(attr);
        Ok(if let Some(col) = log.case_attrs.iter().find(|a| a.name == bare) {
            SegmentColumn::Customer(col)
        } else if let Some(col) = log.attrs.iter().find(|a| a.name == attr) {
            SegmentColumn::Event(col)
        } else {
            SegmentColumn::Channel
        })
    }

    /// Each (value, customer) pair of the log, once each: customer by
    /// customer along the journeys, a value marked with the customer that
    /// last had it (no hashing).
    fn pairs(&self, log: &EventLog, j: &cjm_mine::journeys::Journeys, mut each: impl FnMut(u32, usize)) {
        let values = self.values(log);
        let mut last = vec![usize::MAX; values];
        for c in 0..j.slots() {
            let r = j.range(c);
            if r.is_empty() {
                continue;
            }
            let mut mark = |v: u32| {
                if v != NONE && (v as usize) < values && last[v as usize] != c {
                    last[v as usize] = c;
                    each(v, c);
                }
            };
            match self {
                SegmentColumn::Customer(col) => mark(col.id(c)),
                SegmentColumn::Event(col) => r.for_each(|pos| mark(col.id(j.rows[pos] as usize))),
                SegmentColumn::Channel => r.for_each(|pos| mark(log.channel[j.rows[pos] as usize])),
            }
        }
    }

    /// How many values there can be: each is below this.
    fn values(&self, log: &EventLog) -> usize {
        match self {
            SegmentColumn::Customer(col) | SegmentColumn::Event(col) => col.dict.len(),
            SegmentColumn::Channel => log.channels.len(),
        }
    }

    fn name(&self, log: &EventLog, v: u32) -> String {
        match self {
            SegmentColumn::Customer(col) | SegmentColumn::Event(col) => col.dict.get(v).to_string(),
            SegmentColumn::Channel => log.channels.get(v).to_string(),
        }
    }
}

/// Each value with its customers, most first (ties by name bytes).
fn segment_sizes(log: &EventLog, j: &cjm_mine::journeys::Journeys, column: &SegmentColumn) -> Vec<(u32, String, u64)> {
    let mut counts = vec![0u64; column.values(log)];
    column.pairs(log, j, |v, _| counts[v as usize] += 1);
    let mut out: Vec<(u32, String, u64)> = (0..counts.len() as u32)
        .filter(|&v| counts[v as usize] > 0)
        .map(|v| (v, column.name(log, v), counts[v as usize]))
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.as_bytes().cmp(b.1.as_bytes())));
    out
}

/// For each ranked value, which customers have it.
fn segment_masks(
    log: &EventLog,
    j: &cjm_mine::journeys::Journeys,
    column: &SegmentColumn,
    ranked: &[(u32, String, u64)],
) -> Vec<Vec<bool>> {
    let mut masks = vec![vec![false; j.slots()]; ranked.len()];
    let mut index = vec![usize::MAX; column.values(log)];
    for (i, (v, _, _)) in ranked.iter().enumerate() {
        index[*v as usize] = i;
    }
    column.pairs(log, j, |v, c| {
        if let Some(mask) = masks.get_mut(index[v as usize]) {
            mask[c] = true;
        }
    });
    masks
}

/// Up to 12 bins of a whole number of "nice" widths covering the times.
fn bins(seconds: &[f64]) -> Vec<Bin> {
    let Some(&max) = seconds.iter().max_by(|a, b| a.total_cmp(b)) else { return Vec::new() };
    const NICE: [f64; 14] = [
        1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 10800.0, 21600.0, 86400.0, 604800.0, 2592000.0, 7776000.0,
        31536000.0,
    ];
    let width = NICE.iter().copied().find(|w| max / w < 12.0).unwrap_or_else(|| (max / 12.0).ceil().max(1.0));
    let n = ((max / width).floor() as usize + 1).min(12);
    let mut out: Vec<Bin> = (0..n)
        .map(|i| Bin { from_seconds: i as f64 * width, to_seconds: (i + 1) as f64 * width, customers: 0 })
        .collect();
    for &s in seconds {
        let i = ((s.max(0.0) / width).floor() as usize).min(n - 1);
        out[i].customers += 1;
    }
    out
}

/// The funnel's bars; with a breakdown, a bar per segment at each step.
pub fn funnel_chart(v: &FunnelView, log_name: &str) -> Chart {
    let f = &v.report;
    let how = match (f.ordered, f.strict) {
        (false, _) => "in any order",
        (true, true) => "each directly after the previous",
        (true, false) => "in order",
    };
    let window = f.window_seconds.map_or(String::new(), |w| format!(", within {}", duration(w as f64)));
    FunnelChart {
        title: format!("Funnel in {log_name}"),
        subtitle: format!("{} customers; steps {how}{window}", group_digits(v.customers)),
        customers: v.customers,
        steps: f
            .steps
            .iter()
            .map(|s| FunnelBar {
                name: s.touchpoint.clone(),
                reached: s.reached,
                median_seconds_from_start: s.median_seconds_from_start,
            })
            .collect(),
        groups: v
            .breakdown
            .iter()
            .map(|s| FunnelGroup {
                name: s.value.clone(),
                customers: s.customers,
                reached: s.report.steps.iter().map(|x| x.reached).collect(),
            })
            .collect(),
    }
    .into()
}

/// The histogram of time to convert; `None` when nobody converted.
pub fn time_to_convert_chart(v: &FunnelView, log_name: &str) -> Option<Chart> {
    if v.histogram.is_empty() {
        return None;
    }
    let converted: u64 = v.histogram.iter().map(|b| b.customers).sum();
    let last = v.report.steps.last().map_or("", |s| s.touchpoint.as_str());
    let first = v.report.steps.first().map_or("", |s| s.touchpoint.as_str());
    let median = v.report.steps.last().and_then(|s| s.median_seconds_from_start);
    Some(
        BarsChart {
            title: format!("Time to convert in {log_name}"),
            subtitle: format!(
                "{} customers from {first} to {last}{}",
                group_digits(converted),
                median.map_or(String::new(), |m| format!("; median {}", duration(m)))
            ),
            bars: v
                .histogram
                .iter()
                .map(|b| Bar {
                    label: format!("{}–{}", duration(b.from_seconds), duration(b.to_seconds)),
                    value: b.customers as f64,
                    shown: group_digits(b.customers),
                    tip: format!(
                        "{} customers took from {} to {} to go from {first} to {last}",
                        group_digits(b.customers),
                        duration(b.from_seconds),
                        duration(b.to_seconds)
                    ),
                })
                .collect(),
            note: "customers per time band".into(),
        }
        .into(),
    )
}

/// `--export-dropped` and the web page's download: who dropped before each
/// step, as CSV (`dropped_before_step,step,customer_id`).
pub fn dropped_csv(f: &FunnelReport) -> String {
    let mut csv = String::from("dropped_before_step,step,customer_id\n");
    for (i, ids) in f.dropped.iter().enumerate() {
        for id in ids {
            csv.push_str(&format!("{},{},{}\n", i + 1, csv_field(&f.steps[i].touchpoint), csv_field(id)));
        }
    }
    csv
}

// ---------------------------------------------------------------- paths

pub fn paths(log: &EventLog, spec: &PathsSpec) -> Result<Paths, QueryError> {
    check_paths(spec)?;
    if let Anchor::From(t) | Anchor::Into(t) = &spec.anchor {
        if log.activities.lookup(t).is_none() {
            return Err(no_anchor(t));
        }
    }
    let j = cjm_mine::journeys::build(log);
    Ok(cjm_mine::paths::paths(log, &j, spec))
}

/// A paths question whose depth is out of range is refused before any
/// backend runs it.
pub fn check_paths(spec: &PathsSpec) -> Result<(), QueryError> {
    if !(1..=cjm_mine::paths::MAX_DEPTH).contains(&spec.depth) {
        return Err(QueryError::new("depth", format!("choose a depth from 1 to {}", cjm_mine::paths::MAX_DEPTH)));
    }
    Ok(())
}

fn no_anchor(t: &str) -> QueryError {
    QueryError::new("anchor", format!("the log has no touchpoint `{t}`"))
}

/// The paths of another backend's parts, as [`paths`] gives them; `known`
/// says whether the log has the anchor's touchpoint.
pub fn paths_of(parts: cjm_mine::paths::PathParts, spec: &PathsSpec, known: bool) -> Result<Paths, QueryError> {
    check_paths(spec)?;
    match &spec.anchor {
        Anchor::From(t) | Anchor::Into(t) if !known => Err(no_anchor(t)),
        _ => Ok(cjm_mine::paths::finish_paths(parts, spec)),
    }
}

/// The Sankey of `p`; `href` says where a click on a touchpoint goes.
pub fn paths_chart(
    p: &Paths,
    spec: &PathsSpec,
    log_name: &str,
    href: &dyn Fn(&cjm_mine::paths::PathNode) -> Option<String>,
) -> Chart {
    let cols = spec.depth + 1;
    let (columns, how): (Vec<String>, String) = match &spec.anchor {
        Anchor::Start => ((0..cols).map(|k| format!("step {}", k + 1)).collect(), "from the first event".into()),
        Anchor::From(t) => (
            (0..cols).map(|k| if k == 0 { t.clone() } else { format!("{k} after") }).collect(),
            format!("after the first {t}"),
        ),
        Anchor::Into(t) => (
            (0..cols).map(|k| if k == cols - 1 { t.clone() } else { format!("{} before", cols - 1 - k) }).collect(),
            format!("leading to the first {t}"),
        ),
    };
    PathsChart {
        title: format!("Paths in {log_name}"),
        subtitle: format!(
            "{} of {} customers, {how}, {} steps; rare touchpoints grouped as other",
            group_digits(p.anchored),
            group_digits(p.customers),
            spec.depth
        ),
        columns,
        anchored: p.anchored,
        nodes: p
            .nodes
            .iter()
            .map(|n| SankeyNode {
                column: n.column,
                name: n.name.clone(),
                muted: n.kind != NodeKind::Touchpoint,
                customers: n.customers,
                href: if n.kind == NodeKind::Touchpoint { href(n) } else { None },
            })
            .collect(),
        links: p.links.iter().map(|l| SankeyLink { from: l.from, to: l.to, customers: l.customers }).collect(),
    }
    .into()
}

// ---------------------------------------------------------------- process map

#[derive(Clone, Debug, Serialize)]
pub struct ProcessView {
    pub customers: u64,
    /// Touchpoints shown, most events first.
    pub nodes: Vec<cjm_mine::contract::TouchpointStats>,
    pub edges: Vec<ProcessEdgeFigures>,
    pub starts: Vec<cjm_mine::contract::Count>,
    pub ends: Vec<cjm_mine::contract::Count>,
    /// Transitions in the whole graph, and touchpoints not shown.
    pub all_edges: usize,
    pub hidden_touchpoints: usize,
    /// The share of transitions the simplification keeps (`None`: all).
    pub simplify: Option<f64>,
}

impl ProcessView {
    /// Transitions the chart leaves out past [`PROCESS_MAX_EDGES`] (the
    /// table lists them all).
    pub fn over_limit(&self) -> usize {
        self.edges.len().saturating_sub(PROCESS_MAX_EDGES)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ProcessEdgeFigures {
    pub from: String,
    pub to: String,
    pub count: u64,
    pub median_seconds: Option<f64>,
}

/// The directly-follows graph, simplified to the transitions making up
/// `simplify` of all (kept connected), at most [`PROCESS_MAX_NODES`]
/// touchpoints (the most frequent); every transition among them, most
/// frequent first (the chart draws the first [`PROCESS_MAX_EDGES`]).
pub fn process(log: &EventLog, simplify: Option<f64>) -> Result<ProcessView, QueryError> {
    if simplify.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(QueryError::new("simplify", "choose a share from 0 to 1, e.g. 0.8"));
    }
    let j = cjm_mine::journeys::build(log);
    let s = cjm_mine::summary::summarize(log, &j, &[], 0);
    process_of(&s, &cjm_mine::analysis::transition_times(log, &j), simplify)
}

/// [`process`] from a summary and the transitions' times, as any backend
/// computes them.
pub fn process_of(
    s: &cjm_mine::Summary,
    edge_times: &[cjm_mine::analysis::EdgeTimes],
    simplify: Option<f64>,
) -> Result<ProcessView, QueryError> {
    if simplify.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(QueryError::new("simplify", "choose a share from 0 to 1, e.g. 0.8"));
    }
    let kept_edges = match simplify {
        Some(share) => cjm_mine::analysis::simplify_dfg(s, share),
        None => s.dfg.clone(),
    };
    let mut tps = s.touchpoints.clone();
    tps.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.touchpoint.as_bytes().cmp(b.touchpoint.as_bytes())));
    let on_edge: FxHashSet<&str> = kept_edges.iter().flat_map(|e| [e.from.as_str(), e.to.as_str()]).collect();
    let starts_set: FxHashSet<&str> = s.start_touchpoints.iter().map(|c| c.touchpoint.as_str()).collect();
    let shown: Vec<_> = tps
        .into_iter()
        .filter(|t| {
            on_edge.contains(t.touchpoint.as_str())
                || (kept_edges.is_empty() && starts_set.contains(t.touchpoint.as_str()))
        })
        .take(PROCESS_MAX_NODES)
        .collect();
    let names: FxHashSet<&str> = shown.iter().map(|t| t.touchpoint.as_str()).collect();
    let median: rustc_hash::FxHashMap<(&str, &str), f64> =
        edge_times.iter().map(|e| ((e.from.as_str(), e.to.as_str()), e.median_seconds)).collect();
    let mut edges: Vec<ProcessEdgeFigures> = kept_edges
        .iter()
        .filter(|e| names.contains(e.from.as_str()) && names.contains(e.to.as_str()))
        .map(|e| ProcessEdgeFigures {
            from: e.from.clone(),
            to: e.to.clone(),
            count: e.count,
            median_seconds: median.get(&(e.from.as_str(), e.to.as_str())).copied(),
        })
        .collect();
    edges.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));

    let keep = |c: &&cjm_mine::contract::Count| names.contains(c.touchpoint.as_str());
    Ok(ProcessView {
        customers: s.n_customers,
        hidden_touchpoints: s.touchpoints.len() - shown.len(),
        starts: s.start_touchpoints.iter().filter(keep).cloned().collect(),
        ends: s.end_touchpoints.iter().filter(keep).cloned().collect(),
        nodes: shown,
        edges,
        all_edges: s.dfg.len(),
        simplify,
    })
}

pub fn process_chart(
    v: &ProcessView,
    performance: bool,
    log_name: &str,
    href: &dyn Fn(&str) -> Option<String>,
) -> Chart {
    let index: rustc_hash::FxHashMap<&str, usize> =
        v.nodes.iter().enumerate().map(|(i, n)| (n.touchpoint.as_str(), i)).collect();
    let drawn = v.edges.len().min(PROCESS_MAX_EDGES);
    let shown = match v.simplify {
        Some(s) if v.over_limit() > 0 => format!(
            "the {drawn} most frequent of the main flow's {} transitions (those making up {:.0}% of all); simplify more to see them all",
            v.edges.len(),
            s * 100.0
        ),
        Some(s) if v.edges.len() < v.all_edges => format!(
            "the main flow: {} of {} transitions (those making up {:.0}% of all, kept connected)",
            v.edges.len(),
            v.all_edges,
            s * 100.0
        ),
        _ if drawn < v.all_edges => {
            format!("the {drawn} most frequent of {} transitions (simplify to see the main flow)", v.all_edges)
        }
        _ => format!("{} transitions", v.edges.len()),
    };
    let hidden = if v.hidden_touchpoints > 0 {
        let s = if v.hidden_touchpoints == 1 { "" } else { "s" };
        format!("; {} rarer touchpoint{s} not shown", v.hidden_touchpoints)
    } else {
        String::new()
    };
    ProcessChart {
        title: format!("Process map of {log_name}"),
        subtitle: format!(
            "{} customers; {shown}{hidden}; arrows: {}",
            group_digits(v.customers),
            if performance { "median time between" } else { "how often one follows the other" }
        ),
        performance,
        nodes: v
            .nodes
            .iter()
            .map(|n| ProcessNode { name: n.touchpoint.clone(), events: n.events, href: href(&n.touchpoint) })
            .collect(),
        edges: v
            .edges
            .iter()
            .take(PROCESS_MAX_EDGES)
            .map(|e| ProcessEdge {
                from: index[e.from.as_str()],
                to: index[e.to.as_str()],
                count: e.count,
                median_seconds: e.median_seconds,
            })
            .collect(),
        starts: v.starts.iter().map(|c| (index[c.touchpoint.as_str()], c.count)).collect(),
        ends: v.ends.iter().map(|c| (index[c.touchpoint.as_str()], c.count)).collect(),
    }
    .into()
}

// ---------------------------------------------------------------- variants

#[derive(Clone, Debug, Serialize)]
pub struct VariantsView {
    pub customers: u64,
    pub n_variants: u64,
    pub top: Vec<cjm_mine::contract::Variant>,
}

pub fn variants(log: &EventLog, top: usize) -> VariantsView {
    let j = cjm_mine::journeys::build(log);
    variants_of(cjm_mine::summary::summarize(log, &j, &[], variants_top(top)))
}

/// How many variants a summary for [`variants_of`] keeps, of `top` asked.
pub fn variants_top(top: usize) -> usize {
    top.clamp(1, MAX_VARIANTS)
}

/// [`variants`] from a summary, as any backend computes it.
pub fn variants_of(s: cjm_mine::Summary) -> VariantsView {
    VariantsView { customers: s.n_customers, n_variants: s.n_variants, top: s.top_variants }
}

pub fn variants_chart(v: &VariantsView, log_name: &str) -> Chart {
    VariantsChart {
        title: format!("Top variants in {log_name}"),
        subtitle: format!(
            "{} customers, {} variants; the {} most frequent",
            group_digits(v.customers),
            group_digits(v.n_variants),
            v.top.len()
        ),
        customers: v.customers,
        variants: v.top.iter().map(|x| VariantBar { sequence: x.sequence.clone(), customers: x.count }).collect(),
    }
    .into()
}

// ---------------------------------------------------------------- trends

#[derive(Clone, Debug, Serialize)]
pub struct TrendView {
    pub interval: Interval,
    pub buckets: Vec<Bucket>,
    /// With funnel steps: conversion by the bucket of each customer's first step.
    pub conversion: Option<Vec<ConversionBucket>>,
    pub steps: Vec<String>,
}

pub fn trend(log: &EventLog, interval: Interval, funnel: Option<&FunnelSpec>) -> Result<TrendView, QueryError> {
    let j = cjm_mine::journeys::build(log);
    let err = |e: cjm_mine::trend::TooManyBuckets| QueryError::new("interval", e.to_string());
    let buckets = cjm_mine::trend::trend(&j, interval).map_err(err)?;
    let conversion = match funnel.filter(|f| !f.steps.is_empty()) {
        Some(spec) => {
            let entries = cjm_mine::analysis::funnel_entries(log, &j, spec);
            Some(cjm_mine::trend::conversion(&entries, spec.steps.len(), interval).map_err(err)?)
        }
        None => None,
    };
    Ok(TrendView { interval, buckets, conversion, steps: funnel.map(|f| f.steps.clone()).unwrap_or_default() })
}

/// [`trend`] from another backend's parts (the trend's, and with funnel
/// `steps` the conversion's).
pub fn trend_of(
    parts: Vec<cjm_mine::trend::TrendPart>,
    conversion: Option<Vec<cjm_mine::trend::ConversionPart>>,
    interval: Interval,
    steps: Vec<String>,
) -> Result<TrendView, QueryError> {
    let err = |e: cjm_mine::trend::TooManyBuckets| QueryError::new("interval", e.to_string());
    let buckets = cjm_mine::trend::finish_trend(parts, interval).map_err(err)?;
    let conversion = match conversion {
        Some(c) => Some(cjm_mine::trend::finish_conversion(c, interval).map_err(err)?),
        None => None,
    };
    Ok(TrendView { interval, buckets, conversion, steps })
}

fn per(interval: Interval) -> &'static str {
    match interval {
        Interval::Day => "day",
        Interval::Week => "week (from Monday)",
        Interval::Month => "month",
    }
}

pub fn trend_chart(v: &TrendView, log_name: &str) -> Chart {
    TrendChart {
        title: format!("Customers over time in {log_name}"),
        subtitle: format!("active customers per {}, UTC", per(v.interval)),
        buckets: v
            .buckets
            .iter()
            .map(|b| TrendBar {
                start: b.start.clone(),
                events: b.events,
                customers: b.customers,
                new_customers: b.new_customers,
            })
            .collect(),
    }
    .into()
}

/// Conversion per bucket; `None` without funnel steps.
pub fn conversion_chart(v: &TrendView, log_name: &str) -> Option<Chart> {
    let conv = v.conversion.as_ref()?;
    let (first, last) = (v.steps.first()?, v.steps.last()?);
    Some(
        BarsChart {
            title: format!("Conversion over time in {log_name}"),
            subtitle: format!("customers from {first} to {last}, by the {} of their {first}", per(v.interval)),
            bars: conv
                .iter()
                .map(|b| {
                    let share = if b.entered == 0 { 0.0 } else { b.converted as f64 / b.entered as f64 };
                    Bar {
                        label: b.start.clone(),
                        value: share * 100.0,
                        shown: if b.entered == 0 { "-".into() } else { format!("{:.0}%", share * 100.0) },
                        tip: format!(
                            "From {}: {} of {} customers converted ({})",
                            b.start,
                            group_digits(b.converted),
                            group_digits(b.entered),
                            if b.entered == 0 { "-".into() } else { format!("{:.1}%", share * 100.0) }
                        ),
                    }
                })
                .collect(),
            note: "conversion, % of those who did the first step".into(),
        }
        .into(),
    )
}

// ---------------------------------------------------------------- values

/// The most fields [`field_values`] lists (touchpoint and channel first).
pub const MAX_PICK_FIELDS: usize = 40;
/// The most values listed for a field (those with the most customers).
pub const MAX_PICK_VALUES: usize = 200;
/// A field with more distinct values than this (an id, a time, free
/// text) is not a list to pick from, and is left out.
pub const MAX_PICK_DISTINCT: usize = 5_000;

/// A field an evidence rule can name, with its values and their counts.
#[derive(Clone, Debug, Serialize)]
pub struct FieldValues {
    /// As a rule names it: `touchpoint`, `channel`, an event attribute,
    /// `case:` and a customer attribute.
    pub field: String,
    /// A customer (case) attribute: one value per customer.
    pub customer_level: bool,
    /// Distinct values in the log.
    pub distinct: usize,
    /// The values with the most customers, at most [`MAX_PICK_VALUES`]
    /// (ties by name bytes).
    pub values: Vec<ValueCount>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueCount {
    pub value: String,
    pub customers: u64,
    pub events: u64,
}

/// What a step's evidence rule can pick from: touchpoints, channels and
/// every attribute with at most [`MAX_PICK_DISTINCT`] values (at most
/// [`MAX_PICK_FIELDS`] fields), each value with the customers and events
/// that have it. Linear in the log for each field listed.
pub fn field_values(log: &EventLog) -> Vec<FieldValues> {
    let mut out = vec![count_values("touchpoint", false, &log.activities, log, |r| log.activity[r])];
    if !log.channels.is_empty() {
        out.push(count_values("channel", false, &log.channels, log, |r| log.channel[r]));
    }
    let small = |d: &cjm_events::Dict| !d.is_empty() && d.len() <= MAX_PICK_DISTINCT;
    for a in log.attrs.iter().filter(|a| small(&a.dict)) {
        if out.len() >= MAX_PICK_FIELDS {
            break;
        }
        out.push(count_values(&a.name, false, &a.dict, log, |r| a.id(r)));
    }
    for a in log.case_attrs.iter().filter(|a| small(&a.dict)) {
        if out.len() >= MAX_PICK_FIELDS {
            break;
        }
        let field = format!("case:{}", a.name);
        out.push(count_values(&field, true, &a.dict, log, |r| a.id(log.case[r] as usize)));
    }
    out.retain(|f| !f.values.is_empty());
    out
}

/// Events and distinct customers per value of one field (`id` of a row).
fn count_values(
    field: &str,
    customer_level: bool,
    dict: &cjm_events::Dict,
    log: &EventLog,
    id: impl Fn(usize) -> u32,
) -> FieldValues {
    let n = dict.len();
    let mut events = vec![0u64; n];
    let mut customers = vec![0u64; n];
    let mut seen: FxHashSet<(u32, u32)> = FxHashSet::default();
    for (r, &case) in log.case.iter().enumerate() {
        let v = id(r);
        if v != NONE && (v as usize) < n {
            events[v as usize] += 1;
            if seen.insert((v, case)) {
                customers[v as usize] += 1;
            }
        }
    }
    let mut values: Vec<ValueCount> = (0..n)
        .filter(|&v| events[v] > 0)
        .map(|v| ValueCount { value: dict.get(v as u32).to_string(), customers: customers[v], events: events[v] })
        .collect();
    let distinct = values.len();
    values.sort_by(|a, b| b.customers.cmp(&a.customers).then_with(|| a.value.as_bytes().cmp(b.value.as_bytes())));
    values.truncate(MAX_PICK_VALUES);
    FieldValues { field: field.to_string(), customer_level, distinct, values }
}
