//! Runs a [`Plan`] on a Spark Connect server with the official client
//! (`apache-spark-connect`, pinned) and hands back each query's rows as
//! Arrow record batches of cjm's own arrow: the client's Arrow (another
//! major version) is written to IPC bytes and read again here, so its types
//! never leave this module.
//!
//! The client keeps its own tokio runtime and blocks on it: call it from a
//! plain thread (from an async server, in `spawn_blocking`).

use crate::decode::{read_ipc, Results};
use crate::foreign::{self, Kept, Nanos, Reading, Rules, Stopped, FILE_PATH, FILE_VIEW, ROW_INDEX};
use crate::sql::{Param, Plan, Statement, SESSION_CONF};
use spark_connect::expression::{Expression, LiteralExpression};
use spark_connect::{SparkError, SparkSession};
use std::collections::HashMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The oldest Spark the plans run on: `unix_micros`, named parameters
/// (`sql` with args) and `_metadata.row_index` are all there from 3.5.
pub const OLDEST_SPARK: (u32, u32) = (3, 5);

/// How long reaching the server may take before it is called unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the log is, as the cluster sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A Parquet file or directory in the canonical layout (`cjm export`),
    /// by a path or URI the cluster reads (`/data/e.parquet`, `s3a://…`).
    Parquet(String),
    /// A table or view the session can see, in the canonical layout.
    Table(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Parquet(p) => write!(f, "`{p}`"),
            Source::Table(t) => write!(f, "table `{t}`"),
        }
    }
}

