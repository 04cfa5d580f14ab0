//! The queries' rows, as Arrow record batches, turned into cjm-mine's
//! exact [`SummaryParts`]. Columns are found by name and read whatever
//! integer or text type the engine chose (Spark's BIGINT or INT, UTF8,
//! large UTF8 or a string view), so only a missing column or a value of
//! the wrong kind is an error, named.

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use cjm_mine::exact::ExactSum;
use cjm_mine::parts::{
    AnalysisParts, EdgeParts, EdgeTimeParts, FunnelParts, OrderStats, SummaryParts, TouchpointParts,
};
use cjm_mine::paths::{Label, PathParts};
use cjm_mine::trend::{ConversionPart, TrendPart};
use std::collections::HashMap;

/// Why results could not be read: which query and column, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Each query's rows, by the query's name.
pub type Results = HashMap<String, Vec<RecordBatch>>;

/// Arrow IPC bytes (the file or the stream format) as record batches.
pub fn read_ipc(bytes: &[u8]) -> Result<Vec<RecordBatch>, DecodeError> {
    let bad = |e: arrow_schema::ArrowError| DecodeError(format!("the engine's Arrow answer cannot be read: {e}"));
    if bytes.starts_with(b"ARROW1") {
        let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None).map_err(bad)?;
        reader.collect::<Result<_, _>>().map_err(bad)
    } else {
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(bad)?;
        reader.collect::<Result<_, _>>().map_err(bad)
    }
}

/// One query's rows, with readers for its columns.
struct Rows<'a> {
    query: &'a str,
    batches: &'a [RecordBatch],
}

impl<'a> Rows<'a> {
    fn of(results: &'a Results, query: &'a str) -> Result<Rows<'a>, DecodeError> {
        match results.get(query) {
            Some(batches) => Ok(Rows { query, batches }),
            None => Err(DecodeError(format!("the query `{query}` gave no answer"))),
        }
    }

    fn column(&self, b: &RecordBatch, name: &str) -> Result<ArrayRef, DecodeError> {
        b.column_by_name(name)
            .cloned()
            .ok_or_else(|| DecodeError(format!("the answer of `{}` has no column `{name}`", self.query)))
    }

    fn wrong(&self, name: &str, t: &DataType) -> DecodeError {
        DecodeError(format!("the column `{name}` of `{}` is {t}, not what cjm reads there", self.query))
    }

    /// Every row's value of a count column (null: 0).
    fn counts(&self, name: &str) -> Result<Vec<u64>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            match a.data_type() {
                DataType::Int64 => {
                    out.extend(a.as_primitive::<Int64Type>().iter().map(|v| v.unwrap_or(0).max(0) as u64))
                }
                DataType::Int32 => {
                    out.extend(a.as_primitive::<Int32Type>().iter().map(|v| v.unwrap_or(0).max(0) as u64))
                }
                t => return Err(self.wrong(name, t)),
            }
        }
        Ok(out)
    }

    /// Every row's time in microseconds (null: `None`).
    fn times(&self, name: &str) -> Result<Vec<Option<i64>>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            match a.data_type() {
                DataType::Int64 => out.extend(a.as_primitive::<Int64Type>().iter()),
                t => return Err(self.wrong(name, t)),
            }
        }
        Ok(out)
    }

    /// Every row's `DECIMAL(38,0)` sum (null: 0).
    fn sums(&self, name: &str) -> Result<Vec<i128>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            match a.data_type() {
                DataType::Decimal128(_, 0) => {
                    out.extend(a.as_primitive::<Decimal128Type>().iter().map(|v| v.unwrap_or(0)))
                }
                DataType::Int64 => out.extend(a.as_primitive::<Int64Type>().iter().map(|v| i128::from(v.unwrap_or(0)))),
                t => return Err(self.wrong(name, t)),
            }
        }
        Ok(out)
    }

    fn floats(&self, name: &str) -> Result<Vec<f64>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            match a.data_type() {
                DataType::Float64 => out.extend(a.as_primitive::<Float64Type>().iter().map(|v| v.unwrap_or(f64::NAN))),
                t => return Err(self.wrong(name, t)),
            }
        }
        Ok(out)
    }

    /// Every row's boolean (null: false).
    fn bools(&self, name: &str) -> Result<Vec<bool>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            match a.data_type() {
                DataType::Boolean => out.extend(a.as_boolean().iter().map(|v| v.unwrap_or(false))),
                t => return Err(self.wrong(name, t)),
            }
        }
        Ok(out)
    }

    /// Every row's text (a null is an error: names are never null here).
    fn texts(&self, name: &str) -> Result<Vec<String>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            for v in text_values(&a).ok_or_else(|| self.wrong(name, a.data_type()))? {
                out.push(
                    v.ok_or_else(|| DecodeError(format!("the column `{name}` of `{}` holds a null", self.query)))?,
                );
            }
        }
        Ok(out)
    }

    /// Every row's list of texts.
    fn text_lists(&self, name: &str) -> Result<Vec<Vec<String>>, DecodeError> {
        let mut out = Vec::new();
        for b in self.batches {
            let a = self.column(b, name)?;
            let lists: Vec<Option<ArrayRef>> = match a.data_type() {
                DataType::List(_) => a.as_list::<i32>().iter().collect(),
                DataType::LargeList(_) => a.as_list::<i64>().iter().collect(),
                t => return Err(self.wrong(name, t)),
            };
            for list in lists {
                let list = list.ok_or_else(|| DecodeError(format!("a `{name}` of `{}` is null", self.query)))?;
                let items = text_values(&list).ok_or_else(|| self.wrong(name, list.data_type()))?;
                out.push(items.into_iter().map(Option::unwrap_or_default).collect());
            }
        }
        Ok(out)
    }
}

