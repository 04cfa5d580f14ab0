//! The log pages' questions: a view and its filters, read from the URL
//! (so a filtered view is a link to share), answered by `cjm-analytics`
//! over the workspace's log as it reads with its mapping.
//!
//! Answers are kept in a byte-bounded cache by (log, mapping, question), so
//! a page and its chart downloads compute once; at most a few questions
//! are computed at a time server-wide, so nobody who can view a log can
//! make the server hold more than that many filtered copies of it.

use crate::cache::Bounded;
use crate::error::{AppError, AppResult};
use crate::store::Evidence;
use crate::AppState;
use cjm_analytics::{Filters, FunnelView, Overview, ProcessView, QueryError, TrendView, VariantsView};
use cjm_events::EventLog;
use cjm_mine::analysis::FunnelSpec;
use cjm_mine::paths::{Anchor, Paths, PathsSpec};
use cjm_render::charts::Chart;
use std::sync::Arc;

/// The pages of a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum View {
    Overview,
    Funnel,
    Paths,
    Process,
    Variants,
    Trends,
}

impl View {
    pub(crate) const ALL: [View; 6] =
        [View::Overview, View::Funnel, View::Paths, View::Process, View::Variants, View::Trends];

    pub(crate) fn slug(self) -> &'static str {
        match self {
            View::Overview => "",
            View::Funnel => "funnel",
            View::Paths => "paths",
            View::Process => "process",
            View::Variants => "variants",
            View::Trends => "trends",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Funnel => "Funnel",
            View::Paths => "Paths",
            View::Process => "Process map",
            View::Variants => "Variants",
            View::Trends => "Trends",
        }
    }

    pub(crate) fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s && !s.is_empty())
    }
}

/// A question as the URL asks it: every parameter as text, in the order
/// the page writes them back. Repeated `where` and `step` keep their order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Ask {
    pub from: String,
    pub to: String,
    /// `attribute=value[,value…]`, one per `where`.
    pub where_: Vec<String>,
    pub channel: String,
    /// `attribute=value`.
    pub segment: String,
    /// Touchpoints joined by ` → `.
    pub variant: String,
    pub steps: Vec<String>,
    /// `ordered` (default), `any` or `strict`.
    pub order: String,
    pub window: String,
    pub by: String,
    /// `start` (default), `from` or `into`.
    pub anchor: String,
    pub at: String,
    pub depth: String,
    /// Percent of transitions kept, `1` to `100` (empty: all).
    pub simplify: String,
    /// `frequency` (default) or `performance`.
    pub measure: String,
    pub top: String,
    pub interval: String,
    /// Compare with: another log of the workspace (its id) …
    pub vs: String,
    /// … and/or another period (`from2`, `to2`), the other filters alike.
    pub from2: String,
    pub to2: String,
}

/// The longest a parameter may be, and the most repeated ones.
const MAX_PARAM: usize = 1000;
const MAX_REPEATS: usize = 20;

