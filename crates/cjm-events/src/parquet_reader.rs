//! Parquet through arrow-rs. String columns are read as dictionaries where
//! the file has them, so a touchpoint is interned once per row group, not
//! once per row.

use crate::csv_reader::time_problem;
use crate::{Builder, Dict, EventLog, ReadError, ReadOptions, NONE};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::arrow::ProjectionMask;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const BATCH: usize = 64 * 1024;

pub(crate) fn read(path: &Path, shown: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let err = |message: String| ReadError { path: shown.to_string(), line: None, message };
    let file = std::fs::File::open(path).map_err(|e| {
        err(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            _ => e.to_string(),
        })
    })?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let cols = opts.columns.resolve(&headers).map_err(err)?;
    let mut wanted: Vec<usize> = vec![cols.case, cols.time, cols.activity];
    wanted.extend(cols.channel);
    wanted.extend(cols.score);
    wanted.extend(cols.attrs.iter().map(|(i, _, _)| *i));
    wanted.sort_unstable();
    wanted.dedup();
    // Ask for string columns as dictionaries where every row group stores
    // them dictionary-encoded: arrow-rs then hands over the file's
    // dictionaries instead of one string per row. (A column that fell back
    // to plain pages is read plainly: building dictionaries would hash twice.)
    let dictionary_encoded = fully_dictionary_encoded(builder.metadata(), schema.fields().len());
    let hinted: Vec<Arc<Field>> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 if dictionary_encoded[i] => Arc::new(
                Field::new(
                    f.name(),
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                    f.is_nullable(),
                )
                .with_metadata(f.metadata().clone()),
            ),
            _ => f.clone(),
        })
        .collect();
    let schema_hint = Arc::new(Schema::new_with_metadata(hinted, schema.metadata().clone()));
    let group_rows: Vec<u64> = builder.metadata().row_groups().iter().map(|rg| rg.num_rows().max(0) as u64).collect();
    let rows_total: u64 = group_rows.iter().sum();
    let ctx = PartContext {
        path,
        shown,
        opts,
        cols: &cols,
        headers: &headers,
        wanted: &wanted,
        schema: schema_hint,
        total,
        rows_total,
        done: AtomicU64::new(0),
    };
    let threads = opts.threads();
    // Rows are read in parallel, one contiguous range per core (split inside
    // a row group when there are fewer groups than cores), when there are
    // enough of them and no attribute columns (their dictionaries would need
    // merging too). The ranges are contiguous, so rows keep their order.
    if threads < 2 || rows_total < 200_000 || !cols.attrs.is_empty() {
        let b = read_part(&ctx, None, 0, None)?;
        let mut log = b.finish(opts.lifecycle);
        log.columns = Some(cols.describe(&headers));
        return Ok(log);
    }
    let ranges = row_ranges(&group_rows, threads);
    // Every part writes its rows straight into its own stretch of the final
    // columns (first touched by the thread that fills it); afterwards only
    // the later parts' dictionary ids are rewritten in place. No row is
    // copied from one buffer to another.
    let n = rows_total as usize;
    let mut case = vec![0u32; n];
    let mut time = vec![0i64; n];
    let mut activity = vec![0u32; n];
    let mut channel = vec![0u32; n];
    let mut score = vec![0f64; n];
    let parts: Vec<Result<(Builder, usize), ReadError>> = {
        let mut outs = Vec::new();
        let (mut c, mut t, mut a, mut h, mut sc) =
            (&mut case[..], &mut time[..], &mut activity[..], &mut channel[..], &mut score[..]);
        for (part, _) in &ranges {
            let len = part.rows as usize;
            let (c0, c1) = std::mem::take(&mut c).split_at_mut(len);
            let (t0, t1) = std::mem::take(&mut t).split_at_mut(len);
            let (a0, a1) = std::mem::take(&mut a).split_at_mut(len);
            let (h0, h1) = std::mem::take(&mut h).split_at_mut(len);
            let (s0, s1) = std::mem::take(&mut sc).split_at_mut(len);
            outs.push(Out { case: c0, time: t0, activity: a0, channel: h0, score: s0, written: 0 });
            (c, t, a, h, sc) = (c1, t1, a1, h1, s1);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .into_iter()
                .zip(outs)
                .map(|((part, base), mut out)| {
                    let ctx = &ctx;
                    scope.spawn(move || read_part(ctx, Some(part), base, Some(&mut out)).map(|b| (b, out.written)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ReadError { path: shown.to_string(), line: None, message: "a reader thread failed".into() })
                    })
                })
                .collect()
        })
    };
    let merging = std::time::Instant::now();
    let mut parts = parts.into_iter();
    let (mut b, first_written) = parts.next().expect("at least one part")?;
    let mut start = first_written;
    let mut end_of_range = first_written + b.log.stats.bad_rows as usize;
    for part in parts {
        let (part, written) = part?;
        let range = part.log.stats.rows as usize;
        let cases = b.log.cases.absorb(&part.log.cases);
        let acts = b.log.activities.absorb(&part.log.activities);
        let chans = b.log.channels.absorb(&part.log.channels);
        let at = end_of_range;
        for c in &mut case[at..at + written] {
            *c = cases[*c as usize];
        }
        for x in &mut activity[at..at + written] {
            *x = acts[*x as usize];
        }
        for x in &mut channel[at..at + written] {
            if *x != NONE {
                *x = chans[*x as usize];
            }
        }
        // Rows left out as bad leave a gap at the end of a part: close it.
        if at != start {
            case.copy_within(at..at + written, start);
            time.copy_within(at..at + written, start);
            activity.copy_within(at..at + written, start);
            channel.copy_within(at..at + written, start);
            score.copy_within(at..at + written, start);
        }
        start += written;
        end_of_range = at + range;
        b.log.stats.absorb(part.log.stats);
    }
    for v in [&mut case, &mut activity, &mut channel] {
        v.truncate(start);
    }
    time.truncate(start);
    score.truncate(start);
    (b.log.case, b.log.time, b.log.activity, b.log.channel, b.log.score) = (case, time, activity, channel, score);
    if std::env::var_os("CJM_TIMINGS").is_some() {
        eprintln!("timings: merge {:?}", merging.elapsed());
    }
    let mut log = b.finish(opts.lifecycle);
    log.columns = Some(cols.describe(&headers));
    Ok(log)
}

