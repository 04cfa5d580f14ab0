//! Accounts: users, passwords, sessions and API tokens.

use super::*;

pub(crate) fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    Ok(User { id: r.get(0)?, email: r.get(1)?, name: r.get(2)?, handle: r.get(3)?, is_admin: r.get(4)? })
}

pub(crate) fn user_count(c: &Connection) -> AppResult<i64> {
    Ok(c.query_row("SELECT count(*) FROM users WHERE password_hash != '!'", [], |r| r.get(0))?)
}

/// A handle for @mentions from a name or e-mail: lowercase letters, digits,
/// dots and dashes, made unique with a number.
pub(crate) fn unique_handle(c: &Connection, name: &str, email: &str) -> AppResult<String> {
    let base: String = {
        let from = if name.trim().is_empty() { email.split('@').next().unwrap_or("user") } else { name };
        let h: String = from
            .to_lowercase()
            .chars()
            .map(|ch| if ch.is_alphanumeric() { ch } else { '.' })
            .collect::<String>()
            .split('.')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(".");
        if h.is_empty() {
            "user".into()
        } else {
            h.chars().take(30).collect()
        }
    };
    let mut handle = base.clone();
    for n in 2.. {
        let taken: bool =
            c.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE handle = ?1)", [&handle], |r| r.get(0))?;
        if !taken {
            break;
        }
        handle = format!("{base}{n}");
    }
    Ok(handle)
}

pub fn create_user(c: &Connection, email: &str, name: &str, password_hash: &str, admin: bool) -> AppResult<i64> {
    let exists: bool = c.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1)", [email], |r| r.get(0))?;
    if exists {
        return Err(AppError::Conflict(format!("an account for {email} exists already; sign in instead")));
    }
    let handle = unique_handle(c, name, email)?;
    c.execute(
        "INSERT INTO users (email, name, handle, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![email, name, handle, password_hash, admin, now()],
    )?;
    Ok(c.last_insert_rowid())
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct ApiToken {
    pub id: i64,
    pub name: String,
    /// `read` (GET only) or `write` (everything the owner may do, except
    /// making tokens).
    pub scope: TokenScope,
    pub created_at: i64,
    /// When the token stops working; `null` for never.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The token itself; only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

pub(crate) fn api_tokens(c: &Connection, user_id: i64) -> AppResult<Vec<ApiToken>> {
    let mut st = c.prepare(
        "SELECT id, name, scope, created_at, expires_at, last_used_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC",
    )?;
    let rows = st.query_map([user_id], |r| {
        Ok(ApiToken {
            id: r.get(0)?,
            name: r.get(1)?,
            scope: TokenScope::parse(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
            last_used_at: r.get(5)?,
            token: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account id and password hash for an e-mail address, if there is one.
pub(crate) fn credentials(c: &Connection, email: &str) -> AppResult<Option<(i64, String)>> {
    let row =
        c.query_row("SELECT id, password_hash FROM users WHERE email = ?1", [email], |r| Ok((r.get(0)?, r.get(1)?)));
    Ok(row.optional()?)
}

pub(crate) fn password_hash_of(c: &Connection, user_id: i64) -> AppResult<String> {
    Ok(c.query_row("SELECT password_hash FROM users WHERE id = ?1", [user_id], |r| r.get(0))?)
}

/// A new password: every other session ends (the one whose token hash is
/// `keep` stays), and with `revoke_tokens` every API token too.
pub(crate) fn set_password(c: &Connection, user_id: i64, hash: &str, keep: &str, revoke_tokens: bool) -> AppResult<()> {
    c.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, hash])?;
    c.execute("DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2", params![user_id, keep])?;
    if revoke_tokens {
        c.execute("DELETE FROM api_tokens WHERE user_id = ?1", [user_id])?;
    }
    Ok(())
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.handle, u.is_admin";

/// The owner of a live API token: the user, the token's id, when it was
/// last used and its scope.
/// A token's owner, its id, when it was last used, and its scope.
pub(crate) type TokenOwner = (User, i64, Option<i64>, TokenScope);

pub(crate) fn token_user(c: &Connection, hash: &str, now: i64) -> AppResult<Option<TokenOwner>> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS}, t.id, t.last_used_at, t.scope FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1 AND (t.expires_at IS NULL OR t.expires_at > ?2)"),
        params![hash, now],
        |r| Ok((user_row(r)?, r.get::<_, i64>(5)?, r.get::<_, Option<i64>>(6)?, TokenScope::parse(&r.get::<_, String>(7)?))),
    )
    .optional()?)
}

pub(crate) fn touch_token(c: &Connection, id: i64, now: i64) -> AppResult<()> {
    c.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", [id, now])?;
    Ok(())
}

/// The user of a live session and the session's form token.
pub(crate) fn session_user(c: &Connection, hash: &str, now: i64) -> AppResult<Option<(User, String)>> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2"),
        params![hash, now],
        |r| Ok((user_row(r)?, r.get::<_, String>(5)?)),
    )
    .optional()?)
}

/// A new session (and expired ones cleared away).
pub(crate) fn insert_session(
    c: &Connection,
    hash: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash, user_id, csrf, now, expires_at],
    )?;
    Ok(())
}

pub(crate) fn delete_session(c: &Connection, hash: &str) -> AppResult<()> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
    Ok(())
}

pub(crate) fn insert_api_token(
    c: &Connection,
    user_id: i64,
    name: &str,
    hash: &str,
    scope: TokenScope,
    expires_at: Option<i64>,
) -> AppResult<ApiToken> {
    c.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, scope, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, name, hash, now(), scope.as_str(), expires_at],
    )?;
    let tid = c.last_insert_rowid();
    api_tokens(c, user_id)?.into_iter().find(|t| t.id == tid).ok_or(AppError::NotFound)
}

/// Revokes one of the user's tokens; `NotFound` when they have no such token.
pub(crate) fn delete_api_token(c: &Connection, id: i64, user_id: i64) -> AppResult<()> {
    found(c.execute("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2", [id, user_id])?)
}
