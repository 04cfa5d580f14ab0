//! Logs on Apache Spark (`cjm serve --spark sc://HOST:PORT`): a workspace
//! attaches a table of the cluster's session, or a Parquet path under a
//! prefix the administrator allowed: in cjm's canonical layout (`cjm
//! export`), or any Parquet read by cjm's reader rules with the detected
//! columns (cjm-spark's `foreign`). Maps measured against it, and the log pages' overview,
//! funnel, process map, variants and trends, are computed on the cluster by
//! cjm-spark's plans and finished by cjm-mine, so the figures are the
//! embedded engine's.
//!
//! Every computation opens its own session (its own temporary views) on
//! the blocking pool, holds one of the log pages' permits while it runs,
//! and is kept as an embedded log's is: a measurement by version, an
//! answer by question. A cluster that is down or slow costs a viewer one
//! attempt per page, never a queue of jobs.

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::service::analytics::{Answer, Ask, View};
use crate::service::evidence::EvidenceState;
use crate::store::{self, Evidence, MapInfo};
use crate::{AppState, Config};
use std::sync::Arc;

/// The longest table name and path accepted.
const MAX_TABLE_BYTES: usize = 256;
const MAX_PATH_BYTES: usize = 1024;

/// Where a Spark log is, as the cluster reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    Table(String),
    Path(String),
}

impl Where {
    /// What the evidence record keeps (`stored_as`).
    pub(crate) fn stored(&self) -> String {
        match self {
            Where::Table(t) => format!("table:{t}"),
            Where::Path(p) => format!("path:{p}"),
        }
    }

    /// The log as the pages name it.
    pub(crate) fn shown(&self) -> String {
        match self {
            Where::Table(t) => format!("table {t}"),
            Where::Path(p) => p.clone(),
        }
    }

    pub(crate) fn of(ev: &Evidence) -> AppResult<Where> {
        match ev.stored_as.split_once(':') {
            Some(("table", t)) => Ok(Where::Table(t.to_string())),
            Some(("path", p)) => Ok(Where::Path(p.to_string())),
            _ => Err(AppError::Internal(format!("evidence {} has no Spark source: `{}`", ev.id, ev.stored_as))),
        }
    }
}

/// What the browser asked to attach, checked: a table name of one to
/// three parts of letters, digits and `_` joined by `.`, or a path that
/// starts with one of the prefixes the administrator allowed and has no
/// `..` segment, control character, percent escape or glob character
/// (Spark expands `{a,..}`, `*`, `?` and `[…]` in a path: any of them
/// could reach outside the prefix).
pub(crate) fn checked(config: &Config, table: Option<&str>, path: Option<&str>) -> AppResult<Where> {
    if config.spark.is_none() {
        return Err(AppError::bad(
            "this server has no Spark cluster: the administrator names one when starting it (`cjm serve --spark sc://HOST:PORT`)",
        ));
    }
    let shown = |t: &str| t.chars().take(120).collect::<String>();
    match (table.map(str::trim).filter(|t| !t.is_empty()), path.map(str::trim).filter(|p| !p.is_empty())) {
        (Some(_), Some(_)) => Err(AppError::bad("give either a table or a path, not both")),
        (None, None) => Err(AppError::bad("give the table (e.g. `events` or `sales.events`) or the path to attach")),
        (Some(t), None) => {
            let part = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let parts: Vec<&str> = t.split('.').collect();
            if t.len() > MAX_TABLE_BYTES || parts.len() > 3 || !parts.iter().all(|p| part(p)) {
                return Err(AppError::Unprocessable(format!(
                    "table `{}`: name it as the cluster does, in letters, digits and _ (e.g. `events` or `sales.events`)",
                    shown(t)
                )));
            }
            Ok(Where::Table(t.to_string()))
        }
        (None, Some(p)) => {
            let prefixes = &config.spark_paths;
            if prefixes.is_empty() {
                return Err(AppError::bad(
                    "this server attaches Spark tables only: the administrator allows paths by their prefix when starting it",
                ));
            }
            let plain = p.len() <= MAX_PATH_BYTES
                && !p.chars().any(|c| c.is_control() || "\\%{}[]*?".contains(c))
                && !p.split('/').any(|seg| seg == "..");
            if !plain || !prefixes.iter().any(|prefix| within(p, prefix)) {
                return Err(AppError::Unprocessable(format!(
                    "path `{}`: give a path under {}",
                    shown(p),
                    prefixes.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(" or ")
                )));
            }
            Ok(Where::Path(p.to_string()))
        }
    }
}

