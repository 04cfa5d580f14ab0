//! The log pages: a workspace's logs, and for each an overview, a funnel,
//! paths, a process map, variants and trends, every one with the same
//! filters held in the URL. Charts are drawn on the server (no script) with
//! a data table beside them, and download as SVG, PNG or PDF.

use super::{when, Page};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Viewer, WorkspaceAccess};
use crate::service::analytics::{self, Answer, Ask, View, Which};
use crate::store::{self, Evidence};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cjm_render::{duration, group_digits};
use maud::{html, Markup, PreEscaped};

/// The log `id` of workspace `ws`; `404` when it is another workspace's.
async fn log_of(state: &AppState, ws: i64, id: i64) -> AppResult<Evidence> {
    let (ev, owner) = state.db.read(move |c| store::evidence(c, id)).await?;
    if owner != ws {
        return Err(AppError::NotFound);
    }
    Ok(ev)
}

fn base(ws: i64, id: i64, view: View) -> String {
    match view {
        View::Overview => format!("/w/{ws}/logs/{id}"),
        v => format!("/w/{ws}/logs/{id}/{}", v.slug()),
    }
}

/// The filters of a question alone (what every tab keeps).
fn only_filters(ask: &Ask) -> Ask {
    Ask {
        from: ask.from.clone(),
        to: ask.to.clone(),
        where_: ask.where_.clone(),
        channel: ask.channel.clone(),
        segment: ask.segment.clone(),
        variant: ask.variant.clone(),
        vs: ask.vs.clone(),
        from2: ask.from2.clone(),
        to2: ask.to2.clone(),
        ..Ask::default()
    }
}

