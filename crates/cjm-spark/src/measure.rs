//! A map measured on Spark (`cjm measure MAP LOG --spark …`): each step's
//! evidence rule compiled into a Spark SQL predicate over the canonical
//! layout, then one plan whose answers are cjm-mine's `MeasureParts`,
//! finished by `cjm_mine::measure::finish_measure` as the in-memory
//! engine's are.
//!
//! A rule compiles as cjm-mine's `Compiled` does, comparison by
//! comparison: text equality, orderings and lists of texts become SQL
//! against named parameters (Spark compares strings byte-wise, as cjm
//! does); a comparison with a number or a boolean reads the column's
//! distinct values first and cjm decides which pass (`rules::compare`),
//! so Spark's casts never decide a match. Scores compare as doubles.

use crate::decode::{DecodeError, Results};
use crate::sql::{Param, Plan, Query, Statement, SOURCE_VIEW};
use cjm_mine::measure::{kpi_steps, Layout, StepMeasure};
use cjm_mine::parts::{KpiParts, MeasureParts};
use cjm_syntax::evidence::{CmpOp, Expr, Literal};
use std::collections::{BTreeSet, HashMap};

/// The most distinct values of a column a comparison with a number or a
/// boolean reads (more is a rule error that says what to do).
pub const MAX_DISTINCT: usize = 100_000;

/// Compiles rules into predicates over the columns of `cjm_src`.
pub struct Rules<'a> {
    columns: &'a [String],
    /// Distinct values of the columns fetched so far (`values_plan`).
    values: &'a HashMap<String, Vec<String>>,
    /// Columns whose distinct values a rule needs and `values` lacks: fetch
    /// them and compile again.
    pub needed: BTreeSet<String>,
    /// The predicates' parameters, `:p0`, `:p1`, …
    pub params: Vec<(String, Param)>,
}