/// Whether `path` is `prefix` or inside it (`/data/e` is not inside `/data/ev`).
fn within(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// The attributes a Spark log's columns hold, as the filters name them:
/// event attributes by name, customer attributes as `case:NAME`.
pub(crate) fn attributes(columns: &[String]) -> Vec<String> {
    columns.iter().filter(|c| !c.starts_with("cjm_")).cloned().collect()
}

/// A Spark log as the pages need it whole: its columns and its overview
/// with no filter (the evidence page's figures, the filters' choices).
#[derive(Clone, Debug)]
pub(crate) struct Described {
    pub columns: Vec<String>,
    pub overview: cjm_analytics::Overview,
    /// A log not in the canonical layout: the columns its roles were read
    /// from, and what the read found (bad rows, lifecycle events left out).
    pub foreign: Option<(cjm_events::Roles, cjm_events::ReadStats)>,
}

/// The request for `view` of `ask` on Spark, the filters' columns found
/// among the log's `columns`; a filter the plans lack is refused by name.
fn request(view: View, ask: &Ask, columns: &[String]) -> AppResult<cjm_spark::sql::Request> {
    use cjm_spark::sql::{by_column, where_column, AnalysisRequest, Narrowing, Request};
    let q = |e: cjm_analytics::QueryError| AppError::Unprocessable(crate::service::analytics::words(&e));
    let filters = ask.filters().map_err(q)?;
    let mut where_ = Vec::new();
    for (name, values) in &filters.where_ {
        let column = where_column(columns, name).map_err(|e| AppError::Unprocessable(format!("Where: {e}")))?;
        where_.push((column, values.clone()));
    }
    if let Some(c) = &filters.channel {
        where_.push(("cjm_channel".to_string(), vec![c.clone()]));
    }
    let by = match &filters.segment {
        Some((name, value)) => {
            let column = by_column(columns, name).map_err(|e| AppError::Unprocessable(format!("Segment: {e}")))?;
            Some((column, value.clone()))
        }
        None => None,
    };
    let narrowing =
        Narrowing { from: filters.from, to: filters.to, where_, by, variant: filters.variant, ..Narrowing::default() };
    // A funnel names its dropped customers, as an upload's does (the
    // page's CSV links): the answer's size counts them in the cache.
    let analysis = |funnel: Option<_>| {
        let dropped = funnel.is_some();
        Some(AnalysisRequest { follows: 0, funnel, dropped, conversion: true })
    };
    Ok(match view {
        View::Overview => Request { top: 0, narrowing, analysis: analysis(None), ..Request::default() },
        View::Variants => {
            let top = cjm_analytics::variants_top(ask.top().map_err(q)?);
            Request { top, narrowing, ..Request::default() }
        }
        View::Process => Request { top: 0, narrowing, analysis: analysis(None), ..Request::default() },
        View::Funnel => {
            let spec = ask.funnel_spec().map_err(q)?;
            if spec.steps.is_empty() {
                return Err(AppError::Unprocessable(
                    "Steps: choose the funnel's steps: at least one touchpoint".into(),
                ));
            }
            Request { top: 0, narrowing, analysis: analysis(Some(spec)), ..Request::default() }
        }
        View::Trends => {
            let spec = ask.funnel_spec().map_err(q)?;
            let funnel = (!spec.steps.is_empty()).then_some(AnalysisRequest {
                follows: 0,
                funnel: Some(spec),
                dropped: false,
                conversion: false,
            });
            Request {
                top: 0,
                narrowing,
                analysis: funnel,
                trend: Some(ask.interval().map_err(q)?),
                ..Request::default()
            }
        }
        View::Paths => {
            let spec = ask.paths_spec().map_err(q)?;
            cjm_analytics::check_paths(&spec).map_err(q)?;
            Request { top: 0, narrowing, paths: Some(spec), ..Request::default() }
        }
    })
}

/// A Spark log described (its columns and overview), from memory or
/// from the cluster (one permit of the log pages').
pub(crate) async fn described(state: &AppState, ev: &Evidence) -> AppResult<Arc<Described>> {
    if let Some(hit) = state.evidence.described.get(&ev.id) {
        return Ok(hit);
    }
    let at = Where::of(ev)?;
    let _permit = state.answers.permit().await?;
    let config = state.config.clone();
    state
        .evidence
        .described
        .get_or_make(ev.id, move || {
            let d = describe(&config, &at)?;
            let bytes = d.columns.iter().map(|c| c.len() + 24).sum::<usize>()
                + serde_json::to_vec(&d.overview).map_or(4096, |v| v.len() * 2);
            Ok((d, bytes))
        })
        .await
}

/// How long attaching waits for the cluster to describe the log before
/// it answers that the log is attached and still being read (the
/// description goes on and is kept; the request's own limit is 30 s).
const DESCRIBE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Attaches a Spark table or path to `map`, as a log of its workspace:
/// opened on the cluster first (a table that is not there, or one cjm's
/// reader rules cannot read, is refused by name and nothing is recorded),
/// recorded once per workspace, read anew when attached again, and
/// described (its figures) while the answer waits at most
/// [`DESCRIBE_WAIT`].
pub(crate) async fn attach(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    table: Option<String>,
    path: Option<String>,
) -> AppResult<EvidenceState> {
    let at = checked(&state.config, table.as_deref(), path.as_deref())?;
    {
        let _permit = state.answers.permit().await?;
        let (config, at) = (state.config.clone(), at.clone());
        tokio::task::spawn_blocking(move || columns(&config, &at))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    }
    let (ws, uid, shown, stored) = (map.workspace_id, user.id, at.shown(), at.stored());
    let (eid, _) = state.db.write(move |tx| store::spark_log(tx, ws, &shown, &stored, uid)).await?;
    // What was kept of it describes the table as it was: read it as it is now.
    crate::service::evidence::forget(state, eid);
    let id = map.id;
    state.db.write(move |tx| store::attach_evidence(tx, id, Some(eid))).await?;
    let ev = state.db.read(move |c| store::evidence(c, eid)).await?.0;
    let describing = {
        let (state, ev) = (state.clone(), ev.clone());
        tokio::spawn(async move { described(&state, &ev).await })
    };
    // The description's own answer (an error is not kept, so asking
    // again would run the cluster's job again).
    let described = match tokio::time::timeout(DESCRIBE_WAIT, describing).await {
        Ok(done) => done.map_err(|e| AppError::Internal(e.to_string()))?,
        Err(_) => Err(AppError::Unavailable(format!(
            "{} is attached; Spark is still reading it: its figures appear here when the cluster is done (reload in a while)",
            at.shown()
        ))),
    };
    let logs = state.db.read(move |c| store::workspace_logs(c, ws)).await?;
    crate::service::evidence::spark_state(ev, logs, described)
}

#[cfg(feature = "spark")]
mod on_cluster {
    use super::*;
    use crate::service::evidence::Measured;
    use cjm_spark::client::{ClientError, Session, Source};

    /// A session on the server's cluster with the log open as its view:
    /// the session and the log's columns.
    fn open(config: &Config, at: &Where) -> AppResult<(Session, Vec<String>)> {
        opened(config, at).map(|(session, opened)| (session, opened.columns))
    }

    /// [`open`], with what opening found.
    fn opened(config: &Config, at: &Where) -> AppResult<(Session, cjm_spark::client::Opened)> {
        let url = config.spark.as_deref().unwrap_or_default();
        let session = Session::connect(url, false).map_err(|e| worded(e, at))?;
        let source = match at {
            Where::Table(t) => Source::Table(t.clone()),
            Where::Path(p) => Source::Parquet(p.clone()),
        };
        // The server's logs are read by the detected columns and the
        // reader's default rules, as an upload without a mapping is.
        let opened = session.open(&source, &Default::default()).map_err(|e| worded(e, at))?;
        Ok((session, opened))
    }

    /// A client error in the web app's words: a cluster that does not
    /// answer is `503` (try again), a log it cannot read `400` (what to
    /// change), anything else Spark says `422`, on one line.
    fn worded(e: ClientError, at: &Where) -> AppError {
        let message = e.to_string();
        match e {
            ClientError::BadAddress { .. } | ClientError::Unreachable { .. } | ClientError::OldSpark { .. } => {
                AppError::Unavailable(format!("{message}; ask the administrator of this server"))
            }
            ClientError::Foreign { .. } | ClientError::NoRowOrder { .. } | ClientError::Source { .. } => AppError::bad(
                format!("{message}; or write {} in cjm's canonical layout (`cjm export LOG --to parquet`)", at.shown()),
            ),
            ClientError::Read { .. } => AppError::bad(message),
            ClientError::Spark { .. } | ClientError::Decode(_) => AppError::Unprocessable(message),
        }
    }

    /// The log's columns, once the cluster has opened it (no job runs).
    pub(crate) fn columns(config: &Config, at: &Where) -> AppResult<Vec<String>> {
        open(config, at).map(|(_, columns)| columns)
    }

    pub(crate) fn describe(config: &Config, at: &Where) -> AppResult<Described> {
        let (session, opened) = opened(config, at)?;
        let columns = opened.columns;
        let overview = overview(&session, at, &request(View::Overview, &Ask::default(), &columns)?)?;
        let foreign = opened.foreign.map(|f| (f.roles, f.stats));
        Ok(Described { columns, overview, foreign })
    }

    fn overview(session: &Session, at: &Where, req: &cjm_spark::sql::Request) -> AppResult<cjm_analytics::Overview> {
        let quiet = |_: &str| {};
        let m = session.mine(req, &quiet).map_err(|e| worded(e, at))?;
        let span = session.span(&req.narrowing, &quiet).map_err(|e| worded(e, at))?;
        let channels = m.analysis.map(|a| a.channel_reach).unwrap_or_default();
        Ok(cjm_analytics::Overview {
            events: m.summary.n_events,
            customers: m.summary.n_customers,
            first: span.map(|s| s.0),
            last: span.map(|s| s.1),
            touchpoints: m.summary.touchpoints,
            channels,
        })
    }

    pub(crate) fn answer(config: &Config, at: &Where, view: View, ask: &Ask) -> AppResult<Answer> {
        let (session, columns) = open(config, at)?;
        let req = request(view, ask, &columns)?;
        if view == View::Overview {
            return Ok(Answer::Overview(overview(&session, at, &req)?));
        }
        let m = session.mine(&req, &|_| {}).map_err(|e| worded(e, at))?;
        let q = |e: cjm_analytics::QueryError| AppError::Unprocessable(crate::service::analytics::words(&e));
        Ok(match view {
            View::Variants => Answer::Variants(cjm_analytics::variants_of(m.summary)),
            View::Process => {
                let edges = m.analysis.map(|a| a.edge_times).unwrap_or_default();
                Answer::Process(cjm_analytics::process_of(&m.summary, &edges, ask.simplify().map_err(q)?).map_err(q)?)
            }
            View::Funnel => {
                let report = m
                    .analysis
                    .and_then(|a| a.funnel)
                    .ok_or_else(|| AppError::Internal("the Spark plan with funnel steps gave no funnel".into()))?;
                let view = cjm_analytics::funnel_of(m.summary.n_customers, report);
                match ask.by.as_str() {
                    "" => Answer::Funnel(view),
                    by => Answer::Funnel(broken_down(&session, at, view, by, &req, &columns)?),
                }
            }
            View::Trends => {
                let (parts, conversion) =
                    m.trend.ok_or_else(|| AppError::Internal("the Spark plan with a trend gave no trend".into()))?;
                let steps = ask.funnel_spec().map_err(q)?.steps;
                Answer::Trends(
                    cjm_analytics::trend_of(parts, conversion, ask.interval().map_err(q)?, steps).map_err(q)?,
                )
            }
            View::Paths => {
                let (parts, known) =
                    m.paths.ok_or_else(|| AppError::Internal("the Spark plan with paths gave none".into()))?;
                let spec = ask.paths_spec().map_err(q)?;
                Answer::Paths(cjm_analytics::paths_of(parts, &spec, known).map_err(q)?, spec)
            }
            View::Overview => unreachable!("answered above"),
        })
    }

    /// The funnel `view` broken down by the attribute `by`: every value's
    /// segment in one plan (after the values are counted: at most
    /// [`cjm_spark::sql::MAX_BY_VALUES`]), ranked as an upload's.
    fn broken_down(
        session: &Session,
        at: &Where,
        view: cjm_analytics::FunnelView,
        by: &str,
        req: &cjm_spark::sql::Request,
        columns: &[String],
    ) -> AppResult<cjm_analytics::FunnelView> {
        let quiet = |_: &str| {};
        let column = cjm_spark::sql::by_column(columns, by)
            .map_err(|e| AppError::Unprocessable(format!("Break down by: {e}")))?;
        let wanted = std::collections::BTreeSet::from([column.clone()]);
        let values = session.values(&wanted, &quiet).map_err(|e| worded(e, at))?;
        let n = values.get(&column).map_or(0, Vec::len);
        if n > cjm_spark::sql::MAX_BY_VALUES {
            return Err(AppError::Unprocessable(format!(
                "Break down by: `{by}` has {n} values; on Spark a breakdown takes at most {}",
                cjm_spark::sql::MAX_BY_VALUES
            )));
        }
        let mut seg = req.clone();
        seg.narrowing.breakdown = Some(column);
        seg.analysis = seg.analysis.map(|a| cjm_spark::sql::AnalysisRequest { dropped: false, ..a });
        let segments = session.breakdown(&seg, &quiet).map_err(|e| worded(e, at))?;
        Ok(cjm_analytics::broken_down(view, by, segments))
    }

    /// Version `source` of a map measured on the cluster (named as the
    /// log is shown).
    /// `map` measured on the cluster, on every customer or (`only`) on
    /// those whose journey is exactly that sequence.
    pub(crate) fn measure(
        config: &Config,
        at: &Where,
        map: &cjm_model::Journey,
        only: Option<&[String]>,
    ) -> AppResult<Measured> {
        let (session, columns) = open(config, at)?;
        let measurement = session.measure(map, &columns, only, &|_| {}).map_err(|e| worded(e, at))?;
        let figures = std::sync::Arc::new(measurement.figures(&at.shown()));
        Ok(Measured { measurement, figures })
    }
}

#[cfg(feature = "spark")]
pub(crate) use on_cluster::{answer, columns, describe, measure};

/// Without the client, every Spark log says how to get a server that has it.
#[cfg(not(feature = "spark"))]
mod without {
    use super::*;

    fn missing() -> AppError {
        AppError::Unavailable(
            "this server was built without Spark: build it with `cargo build --release -p cjm --features spark`".into(),
        )
    }

    pub(crate) fn describe(_: &Config, _: &Where) -> AppResult<Described> {
        Err(missing())
    }

    pub(crate) fn columns(_: &Config, _: &Where) -> AppResult<Vec<String>> {
        Err(missing())
    }

    /// A question Spark could not answer is refused as it would be there.
    pub(crate) fn answer(_: &Config, _: &Where, view: View, ask: &Ask) -> AppResult<Answer> {
        request(view, ask, &[])?;
        Err(missing())
    }

    pub(crate) fn measure(
        _: &Config,
        _: &Where,
        _: &cjm_model::Journey,
        _: Option<&[String]>,
    ) -> AppResult<crate::service::evidence::Measured> {
        Err(missing())
    }
}

#[cfg(not(feature = "spark"))]
pub(crate) use without::{answer, columns, describe, measure};

#[cfg(test)]
mod tests {
    use super::*;

    fn config(paths: &[&str]) -> Config {
        let mut c = Config::new(std::env::temp_dir());
        c.spark = Some("sc://127.0.0.1:15002".into());
        c.spark_paths = paths.iter().map(|p| p.to_string()).collect();
        c
    }

    #[test]
    fn tables_and_paths_are_checked_before_the_cluster_sees_them() {
        let c = config(&["/data/logs/", "s3a://bucket/cjm"]);
        assert_eq!(checked(&c, Some(" sales.events "), None).unwrap(), Where::Table("sales.events".into()));
        assert_eq!(
            checked(&c, None, Some("/data/logs/e.parquet")).unwrap(),
            Where::Path("/data/logs/e.parquet".into())
        );
        assert!(checked(&c, None, Some("s3a://bucket/cjm/x/y.parquet")).is_ok());
        let refused = |t: Option<&str>, p: Option<&str>| checked(&c, t, p).unwrap_err().to_string();
        for bad in ["a.b.c.d", "x; DROP TABLE y", "`t`", "a..b", "événements"] {
            assert!(refused(Some(bad), None).contains("letters, digits and _"), "{bad}");
        }
        for bad in [
            "/data/logs/../secret",
            "/data/logsx/e.parquet",
            "/etc/passwd",
            "s3a://bucket/cjmx",
            "/data/logs/a\u{7}b",
            "/data/logs/{..,x}/secret",
            "/data/logs/*/../../etc",
            "/data/logs/%2e%2e/secret",
            "/data/logs/[a-z]",
            "/data/logs/e?.parquet",
        ] {
            assert!(refused(None, Some(bad)).contains("give a path under"), "{bad:?}");
        }
        assert!(refused(Some("t"), Some("/data/logs/e")).contains("not both"));
        assert!(refused(None, Some("   ")).contains("give the table"));
        let tables_only = config(&[]);
        assert!(checked(&tables_only, None, Some("/data/logs/e")).unwrap_err().to_string().contains("tables only"));
        let none = Config::new(std::env::temp_dir());
        assert!(checked(&none, Some("t"), None).unwrap_err().to_string().contains("no Spark cluster"));
    }

    #[test]
    fn the_filters_become_the_plan_s_narrowing_or_are_refused_by_name() {
        let columns: Vec<String> =
            ["cjm_row", "cjm_customer", "cjm_channel", "case:segment", "device"].map(String::from).to_vec();
        let ask =
            Ask::parse(Some("from=2024-03-01&where=device=ios,android&channel=web&segment=segment%3Dgold")).unwrap();
        let req = request(View::Process, &ask, &columns).unwrap();
        let n = &req.narrowing;
        assert_eq!(n.from, Some(1_709_251_200_000_000));
        assert_eq!(
            n.where_,
            [
                ("device".to_string(), vec!["ios".to_string(), "android".to_string()]),
                ("cjm_channel".into(), vec!["web".into()])
            ]
        );
        assert_eq!(n.by, Some(("case:segment".to_string(), "gold".to_string())));
        let refused = |q: &str, view| request(view, &Ask::parse(Some(q)).unwrap(), &columns).unwrap_err().to_string();
        let variant = request(View::Variants, &Ask::parse(Some("variant=a%20%E2%86%92%20b")).unwrap(), &columns);
        assert_eq!(variant.unwrap().narrowing.variant, Some(vec!["a".to_string(), "b".to_string()]));
        assert!(refused("where=nope=1", View::Overview).starts_with("Where:"));
        let by = request(View::Funnel, &Ask::parse(Some("step=a&by=device")).unwrap(), &columns).unwrap();
        assert!(
            by.analysis.unwrap().funnel.is_some() && by.narrowing.breakdown.is_none(),
            "the breakdown is a plan of its own"
        );
        assert!(refused("", View::Funnel).starts_with("Steps:"));
        let paths = request(View::Paths, &Ask::parse(Some("anchor=into&at=pay&depth=4")).unwrap(), &columns).unwrap();
        let spec = paths.paths.unwrap();
        assert!(spec.anchor == cjm_mine::paths::Anchor::Into("pay".into()) && spec.depth == 4);
        assert!(refused("depth=11", View::Paths).starts_with("Steps deep:"), "{}", refused("depth=11", View::Paths));
        let trends = request(View::Trends, &Ask::parse(Some("interval=month&step=a")).unwrap(), &columns).unwrap();
        assert_eq!(trends.trend, Some(cjm_mine::trend::Interval::Month));
        assert_eq!(trends.analysis.unwrap().funnel.unwrap().steps, ["a"]);
        let plain = request(View::Trends, &Ask::default(), &columns).unwrap();
        assert!(plain.analysis.is_none() && plain.trend == Some(cjm_mine::trend::Interval::Week));
        assert!(refused("interval=hour", View::Trends).starts_with("Period:"));
        let funnel = request(View::Funnel, &Ask::parse(Some("step=a&step=b&order=strict")).unwrap(), &columns).unwrap();
        let spec = funnel.analysis.unwrap().funnel.unwrap();
        assert!(spec.strict && spec.steps == ["a", "b"]);
    }
}
