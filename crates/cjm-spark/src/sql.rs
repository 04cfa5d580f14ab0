//! The Spark SQL that computes a summary's exact parts.
//!
//! Every statement is text with named parameters (`:steps`, `:top`): no
//! value is ever spliced into SQL. The log reaches the session as the temp
//! view `cjm_src` (the runner makes it from a path or a table), in the
//! canonical layout that `cjm export` writes. The SQL computes counts,
//! `DECIMAL(38,0)` sums of microseconds, minima and lists of names, and
//! never a float (`avg`, `round`, float sums or approximate percentiles
//! depend on the cluster's partitioning); cjm-mine's `finish` does the
//! rest.

/// A parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Int(i64),
    Text(String),
    Texts(Vec<String>),
    Float(f64),
}

/// One statement and its named parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<(String, Param)>,
}

/// A statement whose rows are read back, by the name [`crate::decode`]
/// looks them up with.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub name: String,
    pub statement: Statement,
}

/// What runs for one summary: views and caches first, then the queries,
/// then the caches released.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub setup: Vec<Statement>,
    pub queries: Vec<Query>,
    pub teardown: Vec<Statement>,
}

/// The columns of the canonical layout the plans read.
pub const LAYOUT_COLUMNS: [&str; 6] =
    ["cjm_row", "cjm_customer", "cjm_time", "cjm_touchpoint", "cjm_channel", "cjm_score"];

/// The name of the view the runner makes of the log: the layout's
/// columns, the attributes, and [`FIRST_ROW`].
pub const SOURCE_VIEW: &str = "cjm_src";

/// The column of [`SOURCE_VIEW`] that holds each customer's first row in
/// the log as read (before any filter, bad rows and other lifecycle events
/// too): cjm numbers customers in that order.
pub const FIRST_ROW: &str = "cjm_first";

/// Session settings every plan needs: times read in UTC, and the ANSI
/// mode the SQL is written for (every index guarded, sums as decimals).
pub const SESSION_CONF: [(&str, &str); 2] = [("spark.sql.session.timeZone", "UTC"), ("spark.sql.ansi.enabled", "true")];

fn plain(sql: &str) -> Statement {
    Statement { sql: sql.trim().to_string(), params: Vec::new() }
}

/// What a plan computes: the summary always, the analysis when asked,
/// over the log narrowed as cjm mine's flags narrow it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// The summary's funnel (the contract's: in order, no window).
    pub funnel: Vec<String>,
    /// How many variants the summary lists.
    pub top: usize,
    pub narrowing: Narrowing,
    pub analysis: Option<AnalysisRequest>,
    /// Volume over time at this interval (`trend`, `trend_new`), and with
    /// the analysis' funnel its conversion (`trend_conversion`): the web
    /// app's trends.
    pub trend: Option<cjm_mine::trend::Interval>,
    /// The paths' parts (`paths_anchored`, `paths_nodes`, `paths_links`,
    /// and with a touchpoint anchor `paths_known`).
    pub paths: Option<cjm_mine::paths::PathsSpec>,
}

/// Which events count, and how journeys are cut (as `cjm mine`'s
/// `--from`, `--to`, `--where` and `--gap`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Narrowing {
    /// Events at or after this time (UTC microseconds); unknown times go.
    pub from: Option<i64>,
    /// Events before this time; unknown times stay.
    pub to: Option<i64>,
    /// Events whose column (see [`where_column`]) holds one of the
    /// values, for each of the list.
    pub where_: Vec<(String, Vec<String>)>,
    /// A customer inactive longer than this (microseconds) starts a new
    /// session, a customer of its own (`c`, `c#2`, `c#3`…).
    pub gap: Option<i64>,
    /// Only the customers (after the rest) with an event whose column (see
    /// [`by_column`]) holds the value, all their events kept: one segment
    /// of `--by`.
    pub by: Option<(String, String)>,
    /// Only the customers (after the filters and sessions, before `by`)
    /// of the most frequent variants covering this share (`--cover`).
    pub cover: Option<cjm_mine::analysis::Share>,
    /// Only the customers (after the rest) whose journey is this sequence
    /// of touchpoints: the web app's variant filter.
    pub variant: Option<Vec<String>>,
    /// Every segment of this column (see [`by_column`]) at once, instead
    /// of `by`'s one: a customer is in the segment of each value its
    /// events (or its customer attribute) hold, and every answer of the
    /// summary and the analysis comes per segment, keyed `g` (split by
    /// [`crate::decode::segments`]). Paths, trends and dropped customers
    /// are not computed per segment.
    pub breakdown: Option<String>,
}

/// The analysis of `cjm mine --format json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalysisRequest {
    /// Eventually-follows pairs up to this many steps apart.
    pub follows: usize,
    /// The analysis' funnel (order, strictness, window), when it has steps.
    pub funnel: Option<cjm_mine::analysis::FunnelSpec>,
    /// Name the customers who dropped at each step.
    pub dropped: bool,
    /// The time to convert of every converted customer (its histogram).
    pub conversion: bool,
}

/// The most `follows` steps a plan computes: one window term per step.
pub const MAX_FOLLOWS: usize = 50;

/// The plan of `journey-summary/1` for a funnel of `funnel` steps and the
/// `top` variants.
pub fn summary_plan(funnel: &[String], top: usize) -> Plan {
    plan(&Request { funnel: funnel.to_vec(), top, ..Request::default() })
}

