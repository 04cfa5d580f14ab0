//! Parquet through arrow-rs. String columns are read as dictionaries where
//! the file has them, so a touchpoint is interned once per row group, not
//! once per row.

use crate::csv_reader::time_problem;
use crate::dict::hash_str;
use crate::{Builder, Dict, EventLog, ReadError, ReadOptions, NONE, UNKNOWN_TIME};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::ParquetMetaDataReader;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const BATCH: usize = 16 * 1024;

/// Where a Parquet file's bytes are: a file (opened again by each thread
/// of a split read) or memory.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Path(&'a Path),
    Bytes(&'a bytes::Bytes),
}

/// An open [`Source`], as arrow-rs reads it.
enum Opened {
    File(std::fs::File),
    Bytes(bytes::Bytes),
}

impl Source<'_> {
    fn open(self) -> std::io::Result<Opened> {
        Ok(match self {
            Source::Path(p) => Opened::File(std::fs::File::open(p)?),
            Source::Bytes(b) => Opened::Bytes(b.clone()),
        })
    }
}

impl parquet::file::reader::Length for Opened {
    fn len(&self) -> u64 {
        match self {
            Opened::File(f) => f.len(),
            Opened::Bytes(b) => b.len() as u64,
        }
    }
}

impl parquet::file::reader::ChunkReader for Opened {
    type T = Box<dyn std::io::Read + Send>;
    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Opened::File(f) => Box::new(f.get_read(start)?),
            Opened::Bytes(b) => Box::new(b.get_read(start)?),
        })
    }
    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        match self {
            Opened::File(f) => f.get_bytes(start, length),
            Opened::Bytes(b) => b.get_bytes(start, length),
        }
    }
}

pub(crate) fn read(source: Source, shown: &str, opts: &ReadOptions) -> Result<EventLog, ReadError> {
    let err = |message: String| ReadError::new(crate::ReadErrorKind::Contents, shown, None, message);
    let (builder, total) = open_checked(source, shown)?;
    let schema = builder.schema().clone();
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    // A log cjm exported: the roles by their layout names, its row numbers
    // not an attribute, a null time an unknown one.
    let canonical = crate::canonical::is_canonical(builder.metadata());
    let map = if canonical { canonical_roles(&opts.columns) } else { opts.columns.clone() };
    let mut cols = map.resolve(&headers).map_err(|e| e.into_read_error(shown, None))?;
    if canonical {
        cols.attrs.retain(|(_, name, case_level)| *case_level || name != crate::canonical::ROW_COLUMN);
    }
    let described = cols.describe(&headers);
    if opts.skip_channel {
        cols.channel = None;
    }
    let mut wanted: Vec<usize> = vec![cols.case, cols.time, cols.activity];
    wanted.extend(cols.channel);
    wanted.extend(cols.score);
    wanted.extend(cols.attrs.iter().map(|(i, _, _)| *i));
    wanted.sort_unstable();
    wanted.dedup();
    if let Some(problem) = damaged_pages(source, builder.metadata(), &wanted) {
        return Err(err(problem));
    }
    let rows_total = checked_rows(builder.metadata(), total, opts, shown)?;
    let ctx = PartContext {
        source,
        shown,
        opts,
        cols: &cols,
        headers: &headers,
        wanted: &wanted,
        schema: schema_hint(&schema, builder.metadata()),
        parquet_schema: builder.metadata().file_metadata().schema_descr_ptr(),
        total,
        rows_total,
        done: AtomicU64::new(0),
        unknown_times: canonical,
    };
    // With two cores or more and enough rows, the customer column (the
    // costly one: a hash lookup per row into a dictionary of millions) is
    // read by one thread and the other columns by another. One dictionary
    // per column, filled in row order: no merging, no renumbering, and ids
    // in order of first appearance exactly as one pass gives. (Attribute
    // columns take the one-pass path.)
    let mut log = if opts.threads() < 2 || rows_total < 200_000 || !cols.attrs.is_empty() {
        let (b, _) = read_part(&ctx, Projection::All)?;
        let mut log = b.finish(opts.lifecycle);
        if opts.skip_channel {
            log.channel = Vec::new();
        }
        log
    } else {
        read_split(&ctx)?
    };
    log.columns = Some(described);
    Ok(log)
}

