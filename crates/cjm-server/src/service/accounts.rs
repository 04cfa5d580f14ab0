//! Accounts and workspaces: e-mail and password rules, password changes,
//! API tokens, workspaces, members and invitations.

use crate::auth::{hash_password, Role, TokenScope, User};
use crate::error::{AppError, AppResult};
use crate::store;
use crate::token::{now, random_token, token_hash};
use crate::AppState;
use axum::http::{header, HeaderMap};

pub(crate) fn check_email(email: &str) -> AppResult<String> {
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
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if crate::auth::secure(state, headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Used by the first-run setup and invitations: a new account's password.
pub(crate) fn new_password_hash(password: &str) -> AppResult<String> {
    crate::auth::check_password_rules(password)?;
    hash_password(password)
}

/// Changes the user's password after checking the current one (sign-in's
/// rate limit applies); every other session ends, `keep` (a session token
/// hash) stays, and with `revoke_tokens` so do the API tokens.
pub(crate) async fn change_password(
    state: &AppState,
    user: &User,
    current: String,
    new: &str,
    keep: String,
    revoke_tokens: bool,
) -> AppResult<()> {
    let uid = user.id;
    let attempt = state.login_limit.begin(&[(crate::throttle::key("password", &uid.to_string()), 1)])?;
    let stored = state.db.read(move |c| store::password_hash_of(c, uid)).await?;
    if !state.login_limit.verify(current, stored).await? {
        attempt.failed();
        return Err(AppError::bad("the current password is not right"));
    }
    attempt.succeeded();
    let hash = new_password_hash(new)?;
    state.db.write(move |tx| store::set_password(tx, uid, &hash, &keep, revoke_tokens)).await
}

/// A new API token; the answer is the only time its secret is shown.
pub(crate) async fn create_token(
    state: &AppState,
    user: &User,
    name: &str,
    scope: TokenScope,
    expires_in_days: Option<u32>,
) -> AppResult<store::ApiToken> {
    let name: String = name.trim().chars().take(100).collect();
    if name.is_empty() {
        return Err(AppError::bad("give the token a name, e.g. the script that will use it"));
    }
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now() + i64::from(days) * 86_400),
        Some(days) => {
            return Err(AppError::bad(format!("expires_in_days {days}: expected 1 to 3650, or leave it out")))
        }
    };
    let token = format!("cjm_{}", random_token(30));
    let hash = token_hash(&token);
    let uid = user.id;
    let mut t = state.db.write(move |tx| store::insert_api_token(tx, uid, &name, &hash, scope, expires_at)).await?;
    t.token = Some(token);
    Ok(t)
}

/// A workspace the user owns; its id.
pub(crate) async fn create_workspace(state: &AppState, user: &User, name: &str) -> AppResult<i64> {
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    if name.is_empty() {
        return Err(AppError::bad("give the workspace a name, e.g. your team's"));
    }
    let uid = user.id;
    state.db.write(move |tx| store::create_workspace(tx, &name, uid)).await
}

/// How long an invitation link works.
pub(crate) const INVITATION_DAYS: i64 = 14;

/// An invitation to workspace `ws`: the link to send and when it expires.
pub(crate) async fn invite(
    state: &AppState,
    ws: i64,
    by: &User,
    email: &str,
    role: Role,
    base: &str,
) -> AppResult<(String, i64)> {
    let email = check_email(email)?;
    let token = random_token(24);
    let hash = token_hash(&token);
    let expires_at = now() + INVITATION_DAYS * 86400;
    let uid = by.id;
    state.db.write(move |tx| store::insert_invitation(tx, ws, &email, role, &hash, uid, expires_at)).await?;
    Ok((format!("{base}/invite/{token}"), expires_at))
}
