//! The JSON API: thin handlers that take a request apart, call a service
//! ([`crate::service`]) and answer JSON. Pages use it from their scripts
//! (with the session cookie and the `X-CSRF-Token` header); scripts use it
//! with an API token (`Authorization: Bearer …`). Every route, with the
//! role it needs, is a row of [`crate::routes::API`], which also builds
//! `/api/openapi.json`.

use crate::auth::{Principal, Role, TokenScope};
use crate::error::{AppError, AppResult};
use crate::extract::{Body, Commenter, Editor, Form, MapAccess, Owner, Path, Query, SignedIn, Viewer, WorkspaceAccess};
use crate::service::personas::Library;
use crate::service::{self, accounts, comments, drawings, evidence, maps, shares};
use crate::store::{self, ColumnMapping, MapInfo};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod personas;
pub(crate) use personas::*;

pub(crate) use crate::service::check::Checked;
pub(crate) use crate::service::diff::Diff;
pub(crate) use crate::service::evidence::EvidenceState;
use cjm_syntax::diag::DiagnosticRecord;

// ---------------------------------------------------------------- people

#[derive(Serialize, JsonSchema)]
pub(crate) struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub handle: String,
    pub is_admin: bool,
}

pub(crate) async fn me(SignedIn(u): SignedIn) -> Json<Me> {
    Json(Me { id: u.id, email: u.email, name: u.name, handle: u.handle, is_admin: u.is_admin })
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct TemplateInfo {
    pub name: &'static str,
    pub summary: &'static str,
}

pub(crate) async fn templates(_: SignedIn) -> Json<Vec<TemplateInfo>> {
    Json(cjm_model::templates::ALL.iter().map(|t| TemplateInfo { name: t.name, summary: t.summary }).collect())
}

pub(crate) async fn workspaces(
    State(state): State<AppState>,
    SignedIn(u): SignedIn,
) -> AppResult<Json<Vec<store::Workspace>>> {
    Ok(Json(state.db.read(move |c| store::workspaces_of(c, u.id)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWorkspace {
    pub name: String,
}

pub(crate) async fn create_workspace(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Body(body): Body<NewWorkspace>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = accounts::create_workspace(&state, &user, &body.name).await?;
    Ok((StatusCode::CREATED, Json(Created { id, url: format!("/w/{id}") })))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    pub current: String,
    pub new: String,
    /// Also revoke every API token of the account.
    #[serde(default)]
    pub revoke_tokens: bool,
}

/// Changes the signed-in user's password and signs out their other sessions.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    headers: HeaderMap,
    Body(body): Body<PasswordChange>,
) -> AppResult<StatusCode> {
    let keep =
        crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE).map(crate::token::token_hash).unwrap_or_default();
    accounts::change_password(&state, &user, body.current, &body.new, keep, body.revoke_tokens).await?;
    state.live.role_changed(user.id);
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    access: WorkspaceAccess<Owner>,
    Path((_, iid)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    let ws = access.ws;
    state.db.write(move |tx| store::revoke_invitation(tx, ws, iid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_members(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Json<Vec<store::Member>>> {
    let ws = access.ws;
    Ok(Json(state.db.read(move |c| store::members(c, ws)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    pub role: Role,
}

pub(crate) async fn set_member_role(
    State(state): State<AppState>,
    access: WorkspaceAccess<Owner>,
    Path((_, user)): Path<(i64, i64)>,
    Body(body): Body<RoleBody>,
) -> AppResult<StatusCode> {
    let ws = access.ws;
    state.db.write(move |tx| store::set_member_role(tx, ws, user, body.role)).await?;
    state.live.role_changed(user);
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn remove_member(
    State(state): State<AppState>,
    access: WorkspaceAccess<Owner>,
    Path((_, user)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    let ws = access.ws;
    state.db.write(move |tx| store::remove_member(tx, ws, user)).await?;
    state.live.role_changed(user);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteBody {
    pub email: String,
    pub role: Role,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Invitation {
    /// The link to send; it works once, for 14 days.
    pub url: String,
    pub expires_at: i64,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    access: WorkspaceAccess<Owner>,
    headers: HeaderMap,
    Body(body): Body<InviteBody>,
) -> AppResult<(StatusCode, Json<Invitation>)> {
    let base = accounts::base_url(&state, &headers);
    let (url, expires_at) = accounts::invite(&state, access.ws, &access.user, &body.email, body.role, &base).await?;
    Ok((StatusCode::CREATED, Json(Invitation { url, expires_at })))
}

// ---------------------------------------------------------------- maps

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
}

pub(crate) async fn list_maps(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<MapInfo>>> {
    let ws = access.ws;
    Ok(Json(state.db.read(move |c| store::maps_in(c, ws, &q.q, &q.tag)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMap {
    /// Start from this template (see `/api/templates`)…
    pub template: Option<String>,
    /// …or from this `.cjm` (or Mermaid) text…
    pub source: Option<String>,
    /// …or from a map in cjm's JSON form (`cjm schema`)…
    pub journey: Option<serde_json::Value>,
    /// …or from an empty map with this title.
    pub title: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Attach this log of the workspace to the new map (a map made from a
    /// log's draft keeps its log).
    #[serde(default)]
    pub evidence_id: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Created {
    pub id: i64,
    /// The map's page.
    pub url: String,
}

pub(crate) async fn create_map(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Body(body): Body<NewMap>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let start = maps::Start { template: body.template, source: body.source, journey: body.journey, title: body.title };
    let ws = access.ws;
    if let Some(eid) = body.evidence_id {
        // Checked before the map exists: a log of another workspace is not found.
        if state.db.read(move |c| store::evidence(c, eid)).await?.1 != ws {
            return Err(AppError::NotFound);
        }
    }
    let id = maps::create(&state, ws, &access.user, &start, &body.tags).await?;
    if let Some(eid) = body.evidence_id {
        state.db.write(move |tx| store::attach_evidence(tx, id, Some(eid))).await?;
    }
    Ok((StatusCode::CREATED, Json(Created { id, url: format!("/m/{id}") })))
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct MapDetail {
    #[serde(flatten)]
    pub info: MapInfo,
    /// Your role in the map's workspace.
    pub role: Role,
    pub source: String,
    pub diagnostics: Vec<DiagnosticRecord>,
    /// The map in cjm's JSON form (see `cjm schema`).
    pub journey: serde_json::Value,
}

pub(crate) async fn get_map(State(state): State<AppState>, access: MapAccess<Viewer>) -> AppResult<Json<MapDetail>> {
    let MapAccess { map: info, role, .. } = access;
    let (id, head) = (info.id, info.head);
    let version = state.db.read(move |c| store::version(c, id, head)).await?;
    let source = version.source.clone().unwrap_or_default();
    let checked = state.checked_async(version.id, source.clone()).await?;
    Ok(Json(MapDetail {
        journey: serde_json::to_value(&checked.journey).map_err(|e| AppError::Internal(e.to_string()))?,
        diagnostics: service::check::diagnostics(&source, &checked.diagnostics),
        info,
        role,
        source,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MapPatch {
    pub tags: Option<Vec<String>>,
}

pub(crate) async fn patch_map(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<MapPatch>,
) -> AppResult<Json<MapInfo>> {
    Ok(Json(maps::set_tags(&state, &access.map, body.tags).await?))
}

pub(crate) async fn delete_map(State(state): State<AppState>, access: MapAccess<Owner>) -> AppResult<StatusCode> {
    maps::delete(&state, &access.map).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaveBody {
    pub source: String,
    #[serde(default)]
    pub message: String,
    /// The version you started from; the save is refused (409) when someone
    /// saved since. Leave out to save over whatever is latest.
    pub base_version: Option<i64>,
}

pub(crate) async fn save_source(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<SaveBody>,
) -> AppResult<Json<store::Version>> {
    let v = maps::save(&state, &access.map, &access.user, body.source, body.message, body.base_version).await?;
    Ok(Json(v))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditBody {
    pub base_version: i64,
    pub edit: cjm_model::edit::Edit,
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Edited {
    pub version: store::Version,
    pub source: String,
}

pub(crate) async fn form_edit(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<EditBody>,
) -> AppResult<Json<Edited>> {
    let (version, source) =
        maps::edit(&state, &access.map, &access.user, body.base_version, body.edit, &body.message).await?;
    Ok(Json(Edited { version, source }))
}

pub(crate) async fn list_versions(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
) -> AppResult<Json<Vec<store::Version>>> {
    let id = access.map.id;
    Ok(Json(state.db.read(move |c| store::versions(c, id)).await?))
}

pub(crate) async fn get_version(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Path((_, n)): Path<(i64, i64)>,
) -> AppResult<Json<store::Version>> {
    let id = access.map.id;
    Ok(Json(state.db.read(move |c| store::version(c, id, n)).await?))
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreBody {
    pub base_version: Option<i64>,
}

pub(crate) async fn restore_version(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Path((_, n)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> AppResult<Json<store::Version>> {
    // The body is optional: without one, the restore goes over whatever is latest.
    let base = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RestoreBody>(&body)
            .map_err(|e| AppError::bad(format!("the request body: {e}")))?
            .base_version
    };
    Ok(Json(maps::restore(&state, &access.map, &access.user, n, base).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatesBody {
    /// The version that shows the journey as it is today (`null` to clear).
    pub current: Option<i64>,
    /// The version that shows the journey as it should become (`null` to clear).
    pub future: Option<i64>,
}

pub(crate) async fn set_states(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<StatesBody>,
) -> AppResult<Json<MapInfo>> {
    Ok(Json(maps::set_states(&state, &access.map, body.current, body.future).await?))
}

pub(crate) async fn diff(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Query(q): Query<service::diff::DiffQuery>,
) -> AppResult<Response> {
    let d = service::diff::compute_diff(&state, access.map.id, q.from, q.to).await?;
    Ok(Json(&*d).into_response())
}

// ---------------------------------------------------------------- comments

pub(crate) async fn list_comments(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
) -> AppResult<Json<Vec<store::Comment>>> {
    let id = access.map.id;
    Ok(Json(state.db.read(move |c| store::comments(c, id)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewComment {
    pub body: String,
    /// Anchor the comment to this step id (none: the whole map).
    pub step: Option<String>,
    /// Reply to this comment.
    pub parent_id: Option<i64>,
}

pub(crate) async fn add_comment(
    State(state): State<AppState>,
    access: MapAccess<Commenter>,
    Body(body): Body<NewComment>,
) -> AppResult<(StatusCode, Json<store::Comment>)> {
    let c = comments::add(&state, &access.map, &access.user, &body.body, body.step, body.parent_id).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolvedBody {
    pub resolved: bool,
}

pub(crate) async fn resolve_comment(
    State(state): State<AppState>,
    access: MapAccess<Commenter>,
    Path((_, cid)): Path<(i64, i64)>,
    Body(body): Body<ResolvedBody>,
) -> AppResult<Json<store::Comment>> {
    Ok(Json(comments::set_resolved(&state, &access.map, &access.user, cid, body.resolved).await?))
}

pub(crate) async fn mentions(
    State(state): State<AppState>,
    SignedIn(u): SignedIn,
) -> AppResult<Json<Vec<store::Mention>>> {
    Ok(Json(state.db.read(move |c| store::mentions(c, u.id, None, 50)).await?))
}

// ---------------------------------------------------------------- share links

pub(crate) async fn list_shares(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
) -> AppResult<Json<Vec<store::ShareLink>>> {
    let id = access.map.id;
    Ok(Json(state.db.read(move |c| store::share_links(c, id)).await?))
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewShare {
    #[serde(default)]
    pub label: String,
    /// Days until the link stops working; none: until revoked.
    pub expires_in_days: Option<u32>,
    /// Holders watch the map being edited, live (the drawing only, never
    /// anybody's name). Off by default: they see the last saved version.
    #[serde(default)]
    pub live: bool,
    /// Which version the link shows: `current` (the version marked current,
    /// else the latest; the default), `latest` (the default of a live
    /// link), or a version number.
    #[serde(default)]
    pub pin: Option<String>,
    /// Origins that may show the embeddable view (`/s/{token}/embed`) in a
    /// frame, e.g. `https://example.atlassian.net` (at most 10).
    #[serde(default)]
    pub embed_origins: Vec<String>,
}

pub(crate) async fn create_share(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    headers: HeaderMap,
    Body(body): Body<NewShare>,
) -> AppResult<(StatusCode, Json<store::ShareLink>)> {
    let base = accounts::base_url(&state, &headers);
    let ask = shares::Ask {
        label: &body.label,
        expires_in_days: body.expires_in_days,
        live: body.live,
        pin: body.pin.as_deref(),
        embed_origins: &body.embed_origins,
    };
    let link = shares::create(&state, &access.map, &access.user, ask, &base).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

pub(crate) async fn show_share(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    headers: HeaderMap,
    Path((_, sid)): Path<(i64, i64)>,
) -> AppResult<Json<store::ShareLink>> {
    let base = accounts::base_url(&state, &headers);
    Ok(Json(shares::show(&state, &access.map, sid, &base).await?))
}

pub(crate) async fn revoke_share(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Path((_, sid)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    shares::revoke(&state, &access.map, sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- evidence

pub(crate) async fn get_evidence(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
) -> AppResult<Json<EvidenceState>> {
    Ok(Json(evidence::evidence_state(&state, &access.map).await?))
}

pub(crate) async fn upload_evidence(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Form(mut form): Form,
) -> AppResult<(StatusCode, Json<EvidenceState>)> {
    let limit = state.config.max_upload;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut mapping = ColumnMapping::default();
    while let Some(mut field) = form.next_field().await.map_err(|e| upload_error(e, limit))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field
                .file_name()
                .unwrap_or("events.csv")
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("events.csv")
                .to_string();
            evidence::format_of(&file_name)?;
            // Read in chunks and stop at the limit: an oversized upload is
            // refused without being held in memory first.
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| upload_error(e, limit))? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some((file_name, bytes));
        } else {
            let value = small_field(&mut field, &name).await?;
            let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
            match name.as_str() {
                "case" => mapping.case = value,
                "time" => mapping.time = value,
                "activity" => mapping.activity = value,
                "channel" => mapping.channel = value,
                "score" => mapping.score = value,
                "encoding" => mapping.encoding = value,
                "lifecycle" => mapping.lifecycle = value,
                _ => {}
            }
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| AppError::bad("no file: send the log in a form field named `file`"))?;
    let answer = evidence::upload(&state, &access.map, &access.user, file_name, bytes, mapping).await?;
    // Kept in the workspace but not attached: its columns are to choose.
    let status = if answer.pending.is_some() { StatusCode::ACCEPTED } else { StatusCode::CREATED };
    Ok((status, Json(answer)))
}

/// The longest text field of the upload form (a column name).
pub const MAX_FORM_FIELD: usize = 1024;

/// A text field of the upload form, read in chunks up to [`MAX_FORM_FIELD`] bytes.
async fn small_field(field: &mut axum::extract::multipart::Field<'_>, name: &str) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| upload_error(e, MAX_FORM_FIELD as u64))? {
        if bytes.len() + chunk.len() > MAX_FORM_FIELD {
            return Err(AppError::TooLarge(format!(
                "the form field `{}` is longer than {MAX_FORM_FIELD} bytes; a column name is expected there",
                name.chars().take(40).collect::<String>()
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::bad(format!("the form field `{name}` is not UTF-8 text")))
}

fn too_large(limit: u64) -> AppError {
    AppError::TooLarge(format!(
        "the file is larger than the upload limit of {} MB; ask the administrator to raise `--max-upload`",
        limit / (1024 * 1024)
    ))
}

fn upload_error(e: axum::extract::multipart::MultipartError, limit: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        AppError::bad(format!("the upload: {}", e.body_text()))
    }
}

pub(crate) async fn evidence_values(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
) -> AppResult<Json<Vec<cjm_analytics::FieldValues>>> {
    Ok(Json((*service::picks::values(&state, &access.map).await?).clone()))
}

pub(crate) async fn evidence_rule(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<service::picks::RuleQuestion>,
) -> AppResult<Json<service::picks::RuleAnswer>> {
    Ok(Json(service::picks::rule(&state, &access.map, body).await?))
}

pub(crate) async fn folder_logs(
    State(state): State<AppState>,
    _access: WorkspaceAccess<Editor>,
) -> AppResult<Json<service::folder::FolderListing>> {
    let config = state.config.clone();
    let listing = tokio::task::spawn_blocking(move || service::folder::list(&config))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(listing))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FolderPath {
    /// The file's path inside the server's log folder, as listed.
    pub path: String,
}

pub(crate) async fn attach_folder_log(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<FolderPath>,
) -> AppResult<(StatusCode, Json<EvidenceState>)> {
    let answer = service::folder::attach(&state, &access.map, &access.user, body.path).await?;
    let status = if answer.pending.is_some() { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(answer)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SparkLog {
    /// A table or view of the cluster's session (`events`,
    /// `sales.events`): in cjm's canonical layout, or a table over Parquet
    /// files read by cjm's rules with the detected columns.
    #[serde(default)]
    pub table: Option<String>,
    /// Or a Parquet file or folder (in the canonical layout or not), under
    /// a prefix the administrator allowed (`cjm serve --spark-paths`).
    #[serde(default)]
    pub path: Option<String>,
}

pub(crate) async fn attach_spark_log(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<SparkLog>,
) -> AppResult<Json<EvidenceState>> {
    Ok(Json(service::spark::attach(&state, &access.map, &access.user, body.table, body.path).await?))
}

pub(crate) async fn remove_log(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Path((_, log)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    evidence::remove(&state, access.ws, log).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetEvidence {
    /// The uploaded log to use (from this workspace); `null` detaches.
    pub evidence_id: Option<i64>,
    /// Column names for each role; empty fields are detected.
    pub mapping: Option<ColumnMapping>,
}

pub(crate) async fn set_evidence(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<SetEvidence>,
) -> AppResult<Json<EvidenceState>> {
    Ok(Json(evidence::attach(&state, &access.map, body.evidence_id, body.mapping).await?))
}

pub(crate) async fn measure(State(state): State<AppState>, access: MapAccess<Viewer>) -> AppResult<Response> {
    let m = evidence::measured(&state, &access.map, None)
        .await?
        .ok_or_else(|| AppError::bad("this map has no evidence that reads; upload a log on the evidence page"))?;
    Ok(Json(&m.measurement).into_response())
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Draft {
    /// A draft map discovered from the evidence (`cjm discover`).
    pub source: String,
}

pub(crate) async fn discover(State(state): State<AppState>, access: MapAccess<Viewer>) -> AppResult<Json<Draft>> {
    Ok(Json(Draft { source: evidence::draft(&state, &access.map).await? }))
}

// ---------------------------------------------------------------- drawing

pub(crate) async fn download(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
    Path((_, format)): Path<(i64, String)>,
    Query(q): Query<drawings::DownloadQuery>,
) -> AppResult<Response> {
    drawings::download_response(&state, &access.map, &format, q, true).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceBody {
    pub source: String,
    pub persona: Option<String>,
    pub theme: Option<String>,
    /// The map the text is of: its `use personas.cjm` lines read that
    /// map's workspace's persona library (you must be a member).
    pub map: Option<i64>,
}

/// The persona library a text of map `map` reads (an empty one for no
/// map); `404` unless `user` is a member of the map's workspace.
async fn library_for(state: &AppState, user: &crate::auth::User, map: Option<i64>) -> AppResult<Library> {
    let Some(id) = map else { return Ok(Library::default()) };
    let uid = user.id;
    let ws = state.db.read(move |c| store::map_for(c, uid, id).map(|(m, _, _)| m.workspace_id)).await?;
    Library::of(state, ws).await
}

pub(crate) async fn check(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Body(body): Body<SourceBody>,
) -> AppResult<Json<Checked>> {
    let library = library_for(&state, &user, body.map).await?;
    Ok(Json(service::check::check(body.source, library).await?))
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Preview {
    #[serde(flatten)]
    pub checked: Checked,
    /// The drawing, when the text has no errors.
    pub svg: Option<String>,
    /// The map it draws (what the map editor shows in its fields).
    pub map: Option<cjm_model::Journey>,
}

pub(crate) async fn preview(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Body(body): Body<SourceBody>,
) -> AppResult<Json<Preview>> {
    let view = drawings::View { persona: body.persona.clone(), theme: body.theme.clone() };
    let library = library_for(&state, &user, body.map).await?;
    let (checked, drawn) = service::check::preview(&state, body.source, library, body.persona, view.theme()?).await?;
    let (svg, map) = drawn.map_or((None, None), |(svg, map)| (Some(svg), Some(map)));
    Ok(Json(Preview { checked, svg, map }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComputeEdit {
    pub source: String,
    pub edit: cjm_model::edit::Edit,
    /// The map the text is of (its `use` lines read that workspace's library).
    pub map: Option<i64>,
}

pub(crate) async fn compute_edit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Body(body): Body<ComputeEdit>,
) -> AppResult<Json<service::check::Computed>> {
    let library = library_for(&state, &user, body.map).await?;
    Ok(Json(service::check::edit(body.source, library, body.edit).await?))
}

// ---------------------------------------------------------------- tokens

pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    SignedIn(u): SignedIn,
) -> AppResult<Json<Vec<store::ApiToken>>> {
    Ok(Json(state.db.read(move |c| store::api_tokens(c, u.id)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    pub name: String,
    /// `read` (the default) or `write`.
    #[serde(default = "read_scope")]
    pub scope: TokenScope,
    /// Days until the token stops working (1 to 3650); leave out for never.
    pub expires_in_days: Option<u32>,
}

fn read_scope() -> TokenScope {
    TokenScope::Read
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    SignedIn(user): SignedIn,
    Body(body): Body<NewToken>,
) -> AppResult<(StatusCode, Json<store::ApiToken>)> {
    if matches!(who, Principal::Token { .. }) {
        return Err(AppError::Forbidden("make API tokens with an API token; sign in on the account page"));
    }
    let t = accounts::create_token(&state, &user, &body.name, body.scope, body.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

pub(crate) async fn delete_token(
    State(state): State<AppState>,
    SignedIn(u): SignedIn,
    Path(tid): Path<i64>,
) -> AppResult<StatusCode> {
    state.db.write(move |tx| store::delete_api_token(tx, tid, u.id)).await?;
    state.live.role_changed(u.id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveSaveBody {
    /// What changed, for the history (optional).
    #[serde(default)]
    pub message: String,
}

pub(crate) async fn live_people(
    State(state): State<AppState>,
    access: MapAccess<Viewer>,
) -> AppResult<Json<Vec<crate::live::Person>>> {
    Ok(Json(crate::live::people(&state, access.map.id).await))
}

pub(crate) async fn live_save(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<LiveSaveBody>,
) -> AppResult<(StatusCode, Json<store::Version>)> {
    let v = crate::live::save(&state, &access.map, &access.user, body.message).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveEditBody {
    pub edit: cjm_model::edit::Edit,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct LiveEdited {
    /// The live text after the edit.
    pub source: String,
}

pub(crate) async fn live_edit(
    State(state): State<AppState>,
    access: MapAccess<Editor>,
    Body(body): Body<LiveEditBody>,
) -> AppResult<Json<LiveEdited>> {
    let source = crate::live::edit(&state, &access.map, access.user.id, body.edit).await?;
    Ok(Json(LiveEdited { source }))
}