/// Where a part of a parallel read writes its rows.
struct Out<'a> {
    case: &'a mut [u32],
    time: &'a mut [i64],
    activity: &'a mut [u32],
    channel: &'a mut [u32],
    score: &'a mut [f64],
    written: usize,
}

impl Out<'_> {
    fn push(&mut self, case: u32, time: i64, activity: u32, channel: u32, score: f64) {
        let w = self.written;
        (self.case[w], self.time[w], self.activity[w], self.channel[w], self.score[w]) =
            (case, time, activity, channel, score);
        self.written += 1;
    }
}

/// One part of a parallel read: the row groups it touches, which of their
/// rows it keeps, and the number of its first row in the file.
pub(crate) struct Part {
    groups: Vec<usize>,
    selection: Option<RowSelection>,
    rows: u64,
}

/// Splits the file's rows into `parts` contiguous ranges of about equal size.
fn row_ranges(group_rows: &[u64], parts: usize) -> Vec<(Part, u64)> {
    let total: u64 = group_rows.iter().sum();
    let mut starts = vec![0u64];
    for r in group_rows {
        starts.push(starts.last().copied().unwrap_or(0) + r);
    }
    let mut out = Vec::new();
    for t in 0..parts as u64 {
        let (lo, hi) = (total * t / parts as u64, total * (t + 1) / parts as u64);
        if hi <= lo {
            continue;
        }
        let first = starts.partition_point(|&s| s <= lo) - 1;
        let last = starts.partition_point(|&s| s < hi) - 1;
        let (from, to) = (starts[first], starts[last + 1]);
        let mut selectors = Vec::new();
        if lo > from {
            selectors.push(RowSelector::skip((lo - from) as usize));
        }
        selectors.push(RowSelector::select((hi - lo) as usize));
        if to > hi {
            selectors.push(RowSelector::skip((to - hi) as usize));
        }
        let whole = lo == from && hi == to;
        out.push((
            Part { groups: (first..=last).collect(), selection: (!whole).then(|| selectors.into()), rows: hi - lo },
            lo,
        ));
    }
    out
}

/// What every part of a parallel read shares.
struct PartContext<'a> {
    path: &'a Path,
    shown: &'a str,
    opts: &'a ReadOptions,
    cols: &'a crate::mapping::Resolved,
    headers: &'a [String],
    wanted: &'a [usize],
    schema: Arc<Schema>,
    total: u64,
    rows_total: u64,
    done: AtomicU64,
}

