//! The live documents: each map's snapshot and the updates stored after it
//! (`doc_state`, `doc_updates`).

use super::*;

/// A live document as stored.
pub(crate) struct StoredDoc {
    pub(crate) snapshot: Vec<u8>,
    /// The updates after the snapshot, in order.
    pub(crate) updates: Vec<Vec<u8>>,
    /// The last update's number (the snapshot's when there is none).
    pub(crate) last_seq: i64,
    /// The version the live text last equalled.
    pub(crate) saved_version: i64,
    pub(crate) generation: i64,
}

pub(crate) fn load_doc(c: &Connection, map_id: i64) -> AppResult<Option<StoredDoc>> {
    let state = c
        .query_row(
            "SELECT snapshot, snapshot_seq, saved_version, generation FROM doc_state WHERE map_id = ?1",
            [map_id],
            |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)),
        )
        .optional()?;
    let Some((snapshot, snapshot_seq, saved_version, generation)) = state else { return Ok(None) };
    let mut stmt = c.prepare("SELECT seq, data FROM doc_updates WHERE map_id = ?1 AND seq > ?2 ORDER BY seq")?;
    let rows = stmt.query_map(params![map_id, snapshot_seq], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut updates = Vec::new();
    let mut last_seq = snapshot_seq;
    for row in rows {
        let (seq, data) = row?;
        last_seq = seq;
        updates.push(data);
    }
    Ok(Some(StoredDoc { snapshot, updates, last_seq, saved_version, generation }))
}

/// The first snapshot of a map's live document, made from version
/// `saved_version`.
/// `generation` is random, below 2^53 (a browser reads it as a number).
pub(crate) fn seed_doc(c: &Connection, map_id: i64, snapshot: &[u8], saved_version: i64) -> AppResult<i64> {
    let generation = (rand::random::<u64>() & ((1 << 53) - 1)).max(1) as i64;
    c.execute(
        "INSERT INTO doc_state (map_id, snapshot, snapshot_seq, saved_version, updated_at, generation)
         VALUES (?1, ?2, 0, ?3, ?4, ?5)",
        params![map_id, snapshot, saved_version, now(), generation],
    )?;
    c.execute("DELETE FROM doc_contributions WHERE map_id = ?1", [map_id])?;
    Ok(generation)
}

/// Appends updates numbered from `first_seq`, each with who made it
/// (`None`: the server).
pub(crate) fn append_updates(
    c: &Connection,
    map_id: i64,
    first_seq: i64,
    updates: &[(Vec<u8>, Option<i64>)],
) -> AppResult<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO doc_updates (map_id, seq, data, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let now = now();
    for (i, (data, user)) in updates.iter().enumerate() {
        stmt.execute(params![map_id, first_seq + i as i64, data, user, now])?;
    }
    c.execute("UPDATE doc_state SET updated_at = ?2 WHERE map_id = ?1", params![map_id, now])?;
    Ok(())
}

/// Replaces the snapshot with one that holds every update up to `upto_seq`,
/// and deletes those updates.
pub(crate) fn compact_doc(c: &Connection, map_id: i64, snapshot: &[u8], upto_seq: i64) -> AppResult<()> {
    c.execute(
        "UPDATE doc_state SET snapshot = ?2, snapshot_seq = ?3, updated_at = ?4 WHERE map_id = ?1",
        params![map_id, snapshot, upto_seq, now()],
    )?;
    c.execute("DELETE FROM doc_updates WHERE map_id = ?1 AND seq <= ?2", params![map_id, upto_seq])?;
    Ok(())
}

/// The live text now equals version `version`.
pub(crate) fn set_saved_version(c: &Connection, map_id: i64, version: i64) -> AppResult<()> {
    c.execute("UPDATE doc_state SET saved_version = ?2 WHERE map_id = ?1", params![map_id, version])?;
    Ok(())
}

/// Whether the map has a live document.
pub(crate) fn has_doc(c: &Connection, map_id: i64) -> AppResult<bool> {
    Ok(c.query_row("SELECT 1 FROM doc_state WHERE map_id = ?1", [map_id], |_| Ok(())).optional()?.is_some())
}

/// One person's updates to the live text since it was last saved.
#[derive(Clone, Debug)]
pub(crate) struct Contribution {
    pub(crate) name: String,
    pub(crate) updates: i64,
    pub(crate) last_at: i64,
    /// The items they touched (`step:pay`, `stage:buy`, `map:`).
    pub(crate) items: Vec<String>,
}

/// Adds to each person's part: `updates` more updates, and the items
/// touched (kept once each, [`crate::live::preview::MAX_ITEMS`] at most).
pub(crate) fn note_contributions(c: &Connection, map_id: i64, parts: &[(i64, i64, Vec<String>)]) -> AppResult<()> {
    let now = now();
    for (user_id, updates, touched) in parts {
        if touched.is_empty() {
            c.prepare_cached(
                "INSERT INTO doc_contributions (map_id, user_id, updates, first_at, last_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (map_id, user_id) DO UPDATE SET updates = updates + excluded.updates, last_at = excluded.last_at",
            )?
            .execute(params![map_id, user_id, updates, now])?;
            continue;
        }
        let old: Option<String> = c
            .query_row(
                "SELECT items FROM doc_contributions WHERE map_id = ?1 AND user_id = ?2",
                params![map_id, user_id],
                |r| r.get(0),
            )
            .optional()?;
        let mut items: Vec<String> = old.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        for k in touched {
            if items.len() < crate::live::preview::MAX_ITEMS && !items.contains(k) {
                items.push(k.clone());
            }
        }
        let items = serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
        c.execute(
            "INSERT INTO doc_contributions (map_id, user_id, updates, items, first_at, last_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (map_id, user_id) DO UPDATE SET
               updates = updates + excluded.updates, items = excluded.items,
               last_at = CASE WHEN excluded.updates > 0 THEN excluded.last_at ELSE last_at END",
            params![map_id, user_id, updates, items, now],
        )?;
    }
    Ok(())
}

/// Everybody's part since the last save, the latest first.
pub(crate) fn contributions(c: &Connection, map_id: i64) -> AppResult<Vec<Contribution>> {
    let mut stmt = c.prepare(
        "SELECT u.name, d.updates, d.last_at, d.items FROM doc_contributions d JOIN users u ON u.id = d.user_id
         WHERE d.map_id = ?1 ORDER BY d.last_at DESC, u.name",
    )?;
    let rows = stmt.query_map([map_id], |r| {
        let items: String = r.get(3)?;
        Ok(Contribution {
            name: r.get(0)?,
            updates: r.get(1)?,
            last_at: r.get(2)?,
            items: serde_json::from_str(&items).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A save took the live text in: nobody's part is unsaved any more.
pub(crate) fn clear_contributions(c: &Connection, map_id: i64) -> AppResult<()> {
    c.execute("DELETE FROM doc_contributions WHERE map_id = ?1", [map_id])?;
    Ok(())
}
