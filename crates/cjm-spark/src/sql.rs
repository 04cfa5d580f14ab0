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
}

/// One statement and its named parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<(&'static str, Param)>,
}

/// A statement whose rows are read back, by the name [`crate::decode`]
/// looks them up with.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub name: &'static str,
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

/// The name of the view the runner makes of the log.
pub const SOURCE_VIEW: &str = "cjm_src";

/// Session settings every plan needs: times read in UTC, and the ANSI
/// mode the SQL is written for (every index guarded, sums as decimals).
pub const SESSION_CONF: [(&str, &str); 2] = [("spark.sql.session.timeZone", "UTC"), ("spark.sql.ansi.enabled", "true")];

fn plain(sql: &str) -> Statement {
    Statement { sql: sql.trim().to_string(), params: Vec::new() }
}

/// The plan of `journey-summary/1` for a funnel of `funnel` steps and the
/// `top` variants.
pub fn summary_plan(funnel: &[String], top: usize) -> Plan {
    let setup = vec![
        // The log in contract terms; the layout already applied cjm's reader rules.
        plain(
            "CREATE OR REPLACE TEMP VIEW cjm_ev AS
SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s
FROM cjm_src",
        ),
        // One sort by (customer, time, row); an unknown time sorts first.
        plain(
            "CACHE TABLE cjm_seq AS
SELECT c, a, t, rid,
       row_number() OVER w AS pos, lag(a) OVER w AS pa, lag(t) OVER w AS pt, lead(a) OVER w AS na
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC)",
        ),
        // Each journey's touchpoints as one array, in journey order
        // (GROUP BY keeps no order: the positions sort it).
        plain(
            "CACHE TABLE cjm_journeys AS
SELECT c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq
FROM cjm_seq GROUP BY c",
        ),
    ];
    let mut queries = vec![
        Query {
            name: "totals",
            statement: plain("SELECT count(*) AS events, count(DISTINCT c) AS customers FROM cjm_ev"),
        },
        Query {
            name: "edges",
            statement: plain(
                "SELECT pa AS from_touchpoint, a AS to_touchpoint, count(*) AS n,
       count(t - pt) AS timed, sum(CAST(t - pt AS DECIMAL(38,0))) AS micros
FROM cjm_seq WHERE pos > 1 GROUP BY pa, a",
            ),
        },
        Query {
            name: "starts",
            statement: plain("SELECT a AS touchpoint, count(*) AS n FROM cjm_seq WHERE pos = 1 GROUP BY a"),
        },
        Query {
            name: "ends",
            statement: plain("SELECT a AS touchpoint, count(*) AS n FROM cjm_seq WHERE na IS NULL GROUP BY a"),
        },
        Query { name: "variant_count", statement: plain("SELECT count(DISTINCT seq) AS n FROM cjm_journeys") },
        // Spark orders ARRAY<STRING> element by element, a proper prefix
        // first, strings as UTF-8 bytes: the contract's order, so LIMIT
        // gives the top k.
        Query {
            name: "top_variants",
            statement: Statement {
                sql: "SELECT seq, count(*) AS n FROM cjm_journeys GROUP BY seq ORDER BY n DESC, seq ASC LIMIT :top"
                    .into(),
                params: vec![("top", Param::Int(top as i64))],
            },
        },
        Query {
            name: "touchpoints",
            statement: plain(
                "SELECT a AS touchpoint, count(*) AS events, count(DISTINCT c) AS customers, count(s) AS scored
FROM cjm_ev GROUP BY a",
            ),
        },
        // Each distinct score with its count: cjm sums them exactly.
        Query {
            name: "scores",
            statement: plain(
                "SELECT a AS touchpoint, s AS score, count(*) AS n FROM cjm_ev WHERE s IS NOT NULL GROUP BY a, s",
            ),
        },
    ];
    // The analysis' transition times: a histogram of durations per pair,
    // a running count, and the values at the ranks `OrderStats::ranks`
    // names, all in integers.
    queries.push(Query {
        name: "edge_times",
        statement: plain(
            "WITH d AS (
  SELECT pa, a, t - pt AS d, count(*) AS cnt FROM cjm_seq
  WHERE pos > 1 AND t IS NOT NULL AND pt IS NOT NULL GROUP BY pa, a, t - pt),
cum AS (
  SELECT pa, a, d, cnt,
         sum(cnt) OVER (PARTITION BY pa, a ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY pa, a) AS n
  FROM d)
SELECT pa AS from_touchpoint, a AS to_touchpoint, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY pa, a, n",
        ),
    });
    if !funnel.is_empty() {
        // Greedy earliest subsequence match, one fold per journey.
        queries.push(Query {
            name: "funnel",
            statement: Statement {
                sql: "SELECT lvl, count(*) AS n FROM (
  SELECT aggregate(seq, 0, (k, x) -> CASE WHEN k >= :n THEN k WHEN x = element_at(:steps, k + 1) THEN k + 1 ELSE k END) AS lvl
  FROM cjm_journeys)
WHERE lvl > 0 GROUP BY lvl"
                    .into(),
                params: vec![("n", Param::Int(funnel.len() as i64)), ("steps", Param::Texts(funnel.to_vec()))],
            },
        });
    }
    // Dropping a cached view releases its cache too; the session can run
    // the next plan.
    let teardown = vec![
        plain("DROP VIEW IF EXISTS cjm_journeys"),
        plain("DROP VIEW IF EXISTS cjm_seq"),
        plain("DROP VIEW IF EXISTS cjm_ev"),
    ];
    Plan { setup, queries, teardown }
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
            one(q.name, &q.statement);
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
    }
}