impl<'a> Rules<'a> {
    pub fn new(columns: &'a [String], values: &'a HashMap<String, Vec<String>>) -> Rules<'a> {
        Rules { columns, values, needed: BTreeSet::new(), params: Vec::new() }
    }

    /// `expr` as a boolean SQL expression, or why it cannot run (worded
    /// as cjm-mine words it).
    pub fn compile(&mut self, expr: &Expr) -> Result<String, String> {
        Ok(match expr {
            Expr::Not(e) => format!("(NOT {})", self.compile(e)?),
            Expr::And(all) => self.chain(all, " AND ")?,
            Expr::Or(all) => self.chain(all, " OR ")?,
            Expr::Compare { field, op, value } if cjm_mine::rules::is_score(field) => match value {
                Literal::Number(n) => {
                    let p = self.param(Param::Float(*n));
                    format!("(cjm_score IS NOT NULL AND cjm_score {} {p})", sql_op(*op))
                }
                other => return Err(format!("`score` compares with numbers, not {other}")),
            },
            Expr::Compare { field, op, value: Literal::Text(text) } => {
                let column = crate::sql::ident(&self.column(field)?);
                let p = self.param(Param::Text(text.clone()));
                match op {
                    // A row without a value is not equal to the text, so `!=` holds.
                    CmpOp::Eq => format!("coalesce({column} = {p}, false)"),
                    CmpOp::Ne => format!("(NOT coalesce({column} = {p}, false))"),
                    _ => format!("coalesce({column} {} {p}, false)", sql_op(*op)),
                }
            }
            Expr::Compare { field, op, value } => {
                let column = self.column(field)?;
                self.mask(&column, field, *op == CmpOp::Ne, |v| cjm_mine::rules::compare(v, *op, value))?
            }
            Expr::In { field, negated, values } => {
                let column = self.column(field)?;
                let texts: Option<Vec<String>> = values
                    .iter()
                    .map(|l| match l {
                        Literal::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect();
                match texts {
                    Some(texts) => {
                        let p = self.param(Param::Texts(texts));
                        let column = crate::sql::ident(&column);
                        match negated {
                            false => format!("coalesce(array_contains({p}, {column}), false)"),
                            true => format!("coalesce(NOT array_contains({p}, {column}), true)"),
                        }
                    }
                    None => self.mask(&column, field, *negated, |v| {
                        values.iter().any(|l| cjm_mine::rules::compare(v, CmpOp::Eq, l)) != *negated
                    })?,
                }
            }
        })
    }

    fn chain(&mut self, all: &[Expr], join: &str) -> Result<String, String> {
        let parts: Vec<String> = all.iter().map(|e| self.compile(e)).collect::<Result<_, _>>()?;
        Ok(format!("({})", parts.join(join)))
    }

    fn param(&mut self, value: Param) -> String {
        let name = format!("p{}", self.params.len());
        self.params.push((name.clone(), value));
        format!(":{name}")
    }

    /// The values of `column` that pass `ok`, as a list the column must be
    /// in (`missing` for rows without a value).
    fn mask(&mut self, column: &str, field: &str, missing: bool, ok: impl Fn(&str) -> bool) -> Result<String, String> {
        let Some(values) = self.values.get(column) else {
            self.needed.insert(column.to_string());
            return Ok("false".into());
        };
        if values.len() > MAX_DISTINCT {
            return Err(format!(
                "`{field}` has more than {MAX_DISTINCT} distinct values, too many to compare with a number or a \
                 boolean on Spark; compare it with text (`=`, `in (…)`, `<`)"
            ));
        }
        let accepted: Vec<String> = values.iter().filter(|v| ok(v)).cloned().collect();
        let p = self.param(Param::Texts(accepted));
        Ok(format!("coalesce(array_contains({p}, {}), {missing})", crate::sql::ident(column)))
    }

    /// The column a field reads, found as cjm-mine finds it in a log.
    fn column(&mut self, field: &str) -> Result<String, String> {
        let role = |c: &str| c.starts_with("cjm_") || c.starts_with("case:");
        let has = |c: &str| self.columns.iter().any(|x| x == c);
        match field {
            "touchpoint" | "activity" | "concept:name" | "event" => return Ok("cjm_touchpoint".into()),
            "customer" | "case" | "case:concept:name" | "customer_id" => return Ok("cjm_customer".into()),
            "channel" if !has("case:channel") => return Ok("cjm_channel".into()),
            // The channel when the log has one, else the customer attribute.
            "channel" => match self.values.get("cjm_channel") {
                Some(v) if !v.is_empty() => return Ok("cjm_channel".into()),
                Some(_) => {}
                None => {
                    self.needed.insert("cjm_channel".into());
                    return Ok("cjm_channel".into());
                }
            },
            _ => {}
        }
        if has(field) && !role(field) {
            return Ok(field.to_string());
        }
        let case = format!("case:{}", field.strip_prefix("case:").unwrap_or(field));
        if has(&case) {
            return Ok(case);
        }
        let mut known: Vec<String> = ["touchpoint", "channel", "score", "customer"].map(String::from).into();
        known.extend(self.columns.iter().filter(|c| !role(c)).cloned());
        known.extend(self.columns.iter().filter(|c| c.starts_with("case:")).cloned());
        Err(format!("the log has no field `{field}`; it has: {}", known.join(", ")))
    }
}

/// The map's steps (as `compile_steps` makes them) and its request over
/// `columns`: the rules are compiled once to learn which columns'
/// distinct values they compare with numbers or booleans, `fetch` reads
/// those (it is not called when none are needed), and the rules are
/// compiled again with them.
pub fn request<E>(
    map: &cjm_model::Journey,
    columns: &[String],
    fetch: impl FnOnce(&BTreeSet<String>) -> Result<HashMap<String, Vec<String>>, E>,
) -> Result<(Vec<StepMeasure>, MeasureRequest), E> {
    let none = HashMap::new();
    let mut first = Rules::new(columns, &none);
    let _ = cjm_mine::measure::compile_steps(map, |e| first.compile(e));
    let values = if first.needed.is_empty() { none.clone() } else { fetch(&first.needed)? };
    let mut rules = Rules::new(columns, &values);
    let (steps, compiled) = cjm_mine::measure::compile_steps(map, |e| rules.compile(e));
    let req = MeasureRequest::new(map, &steps, compiled, rules.params);
    Ok((steps, req))
}

/// The distinct values of each column (a few beyond [`MAX_DISTINCT`], to
/// tell that there are too many), each as the query `values_N`.
pub fn values_plan(columns: &BTreeSet<String>) -> Plan {
    let queries = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let c = crate::sql::ident(c);
            Query {
                name: format!("values_{i}"),
                statement: Statement {
                    sql: format!("SELECT DISTINCT {c} AS v FROM {SOURCE_VIEW} WHERE {c} IS NOT NULL LIMIT :limit"),
                    params: vec![("limit".into(), Param::Int(MAX_DISTINCT as i64 + 1))],
                },
            }
        })
        .collect();
    Plan { setup: Vec::new(), queries, teardown: Vec::new() }
}

