//! First start: the demo workspace (every template, and one map measured
//! against a real log shipped in the binary) and the one-time setup link.

use crate::auth::{now, random_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::store;
use crate::AppState;
use rusqlite::params;

const PERMIT_MAP: &str = include_str!("../assets/demo/permit.cjm");
const PERMIT_LOG: &[u8] = include_bytes!("../assets/demo/receipt.parquet");

/// Seeds the demo workspace once (a setting records that it was done, so a
/// workspace the team deleted does not come back).
pub fn seed(state: &AppState) -> AppResult<()> {
    let dir = state.config.data_dir.join("evidence");
    let future = PERMIT_MAP
        .replace("state current", "state future")
        .replace("version 1.0", "version 2.0")
        .replace("Receipt is checked: 2", "Receipt is checked: 4")
        .replace("Hold is considered: 2", "Hold is considered: 4")
        .replace("Submit the application: 3", "Submit the application: 4");
    // Checked before the write transaction, as every save is.
    let templates = cjm_model::templates::ALL
        .iter()
        .rev()
        .map(|t| Ok((t, store::Checked::new(t.text.to_string())?)))
        .collect::<AppResult<Vec<_>>>()?;
    let (permit, future) = (store::Checked::new(PERMIT_MAP.to_string())?, store::Checked::new(future)?);
    state.db.write_blocking(|tx| {
        let done: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM settings WHERE key = 'demo_seeded')", [], |r| r.get(0))?;
        if done {
            return Ok(());
        }
        // The demo's author: an account nobody can sign in to.
        let author = store::create_user(tx, "demo@cjm.invalid", "cjm demo", "!", false)?;
        tx.execute("INSERT INTO workspaces (name, created_at) VALUES ('Demo workspace', ?1)", [now()])?;
        let ws = tx.last_insert_rowid();
        // Any admin who set up before the demo existed owns it too.
        tx.execute("INSERT INTO members (workspace_id, user_id, role) SELECT ?1, id, 'owner' FROM users WHERE is_admin = 1", [ws])?;
        for (t, checked) in &templates {
            store::create_map(tx, ws, author, checked, &format!("template,{}", t.name), &format!("Created from the {} template", t.name))?;
        }
        let id = store::create_map(tx, ws, author, &permit, "demo,evidence,government", "The permit journey as it is today")?;
        store::append_version(tx, id, author, &future, "Future state: status in the portal, checklist, same-day e-mail", None)?;
        store::append_version(tx, id, author, &permit, "Back to the current state for measuring", None)?;
        tx.execute("UPDATE maps SET current_version = 1, future_version = 2 WHERE id = ?1", [id])?;
        let stored = crate::evidence::store_upload(&dir, "receipt.parquet", PERMIT_LOG)?;
        tx.execute(
            "INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, mapping, uploaded_by, created_at) VALUES (?1, 'receipt.parquet', ?2, ?3, '{}', ?4, ?5)",
            params![ws, stored, PERMIT_LOG.len() as i64, author, now()],
        )?;
        tx.execute("UPDATE maps SET evidence_id = ?2 WHERE id = ?1", [id, tx.last_insert_rowid()])?;
        tx.execute(
            "INSERT INTO comments (map_id, step, author_id, body, created_at) VALUES (?1, 'receipt-is-checked', ?2, 'Most applicants wait here without news. Can the portal show the status?', ?3)",
            params![id, author, now()],
        )?;
        tx.execute("INSERT INTO settings (key, value) VALUES ('demo_seeded', '1')", [])?;
        Ok::<_, AppError>(())
    })
}

/// While no account exists, a fresh one-time setup path (`/setup/TOKEN`);
/// each start replaces the previous token.
pub fn setup_link(state: &AppState) -> AppResult<Option<String>> {
    state.db.write_blocking(|tx| {
        let real_users: i64 =
            tx.query_row("SELECT count(*) FROM users WHERE password_hash != '!'", [], |r| r.get(0))?;
        if real_users > 0 {
            return Ok(None);
        }
        let token = random_token(24);
        tx.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('setup_token', ?1)", [token_hash(&token)])?;
        Ok::<_, AppError>(Some(format!("/setup/{token}")))
    })
}