/// The file opened for arrow-rs, with its footer checked before arrow-rs
/// decodes it (see [`crate::parquet_footer`]) and after (chunks inside the
/// file); and the file's length.
fn open_checked(source: Source, shown: &str) -> Result<(ParquetRecordBatchReaderBuilder<Opened>, u64), ReadError> {
    let err = |message: String| ReadError::new(crate::ReadErrorKind::Contents, shown, None, message);
    let file =
        source.open().map_err(|e| ReadError::new(crate::ReadErrorKind::File, shown, None, crate::io_message(&e)))?;
    let total = parquet::file::reader::Length::len(&file);
    let footer = footer_bytes(&file, total)
        .ok_or_else(|| err("not a readable Parquet file: it does not end with `PAR1`".into()))?;
    if let Some(problem) = crate::parquet_footer::implausible(&footer) {
        return Err(err(problem));
    }
    // The schema as checked: arrow-rs then skips the footer's schema fields
    // instead of decoding one the check did not see.
    let unreadable = |e: parquet::errors::ParquetError| err(format!("not a readable Parquet file: {e}"));
    let schema = ParquetMetaDataReader::decode_schema(&footer).map_err(unreadable)?;
    let options = ArrowReaderOptions::new().with_parquet_schema(schema);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).map_err(unreadable)?;
    if let Some(problem) = damaged_footer(builder.metadata(), total) {
        return Err(err(problem));
    }
    Ok((builder, total))
}

/// The footer's row count, within the bounds a log has.
fn checked_rows(
    meta: &parquet::file::metadata::ParquetMetaData,
    total: u64,
    opts: &ReadOptions,
    shown: &str,
) -> Result<u64, ReadError> {
    let rows: u64 = meta.row_groups().iter().map(|rg| rg.num_rows().max(0) as u64).fold(0, u64::saturating_add);
    if rows > MAX_ROWS {
        let message = format!(
            "the file's footer says it holds {rows} rows, more than the {MAX_ROWS} a log can have; the file is damaged or not a log"
        );
        return Err(ReadError::new(crate::ReadErrorKind::Limit(crate::Limit::Rows), shown, None, message));
    }
    match too_many_rows(rows, total, opts, shown) {
        Some(problem) => Err(problem),
        None => Ok(rows),
    }
}

/// The schema to read with: string columns as dictionaries where every row
/// group stores them dictionary-encoded, so arrow-rs hands over the file's
/// dictionaries instead of one string per row. (A column that fell back to
/// plain pages is read plainly: building dictionaries would hash twice.)
fn schema_hint(schema: &Schema, meta: &parquet::file::metadata::ParquetMetaData) -> Arc<Schema> {
    let dictionary_encoded = fully_dictionary_encoded(meta, schema.fields().len());
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
    Arc::new(Schema::new_with_metadata(hinted, schema.metadata().clone()))
}

/// The customer column on one thread and the others on this one, then
/// joined: bad rows are found once the columns meet.
fn read_split(ctx: &PartContext) -> Result<EventLog, ReadError> {
    let (customers, others) = std::thread::scope(|scope| {
        let timed = |projection| {
            let started = std::time::Instant::now();
            let part = read_part(ctx, projection);
            ctx.opts.timing(|| format!("{projection:?} columns read in {:?}", started.elapsed()));
            part
        };
        let customers = scope.spawn(move || timed(Projection::Customers));
        let others = timed(Projection::AllButCustomers);
        (customers.join(), others)
    });
    let thread_failed =
        || ReadError::new(crate::ReadErrorKind::Contents, ctx.shown, None, "a reader thread failed".to_string());
    let (customers, _) = customers.map_err(|_| thread_failed())??;
    let (mut b, bad_times) = others?;
    b.log.cases = customers.log.cases;
    b.log.case = customers.log.case;
    drop_bad_rows(&mut b, ctx.cols, ctx.headers, bad_times)?;
    Ok(b.finish(ctx.opts.lifecycle))
}

/// After a column-split read every row is in the columns, bad ones too:
/// report them (in row order, as one pass would) and close the gaps.
fn drop_bad_rows(
    b: &mut Builder,
    cols: &crate::mapping::Resolved,
    headers: &[String],
    bad_times: Vec<u64>,
) -> Result<(), ReadError> {
    // Most logs have no bad row: a branch-free scan says so quickly.
    let has_none = |ids: &[u32]| ids.chunks(256).any(|c| c.iter().fold(false, |any, &x| any | (x == NONE)));
    if bad_times.is_empty() && !has_none(&b.log.case) && !has_none(&b.log.activity) {
        return Ok(());
    }
    let n = b.log.case.len();
    let mut bad_time = bad_times.into_iter().peekable();
    let mut keep: Option<Vec<bool>> = None;
    for row in 0..n {
        let time_ok = bad_time.next_if_eq(&(row as u64)).is_none();
        let Some(problem) = row_problem(b.log.case[row], b.log.activity[row], time_ok, cols, headers) else {
            continue;
        };
        b.bad_row(row as u64 + 1, problem)?;
        keep.get_or_insert_with(|| vec![true; n])[row] = false;
    }
    if let Some(mask) = keep {
        crate::retain_rows(&mut b.log, &mask);
    }
    Ok(())
}