/// The values [`values_plan`] fetched, by column.
pub fn values(results: &Results, columns: &BTreeSet<String>) -> Result<HashMap<String, Vec<String>>, DecodeError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| Ok((c.clone(), crate::decode::texts(results, &format!("values_{i}"), "v")?)))
        .collect()
}

/// What one measure plan computes: the measured steps' predicates (in map
/// order) and where the funnel, stages and metrics find them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeasureRequest {
    /// Per measured step, its rule as SQL over `cjm_src`.
    pub predicates: Vec<String>,
    pub params: Vec<(String, Param)>,
    /// The funnel's steps, as indexes of `predicates`.
    pub funnel: Vec<usize>,
    /// The funnel's window in microseconds.
    pub window: Option<i64>,
    /// Per stage of the map: its first and last measured step.
    pub stage_ends: Vec<Option<(usize, usize)>>,
    pub kpis: Vec<KpiQuery>,
    /// Measure only the customers whose journey is exactly this sequence
    /// of touchpoints (the web app's "measure on this variant").
    pub only: Option<Vec<String>>,
}

/// What a journey metric needs computed, by indexes of the predicates.
#[derive(Clone, Debug, PartialEq)]
pub enum KpiQuery {
    /// Not measured: its note says why.
    None,
    Reach(usize),
    Score(usize),
    /// From, to, and the window in microseconds.
    Conversion(usize, usize, Option<i64>),
    Time(usize, usize),
    Switch(usize, usize),
}

impl MeasureRequest {
    /// The request for `map`, whose steps (as `compile_steps` made them)
    /// carry their predicates in `compiled`.
    pub fn new(
        map: &cjm_model::Journey,
        steps: &[StepMeasure],
        compiled: Vec<Option<String>>,
        params: Vec<(String, Param)>,
    ) -> MeasureRequest {
        use cjm_model::kpi::Kpi;
        let layout = Layout::of(map, steps);
        let at = |k: usize| layout.measured.iter().position(|&m| m == k).expect("a measured step");
        let kpis = kpi_steps(map, steps)
            .into_iter()
            .map(|(_, k, steps)| match (k, steps.as_deref()) {
                (_, Err(_)) => KpiQuery::None,
                (Kpi::Reach { .. }, Ok([a])) => KpiQuery::Reach(at(*a)),
                (Kpi::Score { .. }, Ok([a])) => KpiQuery::Score(at(*a)),
                (Kpi::Conversion { within_seconds, .. }, Ok([a, b])) => {
                    KpiQuery::Conversion(at(*a), at(*b), within_seconds.map(|w| w.saturating_mul(1_000_000)))
                }
                (Kpi::Time { .. }, Ok([a, b])) => KpiQuery::Time(at(*a), at(*b)),
                (Kpi::Switch { .. }, Ok([a, b])) => KpiQuery::Switch(at(*a), at(*b)),
                _ => KpiQuery::None,
            })
            .collect();
        MeasureRequest {
            predicates: compiled.into_iter().flatten().collect(),
            params,
            funnel: layout.funnel.iter().map(|&k| at(k)).collect(),
            window: cjm_mine::measure::funnel_window_seconds(map).map(|s| s.saturating_mul(1_000_000)),
            stage_ends: layout.stage_ends.iter().map(|e| e.map(|(a, b)| (at(a), at(b)))).collect(),
            kpis,
            only: None,
        }
    }
}

fn plain(sql: String) -> Statement {
    Statement { sql, params: Vec::new() }
}

fn query(name: &str, sql: String) -> Query {
    Query { name: name.into(), statement: plain(sql) }
}

