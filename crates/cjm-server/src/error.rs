//! One error type for every handler. It becomes a JSON body
//! (`{"error": {"code", "message"}}`) for the API and a small HTML page for
//! browser routes (see [`crate::pages::html_errors`]). An internal failure's
//! response carries only an id; the detail rides in the response's
//! [`ErrorInfo`] extension, and [`log_errors`] writes it to stderr, the only
//! place the server prints.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Clone, Debug)]
pub enum AppError {
    /// Not signed in (or the token is not valid).
    Unauthorized,
    /// Signed in, but the role does not allow it.
    Forbidden(&'static str),
    /// The route needs at least `needed` in the workspace; the user has `have`.
    NeedsRole {
        needed: crate::auth::Role,
        have: crate::auth::Role,
    },
    /// No such thing, or not visible to this user (the two look the same).
    NotFound,
    /// The request is well-formed but wrong: the message says how to fix it.
    BadRequest(String),
    /// Well-formed, but names what is not there (a column the log lacks).
    Unprocessable(String),
    /// The request was based on an older version.
    Conflict(String),
    /// A state-changing request without a valid CSRF token.
    Csrf,
    TooLarge(String),
    RateLimited {
        retry_after: u64,
    },
    /// Too busy or too slow right now; the message says when to come back.
    Unavailable(String),
    /// Something broke on our side; the detail goes to the log, never to the client.
    Internal(String),
}

/// What the HTML error layer needs to know about an error response.
#[derive(Clone, Debug)]
pub(crate) struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
    /// An internal failure's id and detail, for the log only.
    pub internal: Option<(String, String)>,
}

impl AppError {
    pub fn bad(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "sign in first".into()),
            AppError::Forbidden(what) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("your role in this workspace does not allow you to {what}"),
            ),
            AppError::NeedsRole { needed, have } => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this needs the {} role in the workspace, and yours is {}; ask an owner of the workspace",
                    needed.as_str(),
                    have.as_str()
                ),
            ),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such page, or you cannot see it".into()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            AppError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m.clone()),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf",
                "the form's security token is missing or stale; reload the page and try again".into(),
            ),
            AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m.clone()),
            AppError::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many attempts; try again in {retry_after} seconds"),
            ),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side".into())
            }
        }
    }
}

/// What the person is told (an internal failure's detail is only logged).
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.parts().2)
    }
}

/// Logs an internal failure that no response carries (a live document's
/// storage failing), as [`log_errors`] does for responses.
pub(crate) fn log_internal(context: &str, e: &AppError) {
    if let AppError::Internal(detail) = e {
        eprintln!("cjm serve: internal error ({context}): {detail}");
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, mut message) = self.parts();
        let mut internal = None;
        if let AppError::Internal(detail) = &self {
            let id = crate::token::random_token(6);
            message = format!("{message} (error id {id})");
            internal = Some((id, detail.clone()));
        }
        let mut res = (status, axum::Json(json!({ "error": { "code": code, "message": message } }))).into_response();
        if let AppError::RateLimited { retry_after } = self {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after.into());
        }
        res.extensions_mut().insert(ErrorInfo { status, message, internal });
        res
    }
}

/// Logs every internal failure on stderr with the id its response shows.
pub(crate) async fn log_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    if let Some(ErrorInfo { internal: Some((id, detail)), .. }) = res.extensions().get::<ErrorInfo>() {
        eprintln!("cjm serve: internal error {id}: {detail}");
    }
    res
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Internal(e.0)
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
