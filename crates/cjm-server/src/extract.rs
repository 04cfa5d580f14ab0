//! What handlers take from a request, each refusing with an [`AppError`]
//! (a JSON error for scripts, an error page for people) instead of axum's
//! plain-text rejections: path, query, JSON body and multipart wrappers,
//! the signed-in user ([`SignedIn`]), and the least role a route needs in
//! the workspace of the map or workspace in its path ([`MapAccess`],
//! [`WorkspaceAccess`]).
//!
//! The role is a type: `MapAccess<Editor>` in a handler's arguments lets
//! only editors and owners in. The route table ([`crate::routes`]) states
//! the same role for the route, and the extractor checks that the two
//! agree, so the documented permission is the enforced one (the role ×
//! route test reaches every route and would see the 500).

use crate::auth::{Principal, Role, User};
use crate::error::{AppError, AppResult};
use crate::routes::Needs;
use crate::store::{self, MapInfo};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use std::marker::PhantomData;

/// axum's `Path<T>` whose rejection is an [`AppError`] (a JSON error for
/// scripts, an error page for people), not axum's plain-text answer.
pub(crate) struct Path<T>(pub(crate) T);

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
pub(crate) struct Query<T>(pub(crate) T);

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
pub(crate) struct Form(pub(crate) Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Multipart::from_request(req, state).await.map(Form).map_err(|e| {
            AppError::bad(format!("the upload must be multipart/form-data with a `file` field: {}", e.body_text()))
        })
    }
}

/// `Json<T>` whose rejection is an [`AppError`] naming the bad field.
pub(crate) struct Body<T>(pub(crate) T);

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

/// The signed-in account (a session or an API token); `401` otherwise.
pub(crate) struct SignedIn(pub(crate) User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let who = Principal::from_request_parts(parts, state).await?;
        Ok(SignedIn(who.require_user()?.clone()))
    }
}

/// A workspace role as a type, for [`MapAccess`] and [`WorkspaceAccess`].
pub(crate) trait Least: Send + Sync + 'static {
    const ROLE: Role;
    const NEEDS: Needs;
}

macro_rules! least {
    ($($name:ident),*) => {$(
        #[doc = concat!("At least the ", stringify!($name), " role.")]
        pub(crate) struct $name;
        impl Least for $name {
            const ROLE: Role = Role::$name;
            const NEEDS: Needs = Needs::$name;
        }
    )*};
}
least!(Viewer, Commenter, Editor, Owner);

/// The map `{id}` of the path, seen by a member whose role is at least
/// `R`: the user, the map, the role they have and the workspace's name. Outsiders get `404`,
/// so that they cannot tell which maps exist.
pub(crate) struct MapAccess<R> {
    pub(crate) user: User,
    pub(crate) map: MapInfo,
    pub(crate) role: Role,
    /// The name of the map's workspace.
    pub(crate) workspace: String,
    least: PhantomData<R>,
}

impl<R: Least> FromRequestParts<AppState> for MapAccess<R> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        agrees_with_table::<R>(parts)?;
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        let id = path_id(parts, state, "id").await?;
        let uid = user.id;
        let (map, role, workspace) = state.db.read(move |c| store::map_for(c, uid, id)).await?;
        at_least::<R>(role)?;
        Ok(MapAccess { user, map, role, workspace, least: PhantomData })
    }
}

/// The workspace `{ws}` of the path, seen by a member whose role is at
/// least `R`; `404` for everyone else.
pub(crate) struct WorkspaceAccess<R> {
    pub(crate) user: User,
    pub(crate) ws: i64,
    /// Its name and the user's role in it.
    pub(crate) workspace: store::Workspace,
    least: PhantomData<R>,
}

impl<R: Least> FromRequestParts<AppState> for WorkspaceAccess<R> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        agrees_with_table::<R>(parts)?;
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        let ws = path_id(parts, state, "ws").await?;
        let uid = user.id;
        let workspace = state.db.read(move |c| store::workspace(c, uid, ws)).await?;
        at_least::<R>(workspace.role)?;
        Ok(WorkspaceAccess { user, ws, workspace, least: PhantomData })
    }
}

fn at_least<R: Least>(role: Role) -> AppResult<()> {
    if role >= R::ROLE {
        Ok(())
    } else {
        Err(AppError::NeedsRole { needed: R::ROLE, have: role })
    }
}

/// The route table's role for this route (the router puts it in the
/// request) must be the handler's: a mismatch is a bug, refused loudly.
fn agrees_with_table<R: Least>(parts: &Parts) -> AppResult<()> {
    match parts.extensions.get::<Needs>() {
        Some(&needs) if needs == R::NEEDS => Ok(()),
        declared => Err(AppError::Internal(format!(
            "{}: the route table says {declared:?}, the handler asks for {:?}",
            parts.uri.path(),
            R::NEEDS
        ))),
    }
}

/// The number in the path parameter `name`; `404` when it is not one.
async fn path_id(parts: &mut Parts, state: &AppState, name: &str) -> AppResult<i64> {
    let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
    raw.iter().find(|(k, _)| *k == name).and_then(|(_, v)| v.parse().ok()).ok_or(AppError::NotFound)
}