fn text_values(a: &ArrayRef) -> Option<Vec<Option<String>>> {
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().iter().map(|v| v.map(String::from)).collect(),
        DataType::LargeUtf8 => a.as_string::<i64>().iter().map(|v| v.map(String::from)).collect(),
        DataType::Utf8View => a.as_string_view().iter().map(|v| v.map(String::from)).collect(),
        _ => return None,
    })
}

fn one(rows: &Rows, name: &str) -> Result<u64, DecodeError> {
    let v = rows.counts(name)?;
    match v.as_slice() {
        [n] => Ok(*n),
        _ => Err(DecodeError(format!("`{}` answered {} rows, not one", rows.query, v.len()))),
    }
}

/// The summary's parts from the answers of [`crate::sql::summary_plan`]
/// for a funnel of `funnel_steps` steps.
pub fn summary_parts(results: &Results, funnel_steps: usize) -> Result<SummaryParts, DecodeError> {
    let totals = Rows::of(results, "totals")?;
    let edges = Rows::of(results, "edges")?;
    let (from, to) = (edges.texts("from_touchpoint")?, edges.texts("to_touchpoint")?);
    let (n, timed, micros) = (edges.counts("n")?, edges.counts("timed")?, edges.sums("micros")?);
    let edges = (0..from.len())
        .map(|i| EdgeParts {
            from: from[i].clone(),
            to: to[i].clone(),
            count: n[i],
            timed: timed[i],
            micros: micros[i],
        })
        .collect();
    let named = |query: &str| -> Result<Vec<(String, u64)>, DecodeError> {
        let rows = Rows::of(results, query)?;
        Ok(rows.texts("touchpoint")?.into_iter().zip(rows.counts("n")?).collect())
    };
    let top = Rows::of(results, "top_variants")?;
    let touchpoints = touchpoint_parts(results)?;
    let funnel_reached = match funnel_steps {
        0 => Vec::new(),
        steps => {
            let rows = Rows::of(results, "funnel")?;
            let mut reached = vec![0u64; steps];
            for (level, n) in rows.counts("lvl")?.into_iter().zip(rows.counts("n")?) {
                // Customers who reached level `l` count at every step up to it.
                for slot in reached.iter_mut().take((level as usize).min(steps)) {
                    *slot += n;
                }
            }
            reached
        }
    };
    Ok(SummaryParts {
        n_events: one(&totals, "events")?,
        n_customers: one(&totals, "customers")?,
        edges,
        starts: named("starts")?,
        ends: named("ends")?,
        n_variants: one(&Rows::of(results, "variant_count")?, "n")?,
        variant_candidates: top.text_lists("seq")?.into_iter().zip(top.counts("n")?).collect(),
        touchpoints,
        funnel_reached,
    })
}

