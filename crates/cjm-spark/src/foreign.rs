//! A foreign log — Parquet (or a table over Parquet files) that is not in
//! the canonical layout — read on Spark as cjm's own Parquet reader reads
//! it, so the plans see the `cjm_src` the canonical layout would give.
//!
//! - **Order**: the file's own row index (`_metadata.row_index`), files in
//!   the order of their paths; `cjm_row` is `file × 2⁴⁰ + row index`.
//! - **Columns**: each role found as cjm-events finds it
//!   ([`cjm_events::ColumnMap::roles`]), the other columns kept as
//!   attributes (`case:NAME` ones at the customer level).
//! - **Text**: customer, touchpoint and channel trimmed of Unicode
//!   White_Space (Rust's `str::trim`), empty as none; integers and booleans
//!   written out as Rust writes them. Attributes untrimmed, empty as none; a
//!   customer attribute is the customer's first value in row order.
//! - **Times**: Parquet timestamps (UTC or local, milli- or microseconds),
//!   dates, and nanosecond timestamps (which Spark reads as integers, cut to
//!   microseconds toward zero); local times and dates are in the reader's
//!   offset (`--tz`). Times as text are not parsed here.
//! - **Bad rows**: no customer, no touchpoint or no time: counted and left
//!   out (the first five named), or the reading stops when it is strict.
//! - **Scores**: numbers; NaN and null are none; an infinite score stops
//!   the reading, naming its row.
//! - **Lifecycle**: as the reader's `Lifecycle` (with start and complete
//!   events, the complete ones), spelled as the first good row spells it.
//!
//! Every value reaches the SQL as a named parameter; column names are
//! quoted identifiers.

use crate::decode::{DecodeError, Results};
use crate::sql::{ident, Param, Statement, FIRST_ROW, SOURCE_VIEW};
use cjm_events::{Lifecycle, ReadStats, Roles, RowProblem};

/// The view of the file as Spark reads it, with [`FILE_PATH`] and
/// [`ROW_INDEX`] added (the runner makes it).
pub const FILE_VIEW: &str = "cjm_file";
/// The file each row is in, and its index there (`_metadata`'s).
pub const FILE_PATH: &str = "cjm_fp";
pub const ROW_INDEX: &str = "cjm_ri";
/// The rows with the reader's rules applied, bad ones still in.
const READ_VIEW: &str = "cjm_read";
/// A good row of `cjm_read`: a customer, a touchpoint and a time.
const GOOD: &str = "c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL";
/// How many bad rows are named.
const NAMED_PROBLEMS: usize = 5;
/// Unicode White_Space, the characters Rust's `str::trim` removes.
const WHITE_SPACE: &str = "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// A column's type, in the classes the reader's rules tell apart, from the
/// name Spark gives it (`string`, `bigint`, `timestamp_ntz`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
    Float,
    /// An instant (Parquet's UTC-adjusted timestamps).
    Timestamp,
    /// A local date and time (Parquet's timestamps not adjusted to UTC).
    TimestampNtz,
    Date,
    Other,
}

impl Kind {
    pub fn of(spark_type: &str) -> Kind {
        match spark_type {
            "string" => Kind::Text,
            t if t.starts_with("varchar(") || t.starts_with("char(") || t.starts_with("string ") => Kind::Text,
            "tinyint" | "smallint" | "int" | "bigint" => Kind::Integer,
            "boolean" => Kind::Boolean,
            "float" | "double" => Kind::Float,
            "timestamp" => Kind::Timestamp,
            "timestamp_ntz" => Kind::TimestampNtz,
            "date" => Kind::Date,
            _ => Kind::Other,
        }
    }
}

/// How the log is read (the reader's options that apply to Parquet).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    pub columns: cjm_events::ColumnMap,
    /// The offset of local times, in seconds east of UTC (`--tz`).
    pub offset_seconds: i64,
    pub lifecycle: Lifecycle,
    /// Stop at the first bad row instead of counting it.
    pub strict: bool,
}