/// The plan of a request: the summary's queries, then the analysis'.
pub fn plan(req: &Request) -> Plan {
    let funnel = req.analysis.as_ref().and_then(|a| a.funnel.as_ref()).filter(|f| !f.steps.is_empty());
    let grouped = req.narrowing.breakdown.is_some();
    let dropped = funnel.is_some() && req.analysis.as_ref().is_some_and(|a| a.dropped) && !grouped;
    let shape = Shape { analysis: req.analysis.is_some(), funnel: funnel.is_some(), dropped, grouped };
    let g = if grouped { "g, " } else { "" };
    let mut setup = events_views(&req.narrowing, dropped);
    setup.extend([seq_view(&shape), journeys_view(&shape)]);
    let mut queries = summary_queries(&req.funnel, req.top, g);
    if let Some(a) = &req.analysis {
        queries.extend(analysis_queries(a.follows, g));
        if let Some(f) = funnel {
            setup.push(funnel_view(f, dropped, g));
            queries.extend(funnel_queries(f.steps.len(), dropped, a.conversion, g));
        }
    }
    if let (Some(interval), false) = (req.trend, grouped) {
        queries.extend(trend_queries(interval, funnel.map(|f| f.steps.len())));
    }
    // Dropping a cached view releases its cache too; the session can run
    // the next plan.
    let mut teardown = Vec::new();
    if let (Some(spec), false) = (&req.paths, grouped) {
        setup.push(paths_view(spec));
        queries.extend(paths_queries(spec));
        teardown.push(plain("DROP VIEW IF EXISTS cjm_paths"));
    }
    if funnel.is_some() {
        teardown.push(plain("DROP VIEW IF EXISTS cjm_funnel"));
    }
    teardown.extend([
        plain("DROP VIEW IF EXISTS cjm_journeys"),
        plain("DROP VIEW IF EXISTS cjm_seq"),
        plain("DROP VIEW IF EXISTS cjm_ev"),
    ]);
    teardown.extend(narrowing_teardown(&req.narrowing));
    Plan { setup, queries, teardown }
}

/// The first and last known event times (UTC microseconds) of the log
/// narrowed by `n`, as the query `span` (`lo`, `hi`; null when no event
/// has a time): the web app's overview.
pub fn span_plan(n: &Narrowing) -> Plan {
    let query = Query { name: "span".into(), statement: plain("SELECT min(t) AS lo, max(t) AS hi FROM cjm_ev") };
    let mut teardown = vec![plain("DROP VIEW IF EXISTS cjm_ev")];
    teardown.extend(narrowing_teardown(n));
    Plan { setup: events_views(n, false), queries: vec![query], teardown }
}

/// The narrowing's views before `cjm_ev`, dropped after it.
fn narrowing_teardown(n: &Narrowing) -> Vec<Statement> {
    let stages = stages(n);
    let mut out: Vec<Statement> =
        stages.iter().rev().skip(1).map(|s| plain(&format!("DROP VIEW IF EXISTS {}", s.view()))).collect();
    if !stages.is_empty() {
        out.push(plain("DROP VIEW IF EXISTS cjm_base"));
    }
    out
}

/// A stage of the narrowing after the filters and sessions, in order:
/// each keeps some customers of the view before it, all their events.
#[derive(Clone, Copy)]
enum Stage<'a> {
    Cover(cjm_mine::analysis::Share),
    By(&'a str),
    Breakdown,
    Variant(&'a [String]),
}

impl Stage<'_> {
    /// The view the stage makes when another stage follows it.
    fn view(self) -> &'static str {
        match self {
            Stage::Cover(_) => "cjm_cover",
            Stage::By(_) => "cjm_by",
            Stage::Breakdown => "cjm_segments",
            Stage::Variant(_) => "cjm_variant",
        }
    }
}

fn stages(n: &Narrowing) -> Vec<Stage<'_>> {
    let by = n.by.as_ref().map(|(_, value)| Stage::By(value));
    let breakdown = n.breakdown.as_ref().map(|_| Stage::Breakdown);
    [n.cover.map(Stage::Cover), by, breakdown, n.variant.as_deref().map(Stage::Variant)].into_iter().flatten().collect()
}

/// What the views carry beyond the summary's columns.
struct Shape {
    /// Channels (reach, switches).
    analysis: bool,
    /// Times in the journeys (funnels).
    funnel: bool,
    /// Each customer's place in the log's customer order (`cf`, `cpos`):
    /// the dropped customers are listed in it.
    dropped: bool,
    /// The segment `g` of a breakdown.
    grouped: bool,
}