/// The analysis' transition times from the `edge_times` answer.
pub fn edge_time_parts(results: &Results) -> Result<Vec<EdgeTimeParts>, DecodeError> {
    let rows = Rows::of(results, "edge_times")?;
    let (from, to) = (rows.texts("from_touchpoint")?, rows.texts("to_touchpoint")?);
    Ok(from
        .into_iter()
        .zip(to)
        .zip(order_stats(&rows)?)
        .map(|((from, to), stats)| EdgeTimeParts { from, to, stats })
        .collect())
}

/// Events, customers and scored events per touchpoint, with the exact sum
/// of each one's scores from the (score, count) pairs.
fn touchpoint_parts(results: &Results) -> Result<Vec<TouchpointParts>, DecodeError> {
    let rows = Rows::of(results, "touchpoints")?;
    let scores = Rows::of(results, "scores")?;
    let mut sums: HashMap<String, ExactSum> = HashMap::new();
    let (names, values, counts) = (scores.texts("touchpoint")?, scores.floats("score")?, scores.counts("n")?);
    for ((name, value), n) in names.into_iter().zip(values).zip(counts) {
        if !value.is_finite() {
            return Err(DecodeError(format!("the score {value} of `{name}` is not finite; scores must be")));
        }
        sums.entry(name).or_default().add_times(value, n);
    }
    let (names, events, customers, scored) =
        (rows.texts("touchpoint")?, rows.counts("events")?, rows.counts("customers")?, rows.counts("scored")?);
    Ok((0..names.len())
        .map(|i| TouchpointParts {
            score_sum: sums.remove(&names[i]).unwrap_or_default(),
            touchpoint: names[i].clone(),
            events: events[i],
            customers: customers[i],
            scored: scored[i],
        })
        .collect())
}

/// Order statistics per group from an answer of the rank query (columns
/// n, total, min_d, max_d, lo, hi, p90), in row order.
fn order_stats(rows: &Rows) -> Result<Vec<OrderStats>, DecodeError> {
    let values =
        |name: &str| -> Result<Vec<i64>, DecodeError> { Ok(rows.sums(name)?.into_iter().map(|v| v as i64).collect()) };
    let (n, total) = (rows.counts("n")?, rows.sums("total")?);
    let (min, max, lo, hi, p90) = (values("min_d")?, values("max_d")?, values("lo")?, values("hi")?, values("p90")?);
    Ok((0..n.len())
        .map(|i| OrderStats { n: n[i], total: total[i], min: min[i], max: max[i], lo: lo[i], hi: hi[i], p90: p90[i] })
        .collect())
}

/// (from, to, count) rows of an answer.
pub(crate) fn pairs(
    results: &Results,
    query: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, u64)>, DecodeError> {
    let rows = Rows::of(results, query)?;
    let (a, b, n) = (rows.texts(from)?, rows.texts(to)?, rows.counts("n")?);
    Ok(a.into_iter().zip(b).zip(n).map(|((a, b), n)| (a, b, n)).collect())
}

/// The rows the log had before any filter (the `read` answer).
pub fn rows_read(results: &Results) -> Result<u64, DecodeError> {
    one(&Rows::of(results, "read")?, "n")
}

