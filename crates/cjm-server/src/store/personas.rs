//! The persona library: each persona's current row, its versions, the
//! portraits, and which persona versions each map version drew.

use super::*;
use std::collections::HashMap;

/// A library persona as stored.
#[derive(Clone, Debug)]
pub(crate) struct PersonaRow {
    pub id: i64,
    pub name: String,
    pub version: i64,
    /// cjm's persona object as JSON, without id and image.
    pub body: String,
    pub portrait_id: Option<i64>,
    pub updated_by: String,
    pub updated_at: i64,
}

fn persona_row(r: &rusqlite::Row) -> rusqlite::Result<PersonaRow> {
    Ok(PersonaRow {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        body: r.get(3)?,
        portrait_id: r.get(4)?,
        updated_by: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

const PERSONA_COLUMNS: &str =
    "p.id, p.name, p.version, p.body, p.portrait_id, u.name, p.updated_at FROM library_personas p JOIN users u ON u.id = p.updated_by";

/// The workspace's personas, by name.
pub(crate) fn library_personas(c: &Connection, workspace_id: i64) -> AppResult<Vec<PersonaRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {PERSONA_COLUMNS} WHERE p.workspace_id = ?1 ORDER BY p.name COLLATE NOCASE"
    ))?;
    let rows = st.query_map([workspace_id], persona_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One persona of the workspace; `NotFound` for another workspace's.
pub(crate) fn library_persona(c: &Connection, workspace_id: i64, id: i64) -> AppResult<PersonaRow> {
    c.query_row(
        &format!("SELECT {PERSONA_COLUMNS} WHERE p.workspace_id = ?1 AND p.id = ?2"),
        [workspace_id, id],
        persona_row,
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// The text the workspace's library holds, in bytes.
pub(crate) fn library_bytes(c: &Connection, workspace_id: i64) -> AppResult<i64> {
    Ok(c.query_row(
        "SELECT COALESCE(SUM(length(CAST(name AS BLOB)) + length(CAST(body AS BLOB))), 0) FROM library_personas WHERE workspace_id = ?1",
        [workspace_id],
        |r| r.get(0),
    )?)
}

/// What a new persona version holds.
pub(crate) struct PersonaWrite<'a> {
    pub name: &'a str,
    pub body: &'a str,
    pub portrait_id: Option<i64>,
    pub message: &'a str,
}

/// Adds a persona (version 1); `Conflict` when the name is taken.
pub(crate) fn insert_persona(c: &Connection, workspace_id: i64, user_id: i64, w: &PersonaWrite) -> AppResult<i64> {
    let taken: Option<i64> = c
        .query_row(
            "SELECT id FROM library_personas WHERE workspace_id = ?1 AND name = ?2",
            params![workspace_id, w.name],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!("the library already has a persona named `{}`", w.name)));
    }
    let now = now();
    c.execute(
        "INSERT INTO library_personas (workspace_id, name, version, body, portrait_id, updated_by, updated_at) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)",
        params![workspace_id, w.name, w.body, w.portrait_id, user_id, now],
    )?;
    let id = c.last_insert_rowid();
    insert_persona_version(c, id, 1, user_id, w, now)?;
    Ok(id)
}

/// Writes version `base + 1` of a persona; `Conflict` when someone else
/// wrote since `base`, or the new name is another persona's.
pub(crate) fn update_persona(
    c: &Connection,
    workspace_id: i64,
    id: i64,
    base: i64,
    user_id: i64,
    w: &PersonaWrite,
) -> AppResult<i64> {
    let row = library_persona(c, workspace_id, id)?;
    if row.version != base {
        return Err(AppError::Conflict(format!(
            "{} was changed by {} since you opened it (you edited version {base}, the latest is {}); reload, then apply your change again",
            row.name, row.updated_by, row.version
        )));
    }
    let clash: Option<i64> = c
        .query_row(
            "SELECT id FROM library_personas WHERE workspace_id = ?1 AND name = ?2 AND id <> ?3",
            params![workspace_id, w.name, id],
            |r| r.get(0),
        )
        .optional()?;
    if clash.is_some() {
        return Err(AppError::Conflict(format!("the library already has a persona named `{}`", w.name)));
    }
    let version = base + 1;
    let now = now();
    c.execute(
        "UPDATE library_personas SET name = ?2, version = ?3, body = ?4, portrait_id = ?5, updated_by = ?6, updated_at = ?7 WHERE id = ?1",
        params![id, w.name, version, w.body, w.portrait_id, user_id, now],
    )?;
    insert_persona_version(c, id, version, user_id, w, now)?;
    Ok(version)
}

fn insert_persona_version(
    c: &Connection,
    id: i64,
    version: i64,
    user_id: i64,
    w: &PersonaWrite,
    now: i64,
) -> AppResult<()> {
    let message: String = w.message.trim().chars().take(500).collect();
    c.execute(
        "INSERT INTO library_persona_versions (persona_id, version, name, body, portrait_id, author_id, message, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, version, w.name, w.body, w.portrait_id, user_id, message, now],
    )?;
    Ok(())
}

pub(crate) fn delete_persona(c: &Connection, workspace_id: i64, id: i64) -> AppResult<()> {
    found(c.execute("DELETE FROM library_personas WHERE workspace_id = ?1 AND id = ?2", [workspace_id, id])?)
}

/// One version of a persona's history.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct PersonaVersion {
    pub version: i64,
    pub name: String,
    pub author: String,
    pub message: String,
    pub created_at: i64,
}