/// The plan of a measured map: the events with one match flag per
/// measured step (`m`), the journeys, each customer's first match of each
/// step (`p`, a position, 0 for none), then the queries.
pub fn measure_plan(req: &MeasureRequest) -> Plan {
    let k = req.predicates.len();
    let flags = if k == 0 {
        "CAST(array() AS ARRAY<BOOLEAN>)".to_string()
    } else {
        format!("array({})", req.predicates.join(",\n             "))
    };
    // On one variant: the customers whose whole journey is the sequence
    // (no journey is empty, so the empty sequence keeps nobody).
    let mut params = req.params.clone();
    let (with, only) = match req.only.as_deref() {
        None => (String::new(), String::new()),
        Some([]) => (String::new(), "\nWHERE false".to_string()),
        Some(seq) => {
            params.push(("variant".into(), Param::Texts(seq.to_vec())));
            let journeys = crate::sql::journeys_of("cjm_mv");
            (
                format!(
                    "WITH cjm_mv AS (
  SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t, cjm_touchpoint AS a FROM {SOURCE_VIEW}),
{journeys}\n"
                ),
                "\nWHERE cjm_customer IN (SELECT c FROM j WHERE seq = :variant)".to_string(),
            )
        }
    };
    let mut setup = vec![
        Statement {
            sql: format!(
                "CACHE TABLE cjm_ev AS
{with}SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s,
       {flags} AS m
FROM {SOURCE_VIEW}{only}"
            ),
            params,
        },
        plain(
            "CACHE TABLE cjm_seq AS
SELECT c, a, t, ch, s, m, row_number() OVER w AS pos, lag(a) OVER w AS pa
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC)"
                .into(),
        ),
        plain(
            "CACHE TABLE cjm_journeys AS
SELECT c, transform(array_sort(collect_list(struct(pos, t, ch, s, m))),
                    x -> named_struct('t', x.t, 'ch', x.ch, 's', x.s, 'm', x.m)) AS ev
FROM cjm_seq GROUP BY c"
                .into(),
        ),
    ];
    let mut queries = vec![
        query("totals", "SELECT count(*) AS events, count(DISTINCT c) AS customers FROM cjm_ev".into()),
        query(
            "touchpoints",
            "SELECT a AS touchpoint, count(*) AS events, count(DISTINCT c) AS customers,
       bool_or(exists(m, x -> x)) AS matched
FROM cjm_ev GROUP BY a"
                .into(),
        ),
        query(
            "edges",
            "SELECT pa AS from_touchpoint, a AS to_touchpoint, count(*) AS n FROM cjm_seq WHERE pos > 1 GROUP BY pa, a"
                .into(),
        ),
        query("score_range", "SELECT min(s) AS lo, max(s) AS hi FROM cjm_ev".into()),
    ];
    let mut teardown = vec![plain("DROP VIEW IF EXISTS cjm_journeys".into())];
    if k > 0 {
        // Each customer's first match of each step, a 1-based position.
        setup.push(plain(format!(
            "CACHE TABLE cjm_firsts AS
SELECT c, ev, transform(sequence(1, {k}), k -> CAST(array_position(transform(ev, x -> element_at(x.m, k)), true) AS INT)) AS p
FROM cjm_journeys"
        )));
        teardown.insert(0, plain("DROP VIEW IF EXISTS cjm_firsts".into()));
        queries.extend(step_queries(req));
    }
    teardown.extend([plain("DROP VIEW IF EXISTS cjm_seq".into()), plain("DROP VIEW IF EXISTS cjm_ev".into())]);
    Plan { setup, queries, teardown }
}

/// The time of the event at a customer's position `p` (an SQL
/// expression), when `p` is one.
fn time_at(p: &str) -> String {
    format!("IF({p} > 0, element_at(ev, {p}).t, NULL)")
}

/// Per step: matched events, their scores, customers reached, the time
/// since the previous step; the funnel, the stages and each metric.
fn step_queries(req: &MeasureRequest) -> Vec<Query> {
    let k = req.predicates.len();
    let mut queries = vec![
        query(
            "matched",
            "SELECT i, count(*) AS n FROM cjm_ev LATERAL VIEW posexplode(m) AS i, hit WHERE hit GROUP BY i".into(),
        ),
        query(
            "step_scores",
            "SELECT i, s AS score, count(*) AS n FROM cjm_ev LATERAL VIEW posexplode(m) AS i, hit
WHERE hit AND s IS NOT NULL GROUP BY i, s"
                .into(),
        ),
        query(
            "reached",
            "SELECT i, count(*) AS n FROM cjm_firsts LATERAL VIEW posexplode(p) AS i, at WHERE at > 0 GROUP BY i"
                .into(),
        ),
    ];
    if k > 1 {
        // From the previous measured step's first match (`i`, 1-based) to this one's.
        let (now, before) = (time_at("element_at(p, i + 1)"), time_at("element_at(p, i)"));
        let deltas = format!(
            "(SELECT i, d FROM cjm_firsts
  LATERAL VIEW posexplode(transform(sequence(1, {}), i -> {now} - {before})) AS i, d
  WHERE d >= 0) AS deltas",
            k - 1
        );
        queries.push(query("since_previous", crate::sql::ranked(&["i"], "d", &deltas, &["i"])));
    }
    if !req.funnel.is_empty() {
        queries.push(funnel_query(req));
    }
    let stages: Vec<String> = req
        .stage_ends
        .iter()
        .map(|e| match e {
            Some((a, b)) => format!("element_at(p, {}) > 0 AND element_at(p, {}) > 0", a + 1, b + 1),
            None => "false".into(),
        })
        .collect();
    if !stages.is_empty() {
        queries.push(query(
            "stages",
            format!(
                "SELECT i, count(*) AS n FROM cjm_firsts LATERAL VIEW posexplode(array({})) AS i, both WHERE both GROUP BY i",
                stages.join(", ")
            ),
        ));
    }
    queries.extend(req.kpis.iter().enumerate().filter_map(|(i, q)| kpi_query(i, q)));
    queries
}

