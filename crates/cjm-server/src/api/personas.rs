//! The persona library's routes: list, add, edit, remove, portraits, and
//! the library as the `personas.cjm` file maps `use`.

use super::Created;
use crate::error::{AppError, AppResult};
use crate::extract::{Body, Editor, Path, Query, Viewer, WorkspaceAccess};
use crate::service::personas::{self, Change, LibraryPersona, PersonaForm};
use crate::store;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) async fn list_personas(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Json<Vec<LibraryPersona>>> {
    Ok(Json(personas::list(&state, access.ws).await?))
}

pub(crate) async fn create_persona(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Body(form): Body<PersonaForm>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = personas::create(&state, access.ws, access.user.id, form).await?;
    let url = format!("/w/{}/personas#persona-{id}", access.ws);
    Ok((StatusCode::CREATED, Json(Created { id, url })))
}

/// A library persona with its history and the maps that take it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PersonaDetail {
    #[serde(flatten)]
    pub persona: LibraryPersona,
    /// Newest first.
    pub versions: Vec<store::PersonaVersion>,
    /// The maps whose newest version takes it.
    pub used_by: Vec<store::PersonaUser>,
}

pub(crate) async fn get_persona(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Path((_, id)): Path<(i64, i64)>,
) -> AppResult<Json<PersonaDetail>> {
    Ok(Json(detail(&state, access.ws, id).await?))
}

async fn detail(state: &AppState, ws: i64, id: i64) -> AppResult<PersonaDetail> {
    state
        .db
        .read(move |c| {
            let row = store::library_persona(c, ws, id)?;
            let used_by = store::persona_users(c, id)?;
            let persona = personas::shown(ws, &row, used_by.len() as i64);
            Ok(PersonaDetail { persona, versions: store::persona_versions(c, id)?, used_by })
        })
        .await
}

pub(crate) async fn update_persona(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Path((_, id)): Path<(i64, i64)>,
    Body(form): Body<PersonaForm>,
) -> AppResult<Json<PersonaDetail>> {
    let base = form.base_version.ok_or_else(|| AppError::bad("base_version: the version you edited is needed"))?;
    personas::update(&state, access.ws, id, access.user.id, base, Change::Fields(form)).await?;
    Ok(Json(detail(&state, access.ws, id).await?))
}

pub(crate) async fn delete_persona(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Path((_, id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    personas::delete(&state, access.ws, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct PortraitQuery {
    base_version: i64,
}

/// The body is the image itself (PNG, JPEG or WebP, at most 8 MiB).
pub(crate) async fn set_portrait(
    State(state): State<AppState>,
    access: WorkspaceAccess<Editor>,
    Path((_, id)): Path<(i64, i64)>,
    Query(q): Query<PortraitQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Json<PersonaDetail>> {
    let bytes = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(format!(
            "the portrait is larger than {} MiB; send a smaller image",
            personas::MAX_PORTRAIT_BYTES >> 20
        )),
        _ => AppError::bad(format!("the portrait could not be read: {}", e.body_text())),
    })?;
    let (jpeg, w, h) = tokio::task::spawn_blocking(move || personas::reencode(&bytes))
        .await
        .map_err(|e| AppError::Internal(format!("reading a portrait: {e}")))??;
    let change = Change::Portrait(jpeg, w, h);
    personas::update(&state, access.ws, id, access.user.id, q.base_version, change).await?;
    Ok(Json(detail(&state, access.ws, id).await?))
}

pub(crate) async fn get_portrait(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
    Path((_, pid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let ws = access.ws;
    let bytes = state.db.read(move |c| store::portrait(c, ws, pid)).await?;
    // A portrait never changes (a new one gets a new id).
    let headers = [
        (header::CONTENT_TYPE, "image/jpeg"),
        (header::CACHE_CONTROL, "private, max-age=31536000, immutable"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, bytes).into_response())
}

/// The library as a `.cjm` file, for maps kept as files beside it.
pub(crate) async fn library_file(
    State(state): State<AppState>,
    access: WorkspaceAccess<Viewer>,
) -> AppResult<Response> {
    let library = personas::Library::of(&state, access.ws).await?;
    let headers = [
        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"personas.cjm\""),
    ];
    Ok((headers, library.file_text()).into_response())
}