/// What is wrong with a row, checked in this order by every path of the
/// reader; `None` when nothing is.
fn row_problem(
    case: u32,
    activity: u32,
    time_ok: bool,
    cols: &crate::mapping::Resolved,
    headers: &[String],
) -> Option<String> {
    if case == NONE {
        Some(format!("`{}` is empty", headers[cols.case]))
    } else if activity == NONE {
        Some(format!("`{}` is empty", headers[cols.activity]))
    } else if !time_ok {
        Some(format!("`{}` has no readable time", headers[cols.time]))
    } else {
        None
    }
}

/// Which columns a read takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Projection {
    All,
    /// Only the customer column (rows with no customer are kept, as NONE).
    Customers,
    /// Every column but the customer's (every row kept; the rows whose time
    /// is unreadable are returned beside the log, their time set to 0).
    AllButCustomers,
}

/// What every part of a parallel read shares.
struct PartContext<'a> {
    source: Source<'a>,
    shown: &'a str,
    opts: &'a ReadOptions,
    cols: &'a crate::mapping::Resolved,
    headers: &'a [String],
    wanted: &'a [usize],
    schema: Arc<Schema>,
    /// The footer's schema, checked and decoded once by [`open_checked`].
    parquet_schema: Arc<parquet::schema::types::SchemaDescriptor>,
    total: u64,
    rows_total: u64,
    done: AtomicU64,
    /// A null time is an unknown time (the canonical layout), not a bad row.
    unknown_times: bool,
}

/// The roles of the canonical layout, where the caller named none.
fn canonical_roles(given: &crate::mapping::ColumnMap) -> crate::mapping::ColumnMap {
    let [case, time, activity, channel, score] = crate::canonical::ROLE_COLUMNS.map(|n| Some(n.to_string()));
    crate::mapping::ColumnMap {
        case: given.case.clone().or(case),
        time: given.time.clone().or(time),
        activity: given.activity.clone().or(activity),
        channel: given.channel.clone().or(channel),
        score: given.score.clone().or(score),
        attrs: given.attrs.clone(),
    }
}

/// Reads the columns of `projection`, every row group in order. Returns the
/// rows whose time is unreadable when those rows are kept
/// ([`Projection::AllButCustomers`]).
fn read_part(ctx: &PartContext, projection: Projection) -> Result<(Builder, Vec<u64>), ReadError> {
    let (mut reader, wanted) = open_projected(ctx, projection)?;
    let mut b = Builder::new(ctx.shown, ctx.opts.strict);
    reserve(&mut b, ctx, projection);
    // Progress counts both threads' rows in a split read.
    let progress_rows = if projection == Projection::All { ctx.rows_total } else { 2 * ctx.rows_total };
    if projection == Projection::Customers {
        intern_customers(ctx, reader, &mut b, progress_rows)?;
        return Ok((b, Vec::new()));
    }
    let mut part = Part { ctx, wanted, b, bad_times: Vec::new(), caches: Default::default(), row_base: 0 };
    let mut seen = 0;
    while let Some(batch) = counted(reader.next(), &mut seen, ctx)? {
        let columns = part.columns(&batch)?;
        match columns.case {
            Some(_) => part.append_checked(&batch, columns)?,
            None => part.append_all(columns),
        }
        part.row_base += batch.num_rows() as u64;
        report_progress(ctx, batch.num_rows(), progress_rows);
    }
    Ok((part.b, part.bad_times))
}

/// A reader of the columns `projection` needs, and their indexes in the
/// file (a batch's columns come in that order).
fn open_projected(
    ctx: &PartContext,
    projection: Projection,
) -> Result<(ParquetRecordBatchReader, Vec<usize>), ReadError> {
    let err = |message: String| ReadError::new(crate::ReadErrorKind::Contents, ctx.shown, None, message);
    let file = ctx.source.open().map_err(|e| err(e.to_string()))?;
    let options =
        ArrowReaderOptions::new().with_schema(ctx.schema.clone()).with_parquet_schema(ctx.parquet_schema.clone());
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        .map_err(|e| err(format!("not a readable Parquet file: {e}")))?;
    let case = ctx.cols.case;
    let wanted: Vec<usize> = match projection {
        Projection::All => ctx.wanted.to_vec(),
        Projection::Customers => vec![case],
        Projection::AllButCustomers => ctx.wanted.iter().copied().filter(|&c| c != case).collect(),
    };
    let mask = ProjectionMask::roots(builder.parquet_schema(), wanted.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
    Ok((reader, wanted))
}

/// Each column is allocated once, by the thread that fills it. The footer's
/// row count is only a claim: reserve no more rows than the file has bytes,
/// and let a column grow past that if the rows are real.
fn reserve(b: &mut Builder, ctx: &PartContext, projection: Projection) {
    let room = ctx.rows_total.min(ctx.total) as usize;
    if projection != Projection::AllButCustomers {
        b.log.case.reserve(room);
    }
    if projection != Projection::Customers {
        b.log.activity.reserve(room);
        if !ctx.opts.skip_channel {
            b.log.channel.reserve(room);
        }
        b.log.time.reserve(room);
        b.log.score.reserve(room);
    }
}

/// A read of every column but (maybe) the customers', batch by batch.
struct Part<'a> {
    ctx: &'a PartContext<'a>,
    /// The file's indexes of a batch's columns.
    wanted: Vec<usize>,
    b: Builder,
    /// Rows whose time is unreadable, when every row is kept.
    bad_times: Vec<u64>,
    caches: [DictCache; 3],
    /// The first row of the batch being read.
    row_base: u64,
}