pub(crate) async fn logs_index(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Response> {
    let ws = access.ws;
    let logs = state.db.read(move |c| store::workspace_logs(c, ws)).await?;
    let body = html! {
        div.page-head { h1 { "Logs" } }
        p.muted { "Event logs uploaded to " (access.workspace.name) ". Open one to see its funnel, paths, process map, variants and trends; attach it to a map on the map's evidence page." }
        @if logs.is_empty() {
            section.card { p { "No logs yet. Upload one on a map's evidence page." } }
        } @else {
            section.card {
                table.list.logs {
                    thead { tr { th { "Log" } th { "Size" } th { "Uploaded" } th { "Used by" } } }
                    tbody {
                        @for l in &logs {
                            tr {
                                td { a href={ "/w/" (ws) "/logs/" (l.id) } { (l.file_name) } }
                                td { (super::maps::size(l.bytes)) }
                                td { (l.uploaded_by) " · " (when(l.created_at)) }
                                td { (l.maps) @if l.maps == 1 { " map" } @else { " maps" } }
                            }
                        }
                    }
                }
            }
        }
    };
    let crumbs = vec![(format!("/w/{ws}"), access.workspace.name.clone())];
    Ok(Page::new("Logs", &who, "logs", body).crumbs(crumbs).render())
}

pub(crate) async fn overview(
    state: State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
    Path((_, id)): Path<(i64, i64)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    page(state, who, access, id, View::Overview, raw).await
}

pub(crate) async fn view(
    state: State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
    Path((_, id, view)): Path<(i64, i64, String)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let view = View::from_slug(&view).ok_or(AppError::NotFound)?;
    page(state, who, access, id, view, raw).await
}

/// The parts every log page shares around its view's own.
async fn page(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
    id: i64,
    view: View,
    raw: Option<String>,
) -> AppResult<Response> {
    let ws = access.ws;
    let ev = log_of(&state, ws, id).await?;
    let ask = Ask::parse(raw.as_deref())?;
    let log = match read(&state, &ev).await {
        Ok(log) => log,
        Err(AppError::BadRequest(m) | AppError::Unprocessable(m) | AppError::Unavailable(m)) => {
            let body = html! {
                (head(&ev, ws))
                section.card.error-box role="alert" {
                    h2 { "This log does not read" } p { (m) }
                    @if ev.on_spark { p { "The cluster is asked again when the page is opened again." } }
                    @else { p { "Choose its columns on the evidence page of a map it is attached to." } }
                }
            };
            return Ok(Page::new(&ev.file_name, &who, "log", body)
                .crumbs(crumbs(ws, &access.workspace.name))
                .wide()
                .render());
        }
        Err(e) => return Err(e),
    };
    let answer = analytics::answer(&state, &ev, view, &ask).await;
    let here = base(ws, id, view);
    let maps = maps_for(&state, view, &ev).await?;
    let (mut content, error) = match &answer {
        Ok(a) => (drawn(a.clone(), &ask, &ev, ws, &here, "a", &maps).await?, None),
        Err(AppError::Unprocessable(m) | AppError::Unavailable(m)) => (html! {}, Some(m.clone())),
        Err(e) => return Err(clone_err(e)),
    };
    let logs = state.db.read(move |c| store::workspace_logs(c, ws)).await?;
    if let (true, Ok(a_answer)) = (ask.comparing(), &answer) {
        content = compared(&state, &ev, &ask, view, ws, (a_answer, content)).await?;
    }
    let choices = log.choices();
    let read = match &log {
        Read::Here(log) if view == View::Overview && !ask.comparing() => {
            Some(state.evidence.summary(&ev, log.clone()).await?)
        }
        _ => None,
    };
    let body = html! {
        (head(&ev, ws))
        nav.tabs aria-label="Views of the log" {
            @for v in View::ALL {
                a href={ (base(ws, id, v)) (only_filters(&ask).with(|_| {})) } aria-current=[(v == view).then_some("page")] { (v.label()) }
            }
        }
        (filter_form(&ask, &here, &choices))
        (compare_form(&ask, &here, id, &logs))
        (view_form(view, &ask, &here, &choices))
        @if let Some(m) = error { section.card.error-box role="alert" { p { (m) } } }
        @if let Some(r) = &read { (read_card(r)) }
        (content)
    };
    Ok(Page::new(&ev.file_name, &who, "log", body).crumbs(crumbs(ws, &access.workspace.name)).wide().render())
}

/// A log as its pages read it: its events here, or (on Spark) what the
/// cluster told of it.
enum Read {
    Here(std::sync::Arc<cjm_events::EventLog>),
    Spark(std::sync::Arc<crate::service::spark::Described>),
}

impl Read {
    fn choices(&self) -> Choices {
        match self {
            Read::Here(log) => Choices::of(log),
            Read::Spark(d) => Choices::of_spark(d),
        }
    }
}

async fn read(state: &AppState, ev: &Evidence) -> AppResult<Read> {
    if ev.on_spark {
        return Ok(Read::Spark(crate::service::spark::described(state, ev).await?));
    }
    let path = crate::service::evidence::file_of(&state.config, ev)?;
    Ok(Read::Here(state.evidence.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await?))
}

fn clone_err(e: &AppError) -> AppError {
    match e {
        AppError::NotFound => AppError::NotFound,
        AppError::BadRequest(m) => AppError::BadRequest(m.clone()),
        other => AppError::Internal(format!("{other:?}")),
    }
}

fn crumbs(ws: i64, name: &str) -> Vec<(String, String)> {
    vec![(format!("/w/{ws}"), name.to_string()), (format!("/w/{ws}/logs"), "Logs".to_string())]
}

fn head(ev: &Evidence, ws: i64) -> Markup {
    let _ = ws;
    html! {
        div.page-head {
            h1 { (ev.file_name) }
        }
        @if ev.on_spark {
            p.muted { "On the server's Spark cluster, attached by " (ev.uploaded_by) " " (when(ev.created_at)) ". Every view of it is computed there, filters and comparisons too." }
        } @else {
            p.muted { (super::maps::size(ev.bytes)) ", uploaded by " (ev.uploaded_by) " " (when(ev.created_at)) }
        }
    }
}

/// What the filter and view forms offer, from the log as read.
struct Choices {
    channels: Vec<String>,
    attributes: Vec<String>,
    touchpoints: Vec<String>,
}

impl Choices {
    fn of(log: &cjm_events::EventLog) -> Choices {
        let mut attributes: Vec<String> = log.attrs.iter().map(|a| a.name.clone()).collect();
        attributes.extend(log.case_attrs.iter().map(|a| format!("case:{}", a.name)));
        Choices::sorted(
            log.channels.values().map(str::to_string).collect(),
            attributes,
            log.activities.values().map(str::to_string).collect(),
        )
    }

    /// From a Spark log's columns and overview.
    fn of_spark(d: &crate::service::spark::Described) -> Choices {
        Choices::sorted(
            d.overview.channels.iter().map(|c| c.channel.clone()).collect(),
            crate::service::spark::attributes(&d.columns),
            d.overview.touchpoints.iter().map(|t| t.touchpoint.clone()).collect(),
        )
    }

    /// Each list sorted, and cut at 500 (a form lists no more).
    fn sorted(channels: Vec<String>, attributes: Vec<String>, touchpoints: Vec<String>) -> Choices {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.truncate(500);
            v
        };
        Choices { channels: sorted(channels), attributes: sorted(attributes), touchpoints: sorted(touchpoints) }
    }
}