/// Customers by how many funnel steps they did in order, one step an
/// event at most, later steps within the window of the first.
fn funnel_query(req: &MeasureRequest) -> Query {
    let steps: Vec<String> = req.funnel.iter().map(|i| (i + 1).to_string()).collect();
    let window = match req.window {
        Some(_) => {
            "\n    WHEN st.done > 0 AND x.t IS NOT NULL AND st.start IS NOT NULL AND x.t - st.start > :window THEN st"
        }
        None => "",
    };
    let sql = format!(
        "SELECT done, count(*) AS n FROM (
  SELECT aggregate(ev, named_struct('done', 0, 'start', CAST(NULL AS BIGINT)), (st, x) -> CASE
    WHEN st.done >= {n} THEN st
    WHEN NOT element_at(x.m, element_at(array({}), st.done + 1)) THEN st{window}
    ELSE named_struct('done', st.done + 1, 'start', IF(st.done = 0, x.t, st.start)) END).done AS done
  FROM cjm_journeys)
GROUP BY done",
        steps.join(", "),
        n = steps.len()
    );
    let params = req.window.map(|w| ("window".to_string(), Param::Int(w))).into_iter().collect();
    Query { name: "funnel".into(), statement: Statement { sql, params } }
}

/// A customer's first `from` match and the first `to` match after it, as
/// the events `x` and `y` (null when none), for customers with a `from`.
fn pair(a: usize, b: usize) -> String {
    format!(
        "(SELECT element_at(ev, pa) AS x, IF(rel > 0, element_at(ev, pa + rel), NULL) AS y FROM (
    SELECT ev, pa, CAST(array_position(transform(slice(ev, pa + 1, size(ev)), x -> element_at(x.m, {b})), true) AS INT) AS rel
    FROM (SELECT ev, element_at(p, {a}) AS pa FROM cjm_firsts) WHERE pa > 0)) AS pairs",
        a = a + 1,
        b = b + 1
    )
}

fn kpi_query(i: usize, q: &KpiQuery) -> Option<Query> {
    let name = format!("kpi_{i}");
    let sql = match q {
        KpiQuery::None | KpiQuery::Reach(_) => return None,
        KpiQuery::Score(a) => format!(
            "SELECT count(*) AS customers FROM cjm_journeys WHERE exists(ev, x -> element_at(x.m, {}) AND x.s IS NOT NULL)",
            a + 1
        ),
        KpiQuery::Conversion(a, b, within) => {
            let within = if within.is_some() {
                " AND x.t IS NOT NULL AND y.t IS NOT NULL AND y.t - x.t <= :within"
            } else {
                ""
            };
            format!("SELECT count(*) AS whole, count_if(y IS NOT NULL{within}) AS part FROM {}", pair(*a, *b))
        }
        KpiQuery::Switch(a, b) => format!(
            "SELECT count_if(y IS NOT NULL) AS whole,
       count_if(y IS NOT NULL AND x.ch IS NOT NULL AND y.ch IS NOT NULL AND x.ch != y.ch) AS part FROM {}",
            pair(*a, *b)
        ),
        KpiQuery::Time(a, b) => {
            let timed = format!(
                "(SELECT 0 AS g, y.t - x.t AS d FROM {} WHERE y IS NOT NULL AND x.t IS NOT NULL AND y.t IS NOT NULL) AS timed",
                pair(*a, *b)
            );
            crate::sql::ranked(&["g"], "d", &timed, &["g"])
        }
    };
    let params = match q {
        KpiQuery::Conversion(_, _, Some(w)) => vec![("within".to_string(), Param::Int(*w))],
        _ => Vec::new(),
    };
    Some(Query { name, statement: Statement { sql, params } })
}

