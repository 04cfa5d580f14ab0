//! The server's own settings: the one-time setup token and whether the
//! demo workspace was seeded.

use super::*;

/// The hash of the setup token, while one is pending.
pub(crate) fn setup_token_hash(c: &Connection) -> AppResult<Option<String>> {
    Ok(c.query_row("SELECT value FROM settings WHERE key = 'setup_token'", [], |r| r.get(0)).optional()?)
}

/// A new setup token (its hash), replacing any earlier one.
pub(crate) fn set_setup_token(c: &Connection, hash: &str) -> AppResult<()> {
    c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('setup_token', ?1)", [hash])?;
    Ok(())
}

/// Accounts people can sign in to (the demo's author cannot).
pub(crate) fn real_user_count(c: &Connection) -> AppResult<i64> {
    Ok(c.query_row("SELECT count(*) FROM users WHERE password_hash != '!'", [], |r| r.get(0))?)
}

/// The first admin: the setup token is used up, and the admin owns every
/// workspace there is (the demo one), or a new one when there is none.
pub(crate) fn finish_setup(c: &Connection, admin: i64) -> AppResult<()> {
    c.execute("DELETE FROM settings WHERE key = 'setup_token'", [])?;
    c.execute(
        "INSERT OR IGNORE INTO members (workspace_id, user_id, role) SELECT id, ?1, 'owner' FROM workspaces",
        [admin],
    )?;
    if c.query_row("SELECT count(*) FROM workspaces", [], |r| r.get::<_, i64>(0))? == 0 {
        create_workspace(c, "My workspace", admin)?;
    }
    Ok(())
}

pub(crate) fn demo_seeded(c: &Connection) -> AppResult<bool> {
    Ok(c.query_row("SELECT EXISTS(SELECT 1 FROM settings WHERE key = 'demo_seeded')", [], |r| r.get(0))?)
}

/// The demo workspace, owned by every admin there is; its id. Recorded, so
/// that a demo the team deleted does not come back.
pub(crate) fn create_demo_workspace(c: &Connection) -> AppResult<i64> {
    c.execute("INSERT INTO workspaces (name, created_at) VALUES ('Demo workspace', ?1)", [now()])?;
    let ws = c.last_insert_rowid();
    c.execute(
        "INSERT INTO members (workspace_id, user_id, role) SELECT ?1, id, 'owner' FROM users WHERE is_admin = 1",
        [ws],
    )?;
    c.execute("INSERT INTO settings (key, value) VALUES ('demo_seeded', '1')", [])?;
    Ok(ws)
}
