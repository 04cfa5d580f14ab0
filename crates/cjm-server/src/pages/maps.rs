//! A map's pages: the map itself, its drawing and downloads, the editor,
//! history and comparisons, evidence, share links, and the read-only view
//! that a share link opens.

use super::{island, when, Page};
use crate::auth::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::extract::{Editor, MapAccess, Path, Query, Viewer};
use crate::service::drawings::{self, DownloadQuery, Drawable, Format, View};
use crate::service::{diff, evidence};
use crate::store::{self, MapInfo};
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use cjm_model::measures::Figure;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use serde_json::json;

pub(super) fn crumbs(map: &MapInfo, ws_name: &str) -> Vec<(String, String)> {
    vec![(format!("/w/{}", map.workspace_id), ws_name.to_string()), (format!("/m/{}", map.id), map.title.clone())]
}

/// The SVG of one version for a page (font from the stylesheet, not embedded).
async fn svg_for(
    state: &AppState,
    map: &MapInfo,
    version: i64,
    view: &View,
    with_evidence: bool,
) -> AppResult<(String, Option<std::sync::Arc<evidence::Measured>>)> {
    let id = map.id;
    let v = state.db.read(move |c| store::version(c, id, version)).await?;
    let measured = if with_evidence { evidence::measured(state, map, Some(version)).await? } else { None };
    let measures = measured.as_ref().map(|m| (map.evidence_id.unwrap_or(0), m.figures.clone()));
    let bytes = drawings::draw(
        state,
        Drawable {
            version_id: v.id,
            source: v.source.unwrap_or_default(),
            measures,
            mark: drawings::mark_of(map, version),
        },
        Format::Svg,
        view,
        false,
    )
    .await?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), measured))
}

/// Strips the XML declaration so the SVG can stand inside HTML.
fn inline_svg(svg: &str) -> PreEscaped<String> {
    let body = match svg.find("<svg") {
        Some(at) => &svg[at..],
        None => svg,
    };
    PreEscaped(body.to_string())
}

pub(super) fn tabs(map: &MapInfo, role: Role, current: &str) -> Markup {
    let id = map.id;
    let mut items = vec![("map", format!("/m/{id}"), "Map")];
    if role >= Role::Editor {
        items.push(("edit", format!("/m/{id}/edit"), "Edit"));
    }
    items.push(("history", format!("/m/{id}/history"), "History"));
    if map.current_version.is_some() && map.future_version.is_some() {
        items.push(("compare", format!("/m/{id}/compare"), "Current vs future"));
    }
    items.push(("opportunities", format!("/m/{id}/opportunities"), "Opportunities"));
    items.push(("evidence", format!("/m/{id}/evidence"), "Evidence"));
    if role >= Role::Editor {
        items.push(("share", format!("/m/{id}/share"), "Share"));
    }
    html! {
        nav.tabs aria-label="Map" {
            @for (key, href, label) in items {
                a href=(href) aria-current=[(key == current).then_some("page")] { (label) }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ViewQuery {
    persona: Option<String>,
    theme: Option<String>,
    version: Option<i64>,
}

fn view_of(q: &ViewQuery) -> View {
    View { persona: q.persona.clone().filter(|p| !p.is_empty()), theme: q.theme.clone().filter(|t| !t.is_empty()) }
}

/// The toolbar above a drawing: persona, theme, zoom, downloads.
fn toolbar(personas: &[String], q: &ViewQuery, download_base: &str) -> Markup {
    let qs = |format: Format| {
        let mut parts = Vec::new();
        if let Some(p) = &q.persona {
            parts.push(format!("persona={}", super::urlencode(p)));
        }
        if let Some(t) = &q.theme {
            parts.push(format!("theme={}", super::urlencode(t)));
        }
        if let Some(v) = q.version {
            parts.push(format!("version={v}"));
        }
        let tail = if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) };
        format!("{download_base}/{}{tail}", format.extension())
    };
    html! {
        div.toolbar role="toolbar" aria-label="View" {
            form.view-form method="get" {
                @if let Some(v) = q.version { input type="hidden" name="version" value=(v); }
                @if personas.len() > 1 {
                    label { "Persona "
                        select name="persona" data-autosubmit {
                            option value="" { "All" }
                            @for p in personas { option value=(p) selected[q.persona.as_deref() == Some(p.as_str())] { (p) } }
                        }
                    }
                }
                label { "Theme "
                    select name="theme" data-autosubmit {
                        @for t in ["light", "dark", "print"] { option value=(t) selected[q.theme.as_deref().unwrap_or("light") == t] { (t) } }
                    }
                }
                noscript { button type="submit" { "Apply" } }
            }
            div.zoom {
                button type="button" data-zoom="out" aria-label="Zoom out" { "−" }
                span.zoom-level aria-live="polite" { "100%" }
                button type="button" data-zoom="in" aria-label="Zoom in" { "+" }
                button type="button" data-zoom="fit" { "Fit" }
            }
            details.downloads {
                summary { "Download" }
                ul { @for f in Format::ALL { li { a href=(qs(f)) download { (f.label()) } } } }
            }
        }
    }
}

/// The map's figures and details for the page script (step panel).
fn map_island(map: &cjm_model::Journey, measured: Option<&evidence::Measured>) -> PreEscaped<String> {
    let figures = measured.map(|m| serde_json::to_value(&m.measurement).unwrap_or_default());
    island(&json!({ "map": map, "measured": figures }))
}

/// Everything the map page reads from the database, in one go.
struct MapPageData {
    map: MapInfo,
    role: Role,
    version: store::Version,
    comments: Vec<store::Comment>,
    workspace: String,
    evidence: Option<store::Evidence>,
}

pub(crate) async fn map_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let (id, wanted) = (map.id, q.version);
    let d = state
        .db
        .read(move |c| {
            let version = store::version(c, id, wanted.unwrap_or(map.head))?;
            let evidence = match map.evidence_id {
                Some(e) => Some(store::evidence(c, e)?.0),
                None => None,
            };
            Ok::<_, AppError>(MapPageData {
                comments: store::comments(c, id)?,
                map,
                role,
                version,
                workspace: ws,
                evidence,
            })
        })
        .await?;
    let (map, role, version) = (&d.map, d.role, d.version.number);
    let measured = match d.evidence.clone() {
        Some(ev) => evidence::measured_for(&state, ev, &d.version).await?,
        None => None,
    };
    let evidence_key = measured.as_ref().and(map.evidence_id);
    let drawable = Drawable {
        version_id: d.version.id,
        source: d.version.source.clone().unwrap_or_default(),
        measures: measured.as_ref().map(|m| (map.evidence_id.unwrap_or(0), m.figures.clone())),
        mark: drawings::mark_of(map, version),
    };
    let svg = drawings::draw(&state, drawable, Format::Svg, &view_of(&q), false).await?;
    let source = d.version.source.clone().unwrap_or_default();
    let for_parts = measured.clone();
    let (st, vid) = (state.clone(), d.version.id);
    let parts = state
        .renders
        .parts(d.version.id, evidence_key, move || {
            let journey = &st.checked(vid, &source).journey;
            drawings::Parts {
                island: map_island(journey, for_parts.as_deref()).0,
                personas: journey.persona_names(),
                from_library: journey
                    .personas
                    .iter()
                    .filter(|p| p.source.as_deref() == Some(crate::service::personas::LIBRARY_FILE))
                    .map(|p| p.name.clone())
                    .collect(),
                step_names: journey.steps().map(|s| (s.id.clone(), s.name.clone())).collect(),
            }
        })
        .await?;
    let unsaved = if q.version.is_none() { unsaved_live(&state, id).await? } else { None };
    // The others (your own tab on the editor is not news to you).
    let me = who.user().map(|u| u.id);
    let people: Vec<_> = crate::live::people(&state, id).await.into_iter().filter(|p| Some(p.id) != me).collect();
    let body = html! {
        (map_head(map, version, measured.as_ref().map(|m| m.measurement.customers)))
        (tabs(map, role, "map"))
        @if let Some(u) = &unsaved { (unsaved_banner(u, role, id, false)) }
        div.map-tools {
            @if role >= Role::Editor { (map_settings(map, role)) } @else { div {} }
            div.map-tools-end {
                (people_here(&people, id, me))
                @if role >= Role::Editor && q.version.is_none() {
                    a.button.primary href={ "/m/" (id) "/edit#map" } title="Click any cell to change it, drag faces and stages, together with your team" { "Edit on the map" }
                }
            }
        }
        (toolbar(&parts.personas, &q, &format!("/m/{id}/download")))
        @if !parts.from_library.is_empty() {
            p.drew #from-library {
                "From the " a href={ "/w/" (map.workspace_id) "/personas" } { "persona library" } ": " (parts.from_library.join(", "))
                " — edit them there; every map that takes them follows."
            }
        }
        div.map-layout {
            div.viewport #viewport tabindex="0" aria-label="Journey map" { div.canvas { (inline_svg(&String::from_utf8_lossy(&svg))) } }
            aside.side #side {
                section #details hidden { }
                (comments_side(&d.comments, role, (id, map.workspace_id), &parts.step_names))
            }
        }
        script type="application/json" #map-data { (PreEscaped(parts.island.as_str())) }
    };
    Ok(Page::new(&map.title, &who, "map", body).crumbs(crumbs(map, &d.workspace)).wide().render())
}