/// A column name as a quoted identifier (a backtick doubled).
pub(crate) fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `cjm_ev(rid, c, t, a, ch, s[, cf, cpos])`: the log in contract terms
/// (the layout already applied cjm's reader rules), narrowed, cut into
/// sessions. `cf` is the customer's first row in the whole log (before
/// any filter), as cjm numbers customers; `cpos` orders a customer's
/// sessions.
fn events_views(n: &Narrowing, order: bool) -> Vec<Statement> {
    let mut params = Vec::new();
    let mut conds = Vec::new();
    if let Some(from) = n.from {
        conds.push("unix_micros(cjm_time) >= :from".to_string());
        params.push(("from".into(), Param::Int(from)));
    }
    if let Some(to) = n.to {
        conds.push("(cjm_time IS NULL OR unix_micros(cjm_time) < :to)".to_string());
        params.push(("to".into(), Param::Int(to)));
    }
    for (i, (column, values)) in n.where_.iter().enumerate() {
        let name = if i == 0 { "values".to_string() } else { format!("values_{i}") };
        conds.push(format!("array_contains(:{name}, {})", ident(column)));
        params.push((name, Param::Texts(values.clone())));
    }
    let source = SOURCE_VIEW;
    let filter = if conds.is_empty() { String::new() } else { format!("\nWHERE {}", conds.join("\n  AND ")) };
    // With stages after the filters, the narrowed events are `cjm_base`
    // (with `by`'s column as `bv`), and the last stage makes `cjm_ev`.
    let stages = stages(n);
    let view = if stages.is_empty() { "cjm_ev" } else { "cjm_base" };
    let by = match (&n.by, &n.breakdown) {
        (Some((column, _)), _) | (None, Some(column)) => format!(", {} AS bv", ident(column)),
        (None, None) => String::new(),
    };
    let bv = n.by.is_some() || n.breakdown.is_some();
    let base = |extra: &str| {
        format!(
            "SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s{extra}{by}
FROM {source}{filter}"
        )
    };
    let sql = match n.gap {
        None => format!(
            "CREATE OR REPLACE TEMP VIEW {view} AS\n{}",
            base(if order { ", cjm_first AS cf, 0 AS cpos" } else { "" })
        ),
        Some(gap) => {
            params.push(("gap".into(), Param::Int(gap)));
            let keep = match (order, bv) {
                (true, true) => ", cf, bpos AS cpos, bv",
                (true, false) => ", cf, bpos AS cpos",
                (false, true) => ", bv",
                (false, false) => "",
            };
            format!(
                "CREATE OR REPLACE TEMP VIEW {view} AS
WITH f AS (
{}),
l AS (
  SELECT *, t - lag(t) OVER w AS dt, row_number() OVER w AS bpos FROM f
  WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC)),
g AS (
  SELECT *, sum(IF(dt > :gap, 1, 0)) OVER (PARTITION BY c ORDER BY bpos ROWS UNBOUNDED PRECEDING) AS brk FROM l)
SELECT rid, IF(brk = 0, c, concat(c, '#', CAST(brk + 1 AS STRING))) AS c, t, a, ch, s{keep}
FROM g",
                base(if order { ", cjm_first AS cf" } else { "" })
            )
        }
    };
    let mut views = vec![Statement { sql, params }];
    let mut from = "cjm_base";
    for (i, &stage) in stages.iter().enumerate() {
        let into = if i + 1 == stages.len() { "cjm_ev" } else { stage.view() };
        views.push(match stage {
            Stage::Cover(share) => cover_view(from, into, share),
            Stage::By(value) => Statement {
                sql: format!(
                    "CREATE OR REPLACE TEMP VIEW {into} AS
SELECT * FROM {from} WHERE c IN (SELECT c FROM {from} WHERE bv = :by)"
                ),
                params: vec![("by".into(), Param::Text(value.to_string()))],
            },
            // A customer once in each segment of its values, its name
            // made unique to the segment (the value's length first, so no
            // two pairs meet): every window and count by customer then
            // stays inside a segment.
            Stage::Breakdown => plain(&format!(
                "CREATE OR REPLACE TEMP VIEW {into} AS
SELECT e.rid, concat(CAST(length(b.g) AS STRING), ':', b.g, ':', e.c) AS c, e.t, e.a, e.ch, e.s, b.g
FROM {from} e JOIN (SELECT DISTINCT c, bv AS g FROM {from} WHERE bv IS NOT NULL) b ON e.c = b.c"
            )),
            Stage::Variant(seq) => variant_view(from, into, seq),
        });
        from = into;
    }
    views
}

/// Each journey of `from` (touchpoints in journey order), as the CTEs
/// `p` and `j` of a stage that keeps customers by their journey.
pub(crate) fn journeys_of(from: &str) -> String {
    format!(
        "p AS (
  SELECT c, a, row_number() OVER (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC) AS pos FROM {from}),
j AS (
  SELECT c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq FROM p GROUP BY c)"
    )
}

/// The variant filter: the customers of `from` whose journey is `seq`.
fn variant_view(from: &str, into: &str, seq: &[String]) -> Statement {
    // No journey is empty: the empty sequence keeps nobody.
    let (cond, params) = match seq {
        [] => ("false", Vec::new()),
        _ => ("seq = :variant", vec![("variant".into(), Param::Texts(seq.to_vec()))]),
    };
    Statement {
        sql: format!(
            "CREATE OR REPLACE TEMP VIEW {into} AS
WITH {}
SELECT * FROM {from} WHERE c IN (SELECT c FROM j WHERE {cond})",
            journeys_of(from)
        ),
        params,
    }
}