impl Ask {
    /// Reads the query string; unknown keys are ignored (a link from an
    /// older page still opens), overlong ones refused.
    pub(crate) fn parse(raw: Option<&str>) -> AppResult<Ask> {
        let mut a = Ask::default();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if v.len() > MAX_PARAM {
                return Err(AppError::bad(format!("the query's `{k}` is longer than {MAX_PARAM} bytes")));
            }
            let v = v.trim().to_string();
            let one = |slot: &mut String| *slot = v.clone();
            match k.as_ref() {
                "from" => one(&mut a.from),
                "to" => one(&mut a.to),
                "where" if !v.is_empty() => a.where_.push(v),
                "channel" => one(&mut a.channel),
                "segment" => one(&mut a.segment),
                "variant" => one(&mut a.variant),
                "step" if !v.is_empty() => a.steps.push(v),
                "order" => one(&mut a.order),
                "window" => one(&mut a.window),
                "by" => one(&mut a.by),
                "anchor" => one(&mut a.anchor),
                "at" => one(&mut a.at),
                "depth" => one(&mut a.depth),
                "simplify" => one(&mut a.simplify),
                "measure" => one(&mut a.measure),
                "top" => one(&mut a.top),
                "interval" => one(&mut a.interval),
                "vs" => one(&mut a.vs),
                "from2" => one(&mut a.from2),
                "to2" => one(&mut a.to2),
                _ => {}
            }
            if a.where_.len() > MAX_REPEATS || a.steps.len() > MAX_REPEATS {
                return Err(AppError::bad(format!("a query holds at most {MAX_REPEATS} `where` and `step` values")));
            }
        }
        Ok(a)
    }

    /// The query string back, with `change` applied to a copy first: the
    /// links that keep every other choice.
    pub(crate) fn with(&self, change: impl FnOnce(&mut Ask)) -> String {
        let mut a = self.clone();
        change(&mut a);
        let mut out = form_urlencoded::Serializer::new(String::new());
        let pairs: [(&str, &String); 18] = [
            ("from", &a.from),
            ("to", &a.to),
            ("channel", &a.channel),
            ("segment", &a.segment),
            ("variant", &a.variant),
            ("order", &a.order),
            ("window", &a.window),
            ("by", &a.by),
            ("anchor", &a.anchor),
            ("at", &a.at),
            ("depth", &a.depth),
            ("simplify", &a.simplify),
            ("measure", &a.measure),
            ("top", &a.top),
            ("interval", &a.interval),
            ("vs", &a.vs),
            ("from2", &a.from2),
            ("to2", &a.to2),
        ];
        for w in &a.where_ {
            out.append_pair("where", w);
        }
        for (k, v) in pairs {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        for s in &a.steps {
            out.append_pair("step", s);
        }
        let q = out.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }

    /// Whether the page compares two sides.
    pub(crate) fn comparing(&self) -> bool {
        !(self.vs.is_empty() && self.from2.is_empty() && self.to2.is_empty())
    }

    /// The question without its comparison: side A.
    pub(crate) fn side_a(&self) -> Ask {
        Ask { vs: String::new(), from2: String::new(), to2: String::new(), ..self.clone() }
    }

    /// Side B of a comparison: the other period in place of this one (when
    /// given), every other choice alike; the log it asks of is `vs`.
    pub(crate) fn side_b(&self) -> Ask {
        let mut b = self.side_a();
        if !(self.from2.is_empty() && self.to2.is_empty()) {
            (b.from, b.to) = (self.from2.clone(), self.to2.clone());
        }
        b
    }

    /// The log side B asks of: `vs`, or `None` for the same log.
    pub(crate) fn vs_log(&self) -> AppResult<Option<i64>> {
        if self.vs.is_empty() {
            return Ok(None);
        }
        self.vs.parse().map(Some).map_err(|_| {
            AppError::bad(format!(
                "the query's `vs` is `{}`: compare with a log of this workspace, by its number",
                self.vs.chars().take(40).collect::<String>()
            ))
        })
    }

    pub(crate) fn filters(&self) -> Result<Filters, QueryError> {
        let time = |field: &'static str, t: &str| -> Result<Option<i64>, QueryError> {
            if t.is_empty() {
                return Ok(None);
            }
            cjm_analytics::parse_time(t).map(Some).ok_or_else(|| QueryError {
                field,
                message: format!("`{t}` is not a date; write it as 2024-03-01 or 2024-03-01T12:00:00Z"),
            })
        };
        let pair = |field: &'static str, t: &str| -> Result<(String, String), QueryError> {
            t.split_once('=')
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                .ok_or_else(|| QueryError { field, message: format!("`{t}`: write it as attribute=value") })
        };
        let mut where_ = Vec::new();
        for w in &self.where_ {
            let (name, values) = pair("where", w)?;
            where_.push((name, values.split(',').map(|v| v.trim().to_string()).collect()));
        }
        Ok(Filters {
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
            where_,
            channel: Some(self.channel.clone()).filter(|c| !c.is_empty()),
            segment: if self.segment.is_empty() { None } else { Some(pair("segment", &self.segment)?) },
            variant: (!self.variant.is_empty()).then(|| self.variant.split(" → ").map(str::to_string).collect()),
        })
    }

    pub(crate) fn funnel_spec(&self) -> Result<FunnelSpec, QueryError> {
        let window = match self.window.as_str() {
            "" => None,
            w => Some(cjm_analytics::parse_duration(w).ok_or_else(|| QueryError {
                field: "window",
                message: format!("`{w}` is not a duration; write 30m, 2h or 7d"),
            })?),
        };
        let (any_order, strict) = match self.order.as_str() {
            "" | "ordered" => (false, false),
            "any" => (true, false),
            "strict" => (false, true),
            other => {
                return Err(QueryError { field: "order", message: format!("`{other}`: choose ordered, any or strict") })
            }
        };
        Ok(FunnelSpec { steps: self.steps.clone(), any_order, strict, window_seconds: window })
    }

    pub(crate) fn paths_spec(&self) -> Result<PathsSpec, QueryError> {
        let anchor = match (self.anchor.as_str(), self.at.as_str()) {
            ("" | "start", _) | (_, "") => Anchor::Start,
            ("from", t) => Anchor::From(t.to_string()),
            ("into", t) => Anchor::Into(t.to_string()),
            (other, _) => {
                return Err(QueryError { field: "anchor", message: format!("`{other}`: choose start, from or into") })
            }
        };
        let depth = number(&self.depth, 3, 1, cjm_mine::paths::MAX_DEPTH, "depth")?;
        Ok(PathsSpec { anchor, depth, min_share: 0.01, per_column: 8 })
    }

    /// The process map's share of transitions kept, from the percent.
    pub(crate) fn simplify(&self) -> Result<Option<f64>, QueryError> {
        if self.simplify.is_empty() {
            return Ok(None);
        }
        let p = number(&self.simplify, 100, 1, 100, "simplify")?;
        Ok((p < 100).then_some(p as f64 / 100.0))
    }

    pub(crate) fn performance(&self) -> bool {
        self.measure == "performance"
    }

    pub(crate) fn top(&self) -> Result<usize, QueryError> {
        number(&self.top, 20, 1, cjm_analytics::MAX_VARIANTS, "top")
    }

    pub(crate) fn interval(&self) -> Result<cjm_mine::trend::Interval, QueryError> {
        cjm_analytics::parse_interval(if self.interval.is_empty() { "week" } else { &self.interval })
    }
}