/// One batch's columns, as dictionary ids and values.
struct Columns {
    /// `None` when the customers are read apart (and every row is kept).
    case: Option<Vec<u32>>,
    activity: Vec<u32>,
    channel: Vec<u32>,
    /// Empty when the times were copied straight into the log.
    time: Vec<Option<i64>>,
    score: Vec<f64>,
}

impl Part<'_> {
    fn column<'b>(&self, batch: &'b arrow_array::RecordBatch, col: usize) -> &'b ArrayRef {
        batch.column(self.wanted.iter().position(|&w| w == col).expect("projected"))
    }

    fn column_err(&self, col: usize) -> impl Fn(String) -> ReadError + '_ {
        move |m| {
            let message = format!("column `{}`: {m}", self.ctx.headers[col]);
            ReadError::new(crate::ReadErrorKind::Contents, self.ctx.shown, None, message)
        }
    }

    fn columns(&mut self, batch: &arrow_array::RecordBatch) -> Result<Columns, ReadError> {
        let (cols, opts, n) = (self.ctx.cols, self.ctx.opts, batch.num_rows());
        let case = match self.wanted.contains(&cols.case) {
            true => Some(
                text_ids(self.column(batch, cols.case), &mut self.b.log.cases, &mut self.caches[0])
                    .map_err(self.column_err(cols.case))?,
            ),
            false => None,
        };
        let activity = text_ids(self.column(batch, cols.activity), &mut self.b.log.activities, &mut self.caches[1])
            .map_err(self.column_err(cols.activity))?;
        let channel = match cols.channel {
            Some(c) => text_ids(self.column(batch, c), &mut self.b.log.channels, &mut self.caches[2])
                .map_err(self.column_err(c))?,
            None => vec![NONE; n],
        };
        let time_column = self.column(batch, cols.time);
        // The usual case when every row is kept: microseconds with no gap,
        // copied as they are.
        let copied = case.is_none() && append_plain_micros(time_column, opts, &mut self.b.log.time);
        let time = match copied {
            true => Vec::new(),
            false => {
                let mut t = time_values(time_column, opts).map_err(self.column_err(cols.time))?;
                if self.ctx.unknown_times {
                    for (i, v) in t.iter_mut().enumerate() {
                        if time_column.is_null(i) {
                            *v = Some(UNKNOWN_TIME);
                        }
                    }
                }
                t
            }
        };
        let score = match cols.score {
            Some(c) => number_values(self.column(batch, c), self.row_base).map_err(self.column_err(c))?,
            None => vec![f64::NAN; n],
        };
        self.b.log.stats.rows += n as u64;
        Ok(Columns { case, activity, channel, time, score })
    }

    /// Every row is kept; the caller drops the bad ones once the customer
    /// column is in.
    fn append_all(&mut self, columns: Columns) {
        let log = &mut self.b.log;
        log.activity.extend_from_slice(&columns.activity);
        if !self.ctx.opts.skip_channel {
            log.channel.extend_from_slice(&columns.channel);
        }
        log.score.extend_from_slice(&columns.score);
        // (Empty when the times were copied.)
        for (r, t) in columns.time.iter().enumerate() {
            log.time.push(t.unwrap_or(0));
            if t.is_none() {
                self.bad_times.push(self.row_base + r as u64);
            }
        }
    }

    /// Rows with a customer, a touchpoint and a time, and their attributes.
    fn append_checked(&mut self, batch: &arrow_array::RecordBatch, c: Columns) -> Result<(), ReadError> {
        let (cols, headers) = (self.ctx.cols, self.ctx.headers);
        let case = c.case.expect("read with the customers");
        let attrs: Vec<(Vec<Option<String>>, &str, bool)> = cols
            .attrs
            .iter()
            .map(|(i, name, case_level)| Ok((strings(self.column(batch, *i))?, name.as_str(), *case_level)))
            .collect::<Result<_, String>>()
            .map_err(|m| ReadError::new(crate::ReadErrorKind::Contents, self.ctx.shown, None, m))?;
        let all_clean = case.iter().all(|&c| c != NONE)
            && c.activity.iter().all(|&a| a != NONE)
            && c.time.iter().all(Option::is_some);
        let b = &mut self.b;
        if all_clean && attrs.is_empty() {
            b.log.case.extend_from_slice(&case);
            b.log.activity.extend_from_slice(&c.activity);
            b.log.channel.extend_from_slice(&c.channel);
            b.log.time.extend(c.time.iter().map(|t| t.unwrap_or(0)));
            b.log.score.extend_from_slice(&c.score);
            return Ok(());
        }
        for r in 0..case.len() {
            if let Some(problem) = row_problem(case[r], c.activity[r], c.time[r].is_some(), cols, headers) {
                b.bad_row(self.row_base + r as u64 + 1, problem)?;
                continue;
            }
            b.push(case[r], c.time[r].unwrap_or(0), c.activity[r], c.channel[r], c.score[r]);
            for (values, name, case_level) in &attrs {
                if let Some(v) = values[r].as_deref().filter(|v| !v.is_empty()) {
                    if *case_level {
                        b.set_case_attr(case[r], name, v)?;
                    } else {
                        b.set_attr(name, v)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The customer column in two stages on two threads: this one decodes
/// pages, trims and hashes the values, and appends the ids to the column;
/// the other interns them into the dictionary (millions of entries: bound by
/// memory latency, the read's critical path, so it does nothing else — not
/// even first-touching the column's pages). Batches stay in order, so ids
/// are those of one pass.
fn intern_customers(
    ctx: &PartContext,
    reader: ParquetRecordBatchReader,
    b: &mut Builder,
    progress_rows: u64,
) -> Result<(), ReadError> {
    let shown = ctx.shown;
    let err = |message: String| ReadError {
        kind: crate::ReadErrorKind::Contents,
        path: shown.to_string(),
        line: None,
        message,
    };
    type Keyed = (ArrayRef, Vec<u64>, Vec<u128>);
    let (to_intern, batches) = std::sync::mpsc::sync_channel::<Keyed>(4);
    // Unbounded, so the interner never waits for this thread.
    let (to_append, interned) = std::sync::mpsc::channel::<Result<Vec<u32>, ReadError>>();
    let mut cases = std::mem::take(&mut b.log.cases);
    let opts = ctx.opts;
    std::thread::scope(|scope| {
        let interner = scope.spawn(move || {
            let (started, mut busy) = (std::time::Instant::now(), std::time::Duration::ZERO);
            let mut cache = DictCache::default();
            for (array, hashes, keys) in batches {
                let t = std::time::Instant::now();
                let ids = match Texts::of(&array) {
                    Some(texts) if keys.len() == array.len() => {
                        let mut ids = Vec::with_capacity(keys.len());
                        cases.intern_all_keyed(&keys, &hashes, |i| texts.trimmed(i), &mut ids);
                        Ok(ids)
                    }
                    // Other column types were not hashed: the usual way.
                    _ => text_ids(&array, &mut cases, &mut cache)
                        .map_err(|m| err(format!("column `{}`: {m}", ctx.headers[ctx.cols.case]))),
                };
                busy += t.elapsed();
                let failed = ids.is_err();
                if to_append.send(ids).is_err() || failed {
                    break;
                }
            }
            opts.timing(|| format!("customers interned: busy {busy:?} of {:?}", started.elapsed()));
            cases
        });
        let (started, mut busy) = (std::time::Instant::now(), std::time::Duration::ZERO);
        let mut result = Ok(());
        let (mut reader, mut seen) = (reader, 0);
        'batches: loop {
            let t = std::time::Instant::now();
            let batch = match counted(reader.next(), &mut seen, ctx) {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let array = batch.column(0).clone();
            // Hashes and slot keys are made here, so the interner only probes.
            let (hashes, keys): (Vec<u64>, Vec<u128>) = trimmed_strings(&array).map_or_else(Default::default, |v| {
                v.iter()
                    .map(|s| {
                        let h = hash_str(s);
                        (h, crate::dict::key_of(h, s))
                    })
                    .unzip()
            });
            report_progress(ctx, batch.num_rows(), progress_rows);
            busy += t.elapsed();
            if to_intern.send((array, hashes, keys)).is_err() {
                break; // the interner stopped on an error, which follows
            }
            while let Ok(ids) = interned.try_recv() {
                match ids {
                    Ok(ids) => b.log.case.extend_from_slice(&ids),
                    Err(e) => {
                        result = Err(e);
                        break 'batches;
                    }
                }
            }
        }
        drop(to_intern);
        // The rest, until the interner is done.
        for ids in interned.iter() {
            match ids {
                Ok(ids) if result.is_ok() => b.log.case.extend_from_slice(&ids),
                Err(e) if result.is_ok() => result = Err(e),
                _ => {}
            }
        }
        opts.timing(|| format!("customer pages decoded and hashed: busy {busy:?} of {:?}", started.elapsed()));
        match interner.join() {
            Ok(cases) => b.log.cases = cases,
            Err(_) => return Err(err("a reader thread failed".into())),
        }
        result
    })
}

/// `str::trim`, with the common case (nothing to trim) decided by the two
/// end bytes.
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// A plain text column, value by value.
enum Texts<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(array: &'a ArrayRef) -> Option<Texts<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => Texts::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Texts::Large(array.as_string::<i64>()),
            DataType::Utf8View => Texts::View(array.as_string_view()),
            _ => return None,
        })
    }
    /// Value `i`, trimmed (a null reads as "").
    fn trimmed(&self, i: usize) -> &'a str {
        let value = match self {
            Texts::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Texts::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Texts::View(a) => a.is_valid(i).then(|| a.value(i)),
        };
        value.map_or("", trim)
    }
}

/// A plain text column's values, trimmed ("" for nulls); `None` for other types.
fn trimmed_strings(array: &ArrayRef) -> Option<Vec<&str>> {
    let texts = Texts::of(array)?;
    Some((0..array.len()).map(|i| texts.trimmed(i)).collect())
}

fn report_progress(ctx: &PartContext, rows: usize, of_rows: u64) {
    let done = ctx.done.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
    if let Some(p) = ctx.opts.progress {
        p(done * ctx.total / of_rows.max(1), ctx.total);
    }
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

/// An id not yet given to a dictionary entry (no real id gets this high:
/// a log has fewer rows).
const UNSEEN: u32 = NONE - 1;

/// Our ids for a string column ([`NONE`] for nulls and empty strings), in
/// order of first appearance in the rows: a dictionary's entries are
/// interned as rows first use them (a file's dictionary may be in any
/// order, e.g. a pandas category's, and hold entries no row uses).
fn text_ids(array: &ArrayRef, dict: &mut Dict, cache: &mut DictCache) -> Result<Vec<u32>, String> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    match array.data_type() {
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let d = array.as_dictionary::<Int32Type>();
            let values = d.values();
            let identity =
                (values.to_data().buffers().iter().map(|b| b.as_ptr() as usize).sum::<usize>(), values.len());
            if cache.key != identity || cache.ids.len() != values.len() {
                cache.ids.clear();
                cache.ids.resize(values.len(), UNSEEN);
                cache.key = identity;
            }
            let texts = Texts::of(values);
            let owned = if texts.is_none() { strings(values.as_ref())? } else { Vec::new() };
            let keys = d.keys();
            for i in 0..n {
                if !keys.is_valid(i) {
                    out.push(NONE);
                    continue;
                }
                let k = keys.value(i) as usize;
                if cache.ids[k] == UNSEEN {
                    let value = match &texts {
                        Some(t) => t.trimmed(k),
                        None => owned[k].as_deref().map_or("", trim),
                    };
                    cache.ids[k] = if value.is_empty() { NONE } else { dict.intern(value) };
                }
                out.push(cache.ids[k]);
            }
        }
        _ => intern_text(array, dict, &mut out)?,
    }
    Ok(out)
}

