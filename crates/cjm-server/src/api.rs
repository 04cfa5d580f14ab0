//! The JSON API. Pages use it from their scripts (with the session cookie
//! and the `X-CSRF-Token` header); scripts use it with an API token
//! (`Authorization: Bearer …`). [`crate::routes::ROUTES`] lists every route
//! with the role it needs; `/api/openapi.json` is built from that list.

use crate::auth::{hash_password, now, random_token, token_hash, Principal, Role, User};
use crate::error::{AppError, AppResult};
use crate::render::{Drawable, Format, View};
use crate::store::{self, ColumnMapping, MapInfo};
use crate::AppState;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cjm_syntax::diag::LineIndex;
use rusqlite::{params, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// axum's `Path<T>` whose rejection is an [`AppError`] (a JSON error for
/// scripts, an error page for people), not axum's plain-text answer.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for Path<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            // A parameter that does not parse names nothing that exists.
            Err(_) => Err(AppError::NotFound),
        }
    }
}

/// axum's `Query<T>` whose rejection is an [`AppError`] naming the field.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(AppError::bad(format!("the query string: {}", e.body_text()))),
        }
    }
}

/// axum's `Multipart` whose rejection (no or a bad boundary) is an [`AppError`].
pub struct Form(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Multipart::from_request(req, state).await.map(Form).map_err(|e| {
            AppError::bad(format!("the upload must be multipart/form-data with a `file` field: {}", e.body_text()))
        })
    }
}

/// `Json<T>` whose rejection is an [`AppError`] naming the bad field.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge("the request body is larger than this server accepts".into()))
            }
            Err(e) => Err(AppError::bad(format!("the request body: {}", e.body_text()))),
        }
    }
}

pub(crate) async fn openapi() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(crate::routes::openapi())).into_response()
}

// ---------------------------------------------------------------- access

/// The map, the signed-in user and their role, or `NotFound` / `Unauthorized`.
pub async fn map_access(state: &AppState, who: &Principal, id: i64) -> AppResult<(User, MapInfo, Role)> {
    let user = who.require_user()?.clone();
    let uid = user.id;
    let (map, role) = state.db.read(move |c| store::map_for(c, uid, id)).await?;
    Ok((user, map, role))
}

async fn workspace_access(state: &AppState, who: &Principal, ws: i64) -> AppResult<(User, Role)> {
    let user = who.require_user()?.clone();
    let uid = user.id;
    let role = state.db.read(move |c| store::role_in(c, uid, ws)).await?.ok_or(AppError::NotFound)?;
    Ok((user, role))
}

// ---------------------------------------------------------------- people

#[derive(Serialize, JsonSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub handle: String,
    pub is_admin: bool,
}

pub(crate) async fn me(who: Principal) -> AppResult<Json<Me>> {
    let u = who.require_user()?;
    Ok(Json(Me {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        handle: u.handle.clone(),
        is_admin: u.is_admin,
    }))
}

#[derive(Serialize, JsonSchema)]
pub struct TemplateInfo {
    pub name: &'static str,
    pub summary: &'static str,
}

pub(crate) async fn templates(who: Principal) -> AppResult<Json<Vec<TemplateInfo>>> {
    who.require_user()?;
    Ok(Json(cjm_model::templates::ALL.iter().map(|t| TemplateInfo { name: t.name, summary: t.summary }).collect()))
}

