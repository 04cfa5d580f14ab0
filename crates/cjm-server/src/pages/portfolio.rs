//! The opportunity portfolio pages: a map's and a workspace's, each the
//! impact × effort matrix (server-drawn SVG, downloadable as SVG, PNG and
//! PDF) and the ranked list with the pains each addresses, filtered by
//! status, owner, stage, persona, severity (and map, across a workspace),
//! with a CSV for Jira or Linear and the JSON.

use super::logs::{chart_download, download};
use super::{maps, Page};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::{MapAccess, Viewer, WorkspaceAccess};
use crate::service::portfolio::{self, Ask, Portfolio, STATUSES};
use crate::store;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use cjm_model::portfolio::{choices, Item};
use maud::{html, Markup, PreEscaped};

/// Rows the page's list shows; the CSV and JSON hold every one.
const PAGE_ROWS: usize = 500;

pub(crate) async fn map_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let ask = Ask { map: String::new(), ..Ask::parse(raw.as_deref())? };
    let p = portfolio::of(&state, vec![map.clone()], &ask).await?;
    let here = format!("/m/{}/opportunities", map.id);
    let body = html! {
        div.page-head { h1 { "Opportunities of " (map.title) } }
        (maps::tabs(&map, role, "opportunities"))
        (content(&p, &ask, &here, &map.title, None))
        p.muted { "Across every map of the workspace: " a href={ "/w/" (map.workspace_id) "/opportunities" } { "the workspace's portfolio" } "." }
    };
    Ok(Page::new("Opportunities", &who, "portfolio", body).crumbs(maps::crumbs(&map, &ws)).wide().render())
}

pub(crate) async fn workspace_page(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let ask = Ask::parse(raw.as_deref())?;
    let ws = access.ws;
    let maps = workspace_maps(&state, ws).await?;
    let p = portfolio::of(&state, maps, &ask).await?;
    let name = access.workspace.name.clone();
    let here = format!("/w/{ws}/opportunities");
    let body = html! {
        div.page-head { h1 { "Opportunities of " (name) } div.actions { a.button href={ "/w/" (ws) } { "Maps" } } }
        (content(&p, &ask, &here, &name, Some(&p.maps)))
    };
    Ok(Page::new("Opportunities", &who, "portfolio", body)
        .crumbs(vec![(format!("/w/{ws}"), name.clone())])
        .wide()
        .render())
}

/// `matrix.svg|png|pdf`, `opportunities.csv|json` of a map.
pub(crate) async fn map_file(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Path((_, file)): Path<(i64, String)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let ask = Ask { map: String::new(), ..Ask::parse(raw.as_deref())? };
    let title = access.map.title.clone();
    let p = portfolio::of(&state, vec![access.map], &ask).await?;
    file_of(p, &file, &title).await
}

pub(crate) async fn workspace_file(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Path((_, file)): Path<(i64, String)>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let ask = Ask::parse(raw.as_deref())?;
    let maps = workspace_maps(&state, access.ws).await?;
    let p = portfolio::of(&state, maps, &ask).await?;
    file_of(p, &file, &access.workspace.name).await
}

/// The workspace's maps, oldest first, so ranks keep their order as maps change.
async fn workspace_maps(state: &AppState, ws: i64) -> AppResult<Vec<store::MapInfo>> {
    let mut maps = state.db.read(move |c| store::maps_in(c, ws, "", "")).await?;
    maps.sort_by_key(|m| m.id);
    Ok(maps)
}

async fn file_of(p: Portfolio, file: &str, name: &str) -> AppResult<Response> {
    let stem = crate::service::drawings::file_stem(name);
    match file {
        "opportunities.csv" => Ok(download(
            cjm_model::portfolio::csv(&p.shown).into_bytes(),
            "text/csv; charset=utf-8",
            &format!("{stem}-opportunities.csv"),
        )),
        "opportunities.json" => {
            let json = serde_json::to_vec_pretty(&serde_json::json!({ "opportunities": p.shown }))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(download(json, "application/json", &format!("{stem}-opportunities.json")))
        }
        "matrix.svg" | "matrix.png" | "matrix.pdf" => {
            let ext = file.rsplit('.').next().unwrap_or("svg");
            chart_download(chart(&p, name, false), ext, &format!("{stem}-{file}")).await
        }
        _ => Err(AppError::NotFound),
    }
}

fn summary(items: &[Item]) -> String {
    let what = if items.len() == 1 { "opportunity" } else { "opportunities" };
    if items.is_empty() {
        format!("No {what}")
    } else {
        format!("{} {what}: {}", items.len(), cjm_model::portfolio::counted(items))
    }
}

/// The matrix; `bare` for the page (no heading, no list: the page has them).
fn chart(p: &Portfolio, name: &str, bare: bool) -> cjm_render::charts::Chart {
    cjm_render::charts::MatrixChart {
        title: format!("Opportunities: {name}"),
        subtitle: summary(&p.shown),
        items: p.shown.clone(),
        bare,
    }
    .into()
}

