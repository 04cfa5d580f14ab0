//! Read-only share links of a map. The link is shown once, when made.

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::store::{self, MapInfo};
use crate::token::{now, random_token, token_hash};
use crate::AppState;

/// A new link for the map, with its address (`base` is the server's).
pub(crate) async fn create(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    label: &str,
    expires_in_days: Option<u32>,
    live: bool,
    base: &str,
) -> AppResult<store::ShareLink> {
    if expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(AppError::bad("expires_in_days: expected 1 to 3650"));
    }
    let token = random_token(24);
    let hash = token_hash(&token);
    let label: String = label.trim().chars().take(100).collect();
    let expires_at = expires_in_days.map(|d| now() + i64::from(d) * 86400);
    let (id, uid) = (map.id, user.id);
    let mut link = state.db.write(move |tx| store::insert_share(tx, id, &hash, &label, uid, expires_at, live)).await?;
    link.url = Some(format!("{base}/s/{token}"));
    Ok(link)
}

/// Revokes a link; whoever watches the map live through it is closed at once.
pub(crate) async fn revoke(state: &AppState, map: &MapInfo, sid: i64) -> AppResult<()> {
    let id = map.id;
    state.db.write(move |tx| store::revoke_share(tx, id, sid)).await?;
    state.live.link_revoked(id, sid);
    Ok(())
}