/// `--cover`: the customers of `cjm_base` whose journey is one of the most
/// frequent variants (ties by the sequence, as the top variants) taken
/// while those before cover less than the share — compared as integers,
/// `before × den < num × total`, as cjm-mine's `Share` compares. The
/// ranking is one window over the distinct variants.
fn cover_view(from: &str, into: &str, share: cjm_mine::analysis::Share) -> Statement {
    let sql = format!(
        "CREATE OR REPLACE TEMP VIEW {into} AS
WITH {},
v AS (
  SELECT seq, count(*) AS n FROM j GROUP BY seq),
r AS (
  SELECT seq,
         coalesce(sum(n) OVER (ORDER BY n DESC, seq ASC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
         sum(n) OVER () AS total
  FROM v)
SELECT * FROM {from} WHERE c IN (
  SELECT j.c FROM j JOIN r ON j.seq = r.seq
  WHERE CAST(r.before AS DECIMAL(38,0)) * :cover_den < CAST(:cover_num AS DECIMAL(38,0)) * r.total)",
        journeys_of(from)
    );
    let params =
        vec![("cover_num".into(), Param::Int(share.num as i64)), ("cover_den".into(), Param::Int(share.den as i64))];
    Statement { sql, params }
}

/// `cjm_seq`: one sort by (customer, time, row); an unknown time sorts
/// first. The one cached copy of the narrowed events: every query reads
/// it (or what is made of it), so the filters, sessions and stages before
/// it run once a plan.
fn seq_view(shape: &Shape) -> Statement {
    let mut cols = String::from("c, a, t, rid, s");
    if shape.grouped {
        cols.push_str(", g");
    }
    if shape.analysis {
        cols.push_str(", ch");
    }
    if shape.dropped {
        cols.push_str(", cf, cpos");
    }
    let mut windows =
        String::from("row_number() OVER w AS pos, lag(a) OVER w AS pa, lag(t) OVER w AS pt, lead(a) OVER w AS na");
    if shape.analysis {
        windows.push_str(", lag(ch) OVER w AS pch");
    }
    plain(&format!(
        "CACHE TABLE cjm_seq AS
SELECT {cols},
       {windows}
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC)"
    ))
}

/// `cjm_journeys`: each journey's touchpoints as one array, in journey
/// order (GROUP BY keeps no order: the positions sort it); for funnels
/// the times too, and the customer's place in the customer order.
fn journeys_view(shape: &Shape) -> Statement {
    let g = if shape.grouped { "g, " } else { "" };
    if !shape.funnel {
        return plain(&format!(
            "CACHE TABLE cjm_journeys AS
SELECT {g}c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq
FROM cjm_seq GROUP BY {g}c"
        ));
    }
    let (ok, first) = if shape.dropped { (", ok", ", min(struct(cf, cpos)) AS ok") } else { ("", "") };
    plain(&format!(
        "CACHE TABLE cjm_journeys AS
SELECT {g}c{ok}, transform(j, x -> x.a) AS seq, transform(j, x -> x.t) AS ts
FROM (SELECT {g}c, array_sort(collect_list(struct(pos, a, t))) AS j{first} FROM cjm_seq GROUP BY {g}c)"
    ))
}

/// The summary's queries; with `g` (`"g, "`: a breakdown) every answer
/// per segment.
fn summary_queries(funnel: &[String], top: usize, g: &str) -> Vec<Query> {
    let by_g = if g.is_empty() { "" } else { " GROUP BY g" };
    // Spark orders ARRAY<STRING> element by element, a proper prefix
    // first, strings as UTF-8 bytes: the contract's order, so LIMIT (or
    // a segment's rank) gives the top k.
    let top_sql = if g.is_empty() {
        "SELECT seq, count(*) AS n FROM cjm_journeys GROUP BY seq ORDER BY n DESC, seq ASC LIMIT :top".to_string()
    } else {
        "SELECT g, seq, n FROM (
  SELECT g, seq, count(*) AS n, row_number() OVER (PARTITION BY g ORDER BY count(*) DESC, seq ASC) AS r
  FROM cjm_journeys GROUP BY g, seq)
WHERE r <= :top ORDER BY g, n DESC, seq ASC"
            .to_string()
    };
    let mut queries = vec![
        Query {
            name: "totals".into(),
            statement: plain(&format!(
                "SELECT {g}count(*) AS events, count(DISTINCT c) AS customers FROM cjm_seq{by_g}"
            )),
        },
        Query {
            name: "edges".into(),
            statement: plain(&format!(
                "SELECT {g}pa AS from_touchpoint, a AS to_touchpoint, count(*) AS n,
       count(t - pt) AS timed, sum(CAST(t - pt AS DECIMAL(38,0))) AS micros
FROM cjm_seq WHERE pos > 1 GROUP BY {g}pa, a"
            )),
        },
        Query {
            name: "starts".into(),
            statement: plain(&format!(
                "SELECT {g}a AS touchpoint, count(*) AS n FROM cjm_seq WHERE pos = 1 GROUP BY {g}a"
            )),
        },
        Query {
            name: "ends".into(),
            statement: plain(&format!(
                "SELECT {g}a AS touchpoint, count(*) AS n FROM cjm_seq WHERE na IS NULL GROUP BY {g}a"
            )),
        },
        Query {
            name: "variant_count".into(),
            statement: plain(&format!("SELECT {g}count(DISTINCT seq) AS n FROM cjm_journeys{by_g}")),
        },
        Query {
            name: "top_variants".into(),
            statement: Statement { sql: top_sql, params: vec![("top".into(), Param::Int(top as i64))] },
        },
        Query {
            name: "touchpoints".into(),
            statement: plain(&format!(
                "SELECT {g}a AS touchpoint, count(*) AS events, count(DISTINCT c) AS customers, count(s) AS scored
FROM cjm_seq GROUP BY {g}a"
            )),
        },
        // Each distinct score with its count: cjm sums them exactly.
        Query {
            name: "scores".into(),
            statement: plain(&format!(
                "SELECT {g}a AS touchpoint, s AS score, count(*) AS n FROM cjm_seq WHERE s IS NOT NULL GROUP BY {g}a, s"
            )),
        },
        // The analysis' transition times.
        Query {
            name: "edge_times".into(),
            statement: plain(&ranked(
                &keyed(g, &["pa", "a"]),
                "t - pt",
                "cjm_seq WHERE pos > 1 AND t IS NOT NULL AND pt IS NOT NULL",
                &keyed(g, &["from_touchpoint", "to_touchpoint"]),
            )),
        },
    ];
    if !funnel.is_empty() {
        // Greedy earliest subsequence match, one fold per journey.
        queries.push(Query {
            name: "funnel".into(),
            statement: Statement {
                sql: format!(
                    "SELECT {g}lvl, count(*) AS n FROM (
  SELECT {g}aggregate(seq, 0, (k, x) -> CASE WHEN k >= :n THEN k WHEN x = element_at(:steps, k + 1) THEN k + 1 ELSE k END) AS lvl
  FROM cjm_journeys)
WHERE lvl > 0 GROUP BY {g}lvl"
                ),
                params: vec![("n".into(), Param::Int(funnel.len() as i64)), ("steps".into(), Param::Texts(funnel.to_vec()))],
            },
        });
    }
    queries
}