pub(crate) async fn workspaces(
    State(state): State<AppState>,
    who: Principal,
) -> AppResult<Json<Vec<store::Workspace>>> {
    let uid = who.require_user()?.id;
    Ok(Json(state.db.read(move |c| store::workspaces_of(c, uid)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    pub name: String,
}

pub(crate) async fn create_workspace(
    State(state): State<AppState>,
    who: Principal,
    Body(body): Body<NewWorkspace>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let uid = who.require_user()?.id;
    let name: String = body.name.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    if name.is_empty() {
        return Err(AppError::bad("give the workspace a name, e.g. your team's"));
    }
    let id = state.db.write(move |tx| store::create_workspace(tx, &name, uid)).await?;
    Ok((StatusCode::CREATED, Json(Created { id, url: format!("/w/{id}") })))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    /// Also revoke every API token of the account.
    #[serde(default)]
    pub revoke_tokens: bool,
}

/// Changes the signed-in user's password and signs out their other sessions.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Body(body): Body<PasswordChange>,
) -> AppResult<StatusCode> {
    let uid = who.require_user()?.id;
    let attempt = state.login_limit.begin(&[(crate::throttle::key("password", &uid.to_string()), 1)])?;
    let stored: String = state
        .db
        .read(move |c| {
            Ok::<_, AppError>(c.query_row("SELECT password_hash FROM users WHERE id = ?1", [uid], |r| r.get(0))?)
        })
        .await?;
    if !state.login_limit.verify(body.current.clone(), stored).await? {
        attempt.failed();
        return Err(AppError::bad("the current password is not right"));
    }
    attempt.succeeded();
    let hash = new_password_hash(&body.new)?;
    let keep = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE).map(token_hash).unwrap_or_default();
    state
        .db
        .write(move |tx| {
            tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![uid, hash])?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2", params![uid, keep])?;
            if body.revoke_tokens {
                tx.execute("DELETE FROM api_tokens WHERE user_id = ?1", [uid])?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    who: Principal,
    Path((ws, iid)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    let (_, role) = workspace_access(&state, &who, ws).await?;
    role.require(Role::Owner, "revoke invitations")?;
    let n = state
        .db
        .write(move |tx| {
            Ok::<_, AppError>(tx.execute(
                "DELETE FROM invitations WHERE id = ?1 AND workspace_id = ?2 AND accepted_at IS NULL",
                [iid, ws],
            )?)
        })
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_members(
    State(state): State<AppState>,
    who: Principal,
    Path(ws): Path<i64>,
) -> AppResult<Json<Vec<store::Member>>> {
    workspace_access(&state, &who, ws).await?;
    Ok(Json(state.db.read(move |c| store::members(c, ws)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: Role,
}

pub(crate) async fn set_member_role(
    State(state): State<AppState>,
    who: Principal,
    Path((ws, user)): Path<(i64, i64)>,
    Body(body): Body<RoleBody>,
) -> AppResult<StatusCode> {
    let (_, role) = workspace_access(&state, &who, ws).await?;
    role.require(Role::Owner, "change members' roles")?;
    state
        .db
        .write(move |tx| {
            let current = store::role_in(tx, user, ws)?.ok_or(AppError::NotFound)?;
            if current == Role::Owner && body.role != Role::Owner && owners(tx, ws)? == 1 {
                return Err(AppError::Conflict(
                    "this is the workspace's last owner; make someone else owner first".into(),
                ));
            }
            tx.execute(
                "UPDATE members SET role = ?3 WHERE workspace_id = ?1 AND user_id = ?2",
                params![ws, user, body.role.as_str()],
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn owners(c: &rusqlite::Connection, ws: i64) -> AppResult<i64> {
    Ok(c.query_row("SELECT count(*) FROM members WHERE workspace_id = ?1 AND role = 'owner'", [ws], |r| r.get(0))?)
}

pub(crate) async fn remove_member(
    State(state): State<AppState>,
    who: Principal,
    Path((ws, user)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    let (_, role) = workspace_access(&state, &who, ws).await?;
    role.require(Role::Owner, "remove members")?;
    state
        .db
        .write(move |tx| {
            let current = store::role_in(tx, user, ws)?.ok_or(AppError::NotFound)?;
            if current == Role::Owner && owners(tx, ws)? == 1 {
                return Err(AppError::Conflict(
                    "this is the workspace's last owner; make someone else owner first".into(),
                ));
            }
            tx.execute("DELETE FROM members WHERE workspace_id = ?1 AND user_id = ?2", [ws, user])?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub email: String,
    pub role: Role,
}

#[derive(Serialize, JsonSchema)]
pub struct Invitation {
    /// The link to send; it works once, for 14 days.
    pub url: String,
    pub expires_at: i64,
}

pub const INVITATION_DAYS: i64 = 14;

pub(crate) async fn invite(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(ws): Path<i64>,
    Body(body): Body<InviteBody>,
) -> AppResult<(StatusCode, Json<Invitation>)> {
    let (user, role) = workspace_access(&state, &who, ws).await?;
    role.require(Role::Owner, "invite people")?;
    let email = check_email(&body.email)?;
    let token = random_token(24);
    let hash = token_hash(&token);
    let expires_at = now() + INVITATION_DAYS * 86400;
    state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO invitations (workspace_id, email, role, token_hash, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![ws, email, body.role.as_str(), hash, user.id, now(), expires_at],
            )?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Invitation { url: format!("{}/invite/{token}", base_url(&state, &headers)), expires_at }),
    ))
}

pub fn check_email(email: &str) -> AppResult<String> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !e.contains(char::is_whitespace);
    if ok {
        Ok(e.to_string())
    } else {
        Err(AppError::bad(format!(
            "`{}` is not an e-mail address (expected name@example.com)",
            e.chars().take(80).collect::<String>()
        )))
    }
}

/// The address to put in links: the configured public URL, or the Host the
/// request came to.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if crate::auth::secure(state, headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

// ---------------------------------------------------------------- maps

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
}

pub(crate) async fn list_maps(
    State(state): State<AppState>,
    who: Principal,
    Path(ws): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<MapInfo>>> {
    workspace_access(&state, &who, ws).await?;
    Ok(Json(state.db.read(move |c| store::maps_in(c, ws, &q.q, &q.tag)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMap {
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
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
    /// The map's page.
    pub url: String,
}

pub fn starting_source(body: &NewMap) -> AppResult<String> {
    if let Some(name) = &body.template {
        let t = cjm_model::templates::get(name).ok_or_else(|| {
            let names: Vec<&str> = cjm_model::templates::ALL.iter().map(|t| t.name).collect();
            AppError::bad(format!("no template `{name}`; choose one of: {}", names.join(", ")))
        })?;
        let mut text = t.text.to_string();
        if let Some(title) = body.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let old = cjm_model::check(&text).journey.title.unwrap_or_default();
            let escaped = cjm_syntax::escape::escape_text(title, &['#']);
            text = text.replacen(&format!("title {old}"), &format!("title {escaped}"), 1);
        }
        return Ok(text);
    }
    if let Some(source) = &body.source {
        return Ok(source.clone());
    }
    if let Some(json) = &body.journey {
        let read = cjm_model::json::from_json(&json.to_string())
            .map_err(|d| AppError::bad(format!("journey: {}", d.message)))?;
        if let Some(f) = read.findings.iter().find(|f| f.severity == cjm_syntax::Severity::Error) {
            return Err(AppError::bad(format!("journey: {}", f.message)));
        }
        return Ok(cjm_model::to_cjm(&read.journey));
    }
    let title = body.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("Untitled journey");
    Ok(format!(
        "journey\n  title {}\n\n  section First stage\n    First step: 3\n",
        cjm_syntax::escape::escape_text(title, &['#'])
    ))
}

pub(crate) async fn create_map(
    State(state): State<AppState>,
    who: Principal,
    Path(ws): Path<i64>,
    Body(body): Body<NewMap>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let (user, role) = workspace_access(&state, &who, ws).await?;
    role.require(Role::Editor, "create maps")?;
    let source = starting_source(&body)?;
    let tags = store::normalise_tags(&body.tags)?;
    let message = match &body.template {
        Some(t) => format!("Created from the {t} template"),
        None => "Created".into(),
    };
    let checked = store::Checked::off_runtime(source).await?;
    let id = state.db.write(move |tx| store::create_map(tx, ws, user.id, &checked, &tags, &message)).await?;
    Ok((StatusCode::CREATED, Json(Created { id, url: format!("/m/{id}") })))
}

/// A diagnostic for the editor: position as line and column (1-based).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Diag {
    /// `error` or `warning`.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets into the text (for editors that count bytes).
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub hint: Option<String>,
}

/// The most diagnostics an answer lists (the counts beside them are whole):
/// a 2 MB map can hold 190,000 warnings, and each is a few hundred bytes of JSON.
pub const MAX_DIAGNOSTICS: usize = 1_000;

pub fn diagnostics(source: &str, diags: &[cjm_syntax::Diagnostic]) -> Vec<Diag> {
    let index = LineIndex::new(source);
    diags
        .iter()
        .take(MAX_DIAGNOSTICS)
        .map(|d| {
            let (line, column) = index.line_col(d.span.start);
            let (end_line, end_column) = index.line_col(d.span.end);
            Diag {
                severity: if d.is_error() { "error".into() } else { "warning".into() },
                code: d.code.to_string(),
                message: d.message.clone(),
                line,
                column,
                end_line,
                end_column,
                start: d.span.start.min(source.len()),
                end: d.span.end.min(source.len()),
                label: d.label.clone(),
                hint: d.hint.clone(),
            }
        })
        .collect()
}

#[derive(Serialize, JsonSchema)]
pub struct MapDetail {
    #[serde(flatten)]
    pub info: MapInfo,
    /// Your role in the map's workspace.
    pub role: Role,
    pub source: String,
    pub diagnostics: Vec<Diag>,
    /// The map in cjm's JSON form (see `cjm schema`).
    pub journey: serde_json::Value,
}

pub(crate) async fn get_map(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<MapDetail>> {
    let (_, info, role) = map_access(&state, &who, id).await?;
    let head = info.head;
    let version = state.db.read(move |c| store::version(c, id, head)).await?;
    let source = version.source.clone().unwrap_or_default();
    let checked = state.checked_async(version.id, source.clone()).await?;
    Ok(Json(MapDetail {
        journey: serde_json::to_value(&checked.journey).map_err(|e| AppError::Internal(e.to_string()))?,
        diagnostics: diagnostics(&source, &checked.diagnostics),
        info,
        role,
        source,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MapPatch {
    pub tags: Option<Vec<String>>,
}

pub(crate) async fn patch_map(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<MapPatch>,
) -> AppResult<Json<MapInfo>> {
    let (_, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "change maps")?;
    if let Some(tags) = body.tags {
        let tags = store::normalise_tags(&tags)?;
        state
            .db
            .write(move |tx| {
                Ok::<_, AppError>(tx.execute("UPDATE maps SET tags = ?2 WHERE id = ?1", params![id, tags])?)
            })
            .await?;
    }
    Ok(Json(state.db.read(move |c| store::map(c, id)).await?))
}

pub(crate) async fn delete_map(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let (_, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Owner, "delete maps")?;
    state.db.write(move |tx| Ok::<_, AppError>(tx.execute("DELETE FROM maps WHERE id = ?1", [id])?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    pub source: String,
    #[serde(default)]
    pub message: String,
    /// The version you started from; the save is refused (409) when someone
    /// saved since. Leave out to save over whatever is latest.
    pub base_version: Option<i64>,
}

pub(crate) async fn save_source(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<SaveBody>,
) -> AppResult<Json<store::Version>> {
    let (user, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "edit maps")?;
    let checked = store::Checked::off_runtime(body.source).await?;
    let v = state
        .db
        .write(move |tx| store::append_version(tx, id, user.id, &checked, &body.message, body.base_version))
        .await?;
    Ok(Json(v))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    pub base_version: i64,
    pub edit: cjm_model::edit::Edit,
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Edited {
    pub version: store::Version,
    pub source: String,
}

fn describe_edit(e: &cjm_model::edit::Edit) -> String {
    use cjm_model::edit::Edit::*;
    match e {
        AddStage { name, .. } => format!("Added stage “{name}”"),
        RenameStage { name, .. } => format!("Renamed a stage to “{name}”"),
        MoveStage { stage, .. } => format!("Moved stage {stage}"),
        DeleteStage { stage } => format!("Deleted stage {stage}"),
        AddStep { name, .. } => format!("Added step “{name}”"),
        RenameStep { name, .. } => format!("Renamed a step to “{name}”"),
        MoveStep { step, .. } => format!("Moved step {step}"),
        DeleteStep { step } => format!("Deleted step {step}"),
        SetScore { step, score } => {
            format!("Set the score of {step} to {}", score.map_or("-".into(), cjm_model::print::number))
        }
        AddPain { step, .. } => format!("Added a pain point to {step}"),
        AddOpportunity { step, .. } => format!("Added an opportunity to {step}"),
    }
}

pub(crate) async fn form_edit(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<EditBody>,
) -> AppResult<Json<Edited>> {
    let (user, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "edit maps")?;
    // The edit applies to the version the author saw; the append refuses
    // it (409) if someone saved since. Both the edit and the check run
    // outside the write transaction.
    let base = body.base_version;
    let current = state.db.read(move |c| store::version(c, id, base)).await?.source.unwrap_or_default();
    let edit = body.edit;
    let message = if body.message.trim().is_empty() { describe_edit(&edit) } else { body.message.clone() };
    let checked = tokio::task::spawn_blocking(move || {
        let source = cjm_model::edit::apply(&current, &edit).map_err(|e| AppError::bad(e.0))?;
        store::Checked::new(source)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let out = state
        .db
        .write(move |tx| {
            let version = store::append_version(tx, id, user.id, &checked, &message, Some(base))?;
            Ok::<_, AppError>(Edited { version, source: checked.source().to_string() })
        })
        .await?;
    Ok(Json(out))
}

pub(crate) async fn list_versions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<store::Version>>> {
    map_access(&state, &who, id).await?;
    Ok(Json(state.db.read(move |c| store::versions(c, id)).await?))
}

pub(crate) async fn get_version(
    State(state): State<AppState>,
    who: Principal,
    Path((id, n)): Path<(i64, i64)>,
) -> AppResult<Json<store::Version>> {
    map_access(&state, &who, id).await?;
    Ok(Json(state.db.read(move |c| store::version(c, id, n)).await?))
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    pub base_version: Option<i64>,
}

pub(crate) async fn restore_version(
    State(state): State<AppState>,
    who: Principal,
    Path((id, n)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> AppResult<Json<store::Version>> {
    let (user, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "restore versions")?;
    // The body is optional: without one, the restore goes over whatever is latest.
    let base = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RestoreBody>(&body)
            .map_err(|e| AppError::bad(format!("the request body: {e}")))?
            .base_version
    };
    let old = state.db.read(move |c| store::version(c, id, n)).await?;
    let checked = store::Checked::off_runtime(old.source.unwrap_or_default()).await?;
    let v = state
        .db
        .write(move |tx| store::append_version(tx, id, user.id, &checked, &format!("Restored version {n}"), base))
        .await?;
    Ok(Json(v))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatesBody {
    /// The version that shows the journey as it is today (`null` to clear).
    pub current: Option<i64>,
    /// The version that shows the journey as it should become (`null` to clear).
    pub future: Option<i64>,
}

pub(crate) async fn set_states(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<StatesBody>,
) -> AppResult<Json<MapInfo>> {
    let (_, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "mark current and future states")?;
    state
        .db
        .write(move |tx| {
            for n in [body.current, body.future].into_iter().flatten() {
                store::version(tx, id, n).map_err(|_| AppError::bad(format!("this map has no version {n}")))?;
            }
            tx.execute(
                "UPDATE maps SET current_version = ?2, future_version = ?3 WHERE id = ?1",
                params![id, body.current, body.future],
            )?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(Json(state.db.read(move |c| store::map(c, id)).await?))
}

#[derive(Deserialize)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct DiffLine {
    /// ` ` unchanged, `-` removed, `+` added.
    pub tag: String,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    /// What changed in the map.
    pub changes: Vec<cjm_model::diff::Change>,
    /// The text, line by line, with three lines of context around changes.
    pub hunks: Vec<Vec<DiffLine>>,
    /// True when the text comparison stopped at [`MAX_DIFF_LINES`] lines.
    pub hunks_cut: bool,
}

/// The most lines of a text comparison shown, and the time the line
/// matching may take before it settles for a coarser (still correct) diff.
pub const MAX_DIFF_LINES: usize = 5_000;
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(500);

/// The text compared line by line, with a time budget and at most
/// [`MAX_DIFF_LINES`] lines; the flag says whether it was cut.
pub fn text_diff(a: &str, b: &str) -> (Vec<Vec<DiffLine>>, bool) {
    let d = similar::TextDiff::configure().timeout(DIFF_DEADLINE).diff_lines(a, b);
    let mut left = MAX_DIFF_LINES;
    let mut cut = false;
    let hunks = d
        .grouped_ops(3)
        .into_iter()
        .map_while(|group| {
            if left == 0 {
                cut = true;
                return None;
            }
            let mut changes = group.iter().flat_map(|op| d.iter_changes(op));
            let lines: Vec<DiffLine> = changes
                .by_ref()
                .take(left)
                .map(|c| DiffLine {
                    tag: match c.tag() {
                        similar::ChangeTag::Equal => " ",
                        similar::ChangeTag::Delete => "-",
                        similar::ChangeTag::Insert => "+",
                    }
                    .into(),
                    old_line: c.old_index().map(|i| i + 1),
                    new_line: c.new_index().map(|i| i + 1),
                    text: c.value().trim_end_matches('\n').to_string(),
                })
                .collect();
            cut |= changes.next().is_some();
            left -= lines.len();
            Some(lines)
        })
        .collect();
    (hunks, cut)
}

/// Versions `from` and `to` of map `id` compared: once per pair (versions
/// never change), then from the cache.
pub async fn compute_diff(state: &AppState, id: i64, from: i64, to: i64) -> AppResult<Arc<Diff>> {
    let (a, b) =
        state.db.read(move |c| Ok::<_, AppError>((store::version(c, id, from)?, store::version(c, id, to)?))).await?;
    let st = state.clone();
    state
        .diffs
        .get_or_make((a.id, b.id), move || {
            let (ca, cb) = (
                st.checked(a.id, a.source.as_deref().unwrap_or_default()),
                st.checked(b.id, b.source.as_deref().unwrap_or_default()),
            );
            let changes = cjm_model::diff::diff(&ca.journey, &cb.journey);
            let (hunks, hunks_cut) =
                text_diff(a.source.as_deref().unwrap_or_default(), b.source.as_deref().unwrap_or_default());
            let bytes = changes.iter().map(|c| c.detail.len() + c.id.len() + 64).sum::<usize>()
                + hunks.iter().flatten().map(|l| l.text.len() + 64).sum::<usize>();
            Ok((Diff { from, to, changes, hunks, hunks_cut }, bytes))
        })
        .await
}

pub(crate) async fn diff(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> AppResult<Response> {
    map_access(&state, &who, id).await?;
    let d = compute_diff(&state, id, q.from, q.to).await?;
    Ok(Json(&*d).into_response())
}

// ---------------------------------------------------------------- comments

pub(crate) async fn list_comments(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<store::Comment>>> {
    map_access(&state, &who, id).await?;
    Ok(Json(state.db.read(move |c| store::comments(c, id)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    /// Anchor the comment to this step id (none: the whole map).
    pub step: Option<String>,
    /// Reply to this comment.
    pub parent_id: Option<i64>,
}

pub(crate) async fn add_comment(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<NewComment>,
) -> AppResult<(StatusCode, Json<store::Comment>)> {
    let (user, map, role) = map_access(&state, &who, id).await?;
    role.require(Role::Commenter, "comment")?;
    let text = body.body.trim().to_string();
    if text.is_empty() {
        return Err(AppError::bad("the comment is empty"));
    }
    if text.chars().count() > 10_000 {
        return Err(AppError::bad("the comment is longer than 10,000 characters"));
    }
    let step = body.step.filter(|s| !s.is_empty());
    let ws = map.workspace_id;
    let comment = state
        .db
        .write(move |tx| {
            let mut step = step;
            if let Some(parent) = body.parent_id {
                let parent_step: Option<Option<String>> = tx
                    .query_row("SELECT step FROM comments WHERE id = ?1 AND map_id = ?2", [parent, id], |r| r.get(0))
                    .optional()?;
                // A reply lives in its parent's thread, on its parent's step.
                step = parent_step.ok_or_else(|| AppError::bad(format!("no comment {parent} on this map to reply to")))?;
            }
            tx.execute(
                "INSERT INTO comments (map_id, parent_id, step, author_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, body.parent_id, step, user.id, text, now()],
            )?;
            let cid = tx.last_insert_rowid();
            for handle in store::mentioned_handles(&text) {
                tx.execute(
                    "INSERT OR IGNORE INTO mentions (comment_id, user_id) SELECT ?1, u.id FROM users u JOIN members m ON m.user_id = u.id AND m.workspace_id = ?3 WHERE u.handle = ?2",
                    params![cid, handle, ws],
                )?;
            }
            store::comments(tx, id)?.into_iter().find(|c| c.id == cid).ok_or(AppError::NotFound)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolvedBody {
    pub resolved: bool,
}

pub(crate) async fn resolve_comment(
    State(state): State<AppState>,
    who: Principal,
    Path((id, cid)): Path<(i64, i64)>,
    Body(body): Body<ResolvedBody>,
) -> AppResult<Json<store::Comment>> {
    let (user, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Commenter, "resolve comments")?;
    state
        .db
        .write(move |tx| {
            let n = if body.resolved {
                tx.execute(
                    "UPDATE comments SET resolved_at = ?3, resolved_by = ?4 WHERE id = ?1 AND map_id = ?2",
                    params![cid, id, now(), user.id],
                )?
            } else {
                tx.execute(
                    "UPDATE comments SET resolved_at = NULL, resolved_by = NULL WHERE id = ?1 AND map_id = ?2",
                    params![cid, id],
                )?
            };
            if n == 0 {
                return Err(AppError::NotFound);
            }
            store::comments(tx, id)?.into_iter().find(|c| c.id == cid).ok_or(AppError::NotFound)
        })
        .await
        .map(Json)
}

pub(crate) async fn mentions(State(state): State<AppState>, who: Principal) -> AppResult<Json<Vec<store::Mention>>> {
    let uid = who.require_user()?.id;
    Ok(Json(state.db.read(move |c| store::mentions(c, uid, None, 50)).await?))
}

// ---------------------------------------------------------------- share links

pub(crate) async fn list_shares(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<store::ShareLink>>> {
    let (_, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "see share links")?;
    Ok(Json(state.db.read(move |c| store::share_links(c, id)).await?))
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    #[serde(default)]
    pub label: String,
    /// Days until the link stops working; none: until revoked.
    pub expires_in_days: Option<u32>,
}

pub(crate) async fn create_share(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Body(body): Body<NewShare>,
) -> AppResult<(StatusCode, Json<store::ShareLink>)> {
    let (user, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "share maps")?;
    if body.expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(AppError::bad("expires_in_days: expected 1 to 3650"));
    }
    let token = random_token(24);
    let hash = token_hash(&token);
    let label: String = body.label.trim().chars().take(100).collect();
    let expires_at = body.expires_in_days.map(|d| now() + i64::from(d) * 86400);
    let mut link = state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO share_links (map_id, token_hash, label, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, hash, label, user.id, now(), expires_at],
            )?;
            let sid = tx.last_insert_rowid();
            store::share_links(tx, id)?.into_iter().find(|s| s.id == sid).ok_or(AppError::NotFound)
        })
        .await?;
    link.url = Some(format!("{}/s/{token}", base_url(&state, &headers)));
    Ok((StatusCode::CREATED, Json(link)))
}

pub(crate) async fn revoke_share(
    State(state): State<AppState>,
    who: Principal,
    Path((id, sid)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    let (_, _, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "revoke share links")?;
    let n = state
        .db
        .write(move |tx| {
            Ok::<_, AppError>(tx.execute(
                "UPDATE share_links SET revoked_at = ?3 WHERE id = ?1 AND map_id = ?2 AND revoked_at IS NULL",
                params![sid, id, now()],
            )?)
        })
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- evidence

#[derive(Serialize, JsonSchema)]
pub struct EvidenceState {
    pub evidence: Option<store::Evidence>,
    /// The log as read with the mapping (absent when reading failed).
    pub summary: Option<crate::evidence::LogSummary>,
    /// Why the log could not be read with the mapping, and what to change.
    pub error: Option<String>,
}

pub async fn evidence_state(state: &AppState, map: &MapInfo) -> AppResult<EvidenceState> {
    let Some(eid) = map.evidence_id else { return Ok(EvidenceState { evidence: None, summary: None, error: None }) };
    let (ev, _) = state.db.read(move |c| store::evidence(c, eid)).await?;
    let path = crate::evidence::path_of(&state.config.data_dir, &ev.stored_as);
    let read = state.evidence.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await;
    Ok(match read {
        Ok(log) => EvidenceState { summary: Some(crate::evidence::summarize(&log)), evidence: Some(ev), error: None },
        Err(AppError::BadRequest(m) | AppError::Unprocessable(m)) => {
            EvidenceState { evidence: Some(ev), summary: None, error: Some(m) }
        }
        Err(e) => return Err(e),
    })
}

pub(crate) async fn get_evidence(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<EvidenceState>> {
    let (_, map, _) = map_access(&state, &who, id).await?;
    Ok(Json(evidence_state(&state, &map).await?))
}

pub(crate) async fn upload_evidence(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Form(mut form): Form,
) -> AppResult<(StatusCode, Json<EvidenceState>)> {
    let (user, map, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "attach evidence")?;
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
            crate::evidence::format_of(&file_name)?;
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
                _ => {}
            }
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| AppError::bad("no file: send the log in a form field named `file`"))?;
    if bytes.is_empty() {
        return Err(AppError::bad(format!("`{file_name}` is empty")));
    }
    let dir = state.config.data_dir.join("evidence");
    let size = bytes.len() as i64;
    let fname = file_name.clone();
    let stored = tokio::task::spawn_blocking(move || crate::evidence::store_upload(&dir, &fname, &bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let mapping_json = serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into());
    let ws = map.workspace_id;
    let (name, stored_as) = (file_name.clone(), stored.clone());
    let eid = state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, mapping, uploaded_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![ws, name, stored_as, size, mapping_json, user.id, now()],
            )?;
            Ok::<_, AppError>(tx.last_insert_rowid())
        })
        .await?;
    // A column the form named must be in the log before anything is kept.
    let path = crate::evidence::path_of(&state.config.data_dir, &stored);
    if let Err(AppError::Unprocessable(m)) = state.evidence.log(eid, path.clone(), file_name, mapping).await {
        state.db.write(move |tx| Ok::<_, AppError>(tx.execute("DELETE FROM evidence WHERE id = ?1", [eid])?)).await?;
        let _ = tokio::fs::remove_file(&path).await;
        return Err(AppError::Unprocessable(m));
    }
    state
        .db
        .write(move |tx| Ok::<_, AppError>(tx.execute("UPDATE maps SET evidence_id = ?2 WHERE id = ?1", [id, eid])?))
        .await?;
    let map = state.db.read(move |c| store::map(c, id)).await?;
    Ok((StatusCode::CREATED, Json(evidence_state(&state, &map).await?)))
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

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEvidence {
    /// The uploaded log to use (from this workspace); `null` detaches.
    pub evidence_id: Option<i64>,
    /// Column names for each role; empty fields are detected.
    pub mapping: Option<ColumnMapping>,
}

pub(crate) async fn set_evidence(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(body): Body<SetEvidence>,
) -> AppResult<Json<EvidenceState>> {
    let (_, map, role) = map_access(&state, &who, id).await?;
    role.require(Role::Editor, "attach evidence")?;
    let ws = map.workspace_id;
    if let (Some(eid), Some(mapping)) = (body.evidence_id, body.mapping.clone()) {
        // The columns named must be in the log before the mapping is saved.
        let (ev, owner_ws) = state.db.read(move |c| store::evidence(c, eid)).await?;
        if owner_ws != ws {
            return Err(AppError::NotFound);
        }
        let path = crate::evidence::path_of(&state.config.data_dir, &ev.stored_as);
        if let Err(e @ AppError::Unprocessable(_)) = state.evidence.log(eid, path, ev.file_name, mapping).await {
            return Err(e);
        }
    }
    state
        .db
        .write(move |tx| {
            if let Some(eid) = body.evidence_id {
                let (_, owner_ws) = store::evidence(tx, eid)?;
                if owner_ws != ws {
                    return Err(AppError::NotFound);
                }
                if let Some(m) = &body.mapping {
                    tx.execute(
                        "UPDATE evidence SET mapping = ?2 WHERE id = ?1",
                        params![eid, serde_json::to_string(m).unwrap_or_default()],
                    )?;
                }
            }
            tx.execute("UPDATE maps SET evidence_id = ?2 WHERE id = ?1", params![id, body.evidence_id])?;
            Ok(())
        })
        .await?;
    let map = state.db.read(move |c| store::map(c, id)).await?;
    Ok(Json(evidence_state(&state, &map).await?))
}

/// The head version measured against the map's evidence.
pub async fn measured(
    state: &AppState,
    map: &MapInfo,
    version: Option<i64>,
) -> AppResult<Option<Arc<crate::evidence::Measured>>> {
    let Some(eid) = map.evidence_id else { return Ok(None) };
    let (id, n) = (map.id, version.unwrap_or(map.head));
    let (ev, v) =
        state.db.read(move |c| Ok::<_, AppError>((store::evidence(c, eid)?.0, store::version(c, id, n)?))).await?;
    measured_for(state, ev, &v).await
}

/// A version measured against a log: from the cache, or read and measured
/// on the blocking pool. `None` when the log does not read with its mapping.
pub async fn measured_for(
    state: &AppState,
    ev: store::Evidence,
    v: &store::Version,
) -> AppResult<Option<Arc<crate::evidence::Measured>>> {
    let out = state.evidence.measure(state, &ev, v.id, v.source.clone().unwrap_or_default()).await;
    match out {
        Ok(m) => Ok(Some(m)),
        // A log that does not read with its mapping: the page shows the map without figures.
        Err(AppError::BadRequest(_) | AppError::Unprocessable(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn measure(State(state): State<AppState>, who: Principal, Path(id): Path<i64>) -> AppResult<Response> {
    let (_, map, _) = map_access(&state, &who, id).await?;
    let m = measured(&state, &map, None)
        .await?
        .ok_or_else(|| AppError::bad("this map has no evidence that reads; upload a log on the evidence page"))?;
    Ok(Json(&m.measurement).into_response())
}

#[derive(Serialize, JsonSchema)]
pub struct Draft {
    /// A draft map discovered from the evidence (`cjm discover`).
    pub source: String,
}

pub(crate) async fn discover(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Draft>> {
    let (_, map, _) = map_access(&state, &who, id).await?;
    let eid =
        map.evidence_id.ok_or_else(|| AppError::bad("this map has no evidence; upload a log on the evidence page"))?;
    let (ev, _) = state.db.read(move |c| store::evidence(c, eid)).await?;
    let path = crate::evidence::path_of(&state.config.data_dir, &ev.stored_as);
    let log = state.evidence.log(ev.id, path, ev.file_name.clone(), ev.mapping.clone()).await?;
    let source = tokio::task::spawn_blocking(move || crate::evidence::discover(&log, &ev.file_name))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(Draft { source }))
}

// ---------------------------------------------------------------- drawing

#[derive(Deserialize, Default)]
pub struct DownloadQuery {
    pub version: Option<i64>,
    pub persona: Option<String>,
    pub theme: Option<String>,
    /// Draw the evidence's figures (default: yes when the map has evidence).
    pub evidence: Option<bool>,
}

/// One version of a map, drawn or exported, as a download.
pub async fn download_response(
    state: &AppState,
    map: &MapInfo,
    format: &str,
    q: DownloadQuery,
    attachment: bool,
) -> AppResult<Response> {
    let format = Format::parse(format)
        .ok_or_else(|| AppError::bad(format!("format `{format}`: expected svg, png, pdf, html, json, mmd or cjm")))?;
    let (id, n, eid) = (map.id, q.version.unwrap_or(map.head), map.evidence_id);
    let drawn = matches!(format, Format::Svg | Format::Png | Format::Pdf | Format::Html);
    let with_evidence = q.evidence.unwrap_or(true) && drawn;
    let (v, ev) = state
        .db
        .read(move |c| {
            let ev = match eid.filter(|_| with_evidence) {
                Some(e) => Some(store::evidence(c, e)?.0),
                None => None,
            };
            Ok::<_, AppError>((store::version(c, id, n)?, ev))
        })
        .await?;
    let measures = match ev {
        Some(ev) => measured_for(state, ev, &v).await?.map(|m| (eid.unwrap_or(0), m.figures.clone())),
        None => None,
    };
    let view = View { persona: q.persona, theme: q.theme };
    let bytes = crate::render::draw(
        state,
        Drawable { version_id: v.id, source: v.source.unwrap_or_default(), measures },
        format,
        &view,
        true,
    )
    .await?;
    let name = crate::render::file_name(&map.title, format);
    let disposition =
        if attachment { format!("attachment; filename=\"{name}\"") } else { format!("inline; filename=\"{name}\"") };
    let mut res = (
        [(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Bytes(bytes),
    )
        .into_response();
    if format == Format::Html {
        // The downloaded viewer carries its own inline script; it is a file to
        // save, never a page of this site, so it gets a sandbox.
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static("sandbox; default-src 'none'"),
        );
    }
    Ok(res)
}

/// Shared bytes as a response body without copying.
pub struct Bytes(pub Arc<Vec<u8>>);

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        let bytes = axum::body::Bytes::from_owner(ArcBytes(self.0));
        axum::body::Body::from(bytes).into_response()
    }
}

struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

pub(crate) async fn download(
    State(state): State<AppState>,
    who: Principal,
    Path((id, format)): Path<(i64, String)>,
    Query(q): Query<DownloadQuery>,
) -> AppResult<Response> {
    let (_, map, _) = map_access(&state, &who, id).await?;
    download_response(&state, &map, &format, q, true).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceBody {
    pub source: String,
    pub persona: Option<String>,
    pub theme: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Checked {
    /// The first [`MAX_DIAGNOSTICS`], in text order; `errors` and
    /// `warnings` count them all.
    pub diagnostics: Vec<Diag>,
    pub errors: usize,
    pub warnings: usize,
    /// Stage and step ids and names, for forms.
    pub outline: Vec<OutlineStage>,
}

#[derive(Serialize, JsonSchema)]
pub struct OutlineStage {
    pub id: String,
    pub name: String,
    pub steps: Vec<OutlineStep>,
}

#[derive(Serialize, JsonSchema)]
pub struct OutlineStep {
    pub id: String,
    pub name: String,
    pub score: Option<f64>,
}

fn checked(source: &str) -> AppResult<(Checked, cjm_model::Journey)> {
    if source.len() > store::MAX_SOURCE {
        return Err(AppError::TooLarge(format!("the map is larger than {} bytes", store::MAX_SOURCE)));
    }
    let lowered = cjm_model::check(source);
    let diagnostics = diagnostics(source, &lowered.diagnostics);
    let errors = lowered.diagnostics.iter().filter(|d| d.is_error()).count();
    let outline = lowered
        .journey
        .stages
        .iter()
        .map(|s| OutlineStage {
            id: s.id.clone(),
            name: s.name.clone(),
            steps: s
                .steps
                .iter()
                .map(|t| OutlineStep { id: t.id.clone(), name: t.name.clone(), score: t.score })
                .collect(),
        })
        .collect();
    let warnings = lowered.diagnostics.len() - errors;
    Ok((Checked { warnings, errors, diagnostics, outline }, lowered.journey))
}

pub(crate) async fn check(who: Principal, Body(body): Body<SourceBody>) -> AppResult<Json<Checked>> {
    who.require_user()?;
    Ok(Json(
        tokio::task::spawn_blocking(move || checked(&body.source))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??
            .0,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct Preview {
    #[serde(flatten)]
    pub checked: Checked,
    /// The drawing, when the text has no errors.
    pub svg: Option<String>,
}

pub(crate) async fn preview(who: Principal, Body(body): Body<SourceBody>) -> AppResult<Json<Preview>> {
    who.require_user()?;
    let view = View { persona: body.persona.clone(), theme: body.theme.clone() };
    let theme = view.theme()?;
    let out = tokio::task::spawn_blocking(move || -> AppResult<Preview> {
        let (c, map) = checked(&body.source)?;
        let svg = (c.errors == 0).then(|| {
            let persona = body.persona.filter(|p| map.personas.iter().any(|x| &x.name == p));
            cjm_render::svg(&map, &cjm_render::Options { theme, persona, embed_font: false, ..Default::default() })
        });
        Ok(Preview { checked: c, svg })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(out))
}

// ---------------------------------------------------------------- tokens

pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    who: Principal,
) -> AppResult<Json<Vec<store::ApiToken>>> {
    let uid = who.require_user()?.id;
    Ok(Json(state.db.read(move |c| store::api_tokens(c, uid)).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// `read` (the default) or `write`.
    #[serde(default = "read_scope")]
    pub scope: crate::auth::TokenScope,
    /// Days until the token stops working (1 to 3650); leave out for never.
    pub expires_in_days: Option<u32>,
}

fn read_scope() -> crate::auth::TokenScope {
    crate::auth::TokenScope::Read
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    Body(body): Body<NewToken>,
) -> AppResult<(StatusCode, Json<store::ApiToken>)> {
    let uid = who.require_user()?.id;
    if matches!(who, Principal::Token { .. }) {
        return Err(AppError::Forbidden("make API tokens with an API token; sign in on the account page"));
    }
    let name: String = body.name.trim().chars().take(100).collect();
    if name.is_empty() {
        return Err(AppError::bad("give the token a name, e.g. the script that will use it"));
    }
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now() + i64::from(days) * 86_400),
        Some(days) => {
            return Err(AppError::bad(format!("expires_in_days {days}: expected 1 to 3650, or leave it out")))
        }
    };
    let scope = body.scope.as_str();
    let token = format!("cjm_{}", random_token(30));
    let hash = token_hash(&token);
    let mut t = state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, scope, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![uid, name, hash, now(), scope, expires_at],
            )?;
            let tid = tx.last_insert_rowid();
            store::api_tokens(tx, uid)?.into_iter().find(|t| t.id == tid).ok_or(AppError::NotFound)
        })
        .await?;
    t.token = Some(token);
    Ok((StatusCode::CREATED, Json(t)))
}

pub(crate) async fn delete_token(
    State(state): State<AppState>,
    who: Principal,
    Path(tid): Path<i64>,
) -> AppResult<StatusCode> {
    let uid = who.require_user()?.id;
    let n = state
        .db
        .write(move |tx| {
            Ok::<_, AppError>(tx.execute("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2", [tid, uid])?)
        })
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Used by the first-run setup and invitations: a new account's password.
pub fn new_password_hash(password: &str) -> AppResult<String> {
    crate::auth::check_password_rules(password)?;
    hash_password(password)
}