/// Interns a column's values, trimmed, as one batch (see
/// `Dict::intern_all`); nulls and blanks get [`NONE`].
fn intern_text(array: &ArrayRef, dict: &mut Dict, out: &mut Vec<u32>) -> Result<(), String> {
    match trimmed_strings(array) {
        Some(values) => dict.intern_all(&values, out),
        None => {
            let owned = strings(array.as_ref())?;
            let values: Vec<&str> = owned.iter().map(|v| v.as_deref().map_or("", trim)).collect();
            dict.intern_all(&values, out);
        }
    }
    Ok(())
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

/// The footer's Thrift bytes, when the file ends as a Parquet file does
/// (its length, then `PAR1`).
fn footer_bytes(file: &Opened, total: u64) -> Option<bytes::Bytes> {
    use parquet::file::reader::ChunkReader;
    let tail = file.get_bytes(total.checked_sub(8)?, 8).ok()?;
    if &tail[4..] != b"PAR1" {
        return None;
    }
    let len = u64::from(u32::from_le_bytes(tail[..4].try_into().ok()?));
    file.get_bytes(total.checked_sub(8 + len)?, len as usize).ok()
}

/// What is wrong with the page headers of the columns to read, walked
/// before arrow-rs decodes them (see [`crate::parquet_footer`]): each header
/// is read from a small window, grown when the header is longer, and the
/// walk jumps over each page by its compressed size. `None` when nothing is
/// wrong, or when a header is wrong in a way arrow-rs reports itself.
fn damaged_pages(source: Source, meta: &parquet::file::metadata::ParquetMetaData, columns: &[usize]) -> Option<String> {
    damaged_pages_in(source, meta, columns, usize::MAX)
}

/// [`damaged_pages`] in the first `groups` row groups.
fn damaged_pages_in(
    source: Source,
    meta: &parquet::file::metadata::ParquetMetaData,
    columns: &[usize],
    groups: usize,
) -> Option<String> {
    use crate::parquet_footer::{page_header, PageHeader};
    use parquet::file::reader::ChunkReader;
    let file = source.open().ok()?;
    let schema = meta.file_metadata().schema_descr();
    for group in meta.row_groups().iter().take(groups) {
        for (c, chunk) in group.columns().iter().enumerate() {
            if !columns.contains(&schema.get_column_root_idx(c)) {
                continue;
            }
            // `damaged_footer` has placed the chunk inside the file.
            let mut at = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as u64;
            let end = at.saturating_add(chunk.compressed_size() as u64);
            while at < end {
                let mut window = 256u64;
                let (len, compressed) = loop {
                    let n = window.min(end - at);
                    match page_header(&file.get_bytes(at, n as usize).ok()?) {
                        PageHeader::Whole { len, compressed } => break (len as u64, u64::try_from(compressed?).ok()?),
                        PageHeader::Cut if n < end - at => window *= 4,
                        PageHeader::Cut => return None,
                        PageHeader::Damaged(why) => {
                            return Some(format!("column `{}`: {why}", chunk.column_path().string()));
                        }
                    }
                };
                at = at.checked_add(len)?.checked_add(compressed)?;
            }
        }
    }
    None
}

/// What is wrong with a footer that places a column chunk outside the file
/// (arrow-rs trusts these offsets, and panics on negative ones).
fn damaged_footer(meta: &parquet::file::metadata::ParquetMetaData, file_len: u64) -> Option<String> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        for column in group.columns() {
            let start = column.dictionary_page_offset().unwrap_or(column.data_page_offset());
            let size = column.compressed_size();
            let inside =
                start >= 0 && size >= 0 && (start as u64).checked_add(size as u64).is_some_and(|end| end <= file_len);
            if !inside {
                return Some(format!(
                    "the file's footer is damaged: it places column `{}` of row group {g} outside the file",
                    column.column_path().string()
                ));
            }
        }
    }
    None
}

