//! The analyst's view beyond the peer summary: time statistics per
//! transition, eventually-follows pairs, variant coverage, time to the next
//! event, funnels with drop-off and the customers who dropped, channel reach
//! and switching, breakdowns by a customer attribute; and the log transforms
//! that come before them (filters, inactivity-gap sessions).

use crate::journeys::{self, Journeys};
use crate::parts::{AnalysisParts, EdgeTimeParts, FunnelParts, OrderStats};
use cjm_events::{retain_rows, EventLog, NONE, UNKNOWN_TIME};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Statistics of the time between consecutive events of one transition.
#[derive(Clone, Debug, Serialize)]
pub struct EdgeTimes {
    pub from: String,
    pub to: String,
    pub count: u64,
    pub mean_seconds: f64,
    pub median_seconds: f64,
    pub min_seconds: f64,
    pub max_seconds: f64,
    pub p90_seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Follows {
    pub from: String,
    pub to: String,
    /// Occurrences of `to` within `k` steps after `from`.
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NextTime {
    pub touchpoint: String,
    /// Median seconds from this touchpoint to the customer's next event.
    pub median_seconds_to_next: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunnelStep {
    pub touchpoint: String,
    pub reached: u64,
    /// Reached ÷ reached at the previous step (the first: ÷ all customers).
    pub conversion: f64,
    /// 1 − conversion.
    pub drop_off: f64,
    /// Median seconds from step 1 to this step, for those who reached it.
    pub median_seconds_from_start: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunnelReport {
    pub ordered: bool,
    pub strict: bool,
    pub window_seconds: Option<i64>,
    pub steps: Vec<FunnelStep>,
    /// Per step, the customers who reached the previous step but not this one.
    #[serde(skip)]
    pub dropped: Vec<Vec<String>>,
    /// Seconds from step 1 to the last step, ascending, for each customer
    /// who reached the last step with both times known (the histogram of
    /// time to convert).
    #[serde(skip)]
    pub conversion_seconds: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelReach {
    pub channel: String,
    pub events: u64,
    pub customers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Switch {
    pub from: String,
    pub to: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub edge_times: Vec<EdgeTimes>,
    pub eventually_follows: Vec<Follows>,
    /// Cumulative share of customers covered by the top 1, 2, … variants.
    pub variant_coverage: Vec<f64>,
    pub next_times: Vec<NextTime>,
    pub funnel: Option<FunnelReport>,
    pub channel_reach: Vec<ChannelReach>,
    /// Channel of one event → channel of the customer's next event.
    pub channel_switches: Vec<Switch>,
}

/// How a funnel is matched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunnelSpec {
    pub steps: Vec<String>,
    /// Steps in any order (each once) instead of in the given order.
    pub any_order: bool,
    /// Each step must be the very next event after the previous one.
    pub strict: bool,
    /// Steps after the first must come within this many seconds of it.
    pub window_seconds: Option<i64>,
}

pub fn analyse(log: &EventLog, j: &Journeys, funnel: Option<&FunnelSpec>, k: usize, top_variants: &[u64]) -> Analysis {
    let funnel = funnel.filter(|f| !f.steps.is_empty());
    let parts = analysis_parts(log, j, funnel, k);
    crate::parts::finish_analysis(parts, funnel, top_variants, j.customers() as u64)
}

/// The analysis' exact parts, as any backend computes them: one pass over
/// the journeys, and the funnel's own.
pub fn analysis_parts(log: &EventLog, j: &Journeys, funnel: Option<&FunnelSpec>, k: usize) -> AnalysisParts {
    let t = Tallies::count(log, j, k);
    let name = |a: u32| log.activities.get(a).to_string();
    let channel = |c: u32| log.channels.get(c).to_string();
    AnalysisParts {
        edge_times: edge_time_parts(t.durations, &name),
        follows: t.follows.into_iter().map(|((a, b), n)| (name(a), name(b), n)).collect(),
        next_times: t
            .next
            .into_iter()
            .enumerate()
            .filter(|(a, _)| t.act_events[*a] > 0)
            .map(|(a, mut d)| (name(a as u32), OrderStats::of(&mut d)))
            .collect(),
        channel_reach: (0..log.channels.len())
            .map(|c| (channel(c as u32), t.ch_events[c], t.ch_customers[c]))
            .collect(),
        channel_switches: t.switches.into_iter().map(|((a, b), n)| (channel(a), channel(b), n)).collect(),
        funnel: funnel.map(|f| funnel_parts(log, j, f)),
    }
}

/// What one pass over the journeys counts.
struct Tallies {
    /// Microseconds between each directly-following pair.
    durations: FxHashMap<(u32, u32), Vec<i64>>,
    /// Pairs up to `k` steps apart.
    follows: FxHashMap<(u32, u32), u64>,
    /// Microseconds from each touchpoint to the next.
    next: Vec<Vec<i64>>,
    /// Channel to the next event's channel.
    switches: FxHashMap<(u32, u32), u64>,
    ch_events: Vec<u64>,
    ch_customers: Vec<u64>,
    /// Events per touchpoint (a filter leaves some with none).
    act_events: Vec<u64>,
}

impl Tallies {
    fn count(log: &EventLog, j: &Journeys, k: usize) -> Tallies {
        let n_ch = log.channels.len();
        let mut t = Tallies {
            durations: FxHashMap::default(),
            follows: FxHashMap::default(),
            next: vec![Vec::new(); log.activities.len()],
            switches: FxHashMap::default(),
            ch_events: vec![0; n_ch],
            ch_customers: vec![0; n_ch],
            act_events: vec![0; log.activities.len()],
        };
        let mut ch_last = vec![usize::MAX; n_ch];
        for c in 0..j.slots() {
            let r = j.range(c);
            let (acts, times, rows) = (&j.acts[r.clone()], &j.times[r.clone()], &j.rows[r]);
            for i in 0..acts.len() {
                t.act_events[acts[i] as usize] += 1;
                if i + 1 < acts.len() {
                    let (t0, t1) = (times[i], times[i + 1]);
                    if t0 != UNKNOWN_TIME && t1 != UNKNOWN_TIME {
                        t.durations.entry((acts[i], acts[i + 1])).or_default().push(t1 - t0);
                        t.next[acts[i] as usize].push(t1 - t0);
                    }
                }
                for step in 1..=k {
                    if let Some(&b) = acts.get(i + step) {
                        *t.follows.entry((acts[i], b)).or_insert(0) += 1;
                    }
                }
                let ch = log.channel[rows[i] as usize];
                if ch == NONE {
                    continue;
                }
                t.ch_events[ch as usize] += 1;
                if ch_last[ch as usize] != c {
                    ch_last[ch as usize] = c;
                    t.ch_customers[ch as usize] += 1;
                }
                if i > 0 {
                    let prev = log.channel[rows[i - 1] as usize];
                    if prev != NONE {
                        *t.switches.entry((prev, ch)).or_insert(0) += 1;
                    }
                }
            }
        }
        t
    }
}

/// The time between consecutive events of each transition (both times
/// known), as statistics by pair: what [`analyse`] reports as
/// `edge_times`, in one pass and nothing else.
pub fn transition_times(log: &EventLog, j: &Journeys) -> Vec<EdgeTimes> {
    let mut durations: FxHashMap<(u32, u32), Vec<i64>> = FxHashMap::default();
    for c in 0..j.slots() {
        let r = j.range(c);
        let (acts, times) = (&j.acts[r.clone()], &j.times[r]);
        for i in 1..acts.len() {
            let (t0, t1) = (times[i - 1], times[i]);
            if t0 != UNKNOWN_TIME && t1 != UNKNOWN_TIME {
                durations.entry((acts[i - 1], acts[i])).or_default().push(t1 - t0);
            }
        }
    }
    crate::parts::finish_edge_times(edge_time_parts(durations, &|a| log.activities.get(a).to_string()))
}

/// Each pair's durations as exact parts ([`OrderStats`]).
fn edge_time_parts(durations: FxHashMap<(u32, u32), Vec<i64>>, name: &dyn Fn(u32) -> String) -> Vec<EdgeTimeParts> {
    durations
        .into_iter()
        .filter_map(|((a, b), mut d)| {
            Some(EdgeTimeParts { from: name(a), to: name(b), stats: OrderStats::of(&mut d)? })
        })
        .collect()
}

/// The 1-based rank of the 90th percentile of `n` sorted values (nearest
/// rank, ⌈0.9·n⌉), in integers: the float formula rounds wrongly for some
/// large `n`.
#[cfg(test)]
pub(crate) fn p90_rank(n: usize) -> usize {
    (n.saturating_mul(9).div_ceil(10)).clamp(1, n.max(1))
}

/// The median of sorted, non-empty values (the reference
/// `OrderStats::median` is tested against).
#[cfg(test)]
pub(crate) fn median_sorted(d: &[i64]) -> f64 {
    let m = d.len() / 2;
    if d.len() % 2 == 1 {
        d[m] as f64
    } else {
        (d[m - 1] as f64 + d[m] as f64) / 2.0
    }
}

/// A funnel with its options; `dropped[k]` lists who reached step k-1 but not k.
pub fn funnel_report(log: &EventLog, j: &Journeys, spec: &FunnelSpec) -> FunnelReport {
    crate::parts::finish_funnel(funnel_parts(log, j, spec), spec)
}

/// A funnel's exact parts, the dropped customers named.
pub fn funnel_parts(log: &EventLog, j: &Journeys, spec: &FunnelSpec) -> FunnelParts {
    let ids = step_ids(log, spec);
    let mut tally = FunnelTally::new(ids.len());
    for c in 0..j.slots() {
        if let Some((k, hit)) = match_customer(j, c, &ids, spec) {
            tally.add(c, k, &hit);
        }
    }
    tally.parts(log)
}

/// The whole funnel and that of each group of customers (`groups[g][c]`:
/// customer `c` is in group `g`), each journey matched once: a group's
/// report is what [`funnel_report`] gives on the log narrowed to the
/// group's customers (all their events), but for `dropped`, left empty
/// (naming a million customers once per group is most of the work; narrow
/// the log to the group to list its dropped customers).
pub fn funnel_report_by(
    log: &EventLog,
    j: &Journeys,
    spec: &FunnelSpec,
    groups: &[Vec<bool>],
) -> (FunnelReport, Vec<FunnelReport>) {
    let ids = step_ids(log, spec);
    let mut whole = FunnelTally::new(ids.len());
    let mut tallies: Vec<FunnelTally> = groups.iter().map(|_| FunnelTally::unnamed(ids.len())).collect();
    for c in 0..j.slots() {
        let Some((k, hit)) = match_customer(j, c, &ids, spec) else { continue };
        whole.add(c, k, &hit);
        for (g, tally) in groups.iter().zip(&mut tallies) {
            if g.get(c).copied().unwrap_or(false) {
                tally.add(c, k, &hit);
            }
        }
    }
    let report = |t: FunnelTally| crate::parts::finish_funnel(t.parts(log), spec);
    (report(whole), tallies.into_iter().map(report).collect())
}

fn step_ids(log: &EventLog, spec: &FunnelSpec) -> Vec<u32> {
    spec.steps.iter().map(|s| log.activities.lookup(s).unwrap_or(NONE)).collect()
}

/// Customer `c`'s steps reached and when; `None` for an empty journey.
fn match_customer(j: &Journeys, c: usize, ids: &[u32], spec: &FunnelSpec) -> Option<(usize, Vec<i64>)> {
    let r = j.range(c);
    (!r.is_empty()).then(|| match_funnel(&j.acts[r.clone()], &j.times[r], ids, spec))
}

/// What a funnel counts, customer by customer.
struct FunnelTally {
    total: u64,
    reached: Vec<u64>,
    to_convert: Vec<Vec<i64>>,
    /// Customer slots, named only when the report is made; `None` when
    /// the report leaves them out.
    dropped: Option<Vec<Vec<u32>>>,
}

impl FunnelTally {
    fn new(n: usize) -> Self {
        FunnelTally { dropped: Some(vec![Vec::new(); n]), ..FunnelTally::unnamed(n) }
    }

    /// A tally whose report lists no dropped customers.
    fn unnamed(n: usize) -> Self {
        FunnelTally { total: 0, reached: vec![0; n], to_convert: vec![Vec::new(); n], dropped: None }
    }

    fn add(&mut self, c: usize, k: usize, hit_times: &[i64]) {
        self.total += 1;
        for step in 0..k {
            self.reached[step] += 1;
            if hit_times[step] != UNKNOWN_TIME && hit_times[0] != UNKNOWN_TIME {
                self.to_convert[step].push(hit_times[step] - hit_times[0]);
            }
        }
        if let Some(d) = self.dropped.as_mut().and_then(|d| d.get_mut(k)) {
            d.push(c as u32);
        }
    }

    fn parts(mut self, log: &EventLog) -> FunnelParts {
        let n = self.reached.len();
        FunnelParts {
            total: self.total,
            reached: self.reached,
            // Sorted in place, so the last step's times go out ascending.
            from_start: self.to_convert.iter_mut().map(|d| OrderStats::of(d)).collect(),
            conversion_micros: self.to_convert.pop().unwrap_or_default(),
            dropped: match &self.dropped {
                Some(d) => d.iter().map(|d| d.iter().map(|&c| log.cases.get(c).to_string()).collect()).collect(),
                None => vec![Vec::new(); n],
            },
        }
    }
}

/// For each customer who reached the funnel's first step: when (in
/// microseconds; [`UNKNOWN_TIME`] when not known) and how many steps they
/// reached, matched as [`funnel_report`] matches.
pub fn funnel_entries(log: &EventLog, j: &Journeys, spec: &FunnelSpec) -> Vec<(i64, usize)> {
    let ids: Vec<u32> = spec.steps.iter().map(|s| log.activities.lookup(s).unwrap_or(NONE)).collect();
    let mut out = Vec::new();
    if ids.is_empty() {
        return out;
    }
    for c in 0..j.slots() {
        let r = j.range(c);
        if r.is_empty() {
            continue;
        }
        let (k, hit) = match_funnel(&j.acts[r.clone()], &j.times[r], &ids, spec);
        if k > 0 {
            out.push((hit[0], k));
        }
    }
    out
}

/// The customers whose whole journey is exactly `sequence` (a variant).
pub fn customers_taking(log: &EventLog, sequence: &[String]) -> EventLog {
    let ids: Option<Vec<u32>> = sequence.iter().map(|s| log.activities.lookup(s)).collect();
    let j = journeys::build(log);
    let mut keep_case = vec![false; log.cases.len()];
    if let Some(ids) = ids {
        for (c, k) in keep_case.iter_mut().enumerate().take(j.slots()) {
            *k = j.acts[j.range(c)] == ids[..] && !ids.is_empty();
        }
    }
    let mut out = log.clone();
    let mask: Vec<bool> = log.case.iter().map(|&c| keep_case[c as usize]).collect();
    retain_rows(&mut out, &mask);
    out
}

/// How many steps a journey reaches, and when it reached each.
fn match_funnel(acts: &[u32], times: &[i64], ids: &[u32], spec: &FunnelSpec) -> (usize, Vec<i64>) {
    let mut hit = vec![UNKNOWN_TIME; ids.len()];
    let within = |t: i64, start: i64| match spec.window_seconds {
        Some(w) if start != UNKNOWN_TIME && t != UNKNOWN_TIME => t - start <= w * 1_000_000,
        _ => true,
    };
    if spec.any_order {
        // Each step once, in any order; reached = the count of distinct steps met
        // (a step counts only if all earlier-listed steps are met too).
        let mut start = UNKNOWN_TIME;
        let mut seen = vec![false; ids.len()];
        for (&a, &t) in acts.iter().zip(times) {
            if let Some(s) = ids.iter().position(|&x| x == a) {
                if !seen[s] && (start == UNKNOWN_TIME || within(t, start)) {
                    if start == UNKNOWN_TIME {
                        start = t;
                    }
                    seen[s] = true;
                    hit[s] = t;
                }
            }
        }
        let k = seen.iter().take_while(|s| **s).count();
        return (k, hit);
    }
    if spec.strict {
        // Consecutive: the longest run matching the steps from some start.
        let mut best = (0, hit.clone());
        for i in 0..acts.len() {
            if acts[i] != ids[0] {
                continue;
            }
            let mut k = 0;
            let mut h = vec![UNKNOWN_TIME; ids.len()];
            while k < ids.len() && i + k < acts.len() && acts[i + k] == ids[k] && within(times[i + k], times[i]) {
                h[k] = times[i + k];
                k += 1;
            }
            if k > best.0 {
                best = (k, h);
            }
            if k == ids.len() {
                break;
            }
        }
        return best;
    }
    // Greedy earliest subsequence, as the contract's funnel, within the window.
    let mut k = 0;
    for (&a, &t) in acts.iter().zip(times) {
        if k < ids.len() && a == ids[k] && (k == 0 || within(t, hit[0])) {
            hit[k] = t;
            k += 1;
        }
    }
    (k, hit)
}

/// Cuts each customer's journey into sessions wherever the time between two
/// events exceeds `gap_seconds`; a session is then a customer of its own,
/// named `customer#2`, `customer#3`… after the first.
pub fn sessions(log: &EventLog, gap_seconds: i64) -> EventLog {
    let j = journeys::build(log);
    let mut out = log.clone();
    let mut cases = cjm_events::Dict::default();
    let mut case_of_row = vec![0u32; log.len()];
    for c in 0..j.slots() {
        let r = j.range(c);
        let base = log.cases.get(c as u32).to_string();
        let mut session = 1;
        let mut id = cases.intern(&base);
        for pos in r.clone() {
            if pos > r.start {
                let (t0, t1) = (j.times[pos - 1], j.times[pos]);
                if t0 != UNKNOWN_TIME && t1 != UNKNOWN_TIME && t1 - t0 > gap_seconds * 1_000_000 {
                    session += 1;
                    id = cases.intern(&format!("{base}#{session}"));
                }
            }
            case_of_row[j.rows[pos] as usize] = id;
        }
    }
    // Case attributes follow their customer into every session.
    for attr in &mut out.case_attrs {
        let ids: Vec<u32> = (0..cases.len() as u32)
            .map(|s| {
                let name = cases.get(s);
                let base = name.rsplit_once('#').map_or(name, |(b, _)| b);
                log.cases.lookup(base).map_or(NONE, |c| attr.id(c as usize))
            })
            .collect();
        *attr = cjm_events::AttrColumn::from_ids(&attr.name, std::mem::take(&mut attr.dict), ids);
    }
    out.cases = cases;
    out.case = case_of_row;
    out
}

/// Keeps the events in `[from, to)` (microseconds) and whose attribute
/// `name` (event or customer level) is one of `values`.
pub fn filter(
    log: &mut EventLog,
    from: Option<i64>,
    to: Option<i64>,
    attr: Option<(&str, &[String])>,
) -> Result<(), NoSuchAttribute> {
    let mut mask: Vec<bool> =
        log.time.iter().map(|&t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)).collect();
    if let Some((name, values)) = attr {
        let bare = name.strip_prefix("case:").unwrap_or(name);
        if let Some(col) = log.attrs.iter().find(|a| a.name == name) {
            for (i, m) in mask.iter_mut().enumerate() {
                *m = *m && col.value(i).is_some_and(|v| values.iter().any(|x| x == v));
            }
        } else if let Some(col) = log.case_attrs.iter().find(|a| a.name == bare) {
            for (i, m) in mask.iter_mut().enumerate() {
                *m = *m && col.value(log.case[i] as usize).is_some_and(|v| values.iter().any(|x| x == v));
            }
        } else if name == "channel" {
            for (i, m) in mask.iter_mut().enumerate() {
                let c = log.channel[i];
                *m = *m && c != NONE && values.iter().any(|x| x == log.channels.get(c));
            }
        } else {
            let mut known: Vec<String> = vec!["channel".into()];
            known.extend(log.attrs.iter().map(|a| a.name.clone()));
            known.extend(log.case_attrs.iter().map(|a| format!("case:{}", a.name)));
            return Err(NoSuchAttribute { name: name.to_string(), known });
        }
    }
    retain_rows(log, &mask);
    Ok(())
}

/// An attribute a filter or a breakdown names is not in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoSuchAttribute {
    pub name: String,
    /// The attributes the log has (`channel` first).
    pub known: Vec<String>,
}

impl std::fmt::Display for NoSuchAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<&str> = self.known.iter().take(20).map(String::as_str).collect();
        let more = self.known.len().saturating_sub(20);
        write!(f, "the log has no attribute `{}`; it has: {}", self.name, shown.join(", "))?;
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        Ok(())
    }
}

impl std::error::Error for NoSuchAttribute {}

/// The values of a customer attribute (or `channel`): a breakdown runs the
/// analysis once per value.
pub fn breakdown_values(log: &EventLog, name: &str) -> Result<Vec<String>, NoSuchAttribute> {
    let bare = name.strip_prefix("case:").unwrap_or(name);
    if let Some(col) = log.case_attrs.iter().find(|a| a.name == bare) {
        let mut v: Vec<String> = col.dict.values().map(str::to_string).collect();
        v.sort();
        return Ok(v);
    }
    if let Some(col) = log.attrs.iter().find(|a| a.name == name) {
        let mut v: Vec<String> = col.dict.values().map(str::to_string).collect();
        v.sort();
        return Ok(v);
    }
    if name == "channel" {
        let mut v: Vec<String> = log.channels.values().map(str::to_string).collect();
        v.sort();
        return Ok(v);
    }
    let mut known: Vec<String> = vec!["channel".into()];
    known.extend(log.case_attrs.iter().map(|a| a.name.clone()));
    known.extend(log.attrs.iter().map(|a| a.name.clone()));
    Err(NoSuchAttribute { name: name.to_string(), known })
}

/// The customers whose attribute `name` is `value` (customer level: every
/// event of theirs; event level and channel: the customers with at least one
/// such event, all their events kept).
pub fn customers_with(log: &EventLog, name: &str, value: &str) -> EventLog {
    let bare = name.strip_prefix("case:").unwrap_or(name);
    let n_cases = log.cases.len();
    let mut keep_case = vec![false; n_cases];
    if let Some(col) = log.case_attrs.iter().find(|a| a.name == bare) {
        for (c, k) in keep_case.iter_mut().enumerate() {
            *k = col.value(c) == Some(value);
        }
    } else if let Some(col) = log.attrs.iter().find(|a| a.name == name) {
        for i in 0..log.len() {
            if col.value(i) == Some(value) {
                keep_case[log.case[i] as usize] = true;
            }
        }
    } else if name == "channel" {
        for i in 0..log.len() {
            let c = log.channel[i];
            if c != NONE && log.channels.get(c) == value {
                keep_case[log.case[i] as usize] = true;
            }
        }
    }
    let mut out = log.clone();
    let mask: Vec<bool> = log.case.iter().map(|&c| keep_case[c as usize]).collect();
    retain_rows(&mut out, &mask);
    out
}

/// A share from 0 to 1 as the exact fraction its decimal text writes
/// (`0.8` is 8/10), so that "covers at least this share" is a comparison
/// of integers that every backend makes alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub num: u64,
    /// A power of ten, at most 10⁹.
    pub den: u64,
}