/// Nanosecond timestamps in the file: Spark reads them only as integers
/// (`spark.sql.legacy.parquet.nanosAsLong`), so an integer time column is
/// taken as nanoseconds, instants or local times as the file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nanos {
    Utc,
    Local,
}

/// Why a foreign log cannot be read on Spark as cjm reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForeignError {
    /// A role has no column (the reader's message: the role and the columns).
    Roles(String),
    /// A role's column has a type this reading does not read as cjm does.
    Type { role: &'static str, column: String, spark_type: String },
    /// An attribute has the name of a column of the layout.
    Clash(String),
}

impl std::fmt::Display for ForeignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForeignError::Roles(m) => f.write_str(m),
            ForeignError::Type { role, column, spark_type } => write!(
                f,
                "the {role} column `{column}` is {spark_type}; on Spark cjm reads {}",
                match *role {
                    "timestamp" => "times from Parquet timestamps or dates, not text or numbers",
                    "score" => "scores from number columns",
                    _ => "names from text, integer or boolean columns",
                }
            ),
            ForeignError::Clash(name) => {
                write!(f, "the attribute `{name}` has the name of a column of cjm's layout (`cjm_…`); rename it")
            }
        }
    }
}

/// Why the read's counts are not there.
#[derive(Debug)]
pub enum Stopped {
    /// An infinite score stops the reading: the reader's words.
    Score(String),
    /// A bad row stops a strict reading: its line and the reader's words.
    Strict {
        line: u64,
        message: String,
    },
    Decode(DecodeError),
}

impl From<DecodeError> for Stopped {
    fn from(e: DecodeError) -> Self {
        Stopped::Decode(e)
    }
}

/// An attribute column as the view holds it.
#[derive(Clone, Debug)]
struct Attr {
    /// The file's column.
    column: String,
    /// The view's column: the attribute's name, `case:NAME` at the customer level.
    name: String,
    case_level: bool,
    /// Its text, or `None` when cjm writes it in a way SQL cannot (floats,
    /// times): reading it then stops with a message.
    text: Option<String>,
    spark_type: String,
}

/// A foreign log's reading: the roles found, and the statements that make
/// `cjm_src` of it.
#[derive(Clone, Debug)]
pub struct Reading {
    pub roles: Roles,
    time: String,
    case: String,
    activity: String,
    channel: String,
    score: String,
    attrs: Vec<Attr>,
    /// The attribute the lifecycle choice reads (an event attribute named
    /// `lifecycle:transition` or `lifecycle`, the first).
    lifecycle: Option<usize>,
    rules: Rules,
}

/// What the lifecycle choice keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    Every,
    /// The rows whose lifecycle is this spelling.
    Only(String),
    /// The choice names a transition the log lacks.
    Nothing,
}