/// A persona's versions, newest first (at most 200).
pub(crate) fn persona_versions(c: &Connection, id: i64) -> AppResult<Vec<PersonaVersion>> {
    let mut st = c.prepare(
        "SELECT v.version, v.name, u.name, v.message, v.created_at FROM library_persona_versions v JOIN users u ON u.id = v.author_id
         WHERE v.persona_id = ?1 ORDER BY v.version DESC LIMIT 200",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(PersonaVersion {
            version: r.get(0)?,
            name: r.get(1)?,
            author: r.get(2)?,
            message: r.get(3)?,
            created_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A map whose newest version takes a library persona.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct PersonaUser {
    pub map_id: i64,
    pub title: String,
    /// The map's newest version.
    pub head: i64,
    /// The persona version that version drew.
    pub persona_version: i64,
}

/// The maps whose newest version takes persona `id`.
pub(crate) fn persona_users(c: &Connection, id: i64) -> AppResult<Vec<PersonaUser>> {
    let mut st = c.prepare(
        "SELECT m.id, m.title, m.head, vp.persona_version FROM version_personas vp
         JOIN versions v ON v.id = vp.version_id JOIN maps m ON m.id = v.map_id AND v.number = m.head
         WHERE vp.persona_id = ?1 ORDER BY m.title COLLATE NOCASE",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(PersonaUser { map_id: r.get(0)?, title: r.get(1)?, head: r.get(2)?, persona_version: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A persona a map version drew.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct DrawnPersona {
    pub persona_id: i64,
    pub name: String,
    pub persona_version: i64,
}

/// The library personas each version of a map drew, by version id.
pub(crate) fn drawn_personas(c: &Connection, map_id: i64) -> AppResult<HashMap<i64, Vec<DrawnPersona>>> {
    let mut st = c.prepare(
        "SELECT vp.version_id, vp.persona_id, vp.name, vp.persona_version FROM version_personas vp
         JOIN versions v ON v.id = vp.version_id WHERE v.map_id = ?1 ORDER BY vp.name",
    )?;
    let rows = st.query_map([map_id], |r| {
        Ok((r.get::<_, i64>(0)?, DrawnPersona { persona_id: r.get(1)?, name: r.get(2)?, persona_version: r.get(3)? }))
    })?;
    grouped(rows)
}

/// Records what version `version_id` drew: the library text and each persona.
pub(crate) fn pin_personas(c: &Connection, version_id: i64, text: &str, pins: &[(i64, String, i64)]) -> AppResult<()> {
    c.execute("UPDATE versions SET personas = ?2 WHERE id = ?1", params![version_id, text])?;
    for (persona_id, name, version) in pins {
        c.execute(
            "INSERT INTO version_personas (version_id, persona_id, persona_version, name) VALUES (?1, ?2, ?3, ?4)",
            params![version_id, persona_id, version, name],
        )?;
    }
    Ok(())
}

/// The current version of each of these personas (to tell a stale save).
pub(crate) fn persona_version_now(c: &Connection, id: i64) -> AppResult<Option<i64>> {
    Ok(c.query_row("SELECT version FROM library_personas WHERE id = ?1", [id], |r| r.get(0)).optional()?)
}

/// The library text version `version_id` drew, if it took any persona.
pub(crate) fn version_library(c: &Connection, version_id: i64) -> AppResult<Option<String>> {
    Ok(c.query_row("SELECT personas FROM versions WHERE id = ?1", [version_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The workspace of map version `version_id`.
pub(crate) fn version_workspace(c: &Connection, version_id: i64) -> AppResult<i64> {
    c.query_row(
        "SELECT m.workspace_id FROM versions v JOIN maps m ON m.id = v.map_id WHERE v.id = ?1",
        [version_id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

pub(crate) fn insert_portrait(
    c: &Connection,
    workspace_id: i64,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> AppResult<i64> {
    c.execute(
        "INSERT INTO portraits (workspace_id, bytes, width, height, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![workspace_id, bytes, width, height, now()],
    )?;
    Ok(c.last_insert_rowid())
}

/// A portrait's bytes; `NotFound` for another workspace's.
pub(crate) fn portrait(c: &Connection, workspace_id: i64, id: i64) -> AppResult<Vec<u8>> {
    c.query_row("SELECT bytes FROM portraits WHERE workspace_id = ?1 AND id = ?2", [workspace_id, id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Portraits by id, of workspace `workspace_id` only (a map's text may
/// name any id).
pub(crate) fn portraits(c: &Connection, workspace_id: i64, ids: &[i64]) -> AppResult<Vec<(i64, Vec<u8>)>> {
    let mut st = c.prepare_cached("SELECT bytes FROM portraits WHERE workspace_id = ?1 AND id = ?2")?;
    let mut out = Vec::new();
    for &id in ids {
        if let Some(bytes) = st.query_row([workspace_id, id], |r| r.get::<_, Vec<u8>>(0)).optional()? {
            out.push((id, bytes));
        }
    }
    Ok(out)
}

/// [`persona_users`] for every persona of the workspace at once.
pub(crate) fn persona_users_in(c: &Connection, workspace_id: i64) -> AppResult<HashMap<i64, Vec<PersonaUser>>> {
    let mut st = c.prepare(
        "SELECT vp.persona_id, m.id, m.title, m.head, vp.persona_version FROM version_personas vp
         JOIN versions v ON v.id = vp.version_id JOIN maps m ON m.id = v.map_id AND v.number = m.head
         WHERE m.workspace_id = ?1 ORDER BY m.title COLLATE NOCASE",
    )?;
    let rows = st.query_map([workspace_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            PersonaUser { map_id: r.get(1)?, title: r.get(2)?, head: r.get(3)?, persona_version: r.get(4)? },
        ))
    })?;
    grouped(rows)
}

/// The newest `per` versions of every persona of the workspace.
pub(crate) fn recent_persona_versions(
    c: &Connection,
    workspace_id: i64,
    per: i64,
) -> AppResult<HashMap<i64, Vec<PersonaVersion>>> {
    let mut st = c.prepare(
        "SELECT persona_id, version, name, author, message, created_at FROM (
           SELECT v.persona_id, v.version, v.name, u.name AS author, v.message, v.created_at,
                  ROW_NUMBER() OVER (PARTITION BY v.persona_id ORDER BY v.version DESC) AS n
           FROM library_persona_versions v JOIN users u ON u.id = v.author_id
           JOIN library_personas p ON p.id = v.persona_id WHERE p.workspace_id = ?1)
         WHERE n <= ?2 ORDER BY persona_id, version DESC",
    )?;
    let rows = st.query_map([workspace_id, per], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            PersonaVersion {
                version: r.get(1)?,
                name: r.get(2)?,
                author: r.get(3)?,
                message: r.get(4)?,
                created_at: r.get(5)?,
            },
        ))
    })?;
    grouped(rows)
}

/// Rows of `(key, value)` gathered by key, in row order.
fn grouped<T>(rows: impl Iterator<Item = rusqlite::Result<(i64, T)>>) -> AppResult<HashMap<i64, Vec<T>>> {
    let mut out: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        let (key, value) = row?;
        out.entry(key).or_default().push(value);
    }
    Ok(out)
}