fn number(t: &str, default: usize, lo: usize, hi: usize, field: &'static str) -> Result<usize, QueryError> {
    if t.is_empty() {
        return Ok(default);
    }
    match t.parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(QueryError { field, message: format!("`{t}`: choose a whole number from {lo} to {hi}") }),
    }
}

/// A view's figures.
pub(crate) enum Answer {
    Overview(Overview),
    Funnel(FunnelView),
    Paths(Paths, PathsSpec),
    Process(ProcessView),
    Variants(VariantsView),
    Trends(TrendView),
}

/// An answer's key: log, mapping, view and question.
type AnswerKey = (i64, String, View, String);

/// Answers kept, and the computations allowed at once.
pub(crate) struct Answers {
    kept: Bounded<AnswerKey, Answer>,
    running: tokio::sync::Semaphore,
}

impl Answers {
    pub(crate) fn new(bytes: usize) -> Self {
        Answers {
            kept: Bounded::new(bytes),
            running: tokio::sync::Semaphore::new(cjm_events::available_threads().clamp(1, 4)),
        }
    }

    pub(crate) fn forget(&self, id: i64) {
        self.kept.forget(|k| k.0 == id);
    }

    /// A turn to compute over a log: at most one per core run at once.
    pub(crate) async fn permit(&self) -> AppResult<tokio::sync::SemaphorePermit<'_>> {
        self.running.acquire().await.map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// The answer to `ask` on `view` of log `ev`; a question that cannot be
/// answered is `Unprocessable`, naming the field.
pub(crate) async fn answer(state: &AppState, ev: &Evidence, view: View, ask: &Ask) -> AppResult<Arc<Answer>> {
    // A comparison's fields name the other side; this side's answer is the same.
    let ask = &ask.side_a();
    let key = (ev.id, serde_json::to_string(&ev.mapping).unwrap_or_default(), view, format!("{ask:?}"));
    if let Some(hit) = state.answers.kept.get(&key) {
        return Ok(hit);
    }
    if ev.on_spark {
        return on_spark(state, ev, view, ask, key).await;
    }
    let _permit = state.answers.running.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let path = crate::service::evidence::file_of(&state.config, ev)?;
    let log = state.evidence.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await?;
    let ask = ask.clone();
    state
        .answers
        .kept
        .get_or_make(key, move || {
            let a = compute(&log, view, &ask).map_err(|e| AppError::Unprocessable(words(&e)))?;
            let bytes = size_of(&a);
            Ok((a, bytes))
        })
        .await
}

/// [`answer`] for a log on Spark: computed on the cluster (one permit),
/// kept as an upload's answers are. A channel the log lacks is named, as
/// an upload's filter names it.
async fn on_spark(state: &AppState, ev: &Evidence, view: View, ask: &Ask, key: AnswerKey) -> AppResult<Arc<Answer>> {
    let d = crate::service::spark::described(state, ev).await?;
    if !ask.channel.is_empty() && !d.overview.channels.iter().any(|c| c.channel == ask.channel) {
        let message = format!("the log has no channel `{}`", ask.channel);
        return Err(AppError::Unprocessable(words(&QueryError { field: "channel", message })));
    }
    let _permit = state.answers.running.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let (at, config, ask) = (crate::service::spark::Where::of(ev)?, state.config.clone(), ask.clone());
    state
        .answers
        .kept
        .get_or_make(key, move || {
            let a = crate::service::spark::answer(&config, &at, view, &ask)?;
            let bytes = size_of(&a);
            Ok((a, bytes))
        })
        .await
}

/// A question's error in the page's words: the field's label first.
pub(crate) fn words(e: &QueryError) -> String {
    let label = match e.field {
        "from" => "From",
        "to" => "Before",
        "where" => "Where",
        "channel" => "Channel",
        "segment" => "Segment",
        "variant" => "Variant",
        "steps" => "Steps",
        "window" => "Within",
        "order" => "Order",
        "by" => "Break down by",
        "anchor" | "at" => "Touchpoint",
        "depth" => "Steps deep",
        "simplify" => "Transitions kept",
        "top" => "Variants shown",
        "interval" => "Period",
        _ => "The question",
    };
    format!("{label}: {}", e.message)
}

fn compute(log: &EventLog, view: View, ask: &Ask) -> Result<Answer, QueryError> {
    let filters = ask.filters()?;
    let log = filters.apply(log)?;
    let log = log.as_ref();
    Ok(match view {
        View::Overview => Answer::Overview(cjm_analytics::overview(log)),
        View::Funnel => {
            let by = Some(ask.by.as_str()).filter(|b| !b.is_empty());
            Answer::Funnel(cjm_analytics::funnel(log, &ask.funnel_spec()?, by)?)
        }
        View::Paths => {
            let spec = ask.paths_spec()?;
            Answer::Paths(cjm_analytics::paths(log, &spec)?, spec)
        }
        View::Process => Answer::Process(cjm_analytics::process(log, ask.simplify()?)?),
        View::Variants => Answer::Variants(cjm_analytics::variants(log, ask.top()?)),
        View::Trends => {
            let spec = ask.funnel_spec()?;
            Answer::Trends(cjm_analytics::trend(log, ask.interval()?, Some(&spec))?)
        }
    })
}

/// What an answer holds, roughly, in bytes (its JSON twice over).
fn size_of(a: &Answer) -> usize {
    let json = match a {
        Answer::Overview(x) => serde_json::to_vec(x),
        Answer::Funnel(x) => serde_json::to_vec(x).map(|v| {
            let dropped: usize = x.report.dropped.iter().flatten().map(|s| s.len() + 24).sum();
            let mut v = v;
            v.resize(v.len() + dropped + x.report.conversion_seconds.len() * 8, 0);
            v
        }),
        Answer::Paths(x, _) => serde_json::to_vec(x),
        Answer::Process(x) => serde_json::to_vec(x),
        Answer::Variants(x) => serde_json::to_vec(x),
        Answer::Trends(x) => serde_json::to_vec(x),
    };
    json.map_or(64 * 1024, |v| v.len() * 2 + 1024)
}

/// The charts of a page: the main one, and the funnel's time to convert or
/// the trend's conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    Main,
    Second,
}

/// A chart of an answer; `href` makes a touchpoint a link (to the paths
/// from it). `None` when the view has no such chart.
pub(crate) fn chart(
    a: &Answer,
    which: Which,
    ask: &Ask,
    log_name: &str,
    href: &dyn Fn(&str) -> Option<String>,
) -> Option<Chart> {
    match (a, which) {
        (Answer::Overview(_), _) => None,
        (Answer::Funnel(v), Which::Main) => Some(cjm_analytics::funnel_chart(v, log_name)),
        (Answer::Funnel(v), Which::Second) => cjm_analytics::time_to_convert_chart(v, log_name),
        (Answer::Paths(p, spec), Which::Main) => {
            Some(cjm_analytics::paths_chart(p, spec, log_name, &|n| href(&n.name)))
        }
        (Answer::Process(v), Which::Main) => Some(cjm_analytics::process_chart(v, ask.performance(), log_name, href)),
        (Answer::Variants(v), Which::Main) => Some(cjm_analytics::variants_chart(v, log_name)),
        (Answer::Trends(v), Which::Main) => Some(cjm_analytics::trend_chart(v, log_name)),
        (Answer::Trends(v), Which::Second) => cjm_analytics::conversion_chart(v, log_name),
        _ => None,
    }
}