impl Share {
    /// Reads `0`, `1`, `0.8`, `.25` or `1.0` (at most nine decimals).
    pub fn parse(text: &str) -> Result<Share, String> {
        let t = text.trim();
        let bad = || format!("`{t}`: expected a share from 0 to 1 with at most nine decimals, e.g. 0.8");
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || frac.len() > 9 {
            return Err(bad());
        }
        let den = 10u64.pow(frac.len() as u32);
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
        let frac: u64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        let num = whole.checked_mul(den).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
        if num > den {
            return Err(bad());
        }
        Ok(Share { num, den })
    }

    /// Whether `part` of `total` is at least the share.
    pub fn reached_by(self, part: u64, total: u64) -> bool {
        u128::from(part) * u128::from(self.den) >= u128::from(self.num) * u128::from(total)
    }
}

/// Keeps the customers whose journey is one of the most frequent variants
/// (ties by the sequence's names, byte-wise) that together cover at least
/// `share` of the customers: variants are taken while those before them
/// cover less.
pub fn keep_covering_variants(log: &EventLog, share: Share) -> EventLog {
    let j = journeys::build(log);
    let mut counts: FxHashMap<&[u32], u64> = FxHashMap::default();
    for c in 0..j.slots() {
        let r = j.range(c);
        if !r.is_empty() {
            *counts.entry(&j.acts[r]).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<(&[u32], u64)> = counts.into_iter().collect();
    // Ties by the sequence's names, byte-wise, as the top variants are ranked.
    let names = |v: &[u32]| v.iter().map(|&a| log.activities.get(a)).collect::<Vec<_>>();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| names(a.0).cmp(&names(b.0))));
    let total: u64 = ranked.iter().map(|v| v.1).sum();
    let mut kept: rustc_hash::FxHashSet<&[u32]> = rustc_hash::FxHashSet::default();
    let mut covered = 0u64;
    for (v, n) in ranked {
        if total > 0 && share.reached_by(covered, total) {
            break;
        }
        kept.insert(v);
        covered += n;
    }
    let mut keep_case = vec![false; log.cases.len()];
    for (c, k) in keep_case.iter_mut().enumerate().take(j.slots()) {
        let r = j.range(c);
        *k = !r.is_empty() && kept.contains(&j.acts[r]);
    }
    let mut out = log.clone();
    let mask: Vec<bool> = log.case.iter().map(|&c| keep_case[c as usize]).collect();
    retain_rows(&mut out, &mask);
    out
}