/// The analysis' parts from the answers of [`crate::sql::plan`] for
/// `req`, which asked for an analysis.
pub fn analysis_parts(results: &Results, req: &crate::sql::AnalysisRequest) -> Result<AnalysisParts, DecodeError> {
    let next = Rows::of(results, "next_times")?;
    let mut next: HashMap<String, OrderStats> =
        next.texts("touchpoint")?.into_iter().zip(order_stats(&next)?).collect();
    // Every touchpoint with an event, timed or not.
    let next_times = Rows::of(results, "touchpoints")?
        .texts("touchpoint")?
        .into_iter()
        .map(|a| (a.clone(), next.remove(&a)))
        .collect();
    let reach = Rows::of(results, "channel_reach")?;
    let channel_reach = reach
        .texts("channel")?
        .into_iter()
        .zip(reach.counts("events")?)
        .zip(reach.counts("customers")?)
        .map(|((c, e), n)| (c, e, n))
        .collect();
    let follows = match req.follows {
        0 => Vec::new(),
        _ => pairs(results, "follows", "from_touchpoint", "to_touchpoint")?,
    };
    let funnel = match req.funnel.as_ref().filter(|f| !f.steps.is_empty()) {
        Some(f) => Some(funnel_parts(results, f.steps.len(), req)?),
        None => None,
    };
    Ok(AnalysisParts {
        edge_times: edge_time_parts(results)?,
        follows,
        next_times,
        channel_reach,
        channel_switches: pairs(results, "channel_switches", "from_channel", "to_channel")?,
        funnel,
    })
}

/// A funnel of `n` steps from its answers.
fn funnel_parts(results: &Results, n: usize, req: &crate::sql::AnalysisRequest) -> Result<FunnelParts, DecodeError> {
    let levels = Rows::of(results, "funnel_levels")?;
    let mut parts = FunnelParts { reached: vec![0; n], from_start: vec![None; n], ..FunnelParts::default() };
    for (k, count) in levels.counts("k")?.into_iter().zip(levels.counts("n")?) {
        parts.total += count;
        parts.reached.iter_mut().take(k as usize).for_each(|r| *r += count);
    }
    let times = Rows::of(results, "funnel_times")?;
    for (step, stats) in times.counts("step")?.into_iter().zip(order_stats(&times)?) {
        let slot = parts.from_start.get_mut(step as usize);
        *slot.ok_or_else(|| DecodeError(format!("`funnel_times` names step {step} of {n}")))? = Some(stats);
    }
    parts.dropped = vec![Vec::new(); n];
    if req.dropped {
        let rows = Rows::of(results, "funnel_dropped")?;
        for (k, c) in rows.counts("k")?.into_iter().zip(rows.texts("c")?) {
            let slot = parts.dropped.get_mut(k as usize);
            slot.ok_or_else(|| DecodeError(format!("`funnel_dropped` names level {k} of {n}")))?.push(c);
        }
    }
    if req.conversion {
        let rows = Rows::of(results, "funnel_conversion")?;
        let mut hist: Vec<(i64, u64)> = rows.sums("d")?.into_iter().map(|d| d as i64).zip(rows.counts("n")?).collect();
        hist.sort_unstable();
        parts.conversion_micros = hist.into_iter().flat_map(|(d, c)| std::iter::repeat_n(d, c as usize)).collect();
    }
    Ok(parts)
}

/// A count column of an answer.
pub(crate) fn counts(results: &Results, query: &str, column: &str) -> Result<Vec<u64>, DecodeError> {
    Rows::of(results, query)?.counts(column)
}

/// The one row's count of an answer.
pub(crate) fn single(results: &Results, query: &str, column: &str) -> Result<u64, DecodeError> {
    one(&Rows::of(results, query)?, column)
}

/// A text column of an answer (no nulls).
pub(crate) fn texts(results: &Results, query: &str, column: &str) -> Result<Vec<String>, DecodeError> {
    Rows::of(results, query)?.texts(column)
}

/// A nullable text column of an answer.
pub(crate) fn optional_texts(results: &Results, query: &str, column: &str) -> Result<Vec<Option<String>>, DecodeError> {
    let rows = Rows::of(results, query)?;
    let mut out = Vec::new();
    for b in rows.batches {
        let a = rows.column(b, column)?;
        out.extend(text_values(&a).ok_or_else(|| rows.wrong(column, a.data_type()))?);
    }
    Ok(out)
}

