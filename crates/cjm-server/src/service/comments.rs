//! Comments and replies, with @mentions of the workspace's members.

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::store::{self, MapInfo};
use crate::AppState;

/// The longest comment, in characters.
pub(crate) const MAX_COMMENT: usize = 10_000;

/// Comments on the map (`step: None`) or a step, or replies to `parent`.
pub(crate) async fn add(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    body: &str,
    step: Option<String>,
    parent: Option<i64>,
) -> AppResult<store::Comment> {
    let text = body.trim().to_string();
    if text.is_empty() {
        return Err(AppError::bad("the comment is empty"));
    }
    if text.chars().count() > MAX_COMMENT {
        return Err(AppError::bad("the comment is longer than 10,000 characters"));
    }
    let step = step.filter(|s| !s.is_empty());
    let (map, uid) = (map.clone(), user.id);
    state.db.write(move |tx| store::insert_comment(tx, &map, uid, parent, step, &text)).await
}

/// Resolves or reopens comment `cid` of the map.
pub(crate) async fn set_resolved(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    cid: i64,
    resolved: bool,
) -> AppResult<store::Comment> {
    let (id, by) = (map.id, resolved.then_some(user.id));
    state.db.write(move |tx| store::set_resolved(tx, id, cid, by)).await
}