/// The measurement's parts from the answers of [`measure_plan`] for
/// `req`, by the map's step index (`layout` and `n_steps` as the map has
/// them).
pub fn measure_parts(
    results: &Results,
    req: &MeasureRequest,
    layout: &Layout,
    n_steps: usize,
) -> Result<MeasureParts, DecodeError> {
    use crate::decode::{counts, single as one, texts};
    let k = req.predicates.len();
    let by_step = |query: &str| -> Result<Vec<u64>, DecodeError> {
        let mut out = vec![0u64; n_steps];
        if k > 0 {
            for (i, n) in counts(results, query, "i")?.into_iter().zip(counts(results, query, "n")?) {
                let step = layout.measured.get(i as usize);
                out[*step.ok_or_else(|| DecodeError(format!("`{query}` names step {i} of {k}")))?] = n;
            }
        }
        Ok(out)
    };
    let mut parts = MeasureParts {
        customers: one(results, "totals", "customers")?,
        events: one(results, "totals", "events")?,
        matched: by_step("matched")?,
        reached: by_step("reached")?,
        scored: vec![0; n_steps],
        score_sums: vec![Default::default(); n_steps],
        since_previous: vec![None; n_steps],
        at_funnel: vec![0; req.funnel.len()],
        stage_both: vec![0; req.stage_ends.len()],
        ..MeasureParts::default()
    };
    let tps = ("touchpoints", "touchpoint");
    parts.touchpoints = texts(results, tps.0, tps.1)?
        .into_iter()
        .zip(counts(results, tps.0, "events")?)
        .zip(counts(results, tps.0, "customers")?)
        .zip(crate::decode::flags(results, tps.0, "matched")?)
        .map(|(((t, e), c), m)| (t, e, c, m))
        .collect();
    parts.edges = crate::decode::pairs(results, "edges", "from_touchpoint", "to_touchpoint")?;
    parts.score_range = crate::decode::range(results, "score_range")?;
    if k > 0 {
        let scores = crate::decode::score_sums(results, "step_scores", "i")?;
        for (i, (n, sum)) in scores {
            let step = layout.measured[(i as usize).min(k - 1)];
            (parts.scored[step], parts.score_sums[step]) = (n, sum);
        }
        if k > 1 {
            for (i, stats) in crate::decode::ranked_rows(results, "since_previous", "i")? {
                let step = layout.measured.get(i as usize + 1);
                parts.since_previous[*step.ok_or_else(|| DecodeError(format!("`since_previous` names step {i}")))?] =
                    Some(stats);
            }
        }
        if !req.funnel.is_empty() {
            for (done, n) in counts(results, "funnel", "done")?.into_iter().zip(counts(results, "funnel", "n")?) {
                parts.at_funnel.iter_mut().take(done as usize).for_each(|f| *f += n);
            }
        }
        if !req.stage_ends.is_empty() {
            for (i, n) in counts(results, "stages", "i")?.into_iter().zip(counts(results, "stages", "n")?) {
                if let Some(slot) = parts.stage_both.get_mut(i as usize) {
                    *slot = n;
                }
            }
        }
    }
    parts.kpis =
        req.kpis.iter().enumerate().map(|(i, q)| kpi_parts(results, i, q, &parts, layout)).collect::<Result<_, _>>()?;
    Ok(parts)
}

fn kpi_parts(
    results: &Results,
    i: usize,
    q: &KpiQuery,
    parts: &MeasureParts,
    layout: &Layout,
) -> Result<KpiParts, DecodeError> {
    use crate::decode::single as one;
    let name = format!("kpi_{i}");
    Ok(match q {
        KpiQuery::None => KpiParts::None,
        KpiQuery::Reach(a) => KpiParts::Share { part: parts.reached[layout.measured[*a]], whole: parts.customers },
        KpiQuery::Score(a) => {
            let step = layout.measured[*a];
            KpiParts::Score {
                customers: one(results, &name, "customers")?,
                scored: parts.scored[step],
                sum: Box::new(parts.score_sums[step].clone()),
            }
        }
        KpiQuery::Conversion(..) | KpiQuery::Switch(..) => {
            KpiParts::Share { part: one(results, &name, "part")?, whole: one(results, &name, "whole")? }
        }
        KpiQuery::Time(..) => {
            KpiParts::Time(crate::decode::ranked_rows(results, &name, "g")?.into_iter().next().map(|r| r.1))
        }
    })
}

/// Spark's operator for a comparison.
fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}