/// The live edits nobody saved as a version yet, when somebody made some
/// (a cheap question first: only then is the live document consulted).
async fn unsaved_live(state: &AppState, map_id: i64) -> AppResult<Option<crate::live::Unsaved>> {
    if state.db.read(move |c| store::contributions(c, map_id)).await?.is_empty() {
        return Ok(None);
    }
    Ok(Some(crate::live::unsaved(state, map_id).await?).filter(|u| u.summary.is_some()))
}

/// "Live edits not saved yet": what changed and who changed what, with a
/// button that saves them as a version (for editors).
fn unsaved_banner(u: &crate::live::Unsaved, role: Role, id: i64, in_editor: bool) -> Markup {
    let note = u.summary.clone().unwrap_or_default();
    let body = json!({ "message": note }).to_string();
    html! {
        section.card.unsaved-live #unsaved-live aria-labelledby="unsaved-title" {
            h2 #unsaved-title { "Live edits not saved as a version yet" }
            p { (note) " since version " (u.saved_version) "." }
            ul.unsaved-people {
                @for p in &u.people {
                    li {
                        strong { (p.name) }
                        @if p.changes.is_empty() { " typed in the text" } @else { " " (first_changes(&p.changes)) }
                        span.muted { " · " (p.updates) @if p.updates == 1 { " change" } @else { " changes" } ", last " (when(p.last_at)) }
                    }
                }
            }
            @if role >= Role::Editor {
                p.actions {
                    button.primary type="button" data-method="POST" data-action={ "/api/maps/" (id) "/live/save" } data-body=(body) data-then="reload" { "Save as version " (u.saved_version + 1) }
                    @if !in_editor { a.button href={ "/m/" (id) "/edit" } { "Review in the editor" } }
                    a.button href={ "/m/" (id) "/history" } { "History" }
                }
            }
        }
    }
}

/// Who has the map open now, as coloured names (the page script keeps the
/// list fresh while the page is shown).
fn people_here(people: &[crate::live::Person], id: i64, me: Option<i64>) -> Markup {
    html! {
        div.presence.here #map-presence data-map=(id) data-me=[me] aria-label="Open now" aria-live="polite" hidden[people.is_empty()] {
            span.muted { "Open now:" }
            @for p in people {
                span.person style={ "--person:" (p.color) } title=(if p.editing { format!("{} is editing", p.name) } else { format!("{} is watching", p.name) }) { (p.name) }
            }
        }
    }
}

/// At most eight changes, and how many more.
fn first_changes(changes: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut said = changes.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if changes.len() > SHOWN {
        said.push_str(&format!(" and {} more", changes.len() - SHOWN));
    }
    said
}

/// The map page's title line: which version, its states, and what it was
/// measured against (`customers`, when it was).
fn map_head(map: &MapInfo, version: i64, customers: Option<u64>) -> Markup {
    let id = map.id;
    html! {
        div.page-head {
            div {
                h1 { (map.title) }
                p.meta.muted {
                    "Version " (version) " of " (map.head)
                    @if Some(version) == map.current_version { " · " span.state.state-current { "current state" } }
                    @if Some(version) == map.future_version { " · " span.state.state-future { "future state" } }
                    " · changed " (when(map.updated_at))
                    @if let Some(customers) = customers {
                        " · measured against " (cjm_render::group_digits(customers)) " customers · "
                        a href={ "/m/" (id) "/evidence#figures" } { "figures" } " · "
                        a href={ "/m/" (id) "/evidence#draft-from-data" } { "the draft the data suggests" }
                    }
                }
            }
        }
    }
}

/// Tags, and for owners deleting the map (editors and owners only).
fn map_settings(map: &MapInfo, role: Role) -> Markup {
    let id = map.id;
    html! {
        details.map-settings {
            summary { "Tags and settings" }
            form.api-form.row data-method="PATCH" data-action={ "/api/maps/" (id) } data-then="reload" {
                label { "Tags " span.muted { "(comma-separated)" } input type="text" name="tags" value=(map.tags.join(", ")); }
                button type="submit" { "Save tags" }
            }
            @if role >= Role::Owner {
                p { button.danger data-method="DELETE" data-action={ "/api/maps/" (id) } data-confirm="Delete this map with its history, comments and share links? This cannot be undone." data-then="workspace" data-workspace=(map.workspace_id) { "Delete map" } }
            }
        }
    }
}

/// The comments beside the map, and the form to add one for commenters.
fn comments_side(
    comments: &[store::Comment],
    role: Role,
    (id, ws): (i64, i64),
    step_names: &std::collections::HashMap<String, String>,
) -> Markup {
    html! {
        section.comments #comments {
            h2 { "Comments" }
            p.muted #comment-scope { "On the whole map. Click a step to see and add its comments." }
            (comment_threads(comments, role >= Role::Commenter, id, step_names))
            @if role >= Role::Commenter {
                form.api-form.comment-form #comment-form data-method="POST" data-action={ "/api/maps/" (id) "/comments" } data-then="reload-step" {
                    input type="hidden" name="step" value="";
                    label { span.visually-hidden { "Comment" } textarea.mentions name="body" rows="3" required placeholder="Write a comment; @name mentions someone" data-members={ "/api/workspaces/" (ws) "/members" } aria-autocomplete="list" aria-controls="mention-list" {} }
                    ul.mention-list #mention-list role="listbox" hidden {}
                    button.primary type="submit" { "Comment" }
                }
            }
        }
    }
}

