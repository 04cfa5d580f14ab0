//! Who is asking: sessions (cookie), API tokens (bearer), share links; roles
//! and what each may do; passwords; CSRF; the login rate limit.

use crate::error::{AppError, AppResult};
use crate::token::{constant_time_eq, now, random_token, token_hash};
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

pub const SESSION_COOKIE: &str = "cjm_session";
/// Double-submit token for forms posted before there is a session (sign in,
/// first-run setup, accepting an invitation).
pub(crate) const FORM_COOKIE: &str = "cjm_form";
pub(crate) const SESSION_DAYS: i64 = 30;

pub fn hash_password(password: &str) -> AppResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| AppError::Internal(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A password a person can be held to: long enough, not all one character.
pub(crate) fn check_password_rules(password: &str) -> AppResult<()> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AppError::bad(format!("the password has {n} characters; use at least 10")));
    }
    if n > 1024 {
        return Err(AppError::bad("the password is longer than 1,024 characters"));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(AppError::bad("the password repeats one character; choose another"));
    }
    Ok(())
}

/// A workspace role. Each includes everything the ones before it may do.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Commenter,
    Editor,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Commenter, Role::Editor, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may do `what`; `Err` says what was refused.
    pub fn require(self, needed: Role, what: &'static str) -> AppResult<()> {
        if self >= needed {
            Ok(())
        } else {
            Err(AppError::Forbidden(what))
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub handle: String,
    pub is_admin: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Principal {
    Anonymous,
    /// Signed in with a session cookie; `csrf` is the session's form token.
    Session {
        user: User,
        csrf: String,
    },
    /// A script with an API token (no cookie, so no CSRF).
    Token {
        user: User,
        scope: TokenScope,
    },
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenScope {
    /// Read only: GET requests.
    Read,
    /// Read and change what its owner may change (but not make tokens).
    Write,
}

impl TokenScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// The stored text; anything unknown reads as the narrower scope.
    pub(crate) fn parse(s: &str) -> TokenScope {
        if s == "write" {
            TokenScope::Write
        } else {
            TokenScope::Read
        }
    }
}

impl Principal {
    pub(crate) fn user(&self) -> Option<&User> {
        match self {
            Principal::Anonymous => None,
            Principal::Session { user, .. } | Principal::Token { user, .. } => Some(user),
        }
    }

    pub(crate) fn require_user(&self) -> AppResult<&User> {
        self.user().ok_or(AppError::Unauthorized)
    }

    pub(crate) fn csrf(&self) -> &str {
        match self {
            Principal::Session { csrf, .. } => csrf,
            _ => "",
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Principal {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, AppError> {
        Ok(parts.extensions.get::<Principal>().cloned().unwrap_or(Principal::Anonymous))
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

async fn resolve(state: &AppState, headers: &HeaderMap) -> AppResult<Principal> {
    if let Some(token) = bearer(headers) {
        let hash = token_hash(token);
        let found = state.db.read(move |c| crate::store::token_user(c, &hash, now())).await?;
        // A wrong or expired token is an error, not anonymity: scripts should hear about it.
        let (user, id, last_used, scope) = found.ok_or(AppError::Unauthorized)?;
        // When a token was last used, to the minute: one write a minute at most.
        let now = now();
        if last_used.is_none_or(|t| now - t >= 60) {
            let db = state.db.clone();
            tokio::spawn(async move {
                let _ = db.write(move |tx| crate::store::touch_token(tx, id, now)).await;
            });
        }
        return Ok(Principal::Token { user, scope });
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(Principal::Anonymous) };
    let hash = token_hash(token);
    let found = state.db.read(move |c| crate::store::session_user(c, &hash, now())).await?;
    Ok(found.map_or(Principal::Anonymous, |(user, csrf)| Principal::Session { user, csrf }))
}

/// Routes that post HTML forms before a session exists; they check the
/// double-submit token themselves ([`check_form_token`]).
fn checks_own_csrf(path: &str) -> bool {
    path == "/login" || path == "/logout" || path.starts_with("/setup/") || path.starts_with("/invite/")
}

/// Resolves the principal once per request and guards every state-changing
/// request: same origin, and for cookie sessions the `X-CSRF-Token` header.
pub(crate) async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let principal = match resolve(&state, req.headers()).await {
        Ok(p) => p,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && matches!(principal, Principal::Token { scope: TokenScope::Read, .. }) {
        return axum::response::IntoResponse::into_response(AppError::Forbidden(
            "change anything with a read-only API token; make a token with the write scope",
        ));
    }
    if unsafe_method {
        if !same_origin(req.headers()) {
            return axum::response::IntoResponse::into_response(AppError::Csrf);
        }
        if let Principal::Session { csrf, .. } = &principal {
            let path = req.uri().path();
            let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
            if !checks_own_csrf(path) && !sent.is_some_and(|s| constant_time_eq(s, csrf)) {
                return axum::response::IntoResponse::into_response(AppError::Csrf);
            }
        }
    }
    req.extensions_mut().insert(principal.clone());
    let mut res = next.run(req).await;
    // An error page drawn outside this layer still says who is signed in.
    if res.status().is_client_error() || res.status().is_server_error() {
        res.extensions_mut().insert(principal);
    }
    res
}

/// A browser tells where a request comes from; refuse another site's.
fn same_origin(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if origin == "null" {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    origin_host.eq_ignore_ascii_case(host)
}

/// The form token for pages without a session: reuse the browser's cookie or make one.
pub(crate) fn form_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, FORM_COOKIE) {
        Some(t) if t.len() >= 16 => (t.to_string(), false),
        _ => (random_token(18), true),
    }
}

pub(crate) fn check_form_token(headers: &HeaderMap, sent: &str) -> AppResult<()> {
    match cookie(headers, FORM_COOKIE) {
        Some(c) if !sent.is_empty() && constant_time_eq(c, sent) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// Whether cookies should carry `Secure`: behind TLS (a proxy says so) or
/// when the configured public address is https.
pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", if secure { "; Secure" } else { "" })
}

/// Starts a session for `user_id`; returns the cookie token.
pub(crate) async fn start_session(state: &AppState, user_id: i64) -> AppResult<String> {
    let token = random_token(32);
    let hash = token_hash(&token);
    let csrf = random_token(24);
    let now = now();
    state
        .db
        .write(move |tx| crate::store::insert_session(tx, &hash, user_id, &csrf, now, now + SESSION_DAYS * 86400))
        .await?;
    Ok(token)
}