/// `keys` after the segment key `g` (`"g, "` or nothing).
fn keyed<'a>(g: &str, keys: &[&'a str]) -> Vec<&'a str> {
    let mut out = if g.is_empty() { Vec::new() } else { vec!["g"] };
    out.extend_from_slice(keys);
    out
}

/// Exact order statistics of `value` per group of `keys` over `from`
/// (`FROM …` text): a histogram of distinct values, a running count, and
/// the values at the ranks `OrderStats::ranks` names, in integers. The
/// keys come out under `names`.
pub(crate) fn ranked(keys: &[&str], value: &str, from: &str, names: &[&str]) -> String {
    let k = keys.join(", ");
    let named: Vec<String> = keys.iter().zip(names).map(|(k, n)| format!("{k} AS {n}")).collect();
    format!(
        "WITH d AS (
  SELECT {k}, {value} AS d, count(*) AS cnt FROM {from} GROUP BY {k}, {value}),
cum AS (
  SELECT {k}, d, cnt,
         sum(cnt) OVER (PARTITION BY {k} ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY {k}) AS n
  FROM d)
SELECT {}, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY {k}, n",
        named.join(", ")
    )
}

/// The analysis beyond the transition times: the rows read, times to the
/// next event, eventually-follows pairs, channel reach and switches.
fn analysis_queries(follows: usize, g: &str) -> Vec<Query> {
    let mut queries = vec![
        Query { name: "read".into(), statement: plain(&format!("SELECT count(*) AS n FROM {SOURCE_VIEW}")) },
        // A touchpoint's time to the next event is the time of every
        // transition out of it.
        Query {
            name: "next_times".into(),
            statement: plain(&ranked(
                &keyed(g, &["pa"]),
                "t - pt",
                "cjm_seq WHERE pos > 1 AND t IS NOT NULL AND pt IS NOT NULL",
                &keyed(g, &["touchpoint"]),
            )),
        },
        Query {
            name: "channel_reach".into(),
            statement: plain(&format!(
                "SELECT {g}ch AS channel, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE ch IS NOT NULL GROUP BY {g}ch"
            )),
        },
        Query {
            name: "channel_switches".into(),
            statement: plain(&format!(
                "SELECT {g}pch AS from_channel, ch AS to_channel, count(*) AS n
FROM cjm_seq WHERE pos > 1 AND ch IS NOT NULL AND pch IS NOT NULL GROUP BY {g}pch, ch"
            )),
        },
    ];
    let follows = follows.min(MAX_FOLLOWS);
    if follows > 0 {
        // The window sits in an inner query: Spark refuses a generator
        // over window expressions in one SELECT.
        let leads: Vec<String> = (1..=follows).map(|i| format!("lead(a, {i}) OVER w")).collect();
        queries.push(Query {
            name: "follows".into(),
            statement: plain(&format!(
                "SELECT {g}a AS from_touchpoint, b AS to_touchpoint, count(*) AS n FROM (
  SELECT {g}a, explode(l) AS b FROM (
    SELECT {g}a, array({}) AS l
    FROM cjm_seq WINDOW w AS (PARTITION BY c ORDER BY pos)))
WHERE b IS NOT NULL GROUP BY {g}a, b",
                leads.join(", ")
            )),
        });
    }
    queries
}