impl Reading {
    /// The reading of a file whose columns are `columns` (name and Spark
    /// type, in the file's order).
    pub fn new(columns: &[(String, String)], rules: &Rules, nanos: Option<Nanos>) -> Result<Reading, ForeignError> {
        let headers: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        let roles = rules.columns.roles(&headers).map_err(ForeignError::Roles)?;
        let type_of = |name: &str| columns.iter().find(|(n, _)| n == name).map_or("", |(_, t)| t.as_str());
        let name = |role: &'static str, column: &str| -> Result<String, ForeignError> {
            let t = type_of(column);
            match Kind::of(t) {
                Kind::Text | Kind::Integer | Kind::Boolean => Ok(trimmed(&as_text(column))),
                _ => Err(ForeignError::Type { role, column: column.to_string(), spark_type: t.to_string() }),
            }
        };
        let case = name("customer (case) id", &roles.case)?;
        let activity = name("touchpoint (activity)", &roles.activity)?;
        let channel = match &roles.channel {
            Some(c) => name("channel", c)?,
            None => "CAST(NULL AS STRING)".to_string(),
        };
        let time = time_of(&roles.time, type_of(&roles.time), nanos)?;
        let score = match &roles.score {
            Some(c) => match Kind::of(type_of(c)) {
                Kind::Integer | Kind::Float => {
                    let v = format!("CAST({} AS DOUBLE)", ident(c));
                    format!("CASE WHEN isnan({v}) THEN NULL ELSE {v} END")
                }
                _ => {
                    let spark_type = type_of(c).to_string();
                    return Err(ForeignError::Type { role: "score", column: c.clone(), spark_type });
                }
            },
            None => "CAST(NULL AS DOUBLE)".to_string(),
        };
        let mut attrs = Vec::new();
        for (column, attr, case_level) in &roles.attrs {
            let name = if *case_level { format!("case:{attr}") } else { attr.clone() };
            if crate::sql::LAYOUT_COLUMNS.contains(&name.as_str()) {
                return Err(ForeignError::Clash(name));
            }
            let t = type_of(column);
            let text = match Kind::of(t) {
                Kind::Text | Kind::Boolean => Some(as_text(column)),
                // An integer of a file with nanosecond times may be one.
                Kind::Integer if nanos.is_none() => Some(as_text(column)),
                _ => None,
            };
            attrs.push(Attr { column: column.clone(), name, case_level: *case_level, text, spark_type: t.to_string() });
        }
        let lifecycle =
            attrs.iter().position(|a| !a.case_level && (a.name == "lifecycle:transition" || a.name == "lifecycle"));
        Ok(Reading { roles, time, case, activity, channel, score, attrs, lifecycle, rules: rules.clone() })
    }

    /// The view's columns, as the client's `Session::open` gives them.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = crate::sql::LAYOUT_COLUMNS.iter().map(|c| c.to_string()).collect();
        out.extend(self.attrs.iter().map(|a| a.name.clone()));
        out
    }

    /// `cjm_read`: every row with the rules applied and its problems
    /// visible (`c`, `a` or `t` null).
    pub fn read_view(&self) -> Statement {
        let mut cols = vec![
            format!("f.fi * 1099511627776 + x.{ROW_INDEX} AS r"),
            format!("x.{ROW_INDEX} + 1 AS line"),
            format!("x.{FILE_PATH} AS fp"),
            format!("{} AS c", self.case),
            format!("{} AS t", self.time),
            format!("{} AS a", self.activity),
            format!("{} AS ch", self.channel),
            format!("{} AS s", self.score),
        ];
        for (i, a) in self.attrs.iter().enumerate() {
            cols.push(match &a.text {
                Some(text) => format!("nullif({text}, '') AS v{i}"),
                None => format!(
                    "CASE WHEN {c} IS NULL THEN NULL ELSE CAST(raise_error(:unread{i}) AS STRING) END AS v{i}",
                    c = ident(&a.column)
                ),
            });
        }
        let sql = format!(
            "CREATE OR REPLACE TEMP VIEW {READ_VIEW} AS
SELECT {cols}
FROM {FILE_VIEW} x JOIN (
  SELECT {FILE_PATH}, row_number() OVER (ORDER BY {FILE_PATH}) - 1 AS fi FROM (SELECT DISTINCT {FILE_PATH} FROM {FILE_VIEW})
) f ON x.{FILE_PATH} = f.{FILE_PATH}",
            cols = cols.join(",\n  ")
        );
        let mut params = vec![("ws".to_string(), Param::Text(WHITE_SPACE.to_string()))];
        if self.time.contains(":offset") {
            params.push(("offset".to_string(), Param::Int(self.rules.offset_seconds.saturating_mul(1_000_000))));
        }
        for (i, a) in self.attrs.iter().enumerate().filter(|(_, a)| a.text.is_none()) {
            let why = format!(
                "the attribute `{}` is a {} column, which cjm on Spark does not read as text; write the log in cjm's canonical layout",
                a.column, a.spark_type
            );
            params.push((format!("unread{i}"), Param::Text(why)));
        }
        Statement { sql, params }
    }

    /// One row: `rows`, `bad`, the first spellings of the `start` and
    /// `complete` transitions among good rows, how many good rows have a
    /// lifecycle (none: the reader has no lifecycle column), the first infinite
    /// score (`inf_line`, `inf_score`, `inf_file`).
    pub fn stats_query(&self) -> Statement {
        let good = GOOD;
        let (start, complete, any) = match self.lifecycle {
            Some(i) => (
                format!("min_by(v{i}, r) FILTER (WHERE {good} AND lower(v{i}) = 'start')"),
                format!("min_by(v{i}, r) FILTER (WHERE {good} AND lower(v{i}) = 'complete')"),
                format!("count_if({good} AND v{i} IS NOT NULL)"),
            ),
            None => ("CAST(NULL AS STRING)".to_string(), "CAST(NULL AS STRING)".to_string(), "0".to_string()),
        };
        let inf = "s = double('Infinity') OR s = double('-Infinity')";
        let sql = format!(
            "SELECT count(*) AS rows, count_if(NOT ({good})) AS bad, {start} AS start, {complete} AS complete, {any} AS lifecycles,
  min_by(line, r) FILTER (WHERE {inf}) AS inf_line, min_by(s, r) FILTER (WHERE {inf}) AS inf_score,
  min_by(fp, r) FILTER (WHERE {inf}) AS inf_file, count(DISTINCT fp) AS files
FROM {READ_VIEW}"
        );
        Statement { sql, params: Vec::new() }
    }

    /// The first bad rows, in row order: their line, file and which of the
    /// customer, touchpoint and time is missing.
    pub fn problems_query(&self) -> Statement {
        let sql = format!(
            "SELECT line, fp, c IS NULL AS no_c, a IS NULL AS no_a, t IS NULL AS no_t FROM {READ_VIEW}
WHERE c IS NULL OR a IS NULL OR t IS NULL ORDER BY r LIMIT :named"
        );
        Statement { sql, params: vec![("named".to_string(), Param::Int(NAMED_PROBLEMS as i64))] }
    }

    /// What the lifecycle choice keeps, from the answer of
    /// [`Reading::stats_query`] (`stats`).
    pub fn kept(&self, results: &Results) -> Result<Kept, DecodeError> {
        let start = crate::decode::optional_texts(results, "stats", "start")?.into_iter().next().flatten();
        let complete = crate::decode::optional_texts(results, "stats", "complete")?.into_iter().next().flatten();
        let any = crate::decode::single(results, "stats", "lifecycles")? > 0;
        Ok(self.choice(any.then_some((start, complete))))
    }

    /// The lifecycle choice over the first spellings of the `start` and
    /// `complete` transitions (`None`: the good rows have no lifecycle).
    fn choice(&self, spellings: Option<(Option<String>, Option<String>)>) -> Kept {
        let (Some(_), Some((start, complete))) = (self.lifecycle, spellings) else {
            return Kept::Every;
        };
        let or_nothing = |v: Option<String>| v.map_or(Kept::Nothing, Kept::Only);
        match self.rules.lifecycle {
            Lifecycle::All => Kept::Every,
            Lifecycle::Start => or_nothing(start),
            Lifecycle::Complete => or_nothing(complete),
            Lifecycle::Auto => match (start, complete) {
                (Some(_), Some(c)) => Kept::Only(c),
                _ => Kept::Every,
            },
        }
    }

    /// How many good rows the lifecycle choice `kept` keeps (one row, `n`).
    pub fn kept_query(&self, kept: &Kept) -> Statement {
        let (filter, params) = self.lifecycle_filter(kept);
        let sql = format!("SELECT count(*) AS n FROM {READ_VIEW} WHERE {GOOD}{filter}");
        Statement { sql, params }
    }

    fn lifecycle_filter(&self, kept: &Kept) -> (String, Vec<(String, Param)>) {
        match (kept, self.lifecycle) {
            (Kept::Only(v), Some(i)) => {
                (format!(" AND v{i} = :kept"), vec![("kept".to_string(), Param::Text(v.clone()))])
            }
            (Kept::Nothing, _) => (" AND false".to_string(), Vec::new()),
            _ => (String::new(), Vec::new()),
        }
    }

    /// `cjm_src` in the canonical layout: the good rows the lifecycle
    /// choice keeps, each customer attribute its first value, and each
    /// customer's first row among all rows that name it (cjm's reader
    /// numbers customers as it meets them, in bad rows and other lifecycle
    /// events too).
    pub fn source_view(&self, kept: &Kept) -> Statement {
        let mut middle: Vec<String> = ["r", "c", "t", "a", "ch", "s", FIRST_ROW].map(String::from).to_vec();
        let mut outer = vec![
            "r AS cjm_row".to_string(),
            "c AS cjm_customer".to_string(),
            "timestamp_micros(t) AS cjm_time".to_string(),
            "a AS cjm_touchpoint".to_string(),
            "ch AS cjm_channel".to_string(),
            "s AS cjm_score".to_string(),
        ];
        for (i, a) in self.attrs.iter().enumerate() {
            middle.push(match a.case_level {
                true => format!(
                    "min(IF(v{i} IS NULL, NULL, named_struct('r', r, 'v', v{i}))) OVER (PARTITION BY c).v AS v{i}"
                ),
                false => format!("v{i}"),
            });
            outer.push(format!("v{i} AS {}", ident(&a.name)));
        }
        outer.push(FIRST_ROW.to_string());
        let (filter, params) = self.lifecycle_filter(kept);
        // The lifecycle choice comes after the customers' attributes: the
        // reader takes them from every good row.
        let filter = filter.strip_prefix(" AND ").map(|f| format!("\nWHERE {f}")).unwrap_or_default();
        let sql = format!(
            "CREATE OR REPLACE TEMP VIEW {SOURCE_VIEW} AS
SELECT {outer}
FROM (
  SELECT {middle}
  FROM (SELECT *, min(r) OVER (PARTITION BY c) AS {FIRST_ROW} FROM {READ_VIEW} WHERE c IS NOT NULL)
  WHERE a IS NOT NULL AND t IS NOT NULL
){filter}",
            outer = outer.join(", "),
            middle = middle.join(",\n    "),
        );
        Statement { sql, params }
    }

    /// The read's counts and named problems from the answers of
    /// [`Reading::stats_query`] (`stats`), [`Reading::problems_query`]
    /// (`problems`) and, when the choice filters, [`Reading::kept_query`]
    /// (`kept`); or the reading's stop (an infinite score, a bad row when
    /// strict) as [`Stopped`].
    pub fn read_stats(&self, results: &Results, kept: &Kept) -> Result<ReadStats, Stopped> {
        let rows = crate::decode::single(results, "stats", "rows")?;
        let bad = crate::decode::single(results, "stats", "bad")?;
        let files = crate::decode::single(results, "stats", "files")?;
        let in_file = |file: Option<&str>| match (files > 1, file) {
            (true, Some(f)) => format!(" of {f}"),
            _ => String::new(),
        };
        let inf_line = crate::decode::optional_counts(results, "stats", "inf_line")?;
        if let Some(Some(line)) = inf_line.first() {
            let score = crate::decode::optional_floats(results, "stats", "inf_score")?;
            let file = crate::decode::optional_texts(results, "stats", "inf_file")?;
            let value = score.first().copied().flatten().unwrap_or(f64::INFINITY);
            let score_column = self.roles.score.clone().unwrap_or_default();
            return Err(Stopped::Score(format!(
                "column `{score_column}`: row {line}{} holds the score `{value}`; a score must be a finite number such as 4 or 3.5 (or null for none)",
                in_file(file.first().cloned().flatten().as_deref())
            )));
        }
        let mut problems = Vec::new();
        if bad > 0 {
            let lines = crate::decode::counts(results, "problems", "line")?;
            let file = crate::decode::optional_texts(results, "problems", "fp")?;
            let no_c = crate::decode::flags(results, "problems", "no_c")?;
            let no_a = crate::decode::flags(results, "problems", "no_a")?;
            for (k, line) in lines.iter().enumerate() {
                let message = if no_c.get(k) == Some(&true) {
                    format!("`{}` is empty", self.roles.case)
                } else if no_a.get(k) == Some(&true) {
                    format!("`{}` is empty", self.roles.activity)
                } else {
                    format!("`{}` has no readable time", self.roles.time)
                };
                let message = format!("{message}{}", in_file(file.get(k).cloned().flatten().as_deref()));
                if self.rules.strict {
                    return Err(Stopped::Strict { line: *line, message });
                }
                problems.push(RowProblem { line: *line, kind: cjm_events::ProblemKind::Other, message });
            }
        }
        let lifecycle_skipped = match kept {
            Kept::Every => 0,
            _ => (rows - bad).saturating_sub(crate::decode::single(results, "kept", "n")?),
        };
        Ok(ReadStats { rows, bad_rows: bad, problems, lifecycle_skipped })
    }
}

