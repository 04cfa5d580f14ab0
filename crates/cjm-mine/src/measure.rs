//! A map measured against a log: each step's evidence rule finds its events,
//! and the customers' journeys give reach, conversion, drop-off, time and
//! score per step.
//!
//! Definitions (worded for people in [`cjm_model::measures::Figure`]):
//! - A customer **reaches** a step when at least one of its events matches
//!   the step's rule, in any order; the step's time for that customer is
//!   the first match. **Reach share**: reached ÷ all customers.
//! - The **funnel** runs along the measured steps in map order, leaving out
//!   those marked `optional`: a customer is at funnel step k when the
//!   journey has events matching funnel steps 1…k in that order, each
//!   strictly after the previous (greedy, earliest match), so the funnel
//!   never rises. With the data block's `window`, steps 2…k must come
//!   within it of the customer's first funnel step (as `cjm mine --funnel
//!   --window`). **Conversion**: funnel at k ÷ funnel at k−1.
//!   **Drop-off**: of the customers at funnel step k, the share not at k+1.
//! - **Time since previous**: for customers who reached both, the time from
//!   the previous step's first match to this step's first match, when not
//!   negative; the median is reported.
//! - **Mean score**: of the scores on matching events, mapped linearly onto
//!   the map's scale when the log's scores lie outside it.
//! - **Stage conversion**: of the customers who reached the stage's first
//!   measured step, the share who also reached its last.

use crate::exact::ExactSum;
use crate::journeys;
use crate::parts::{KpiParts, MeasureParts, OrderStats};
use crate::rules::Compiled;
use cjm_events::{EventLog, UNKNOWN_TIME};
use cjm_model::Journey;
use serde::Serialize;

impl Measurement {
    /// The figures to draw on the map: the steps whose rule compiled, with
    /// `source` (the log's name) as where they come from.
    pub fn figures(&self, source: &str) -> cjm_model::measures::Measures {
        let steps = self
            .steps
            .iter()
            .filter(|s| s.rule.is_some() && s.rule_error.is_none())
            .map(|s| {
                let figures = cjm_model::measures::StepFigures {
                    reached: s.reached,
                    reach_share: s.reach_share,
                    funnel: s.funnel,
                    conversion: s.conversion,
                    drop_off: s.drop_off,
                    median_seconds_since_previous: s.median_seconds_since_previous,
                    mean_score: s.mean_score,
                    optional: s.optional,
                };
                (s.id.clone(), figures)
            })
            .collect();
        let kpis = self.kpis.iter().map(KpiMeasure::figure).collect();
        cjm_model::measures::Measures { customers: self.customers, source: Some(source.to_string()), steps, kpis }
    }
}

impl KpiMeasure {
    /// The value as people read it: `62.3%`, `5.2 h`, `3.8`.
    pub fn shown(&self, v: f64) -> String {
        if self.formula.starts_with("conversion")
            || self.formula.starts_with("reach")
            || self.formula.starts_with("channel")
        {
            format!("{v:.1}%")
        } else if self.formula.starts_with("mean score") {
            format!("{v:.2}")
        } else {
            // The metric's own unit when it is one of time, else hours.
            let unit = self.unit.as_deref().map(str::trim).filter(|u| is_time_unit(u)).unwrap_or("h");
            if v.abs() >= 1.0 {
                format!("{v:.1} {unit}")
            } else {
                // Under one unit: the time itself too (`0.005 d (7 min)`).
                format!("{v:.3} {unit} ({})", short_duration(v * seconds_per(Some(unit))))
            }
        }
    }