/// A simplified directly-follows graph: the most frequent transitions that
/// together make up `share` of all transitions, plus the rarer ones still
/// needed so that every kept touchpoint lies on a path from a start
/// touchpoint to an end touchpoint. Rare edges are dropped from the least
/// frequent up, and only when the graph stays connected that way.
pub fn simplify_dfg(summary: &crate::Summary, share: f64) -> Vec<crate::contract::Edge> {
    let mut edges: Vec<crate::contract::Edge> = summary.dfg.clone();
    edges.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    let total: u64 = edges.iter().map(|e| e.count).sum();
    let starts: Vec<&str> = summary.start_touchpoints.iter().map(|c| c.touchpoint.as_str()).collect();
    let ends: Vec<&str> = summary.end_touchpoints.iter().map(|c| c.touchpoint.as_str()).collect();
    let mut keep = vec![true; edges.len()];
    // The frequent core is never dropped.
    let mut core = 0;
    let mut acc = 0u64;
    while core < edges.len() && (total == 0 || (acc as f64) < share * total as f64) {
        acc += edges[core].count;
        core += 1;
    }
    for i in (core..edges.len()).rev() {
        keep[i] = false;
        if !connected(&edges, &keep, &starts, &ends) {
            keep[i] = true;
        }
    }
    edges.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect()
}