/// `cjm_funnel(c[, ok], k, h)`: each journey's steps reached (`k`) and
/// their times (`h`, null when unknown), by one fold per journey that
/// mirrors cjm-mine's match branch for branch.
fn funnel_view(f: &cjm_mine::analysis::FunnelSpec, dropped: bool, g: &str) -> Statement {
    let mut params =
        vec![("n".into(), Param::Int(f.steps.len() as i64)), ("steps".into(), Param::Texts(f.steps.clone()))];
    // Within the window of `start`: unknown times pass.
    let within = |t: &str, start: &str| format!("({t} IS NULL OR {start} IS NULL OR {t} - {start} <= :window)");
    if let Some(w) = f.window_seconds {
        params.push(("window".into(), Param::Int(w.saturating_mul(1_000_000))));
    }
    let windowed = f.window_seconds.is_some();
    let (t, a) = ("element_at(ts, i)", "element_at(seq, i)");
    let fold = if f.any_order {
        // Each listed step once, in any order; a touchpoint is the first
        // listed step it names; k = the steps seen before the first unseen.
        let p = format!("array_position(:steps, {a})");
        let window =
            if windowed { format!("\n        WHEN NOT {} THEN st", within(t, "st.start")) } else { String::new() };
        format!(
            "aggregate(sequence(1, size(seq)),
      named_struct('start', CAST(NULL AS BIGINT), 'seen', array_repeat(false, :n), 'h', array_repeat(CAST(NULL AS BIGINT), :n)),
      (st, i) -> CASE
        WHEN {p} = 0 THEN st
        WHEN element_at(st.seen, CAST({p} AS INT)) THEN st{window}
        ELSE named_struct('start', coalesce(st.start, {t}),
                          'seen', transform(st.seen, (v, j) -> v OR j + 1 = {p}),
                          'h', transform(st.h, (v, j) -> IF(j + 1 = {p}, {t}, v)))
      END,
      st -> named_struct('k', IF(array_position(st.seen, false) = 0, :n, CAST(array_position(st.seen, false) AS INT) - 1), 'h', st.h))"
        )
    } else if f.strict {
        // The earliest longest run of consecutive events matching the
        // steps from a step-1 event; a full run ends the search. The run
        // is wrapped in a one-element array to name it once.
        let window = if windowed {
            format!(
                "\n            WHEN NOT {} THEN named_struct('k', r.k, 'go', false)",
                within("element_at(ts, i + j)", t)
            )
        } else {
            String::new()
        };
        format!(
            "aggregate(sequence(1, size(seq)), named_struct('k', 0, 'h', CAST(array() AS ARRAY<BIGINT>)),
      (best, i) -> CASE
        WHEN best.k >= :n THEN best
        WHEN {a} != element_at(:steps, 1) THEN best
        ELSE aggregate(
          array(aggregate(sequence(0, :n - 1), named_struct('k', 0, 'go', true),
            (r, j) -> CASE
            WHEN NOT r.go THEN r
            WHEN i + j > size(seq) THEN named_struct('k', r.k, 'go', false)
            WHEN element_at(seq, i + j) != element_at(:steps, j + 1) THEN named_struct('k', r.k, 'go', false){window}
            ELSE named_struct('k', r.k + 1, 'go', true) END).k),
          best, (b, run) -> IF(run > b.k, named_struct('k', run, 'h', slice(ts, i, run)), b))
      END)"
        )
    } else {
        // Greedy earliest subsequence, anchored at the first step-1 event.
        let window = if windowed { format!(" AND (st.k = 0 OR {})", within(t, "st.h0")) } else { String::new() };
        format!(
            "aggregate(sequence(1, size(seq)), named_struct('k', 0, 'h0', CAST(NULL AS BIGINT), 'h', CAST(array() AS ARRAY<BIGINT>)),
      (st, i) -> CASE
        WHEN st.k >= :n THEN st
        WHEN {a} = element_at(:steps, st.k + 1){window}
          THEN named_struct('k', st.k + 1, 'h0', IF(st.k = 0, {t}, st.h0), 'h', concat(st.h, array({t})))
        ELSE st
      END)"
        )
    };
    let ok = if dropped { ", ok" } else { "" };
    Statement {
        sql: format!(
            "CACHE TABLE cjm_funnel AS
SELECT {g}c{ok}, m.k AS k, m.h AS h FROM (
  SELECT {g}c{ok}, {fold} AS m
  FROM cjm_journeys)"
        ),
        params,
    }
}

/// The funnel's answers: customers per level reached, the times from
/// step 1 per step, and (when asked) who dropped where and every time to
/// convert.
fn funnel_queries(n: usize, dropped: bool, conversion: bool, g: &str) -> Vec<Query> {
    let times = format!(
        "(SELECT {g}p AS step, x - try_element_at(h, 1) AS d FROM cjm_funnel
  LATERAL VIEW posexplode(slice(h, 1, k)) AS p, x
  WHERE x IS NOT NULL AND try_element_at(h, 1) IS NOT NULL) AS hits"
    );
    let mut queries = vec![
        Query {
            name: "funnel_levels".into(),
            statement: plain(&format!("SELECT {g}k, count(*) AS n FROM cjm_funnel GROUP BY {g}k")),
        },
        Query {
            name: "funnel_times".into(),
            statement: plain(&ranked(&keyed(g, &["step"]), "d", &times, &keyed(g, &["step"]))),
        },
    ];
    if dropped {
        queries.push(Query {
            name: "funnel_dropped".into(),
            statement: Statement {
                sql: "SELECT k, c FROM cjm_funnel WHERE k < :n ORDER BY k, ok".into(),
                params: vec![("n".into(), Param::Int(n as i64))],
            },
        });
    }
    if conversion {
        queries.push(Query {
            name: "funnel_conversion".into(),
            statement: Statement {
                sql: format!("SELECT {g}d, count(*) AS n FROM {times} WHERE step = :last GROUP BY {g}d"),
                params: vec![("last".into(), Param::Int(n as i64 - 1))],
            },
        });
    }
    queries
}