/// What went wrong, as data; the command line words it.
#[derive(Debug)]
pub enum ClientError {
    /// The address is not `sc://HOST[:PORT][/;params]`.
    BadAddress { url: String, reason: String },
    /// Nothing answered at the address within [`CONNECT_TIMEOUT`].
    Unreachable { url: String, reason: String },
    /// The server's Spark is older than [`OLDEST_SPARK`].
    OldSpark { found: String },
    /// The log could not be read (no such path or table, not Parquet…).
    Source { source: Source, message: String, stack: Option<String> },
    /// The log is not in the canonical layout, and cjm's reader rules do
    /// not apply to it in SQL (a role missing, a column of a type not read).
    Foreign { source: Source, error: foreign::ForeignError },
    /// The log is not in the canonical layout, and Spark gives no row order
    /// for it (`_metadata.row_index`: a view, not files).
    NoRowOrder { source: Source, message: String },
    /// The reader's rules stop the reading: an infinite score, or a bad
    /// row (at `line`) when the reading is strict.
    Read { source: Source, line: Option<u64>, message: String, strict: bool },
    /// Spark refused or failed a statement: its one-line message, and the
    /// JVM's stack when the server sent one.
    Spark { step: String, message: String, stack: Option<String> },
    /// An answer could not be read.
    Decode(crate::decode::DecodeError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::BadAddress { url, reason } => write!(f, "`{url}` is not a Spark Connect address: {reason}"),
            ClientError::Unreachable { url, reason } => {
                write!(f, "no Spark Connect server answered at {url} within {} s: {reason}", CONNECT_TIMEOUT.as_secs())
            }
            ClientError::OldSpark { found } => write!(
                f,
                "the server runs Spark {found}; cjm needs Spark {}.{} or newer",
                OLDEST_SPARK.0, OLDEST_SPARK.1
            ),
            ClientError::Foreign { source, error } => write!(f, "{source}: {error}"),
            ClientError::NoRowOrder { source, message } => write!(
                f,
                "{source} is not in cjm's canonical layout, and Spark gives no row order for it (the file's row index, `_metadata.row_index`: {message})"
            ),
            ClientError::Read { source, line: Some(line), message, .. } => write!(f, "{source}:{line}: {message}"),
            ClientError::Read { source, line: None, message, .. } => write!(f, "{source}: {message}"),
            ClientError::Source { source, message, .. } => write!(f, "Spark cannot read {source}: {message}"),
            ClientError::Spark { step, message, .. } => write!(f, "Spark failed at {step}: {message}"),
            ClientError::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClientError {}

pub use crate::sql::LAYOUT_COLUMNS;

/// What [`Session::open`] found.
#[derive(Debug)]
pub struct Opened {
    /// The view's columns: the layout's, then the attributes.
    pub columns: Vec<String>,
    /// A foreign log: how it was read, and the read's counts.
    pub foreign: Option<ForeignRead>,
}

/// How a foreign log was read.
#[derive(Debug)]
pub struct ForeignRead {
    pub roles: cjm_events::Roles,
    /// Rows, bad rows (the first named) and lifecycle events left out.
    pub stats: cjm_events::ReadStats,
    /// Nanosecond timestamps in the file (read as integers).
    pub nanos: Option<Nanos>,
}

/// An open session on a Spark Connect server.
pub struct Session {
    spark: SparkSession,
    /// The server's Spark version.
    pub version: String,
}

impl Session {
    /// Opens a session at `url` (`sc://HOST:PORT`), checks the server's
    /// version and sets the session's time zone and ANSI mode. With
    /// `stacks`, Spark's errors carry the JVM's stack.
    pub fn connect(url: &str, stacks: bool) -> Result<Session, ClientError> {
        let (host, port) = address(url)?;
        reachable(url, &host, port)?;
        let spark = spark_connect::SparkSession::builder()
            .remote(url)
            .get_or_create()
            .map_err(|e| ClientError::Unreachable { url: url.to_string(), reason: one_line(&e.message()) })?;
        let version = spark.version().map_err(|e| failed("the version check", &e))?;
        if !new_enough(&version) {
            let _ = spark.stop();
            return Err(ClientError::OldSpark { found: version });
        }
        let stack_conf = [
            ("spark.sql.connect.serverStacktrace.enabled", "true"),
            ("spark.sql.pyspark.jvmStacktrace.enabled", "true"),
        ];
        for (k, v) in SESSION_CONF.iter().chain(if stacks { &stack_conf[..] } else { &[] }) {
            spark.conf().set(k, v).map_err(|e| failed(&format!("setting `{k}`"), &e))?;
        }
        Ok(Session { spark, version })
    }

    /// Makes the view `cjm_src` of the log. A log in the canonical
    /// layout is read as it is (`rules` are the layout's already); any
    /// other is read by `rules` as cjm's Parquet reader reads it, in the
    /// file's own row order (see [`crate::foreign`]).
    pub fn open(&self, source: &Source, rules: &Rules) -> Result<Opened, ClientError> {
        let unreadable = unreadable(source);
        let (df, columns, nanos) = self.frame(source)?;
        if LAYOUT_COLUMNS.iter().all(|c| columns.iter().any(|have| have == c)) {
            df.create_or_replace_temp_view(FILE_VIEW).map_err(unreadable)?;
            self.execute(&foreign::canonical_view(), "reading the log")?;
            return Ok(Opened { columns, foreign: None });
        }
        let types = df.dtypes().map_err(unreadable)?;
        let reading = Reading::new(&types, rules, nanos)
            .map_err(|error| ClientError::Foreign { source: source.clone(), error })?;
        let stats = self.read_foreign(source, df, &reading)?;
        Ok(Opened { columns: reading.columns(), foreign: Some(ForeignRead { roles: reading.roles, stats, nanos }) })
    }

    /// A foreign log read by `reading` into `cjm_src`: its row index
    /// added, the read's counts asked, the view made of what it keeps.
    fn read_foreign(
        &self,
        source: &Source,
        df: spark_connect::DataFrame,
        reading: &Reading,
    ) -> Result<cjm_events::ReadStats, ClientError> {
        use spark_connect::functions::col;
        df.with_columns(vec![
            (FILE_PATH.to_string(), col("_metadata.file_path")),
            (ROW_INDEX.to_string(), col("_metadata.row_index")),
        ])
        .create_or_replace_temp_view(FILE_VIEW)
        .map_err(|e| ClientError::NoRowOrder { source: source.clone(), message: one_line(&e.message()) })?;
        let step = "reading the log";
        self.execute(&reading.read_view(), step)?;
        let mut answers = crate::decode::Results::new();
        self.answer(&mut answers, "stats", &reading.stats_query())?;
        if crate::decode::single(&answers, "stats", "bad").map_err(ClientError::Decode)? > 0 {
            self.answer(&mut answers, "problems", &reading.problems_query())?;
        }
        let kept = reading.kept(&answers).map_err(ClientError::Decode)?;
        if kept != Kept::Every {
            self.answer(&mut answers, "kept", &reading.kept_query(&kept))?;
        }
        let stats = reading.read_stats(&answers, &kept).map_err(|e| match e {
            Stopped::Score(message) => ClientError::Read { source: source.clone(), line: None, message, strict: false },
            Stopped::Strict { line, message } => {
                ClientError::Read { source: source.clone(), line: Some(line), message, strict: true }
            }
            Stopped::Decode(e) => ClientError::Decode(e),
        })?;
        self.execute(&reading.source_view(&kept), step)?;
        Ok(stats)
    }

    /// The log as a DataFrame, its columns, and whether it has nanosecond
    /// timestamps (read as integers: Spark reads them no other way).
    fn frame(&self, source: &Source) -> Result<(spark_connect::DataFrame, Vec<String>, Option<Nanos>), ClientError> {
        let unreadable = unreadable(source);
        let read = || match source {
            Source::Parquet(path) => Ok(self.spark.read().parquet(path)),
            Source::Table(name) => self.spark.table(name).map_err(&unreadable),
        };
        // Off first: an earlier log of this session may have turned it on,
        // and then this log's integers would pass for nanoseconds.
        let nanos_as_long = "spark.sql.legacy.parquet.nanosAsLong";
        self.spark.conf().set(nanos_as_long, "false").map_err(&unreadable)?;
        let df = read()?;
        let nanos = match df.columns() {
            Ok(columns) => return Ok((df, columns, None)),
            Err(e) => foreign::nanos_refused(&e.message()).ok_or_else(|| unreadable(e))?,
        };
        self.spark.conf().set(nanos_as_long, "true").map_err(&unreadable)?;
        let df = read()?;
        let columns = df.columns().map_err(&unreadable)?;
        Ok((df, columns, Some(nanos)))
    }

    /// Runs `s` and keeps its rows as `name`'s.
    fn answer(&self, into: &mut crate::decode::Results, name: &str, s: &Statement) -> Result<(), ClientError> {
        let bytes = self.dataframe(s).to_arrow().map_err(|e| failed("reading the log", &e))?;
        into.insert(name.to_string(), read_ipc(&bytes).map_err(ClientError::Decode)?);
        Ok(())
    }

    /// Runs `plan` over the log [`Session::open`] made the view of: the
    /// setup, every query (its rows kept) and the teardown. `progress`
    /// hears each step's name.
    pub fn run(&self, plan: &Plan, progress: &dyn Fn(&str)) -> Result<Results, ClientError> {
        // `CJM_TIMINGS` prints each statement's time on stderr.
        let timed = std::env::var_os("CJM_TIMINGS").is_some();
        let clock = |name: &str, t0: std::time::Instant| {
            if timed {
                eprintln!("timings: spark {name} {:?}", t0.elapsed());
            }
        };
        for s in &plan.setup {
            let t0 = std::time::Instant::now();
            progress(setup_label(s));
            self.execute(s, "a setup statement")?;
            clock(setup_label(s), t0);
        }
        let mut results = Results::new();
        for q in &plan.queries {
            let t0 = std::time::Instant::now();
            progress(&q.name);
            let df = self.dataframe(&q.statement);
            let bytes = df.to_arrow().map_err(|e| failed(&format!("the query `{}`", q.name), &e))?;
            results.insert(q.name.clone(), read_ipc(&bytes).map_err(ClientError::Decode)?);
            clock(&q.name, t0);
        }
        for s in &plan.teardown {
            self.execute(s, "the teardown")?;
        }
        Ok(results)
    }

    fn dataframe(&self, s: &Statement) -> spark_connect::DataFrame {
        let args: HashMap<String, Expression> = s.params.iter().map(|(k, v)| (k.to_string(), argument(v))).collect();
        // Building the plan is local and cannot fail; errors come when it runs.
        self.spark.sql_with_args(&s.sql, Vec::new(), args).expect("a SQL relation is always built")
    }

    /// Runs a statement whose rows are not needed (a view, a cache).
    fn execute(&self, s: &Statement, step: &str) -> Result<(), ClientError> {
        self.dataframe(s).collect_record_batches().map(drop).map_err(|e| failed(step, &e))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Releases the server's side (its views and caches); a server gone
        // already has nothing to release.
        let _ = self.spark.stop();
    }
}

/// What one plan of [`crate::sql::plan`] gives: the summary, the analysis
/// when the request asks for it, and the log's rows before any filter.
pub struct Mined {
    pub summary: cjm_mine::Summary,
    pub analysis: Option<cjm_mine::analysis::Analysis>,
    pub rows: u64,
    /// With the request's `trend`: its parts and (with a funnel) the
    /// conversion's, for `cjm_mine::trend::finish_trend` and `finish_conversion`.
    pub trend: Option<(Vec<cjm_mine::trend::TrendPart>, Option<Vec<cjm_mine::trend::ConversionPart>>)>,
    /// With the request's `paths`: their parts for
    /// `cjm_mine::paths::finish_paths`, and whether the log has the
    /// anchor's touchpoint.
    pub paths: Option<(cjm_mine::paths::PathParts, bool)>,
}

impl Session {
    /// `req` run over the log [`Session::open`] made the view of, finished
    /// by cjm-mine's finishers (the bytes the embedded engine gives).
    /// `--where`'s column in `req` must already be the log's
    /// ([`crate::sql::where_column`]).
    pub fn mine(&self, req: &crate::sql::Request, progress: &dyn Fn(&str)) -> Result<Mined, ClientError> {
        let results = self.run(&crate::sql::plan(req), progress)?;
        let (summary, analysis) = finished(&results, req)?;
        let rows = match analysis {
            Some(_) => crate::decode::rows_read(&results).map_err(ClientError::Decode)?,
            None => summary.n_events,
        };
        let funnel = req.analysis.as_ref().and_then(|a| a.funnel.as_ref()).is_some_and(|f| !f.steps.is_empty());
        let trend = match req.trend {
            Some(_) => Some(crate::decode::trend_parts(&results, funnel).map_err(ClientError::Decode)?),
            None => None,
        };
        let paths = match req.paths {
            Some(_) => Some(crate::decode::paths_parts(&results, summary.n_customers).map_err(ClientError::Decode)?),
            None => None,
        };
        Ok(Mined { summary, analysis, rows, trend, paths })
    }

    /// `req` with a `breakdown` column, in one plan: each segment's value,
    /// summary and (when `req` asks) analysis, in value order, finished as
    /// [`Session::mine`] finishes the whole log's.
    pub fn breakdown(
        &self,
        req: &crate::sql::Request,
        progress: &dyn Fn(&str),
    ) -> Result<Vec<(String, cjm_mine::Summary, Option<cjm_mine::analysis::Analysis>)>, ClientError> {
        let results = self.run(&crate::sql::plan(req), progress)?;
        let mut out = Vec::new();
        for (value, results) in crate::decode::segments(&results).map_err(ClientError::Decode)? {
            let (summary, analysis) = finished(&results, req)?;
            out.push((value, summary, analysis));
        }
        Ok(out)
    }

    /// `map` measured against the log [`Session::open`] made the view of
    /// (`columns`, what it gave), or `only` against the customers whose
    /// journey is exactly that sequence: rules that compare with numbers or
    /// booleans read their columns' distinct values first.
    pub fn measure(
        &self,
        map: &cjm_model::Journey,
        columns: &[String],
        only: Option<&[String]>,
        progress: &dyn Fn(&str),
    ) -> Result<cjm_mine::measure::Measurement, ClientError> {
        use crate::measure::{measure_parts, measure_plan, values, values_plan};
        let (steps, mut req) = crate::measure::request(map, columns, |needed| {
            let answers = self.run(&values_plan(needed), progress)?;
            values(&answers, needed).map_err(ClientError::Decode)
        })?;
        req.only = only.map(<[String]>::to_vec);
        let results = self.run(&measure_plan(&req), progress)?;
        let layout = cjm_mine::measure::Layout::of(map, &steps);
        let parts = measure_parts(&results, &req, &layout, steps.len()).map_err(ClientError::Decode)?;
        Ok(cjm_mine::measure::finish_measure(map, steps, parts))
    }

    /// The first and last known event times of the log narrowed by `n`.
    pub fn span(&self, n: &crate::sql::Narrowing, progress: &dyn Fn(&str)) -> Result<Option<(i64, i64)>, ClientError> {
        let results = self.run(&crate::sql::span_plan(n), progress)?;
        crate::decode::span(&results).map_err(ClientError::Decode)
    }

    /// The distinct values of each of `columns` (at most
    /// [`crate::measure::MAX_DISTINCT`] a column).
    pub fn values(
        &self,
        columns: &std::collections::BTreeSet<String>,
        progress: &dyn Fn(&str),
    ) -> Result<HashMap<String, Vec<String>>, ClientError> {
        let answers = self.run(&crate::measure::values_plan(columns), progress)?;
        crate::measure::values(&answers, columns).map_err(ClientError::Decode)
    }
}

/// The summary and (when `req` asks) the analysis of one answer set,
/// finished by cjm-mine: a whole log's or one segment's.
fn finished(
    results: &Results,
    req: &crate::sql::Request,
) -> Result<(cjm_mine::Summary, Option<cjm_mine::analysis::Analysis>), ClientError> {
    let summary = crate::summary(results, &req.funnel, req.top).map_err(ClientError::Decode)?;
    let analysis = match &req.analysis {
        Some(a) => {
            let parts = crate::decode::analysis_parts(results, a).map_err(ClientError::Decode)?;
            let top: Vec<u64> = summary.top_variants.iter().map(|v| v.count).collect();
            Some(cjm_mine::parts::finish_analysis(parts, a.funnel.as_ref(), &top, summary.n_customers))
        }
        None => None,
    };
    Ok((summary, analysis))
}

fn argument(p: &Param) -> Expression {
    match p {
        // As PySpark does: INT when it fits (LIMIT takes nothing wider).
        Param::Int(i) => Expression::Literal(match i32::try_from(*i) {
            Ok(small) => LiteralExpression::Integer(small),
            Err(_) => LiteralExpression::Long(*i),
        }),
        Param::Text(t) => Expression::Literal(LiteralExpression::string(t.clone())),
        Param::Float(x) => Expression::Literal(LiteralExpression::Double(*x)),
        // `array(…)` of string literals, as PySpark sends a list: the
        // client's array literal leaves out its element type, which Spark
        // 4 refuses (CONNECT_INVALID_PLAN.ARRAY_LITERAL_MISSING_DATA_TYPE).
        Param::Texts(ts) => {
            spark_connect::functions::array(ts.iter().map(|t| spark_connect::lit_string(t))).expression().clone()
        }
    }
}

/// `CACHE TABLE cjm_seq AS …` → `cjm_seq`, for progress.
fn setup_label(s: &Statement) -> &str {
    let sql = s.sql.trim_start();
    ["CACHE TABLE ", "CREATE OR REPLACE TEMP VIEW "]
        .iter()
        .find_map(|p| sql.strip_prefix(p))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("setup")
}

/// A Spark error reading `source`, as [`ClientError::Source`].
fn unreadable(source: &Source) -> impl Fn(SparkError) -> ClientError + '_ {
    move |e| ClientError::Source { source: source.clone(), message: one_line(&e.message()), stack: e.get_stacktrace() }
}

fn failed(step: &str, e: &SparkError) -> ClientError {
    ClientError::Spark { step: step.to_string(), message: one_line(&e.message()), stack: e.get_stacktrace() }
}

/// The first line of a message, without the JVM's stack or SQL excerpt
/// (and without the error class the client repeats: `[X] [X] text`).
fn one_line(message: &str) -> String {
    let mut first = message.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
    if let Some(end) = first.find("] ").filter(|_| first.starts_with('[')) {
        let class = &first[..end + 2];
        if first[end + 2..].starts_with(class) {
            first = &first[end + 2..];
        }
    }
    // Spark's `SQLSTATE: 42K09` tells people nothing the words do not.
    if let Some(at) = first.find(" SQLSTATE: ") {
        let tail = &first[at + " SQLSTATE: ".len()..];
        let code = tail.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
        if code.len() == 5 {
            let rest = tail[code.len()..].trim_start_matches(';').trim().trim_end_matches(';');
            let joined = if rest.is_empty() { first[..at].to_string() } else { format!("{} ({rest})", &first[..at]) };
            return joined.chars().take(400).collect();
        }
    }
    first.trim_end_matches(';').chars().take(400).collect()
}

/// The host and port of `sc://HOST[:PORT][/][;key=value…]` (port 15002
/// when not given).
pub fn address(url: &str) -> Result<(String, u16), ClientError> {
    let bad = |reason: &str| ClientError::BadAddress { url: url.to_string(), reason: reason.to_string() };
    let rest = url.strip_prefix("sc://").ok_or_else(|| bad("it must start with sc://"))?;
    let authority = rest.split([';', '/']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(bad("no host after sc://"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("an IPv6 host needs its closing ]"))?;
            match after {
                "" => (h, None),
                _ => (h, Some(after.strip_prefix(':').ok_or_else(|| bad("expected :PORT after the host"))?)),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => {
            p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| bad("the port must be a number from 1 to 65535"))?
        }
        None => 15002,
    };
    if host.is_empty() {
        return Err(bad("no host after sc://"));
    }
    Ok((host.to_string(), port))
}

/// A TCP connection to the server within [`CONNECT_TIMEOUT`]: the client
/// itself would retry an unreachable address for minutes.
fn reachable(url: &str, host: &str, port: u16) -> Result<(), ClientError> {
    let unreachable = |reason: String| ClientError::Unreachable { url: url.to_string(), reason };
    let addrs: Vec<_> = (host, port).to_socket_addrs().map_err(|e| unreachable(format!("`{host}`: {e}")))?.collect();
    let mut last = String::from("the name has no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(unreachable(last))
}

/// Whether a version string (`4.3.0`, `3.5.1-databricks`) is at least
/// [`OLDEST_SPARK`]. A version that cannot be read is taken as new enough:
/// a statement Spark lacks then fails with its own message.
fn new_enough(version: &str) -> bool {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else { return true };
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(a), Ok(b)) => (a, b) >= OLDEST_SPARK,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_or_refused_with_a_reason() {
        assert_eq!(address("sc://127.0.0.1:15002").unwrap(), ("127.0.0.1".into(), 15002));
        assert_eq!(address("sc://spark.example.com").unwrap(), ("spark.example.com".into(), 15002));
        assert_eq!(address("sc://h:443/;token=x;use_ssl=true").unwrap(), ("h".into(), 443));
        assert_eq!(address("sc://[::1]:15003").unwrap(), ("::1".into(), 15003));
        let reason = |u: &str| match address(u) {
            Err(ClientError::BadAddress { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason("http://h:1"), "it must start with sc://");
        assert_eq!(reason("sc://"), "no host after sc://");
        assert_eq!(reason("sc://h:port"), "the port must be a number from 1 to 65535");
        assert_eq!(reason("sc://h:0"), "the port must be a number from 1 to 65535");
    }

    #[test]
    fn versions_are_compared_by_major_and_minor() {
        assert!(new_enough("4.3.0") && new_enough("3.5.1") && new_enough("3.5.0-databricks") && new_enough("10.0"));
        assert!(!new_enough("3.4.1") && !new_enough("2.4.8"));
        assert!(new_enough("unknown"));
    }

    #[test]
    fn an_unreachable_server_is_named_within_the_timeout() {
        // A port nobody listens on: refused at once, not retried for minutes.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let started = std::time::Instant::now();
        let url = format!("sc://127.0.0.1:{port}");
        let e = Session::connect(&url, false).err().expect("nothing listens there");
        assert!(started.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(1));
        let text = e.to_string();
        assert!(text.starts_with(&format!("no Spark Connect server answered at {url} within 10 s: ")), "{text}");
    }

    #[test]
    fn messages_keep_their_first_line() {
        assert_eq!(
            one_line("\n  [TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found.\n\tat org.apache…"),
            "[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found."
        );
        assert_eq!(one_line("[A.B] [A.B] The limit is bad; line 1 pos 88;"), "[A.B] The limit is bad; line 1 pos 88");
        assert_eq!(
            one_line("[USER_RAISED_EXCEPTION] the attribute `p` is a double SQLSTATE: P0001\nJVM stacktrace:"),
            "[USER_RAISED_EXCEPTION] the attribute `p` is a double"
        );
        assert_eq!(
            one_line("[DATATYPE_MISMATCH.NULL_TYPE] Cannot resolve x. SQLSTATE: 42K09; line 5 pos 6"),
            "[DATATYPE_MISMATCH.NULL_TYPE] Cannot resolve x. (line 5 pos 6)"
        );
    }
}