/// Every node touched by a kept edge is reachable from a start and reaches
/// an end, using kept edges only.
fn connected(edges: &[crate::contract::Edge], keep: &[bool], starts: &[&str], ends: &[&str]) -> bool {
    use std::collections::{HashMap, HashSet};
    let mut fwd: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut back: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut nodes: HashSet<&str> = HashSet::new();
    for (e, &k) in edges.iter().zip(keep) {
        if k {
            fwd.entry(&e.from).or_default().push(&e.to);
            back.entry(&e.to).or_default().push(&e.from);
            nodes.insert(&e.from);
            nodes.insert(&e.to);
        }
    }
    let reach = |seeds: &[&str], adj: &HashMap<&str, Vec<&str>>| -> HashSet<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack: Vec<&str> = seeds.iter().copied().filter(|s| nodes.contains(s)).collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n.to_string()) {
                stack.extend(adj.get(n).into_iter().flatten().copied());
            }
        }
        seen
    };
    let from_start = reach(starts, &fwd);
    let to_end = reach(ends, &back);
    nodes.iter().all(|n| from_start.contains(*n) && to_end.contains(*n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest rank is the smallest r with r ≥ 0.9·n, i.e. 10·r ≥ 9·n,
    /// checked in integers, for small n and for n where 0.9·n in floats
    /// lands just above a whole number.
    #[test]
    fn p90_rank_is_the_smallest_rank_covering_nine_tenths() {
        let large = [10usize.pow(16) + 1, 123_456_789_012_340, 9_007_199_254_740_990];
        for n in (1..100_000).chain(large) {
            let r = p90_rank(n) as u128;
            assert!(r * 10 >= 9 * n as u128 && (r - 1) * 10 < 9 * n as u128, "n = {n}: rank {r}");
        }
        assert_eq!(p90_rank(0), 1, "no values: the caller never asks");
        // The float formula ⌈n × 0.9⌉ is one too low for this n.
        let n = 10usize.pow(16) + 1;
        assert_ne!((n as f64 * 0.9).ceil() as usize, p90_rank(n));
    }
}