/// A nullable integer column of an answer.
pub(crate) fn optional_counts(results: &Results, query: &str, column: &str) -> Result<Vec<Option<u64>>, DecodeError> {
    let rows = Rows::of(results, query)?;
    Ok(rows.times(column)?.into_iter().map(|v| v.map(|v| v.max(0) as u64)).collect())
}

/// A nullable double column of an answer.
pub(crate) fn optional_floats(results: &Results, query: &str, column: &str) -> Result<Vec<Option<f64>>, DecodeError> {
    let rows = Rows::of(results, query)?;
    Ok(rows.floats(column)?.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect())
}

/// A boolean column of an answer.
pub(crate) fn flags(results: &Results, query: &str, column: &str) -> Result<Vec<bool>, DecodeError> {
    Rows::of(results, query)?.bools(column)
}

/// The trend's parts (`trend`, `trend_new`) and, when the plan had a
/// funnel, its conversion's (`trend_conversion`).
pub fn trend_parts(
    results: &Results,
    funnel: bool,
) -> Result<(Vec<TrendPart>, Option<Vec<ConversionPart>>), DecodeError> {
    let bucket_numbers = |rows: &Rows| -> Result<Vec<i64>, DecodeError> {
        rows.times("b")?
            .into_iter()
            .map(|b| b.ok_or_else(|| DecodeError(format!("`{}` has a null bucket", rows.query))))
            .collect()
    };
    let rows = Rows::of(results, "trend")?;
    let mut parts: std::collections::BTreeMap<i64, TrendPart> = std::collections::BTreeMap::new();
    for ((b, events), customers) in
        bucket_numbers(&rows)?.into_iter().zip(rows.counts("events")?).zip(rows.counts("customers")?)
    {
        parts.insert(b, TrendPart { bucket: b, events, customers, new_customers: 0 });
    }
    let rows = Rows::of(results, "trend_new")?;
    for (b, n) in bucket_numbers(&rows)?.into_iter().zip(rows.counts("n")?) {
        parts.entry(b).or_insert(TrendPart { bucket: b, ..TrendPart::default() }).new_customers = n;
    }
    let conversion = if funnel {
        let rows = Rows::of(results, "trend_conversion")?;
        let (entered, converted) = (rows.counts("entered")?, rows.counts("converted")?);
        let parts = bucket_numbers(&rows)?.into_iter().zip(entered).zip(converted);
        Some(parts.map(|((bucket, entered), converted)| ConversionPart { bucket, entered, converted }).collect())
    } else {
        None
    };
    Ok((parts.into_values().collect(), conversion))
}

/// The answer of [`crate::sql::span_plan`]: the first and last known
/// times, `None` when no event has one.
pub fn span(results: &Results) -> Result<Option<(i64, i64)>, DecodeError> {
    let rows = Rows::of(results, "span")?;
    match (rows.times("lo")?.as_slice(), rows.times("hi")?.as_slice()) {
        ([Some(lo)], [Some(hi)]) => Ok(Some((*lo, *hi))),
        ([_], [_]) => Ok(None),
        (lo, _) => Err(DecodeError(format!("`span` answered {} rows, not one", lo.len()))),
    }
}

/// The one row's `lo` and `hi` doubles (null: the empty range, infinite
/// bounds).
pub(crate) fn range(results: &Results, query: &str) -> Result<(f64, f64), DecodeError> {
    let rows = Rows::of(results, query)?;
    let (lo, hi) = (rows.floats("lo")?, rows.floats("hi")?);
    match (lo.as_slice(), hi.as_slice()) {
        ([lo], [hi]) if !lo.is_nan() && !hi.is_nan() => Ok((*lo, *hi)),
        ([_], [_]) => Ok((f64::INFINITY, f64::NEG_INFINITY)),
        _ => Err(DecodeError(format!("`{query}` answered {} rows, not one", lo.len()))),
    }
}

/// A key's scored count and exact sum.
type Scored = (u64, (u64, ExactSum));

