//! The canonical layout (`cjm.layout = events/1`): a log as cjm read it,
//! written as Parquet that any engine reads back in the same order.
//!
//! Every reader rule (trimming, bad rows, the lifecycle choice, `--tz`,
//! timestamp text formats, nanoseconds cut to microseconds) has been applied
//! once, by cjm's reader, so an engine that reads this file needs none of
//! them. The columns, in this order:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `cjm_row` | INT64, not null | the event's 0-based position in the log as cjm read it: the tie-break of equal times |
//! | `cjm_customer` | UTF8, not null | the customer (case) id |
//! | `cjm_time` | TIMESTAMP(MICROS, UTC), null = unknown time | when it happened |
//! | `cjm_touchpoint` | UTF8, not null | the touchpoint (activity) |
//! | `cjm_channel` | UTF8, null = none | the channel |
//! | `cjm_score` | DOUBLE, null = none | the score (always finite) |
//! | each event attribute | UTF8, null = none | as named in the log |
//! | `case:NAME` for each customer attribute | UTF8, null = none | the customer's value, on each of their rows |
//!
//! The file's key-value metadata holds `cjm.layout = events/1`. cjm's own
//! reader, seeing it, takes the roles from these names, reads a null time
//! as unknown, and keeps `cjm_row` out of the attributes, so a log
//! exported and read back gives the same outputs byte for byte. (The role
//! columns carry the `cjm_` prefix because logs have attributes named
//! `customer`, `time` or `channel`: the helpdesk log has a `customer`.)

use crate::{EventLog, NONE, UNKNOWN_TIME};
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;

/// The key-value metadata key and value that mark the layout.
pub const LAYOUT_KEY: &str = "cjm.layout";
pub const LAYOUT: &str = "events/1";
/// The row number column.
pub const ROW_COLUMN: &str = "cjm_row";
/// The role columns' names, in the file's order.
pub const ROLE_COLUMNS: [&str; 5] = ["cjm_customer", "cjm_time", "cjm_touchpoint", "cjm_channel", "cjm_score"];

/// Rows per written batch (the writer's row groups hold many batches).
const BATCH: usize = 65_536;
/// Rows per row group, unless told otherwise.
pub const ROW_GROUP: usize = 1 << 20;

/// What was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub row_groups: u64,
    pub attributes: usize,
}

/// Writes `log` in the canonical layout to `out`, `row_group` rows to a
/// row group (an engine reads row groups in parallel).
pub fn write<W: std::io::Write + Send>(log: &EventLog, out: W, row_group: usize) -> Result<Written, String> {
    let schema = Arc::new(schema(log)?);
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group.max(1)))
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            LAYOUT_KEY.to_string(),
            LAYOUT.to_string(),
        )]))
        .build();
    let failed = |e: parquet::errors::ParquetError| format!("cannot write the Parquet file: {e}");
    let mut writer = parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(failed)?;
    let n = log.len();
    let mut from = 0;
    let batch = BATCH.min(row_group.max(1));
    while from < n {
        let to = (from + batch).min(n);
        let batch = RecordBatch::try_new(schema.clone(), columns(log, from, to))
            .map_err(|e| format!("cannot build a batch of rows {from}..{to}: {e}"))?;
        writer.write(&batch).map_err(failed)?;
        from = to;
    }
    let meta = writer.close().map_err(failed)?;
    Ok(Written {
        rows: n as u64,
        row_groups: meta.num_row_groups() as u64,
        attributes: log.attrs.len() + log.case_attrs.len(),
    })
}

fn schema(log: &EventLog) -> Result<Schema, String> {
    let mut fields = vec![
        Field::new(ROW_COLUMN, DataType::Int64, false),
        Field::new(ROLE_COLUMNS[0], DataType::Utf8, false),
        Field::new(ROLE_COLUMNS[1], DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
        Field::new(ROLE_COLUMNS[2], DataType::Utf8, false),
        Field::new(ROLE_COLUMNS[3], DataType::Utf8, true),
        Field::new(ROLE_COLUMNS[4], DataType::Float64, true),
    ];
    let mut names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let attrs =
        log.attrs.iter().map(|a| a.name.clone()).chain(log.case_attrs.iter().map(|a| format!("case:{}", a.name)));
    for name in attrs {
        if names.contains(&name) {
            return Err(format!(
                "the attribute `{name}` has the name of a column of the layout (`cjm_…`); keep it out by naming the attributes to keep, or rename it in the log"
            ));
        }
        fields.push(Field::new(&name, DataType::Utf8, true));
        names.push(name);
    }
    Ok(Schema::new(fields))
}

/// Rows `from..to` as the layout's columns.
fn columns(log: &EventLog, from: usize, to: usize) -> Vec<ArrayRef> {
    let n = to - from;
    let mut row = Int64Builder::with_capacity(n);
    let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut score = Float64Builder::with_capacity(n);
    for i in from..to {
        row.append_value(i as i64);
        match log.time[i] {
            UNKNOWN_TIME => time.append_null(),
            t => time.append_value(t),
        }
        match log.score.get(i) {
            s if s.is_nan() => score.append_null(),
            s => score.append_value(s),
        }
    }
    fn text<'a>(from: usize, to: usize, f: impl Fn(usize) -> Option<&'a str>) -> ArrayRef {
        let mut b = StringBuilder::with_capacity(to - from, (to - from) * 8);
        for i in from..to {
            b.append_option(f(i));
        }
        Arc::new(b.finish())
    }
    let mut out: Vec<ArrayRef> = vec![
        Arc::new(row.finish()),
        text(from, to, |i| Some(log.cases.get(log.case[i]))),
        Arc::new(time.finish()),
        text(from, to, |i| Some(log.activities.get(log.activity[i]))),
        text(from, to, |i| match log.channel.get(i) {
            Some(&c) if c != NONE => Some(log.channels.get(c)),
            _ => None,
        }),
        Arc::new(score.finish()),
    ];
    for a in &log.attrs {
        out.push(text(from, to, |i| a.value(i)));
    }
    for a in &log.case_attrs {
        out.push(text(from, to, |i| a.value(log.case[i] as usize)));
    }
    out
}

/// Whether a Parquet file's key-value metadata marks the canonical layout.
pub(crate) fn is_canonical(meta: &parquet::file::metadata::ParquetMetaData) -> bool {
    meta.file_metadata()
        .key_value_metadata()
        .is_some_and(|kv| kv.iter().any(|k| k.key == LAYOUT_KEY && k.value.as_deref() == Some(LAYOUT)))
}