/// The number of the bucket time `t` (microseconds, BIGINT) falls in, as
/// `cjm_mine::trend::bucket_number` counts: whole days by `pmod` (no
/// division of a negative time rounds the wrong way), weeks from the
/// Monday before the epoch, months as `year × 12 + month - 1`.
fn bucket(t: &str, interval: cjm_mine::trend::Interval) -> String {
    use cjm_mine::trend::Interval;
    let day = format!("(({t} - pmod({t}, 86400000000)) div 86400000000)");
    match interval {
        Interval::Day => day,
        Interval::Week => format!("(({day} + 3 - pmod({day} + 3, 7)) div 7)"),
        Interval::Month => {
            let date = format!("date_from_unix_date(CAST({day} AS INT))");
            format!("CAST(year({date}) * 12 + month({date}) - 1 AS BIGINT)")
        }
    }
}

/// Events, active and new customers per bucket (timed events only), and
/// with a funnel of `steps` the customers who did step 1 in each bucket
/// and those of them who converted.
fn trend_queries(interval: cjm_mine::trend::Interval, steps: Option<usize>) -> Vec<Query> {
    let b = bucket("t", interval);
    let mut queries = vec![
        Query {
            name: "trend".into(),
            statement: plain(&format!(
                "SELECT {b} AS b, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE t IS NOT NULL GROUP BY 1"
            )),
        },
        Query {
            name: "trend_new".into(),
            statement: plain(&format!(
                "SELECT {b} AS b, count(*) AS n
FROM (SELECT c, min(t) AS t FROM cjm_seq WHERE t IS NOT NULL GROUP BY c) GROUP BY 1"
            )),
        },
    ];
    if let Some(n) = steps {
        let e = bucket("e", interval);
        queries.push(Query {
            name: "trend_conversion".into(),
            statement: Statement {
                sql: format!(
                    "SELECT {e} AS b, count(*) AS entered, count_if(k >= :n) AS converted
FROM (SELECT try_element_at(h, 1) AS e, k FROM cjm_funnel WHERE k > 0) WHERE e IS NOT NULL GROUP BY 1"
                ),
                params: vec![("n".into(), Param::Int(n as i64))],
            },
        });
    }
    queries
}

/// `cjm_paths(l)`: each anchored journey's labels, one for each of the
/// `depth + 1` columns: `t:NAME` a touchpoint, `e` the end (forwards) or
/// the start before the journey (backwards), `m` a column before that
/// start. The anchor is the first event, or the touchpoint's first event.
fn paths_view(spec: &cjm_mine::paths::PathsSpec) -> Statement {
    use cjm_mine::paths::Anchor;
    let depth = spec.depth.clamp(1, cjm_mine::paths::MAX_DEPTH);
    let mut params = vec![("depth".into(), Param::Int(depth as i64))];
    let at = match &spec.anchor {
        Anchor::Start => "1".to_string(),
        Anchor::From(t) | Anchor::Into(t) => {
            params.push(("anchor".into(), Param::Text(t.clone())));
            "CAST(array_position(seq, :anchor) AS INT)".to_string()
        }
    };
    let label = match spec.anchor {
        Anchor::Into(_) => {
            "CASE WHEN at + k > :depth THEN concat('t:', element_at(seq, at + k - :depth))
                WHEN at + k = :depth THEN 'e' ELSE 'm' END"
        }
        _ => "IF(at + k <= size(seq), concat('t:', element_at(seq, at + k)), 'e')",
    };
    Statement {
        sql: format!(
            "CACHE TABLE cjm_paths AS
SELECT transform(sequence(0, :depth), k -> {label}) AS l
FROM (SELECT seq, {at} AS at FROM cjm_journeys)
WHERE at > 0"
        ),
        params,
    }
}

/// The paths' parts: the anchored journeys, the rows per column and
/// label (forwards up to the first end, backwards from the start) and per
/// pair of neighbouring labels; with a touchpoint anchor, whether the log
/// has that touchpoint at all.
fn paths_queries(spec: &cjm_mine::paths::PathsSpec) -> Vec<Query> {
    use cjm_mine::paths::Anchor;
    let (node, link) = match spec.anchor {
        Anchor::Into(_) => ("x != 'm'", "x != 'm'"),
        // `element_at(l, p)` is the column before `p` (0-based).
        _ => ("NOT (x = 'e' AND p > 0 AND element_at(l, greatest(p, 1)) = 'e')", "x != 'e'"),
    };
    let depth = spec.depth.clamp(1, cjm_mine::paths::MAX_DEPTH);
    let mut queries = vec![
        Query { name: "paths_anchored".into(), statement: plain("SELECT count(*) AS n FROM cjm_paths") },
        Query {
            name: "paths_nodes".into(),
            statement: plain(&format!(
                "SELECT p AS k, x AS label, count(*) AS n
FROM cjm_paths LATERAL VIEW posexplode(l) AS p, x
WHERE {node} GROUP BY p, x"
            )),
        },
        Query {
            name: "paths_links".into(),
            statement: Statement {
                sql: format!(
                    "SELECT k, a, b, count(*) AS n FROM (
  SELECT p AS k, x AS a, element_at(l, p + 2) AS b
  FROM cjm_paths LATERAL VIEW posexplode(slice(l, 1, :depth)) AS p, x
  WHERE {link})
GROUP BY k, a, b"
                ),
                params: vec![("depth".into(), Param::Int(depth as i64))],
            },
        },
    ];
    if let Anchor::From(t) | Anchor::Into(t) = &spec.anchor {
        queries.push(Query {
            name: "paths_known".into(),
            statement: Statement {
                sql: format!(
                    "SELECT count(*) AS n FROM (SELECT 1 FROM {SOURCE_VIEW} WHERE cjm_touchpoint = :anchor LIMIT 1)"
                ),
                params: vec![("anchor".into(), Param::Text(t.clone()))],
            },
        });
    }
    queries
}