    /// What the drawing and the pages show of it.
    pub fn figure(&self) -> cjm_model::measures::KpiFigure {
        let value = self.value.map(|v| self.shown(v));
        let target = self
            .target
            .map(|t| format!("{} {}", if self.higher_is_better { "at least" } else { "at most" }, self.shown(t)));
        let how = match &self.note {
            Some(n) => n.clone(),
            None => format!("{}, over {} customers", self.formula, grouped(self.customers)),
        };
        cjm_model::measures::KpiFigure { metric: self.metric.clone(), value, target, met: self.met, explain: how }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub customers: u64,
    pub events: u64,
    /// The funnel's window (the data block's `window`), in seconds.
    pub funnel_window_seconds: Option<i64>,
    pub steps: Vec<StepMeasure>,
    pub stages: Vec<StageMeasure>,
    /// Touchpoints of the log that no step's rule matches, most customers first.
    pub unmapped_touchpoints: Vec<Unmapped>,
    /// Frequent transitions that involve an unmapped touchpoint.
    pub unmapped_transitions: Vec<Transition>,
    /// The journey metrics with a formula, measured.
    pub kpis: Vec<KpiMeasure>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepMeasure {
    pub stage: String,
    pub id: String,
    pub name: String,
    /// The step's rule, or why it could not be used.
    pub rule: Option<String>,
    pub rule_error: Option<String>,
    pub optional: bool,
    pub matched_events: u64,
    pub reached: u64,
    pub reach_share: f64,
    /// Customers at this funnel step (`None` for optional or unmeasured steps).
    pub funnel: Option<u64>,
    pub conversion: Option<f64>,
    pub drop_off: Option<f64>,
    pub median_seconds_since_previous: Option<f64>,
    pub mean_score: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StageMeasure {
    pub id: String,
    pub name: String,
    /// Customers who reached the stage's first measured step.
    pub entered: u64,
    /// Of those, the customers who also reached its last.
    pub completed: u64,
    pub conversion: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Unmapped {
    pub touchpoint: String,
    pub events: u64,
    pub customers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub count: u64,
}

pub fn measure(map: &Journey, log: &EventLog) -> Measurement {
    let (steps, rules) = compile_steps(map, |expr| Compiled::new(expr, log).map_err(|e| e.0));
    let parts = measure_parts(map, log, &steps, &rules);
    finish_measure(map, steps, parts)
}

/// The map's measured steps (those whose rule compiled), the funnel (the
/// measured steps not optional) and each stage's first and last measured
/// step, all as indexes of the map's steps.
pub struct Layout {
    pub measured: Vec<usize>,
    pub funnel: Vec<usize>,
    pub stage_ends: Vec<Option<(usize, usize)>>,
}

impl Layout {
    pub fn of(map: &Journey, steps: &[StepMeasure]) -> Layout {
        let measured: Vec<usize> =
            (0..steps.len()).filter(|&k| steps[k].rule.is_some() && steps[k].rule_error.is_none()).collect();
        let stage_ends = map
            .stages
            .iter()
            .map(|st| {
                let ks: Vec<usize> = measured.iter().copied().filter(|&k| steps[k].stage == st.id).collect();
                Some((*ks.first()?, *ks.last()?))
            })
            .collect();
        let funnel = measured.iter().copied().filter(|&k| !steps[k].optional).collect();
        Layout { measured, funnel, stage_ends }
    }
}

/// The funnel's window (the data block's `window`), in seconds.
pub fn funnel_window_seconds(map: &Journey) -> Option<i64> {
    map.data.as_ref().and_then(|d| d.window.as_deref()).and_then(cjm_model::kpi::parse_duration)
}

/// The in-memory engine's parts: one pass over the journeys.
fn measure_parts(map: &Journey, log: &EventLog, steps: &[StepMeasure], rules: &[Option<Compiled>]) -> MeasureParts {
    let layout = Layout::of(map, steps);
    let j = journeys::build(log);
    let mut tally = Tally::new(steps.len(), map.stages.len(), log.activities.len(), layout.funnel.clone());
    tally.window_us = funnel_window_seconds(map).map(|s| s.saturating_mul(1_000_000));
    for c in 0..j.slots() {
        tally.customer(log, &j, c, rules, &layout.measured, &layout.stage_ends);
    }
    let (touchpoints, edges) = touchpoints_and_edges(log, &j, &tally.matched_by_act);
    let kpis = kpi_steps(map, steps)
        .into_iter()
        .map(|(_, k, at)| match at {
            Ok(at) => {
                let r: Vec<&Compiled> = at.iter().map(|&i| rules[i].as_ref().expect("a measured step")).collect();
                kpi_parts(k, log, &j, &r)
            }
            Err(_) => KpiParts::None,
        })
        .collect();
    let since_previous = tally.deltas.iter_mut().map(|d| OrderStats::of(d)).collect();
    MeasureParts {
        customers: j.customers() as u64,
        events: log.len() as u64,
        matched: tally.matched,
        reached: tally.reached,
        scored: tally.score_n,
        score_sums: tally.score_sum,
        since_previous,
        at_funnel: tally.at_funnel,
        stage_both: tally.stage_both,
        touchpoints,
        edges,
        score_range: observed_score_range(log),
        kpis,
    }
}

/// The measurement from its parts, as any backend's are finished.
pub fn finish_measure(map: &Journey, mut steps: Vec<StepMeasure>, parts: MeasureParts) -> Measurement {
    let layout = Layout::of(map, &steps);
    let customers = parts.customers;
    let scale = (f64::from(map.scale.min), f64::from(map.scale.max));
    let at = |v: &[u64], k: usize| v.get(k).copied().unwrap_or(0);
    for &k in &layout.measured {
        let step = &mut steps[k];
        step.matched_events = at(&parts.matched, k);
        step.reached = at(&parts.reached, k);
        step.reach_share = if customers == 0 { 0.0 } else { step.reached as f64 / customers as f64 };
        step.median_seconds_since_previous = parts.since_previous.get(k).copied().flatten().map(|s| s.median() / 1e6);
        let n = at(&parts.scored, k);
        let sum = parts.score_sums.get(k).map_or(0.0, ExactSum::to_f64);
        step.mean_score = (n > 0).then(|| onto_scale(sum / n as f64, parts.score_range, scale));
    }
    let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
    for (f, &k) in layout.funnel.iter().enumerate() {
        let here = at(&parts.at_funnel, f);
        steps[k].funnel = Some(here);
        if f > 0 {
            steps[k].conversion = share(here, at(&parts.at_funnel, f - 1));
        }
        if f + 1 < layout.funnel.len() {
            steps[k].drop_off = share(here.saturating_sub(at(&parts.at_funnel, f + 1)), here);
        }
    }
    let stages = map
        .stages
        .iter()
        .zip(&layout.stage_ends)
        .enumerate()
        .map(|(i, (stage, ends))| {
            let entered = ends.map_or(0, |(a, _)| steps[a].reached);
            let both = at(&parts.stage_both, i);
            StageMeasure {
                id: stage.id.clone(),
                name: stage.name.clone(),
                entered,
                completed: both,
                conversion: (entered > 0).then(|| both as f64 / entered as f64),
            }
        })
        .collect();
    let (unmapped_touchpoints, unmapped_transitions) = unmapped(&parts);
    let kpis = finish_kpis(map, &steps, &parts, scale);
    Measurement {
        customers,
        events: parts.events,
        funnel_window_seconds: funnel_window_seconds(map),
        steps,
        stages,
        unmapped_touchpoints,
        unmapped_transitions,
        kpis,
    }
}

/// The map's steps in order, each with its rule compiled by `compile`
/// (`None` when it has none, or it does not compile: then `rule_error`
/// says why). The in-memory engine compiles against the log's
/// dictionaries, a cluster backend into its own predicates.
pub fn compile_steps<C>(
    map: &Journey,
    mut compile: impl FnMut(&cjm_syntax::evidence::Expr) -> Result<C, String>,
) -> (Vec<StepMeasure>, Vec<Option<C>>) {
    let mut steps = Vec::new();
    let mut rules = Vec::new();
    for stage in &map.stages {
        for step in &stage.steps {
            let mut m = StepMeasure {
                stage: stage.id.clone(),
                id: step.id.clone(),
                name: step.name.clone(),
                rule: step.evidence.clone(),
                rule_error: None,
                optional: step.optional,
                matched_events: 0,
                reached: 0,
                reach_share: 0.0,
                funnel: None,
                conversion: None,
                drop_off: None,
                median_seconds_since_previous: None,
                mean_score: None,
            };
            let compiled = step.evidence.as_ref().and_then(|r| {
                let compiled = cjm_syntax::evidence::parse(r, 0).map_err(|d| d.message).and_then(|e| compile(&e));
                compiled.map_err(|e| m.rule_error = Some(e)).ok()
            });
            steps.push(m);
            rules.push(compiled);
        }
    }
    (steps, rules)
}

/// What one pass over the customers counts, per step (indexed like the
/// map's steps), per stage and per touchpoint.
struct Tally {
    matched: Vec<u64>,
    reached: Vec<u64>,
    /// The funnel's steps (indexes of the map's steps), and the customers
    /// at each.
    funnel: Vec<usize>,
    at_funnel: Vec<u64>,
    /// Exact: the order customers are visited in does not matter.
    score_sum: Vec<crate::exact::ExactSum>,
    score_n: Vec<u64>,
    /// Microseconds from the previous measured step's first match.
    deltas: Vec<Vec<i64>>,
    /// Per stage: customers who reached its first and last measured step.
    stage_both: Vec<u64>,
    /// Events that some step's rule matched, by touchpoint.
    matched_by_act: Vec<u64>,
    // One customer's state, reused.
    first: Vec<i64>,
    hit: Vec<bool>,
    /// How many funnel steps the customer has done so far.
    done: usize,
    /// The funnel's window in microseconds, and when this customer met the
    /// first funnel step.
    window_us: Option<i64>,
    funnel_start: i64,
}

impl Tally {
    fn new(steps: usize, stages: usize, touchpoints: usize, funnel: Vec<usize>) -> Tally {
        Tally {
            matched: vec![0; steps],
            reached: vec![0; steps],
            at_funnel: vec![0; funnel.len()],
            funnel,
            score_sum: vec![crate::exact::ExactSum::default(); steps],
            score_n: vec![0; steps],
            deltas: vec![Vec::new(); steps],
            stage_both: vec![0; stages],
            matched_by_act: vec![0; touchpoints],
            first: vec![0; steps],
            hit: vec![false; steps],
            done: 0,
            window_us: None,
            funnel_start: UNKNOWN_TIME,
        }
    }

    /// Counts customer `c`'s journey.
    fn customer(
        &mut self,
        log: &EventLog,
        j: &journeys::Journeys,
        c: usize,
        rules: &[Option<Compiled>],
        measured: &[usize],
        stage_ends: &[Option<(usize, usize)>],
    ) {
        let r = j.range(c);
        if r.is_empty() {
            return;
        }
        self.hit.iter_mut().for_each(|h| *h = false);
        self.done = 0;
        for pos in r {
            self.event(log, j, pos, rules, measured);
        }
        for slot in &mut self.at_funnel[..self.done] {
            *slot += 1;
        }
        let hit = &self.hit;
        for (i, &k) in measured.iter().enumerate() {
            if !hit[k] {
                continue;
            }
            self.reached[k] += 1;
            let Some(&prev) = i.checked_sub(1).and_then(|p| measured.get(p)) else { continue };
            if hit[prev] {
                let (at, since) = (self.first[k], self.first[prev]);
                if at != UNKNOWN_TIME && since != UNKNOWN_TIME && at >= since {
                    self.deltas[k].push(at - since);
                }
            }
        }
        for (si, ends) in stage_ends.iter().enumerate() {
            if ends.is_some_and(|(a, b)| hit[a] && hit[b]) {
                self.stage_both[si] += 1;
            }
        }
    }

    /// Whether an event at `t` may move the customer along the funnel: any
    /// event for the first step; a later one within the window of the
    /// first step's (an unknown time is not held to it).
    fn in_window(&self, t: i64) -> bool {
        match self.window_us {
            Some(w) if self.done > 0 && t != UNKNOWN_TIME && self.funnel_start != UNKNOWN_TIME => {
                t - self.funnel_start <= w
            }
            _ => true,
        }
    }

    /// The event at journey position `pos` against every measured step.
    fn event(
        &mut self,
        log: &EventLog,
        j: &journeys::Journeys,
        pos: usize,
        rules: &[Option<Compiled>],
        measured: &[usize],
    ) {
        let row = j.rows[pos] as usize;
        let mut any = false;
        let next_funnel_step = self.funnel.get(self.done).copied();
        for &k in measured {
            if !rules[k].as_ref().is_some_and(|rule| rule.matches(log, row)) {
                continue;
            }
            any = true;
            if Some(k) == next_funnel_step && self.in_window(j.times[pos]) {
                // One event moves the customer one funnel step at most.
                if self.done == 0 {
                    self.funnel_start = j.times[pos];
                }
                self.done += 1;
            }
            self.matched[k] += 1;
            let s = log.score.get(row);
            if !s.is_nan() {
                self.score_sum[k].add(s);
                self.score_n[k] += 1;
            }
            if !self.hit[k] {
                self.hit[k] = true;
                self.first[k] = j.times[pos];
            }
        }
        if any {
            self.matched_by_act[log.activity[row] as usize] += 1;
        }
    }
}

/// The lowest and highest score in the log (infinite bounds when none).
pub(crate) fn observed_score_range(log: &EventLog) -> (f64, f64) {
    log.score.iter().filter(|s| !s.is_nan()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| (a.min(s), b.max(s)))
}

/// A score mapped linearly from the log's observed range onto `scale`,
/// unchanged when the log's scores already lie within the scale.
pub(crate) fn onto_scale(v: f64, (lo, hi): (f64, f64), (smin, smax): (f64, f64)) -> f64 {
    if lo >= smin && hi <= smax || hi <= lo {
        v
    } else {
        smin + (v - lo) / (hi - lo) * (smax - smin)
    }
}

/// Each touchpoint's events and customers, whether a rule matched one of
/// its events, and every transition's count.
#[allow(clippy::type_complexity)]
fn touchpoints_and_edges(
    log: &EventLog,
    j: &journeys::Journeys,
    matched_by_act: &[u64],
) -> (Vec<(String, u64, u64, bool)>, Vec<(String, String, u64)>) {
    let n_act = log.activities.len();
    let mut events = vec![0u64; n_act];
    let mut customers = vec![0u64; n_act];
    let mut last = vec![usize::MAX; n_act];
    let mut edges: rustc_hash::FxHashMap<(u32, u32), u64> = rustc_hash::FxHashMap::default();
    for c in 0..j.slots() {
        let acts = &j.acts[j.range(c)];
        for (i, &a) in acts.iter().enumerate() {
            events[a as usize] += 1;
            if last[a as usize] != c {
                last[a as usize] = c;
                customers[a as usize] += 1;
            }
            if i > 0 {
                *edges.entry((acts[i - 1], a)).or_insert(0) += 1;
            }
        }
    }
    let name = |a: u32| log.activities.get(a).to_string();
    let touchpoints = (0..n_act as u32)
        .filter(|&a| events[a as usize] > 0)
        .map(|a| (name(a), events[a as usize], customers[a as usize], matched_by_act[a as usize] > 0))
        .collect();
    (touchpoints, edges.into_iter().map(|((a, b), n)| (name(a), name(b), n)).collect())
}

/// Touchpoints no rule matches, most customers first, and the 15 most
/// frequent transitions touching them.
fn unmapped(parts: &MeasureParts) -> (Vec<Unmapped>, Vec<Transition>) {
    let unmatched: rustc_hash::FxHashSet<&str> =
        parts.touchpoints.iter().filter(|t| !t.3).map(|t| t.0.as_str()).collect();
    let mut list: Vec<Unmapped> = parts
        .touchpoints
        .iter()
        .filter(|t| !t.3 && t.1 > 0)
        .map(|t| Unmapped { touchpoint: t.0.clone(), events: t.1, customers: t.2 })
        .collect();
    list.sort_by(|a, b| b.customers.cmp(&a.customers).then_with(|| a.touchpoint.cmp(&b.touchpoint)));
    let mut trans: Vec<Transition> = parts
        .edges
        .iter()
        .filter(|(a, b, n)| *n > 0 && (unmatched.contains(a.as_str()) || unmatched.contains(b.as_str())))
        .map(|(from, to, count)| Transition { from: from.clone(), to: to.clone(), count: *count })
        .collect();
    trans.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    trans.truncate(15);
    (list, trans)
}

/// The most metric formulas measured in one map; the rest say so.
pub const MAX_KPIS: usize = 50;

/// A journey metric's formula measured against the log.
#[derive(Clone, Debug, Serialize)]
pub struct KpiMeasure {
    pub metric: String,
    /// The formula as the map would print it.
    pub formula: String,
    pub unit: Option<String>,
    pub target: Option<f64>,
    /// In the metric's terms: percent for shares, the time unit (hours
    /// unless `unit` says `s`, `min` or `d`) for times, the map's scale for
    /// scores. `None` when nothing could be measured (`note` says why).
    pub value: Option<f64>,
    /// The customers the value is of: the denominator of a share, the
    /// customers timed, or those with a scored matching event.
    pub customers: u64,
    pub higher_is_better: bool,
    /// Against the target: `None` without a target or a value.
    pub met: Option<bool>,
    pub note: Option<String>,
}

/// Each journey metric with a `measure:` formula, in map order, with
/// the map steps its formula reads, or why it is not measured.
#[allow(clippy::type_complexity)]
pub fn kpi_steps<'m>(
    map: &'m Journey,
    steps: &[StepMeasure],
) -> Vec<(&'m cjm_model::Metric, &'m cjm_model::kpi::Kpi, Result<Vec<usize>, String>)> {
    map.metrics
        .iter()
        .filter_map(|m| Some((m, m.measure.as_ref()?)))
        .enumerate()
        .map(|(n, (m, k))| {
            if n >= MAX_KPIS {
                return (m, k, Err(format!("not measured: a map's first {MAX_KPIS} formulas are")));
            }
            let at = k
                .steps()
                .into_iter()
                .map(|name| {
                    let i =
                        steps.iter().position(|s| s.id == name).or_else(|| steps.iter().position(|s| s.name == name));
                    let i = i.ok_or_else(|| format!("the map has no step `{name}`"))?;
                    if steps[i].rule.is_none() || steps[i].rule_error.is_some() {
                        return Err(format!("step `{}` has no evidence rule that reads", steps[i].name));
                    }
                    Ok(i)
                })
                .collect();
            (m, k, at)
        })
        .collect()
}

/// The journey metrics from their parts.
fn finish_kpis(map: &Journey, steps: &[StepMeasure], parts: &MeasureParts, scale: (f64, f64)) -> Vec<KpiMeasure> {
    use cjm_model::kpi::{Kpi, TimeStat};
    kpi_steps(map, steps)
        .into_iter()
        .enumerate()
        .map(|(i, (m, k, at))| {
            let mut out = KpiMeasure {
                metric: m.name.clone(),
                formula: k.to_string(),
                unit: m.unit.clone(),
                target: m.target,
                value: None,
                customers: 0,
                higher_is_better: k.higher_is_better(),
                met: None,
                note: None,
            };
            if let Err(e) = at {
                out.note = Some(e);
                return out;
            }
            let (value, customers) = match (parts.kpis.get(i).cloned().unwrap_or_default(), k) {
                (KpiParts::Share { part, whole }, _) => {
                    ((whole > 0).then(|| part as f64 * 100.0 / whole as f64), whole)
                }
                (KpiParts::Score { customers, scored, sum }, _) => (
                    (scored > 0).then(|| onto_scale(sum.to_f64() / scored as f64, parts.score_range, scale)),
                    customers,
                ),
                (KpiParts::Time(stats), Kpi::Time { stat, .. }) => {
                    let us = stats.map(|s| match stat {
                        TimeStat::Median => s.median(),
                        TimeStat::P90 => s.p90 as f64,
                    });
                    (us.map(|us| us / 1e6 / seconds_per(m.unit.as_deref())), stats.map_or(0, |s| s.n))
                }
                _ => (None, 0),
            };
            out.value = value;
            out.customers = customers;
            if value.is_none() {
                out.note = Some("no customer in the log to measure it on".into());
            }
            out.met = match (out.value, out.target) {
                (Some(v), Some(t)) => Some(if out.higher_is_better { v >= t } else { v <= t }),
                _ => None,
            };
            out
        })
        .collect()
}

/// `1,434`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as people say them: `45 s`, `7 min`, `5.2 h`.
fn short_duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

fn is_time_unit(u: &str) -> bool {
    matches!(
        u.to_lowercase().as_str(),
        "s" | "sec"
            | "secs"
            | "second"
            | "seconds"
            | "m"
            | "min"
            | "mins"
            | "minute"
            | "minutes"
            | "h"
            | "hour"
            | "hours"
            | "d"
            | "day"
            | "days"
    )
}

/// Seconds per unit of a time metric (hours when the unit is not a time).
fn seconds_per(unit: Option<&str>) -> f64 {
    match unit.map(|u| u.trim().to_lowercase()).as_deref() {
        Some("s" | "sec" | "secs" | "second" | "seconds") => 1.0,
        Some("m" | "min" | "mins" | "minute" | "minutes") => 60.0,
        Some("d" | "day" | "days") => 86_400.0,
        _ => 3_600.0,
    }
}

/// A formula's parts over every customer.
fn kpi_parts(k: &cjm_model::kpi::Kpi, log: &EventLog, j: &journeys::Journeys, r: &[&Compiled]) -> KpiParts {
    use cjm_model::kpi::Kpi;
    let matches = |rule: &Compiled, pos: usize| rule.matches(log, j.rows[pos] as usize);
    match k {
        Kpi::Reach { .. } => {
            let reached = (0..j.slots()).filter(|&c| j.range(c).any(|p| matches(r[0], p))).count() as u64;
            KpiParts::Share { part: reached, whole: j.customers() as u64 }
        }
        Kpi::Score { .. } => {
            let (mut sum, mut scored, mut customers) = (ExactSum::default(), 0u64, 0u64);
            for c in 0..j.slots() {
                let before = scored;
                for p in j.range(c).filter(|&p| matches(r[0], p)) {
                    let s = log.score.get(j.rows[p] as usize);
                    if !s.is_nan() {
                        sum.add(s);
                        scored += 1;
                    }
                }
                customers += u64::from(scored > before);
            }
            KpiParts::Score { customers, scored, sum: Box::new(sum) }
        }
        Kpi::Conversion { within_seconds, .. } => {
            let (mut entered, mut converted) = (0u64, 0u64);
            for c in 0..j.slots() {
                let Some((a, b)) = first_then(j, c, r, &matches) else { continue };
                entered += 1;
                let within = |b: usize| match within_seconds {
                    Some(w) => {
                        let (ta, tb) = (j.times[a], j.times[b]);
                        ta != UNKNOWN_TIME && tb != UNKNOWN_TIME && tb - ta <= w.saturating_mul(1_000_000)
                    }
                    None => true,
                };
                converted += u64::from(b.is_some_and(within));
            }
            KpiParts::Share { part: converted, whole: entered }
        }
        Kpi::Time { .. } => {
            let mut d: Vec<i64> = (0..j.slots())
                .filter_map(|c| {
                    let (a, b) = first_then(j, c, r, &matches)?;
                    let (ta, tb) = (j.times[a], j.times[b?]);
                    (ta != UNKNOWN_TIME && tb != UNKNOWN_TIME).then_some(tb - ta)
                })
                .collect();
            KpiParts::Time(OrderStats::of(&mut d))
        }
        Kpi::Switch { .. } => {
            let (mut both, mut switched) = (0u64, 0u64);
            for c in 0..j.slots() {
                let Some((a, Some(b))) = first_then(j, c, r, &matches) else { continue };
                both += 1;
                let (ca, cb) = (log.channel[j.rows[a] as usize], log.channel[j.rows[b] as usize]);
                switched += u64::from(ca != cjm_events::NONE && cb != cjm_events::NONE && ca != cb);
            }
            KpiParts::Share { part: switched, whole: both }
        }
    }
}

/// A customer's first event matching `r[0]`, and the first after it
/// matching `r[1]` (when the formula has two steps); `None` without the first.
fn first_then(
    j: &journeys::Journeys,
    c: usize,
    r: &[&Compiled],
    matches: &dyn Fn(&Compiled, usize) -> bool,
) -> Option<(usize, Option<usize>)> {
    let range = j.range(c);
    let a = range.clone().find(|&p| matches(r[0], p))?;
    let b = r.get(1).and_then(|rb| (a + 1..range.end).find(|&p| matches(rb, p)));
    Some((a, b))
}