/// Reads the given part (the whole file when `None`); `row_base` numbers its rows.
fn read_part(
    ctx: &PartContext,
    part: Option<Part>,
    row_base: u64,
    mut out: Option<&mut Out>,
) -> Result<Builder, ReadError> {
    let (path, shown, opts, cols, headers, wanted, total) =
        (ctx.path, ctx.shown, ctx.opts, ctx.cols, ctx.headers, ctx.wanted, ctx.total);
    let err = |message: String| ReadError { path: shown.to_string(), line: None, message };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let options = ArrowReaderOptions::new().with_schema(ctx.schema.clone());
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        .map_err(|e| err(format!("not a readable Parquet file: {e}")))?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), wanted.iter().copied());
    let part_rows: u64 = part.as_ref().map_or(ctx.rows_total, |p| p.rows);
    let builder = match part {
        Some(Part { groups, selection: Some(sel), .. }) => builder.with_row_groups(groups).with_row_selection(sel),
        Some(Part { groups, selection: None, .. }) => builder.with_row_groups(groups),
        None => builder,
    };
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
    let position = |col: usize| wanted.iter().position(|&w| w == col).expect("projected");

    let mut b = Builder::new(shown, opts.strict);
    if out.is_none() {
        let room = part_rows as usize;
        b.log.case.reserve(room);
        b.log.time.reserve(room);
        b.log.activity.reserve(room);
        b.log.channel.reserve(room);
        b.log.score.reserve(room);
    }
    let mut caches: [DictCache; 3] = Default::default();
    let mut row_base = row_base;
    for batch in reader {
        let batch = batch.map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
        let n = batch.num_rows();
        let case_ids = text_ids(batch.column(position(cols.case)), &mut b.log.cases, &mut caches[0])
            .map_err(|m| err(format!("column `{}`: {m}", headers[cols.case])))?;
        let activity_ids = text_ids(batch.column(position(cols.activity)), &mut b.log.activities, &mut caches[1])
            .map_err(|m| err(format!("column `{}`: {m}", headers[cols.activity])))?;
        let channel_ids = match cols.channel {
            Some(c) => text_ids(batch.column(position(c)), &mut b.log.channels, &mut caches[2])
                .map_err(|m| err(format!("column `{}`: {m}", headers[c])))?,
            None => vec![NONE; n],
        };
        let times = time_values(batch.column(position(cols.time)), opts)
            .map_err(|m| err(format!("column `{}`: {m}", headers[cols.time])))?;
        let scores = match cols.score {
            Some(c) => {
                number_values(batch.column(position(c))).map_err(|m| err(format!("column `{}`: {m}", headers[c])))?
            }
            None => vec![f64::NAN; n],
        };
        let attr_values: Vec<(Vec<Option<String>>, &str, bool)> = cols
            .attrs
            .iter()
            .map(|(i, name, case_level)| Ok((strings(batch.column(position(*i)))?, name.as_str(), *case_level)))
            .collect::<Result<_, String>>()
            .map_err(err)?;
        let all_clean = case_ids.iter().all(|&c| c != NONE)
            && activity_ids.iter().all(|&a| a != NONE)
            && times.iter().all(Option::is_some);
        b.log.stats.rows += n as u64;
        if let (Some(o), true) = (out.as_deref_mut(), all_clean) {
            let w = o.written;
            o.case[w..w + n].copy_from_slice(&case_ids);
            o.activity[w..w + n].copy_from_slice(&activity_ids);
            o.channel[w..w + n].copy_from_slice(&channel_ids);
            for (slot, t) in o.time[w..w + n].iter_mut().zip(&times) {
                *slot = t.unwrap_or(0);
            }
            o.score[w..w + n].copy_from_slice(&scores);
            o.written += n;
        } else if all_clean && attr_values.is_empty() {
            b.log.case.extend_from_slice(&case_ids);
            b.log.activity.extend_from_slice(&activity_ids);
            b.log.channel.extend_from_slice(&channel_ids);
            b.log.time.extend(times.iter().map(|t| t.unwrap_or(0)));
            b.log.score.extend_from_slice(&scores);
        } else {
            for r in 0..n {
                let row = row_base + r as u64 + 1;
                if case_ids[r] == NONE {
                    b.bad_row(row, format!("`{}` is empty", headers[cols.case]))?;
                    continue;
                }
                if activity_ids[r] == NONE {
                    b.bad_row(row, format!("`{}` is empty", headers[cols.activity]))?;
                    continue;
                }
                let Some(t) = times[r] else {
                    b.bad_row(row, format!("`{}` has no readable time", headers[cols.time]))?;
                    continue;
                };
                match out.as_deref_mut() {
                    Some(o) => o.push(case_ids[r], t, activity_ids[r], channel_ids[r], scores[r]),
                    None => b.push(case_ids[r], t, activity_ids[r], channel_ids[r], scores[r]),
                }
                for (values, name, case_level) in &attr_values {
                    if let Some(v) = values[r].as_deref().filter(|v| !v.is_empty()) {
                        if *case_level {
                            b.set_case_attr(case_ids[r], name, v);
                        } else {
                            b.set_attr(name, v);
                        }
                    }
                }
            }
        }
        row_base += n as u64;
        let done = ctx.done.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if let Some(p) = opts.progress {
            p(done * total / ctx.rows_total.max(1), total);
        }
    }
    Ok(b)
}

