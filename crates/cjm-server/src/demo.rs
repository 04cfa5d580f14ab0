//! First start: the demo workspace (every template, and one map measured
//! against a real log shipped in the binary) and the one-time setup link.

use crate::error::{AppError, AppResult};
use crate::service::personas::Library;
use crate::store;
use crate::token::{random_token, token_hash};
use crate::AppState;

const PERMIT_MAP: &str = include_str!("../assets/demo/permit.cjm");
const PERMIT_LOG: &[u8] = include_bytes!("../assets/demo/receipt.parquet");

/// Seeds the demo workspace once (a setting records that it was done, so a
/// workspace the team deleted does not come back).
pub(crate) fn seed(state: &AppState) -> AppResult<()> {
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
        .map(|t| Ok((t, store::Checked::new(t.text.to_string(), &Library::default())?)))
        .collect::<AppResult<Vec<_>>>()?;
    let none = Library::default();
    let (permit, future) = (store::Checked::new(PERMIT_MAP.to_string(), &none)?, store::Checked::new(future, &none)?);
    state.db.write_blocking(|tx| {
        if store::demo_seeded(tx)? {
            return Ok(());
        }
        // The demo's author: an account nobody can sign in to.
        let author = store::create_user(tx, "demo@cjm.invalid", "cjm demo", "!", false)?;
        let ws = store::create_demo_workspace(tx)?;
        for (t, checked) in &templates {
            store::create_map(
                tx,
                ws,
                author,
                checked,
                &format!("template,{}", t.name),
                &format!("Created from the {} template", t.name),
            )?;
        }
        let id = store::create_map(
            tx,
            ws,
            author,
            &permit,
            "demo,evidence,government",
            "The permit journey as it is today",
        )?;
        store::append_version(
            tx,
            id,
            author,
            &future,
            "Future state: status in the portal, checklist, same-day e-mail",
            None,
        )?;
        store::append_version(tx, id, author, &permit, "Back to the current state for measuring", None)?;
        store::set_states(tx, id, Some(1), Some(2))?;
        let stored = crate::service::evidence::store_upload(&dir, "receipt.parquet", PERMIT_LOG)?;
        let mapping = store::ColumnMapping::default();
        let eid =
            store::insert_evidence(tx, ws, "receipt.parquet", &stored, PERMIT_LOG.len() as i64, &mapping, author)?;
        store::attach_evidence(tx, id, Some(eid))?;
        let map = store::map(tx, id)?;
        let note = "Most applicants wait here without news. Can the portal show the status?";
        store::insert_comment(tx, &map, author, None, Some("receipt-is-checked".into()), note)?;
        Ok::<_, AppError>(())
    })
}

/// While no account exists, a fresh one-time setup path (`/setup/TOKEN`);
/// each start replaces the previous token.
pub(crate) fn setup_link(state: &AppState) -> AppResult<Option<String>> {
    state.db.write_blocking(|tx| {
        if store::real_user_count(tx)? > 0 {
            return Ok(None);
        }
        let token = random_token(24);
        store::set_setup_token(tx, &token_hash(&token))?;
        Ok::<_, AppError>(Some(format!("/setup/{token}")))
    })
}
