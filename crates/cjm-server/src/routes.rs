//! Every route of the app in one table: method, path, who may use it, what
//! it does, its handler, and (for the API) its body and answer types. The
//! router and the OpenAPI document are built from it, and the role × route
//! test reads it, so no route exists without a declared role, and the
//! documented permissions and the enforced ones cannot drift apart.

use crate::api::*;
use crate::store;
use crate::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use schemars::generate::SchemaGenerator;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Anyone, signed in or not.
    Public,
    /// A valid share link (the token is in the path).
    ShareLink,
    /// Any signed-in account.
    User,
    /// At least this role in the workspace of the map or workspace in the path.
    Viewer,
    Commenter,
    Editor,
    Owner,
}

type SchemaFn = fn(&mut SchemaGenerator) -> schemars::Schema;
/// The handler of a route, for the method it is given: the table is what
/// builds the router, so no route exists without its row.
type HandlerFn = fn(MethodFilter) -> MethodRouter<AppState>;

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub needs: Needs,
    pub summary: &'static str,
    pub body: Option<SchemaFn>,
    pub answer: Option<SchemaFn>,
    /// Status of a successful answer.
    pub status: u16,
    handler: HandlerFn,
}

fn s<T: JsonSchema>(g: &mut SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

const fn r(method: &'static str, path: &'static str, needs: Needs, summary: &'static str, handler: HandlerFn) -> Route {
    Route { method, path, needs, summary, body: None, answer: None, status: 200, handler }
}

// One argument per column of the table, so each row reads left to right.
#[allow(clippy::too_many_arguments)]
const fn api(
    method: &'static str,
    path: &'static str,
    needs: Needs,
    summary: &'static str,
    body: Option<SchemaFn>,
    answer: Option<SchemaFn>,
    status: u16,
    handler: HandlerFn,
) -> Route {
    Route { method, path, needs, summary, body, answer, status, handler }
}

use Needs::*;

/// The API. Paths use `{name}` for parameters, as OpenAPI does.
pub const API: &[Route] = &[
    api("GET", "/api/openapi.json", Public, "This document", None, None, 200, |m| on(m, openapi_json)),
    api("GET", "/api/me", User, "The signed-in account", None, Some(s::<Me>), 200, |m| on(m, crate::api::me)),
    api("GET", "/api/templates", User, "Templates a new map can start from", None, Some(s::<Vec<TemplateInfo>>), 200, |m| on(m, crate::api::templates)),
    api("GET", "/api/workspaces", User, "Your workspaces and your role in each", None, Some(s::<Vec<store::Workspace>>), 200, |m| on(m, crate::api::workspaces)),
    api("POST", "/api/workspaces", User, "Create a workspace; you own it", Some(s::<NewWorkspace>), Some(s::<Created>), 201, |m| on(m, crate::api::create_workspace)),
    api("PUT", "/api/me/password", User, "Change your password (signs out your other sessions)", Some(s::<PasswordChange>), None, 204, |m| on(m, crate::api::change_password)),
    api("GET", "/api/workspaces/{ws}/maps", Viewer, "The workspace's maps, newest change first; `q` searches titles, tags and text, `tag` filters", None, Some(s::<Vec<store::MapInfo>>), 200, |m| on(m, crate::api::list_maps)),
    api("POST", "/api/workspaces/{ws}/maps", Editor, "Create a map from a template, a text, or a title", Some(s::<NewMap>), Some(s::<Created>), 201, |m| on(m, crate::api::create_map)),
    api("GET", "/api/workspaces/{ws}/folder", Editor, "The log files of the server's folder (`cjm serve --logs DIR`), which a map can attach in place", None, Some(s::<crate::service::folder::FolderListing>), 200, |m| on(m, crate::api::folder_logs)),
    api("DELETE", "/api/workspaces/{ws}/logs/{log}", Editor, "Remove a log no map uses, with its file (`409` while a map uses it)", None, None, 204, |m| on(m, crate::api::remove_log)),
    api("GET", "/api/workspaces/{ws}/personas", Viewer, "The workspace's persona library, with how many maps take each persona", None, Some(s::<Vec<crate::service::personas::LibraryPersona>>), 200, |m| on(m, crate::api::list_personas)),
    api("POST", "/api/workspaces/{ws}/personas", Editor, "Add a persona to the library (maps take it with `use personas.cjm` or `use Name from personas.cjm`)", Some(s::<crate::service::personas::PersonaForm>), Some(s::<Created>), 201, |m| on(m, crate::api::create_persona)),
    api("GET", "/api/workspaces/{ws}/personas/{pid}", Viewer, "A library persona with its versions and the maps that take it", None, Some(s::<crate::api::PersonaDetail>), 200, |m| on(m, crate::api::get_persona)),
    api("PUT", "/api/workspaces/{ws}/personas/{pid}", Editor, "Edit a library persona (`409` when `base_version` is stale); saves a version of every map whose newest version takes it", Some(s::<crate::service::personas::PersonaForm>), Some(s::<crate::api::PersonaDetail>), 200, |m| on(m, crate::api::update_persona)),
    api("DELETE", "/api/workspaces/{ws}/personas/{pid}", Editor, "Remove a library persona no map takes (`409` while one does)", None, None, 204, |m| on(m, crate::api::delete_persona)),
    api("PUT", "/api/workspaces/{ws}/personas/{pid}/portrait", Editor, "Give a library persona a portrait: the body is a PNG, JPEG or WebP image of at most 8 MiB and 8,000 px a side, stored re-encoded as a JPEG of at most 512 px; `base_version` in the query", None, Some(s::<crate::api::PersonaDetail>), 200, |m| on(m, crate::api::set_portrait).layer(axum::extract::DefaultBodyLimit::max(crate::service::personas::MAX_PORTRAIT_BYTES))),
    api("GET", "/api/workspaces/{ws}/portraits/{pid}", Viewer, "A portrait of the library (JPEG)", None, None, 200, |m| on(m, crate::api::get_portrait)),
    api("GET", "/api/workspaces/{ws}/personas.cjm", Viewer, "The persona library as a `.cjm` file, for maps kept as files beside it (`use personas.cjm`)", None, None, 200, |m| on(m, crate::api::library_file)),
    api("GET", "/api/workspaces/{ws}/members", Viewer, "Members and their roles", None, Some(s::<Vec<store::Member>>), 200, |m| on(m, crate::api::list_members)),
    api("PUT", "/api/workspaces/{ws}/members/{user}", Owner, "Change a member's role", Some(s::<RoleBody>), None, 204, |m| on(m, crate::api::set_member_role)),
    api("DELETE", "/api/workspaces/{ws}/members/{user}", Owner, "Remove a member", None, None, 204, |m| on(m, crate::api::remove_member)),
    api("DELETE", "/api/workspaces/{ws}/invitations/{iid}", Owner, "Revoke an invitation not yet accepted", None, None, 204, |m| on(m, crate::api::revoke_invitation)),
    api("POST", "/api/workspaces/{ws}/invitations", Owner, "Invite someone by e-mail; answers the link to send", Some(s::<InviteBody>), Some(s::<Invitation>), 201, |m| on(m, crate::api::invite)),
    api("GET", "/api/maps/{id}", Viewer, "A map: its latest text, diagnostics and JSON form", None, Some(s::<MapDetail>), 200, |m| on(m, crate::api::get_map)),
    api("PATCH", "/api/maps/{id}", Editor, "Change a map's tags", Some(s::<MapPatch>), Some(s::<store::MapInfo>), 200, |m| on(m, crate::api::patch_map)),
    api("DELETE", "/api/maps/{id}", Owner, "Delete a map with its history, comments and share links", None, None, 204, |m| on(m, crate::api::delete_map)),
    api("PUT", "/api/maps/{id}/source", Editor, "Save a new version of the text (refused with 409 when `base_version` is stale)", Some(s::<SaveBody>), Some(s::<store::Version>), 200, |m| on(m, crate::api::save_source)),
    api("POST", "/api/maps/{id}/edits", Editor, "Apply a form edit (any property, stage, step, persona, metric, score or header line) to the text as a new version", Some(s::<EditBody>), Some(s::<Edited>), 200, |m| on(m, crate::api::form_edit)),
    api("GET", "/api/maps/{id}/live", Viewer, "The live document: with `Upgrade: websocket`, the co-editing socket (the y-websocket protocol; editors write, others watch); without, whether the live text has unsaved changes", None, Some(s::<crate::live::socket::LiveState>), 200, |m| on(m, crate::live::socket::live)),
    api("POST", "/api/maps/{id}/live/edits", Editor, "Apply a form edit to the live text (everyone editing sees it; no version until the next save)", Some(s::<LiveEditBody>), Some(s::<LiveEdited>), 200, |m| on(m, crate::api::live_edit)),
    api("GET", "/api/maps/{id}/live/people", Viewer, "Who has the map open live now (members only; nobody when nobody does)", None, Some(s::<Vec<crate::live::Person>>), 200, |m| on(m, crate::api::live_people)),
    api("POST", "/api/maps/{id}/live/save", Editor, "Save the live text as a new version", Some(s::<LiveSaveBody>), Some(s::<store::Version>), 201, |m| on(m, crate::api::live_save)),
    api("GET", "/api/maps/{id}/versions", Viewer, "Every version, newest first", None, Some(s::<Vec<store::Version>>), 200, |m| on(m, crate::api::list_versions)),
    api("GET", "/api/maps/{id}/versions/{n}", Viewer, "One version with its text", None, Some(s::<store::Version>), 200, |m| on(m, crate::api::get_version)),
    api("POST", "/api/maps/{id}/versions/{n}/restore", Editor, "Save an old version's text as the newest version", Some(s::<RestoreBody>), Some(s::<store::Version>), 200, |m| on(m, crate::api::restore_version)),
    api("PUT", "/api/maps/{id}/states", Editor, "Mark the versions that show the current and the future state", Some(s::<StatesBody>), Some(s::<store::MapInfo>), 200, |m| on(m, crate::api::set_states)),
    api("GET", "/api/maps/{id}/diff", Viewer, "What changed between versions `from` and `to`: in the map and in the text", None, Some(s::<Diff>), 200, |m| on(m, crate::api::diff)),
    api("GET", "/api/maps/{id}/comments", Viewer, "Comments, oldest first; replies name their parent", None, Some(s::<Vec<store::Comment>>), 200, |m| on(m, crate::api::list_comments)),
    api("POST", "/api/maps/{id}/comments", Commenter, "Comment on the map or a step, or reply; `@handle` mentions a member", Some(s::<NewComment>), Some(s::<store::Comment>), 201, |m| on(m, crate::api::add_comment)),
    api("PUT", "/api/maps/{id}/comments/{cid}/resolved", Commenter, "Resolve or reopen a comment", Some(s::<ResolvedBody>), Some(s::<store::Comment>), 200, |m| on(m, crate::api::resolve_comment)),
    api("GET", "/api/maps/{id}/shares", Editor, "Share links of a map", None, Some(s::<Vec<store::ShareLink>>), 200, |m| on(m, crate::api::list_shares)),
    api("POST", "/api/maps/{id}/shares", Editor, "Make a read-only share link (the answer is the only time the link is shown)", Some(s::<NewShare>), Some(s::<store::ShareLink>), 201, |m| on(m, crate::api::create_share)),
    api("DELETE", "/api/maps/{id}/shares/{sid}", Editor, "Revoke a share link", None, None, 204, |m| on(m, crate::api::revoke_share)),
    api("GET", "/api/maps/{id}/shares/{sid}/link", Editor, "A share link shown again, with its address (`409` for links made before they could be)", None, Some(s::<store::ShareLink>), 200, |m| on(m, crate::api::show_share)),
    api("GET", "/api/maps/{id}/evidence", Viewer, "The event log attached to the map and how it reads", None, Some(s::<EvidenceState>), 200, |m| on(m, crate::api::get_evidence)),
    api("POST", "/api/maps/{id}/evidence", Editor, "Upload an event log (multipart: `file`, optional `case`, `time`, `activity`, `channel`, `score` column names, `encoding` utf-8 or latin1, `lifecycle` auto, all, complete or start) and attach it; `202` with `pending` when the map has a log and the new one needs its columns chosen (it is kept in the workspace, unattached)", None, Some(s::<EvidenceState>), 201, |m| on(m, crate::api::upload_evidence).layer(axum::extract::DefaultBodyLimit::disable())),
    api("PUT", "/api/maps/{id}/evidence", Editor, "Attach or detach a log, or change its column mapping", Some(s::<SetEvidence>), Some(s::<EvidenceState>), 200, |m| on(m, crate::api::set_evidence)),
    api("POST", "/api/maps/{id}/evidence/folder", Editor, "Attach a file of the server's log folder in place (read as a stream, no upload limit); `202` with `pending` when its columns are to choose", Some(s::<crate::api::FolderPath>), Some(s::<EvidenceState>), 200, |m| on(m, crate::api::attach_folder_log)),
    api("POST", "/api/maps/{id}/evidence/spark", Editor, "Attach a table of the server's Spark cluster, or a Parquet path under a prefix the administrator allowed (in cjm's canonical layout, `cjm export`, or read by cjm's rules with the detected columns); measured maps and the log's overview, funnel, process map, variants and trends are then computed on the cluster. `503` when the cluster does not answer", Some(s::<crate::api::SparkLog>), Some(s::<EvidenceState>), 200, |m| on(m, crate::api::attach_spark_log)),
    api("GET", "/api/maps/{id}/evidence/values", Viewer, "What a step's evidence rule can pick from the map's log: touchpoints, channels and attributes (at most 5,000 distinct values), each value with its customers and events, most customers first", None, None, 200, |m| on(m, crate::api::evidence_values)),
    api("POST", "/api/maps/{id}/evidence/rule", Editor, "The evidence rule made from picks (or the picks a rule holds), with the customers and events it matches in the map's log", Some(s::<crate::service::picks::RuleQuestion>), Some(s::<crate::service::picks::RuleAnswer>), 200, |m| on(m, crate::api::evidence_rule)),
    api("GET", "/api/maps/{id}/measure", Viewer, "The map measured against its evidence, step by step (as `cjm measure --format json`)", None, None, 200, |m| on(m, crate::api::measure)),
    api("GET", "/api/maps/{id}/discover", Viewer, "A draft map discovered from the evidence (as `cjm discover`)", None, Some(s::<Draft>), 200, |m| on(m, crate::api::discover)),
    api("GET", "/api/maps/{id}/download/{format}", Viewer, "The map as svg, png, pdf, html, pptx (a PowerPoint deck), json, mmd (Mermaid) or cjm; `version`, `persona`, `theme` choose", None, None, 200, |m| on(m, crate::api::download)),
    api("POST", "/api/check", User, "Diagnostics for a text, with positions", Some(s::<SourceBody>), Some(s::<Checked>), 200, |m| on(m, crate::api::check)),
    api("POST", "/api/edit", User, "Work out a form edit on a text without storing anything: the new text and the smallest changes (UTF-16 offsets) that make it; the editor applies them to the live document as its own typing", Some(s::<ComputeEdit>), Some(s::<crate::service::check::Computed>), 200, |m| on(m, crate::api::compute_edit)),
    api("POST", "/api/preview", User, "Diagnostics and the SVG drawing of a text (the editor's live preview)", Some(s::<SourceBody>), Some(s::<Preview>), 200, |m| on(m, crate::api::preview)),
    api("GET", "/api/tokens", User, "Your API tokens", None, Some(s::<Vec<store::ApiToken>>), 200, |m| on(m, crate::api::list_tokens)),
    api("POST", "/api/tokens", User, "Make an API token (shown once)", Some(s::<NewToken>), Some(s::<store::ApiToken>), 201, |m| on(m, crate::api::create_token)),
    api("DELETE", "/api/tokens/{tid}", User, "Revoke an API token", None, None, 204, |m| on(m, crate::api::delete_token)),
    api("GET", "/api/mentions", User, "Comments that mention you", None, Some(s::<Vec<store::Mention>>), 200, |m| on(m, crate::api::mentions)),
];

/// The pages people open in a browser.
pub const PAGES: &[Route] = &[
    r("GET", "/", Public, "Home: your workspaces, or sign in", |m| on(m, crate::pages::account::home)),
    r("GET", "/login", Public, "Sign-in form", |m| on(m, crate::pages::account::login_form)),
    r("POST", "/login", Public, "Sign in", |m| on(m, crate::pages::account::login)),
    r("POST", "/logout", Public, "Sign out (does nothing when not signed in)", |m| {
        on(m, crate::pages::account::logout)
    }),
    r("GET", "/setup/{token}", Public, "First-run setup of the admin account", |m| {
        on(m, crate::pages::account::setup_form)
    }),
    r("POST", "/setup/{token}", Public, "Create the admin account", |m| on(m, crate::pages::account::setup)),
    r("GET", "/invite/{token}", Public, "Accept an invitation", |m| on(m, crate::pages::account::invite_form)),
    r("POST", "/invite/{token}", Public, "Join with a new or existing account", |m| {
        on(m, crate::pages::account::accept_invite)
    }),
    r("GET", "/account", User, "Your account and API tokens", |m| on(m, crate::pages::account::account)),
    r("GET", "/templates/{name}/preview.svg", User, "A template's drawing, for the new-map gallery", |m| {
        on(m, crate::pages::workspace::template_preview)
    }),
    r("GET", "/w/{ws}", Viewer, "Gallery of a workspace's maps", |m| on(m, crate::pages::workspace::gallery)),
    r("GET", "/w/{ws}/new", Editor, "New map form", |m| on(m, crate::pages::workspace::new_map)),
    r("GET", "/w/{ws}/members", Viewer, "Members and invitations", |m| on(m, crate::pages::workspace::members)),
    r("GET", "/w/{ws}/personas", Viewer, "The persona library: personas defined once, with portraits, the maps that take them and their versions", |m| {
        on(m, crate::pages::personas::library_page)
    }),
    r("GET", "/w/{ws}/logs", Viewer, "The workspace's event logs", |m| on(m, crate::pages::logs::logs_index)),
    r(
        "GET",
        "/w/{ws}/logs/{log}",
        Viewer,
        "A log's overview: events, customers, time range, touchpoints, channels (filters in the query)",
        |m| on(m, crate::pages::logs::overview),
    ),
    r(
        "GET",
        "/w/{ws}/logs/{log}/{view}",
        Viewer,
        "A view of a log: funnel, paths, process, variants or trends (filters and choices in the query)",
        |m| on(m, crate::pages::logs::view),
    ),
    r(
        "GET",
        "/w/{ws}/logs/{log}/{view}/chart/{file}",
        Viewer,
        "A view's chart as svg, png or pdf (`funnel.svg`, `time-to-convert.png`, …)",
        |m| on(m, crate::pages::logs::chart),
    ),
    r(
        "GET",
        "/w/{ws}/logs/{log}/funnel/dropped.csv",
        Viewer,
        "The customers who dropped in the funnel (`at_step` for one step), as CSV",
        |m| on(m, crate::pages::logs::dropped),
    ),
    r("GET", "/w/{ws}/opportunities", Viewer, "The opportunity portfolio of every map: impact × effort matrix and ranked list (filters in the query)", |m| {
        on(m, crate::pages::portfolio::workspace_page)
    }),
    r(
        "GET",
        "/w/{ws}/opportunities/{file}",
        Viewer,
        "The workspace's portfolio as `matrix.svg`, `matrix.png`, `matrix.pdf`, `opportunities.csv` (Jira and Linear columns) or `opportunities.json`",
        |m| on(m, crate::pages::portfolio::workspace_file),
    ),
    r("GET", "/m/{id}", Viewer, "The map page", |m| on(m, crate::pages::maps::map_page)),
    r("GET", "/m/{id}/opportunities", Viewer, "The map's opportunity portfolio: impact × effort matrix and ranked list (filters in the query)", |m| {
        on(m, crate::pages::portfolio::map_page)
    }),
    r(
        "GET",
        "/m/{id}/opportunities/{file}",
        Viewer,
        "The map's portfolio as `matrix.svg`, `matrix.png`, `matrix.pdf`, `opportunities.csv` or `opportunities.json`",
        |m| on(m, crate::pages::portfolio::map_file),
    ),
    r("GET", "/m/{id}/map.svg", Viewer, "The map's drawing", |m| on(m, crate::pages::maps::map_svg)),
    r("GET", "/m/{id}/download/{format}", Viewer, "Download the map", |m| on(m, crate::pages::maps::download)),
    r("GET", "/m/{id}/edit", Editor, "The editor", |m| on(m, crate::pages::maps::editor)),
    r("GET", "/m/{id}/history", Viewer, "Versions", |m| on(m, crate::pages::maps::history)),
    r("GET", "/m/{id}/versions/{n}", Viewer, "One version", |m| on(m, crate::pages::maps::version_page)),
    r("GET", "/m/{id}/diff", Viewer, "Two versions compared", |m| on(m, crate::pages::maps::diff_page)),
    r("GET", "/m/{id}/compare", Viewer, "Current and future state on one board, with the changes and both maps", |m| {
        on(m, crate::pages::maps::compare)
    }),
    r("GET", "/m/{id}/compare/{file}", Viewer, "The current-vs-future board as `board.svg`, `board.png` or `board.pdf`", |m| {
        on(m, crate::pages::maps::compare_download)
    }),
    r("GET", "/m/{id}/evidence", Viewer, "Evidence: upload, column mapping, figures, draft", |m| {
        on(m, crate::pages::maps::evidence_page)
    }),
    r("GET", "/m/{id}/share", Editor, "Share links", |m| on(m, crate::pages::maps::share_page)),
    r("GET", "/s/{token}", ShareLink, "A shared map, read-only", |m| on(m, crate::pages::maps::shared_page)),
    r("GET", "/s/{token}/live", ShareLink, "A live link's socket: the map's drawing pushed as it is edited", |m| {
        on(m, crate::live::socket::shared_live)
    }),
    r("GET", "/s/{token}/map.svg", ShareLink, "A shared map's drawing", |m| on(m, crate::pages::maps::shared_svg)),
    r("GET", "/s/{token}/embed", ShareLink, "A shared map alone, to show in a frame on the origins the link names (Confluence, Notion)", |m| {
        on(m, crate::pages::maps::shared_embed)
    }),
    r("GET", "/s/{token}/download/{format}", ShareLink, "Download a shared map", |m| {
        on(m, crate::pages::maps::shared_download)
    }),
];

/// Every route of [`API`] and [`PAGES`], each for its own method.
pub(crate) fn router() -> Router<AppState> {
    API.iter().chain(PAGES).fold(Router::new(), |router, route| {
        let method = MethodFilter::try_from(axum::http::Method::from_bytes(route.method.as_bytes()).expect("a method"))
            .expect("a method axum routes");
        // The role the row declares travels with the request, so that the
        // handler's access extractor can check it asks for the same.
        router.route(route.path, (route.handler)(method).layer(axum::Extension(route.needs)))
    })
}

async fn openapi_json() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(openapi())).into_response()
}