/// For each top-level column: true when every row group has a dictionary
/// page and no plain-encoded data pages.
fn fully_dictionary_encoded(meta: &parquet::file::metadata::ParquetMetaData, n_fields: usize) -> Vec<bool> {
    use parquet::basic::Encoding;
    let schema = meta.file_metadata().schema_descr();
    (0..n_fields)
        .map(|field| {
            let leaves: Vec<usize> =
                (0..schema.num_columns()).filter(|&c| schema.get_column_root_idx(c) == field).collect();
            leaves.len() == 1
                && meta.row_groups().iter().all(|rg| {
                    let col = rg.column(leaves[0]);
                    let plain_data = match col.page_encoding_stats() {
                        Some(stats) => stats.iter().any(|s| {
                            s.page_type != parquet::basic::PageType::DICTIONARY_PAGE && s.encoding == Encoding::PLAIN
                        }),
                        // Without page statistics, a PLAIN encoding may be a fallback.
                        None => col.encodings().any(|e| e == Encoding::PLAIN),
                    };
                    col.dictionary_page_offset().is_some() && !plain_data
                })
        })
        .collect()
}

/// Maps of a batch's dictionary values to our ids, reused while the
/// dictionary stays the same (arrow-rs hands out one per row group).
#[derive(Default)]
struct DictCache {
    key: (usize, usize),
    ids: Vec<u32>,
}

/// Our ids for a string column ([`NONE`] for nulls and empty strings).
fn text_ids(array: &ArrayRef, dict: &mut Dict, cache: &mut DictCache) -> Result<Vec<u32>, String> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    let mut intern = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map_or(NONE, |s| dict.intern(s));
    match array.data_type() {
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let d = array.as_dictionary::<Int32Type>();
            let values = d.values();
            let identity =
                (values.to_data().buffers().iter().map(|b| b.as_ptr() as usize).sum::<usize>(), values.len());
            if cache.key != identity || cache.ids.len() != values.len() {
                cache.ids.clear();
                if values.data_type() == &DataType::Utf8 {
                    let v = values.as_string::<i32>();
                    cache.ids.extend((0..v.len()).map(|i| intern(v.is_valid(i).then(|| v.value(i)))));
                } else {
                    for s in strings(values)? {
                        cache.ids.push(intern(s.as_deref()));
                    }
                }
                cache.key = identity;
            }
            let keys = d.keys();
            out.extend((0..n).map(|i| if keys.is_valid(i) { cache.ids[keys.value(i) as usize] } else { NONE }));
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            out.extend((0..n).map(|i| intern(a.is_valid(i).then(|| a.value(i)))));
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            out.extend((0..n).map(|i| intern(a.is_valid(i).then(|| a.value(i)))));
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            out.extend((0..n).map(|i| intern(a.is_valid(i).then(|| a.value(i)))));
        }
        _ => {
            for s in strings(array)? {
                out.push(intern(s.as_deref()));
            }
        }
    }
    Ok(out)
}