fn comment_threads(
    comments: &[store::Comment],
    can_comment: bool,
    map_id: i64,
    step_names: &std::collections::HashMap<String, String>,
) -> Markup {
    let roots: Vec<&store::Comment> = comments.iter().filter(|c| c.parent_id.is_none()).collect();
    html! {
        ol.threads {
            @for c in roots {
                li.thread data-step=(c.step.clone().unwrap_or_default()) .resolved[c.resolved] {
                    (comment(c, can_comment, true, map_id, step_names))
                    ol.replies { @for r in comments.iter().filter(|r| r.parent_id == Some(c.id)) { li { (comment(r, can_comment, false, map_id, step_names)) } } }
                    @if can_comment {
                        details.reply {
                            summary { "Reply" }
                            form.api-form data-method="POST" data-action={ "/api/maps/" (map_id) "/comments" } data-then="reload-step" {
                                input type="hidden" name="parent_id" value=(c.id);
                                textarea name="body" rows="2" required aria-label="Reply" {}
                                button type="submit" { "Reply" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn comment(
    c: &store::Comment,
    can_comment: bool,
    root: bool,
    map_id: i64,
    step_names: &std::collections::HashMap<String, String>,
) -> Markup {
    html! {
        article.comment id={ "comment-" (c.id) } {
            header { strong { (c.author) } " " span.muted { (when(c.created_at)) } @if let Some(s) = &c.step { " " span.step-ref title=(s) { "on " (step_names.get(s).map_or(s.as_str(), String::as_str)) } } }
            p.body { (mention_markup(&c.body)) }
            @if root {
                @if c.resolved { p.muted { "Resolved" @if let Some(b) = &c.resolved_by { " by " (b) } } }
                @if can_comment {
                    button.link data-method="PUT" data-action={ "/api/maps/" (map_id) "/comments/" (c.id) "/resolved" } data-body=(if c.resolved { r#"{"resolved":false}"# } else { r#"{"resolved":true}"# }) {
                        @if c.resolved { "Reopen" } @else { "Resolve" }
                    }
                }
            }
        }
    }
}

/// A comment's text with `@handle`s set off (escaped like all text).
fn mention_markup(body: &str) -> Markup {
    let handles = store::mentioned_handles(body);
    if handles.is_empty() {
        return html! { (body) };
    }
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        if let Some(h) = handles.iter().find(|h| after.starts_with(h.as_str())) {
            parts.push((false, rest[..at].to_string()));
            parts.push((true, format!("@{h}")));
            rest = &after[h.len()..];
        } else {
            parts.push((false, rest[..=at].to_string()));
            rest = after;
        }
    }
    parts.push((false, rest.to_string()));
    html! { @for (mention, text) in parts { @if mention { span.mention { (text) } } @else { (text) } } }
}

pub(crate) async fn map_svg(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let map = access.map;
    let dq = DownloadQuery { version: q.version, persona: q.persona, theme: q.theme, evidence: None };
    let mut res = drawings::download_response(&state, &map, "svg", dq, false).await?;
    // Versions never change: a thumbnail of version N may be cached privately.
    if q.version.is_some() {
        res.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("private, max-age=3600"));
    }
    Ok(res)
}

pub(crate) async fn download(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Path((_, format)): Path<(i64, String)>,
    Query(q): Query<DownloadQuery>,
) -> AppResult<Response> {
    let map = access.map;
    drawings::download_response(&state, &map, &format, q, true).await
}

pub(crate) async fn editor(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Editor>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let head = map.head;
    let v = state.db.read(move |c| store::version(c, id, head)).await?;
    let source = v.source.unwrap_or_default();
    let unsaved = unsaved_live(&state, id).await?;
    let body = html! {
        div.page-head { h1 { "Editing " (map.title) } }
        (tabs(&map, role, "edit"))
        @if let Some(u) = &unsaved { (unsaved_banner(u, role, id, true)) }
        div.layout-switch role="group" aria-label="Show" {
            button type="button" data-layout="text" { "Text" }
            button type="button" data-layout="both" aria-pressed="true" { "Text and map" }
            button type="button" data-layout="map" { "Map" }
        }
        div.editor-layout #editor-root data-map=(id) data-base=(head) data-layout="both" data-evidence=[map.evidence_id] data-library={ "/w/" (map.workspace_id) "/personas" } {
            section.editor-pane {
                div.editor-bar {
                    span #status.muted aria-live="polite" { "Version " (head) }
                    span #presence.presence aria-label="Also editing" hidden {}
                    div.spacer {}
                    label.message { span.visually-hidden { "Change note" } input #save-message type="text" placeholder="What changed? (optional)" maxlength="500"; }
                    button.primary #save type="button" { "Save" }
                }
                div #editor { textarea #source name="source" spellcheck="false" aria-label="Map text" { (source) } }
                div #problems.problems aria-live="polite" {}
            }
            section.preview-pane {
                div.editor-bar {
                    strong { "Map" }
                    span.muted.map-hint #map-hint title="Click anything on the map to change it; drag a face to set a score." { "Click anything on the map to change it; drag a face to set a score." }
                    button.icon #undo type="button" title="Undo your last change (Ctrl+Z)" disabled { "↶" }
                    button.icon #redo type="button" title="Redo (Ctrl+Shift+Z)" disabled { "↷" }
                    button #add-persona type="button" hidden { "+ Persona" }
                    span.muted #preview-state { "" }
                }
                div.viewport #preview aria-label="The map: click a part to edit it" {}
                details.forms open {
                    summary { "Change without typing" }
                    div #outline {}
                    p.muted { "Form changes go into the text as if typed, keep its comments, and everyone editing sees them; Save makes a version." }
                }
            }
        }
    };
    Ok(Page::new(&format!("Edit {}", map.title), &who, "editor", body)
        .crumbs(crumbs(&map, &ws))
        .wide()
        .editor()
        .render())
}

pub(crate) async fn history(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let (versions, drawn) =
        state.db.read(move |c| Ok::<_, AppError>((store::versions(c, id)?, store::drawn_personas(c, id)?))).await?;
    let editor = role >= Role::Editor;
    let library = format!("/w/{}/personas", map.workspace_id);
    let body = html! {
        div.page-head { h1 { "History of " (map.title) } }
        (tabs(&map, role, "history"))
        form.card method="get" action={ "/m/" (id) "/diff" } {
            table.list.history {
                thead { tr { th { "From" } th { "To" } th { "Version" } th { "Change" } th { "By" } th { "When" } @if editor { th { "Actions" } } } }
                tbody {
                    @for (i, v) in versions.iter().enumerate() {
                        tr {
                            td { input type="radio" name="from" value=(v.number) checked[i == 1] aria-label={ "Compare from version " (v.number) }; }
                            td { input type="radio" name="to" value=(v.number) checked[i == 0] aria-label={ "Compare to version " (v.number) }; }
                            td { a href={ "/m/" (id) "/versions/" (v.number) } { "v" (v.number) }
                                @if Some(v.number) == map.current_version { " " span.state.state-current { "current" } }
                                @if Some(v.number) == map.future_version { " " span.state.state-future { "future" } } }
                            td {
                                @if v.message.is_empty() { span.muted { "—" } } @else { (v.message) }
                                @if let Some(list) = drawn.get(&v.id) {
                                    div.drew {
                                        "Drew from the "
                                        a href=(library) { "persona library" } ": "
                                        @for (k, p) in list.iter().enumerate() {
                                            @if k > 0 { ", " }
                                            a href={ (library) "#persona-" (p.persona_id) } { (p.name) } " v" (p.persona_version)
                                        }
                                    }
                                }
                            }
                            td { (v.author) }
                            td { (when(v.created_at)) }
                            @if editor {
                                td.actions {
                                    @if v.number != map.head { button.link data-method="POST" data-action={ "/api/maps/" (id) "/versions/" (v.number) "/restore" } data-body={ r#"{"base_version":"# (map.head) "}" } data-confirm={ "Save version " (v.number) "'s text as a new version?" } data-then="reload" { "Restore" } }
                                    button.link data-method="PUT" data-action={ "/api/maps/" (id) "/states" } data-body=(states_body(Some(v.number), map.future_version)) data-then="reload" { "Mark current" }
                                    button.link data-method="PUT" data-action={ "/api/maps/" (id) "/states" } data-body=(states_body(map.current_version, Some(v.number))) data-then="reload" { "Mark future" }
                                }
                            }
                        }
                    }
                }
            }
            @if versions.len() > 1 { button.primary type="submit" { "Compare the two chosen versions" } }
        }
    };
    Ok(Page::new("History", &who, "history", body).crumbs(crumbs(&map, &ws)).wide().render())
}

fn states_body(current: Option<i64>, future: Option<i64>) -> String {
    json!({ "current": current, "future": future }).to_string()
}

pub(crate) async fn version_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Path((_, n)): Path<(i64, i64)>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let v = state.db.read(move |c| store::version(c, id, n)).await?;
    let view = view_of(&q);
    let (svg, _) = svg_for(&state, &map, n, &view, false).await?;
    let q = ViewQuery { version: Some(n), ..q };
    let personas = state.checked_async(v.id, v.source.clone().unwrap_or_default()).await?.journey.persona_names();
    let body = html! {
        div.page-head { div { h1 { (map.title) " — version " (n) } p.meta.muted { (v.author) " · " (when(v.created_at)) @if !v.message.is_empty() { " · " (v.message) } } } }
        (tabs(&map, role, "history"))
        (toolbar(&personas, &q, &format!("/m/{id}/download")))
        div.viewport #viewport tabindex="0" { div.canvas { (inline_svg(&svg)) } }
        details.source-view { summary { "Text of this version" } pre { code { (v.source.unwrap_or_default()) } } }
    };
    Ok(Page::new(&format!("{} v{n}", map.title), &who, "version", body).crumbs(crumbs(&map, &ws)).wide().render())
}

#[derive(Deserialize)]
pub(crate) struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub(crate) async fn diff_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Query(q): Query<DiffQuery>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let to = q.to.unwrap_or(map.head);
    let from = q.from.unwrap_or((to - 1).max(1));
    let d = diff::compute_diff(&state, id, from, to).await?;
    let body = html! {
        div.page-head { h1 { "Version " (from) " → version " (to) } }
        (tabs(&map, role, "history"))
        section.card {
            h2 { "What changed in the map" }
            @if d.changes.is_empty() { p.muted { "Nothing in the map itself (only layout or comments in the text)." } }
            ul.changes { @for c in &d.changes { li class={ "change change-" (c.kind) } { span.badge { (c.kind) " " (c.what) } " " (c.detail) } } }
        }
        section.card {
            h2 { "What changed in the text" }
            @if d.hunks.is_empty() { p.muted { "The two texts are the same." } }
            @if d.hunks_cut { p.muted { "Only the first " (diff::MAX_DIFF_LINES) " lines of the comparison are shown; download both versions to compare the rest." } }
            @for hunk in &d.hunks {
                table.diff {
                    @for line in hunk {
                        tr class=(match line.tag.as_str() { "+" => "add", "-" => "del", _ => "same" }) {
                            td.ln { (line.old_line.map(|n| n.to_string()).unwrap_or_default()) }
                            td.ln { (line.new_line.map(|n| n.to_string()).unwrap_or_default()) }
                            td.tag { (line.tag) }
                            td.text { code { (line.text) } }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new("Compare versions", &who, "diff", body).crumbs(crumbs(&map, &ws)).wide().render())
}

pub(crate) async fn compare(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let (cur, fut) = marked_states(&map)?;
    let view = view_of(&q);
    let board = compare_board(&state, &map, Board::Page).await?;
    let (a, _) = svg_for(&state, &map, cur, &view, false).await?;
    let (b, _) = svg_for(&state, &map, fut, &view, false).await?;
    let d = diff::compute_diff(&state, id, cur, fut).await?;
    let body = html! {
        div.page-head { h1 { "Current and future state" } }
        (tabs(&map, role, "compare"))
        section.card.chart.compare-board {
            h2 { "Current state " span.muted { "(version " (cur) ")" } " → future state " span.muted { "(version " (fut) ")" } }
            div.chart-frame { (inline_svg(&String::from_utf8_lossy(&board))) }
            p.chart-downloads { "Download: "
                @for (ext, label) in [("svg", "SVG"), ("png", "PNG"), ("pdf", "PDF"), ("pptx", "PowerPoint")] { a href={ "/m/" (id) "/compare/board." (ext) } download { (label) } " " }
            }
        }
        section.card {
            h2 { "From current to future" }
            ul.changes { @for c in &d.changes { li class={ "change change-" (c.kind) } { span.badge { (c.kind) " " (c.what) } " " (c.detail) } } }
        }
        details.card.compare-maps {
            summary { "Both maps in full" }
            div.compare {
                section { h2 { "Current state " span.muted { "(version " (cur) ")" } } div.viewport.small { div.canvas { (inline_svg(&a)) } } }
                section { h2 { "Future state " span.muted { "(version " (fut) ")" } } div.viewport.small { div.canvas { (inline_svg(&b)) } } }
            }
        }
    };
    Ok(Page::new("Current vs future", &who, "compare", body).crumbs(crumbs(&map, &ws)).wide().render())
}

/// The versions marked current and future, or how to mark them.
fn marked_states(map: &MapInfo) -> AppResult<(i64, i64)> {
    match (map.current_version, map.future_version) {
        (Some(cur), Some(fut)) => Ok((cur, fut)),
        _ => Err(AppError::bad("mark one version as current state and one as future state on the History page first")),
    }
}

/// How the comparison board is wanted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Board {
    /// SVG for the page (the font comes from the stylesheet).
    Page,
    /// SVG to download, its font embedded.
    Svg,
    Png,
    Pdf,
    /// A deck: title, the board, each state's whole map, the opportunities.
    Pptx,
}

/// The current and future state on one board (cjm-render's comparison),
/// drawn off the async runtime once per pair of versions and kind (versions
/// never change), then from the cache: a viewer asking again costs nothing.
async fn compare_board(state: &AppState, map: &MapInfo, format: Board) -> AppResult<std::sync::Arc<Vec<u8>>> {
    let (cur, fut) = marked_states(map)?;
    let id = map.id;
    let (a, b) =
        state.db.read(move |c| Ok::<_, AppError>((store::version(c, id, cur)?, store::version(c, id, fut)?))).await?;
    let st = state.clone();
    state
        .boards
        .get_or_make((a.id, b.id, format), move || {
            let current = st.checked(a.id, a.source.as_deref().unwrap_or_default());
            let future = st.checked(b.id, b.source.as_deref().unwrap_or_default());
            let (la, lb) = (format!("version {cur}"), format!("version {fut}"));
            let bytes = draw_board(&current.journey, &future.journey, (&la, &lb), format)?;
            let len = bytes.len();
            Ok((bytes, len))
        })
        .await
}

fn draw_board(
    current: &cjm_model::Journey,
    future: &cjm_model::Journey,
    labels: (&str, &str),
    format: Board,
) -> AppResult<Vec<u8>> {
    let failed = |e: cjm_render::RenderError| AppError::Internal(e.to_string());
    match format {
        Board::Png => match cjm_render::compare::compare_png(current, future, labels, 2.0) {
            // Too big at twice the size: at the size it is drawn.
            Err(cjm_render::RenderError::TooLarge { .. }) => {
                cjm_render::compare::compare_png(current, future, labels, 1.0).map_err(failed)
            }
            other => other.map_err(failed),
        },
        Board::Pdf => cjm_render::compare::compare_pdf(current, future, labels).map_err(failed),
        Board::Pptx => cjm_render::compare::compare_pptx(current, future, labels).map_err(failed),
        Board::Page | Board::Svg => {
            Ok(cjm_render::compare::compare_svg(current, future, labels, format == Board::Svg).into_bytes())
        }
    }
}

/// `board.svg`, `board.png`, `board.pdf` or `board.pptx`: the comparison
/// for a deck.
pub(crate) async fn compare_download(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Path((_, file)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (format, mime, kind) = match file.as_str() {
        "board.svg" => (Board::Svg, "image/svg+xml", Format::Svg),
        "board.png" => (Board::Png, "image/png", Format::Png),
        "board.pdf" => (Board::Pdf, "application/pdf", Format::Pdf),
        "board.pptx" => (Board::Pptx, Format::Pptx.content_type(), Format::Pptx),
        _ => return Err(AppError::NotFound),
    };
    let bytes = compare_board(&state, &access.map, format).await?;
    let name = drawings::file_name(&format!("{} current vs future", access.map.title), kind);
    Ok(super::logs::download(bytes.to_vec(), mime, &name))
}

/// `?log=ID`: a log of the workspace to choose the columns of.
#[derive(serde::Deserialize)]
pub(crate) struct EvidenceQuery {
    log: Option<i64>,
    /// Measure the map on the customers of this variant only.
    variant: Option<String>,
}

pub(crate) async fn evidence_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Query(q): Query<EvidenceQuery>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let ev = evidence::evidence_state(&state, &map).await?;
    let variant = q.variant.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let measured = match (ev.summary.is_some(), variant) {
        (false, _) => None,
        (true, None) => evidence::measured(&state, &map, None).await?,
        (true, Some(v)) => evidence::measured_on_variant(&state, &map, v).await?,
    };
    let editor = role >= Role::Editor;
    let limit_mb = state.config.max_upload / (1024 * 1024);
    // The server's log folder, for editors when there is one.
    let folder = if editor && state.config.logs_dir.is_some() {
        let config = state.config.clone();
        Some(
            tokio::task::spawn_blocking(move || crate::service::folder::list(&config))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??,
        )
    } else {
        None
    };
    // A workspace log chosen to read (an upload waiting for its columns).
    let to_map = match q.log.filter(|l| Some(*l) != map.evidence_id) {
        Some(l) if editor => Some(evidence::log_to_map(&state, map.workspace_id, l).await?),
        _ => None,
    };
    let body = html! {
        div.page-head { h1 { "Evidence for " (map.title) } }
        (tabs(&map, role, "evidence"))
        @if let Some((log, preview, error)) = &to_map {
            section.card #pending-log {
                h2 { "Choose how to read " (log.file_name) }
                p.muted { (size(log.bytes)) " · uploaded by " (log.uploaded_by) " · " (when(log.created_at)) ". "
                    @if map.evidence_id.is_some() { "The map keeps the log it has until this one reads." } }
                @if let Some(err) = error { p.error role="alert" { (err) } }
                @else { p.ok { "This log reads with these settings: attach it to use it." } }
                (mapping_form(id, log, preview.as_ref(), true, "Columns, encoding and lifecycle"))
            }
        }
        @if let Some(e) = &ev.evidence {
            section.card {
                h2 { (e.file_name) }
                @if e.on_spark {
                    p.muted { "On the server's Spark cluster · attached by " (e.uploaded_by) " · " (when(e.created_at)) ". The map is measured there, and every view of the log (overview, funnel, paths, process map, variants, trends) runs there." }
                } @else {
                    p.muted { (e.bytes / 1024) " kB · uploaded by " (e.uploaded_by) " · " (when(e.created_at)) }
                }
                p { a.button href={ "/w/" (map.workspace_id) "/logs/" (e.id) } { "Explore this log" } " " span.muted { "funnel, paths, process map, variants and trends, with filters" } }
                @if let Some(err) = &ev.error { p.error role="alert" { (err) } }
                @if let Some(s) = &ev.summary {
                    dl.facts {
                        dt { "Customers" } dd { (cjm_render::group_digits(s.customers)) }
                        dt { "Events" } dd { (cjm_render::group_digits(s.events)) }
                        dt { "Touchpoints" } dd { (s.touchpoints) }
                        dt { "Channels" } dd { (s.channels) }
                        @if s.bad_rows > 0 { dt { "Rows left out" } dd { (s.bad_rows) ul { @for p in &s.problems { li { (p) } } } @for h in &s.hints { p.hint { (h) } } } }
                        @if s.lifecycle_skipped > 0 {
                            dt { "Lifecycle" }
                            dd.lifecycle-note { (cjm_render::group_digits(s.lifecycle_skipped)) " start (and other non-complete) events left out: the log has start/complete pairs, so each activity counts once, at its completion. The customers, events and every figure on this page are of the complete events." }
                        }
                    }
                }
                @if e.on_spark {
                    @if let Some(s) = &ev.summary {
                        @if let (Some(case), Some(time), Some(activity)) = (&s.detected.case, &s.detected.time, &s.detected.activity) {
                            p.muted.spark-read { "Not in cjm's canonical layout: read on the cluster by cjm's rules, in the file's own row order, with the customer from " code { (case) } ", the time from " code { (time) } " and the touchpoint from " code { (activity) } @if let Some(c) = &s.detected.channel { ", the channel from " code { (c) } } @if let Some(c) = &s.detected.score { ", the score from " code { (c) } } "." }
                        }
                        p.muted { "Columns: " @for (i, c) in s.columns.iter().enumerate() { @if i > 0 { ", " } code { (c) } } }
                    }
                }
                @else if editor { (mapping_form(id, e, ev.preview.as_ref(), ev.error.is_some() || ev.summary.as_ref().is_some_and(|s| s.bad_rows > 0), "How to read the log")) }
                @else if let Some(p) = &ev.preview { (preview_table(p)) }
            }
            @if let (Some(m), Some(v)) = (&measured, variant) {
                @let n = m.measurement.customers;
                p.variant-note role="status" { "Measured on the " (cjm_render::group_digits(n)) @if n == 1 { " customer whose journey is" } @else { " customers whose journey is" } " exactly " strong { (v) } ". " a href={ "/m/" (id) "/evidence#figures" } { "Measure on all customers" } }
            }
            @if let Some(m) = &measured { (figures_card(&m.measurement)) }
            @if ev.summary.is_some() && !e.on_spark {
                section.card #draft-from-data {
                    h2 { "A draft from the data" }
                    p.muted { "The journeys customers really take, as a starting map: the dominant path, scores from ratings, channels, an evidence rule on every step." }
                    button #load-draft type="button" data-action={ "/api/maps/" (id) "/discover" } data-workspace=(map.workspace_id) data-evidence=[map.evidence_id] { "Show the draft" }
                    pre #draft hidden {}
                    @if editor { button.primary #create-draft type="button" hidden { "Create a map from the draft" } }
                }
            }
        } @else {
            p.muted { "No event log is attached to this map yet." }
        }
        @if editor { (upload_card(id, ev.evidence.is_some(), limit_mb)) }
        @if let Some(f) = folder.as_ref().filter(|f| f.configured) { (folder_card(id, f)) }
        @if editor && state.config.spark.is_some() { (spark_card(id, !state.config.spark_paths.is_empty())) }
        (logs_card(id, map.workspace_id, map.evidence_id, &ev.logs, editor))
    };
    Ok(Page::new("Evidence", &who, "evidence", body).crumbs(crumbs(&map, &ws)).wide().render())
}

/// The map measured step by step, and the frequent touchpoints it does not show.
fn figures_card(m: &cjm_mine::measure::Measurement) -> Markup {
    html! {
        section.card #figures {
            h2 { "The map measured" }
            p.muted { (cjm_render::group_digits(m.customers)) @if m.customers == 1 { " customer, " } @else { " customers, " } (cjm_render::group_digits(m.events)) @if m.events == 1 { " event. " } @else { " events. " }
                @if let Some(w) = m.funnel_window_seconds { "The funnel counts steps within " (cjm_render::duration(w as f64)) " of a customer's first funnel step (the data block's window). " }
                "The map page draws these figures in its metrics lane." }
            table.list.figures {
                thead { tr {
                    th { "Step" }
                    @for f in Figure::ALL { th title=(f.explain()) { (f.label()) } }
                } }
                tbody {
                    @for s in &m.steps {
                        tr {
                            td { (s.name) }
                            @if s.rule.is_none() { td colspan="6" .muted { "no evidence rule" } }
                            @else if s.rule_error.is_some() || s.matched_events == 0 { td colspan="6" .warn { "matches no event" } }
                            @else {
                                td { (cjm_render::group_digits(s.reached)) " · " (pct(Some(s.reach_share))) }
                                td { @if s.optional { span.muted { "optional" } } @else { (s.funnel.map_or("-".into(), cjm_render::group_digits)) } }
                                td { (pct(s.conversion)) }
                                td { (pct(s.drop_off)) }
                                td { (s.median_seconds_since_previous.map_or("-".into(), cjm_render::duration)) }
                                td { (s.mean_score.map_or("-".into(), |v| format!("{v:.2}"))) }
                            }
                        }
                    }
                }
            }
            @if !m.kpis.is_empty() {
                h3 { "Journey KPIs" }
                table.list.kpis {
                    thead { tr { th { "Metric" } th { "Measured" } th { "Target" } th { "Met?" } th { "How" } } }
                    tbody {
                        @for k in &m.kpis {
                            @let f = k.figure();
                            tr {
                                td { (k.metric) }
                                td { (f.value.as_deref().unwrap_or("-")) }
                                td { (f.target.as_deref().unwrap_or("-")) }
                                td { @match f.met { Some(true) => span.ok { "✓ met" }, Some(false) => span.warn { "✗ missed" }, None => span.muted { "-" } } }
                                td.muted { (f.explain) }
                            }
                        }
                    }
                }
            }
            details.figure-defs {
                summary { "What the figures mean" }
                dl { @for f in Figure::ALL { dt { (f.label()) } dd { (f.explain()) } } }
            }
            @if !m.unmapped_touchpoints.is_empty() {
                h3 { "Frequent touchpoints the map does not show" }
                ul { @for u in m.unmapped_touchpoints.iter().take(8) { li { (u.touchpoint) " — " (u.customers) " customers" } } }
            }
        }
    }
}

/// How to read a log: a picker for each role listing every column (the
/// detected one said so), the encoding and the lifecycle choice, with the
/// file's first rows. Saving reads the log with the settings first: a
/// setting it does not read with is refused and the map keeps its log.
fn mapping_form(
    id: i64,
    log: &store::Evidence,
    preview: Option<&evidence::LogPreview>,
    open: bool,
    title: &str,
) -> Markup {
    let mapping = &log.mapping;
    let fixed = preview.is_some_and(|p| p.fixed_roles);
    let roles = [
        ("case", "Customer (case) id", &mapping.case, preview.and_then(|p| p.detected.case.as_ref())),
        ("time", "Timestamp", &mapping.time, preview.and_then(|p| p.detected.time.as_ref())),
        ("activity", "Touchpoint (activity)", &mapping.activity, preview.and_then(|p| p.detected.activity.as_ref())),
        ("channel", "Channel", &mapping.channel, preview.and_then(|p| p.detected.channel.as_ref())),
        ("score", "Score or rating", &mapping.score, preview.and_then(|p| p.detected.score.as_ref())),
    ];
    let encoding = mapping.encoding.as_deref().unwrap_or("utf-8");
    html! {
        form.api-form.mapping data-method="PUT" data-action={ "/api/maps/" (id) "/evidence" } data-wrap="mapping" data-extra={ r#"{"evidence_id":"# (log.id) "}" } data-then="reload" {
            h3 { (title) }
            @if fixed {
                p.muted { "XES names its roles itself: the trace's " code { "concept:name" } " is the customer, the event's " code { "concept:name" } " the touchpoint and " code { "time:timestamp" } " the time." }
            } @else {
                p.muted { "Each field lists the file's columns; " em { "Detect" } " takes the usual names (customer, case id, timestamp, activity…)." }
                @if preview.is_some_and(|p| p.not_utf8) && encoding == "utf-8" {
                    p.hint { "The file has bytes that are not UTF-8: choose Latin-1 (ISO-8859-1) as the encoding." }
                }
                div.grid {
                    @for (field, label, given, found) in roles {
                        label { (label)
                            select name=(field) {
                                option value="" selected[given.is_none()] {
                                    @match found { Some(f) if given.is_none() => { "Detect (found: " (f) ")" }, _ => { "Detect" } }
                                }
                                @for c in preview.map(|p| p.columns.as_slice()).unwrap_or_default() {
                                    option value=(c) selected[given.as_deref() == Some(c.as_str())] {
                                        (c) @if found.map(String::as_str) == Some(c.as_str()) && given.is_none() { " (detected)" }
                                    }
                                }
                                // A name saved earlier that the file's first rows do not show.
                                @if let Some(g) = given.as_ref().filter(|g| !preview.is_some_and(|p| p.columns.contains(g))) {
                                    option value=(g) selected { (g) }
                                }
                            }
                        }
                    }
                }
            }
            div.grid {
                @if !fixed {
                    label { "Encoding"
                        select name="encoding" {
                            @for (v, shown) in ENCODINGS {
                                option value=(v) selected[encoding == v] { (shown) }
                            }
                        }
                    }
                }
                label { "Lifecycle events"
                    select name="lifecycle" {
                        @for (v, shown) in LIFECYCLES {
                            option value=(v) selected[mapping.lifecycle.as_deref().unwrap_or("auto") == v] { (shown) }
                        }
                    }
                }
            }
            button type="submit" { "Read with these settings" }
            @if let Some(p) = preview {
                details.preview open[open] { summary { "The file's first " (p.rows.len()) " rows" } (preview_table(p)) }
            } @else {
                p.muted { "The file's first rows cannot be shown: it does not read as its format (see the message above)." }
            }
        }
    }
}

/// The encodings a text log may be in, as the reader's options name them.
const ENCODINGS: [(&str, &str); 2] = [("utf-8", "UTF-8"), ("latin1", "Latin-1 (ISO-8859-1)")];

/// The lifecycle choices, as the reader's options name them.
const LIFECYCLES: [(&str, &str); 4] = [
    ("auto", "Automatic: complete events when there are start/complete pairs"),
    ("all", "All events"),
    ("complete", "Complete events only"),
    ("start", "Start events only"),
];

/// A log's first rows, the columns read for a role marked in the header.
fn preview_table(p: &evidence::LogPreview) -> Markup {
    let d = &p.detected;
    let role_of = |c: &str| {
        [
            (&d.case, "customer"),
            (&d.time, "time"),
            (&d.activity, "touchpoint"),
            (&d.channel, "channel"),
            (&d.score, "score"),
        ]
        .into_iter()
        .find(|(col, _)| col.as_deref() == Some(c))
        .map(|(_, r)| r)
    };
    html! {
        div.table-scroll {
            table.list.preview {
                caption.muted { "As the file holds them" @if p.more_columns > 0 { "; " (p.more_columns) " more columns not shown" } "." }
                thead { tr { @for c in &p.columns {
                    th class=[role_of(c).map(|_| "role")] scope="col" { (c) @if let Some(r) = role_of(c) { br; span.badge { (r) } } }
                } } }
                tbody { @for r in &p.rows { tr { @for v in r { td { (v) } } } } }
            }
        }
    }
}

/// The upload form for a log, or for one to replace the log attached.
fn upload_card(id: i64, replaces: bool, limit_mb: u64) -> Markup {
    html! {
        section.card {
            h2 { @if replaces { "Replace the log" } @else { "Upload an event log" } }
            p.muted { "CSV, TSV, JSON Lines, Parquet or XES (also .gz), up to " (limit_mb) " MB. Each row is one event: a customer id, a time and a touchpoint; a channel and a score are read when present." }
            form.upload-form data-action={ "/api/maps/" (id) "/evidence" } {
                input type="file" name="file" required accept=(upload_accept());
                div.grid {
                    label { "Encoding (CSV and TSV)"
                        select name="encoding" { @for (v, shown) in ENCODINGS { option value=(v) selected[v == "utf-8"] { (shown) } } }
                    }
                    label { "Lifecycle events"
                        select name="lifecycle" { @for (v, shown) in LIFECYCLES { option value=(v) selected[v == "auto"] { (shown) } } }
                    }
                }
                p.muted { "Columns are detected from the usual names; when one is not found you choose it next, with the file's first rows beside." }
                button.primary type="submit" { "Upload" }
            }
        }
    }
}

/// The files of the server's log folder, each attached in place in one click.
fn folder_card(id: i64, f: &crate::service::folder::FolderListing) -> Markup {
    html! {
        section.card #server-logs {
            h2 { "Logs on the server" }
            p.muted { "Files the administrator put in the server's log folder, for logs bigger than an upload. They are read where they are, as a stream, with no size limit, and stay on the server when removed from the workspace." }
            @if f.files.is_empty() { p.muted { "The folder holds no CSV, TSV, JSON Lines, Parquet or XES file (also .gz)." } }
            @else {
                table.list.logs {
                    thead { tr { th { "File" } th { "Format" } th { "Size" } th { "Changed" } th aria-label="Action" {} } }
                    tbody {
                        @for file in &f.files {
                            tr {
                                td { code { (file.path) } }
                                td { (file.format) }
                                td { (size(file.bytes as i64)) }
                                td { (when(file.modified)) }
                                td {
                                    form.api-form data-method="POST" data-action={ "/api/maps/" (id) "/evidence/folder" } data-extra=(serde_json::json!({ "path": file.path }).to_string()) data-then="reload" {
                                        button type="submit" title="Attach to this map; a file attached before is read again as it is now" { "Attach" }
                                    }
                                }
                            }
                        }
                    }
                }
                @if f.cut { p.muted { "Only the first " (crate::service::folder::MAX_FOLDER_FILES) " files are listed." } }
            }
        }
    }
}

/// Attaching a table (or an allowed path) of the server's Spark cluster.
fn spark_card(id: i64, paths: bool) -> Markup {
    html! {
        section.card #spark-logs {
            h2 { "A log on Spark" }
            p.muted { "A table of the server's Spark cluster" @if paths { ", or a Parquet path the administrator allowed" } ": in cjm's canonical layout (written by " code { "cjm export LOG --to parquet" } "), or any Parquet, read with the columns cjm detects. Nothing is copied here: the map is measured on the cluster, and every view of the log (overview, funnel, paths, process map, variants, trends) is computed there." }
            form.api-form.row data-method="POST" data-action={ "/api/maps/" (id) "/evidence/spark" } data-then="reload" {
                label { "Table" input type="text" name="table" placeholder="sales.events" maxlength="256" autocomplete="off"; }
                @if paths { label { "or path" input type="text" name="path" placeholder="s3a://lake/cjm/events.parquet" maxlength="1024" autocomplete="off"; } }
                button type="submit" { "Attach" }
            }
        }
    }
}

/// The workspace's logs: size, who uploaded them, how many maps use them,
/// and (for editors) one click to attach another or re-attach the previous.
fn logs_card(id: i64, ws: i64, attached: Option<i64>, logs: &[store::LogEntry], editor: bool) -> Markup {
    html! {
        @if logs.len() > usize::from(attached.is_some()) {
            section.card #workspace-logs {
                h2 { "Logs in this workspace" }
                table.list.logs {
                    thead { tr { th { "Log" } th { "Size" } th { "Uploaded" } th { "Used by" } @if editor { th aria-label="Action" {} } } }
                    tbody {
                        @for l in logs {
                            tr {
                                td { (l.file_name) @if l.in_folder { " " span.badge title="A file of the server's log folder, read in place" { "server" } } @if l.on_spark { " " span.badge title="A table or path of the server's Spark cluster, computed there" { "Spark" } } }
                                td { @if l.on_spark { "-" } @else { (size(l.bytes)) } }
                                td { (l.uploaded_by) " · " (when(l.created_at)) }
                                td { (l.maps) @if l.maps == 1 { " map" } @else { " maps" } }
                                @if editor {
                                    td {
                                        @if Some(l.id) == attached { span.muted { "attached" } }
                                        @else {
                                            div.row-actions {
                                                form.api-form data-method="PUT" data-action={ "/api/maps/" (id) "/evidence" } data-extra={ r#"{"evidence_id":"# (l.id) "}" } data-then="reload" {
                                                    button type="submit" { "Attach" }
                                                }
                                                @if !l.on_spark { a.button href={ "?log=" (l.id) } { "Columns…" } }
                                                @if l.maps == 0 {
                                                    @let gone = if l.on_spark { " It stays on the cluster." } else if l.in_folder { " Its file stays on the server." } else { " Its file is deleted." };
                                                    button.link.danger type="button" data-method="DELETE" data-action={ "/api/workspaces/" (ws) "/logs/" (l.id) } data-then="reload" data-confirm={ "Remove " (l.file_name) " from the workspace?" (gone) } { "Remove" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `1536` bytes → `1.5 kB`.
pub(crate) fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} kB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

pub(crate) async fn share_page(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Editor>,
) -> AppResult<Response> {
    let MapAccess { map, role, workspace: ws, .. } = access;
    let id = map.id;
    let (links, versions) =
        state.db.read(move |c| Ok::<_, AppError>((store::share_links(c, id)?, store::versions(c, id)?))).await?;
    let now = crate::token::now();
    let body = html! {
        div.page-head { h1 { "Share " (map.title) } }
        (tabs(&map, role, "share"))
        section.card {
            h2 { "New read-only link" }
            p.muted { "Anyone with the link sees the version it shows and can download it; they cannot see comments, history or evidence files, and cannot change anything." }
            form.api-form.row data-method="POST" data-action={ "/api/maps/" (id) "/shares" } data-reveal="url" {
                label { "Label" input type="text" name="label" placeholder="e.g. board review" maxlength="100"; }
                label { "Shows"
                    select name="pin" {
                        option value="current" selected { "marked current" }
                        option value="latest" { "latest draft" }
                        @for v in &versions { option value=(v.number) { "version " (v.number) @if !v.message.is_empty() { ": " (v.message.chars().take(60).collect::<String>()) } } }
                    }
                }
                label { "Expires after" select name="expires_in_days" data-type="number" { option value="" { "never" } option value="1" { "1 day" } option value="7" selected { "7 days" } option value="30" { "30 days" } option value="90" { "90 days" } } }
                label title="Sites that may show the map in a frame (Confluence, Notion), e.g. https://example.atlassian.net; separate several with spaces." {
                    "Embed on " input type="text" name="embed_origins" data-type="list" placeholder="https://example.atlassian.net";
                }
                label.check title="Holders see the map change as your team edits it, before it is saved as a version; they never see who is editing. A live link shows the latest draft." {
                    input type="checkbox" name="live" data-type="bool"; " Live: watch it being edited"
                }
                button.primary type="submit" { "Make link" }
            }
            (link_box("new-link"))
        }
        section.card {
            h2 { "Links" }
            table.list {
                thead { tr { th { "Label" } th { "Shows" } th { "Made by" } th { "Made" } th { "Expires" } th { "Embed on" } th { "State" } th {} } }
                tbody {
                    @for l in &links {
                        @let working = !l.revoked && l.expires_at.is_none_or(|e| e > now);
                        tr {
                            td { @if l.label.is_empty() { span.muted { "—" } } @else { (l.label) } }
                            td { (pin_words(&l.pin, &map)) @if l.live { " · live edits" } }
                            td { (l.created_by) }
                            td { (when(l.created_at)) }
                            td { @if let Some(e) = l.expires_at { (when(e)) } @else { "never" } }
                            td { @if l.embed_origins.is_empty() { span.muted { "nowhere" } } @else { (l.embed_origins.join(", ")) } }
                            td { @if l.revoked { "revoked" } @else if working { "working" } @else { "expired" } }
                            td.actions { @if working {
                                @if l.can_show { button.link data-method="GET" data-action={ "/api/maps/" (id) "/shares/" (l.id) "/link" } data-reveal="url" data-reveal-box="#shown-link" { "Show link" } " " }
                                button.link.danger data-method="DELETE" data-action={ "/api/maps/" (id) "/shares/" (l.id) } data-confirm="Revoke this link? People who have it lose access at once." data-then="reload" { "Revoke" } } }
                        }
                    }
                    @if links.is_empty() { tr { td colspan="8" .muted { "No links yet." } } }
                }
            }
            (link_box("shown-link"))
        }
    };
    Ok(Page::new("Share", &who, "share", body).crumbs(crumbs(&map, &ws)).render())
}

/// A link shown (just made, or again) with its embed code and Copy buttons.
fn link_box(id: &str) -> Markup {
    html! {
        div.reveal.link-box id=(id) hidden {
            p { "Link: " code.secret {} " " button.link type="button" data-copy=".secret" { "Copy" } }
            p { "Embed code (the site must be listed under “Embed on”): " code.embed-code {} " " button.link type="button" data-copy=".embed-code" { "Copy" } }
        }
    }
}

/// What a link's pin shows, in words.
fn pin_words(pin: &str, map: &MapInfo) -> String {
    match store::Pin::parse(pin) {
        Some(store::Pin::Current) => match map.current_version {
            Some(v) => format!("the version marked current (now {v})"),
            None => "the version marked current (none yet: the latest)".into(),
        },
        Some(store::Pin::Version(n)) => format!("version {n}"),
        _ => "the latest draft".into(),
    }
}

/// The map a link opens, the link, and the version it shows.
async fn shared_map(state: &AppState, token: &str) -> AppResult<(MapInfo, store::OpenLink, i64)> {
    let token = token.to_string();
    let (map, open) = state
        .db
        .read(move |c| {
            let open = store::shared_link(c, &token)?;
            Ok::<_, AppError>((store::map(c, open.map_id)?, open))
        })
        .await?;
    let version = open.pin.version_of(&map);
    Ok((map, open, version))
}

/// What a shared page says of the version it shows.
fn shown_version(map: &MapInfo, open: &store::OpenLink, version: i64) -> String {
    match open.pin {
        store::Pin::Latest => format!("version {version}, the latest"),
        store::Pin::Current if map.current_version == Some(version) => format!("version {version}, the current state"),
        store::Pin::Current => format!("version {version}, the latest (no version is marked current)"),
        store::Pin::Version(_) => format!("version {version}"),
    }
}

pub(crate) async fn shared_page(
    State(state): State<AppState>,
    who: Principal,
    Path(token): Path<String>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let (map, open, shown) = shared_map(&state, &token).await?;
    let q = ViewQuery { version: None, ..q };
    let view = view_of(&q);
    // The live drawing is the default view; another persona or theme shows
    // the saved version.
    let watch = open.live && view.persona.is_none() && view.theme.as_deref().is_none_or(|t| t == "light");
    let (svg, measured) = svg_for(&state, &map, shown, &view, true).await?;
    let id = map.id;
    let v = state.db.read(move |c| store::version(c, id, shown)).await?;
    let journey = &state.checked_async(v.id, v.source.clone().unwrap_or_default()).await?.journey;
    let body = html! {
        div.page-head { div { h1 { (map.title) } p.meta.muted {
            "Shared read-only · " (shown_version(&map, &open, shown)) " · changed " (when(map.updated_at))
            @if watch { " · " span.live-badge #live-badge title="This view follows the map as the team edits it, before it is saved." { "Live" } }
            @else if open.live { " · the live view shows the default persona and theme" }
        } } }
        (toolbar(&journey.persona_names(), &q, &format!("/s/{token}/download")))
        div.map-layout.solo {
            div.viewport #viewport tabindex="0" aria-label="Journey map" data-live=[watch.then(|| format!("/s/{token}/live"))] { div.canvas { (inline_svg(&svg)) } }
            aside.side #side { section #details hidden {} }
        }
        script type="application/json" #map-data { (map_island(journey, measured.as_deref())) }
    };
    let mut res = Page::new(&map.title, &who, "shared", body).wide().render();
    res.headers_mut().insert("x-robots-tag", axum::http::HeaderValue::from_static("noindex"));
    Ok(res)
}

/// A shared map alone, for a frame on a wiki page: the drawing fitting the
/// frame's width and a link to the full view. Framed only by the origins
/// the link names (none: by nobody).
pub(crate) async fn shared_embed(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Response> {
    let (map, open, shown) = shared_map(&state, &token).await?;
    let view = View { persona: None, theme: None };
    let (svg, _) = svg_for(&state, &map, shown, &view, true).await?;
    let doc = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (map.title) }
                style { "body{margin:0;font:14px Inter,system-ui,sans-serif;color:#1b1f24;background:#fff}main{overflow:auto}main svg{display:block;width:100%;height:auto}footer{padding:6px 12px;border-top:1px solid #dde1e7;color:#59616e}footer a{color:#3451b2}" }
            }
            body {
                main { (inline_svg(&svg)) }
                footer { (map.title) " · " (shown_version(&map, &open, shown)) " · shared read-only from cjm · "
                    a href={ "/s/" (token) } target="_blank" rel="noopener" { "open the full view" } }
            }
        }
    };
    let ancestors =
        if open.embed_origins.trim().is_empty() { "'none'".to_string() } else { open.embed_origins.clone() };
    let policy = crate::CSP.replace("frame-ancestors 'none'", &format!("frame-ancestors {ancestors}"));
    let mut res = Html(doc.into_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_str(&policy).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    h.insert("x-robots-tag", axum::http::HeaderValue::from_static("noindex"));
    Ok(res)
}

pub(crate) async fn shared_svg(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<ViewQuery>,
) -> AppResult<Response> {
    let (map, _, shown) = shared_map(&state, &token).await?;
    let dq = DownloadQuery { version: Some(shown), persona: q.persona, theme: q.theme, evidence: None };
    drawings::download_response(&state, &map, "svg", dq, false).await
}

pub(crate) async fn shared_download(
    State(state): State<AppState>,
    Path((token, format)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> AppResult<Response> {
    let (map, _, shown) = shared_map(&state, &token).await?;
    // A share link shows its own version only.
    let dq = DownloadQuery { version: Some(shown), ..q };
    drawings::download_response(&state, &map, &format, dq, true).await.map(IntoResponse::into_response)
}

/// The upload field's `accept`: every log format's extensions, and `.gz`.
fn upload_accept() -> String {
    let mut all: Vec<String> = crate::service::evidence::extensions().collect();
    all.push(".gz".into());
    all.join(",")
}
