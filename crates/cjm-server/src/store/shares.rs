//! Read-only share links. The database keeps only a hash of each token.

use super::*;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct ShareLink {
    pub id: i64,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    /// Whether holders watch the map being edited, live (the drawing only,
    /// never anybody's name).
    pub live: bool,
    /// The link itself; only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub(crate) fn share_links(c: &Connection, map_id: i64) -> AppResult<Vec<ShareLink>> {
    let mut st = c.prepare(
        "SELECT s.id, s.label, u.name, s.created_at, s.expires_at, s.revoked_at, s.live FROM share_links s JOIN users u ON u.id = s.created_by
         WHERE s.map_id = ?1 ORDER BY s.id DESC",
    )?;
    let rows = st.query_map([map_id], |r| {
        Ok(ShareLink {
            id: r.get(0)?,
            label: r.get(1)?,
            created_by: r.get(2)?,
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
            revoked: r.get::<_, Option<i64>>(5)?.is_some(),
            live: r.get::<_, i64>(6)? != 0,
            url: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The map a share token opens, if the link works (not revoked or expired).
pub(crate) fn shared_map(c: &Connection, token: &str) -> AppResult<i64> {
    Ok(shared_link(c, token)?.map_id)
}

/// A working share link, as its holder's requests need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpenLink {
    pub(crate) id: i64,
    pub(crate) map_id: i64,
    pub(crate) live: bool,
    pub(crate) expires_at: Option<i64>,
}

pub(crate) fn shared_link(c: &Connection, token: &str) -> AppResult<OpenLink> {
    let hash = crate::token::token_hash(token);
    c.query_row(
        "SELECT id, map_id, live, expires_at FROM share_links
         WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
        params![hash, now()],
        |r| Ok(OpenLink { id: r.get(0)?, map_id: r.get(1)?, live: r.get::<_, i64>(2)? != 0, expires_at: r.get(3)? }),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

pub(crate) fn insert_share(
    c: &Connection,
    map_id: i64,
    hash: &str,
    label: &str,
    by: i64,
    expires_at: Option<i64>,
    live: bool,
) -> AppResult<ShareLink> {
    c.execute(
        "INSERT INTO share_links (map_id, token_hash, label, created_by, created_at, expires_at, live)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![map_id, hash, label, by, now(), expires_at, live],
    )?;
    let sid = c.last_insert_rowid();
    share_links(c, map_id)?.into_iter().find(|s| s.id == sid).ok_or(AppError::NotFound)
}

/// Revokes a live link of the map; `NotFound` otherwise.
pub(crate) fn revoke_share(c: &Connection, map_id: i64, id: i64) -> AppResult<()> {
    found(c.execute(
        "UPDATE share_links SET revoked_at = ?3 WHERE id = ?1 AND map_id = ?2 AND revoked_at IS NULL",
        params![id, map_id, now()],
    )?)
}