/// Any column as optional strings (numbers and booleans written out).
fn strings(array: &dyn Array) -> Result<Vec<Option<String>>, String> {
    let n = array.len();
    let valid = |i: usize| array.is_valid(i);
    macro_rules! prim {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            (0..n).map(|i| valid(i).then(|| a.value(i).to_string())).collect()
        }};
    }
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n).map(|i| valid(i).then(|| a.value(i).to_string())).collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n).map(|i| valid(i).then(|| a.value(i).to_string())).collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..n).map(|i| valid(i).then(|| a.value(i).to_string())).collect()
        }
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let d = array.as_dictionary::<Int32Type>();
            let values = strings(d.values())?;
            (0..n).map(|i| if valid(i) { values[d.keys().value(i) as usize].clone() } else { None }).collect()
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..n).map(|i| valid(i).then(|| a.value(i).to_string())).collect()
        }
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            let t = time_values(
                &(Arc::new(arrow_array::make_array(array.to_data())) as ArrayRef),
                &ReadOptions::default(),
            )?;
            t.into_iter().map(|v| v.map(crate::time::format_utc)).collect()
        }
        other => return Err(format!("columns of type {other} cannot be read; convert it to text or numbers")),
    })
}

/// Times as microseconds since the epoch.
fn time_values(array: &ArrayRef, opts: &ReadOptions) -> Result<Vec<Option<i64>>, String> {
    let n = array.len();
    macro_rules! ts {
        ($t:ty, $mul:expr, $div:expr) => {{
            let a = array.as_primitive::<$t>();
            (0..n).map(|i| array.is_valid(i).then(|| a.value(i) * $mul / $div)).collect()
        }};
    }
    Ok(match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, tz) => adjust(ts!(TimestampSecondType, 1_000_000, 1), tz.is_none(), opts),
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            adjust(ts!(TimestampMillisecondType, 1000, 1), tz.is_none(), opts)
        }
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            adjust(ts!(TimestampMicrosecondType, 1, 1), tz.is_none(), opts)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
            adjust(ts!(TimestampNanosecondType, 1, 1000), tz.is_none(), opts)
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            adjust(
                (0..n).map(|i| array.is_valid(i).then(|| i64::from(a.value(i)) * 86_400_000_000)).collect(),
                true,
                opts,
            )
        }
        DataType::Date64 => adjust(ts!(Date64Type, 1000, 1), true, opts),
        DataType::Int64 | DataType::Int32 | DataType::UInt32 | DataType::UInt64 => {
            let s = strings(array.as_ref())?;
            s.iter().map(|v| v.as_deref().and_then(|t| opts.time.parse(t))).collect()
        }
        _ => {
            let s = strings(array.as_ref())?;
            let mut out = Vec::with_capacity(n);
            for v in s {
                match v {
                    Some(t) => match opts.time.parse(&t) {
                        Some(us) => out.push(Some(us)),
                        None => return Err(time_problem(&t)),
                    },
                    None => out.push(None),
                }
            }
            out
        }
    })
}

/// A naive timestamp column is in the default offset (`--tz`).
fn adjust(values: Vec<Option<i64>>, naive: bool, opts: &ReadOptions) -> Vec<Option<i64>> {
    let off = opts.time.default_offset * 1_000_000;
    if !naive || off == 0 {
        return values;
    }
    values.into_iter().map(|v| v.map(|t| t - off)).collect()
}

/// Numbers (NaN for nulls).
fn number_values(array: &ArrayRef) -> Result<Vec<f64>, String> {
    let n = array.len();
    macro_rules! num {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            (0..n).map(|i| if array.is_valid(i) { a.value(i) as f64 } else { f64::NAN }).collect()
        }};
    }
    Ok(match array.data_type() {
        DataType::Int8 => num!(Int8Type),
        DataType::Int16 => num!(Int16Type),
        DataType::Int32 => num!(Int32Type),
        DataType::Int64 => num!(Int64Type),
        DataType::UInt8 => num!(UInt8Type),
        DataType::UInt16 => num!(UInt16Type),
        DataType::UInt32 => num!(UInt32Type),
        DataType::UInt64 => num!(UInt64Type),
        DataType::Float32 => num!(Float32Type),
        DataType::Float64 => num!(Float64Type),
        _ => strings(array.as_ref())?
            .into_iter()
            .map(|v| match v.as_deref().map(str::trim) {
                None | Some("") => Ok(f64::NAN),
                Some(t) => t.parse::<f64>().map_err(|_| format!("the score `{t}` is not a number")),
            })
            .collect::<Result<_, _>>()?,
    })
}