/// `cjm_src` of a log in the canonical layout: the file as it is, and each
/// customer's first row.
pub fn canonical_view() -> Statement {
    let sql = format!(
        "CREATE OR REPLACE TEMP VIEW {SOURCE_VIEW} AS
SELECT *, min(cjm_row) OVER (PARTITION BY cjm_customer) AS {FIRST_ROW} FROM {FILE_VIEW}"
    );
    Statement { sql, params: Vec::new() }
}

/// A column as text, as cjm's reader writes its values (text as it is,
/// integers and booleans as Rust writes them, which is Spark's cast).
fn as_text(column: &str) -> String {
    format!("CAST({} AS STRING)", ident(column))
}

/// Text trimmed as Rust's `str::trim` trims, empty as none.
fn trimmed(text: &str) -> String {
    format!("nullif(btrim({text}, :ws), '')")
}

/// The time column as microseconds since the epoch (null: no readable
/// time), by its type.
fn time_of(column: &str, spark_type: &str, nanos: Option<Nanos>) -> Result<String, ForeignError> {
    let c = ident(column);
    let local = |micros: String| format!("try_subtract({micros}, :offset)");
    Ok(match (Kind::of(spark_type), nanos) {
        (Kind::Timestamp, _) => format!("unix_micros({c})"),
        (Kind::TimestampNtz, _) => local(format!("unix_micros(CAST({c} AS TIMESTAMP))")),
        (Kind::Date, _) => local(format!("try_multiply(CAST(unix_date({c}) AS BIGINT), 86400000000)")),
        (Kind::Integer, Some(Nanos::Utc)) => format!("CAST({c} AS BIGINT) div 1000"),
        (Kind::Integer, Some(Nanos::Local)) => local(format!("CAST({c} AS BIGINT) div 1000")),
        _ => {
            return Err(ForeignError::Type {
                role: "timestamp",
                column: column.to_string(),
                spark_type: spark_type.to_string(),
            })
        }
    })
}

/// Whether Spark's refusal to read a file is about nanosecond timestamps,
/// and which kind they are: `Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false))`.
pub fn nanos_refused(message: &str) -> Option<Nanos> {
    let at = message.find("TIMESTAMP(NANOS,")?;
    Some(if message[at..].starts_with("TIMESTAMP(NANOS,true)") { Nanos::Utc } else { Nanos::Local })
}