/// The filters, as a GET form that keeps the view's own choices, and the
/// active ones as chips, each removable.
fn filter_form(ask: &Ask, here: &str, c: &Choices) -> Markup {
    let keep = Ask {
        from: String::new(),
        to: String::new(),
        where_: Vec::new(),
        channel: String::new(),
        segment: String::new(),
        ..ask.clone()
    };
    let mut chips: Vec<(String, String)> = Vec::new();
    if !ask.from.is_empty() {
        chips.push((format!("from {}", ask.from), ask.with(|a| a.from.clear())));
    }
    if !ask.to.is_empty() {
        chips.push((format!("before {}", ask.to), ask.with(|a| a.to.clear())));
    }
    for (i, w) in ask.where_.iter().enumerate() {
        chips.push((
            w.clone(),
            ask.with(|a| {
                a.where_.remove(i);
            }),
        ));
    }
    if !ask.channel.is_empty() {
        chips.push((format!("channel {}", ask.channel), ask.with(|a| a.channel.clear())));
    }
    if !ask.segment.is_empty() {
        chips.push((format!("segment {}", ask.segment), ask.with(|a| a.segment.clear())));
    }
    if !ask.variant.is_empty() {
        chips.push((format!("variant {}", ask.variant), ask.with(|a| a.variant.clear())));
    }
    html! {
        form.card.filters method="get" action=(here) aria-label="Filters" {
            div.filter-row {
                label { "From" input type="date" name="from" value=(date_value(&ask.from)); }
                label { "Before" input type="date" name="to" value=(date_value(&ask.to)); }
                label { "Channel"
                    select name="channel" {
                        option value="" { "All channels" }
                        @for ch in &c.channels { option value=(ch) selected[*ch == ask.channel] { (ch) } }
                    }
                }
                label { "Where" input type="text" name="where" list="log-attributes" placeholder="attribute=value,value" value=(ask.where_.first().cloned().unwrap_or_default()); }
                label { "Segment" input type="text" name="segment" list="log-attributes" placeholder="attribute=value" value=(ask.segment); }
                datalist #log-attributes { option value="channel=" {} @for a in &c.attributes { option value={ (a) "=" } {} } }
                @for w in ask.where_.iter().skip(1) { input type="hidden" name="where" value=(w); }
                (hidden(&keep))
                button.primary type="submit" { "Apply" }
                @if !chips.is_empty() { a.button href=(format!("{here}{}", Ask { steps: ask.steps.clone(), order: ask.order.clone(), window: ask.window.clone(), by: ask.by.clone(), anchor: ask.anchor.clone(), at: ask.at.clone(), depth: ask.depth.clone(), simplify: ask.simplify.clone(), measure: ask.measure.clone(), top: ask.top.clone(), interval: ask.interval.clone(), ..Ask::default() }.with(|_| {}))) { "Clear filters" } }
            }
            @if !chips.is_empty() {
                ul.chips aria-label="Active filters" {
                    @for (label, without) in &chips {
                        li { (label) " " a href={ (here) (without) } aria-label={ "Remove the filter " (label) } { "×" } }
                    }
                }
            }
        }
    }
}

/// A date input's value: the day part of what the URL holds.
fn date_value(t: &str) -> String {
    t.get(..10).filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-').map_or(String::new(), str::to_string)
}