/// The most rows a log can have (ids are 32-bit).
const MAX_ROWS: u64 = u32::MAX as u64 - 1;

/// Parquet compresses inside: a run-length page of a few bytes can hold two
/// billion copies of one value. Real logs take several bytes a row (receipt:
/// 21), so more than this many rows per byte of the file is not a log.
const MAX_ROWS_PER_BYTE: u64 = 64;

/// What a decoded row costs in memory, counted against the inflate limit
/// as a compressed text log's inflated bytes are.
const DECODED_ROW_BYTES: u64 = 32;

/// The footer's row count against the two bounds on decoding work: rows
/// per byte of the file, and decoded rows against the inflate limit.
fn too_many_rows(rows: u64, file_len: u64, opts: &ReadOptions, shown: &str) -> Option<ReadError> {
    let per_byte = MAX_ROWS_PER_BYTE.saturating_mul(file_len.max(1024));
    if rows > per_byte {
        let message = format!(
            "the file's footer says it holds {rows} rows in {}, more than {MAX_ROWS_PER_BYTE} rows a byte; a log takes several bytes a row, so the file is damaged or not a log",
            crate::human_bytes(file_len)
        );
        return Some(ReadError::new(crate::ReadErrorKind::Limit(crate::Limit::Rows), shown, None, message));
    }
    let limit = opts.inflate_limit();
    if rows.saturating_mul(DECODED_ROW_BYTES) > limit {
        let message = format!(
            "the file's {rows} rows decode to more than {}, the limit for an inflated log (a row counts {DECODED_ROW_BYTES} bytes); check that the file is the log you meant",
            crate::human_bytes(limit)
        );
        return Some(ReadError::new(crate::ReadErrorKind::Limit(crate::Limit::Inflated), shown, None, message));
    }
    None
}