/// (key, score, n) rows as each key's scored count and exact sum.
pub(crate) fn score_sums(results: &Results, query: &str, key: &str) -> Result<Vec<Scored>, DecodeError> {
    let rows = Rows::of(results, query)?;
    let mut sums: std::collections::BTreeMap<u64, (u64, ExactSum)> = std::collections::BTreeMap::new();
    for ((k, value), n) in rows.counts(key)?.into_iter().zip(rows.floats("score")?).zip(rows.counts("n")?) {
        if !value.is_finite() {
            return Err(DecodeError(format!("the score {value} is not finite; scores must be")));
        }
        let slot = sums.entry(k).or_default();
        slot.0 += n;
        slot.1.add_times(value, n);
    }
    Ok(sums.into_iter().collect())
}

/// Order statistics by a count key, from an answer of the rank query.
pub(crate) fn ranked_rows(results: &Results, query: &str, key: &str) -> Result<Vec<(u64, OrderStats)>, DecodeError> {
    let rows = Rows::of(results, query)?;
    Ok(rows.counts(key)?.into_iter().zip(order_stats(&rows)?).collect())
}

/// The paths' parts from the answers of a plan with paths (`customers`
/// from its summary), and whether the log has the anchor's touchpoint
/// (always, anchored at the first event).
pub fn paths_parts(results: &Results, customers: u64) -> Result<(PathParts, bool), DecodeError> {
    let label = |text: String| match text.strip_prefix("t:") {
        Some(name) => Ok(Label::Touchpoint(name.to_string())),
        None if text == "e" => Ok(Label::End),
        None => Err(DecodeError(format!("a path's label `{text}` is neither `t:NAME` nor `e`"))),
    };
    let column = |rows: &Rows| -> Result<Vec<usize>, DecodeError> {
        Ok(rows.counts("k")?.into_iter().map(|k| k as usize).collect())
    };
    let rows = Rows::of(results, "paths_nodes")?;
    let mut nodes = Vec::new();
    for ((k, x), n) in column(&rows)?.into_iter().zip(rows.texts("label")?).zip(rows.counts("n")?) {
        nodes.push((k, label(x)?, n));
    }
    let rows = Rows::of(results, "paths_links")?;
    let mut links = Vec::new();
    let pairs = rows.texts("a")?.into_iter().zip(rows.texts("b")?);
    for ((k, (a, b)), n) in column(&rows)?.into_iter().zip(pairs).zip(rows.counts("n")?) {
        links.push((k, label(a)?, label(b)?, n));
    }
    let anchored = single(results, "paths_anchored", "n")?;
    let known = match results.get("paths_known") {
        Some(_) => single(results, "paths_known", "n")? > 0,
        None => true,
    };
    Ok((PathParts { customers, anchored, nodes, links }, known))
}

/// The answers of a plan with a `breakdown`, one [`Results`] per segment
/// value (in byte order): each query's rows whose `g` is that value, in
/// their order; a query without `g` (the rows read) goes whole to every
/// segment.
pub fn segments(results: &Results) -> Result<std::collections::BTreeMap<String, Results>, DecodeError> {
    let totals = Rows::of(results, "totals")?;
    let mut out: std::collections::BTreeMap<String, Results> = std::collections::BTreeMap::new();
    for g in totals.texts("g")? {
        out.insert(g, results.keys().map(|q| (q.clone(), Vec::new())).collect());
    }
    for (query, batches) in results {
        for b in batches {
            let Some(column) = b.column_by_name("g") else {
                for seg in out.values_mut() {
                    seg.entry(query.clone()).or_default().push(b.clone());
                }
                continue;
            };
            let values = text_values(column)
                .ok_or_else(|| DecodeError(format!("the column `g` of `{query}` is {}", column.data_type())))?;
            // Runs of one value, each a slice of the batch (no copy).
            let mut start = 0;
            while start < values.len() {
                let g = values[start].as_deref().unwrap_or_default();
                let len = values[start..].iter().take_while(|v| v.as_deref().unwrap_or_default() == g).count();
                let seg = out.get_mut(g).ok_or_else(|| {
                    DecodeError(format!("`{query}` answered for the segment `{g}`, which `totals` does not have"))
                })?;
                seg.entry(query.clone()).or_default().push(b.slice(start, len));
                start += len;
            }
        }
    }
    Ok(out)
}