fn content(p: &Portfolio, ask: &Ask, here: &str, name: &str, maps: Option<&[(i64, String)]>) -> Markup {
    let svg = cjm_render::charts::chart_svg_ids(&chart(p, name, true), false, "matrix");
    let q = ask.query();
    let filtered = p.shown.len() != p.all.len();
    html! {
        (filter_form(p, ask, here, maps))
        p.portfolio-summary {
            (summary(&p.shown))
            @if filtered { " (of " (p.all.len()) " in all; " a href=(here) { "show all" } ")" }
            @if p.all.is_empty() { ". Add one under a step: " code { "opportunity: Show the price [impact high, effort low]" } "." }
        }
        section.card.chart {
            h2 { "Impact × effort" }
            div.chart-frame { (PreEscaped(svg)) }
            p.chart-downloads { "Download: "
                @for ext in ["svg", "png", "pdf"] { a href={ (here) "/matrix." (ext) (q) } download { (ext.to_uppercase()) } " " }
                a href={ (here) "/opportunities.csv" (q) } download title="Summary, Description, Priority, Status, Assignee and Labels columns, as Jira's and Linear's CSV importers read them" { "CSV for Jira or Linear" } " "
                a href={ (here) "/opportunities.json" (q) } download { "JSON" }
            }
        }
        (list(p, maps.is_some()))
    }
}

fn filter_form(p: &Portfolio, ask: &Ask, here: &str, maps: Option<&[(i64, String)]>) -> Markup {
    let (owners, stages, personas) = choices(&p.all);
    let select = |name: &str, label: &str, values: &[String], chosen: &str| -> Markup {
        html! {
            label { (label)
                select name=(name) {
                    option value="" selected[chosen.is_empty()] { "any" }
                    @for v in values { option value=(v) selected[chosen == v] { (v) } }
                }
            }
        }
    };
    html! {
        form.card.filters.portfolio-filters method="get" action=(here) {
            fieldset.statuses {
                legend { "Status" }
                @for s in STATUSES {
                    label.check { input type="checkbox" name="status" value=(s) checked[ask.status.iter().any(|x| x == s)]; " " (s) }
                }
            }
            (select("owner", "Owner", &owners, &ask.owner))
            (select("stage", "Stage", &stages, &ask.stage))
            (select("persona", "Persona", &personas, &ask.persona))
            label { "Pain at least"
                select name="severity" {
                    option value="" selected[ask.severity.is_empty()] { "any" }
                    @for n in 1..=5 { option value=(n) selected[ask.severity == n.to_string()] { "severity " (n) } }
                }
            }
            @if let Some(maps) = maps {
                label { "Map"
                    select name="map" {
                        option value="" selected[ask.map.is_empty()] { "every map" }
                        @for (id, title) in maps { option value=(id) selected[ask.map == id.to_string()] { (title) } }
                    }
                }
            }
            div.actions { button.primary type="submit" { "Apply" } " " a href=(here) { "Clear" } }
        }
    }
}

fn list(p: &Portfolio, across: bool) -> Markup {
    let level = |l: Option<cjm_model::Level>| l.map_or("-", |l| l.as_str());
    html! {
        section.card {
            h2 { "By priority" }
            p.muted { "Open before done and dropped; quick wins, big bets, fill-ins, then money pits; within each, higher impact, lower effort and the worse pain first." }
            table.list.data.portfolio {
                thead { tr {
                    th.num { "#" } th { "Opportunity" } th { "Quadrant" } th { "Impact" } th { "Effort" } th { "Status" } th { "Owner" }
                    @if across { th { "Map" } } th { "Stage · step" } th { "Pain points it addresses" }
                } }
                tbody {
                    @for i in p.shown.iter().take(PAGE_ROWS) {
                        @let map_id = p.maps.get(i.map_index).map_or(0, |m| m.0);
                        tr.closed[!i.is_open()] {
                            td.num { (i.rank) }
                            td { (i.text) }
                            td { span class={ "quadrant q-" (i.quadrant.as_str()) } { (i.quadrant.name()) } }
                            td { (level(i.impact)) } td { (level(i.effort)) }
                            td { (i.status.map_or("-", |s| s.as_str())) }
                            td { (i.owner.as_deref().unwrap_or("-")) }
                            @if across { td { a href={ "/m/" (map_id) "/opportunities" } { (i.map) } } }
                            td { a href={ "/m/" (map_id) "?step=" (super::urlencode(&i.step_id)) } {
                                @if !i.stage.is_empty() { (i.stage) " · " } (i.step) } }
                            td { @if i.pains.is_empty() { span.muted { "-" } } @else {
                                ul.pains { @for pain in &i.pains { li { (pain.text) @if let Some(s) = pain.severity { " " span.severity title={ "severity " (s) " of 5" } { "(" (s) ")" } } } } }
                            } }
                        }
                    }
                }
            }
            @if p.shown.len() > PAGE_ROWS { p.muted { (p.shown.len() - PAGE_ROWS) " more: the CSV and JSON list them all." } }
        }
    }
}