/// A batch from arrow-rs, refused when the pages hold more rows than the
/// footer said (the bounds above were checked against the footer).
fn counted(
    batch: Option<Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
    seen: &mut u64,
    ctx: &PartContext,
) -> Result<Option<arrow_array::RecordBatch>, ReadError> {
    let err = |message: String| ReadError::new(crate::ReadErrorKind::Contents, ctx.shown, None, message);
    let Some(batch) = batch else { return Ok(None) };
    let batch = batch.map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
    *seen += batch.num_rows() as u64;
    if *seen > ctx.rows_total {
        return Err(err(format!(
            "the file's pages hold more rows than the {} its footer says; the file is damaged",
            ctx.rows_total
        )));
    }
    Ok(Some(batch))
}

/// Times as microseconds since the epoch. A time that does not fit (a
/// second count past the year 292,277) is `None`: a bad row, counted.
fn time_values(array: &ArrayRef, opts: &ReadOptions) -> Result<Vec<Option<i64>>, String> {
    let n = array.len();
    macro_rules! ts {
        ($t:ty, $mul:expr, $div:expr) => {{
            let a = array.as_primitive::<$t>();
            (0..n)
                .map(|i| if array.is_valid(i) { a.value(i).checked_mul($mul).map(|v| v / $div) } else { None })
                .collect()
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
                (0..n)
                    .map(|i| if array.is_valid(i) { i64::from(a.value(i)).checked_mul(86_400_000_000) } else { None })
                    .collect(),
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
                        None => return Err(time_problem(&t).message),
                    },
                    None => out.push(None),
                }
            }
            out
        }
    })
}