/// Hidden inputs for every choice of `a` that is set (the form that
/// changes the others keeps these).
fn hidden(a: &Ask) -> Markup {
    let pairs = [
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
    html! {
        @for (k, v) in pairs { @if !v.is_empty() { input type="hidden" name=(k) value=(v); } }
        @for w in &a.where_ { input type="hidden" name="where" value=(w); }
        @for s in &a.steps { input type="hidden" name="step" value=(s); }
    }
}

/// The view's own choices (steps, anchor, simplification, period…), as a
/// GET form keeping the filters.
fn view_form(view: View, ask: &Ask, here: &str, c: &Choices) -> Markup {
    let filters = only_filters(ask);
    let tp_list = html! { datalist #log-touchpoints { @for t in &c.touchpoints { option value=(t) {} } } };
    match view {
        View::Overview => html! {},
        View::Funnel | View::Trends => html! {
            form.card.log-view method="get" action=(here) aria-label="Funnel steps" {
                (hidden(&filters))
                fieldset.steps {
                    legend { "Steps, in order" }
                    @for (i, s) in ask.steps.iter().enumerate() {
                        label { (i + 1) ". " input type="text" name="step" list="log-touchpoints" value=(s); }
                    }
                    label { (ask.steps.len() + 1) ". " input type="text" name="step" list="log-touchpoints" placeholder="add a touchpoint" aria-label="Add a step"; }
                    (tp_list)
                }
                div.filter-row {
                    label { "Order"
                        select name="order" {
                            option value="ordered" selected[ask.order.is_empty() || ask.order == "ordered"] { "in order" }
                            option value="any" selected[ask.order == "any"] { "any order" }
                            option value="strict" selected[ask.order == "strict"] { "directly after each other" }
                        }
                    }
                    label { "Within" input type="text" name="window" placeholder="e.g. 7d" size="6" value=(ask.window); }
                    @if view == View::Funnel {
                        label { "Break down by"
                            select name="by" {
                                option value="" { "nothing" }
                                option value="channel" selected[ask.by == "channel"] { "channel" }
                                @for a in &c.attributes { option value=(a) selected[*a == ask.by] { (a) } }
                            }
                        }
                    } @else {
                        @if !ask.by.is_empty() { input type="hidden" name="by" value=(ask.by); }
                        label { "Period"
                            select name="interval" {
                                @for p in ["day", "week", "month"] { option value=(p) selected[ask.interval == p || (ask.interval.is_empty() && p == "week")] { (p) } }
                            }
                        }
                    }
                    button.primary type="submit" { "Show" }
                }
            }
        },
        View::Paths => html! {
            form.card.log-view method="get" action=(here) aria-label="Paths" {
                (hidden(&filters))
                div.filter-row {
                    label { "Paths"
                        select name="anchor" {
                            option value="start" selected[ask.anchor.is_empty() || ask.anchor == "start"] { "from the first event" }
                            option value="from" selected[ask.anchor == "from"] { "after a touchpoint" }
                            option value="into" selected[ask.anchor == "into"] { "leading to a touchpoint" }
                        }
                    }
                    label { "Touchpoint" input type="text" name="at" list="log-touchpoints" value=(ask.at); }
                    (tp_list)
                    label { "Steps deep" input type="number" name="depth" min="1" max=(cjm_mine::paths::MAX_DEPTH) value=(if ask.depth.is_empty() { "3" } else { ask.depth.as_str() }); }
                    button.primary type="submit" { "Show" }
                }
            }
        },
        View::Process => html! {
            form.card.log-view method="get" action=(here) aria-label="Process map" {
                (hidden(&filters))
                div.filter-row {
                    label { "Transitions kept: " (if ask.simplify.is_empty() { "100" } else { ask.simplify.as_str() }) "%"
                        input type="range" name="simplify" min="1" max="100" value=(if ask.simplify.is_empty() { "100" } else { ask.simplify.as_str() }) data-autosubmit="";
                    }
                    label { "Arrows show"
                        select name="measure" {
                            option value="frequency" selected[!ask.performance()] { "how often (frequency)" }
                            option value="performance" selected[ask.performance()] { "median time (performance)" }
                        }
                    }
                    button.primary type="submit" { "Show" }
                }
            }
        },
        View::Variants => html! {
            form.card.log-view method="get" action=(here) aria-label="Variants" {
                (hidden(&filters))
                div.filter-row {
                    label { "Variants shown" input type="number" name="top" min="1" max=(cjm_analytics::MAX_VARIANTS) value=(if ask.top.is_empty() { "20" } else { ask.top.as_str() }); }
                    button.primary type="submit" { "Show" }
                }
            }
        },
    }
}

/// The figures of a view: its chart(s) with downloads, and its table.
/// One side of a page: its question, its log and where it lives.
struct Side<'a> {
    ask: &'a Ask,
    ev: &'a Evidence,
    ws: i64,
    here: &'a str,
    /// Prefix of its charts' element ids (`a`, `b`).
    prefix: &'a str,
    /// The maps using the log (the variants offer to measure them on a
    /// variant's customers).
    maps: &'a [(i64, String)],
}

/// [`content`] on the blocking pool: laying out a process map or a Sankey
/// is real work, kept off the threads that answer requests.
async fn drawn(
    a: std::sync::Arc<Answer>,
    ask: &Ask,
    ev: &Evidence,
    ws: i64,
    here: &str,
    prefix: &'static str,
    maps: &[(i64, String)],
) -> AppResult<Markup> {
    let (ask, ev, here, maps) = (ask.clone(), ev.clone(), here.to_string(), maps.to_vec());
    tokio::task::spawn_blocking(move || content(&a, &Side { ask: &ask, ev: &ev, ws, here: &here, prefix, maps: &maps }))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A view's charts and tables.
fn content(a: &Answer, s: &Side) -> Markup {
    let Side { ask, ev, ws, here, prefix: side, maps } = *s;
    let id = ev.id;
    let paths_from = |t: &str| {
        Some(format!(
            "{}{}",
            base(ws, id, View::Paths),
            only_filters(ask).with(|q| {
                q.anchor = "from".into();
                q.at = t.to_string();
            })
        ))
    };
    let chart_card = |which: Which, name: &str, heading: &str| -> Markup {
        let Some(chart) = analytics::chart(a, which, ask, &ev.file_name, &paths_from) else { return html! {} };
        let svg = cjm_render::charts::chart_svg_ids(&chart, false, &format!("{side}-{name}"));
        let q = ask.with(|_| {});
        html! {
            section.card.chart {
                h2 { (heading) }
                // Graphs keep their size (and scroll); bar charts fit the page.
                div.chart-frame.natural[matches!(name, "paths" | "process")] { (PreEscaped(svg)) }
                p.chart-downloads { "Download: "
                    @for ext in ["svg", "png", "pdf"] { a href={ (here) "/chart/" (name) "." (ext) (q) } download { (ext.to_uppercase()) } " " }
                }
            }
        }
    };
    match a {
        Answer::Overview(o) => overview_tables(o),
        Answer::Funnel(v) => html! {
            (chart_card(Which::Main, "funnel", "Funnel"))
            (funnel_table(v, here, ask))
            (chart_card(Which::Second, "time-to-convert", "Time to convert"))
        },
        Answer::Paths(p, _) => html! { (chart_card(Which::Main, "paths", "Paths")) (paths_table(p)) },
        Answer::Process(v) => html! { (chart_card(Which::Main, "process", "Process map")) (process_table(v)) },
        Answer::Variants(v) => {
            html! { (chart_card(Which::Main, "variants", "Variants")) (variants_table(v, ask, ws, id, maps)) }
        }
        Answer::Trends(v) => html! {
            (chart_card(Which::Main, "trend", "Customers over time"))
            (chart_card(Which::Second, "conversion", "Conversion over time"))
            (trend_table(v))
        },
    }
}

/// The maps using log `ev`, for the variants view (which offers to
/// measure them on a variant's customers, here or on the cluster); no
/// other view needs them.
async fn maps_for(state: &AppState, view: View, ev: &Evidence) -> AppResult<Vec<(i64, String)>> {
    if view != View::Variants {
        return Ok(Vec::new());
    }
    let id = ev.id;
    state.db.read(move |c| store::maps_using(c, id)).await
}

/// The page's view beside the same view of side B (another period, or
/// another log of the workspace, every other choice alike), each side
/// with its own chart, table and downloads. `side_a` is this page's
/// answer and what it drew.
async fn compared(
    state: &AppState,
    ev: &Evidence,
    ask: &Ask,
    view: View,
    ws: i64,
    side_a: (&Answer, Markup),
) -> AppResult<Markup> {
    let (a_answer, a) = side_a;
    let b_ask = ask.side_b();
    let b_ev = match ask.vs_log()? {
        Some(other) => log_of(state, ws, other).await?,
        None => ev.clone(),
    };
    let b_here = base(ws, b_ev.id, view);
    let b_maps = maps_for(state, view, &b_ev).await?;
    let (b, headline) = match analytics::answer(state, &b_ev, view, &b_ask).await {
        Ok(answer) => {
            let b = drawn(answer.clone(), &b_ask, &b_ev, ws, &b_here, "b", &b_maps).await?;
            (b, headline_figures(a_answer, &answer))
        }
        Err(AppError::Unprocessable(m) | AppError::BadRequest(m) | AppError::Unavailable(m)) => {
            (html! { section.card.error-box role="alert" { p { (m) } } }, Vec::new())
        }
        Err(e) => return Err(e),
    };
    let side = |name: &str, ev: &Evidence, q: &Ask| {
        let period = match (q.from.as_str(), q.to.as_str()) {
            ("", "") => "all time".to_string(),
            (f, "") => format!("from {}", date_value(f)),
            ("", t) => format!("before {}", date_value(t)),
            (f, t) => format!("{} to before {}", date_value(f), date_value(t)),
        };
        html! { h2.compare-side { span.badge { (name) } " " (ev.file_name) " · " (period) } }
    };
    Ok(html! {
        @if !headline.is_empty() {
            section.card.compare-headline {
                h2 { "A against B" }
                table.list.data.headline {
                    thead { tr { th { "Figure" } th.num { "A" } th.num { "B" } th.num { "B − A" } } }
                    tbody { @for h in &headline { tr { td { (h.label) } td.num { (h.a) } td.num { (h.b) } td.num { (h.delta) } } } }
                }
            }
        }
        div.compare-pair {
            section.compare-a aria-label="Side A" { (side("A", ev, &ask.side_a())) (a) }
            section.compare-b aria-label="Side B" { (side("B", &b_ev, &b_ask)) (b) }
        }
    })
}

/// One headline figure of both sides and their difference, as shown.
struct Headline {
    label: String,
    a: String,
    b: String,
    delta: String,
}

/// The figures a comparison leads with: counts (difference and change in
/// percent) and shares (difference in points), by view.
fn headline_figures(a: &Answer, b: &Answer) -> Vec<Headline> {
    let count = |label: &str, x: u64, y: u64| {
        let change =
            if x == 0 { String::new() } else { format!(" ({:+.1}%)", (y as f64 - x as f64) * 100.0 / x as f64) };
        let delta = i128::from(y) - i128::from(x);
        let sign = match delta.signum() {
            1 => "+",
            -1 => "−",
            _ => "",
        };
        Headline {
            label: label.to_string(),
            a: group_digits(x),
            b: group_digits(y),
            delta: format!("{sign}{}{}", group_digits(delta.unsigned_abs() as u64), change.replace('-', "−")),
        }
    };
    let share = |label: String, x: f64, y: f64| Headline {
        label,
        a: format!("{:.1}%", x * 100.0),
        b: format!("{:.1}%", y * 100.0),
        delta: format!("{:+.1} pts", (y - x) * 100.0).replace('-', "−"),
    };
    let of = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    match (a, b) {
        (Answer::Overview(x), Answer::Overview(y)) => vec![
            count("Customers", x.customers, y.customers),
            count("Events", x.events, y.events),
            count("Touchpoints", x.touchpoints.len() as u64, y.touchpoints.len() as u64),
        ],
        (Answer::Funnel(x), Answer::Funnel(y)) => {
            let whole =
                |v: &cjm_analytics::FunnelView| v.report.steps.last().map_or(0.0, |l| of(l.reached, v.customers));
            let mut out = vec![
                count("Customers", x.customers, y.customers),
                share("Converted, of all customers".into(), whole(x), whole(y)),
            ];
            for (i, (sx, sy)) in x.report.steps.iter().zip(&y.report.steps).enumerate() {
                out.push(share(format!("{}. {} (conversion)", i + 1, sx.touchpoint), sx.conversion, sy.conversion));
            }
            out
        }
        (Answer::Variants(x), Answer::Variants(y)) => {
            let top = |v: &cjm_analytics::VariantsView| v.top.first().map_or(0.0, |t| of(t.count, v.customers));
            vec![
                count("Customers", x.customers, y.customers),
                count("Variants", x.n_variants, y.n_variants),
                share("The most common variant's share".into(), top(x), top(y)),
            ]
        }
        _ => Vec::new(),
    }
}

/// Compare with another period or another log: a GET form keeping every
/// other choice, and a link that stops comparing.
fn compare_form(ask: &Ask, here: &str, id: i64, logs: &[store::LogEntry]) -> Markup {
    let keep = ask.side_a();
    html! {
        details.card.compare-form open[ask.comparing()] {
            summary { "Compare" @if ask.comparing() { span.muted { " — side by side below" } } }
            form method="get" action=(here) aria-label="Compare" {
                (hidden(&keep))
                div.filter-row {
                    label { "Other period from" input type="date" name="from2" value=(date_value(&ask.from2)); }
                    label { "before" input type="date" name="to2" value=(date_value(&ask.to2)); }
                    label { "Other log"
                        select name="vs" {
                            option value="" { "this log" }
                            @for l in logs.iter().filter(|l| l.id != id) { option value=(l.id) selected[ask.vs == l.id.to_string()] { (l.file_name) } }
                        }
                    }
                    button type="submit" { "Compare" }
                    @if ask.comparing() { a.button href={ (here) (keep.with(|_| {})) } { "Stop comparing" } }
                }
                p.muted { "Side A is this log with the filters above; side B the other period, the other log, or both, with every other filter alike." }
            }
        }
    }
}

/// The funnel's query with `at_step=k`: the customers who dropped at step k.
fn at_step(ask: &Ask, k: usize) -> String {
    let q = ask.with(|_| {});
    format!("{q}{}at_step={k}", if q.is_empty() { "?" } else { "&" })
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// How the log read: rows left out and why, and the lifecycle note.
fn read_card(r: &crate::service::evidence::LogSummary) -> Markup {
    html! {
        @if r.bad_rows > 0 || r.lifecycle_skipped > 0 {
            section.card.read-notes {
                h2 { "How the log read" }
                @if r.bad_rows > 0 {
                    p { (group_digits(r.bad_rows)) " rows were left out:" }
                    ul { @for p in &r.problems { li { (p) } } }
                    @for h in &r.hints { p.hint { (h) } }
                }
                @if r.lifecycle_skipped > 0 {
                    p.lifecycle-note { (group_digits(r.lifecycle_skipped)) " start (and other non-complete) events were left out: the log has start/complete pairs, so each activity counts once, at its completion. Every figure on these pages is of the complete events." }
                }
            }
        }
    }
}

fn overview_tables(o: &cjm_analytics::Overview) -> Markup {
    let time = |t: Option<i64>| t.map_or("-".to_string(), |us| super::format_time(us.div_euclid(1_000_000)));
    html! {
        section.card {
            h2 { "The log" }
            dl.facts {
                dt { "Events" } dd { (group_digits(o.events)) }
                dt { "Customers" } dd { (group_digits(o.customers)) }
                dt { "First event" } dd { (time(o.first)) }
                dt { "Last event" } dd { (time(o.last)) }
                dt { "Touchpoints" } dd { (o.touchpoints.len()) }
                dt { "Channels" } dd { (o.channels.len()) }
            }
        }
        section.card {
            h2 { "Touchpoints" }
            table.list.data.touchpoints {
                thead { tr { th { "Touchpoint" } th.num { "Events" } th.num { "Customers" } th.num { "Share of customers" } th.num { "Mean score" } } }
                tbody { @for t in &o.touchpoints { tr {
                    td { (t.touchpoint) } td.num { (group_digits(t.events)) } td.num { (group_digits(t.customers)) }
                    td.num { (pct(t.customers, o.customers)) } td.num { (t.mean_score.map_or("-".into(), |s| format!("{s:.2}"))) }
                } } }
            }
        }
        @if !o.channels.is_empty() {
            section.card {
                h2 { "Channels" }
                table.list.data.channels {
                    thead { tr { th { "Channel" } th.num { "Events" } th.num { "Customers" } th.num { "Share of customers" } } }
                    tbody { @for c in &o.channels { tr {
                        td { (c.channel) } td.num { (group_digits(c.events)) } td.num { (group_digits(c.customers)) } td.num { (pct(c.customers, o.customers)) }
                    } } }
                }
            }
        }
    }
}

fn funnel_table(v: &cjm_analytics::FunnelView, here: &str, ask: &Ask) -> Markup {
    let steps = &v.report.steps;
    html! {
        section.card {
            h2 { "Step by step" }
            p.muted { "Conversion is from the previous step (the first step: from all " (group_digits(v.customers)) " customers). Drop-off is the rest." }
            table.list.data.funnel {
                thead { tr { th { "Step" } th.num { "Customers" } th.num { "Conversion" } th.num { "Drop-off" } th.num { "Median from step 1" } th { "Dropped here" } } }
                tbody { @for (i, s) in steps.iter().enumerate() { tr {
                    td { (i + 1) ". " (s.touchpoint) }
                    td.num { (group_digits(s.reached)) }
                    td.num { (format!("{:.1}%", s.conversion * 100.0)) }
                    td.num { (format!("{:.1}%", s.drop_off * 100.0)) }
                    td.num { (s.median_seconds_from_start.filter(|_| i > 0).map_or("-".into(), duration)) }
                    td { @let n = v.report.dropped.get(i).map_or(0, Vec::len);
                        @if n > 0 { a href={ (here) "/dropped.csv" (at_step(ask, i + 1)) } download { (group_digits(n as u64)) " customers (CSV)" } } @else { "-" } }
                } } }
            }
            @if !v.breakdown.is_empty() {
                h3 { "By " (v.by.as_deref().unwrap_or("")) }
                table.list.data.breakdown {
                    thead { tr { th { "Segment" } th.num { "Customers" } @for (i, s) in steps.iter().enumerate() { th.num { (i + 1) ". " (s.touchpoint) } } } }
                    tbody { @for seg in &v.breakdown { tr {
                        td { a href={ (here) (ask.with(|a| { a.segment = format!("{}={}", v.by.as_deref().unwrap_or(""), seg.value); a.by.clear(); })) }
                            title="this segment's funnel alone, with its dropped customers" { (seg.value) } }
                        td.num { (group_digits(seg.customers)) }
                        @for s in &seg.report.steps { td.num { (group_digits(s.reached)) " · " (pct(s.reached, seg.customers)) } }
                    } } }
                }
                @if v.segments_left_out > 0 { p.muted { (v.segments_left_out) " smaller segments are not shown." } }
            }
        }
    }
}

fn paths_table(p: &cjm_mine::paths::Paths) -> Markup {
    html! {
        section.card {
            h2 { "The flows" }
            p.muted { (group_digits(p.anchored)) " of " (group_digits(p.customers)) " customers are on these paths." }
            table.list.data.flows {
                thead { tr { th { "From" } th { "To" } th.num { "Customers" } th.num { "Share" } } }
                tbody { @for l in &p.links { @if let (Some(a), Some(b)) = (p.nodes.get(l.from), p.nodes.get(l.to)) { tr {
                    td { "step " (a.column + 1) ": " (a.name) } td { "step " (b.column + 1) ": " (b.name) }
                    td.num { (group_digits(l.customers)) } td.num { (pct(l.customers, p.anchored)) }
                } } } }
            }
        }
    }
}

fn process_table(v: &cjm_analytics::ProcessView) -> Markup {
    html! {
        section.card {
            h2 { "Transitions" }
            p.muted { (v.edges.len()) " of " (v.all_edges) " transitions listed"
                @if v.over_limit() > 0 { "; the chart draws the " (v.edges.len() - v.over_limit()) " most frequent" }
                @if v.hidden_touchpoints > 0 { "; " (v.hidden_touchpoints) " touchpoints not shown" } "." }
            table.list.data.transitions {
                thead { tr { th { "From" } th { "To" } th.num { "Times" } th.num { "Median time" } } }
                tbody { @for e in &v.edges { tr {
                    td { (e.from) } td { (e.to) } td.num { (group_digits(e.count)) } td.num { (e.median_seconds.map_or("-".into(), duration)) }
                } } }
            }
        }
    }
}

fn variants_table(v: &cjm_analytics::VariantsView, ask: &Ask, ws: i64, id: i64, maps: &[(i64, String)]) -> Markup {
    let covered: Vec<u64> = v
        .top
        .iter()
        .scan(0u64, |acc, x| {
            *acc += x.count;
            Some(*acc)
        })
        .collect();
    html! {
        section.card {
            h2 { "Variants" }
            p.muted { (group_digits(v.n_variants)) " distinct paths among " (group_digits(v.customers)) " customers." }
            table.list.data.variants {
                thead { tr { th { "#" } th.num { "Customers" } th.num { "Share" } th.num { "Cumulative" } th { "Path" } th { "Look closer" } } }
                tbody { @for (i, x) in v.top.iter().enumerate() {
                    @let seq = x.sequence.join(" → ");
                    tr {
                        td { (i + 1) } td.num { (group_digits(x.count)) } td.num { (pct(x.count, v.customers)) } td.num { (pct(covered[i], v.customers)) }
                        td { (seq) }
                        td {
                            a href={ (base(ws, id, View::Paths)) (only_filters(ask).with(|q| q.variant = seq.clone())) } { "as paths" }
                            // The maps using this log, measured on these customers only.
                            @for (m, title) in maps.iter().take(3) {
                                " · " a href={ "/m/" (m) "/evidence?" (form_urlencoded::Serializer::new(String::new()).append_pair("variant", &seq).finish()) "#figures" } title={ "Measure “" (title) "” on these customers only" } { "measure " (title) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn trend_table(v: &cjm_analytics::TrendView) -> Markup {
    let conv = v.conversion.as_deref().unwrap_or(&[]);
    html! {
        section.card {
            h2 { "By period" }
            table.list.data.trend {
                thead { tr { th { "From" } th.num { "Events" } th.num { "Active customers" } th.num { "New customers" }
                    @if !conv.is_empty() { th.num { "Started the funnel" } th.num { "Converted" } } } }
                tbody { @for b in &v.buckets { tr {
                    td { (b.start) } td.num { (group_digits(b.events)) } td.num { (group_digits(b.customers)) } td.num { (group_digits(b.new_customers)) }
                    @if !conv.is_empty() {
                        @let c = conv.iter().find(|c| c.start == b.start);
                        td.num { (c.map_or("-".into(), |c| group_digits(c.entered))) }
                        td.num { (c.map_or("-".into(), |c| format!("{} · {}", group_digits(c.converted), pct(c.converted, c.entered)))) }
                    }
                } } }
            }
        }
    }
}

/// A chart of a view as SVG, PNG or PDF: `{name}.{ext}`.
pub(crate) async fn chart(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Path((_, id, view, file)): Path<(i64, i64, String, String)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let view = View::from_slug(&view).ok_or(AppError::NotFound)?;
    let (name, ext) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let which = match name {
        "funnel" | "paths" | "process" | "variants" | "trend" => Which::Main,
        "time-to-convert" | "conversion" => Which::Second,
        _ => return Err(AppError::NotFound),
    };
    let ev = log_of(&state, access.ws, id).await?;
    let ask = Ask::parse(raw.as_deref())?;
    let answer = analytics::answer(&state, &ev, view, &ask).await?;
    let chart = analytics::chart(&answer, which, &ask, &ev.file_name, &|_| None).ok_or(AppError::NotFound)?;
    chart_download(chart, ext, &format!("{name}.{ext}")).await
}

/// A chart as a download named `file`: SVG, PNG or PDF by `ext` (drawn on
/// the blocking pool); `404` for another extension.
pub(super) async fn chart_download(chart: cjm_render::charts::Chart, ext: &str, file: &str) -> AppResult<Response> {
    let mime = cjm_render::charts::chart_mime(ext).ok_or(AppError::NotFound)?;
    let ext = ext.to_string();
    let bytes = tokio::task::spawn_blocking(move || cjm_render::charts::chart_file(&chart, &ext))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(bytes, mime, file))
}

/// The customers who dropped at funnel step `at_step` (at every step
/// without it), as CSV.
pub(crate) async fn dropped(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Path((_, id)): Path<(i64, i64)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let ev = log_of(&state, access.ws, id).await?;
    let ask = Ask::parse(raw.as_deref())?;
    let step: Option<usize> = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "at_step")
        .and_then(|(_, v)| v.parse().ok());
    let answer = analytics::answer(&state, &ev, View::Funnel, &ask).await?;
    let Answer::Funnel(v) = answer.as_ref() else { return Err(AppError::NotFound) };
    let mut report = v.report.clone();
    if let Some(k) = step {
        for (i, d) in report.dropped.iter_mut().enumerate() {
            if i + 1 != k {
                d.clear();
            }
        }
    }
    let csv = cjm_analytics::dropped_csv(&report);
    let name = step.map_or("dropped.csv".to_string(), |k| format!("dropped-at-step-{k}.csv"));
    Ok(download(csv.into_bytes(), "text/csv; charset=utf-8", &name))
}

pub(super) fn download(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "private, max-age=60".to_string()),
        ],
        bytes,
    )
        .into_response()
}