/// The most values `--by` breaks a log down by on Spark (all in one
/// plan; its answers grow with the values).
pub const MAX_BY_VALUES: usize = 1000;

/// The column `--by NAME` reads among the log's `columns`, as cjm's
/// breakdown finds an attribute: a customer attribute (`case:NAME`), then
/// an event attribute, then the channel.
pub fn by_column(columns: &[String], name: &str) -> Result<String, cjm_mine::analysis::NoSuchAttribute> {
    let role = |c: &str| c.starts_with("cjm_") || c.starts_with("case:");
    let case = format!("case:{}", name.strip_prefix("case:").unwrap_or(name));
    if columns.contains(&case) {
        return Ok(case);
    }
    if columns.iter().any(|c| c == name && !role(c)) {
        return Ok(name.to_string());
    }
    if name == "channel" {
        return Ok("cjm_channel".to_string());
    }
    // As cjm's breakdown lists them: the channel, customer attributes,
    // event attributes.
    let mut known = vec!["channel".to_string()];
    known.extend(columns.iter().filter(|c| c.starts_with("case:")).map(|c| c[5..].to_string()));
    known.extend(columns.iter().filter(|c| !role(c)).cloned());
    Err(cjm_mine::analysis::NoSuchAttribute { name: name.to_string(), known })
}

/// The column `--where NAME=…` reads among the log's `columns`, as cjm
/// finds an attribute: an event attribute of that name, then a customer
/// attribute (`case:NAME`), then the channel.
pub fn where_column(columns: &[String], name: &str) -> Result<String, cjm_mine::analysis::NoSuchAttribute> {
    let role = |c: &str| c.starts_with("cjm_") || c.starts_with("case:");
    let bare = name.strip_prefix("case:").unwrap_or(name);
    if columns.iter().any(|c| c == name && !role(c)) {
        return Ok(name.to_string());
    }
    let case = format!("case:{bare}");
    if columns.contains(&case) {
        return Ok(case);
    }
    if name == "channel" {
        return Ok("cjm_channel".to_string());
    }
    // As cjm's filter lists them: the channel, event attributes, then
    // customer attributes with their prefix.
    let mut known = vec!["channel".to_string()];
    known.extend(columns.iter().filter(|c| !role(c)).cloned());
    known.extend(columns.iter().filter(|c| c.starts_with("case:")).cloned());
    Err(cjm_mine::analysis::NoSuchAttribute { name: name.to_string(), known })
}

impl Plan {
    /// The plan as text, as `--explain` prints it and the golden file holds.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        let mut one = |label: &str, s: &Statement| {
            out.push_str(&format!("-- {label}\n"));
            for (name, value) in &s.params {
                out.push_str(&format!("-- :{name} = {}\n", shown(value)));
            }
            out.push_str(&s.sql);
            out.push_str(";\n\n");
        };
        for s in &self.setup {
            one("setup", s);
        }
        for q in &self.queries {
            one(&q.name, &q.statement);
        }
        for s in &self.teardown {
            one("teardown", s);
        }
        out
    }

    /// The plan as JSON (statements and parameters), for a runner outside
    /// Rust.
    pub fn to_json(&self) -> serde_json::Value {
        let statement = |s: &Statement| {
            let params: serde_json::Map<String, serde_json::Value> =
                s.params.iter().map(|(k, v)| (k.to_string(), param_json(v))).collect();
            serde_json::json!({ "sql": s.sql, "params": params })
        };
        serde_json::json!({
            "conf": SESSION_CONF.iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>(),
            "source_view": SOURCE_VIEW,
            "setup": self.setup.iter().map(statement).collect::<Vec<_>>(),
            "queries": self.queries.iter().map(|q| serde_json::json!({ "name": q.name, "statement": statement(&q.statement) })).collect::<Vec<_>>(),
            "teardown": self.teardown.iter().map(statement).collect::<Vec<_>>(),
        })
    }
}

fn shown(p: &Param) -> String {
    param_json(p).to_string()
}

fn param_json(p: &Param) -> serde_json::Value {
    match p {
        Param::Int(i) => serde_json::json!(i),
        Param::Text(t) => serde_json::json!(t),
        Param::Texts(t) => serde_json::json!(t),
        Param::Float(x) => serde_json::json!(x),
    }
}