/// Appends a column of microsecond timestamps without nulls that needs no
/// offset (one copy); false, appending nothing, for any other column.
fn append_plain_micros(array: &ArrayRef, opts: &ReadOptions, out: &mut Vec<i64>) -> bool {
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, tz)
            if array.null_count() == 0 && (tz.is_some() || opts.time.default_offset == 0) =>
        {
            out.extend_from_slice(array.as_primitive::<TimestampMicrosecondType>().values());
            true
        }
        _ => false,
    }
}

/// A naive timestamp column is in the default offset (`--tz`).
fn adjust(values: Vec<Option<i64>>, naive: bool, opts: &ReadOptions) -> Vec<Option<i64>> {
    let off = opts.time.default_offset * 1_000_000;
    if !naive || off == 0 {
        return values;
    }
    values.into_iter().map(|v| v.and_then(|t| t.checked_sub(off))).collect()
}

/// Scores: numbers, NaN for nulls (and for NaN itself, as pandas writes a
/// missing float); an infinite score is refused, naming its row.
fn number_values(array: &ArrayRef, first_row: u64) -> Result<Vec<f64>, String> {
    let values = numbers(array)?;
    match values.iter().position(|v| v.is_infinite()) {
        Some(i) => Err(format!(
            "row {} holds the score `{}`; a score must be a finite number such as 4 or 3.5 (or null for none)",
            first_row + i as u64 + 1,
            values[i],
        )),
        None => Ok(values),
    }
}

fn numbers(array: &ArrayRef) -> Result<Vec<f64>, String> {
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
                Some(t) => t.parse::<f64>().map_err(|_| format!("the score `{t}` is not a number")).and_then(|v| {
                    if v.is_nan() {
                        Err(format!("the score `{t}` is not a number"))
                    } else {
                        Ok(v)
                    }
                }),
            })
            .collect::<Result<_, _>>()?,
    })
}

/// The columns and first `max_rows` rows of a Parquet file as text (see
/// [`crate::preview`]): the footer and the pages read are checked as a
/// full read checks them; a column of a type no log reads shows that type.
pub(crate) fn preview(
    source: Source,
    shown: &str,
    max_rows: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>), ReadError> {
    let err = |message: String| ReadError::new(crate::ReadErrorKind::Contents, shown, None, message);
    let (builder, _) = open_checked(source, shown)?;
    let headers: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    // Only the first row group is read; its pages are walked first.
    let first_group = builder.metadata().row_groups().first().map(|g| g.num_rows()).unwrap_or(0);
    if first_group == 0 || max_rows == 0 {
        return Ok((headers, Vec::new()));
    }
    let all: Vec<usize> = (0..builder.metadata().file_metadata().schema_descr().num_columns()).collect();
    if let Some(problem) = damaged_pages_in(source, builder.metadata(), &all, 1) {
        return Err(err(problem));
    }
    let reader = builder
        .with_row_groups(vec![0])
        .with_batch_size(max_rows)
        .with_limit(max_rows)
        .build()
        .map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
        let n = batch.num_rows().min(max_rows - rows.len());
        let cells: Vec<Vec<String>> = batch
            .columns()
            .iter()
            .map(|col| match strings(col.as_ref()) {
                Ok(values) => values.into_iter().take(n).map(Option::unwrap_or_default).collect(),
                Err(_) => vec![format!("({})", col.data_type()); n],
            })
            .collect();
        rows.extend((0..n).map(|r| cells.iter().map(|c| c[r].clone()).collect()));
        if rows.len() >= max_rows {
            break;
        }
    }
    Ok((headers, rows))
}
