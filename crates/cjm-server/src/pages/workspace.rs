//! The gallery of a workspace, the new-map form and the members page.

use super::{when, Page};
use crate::auth::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::extract::{Editor, Query, Viewer, WorkspaceAccess};
use crate::store;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

/// What a gallery card shows of a map besides its record: personas and state.
struct CardFacts {
    personas: Vec<String>,
    state: Option<&'static str>,
    steps: usize,
}

async fn card_facts(state: &AppState, maps: &[store::MapInfo]) -> AppResult<Vec<CardFacts>> {
    let keys: Vec<(i64, i64)> = maps.iter().map(|m| (m.id, m.head)).collect();
    let state = state.clone();
    state
        .clone()
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for (id, head) in keys {
                let v = store::version(c, id, head)?;
                let map = &state.checked(v.id, v.source.as_deref().unwrap_or_default()).journey;
                out.push(CardFacts {
                    personas: map.persona_names(),
                    state: map.state.map(|s| s.as_str()),
                    steps: map.steps().count(),
                });
            }
            Ok::<_, AppError>(out)
        })
        .await
}

pub(crate) async fn gallery(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
    Query(q): Query<crate::api::ListQuery>,
) -> AppResult<Response> {
    let w = access.workspace.clone();
    let ws = access.ws;
    let (query, tag) = (q.q.clone(), q.tag.clone());
    let (maps, all) = state
        .db
        .read(move |c| Ok::<_, AppError>((store::maps_in(c, ws, &query, &tag)?, store::maps_in(c, ws, "", "")?)))
        .await?;
    let facts = card_facts(&state, &maps).await?;
    let uid = access.user.id;
    let mentions: Vec<store::Mention> = state
        .db
        .read(move |c| store::mentions(c, uid, Some(ws), 20))
        .await?
        .into_iter()
        .filter(|m| !m.resolved)
        .take(5)
        .collect();
    let mut tags: Vec<String> = all.iter().flat_map(|m| m.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let can_edit = w.role >= Role::Editor;
    let body = html! {
        div.page-head {
            h1 { (w.name) }
            div.actions {
                a.button href="/?all" { "All workspaces" }
                a.button href={ "/w/" (ws) "/members" } { "Members" }
                a.button href={ "/w/" (ws) "/personas" } { "Personas" }
                a.button href={ "/w/" (ws) "/logs" } { "Logs" }
                a.button href={ "/w/" (ws) "/opportunities" } { "Opportunities" }
                @if can_edit { a.button.primary href={ "/w/" (ws) "/new" } { "New map" } }
            }
        }
        form.search role="search" method="get" action={ "/w/" (ws) } {
            input type="search" name="q" value=(q.q) placeholder="Search titles, tags and map text" aria-label="Search maps";
            @if !q.tag.is_empty() { input type="hidden" name="tag" value=(q.tag); }
            button type="submit" { "Search" }
        }
        @if !tags.is_empty() {
            nav.tags aria-label="Tags" {
                a.tag.selected[q.tag.is_empty()] href={ "/w/" (ws) } { "All" }
                @for t in &tags { a.tag.selected[q.tag == *t] href={ "/w/" (ws) "?tag=" (super::urlencode(t)) } { "#" (t) } }
            }
        }
        @if !mentions.is_empty() {
            section.card.mentions {
                h2 { "Mentioned you" }
                ul.list { @for m in &mentions { li { a href={ "/m/" (m.map_id) "#comment-" (m.comment_id) } { (m.map_title) } " — " strong { (m.author) } ": " span.muted { (m.body.chars().take(140).collect::<String>()) } " " (when(m.created_at)) } } }
            }
        }
        @if maps.is_empty() {
            p.empty { @if q.q.is_empty() && q.tag.is_empty() { "No maps yet." } @else { "No map matches." } }
        }
        ul.gallery {
            @for (m, f) in maps.iter().zip(&facts) {
                li.map-card {
                    a href={ "/m/" (m.id) } {
                        div.thumb { img src={ "/m/" (m.id) "/map.svg?v=" (m.head) } alt={ "Map: " (m.title) } loading="lazy"; }
                        h2 { (m.title) }
                    }
                    p.meta {
                        @if let Some(s) = f.state { span class={ "state state-" (s) } { (s) } " " }
                        (f.steps) @if f.steps == 1 { " step" } @else { " steps" }
                        @if !f.personas.is_empty() { " · " (f.personas.join(", ")) }
                    }
                    p.meta.muted { (m.owner) " · changed " (when(m.updated_at)) }
                    @if !m.tags.is_empty() { p.tags { @for t in &m.tags { a.tag href={ "/w/" (ws) "?tag=" (super::urlencode(t)) } { "#" (t) } } } }
                }
            }
        }
    };
    Ok(Page::new(&w.name, &who, "gallery", body).crumbs(vec![(format!("/w/{ws}"), w.name.clone())]).wide().render())
}

pub(crate) async fn new_map(who: Principal, access: WorkspaceAccess<Editor>) -> AppResult<Response> {
    let w = access.workspace.clone();
    let ws = access.ws;
    let body = html! {
        h1 { "New map" }
        form.api-form.card data-method="POST" data-action={ "/api/workspaces/" (ws) "/maps" } data-then="url" {
            label { "Title" input type="text" name="title" placeholder="e.g. Buying a bike online" maxlength="200"; }
            fieldset.templates {
                legend { "Start from" }
                label.choice { input type="radio" name="template" value="" checked; span { strong { "An empty map" } br; span.muted { "One stage, one step" } } }
                @for t in cjm_model::templates::ALL {
                    label.choice.template-choice {
                        input type="radio" name="template" value=(t.name);
                        span {
                            img.template-preview src={ "/templates/" (t.name) "/preview.svg" } alt={ "Preview of the " (t.name) " template" } loading="lazy" width="320" height="200";
                            strong { (t.name) } br; span.muted { (t.summary) }
                        }
                    }
                }
            }
            label { "Tags " span.muted { "(comma-separated)" } input type="text" name="tags" placeholder="e.g. checkout, q3"; }
            button.primary type="submit" { "Create map" }
        }
    };
    Ok(Page::new("New map", &who, "new-map", body).crumbs(vec![(format!("/w/{ws}"), w.name.clone())]).render())
}

pub(crate) async fn members(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Response> {
    let w = access.workspace.clone();
    let ws = access.ws;
    let list = state.db.read(move |c| store::members(c, ws)).await?;
    let owner = w.role == Role::Owner;
    let pending = if owner { state.db.read(move |c| store::pending_invitations(c, ws)).await? } else { Vec::new() };
    let me = who.user().map(|u| u.id);
    let body = html! {
        h1 { "Members of " (w.name) }
        section.card {
            table.list {
                thead { tr { th { "Name" } th { "E-mail" } th { "Role" } @if owner { th {} } } }
                tbody {
                    @for m in &list {
                        tr {
                            td { (m.name) " " span.muted { "@" (m.handle) } }
                            td { (m.email) }
                            td {
                                @if owner {
                                    select.api-select data-method="PUT" data-action={ "/api/workspaces/" (ws) "/members/" (m.user_id) } name="role" aria-label={ "Role of " (m.name) } {
                                        @for r in Role::ALL { option value=(r.as_str()) selected[r == m.role] { (r.as_str()) } }
                                    }
                                } @else { (m.role.as_str()) }
                            }
                            @if owner { td { @if Some(m.user_id) != me { button.link.danger data-method="DELETE" data-action={ "/api/workspaces/" (ws) "/members/" (m.user_id) } data-confirm={ "Remove " (m.name) " from the workspace?" } { "Remove" } } } }
                        }
                    }
                }
            }
        }
        @if owner {
            section.card {
                h2 { "Invite someone" }
                p.muted { "They get a link to join; it works once, for 14 days. Viewers read; commenters also comment; editors also change maps and share them; owners also manage members." }
                form.api-form.row data-method="POST" data-action={ "/api/workspaces/" (ws) "/invitations" } data-reveal="url" {
                    label { "E-mail" input type="email" name="email" required; }
                    label { "Role" select name="role" { @for r in Role::ALL { option value=(r.as_str()) selected[r == Role::Viewer] { (r.as_str()) } } } }
                    button.primary type="submit" { "Make invitation link" }
                }
                p.reveal hidden { "Send this link: " code.secret {} " " button.link type="button" data-copy=".secret" { "Copy" } }
                @if !pending.is_empty() {
                    h3 { "Waiting to be accepted" }
                    table.list {
                        thead { tr { th { "E-mail" } th { "Role" } th { "Expires" } th {} } }
                        tbody {
                            @for i in &pending {
                                tr { td { (i.email) } td { (i.role) } td { (when(i.expires_at)) } td { button.link.danger data-method="DELETE" data-action={ "/api/workspaces/" (ws) "/invitations/" (i.id) } data-confirm={ "Revoke the invitation to " (i.email) "?" } { "Revoke" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new("Members", &who, "members", body).crumbs(vec![(format!("/w/{ws}"), w.name.clone())]).render())
}

/// A template's drawing for the new-map gallery, drawn once per server
/// (the templates are built in, so this costs nothing per request).
pub(crate) async fn template_preview(
    _: crate::extract::SignedIn,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> AppResult<Response> {
    static DRAWN: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    let t = cjm_model::templates::get(&name).ok_or(AppError::NotFound)?;
    let drawn = match DRAWN.get() {
        Some(d) => d,
        None => {
            let all = tokio::task::spawn_blocking(|| {
                cjm_model::templates::ALL
                    .iter()
                    .map(|t| {
                        let opts = cjm_render::Options { embed_font: false, ..Default::default() };
                        (t.name, cjm_render::svg(&cjm_model::check(t.text).journey, &opts))
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
            DRAWN.get_or_init(|| all)
        }
    };
    let svg = drawn.iter().find(|(n, _)| *n == t.name).map(|(_, s)| s.clone()).ok_or(AppError::NotFound)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        svg,
    )
        .into_response())
}