/// The OpenAPI 3.0 document for [`API`].
pub(crate) fn openapi() -> Value {
    let mut g = schemars::generate::SchemaSettings::openapi3().into_generator();
    let mut paths: Map<String, Value> = Map::new();
    let error = json!({
        "description": "An error: `{\"error\": {\"code\", \"message\"}}`; the message says what to fix",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    });
    for route in API {
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let kind = if name == "format" { "string" } else { "integer" };
                json!({ "name": name, "in": "path", "required": true, "schema": { "type": kind } })
            })
            .collect();
        let mut op = Map::new();
        op.insert("summary".into(), json!(route.summary));
        op.insert("operationId".into(), json!(operation_id(route)));
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = route.body {
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": { "schema": body(&mut g) } } }),
            );
        } else if route.method == "POST" && route.path.ends_with("/evidence") {
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "multipart/form-data": { "schema": {
                    "type": "object", "required": ["file"],
                    "properties": { "file": { "type": "string", "format": "binary" }, "case": { "type": "string" }, "time": { "type": "string" }, "activity": { "type": "string" }, "channel": { "type": "string" }, "score": { "type": "string" } }
                } } } }),
            );
        }
        let ok = match route.answer {
            Some(answer) => {
                json!({ "description": "OK", "content": { "application/json": { "schema": answer(&mut g) } } })
            }
            None if route.status == 204 => json!({ "description": "Done" }),
            None => json!({ "description": "OK" }),
        };
        let mut responses = Map::new();
        responses.insert(route.status.to_string(), ok);
        responses.insert("default".into(), error.clone());
        op.insert("responses".into(), Value::Object(responses));
        if route.needs != Public {
            op.insert("x-cjm-needs".into(), json!(format!("{:?}", route.needs).to_lowercase()));
        } else {
            op.insert("security".into(), json!([]));
        }
        let entry = paths.entry(route.path.to_string()).or_insert_with(|| json!({}));
        entry[route.method.to_lowercase()] = Value::Object(op);
    }
    let mut schemas = g.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "cjm",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Customer journey maps: workspaces, maps and their history, comments, share links and evidence. Authenticate with `Authorization: Bearer <token>` (make one on your account page), or from the browser with the session cookie and the `X-CSRF-Token` header. `x-cjm-needs` gives the least role a route needs in the workspace of the map or workspace in its path."
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" }, "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE } }
        },
        "security": [ { "token": [] }, { "session": [] } ],
        "paths": paths
    })
}

fn operation_id(route: &Route) -> String {
    let mut id = route.method.to_lowercase();
    for seg in route.path.trim_start_matches("/api/").split('/') {
        let seg = seg.trim_start_matches('{').trim_end_matches('}').replace(['.', '-'], "_");
        id.push('_');
        id.push_str(&seg);
    }
    id
}
