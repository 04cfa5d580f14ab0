//! The workspace's persona library page: every persona as a card with its
//! portrait, the maps that take it and its recent versions; editors add,
//! edit, give portraits and remove.

use super::{when, Page};
use crate::auth::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::extract::{Viewer, WorkspaceAccess};
use crate::service::personas::{self, LibraryPersona, LIBRARY_FILE};
use crate::store;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

pub(crate) async fn library_page(
    State(state): State<AppState>,
    who: Principal,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Response> {
    let w = access.workspace.clone();
    let ws = access.ws;
    let (rows, users, versions) = state
        .db
        .read(move |c| {
            let rows = store::library_personas(c, ws)?;
            Ok::<_, AppError>((rows, store::persona_users_in(c, ws)?, store::recent_persona_versions(c, ws, 8)?))
        })
        .await?;
    let can_edit = w.role >= Role::Editor;
    let body = html! {
        div.page-head {
            h1 { "Personas of " (w.name) }
            div.actions {
                a.button href={ "/api/workspaces/" (ws) "/personas.cjm" } download="personas.cjm" { "Download " (LIBRARY_FILE) }
            }
        }
        p.muted.lede {
            "Personas defined once and taken into every map that names them. In a map's header write "
            code { "use " (LIBRARY_FILE) } " for all of them, or " code { "use Sam, Dana from " (LIBRARY_FILE) } " for some. "
            "Editing a persona here saves a new version of each map that takes it, and each map's history says which persona version it drew."
        }
        @if rows.is_empty() {
            section.card.empty { p { "No personas yet." @if can_edit { " Add the first one below." } } }
        }
        ul.persona-library {
            @for row in &rows {
                @let used = users.get(&row.id).map(Vec::as_slice).unwrap_or(&[]);
                @let shown = personas::shown(ws, row, used.len() as i64);
                @let history = versions.get(&row.id).map(Vec::as_slice).unwrap_or(&[]);
                (card(ws, &shown, used, history, can_edit))
            }
        }
        @if can_edit {
            section.card #new-persona {
                h2 { "Add a persona" }
                (persona_form(ws, None))
            }
        }
    };
    let crumbs = vec![(format!("/w/{ws}"), w.name.clone())];
    Ok(Page::new("Personas", &who, "personas", body).crumbs(crumbs).render())
}

fn card(
    ws: i64,
    p: &LibraryPersona,
    used: &[store::PersonaUser],
    history: &[store::PersonaVersion],
    can_edit: bool,
) -> Markup {
    html! {
        li.card.persona-entry #{ "persona-" (p.id) } {
            div.persona-head {
                @match &p.portrait {
                    Some(src) => img.portrait src=(src) alt={ "Portrait of " (p.name) } width="72" height="72";,
                    None => span.portrait.initials aria-hidden="true" { (cjm_model::initials(&p.name)) },
                }
                div {
                    h2 { (p.name) }
                    @if let Some(s) = &p.segment { p.segment { (s) } }
                    p.muted.small { "Version " (p.version) " · " (p.updated_by) " · " (when(p.updated_at)) }
                }
            }
            @if let Some(d) = &p.description { p { (d) } }
            @if let Some(q) = &p.quote { blockquote { "“" (q) "”" } }
            (facts("Goals", &p.goals))
            (facts("Needs", &p.needs))
            (facts("Pains", &p.pains))
            div.used-by {
                @if used.is_empty() {
                    p.muted.small { "No map takes " (p.name) " yet: add " code { "use " (p.name) " from " (LIBRARY_FILE) } " to a map's header." }
                } @else {
                    p.small { "Taken by " (used.len()) " map" @if used.len() != 1 { "s" } ":" }
                    ul.inline-list {
                        @for u in used {
                            li { a href={ "/m/" (u.map_id) } { (u.title) } " " span.muted { "(v" (u.head) ", drew version " (u.persona_version) ")" } }
                        }
                    }
                }
            }
            @if !history.is_empty() {
                details.history {
                    summary { "History" }
                    ol.versions {
                        @for v in history {
                            li { "Version " (v.version) " · " (v.author) " · " (when(v.created_at)) @if !v.message.is_empty() { " — " (v.message) } }
                        }
                    }
                }
            }
            @if can_edit {
                details.edit-persona {
                    summary { "Edit " (p.name) }
                    (persona_form(ws, Some(p)))
                    div.portrait-upload {
                        label {
                            "Portrait (PNG, JPEG or WebP, at most 8 MiB; stored as a 512 px JPEG)"
                            input type="file" accept="image/png,image/jpeg,image/webp" data-portrait={ "/api/workspaces/" (ws) "/personas/" (p.id) "/portrait?base_version=" (p.version) } aria-label={ "Portrait of " (p.name) };
                        }
                    }
                    @if used.is_empty() {
                        button.link.danger type="button" data-method="DELETE" data-action={ "/api/workspaces/" (ws) "/personas/" (p.id) } data-confirm={ "Remove " (p.name) " from the library?" } { "Remove from the library" }
                    } @else {
                        p.muted.small { "Maps take " (p.name) ", so it cannot be removed or renamed." }
                    }
                }
            }
        }
    }
}

fn facts(title: &str, items: &[String]) -> Markup {
    html! {
        @if !items.is_empty() {
            div.facts { h3 { (title) } ul { @for i in items { li { (i) } } } }
        }
    }
}

/// The add form (`p` = `None`) or the edit form of `p`.
fn persona_form(ws: i64, p: Option<&LibraryPersona>) -> Markup {
    let (method, action) = match p {
        Some(p) => ("PUT", format!("/api/workspaces/{ws}/personas/{}", p.id)),
        None => ("POST", format!("/api/workspaces/{ws}/personas")),
    };
    let lines = |v: Option<&Vec<String>>| v.map(|v| v.join("\n")).unwrap_or_default();
    html! {
        form.api-form.persona-form data-method=(method) data-action=(action) {
            @if let Some(p) = p { input type="hidden" name="base_version" value=(p.version) data-type="number"; }
            div.grid {
                label { "Name" input type="text" name="name" required maxlength="80" value=[p.map(|p| &p.name)]; }
                label { "Segment" input type="text" name="segment" maxlength="500" value=[p.and_then(|p| p.segment.as_ref())]; }
            }
            label { "Description" textarea name="description" rows="2" maxlength="2000" { (p.and_then(|p| p.description.clone()).unwrap_or_default()) } }
            label { "Quote" input type="text" name="quote" maxlength="2000" value=[p.and_then(|p| p.quote.as_ref())]; }
            div.grid {
                label { "Goals (one a line)" textarea name="goals" rows="3" data-type="lines" { (lines(p.map(|p| &p.goals))) } }
                label { "Needs (one a line)" textarea name="needs" rows="3" data-type="lines" { (lines(p.map(|p| &p.needs))) } }
                label { "Pains (one a line)" textarea name="pains" rows="3" data-type="lines" { (lines(p.map(|p| &p.pains))) } }
            }
            @if p.is_some_and(|p| p.portrait.is_some()) {
                label.check { input type="checkbox" name="remove_portrait" data-type="bool"; " Remove the portrait" }
            }
            @if p.is_some() { label { "What changed (for the history)" input type="text" name="message" maxlength="500"; } }
            button.primary type="submit" { @if p.is_some() { "Save" } @else { "Add persona" } }
        }
    }
}
