//! Maps and their versions. A version is written once and never changes.

use super::*;
use crate::service::personas::{Library, Pins};

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct MapInfo {
    pub id: i64,
    pub workspace_id: i64,
    pub title: String,
    pub tags: Vec<String>,
    /// Who created the map.
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The latest version's number (1 for a new map).
    pub head: i64,
    /// The version marked "current state", if any.
    pub current_version: Option<i64>,
    /// The version marked "future state", if any.
    pub future_version: Option<i64>,
    pub evidence_id: Option<i64>,
}

const MAP_COLUMNS: &str = "m.id, m.workspace_id, m.title, m.tags, u.name, m.created_at, m.updated_at, m.head, m.current_version, m.future_version, m.evidence_id";

fn map_from_row(r: &rusqlite::Row) -> rusqlite::Result<MapInfo> {
    let tags: String = r.get(3)?;
    Ok(MapInfo {
        id: r.get(0)?,
        workspace_id: r.get(1)?,
        title: r.get(2)?,
        tags: split_tags(&tags),
        owner: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        head: r.get(7)?,
        current_version: r.get(8)?,
        future_version: r.get(9)?,
        evidence_id: r.get(10)?,
    })
}

pub(crate) fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// Tags as the user typed them, cleaned: trimmed, no duplicates, at most 20.
pub(crate) fn normalise_tags(tags: &[String]) -> AppResult<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags.iter().flat_map(|t| t.split(',')) {
        let t = t.trim().to_lowercase();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > 40 {
            return Err(AppError::bad(format!("tag `{t}` is longer than 40 characters")));
        }
        out.push(t);
    }
    if out.len() > 20 {
        return Err(AppError::bad("a map can have at most 20 tags"));
    }
    Ok(out.join(","))
}

pub(crate) fn map(c: &Connection, id: i64) -> AppResult<MapInfo> {
    c.query_row(
        &format!("SELECT {MAP_COLUMNS} FROM maps m JOIN users u ON u.id = m.created_by WHERE m.id = ?1"),
        [id],
        map_from_row,
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// The map and the user's role in its workspace; `NotFound` for outsiders,
/// so that they cannot tell which maps exist.
/// The map `id` as member `user_id` sees it: the map, their role, and the
/// workspace's name (for the pages' breadcrumbs), in one read.
pub(crate) fn map_for(c: &Connection, user_id: i64, id: i64) -> AppResult<(MapInfo, Role, String)> {
    let map = map(c, id)?;
    let role = role_in(c, user_id, map.workspace_id)?.ok_or(AppError::NotFound)?;
    let workspace = super::workspace_name(c, map.workspace_id)?;
    Ok((map, role, workspace))
}

pub(crate) fn maps_in(c: &Connection, workspace_id: i64, query: &str, tag: &str) -> AppResult<Vec<MapInfo>> {
    let like = format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut st = c.prepare(&format!(
        "SELECT {MAP_COLUMNS} FROM maps m JOIN users u ON u.id = m.created_by
         WHERE m.workspace_id = ?1
           AND (?2 = '%%' OR m.title LIKE ?2 ESCAPE '\\' OR m.tags LIKE ?2 ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM versions v WHERE v.map_id = m.id AND v.number = m.head AND v.source LIKE ?2 ESCAPE '\\'))
           AND (?3 = '' OR ',' || m.tags || ',' LIKE '%,' || ?3 || ',%')
         ORDER BY m.updated_at DESC, m.id DESC"
    ))?;
    let rows = st.query_map(params![workspace_id, like, tag.trim().to_lowercase()], map_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Version {
    pub id: i64,
    pub number: i64,
    pub author: String,
    pub message: String,
    pub created_at: i64,
    /// SHA-256 of the source, to check a copy is intact.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A `versions` row joined with its author's name; `source` when selected
/// as the seventh column.
fn version_row(r: &rusqlite::Row, with_source: bool) -> rusqlite::Result<Version> {
    Ok(Version {
        id: r.get(0)?,
        number: r.get(1)?,
        author: r.get(2)?,
        message: r.get(3)?,
        created_at: r.get(4)?,
        sha256: r.get(5)?,
        source: if with_source { Some(r.get(6)?) } else { None },
    })
}

const VERSION_FIELDS: &str = "v.id, v.number, u.name, v.message, v.created_at, v.sha256";
const VERSION_FROM: &str = "FROM versions v JOIN users u ON u.id = v.author_id";

pub(crate) fn versions(c: &Connection, map_id: i64) -> AppResult<Vec<Version>> {
    let mut st =
        c.prepare(&format!("SELECT {VERSION_FIELDS} {VERSION_FROM} WHERE v.map_id = ?1 ORDER BY v.number DESC"))?;
    let rows = st.query_map([map_id], |r| version_row(r, false))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn version(c: &Connection, map_id: i64, number: i64) -> AppResult<Version> {
    let sql = format!("SELECT {VERSION_FIELDS}, v.source {VERSION_FROM} WHERE v.map_id = ?1 AND v.number = ?2");
    c.query_row(&sql, [map_id, number], |r| version_row(r, true)).optional()?.ok_or(AppError::NotFound)
}

pub(crate) fn sha256_hex(text: &str) -> String {
    crate::token::token_hash(text)
}

/// The largest map source the server stores.
pub const MAX_SOURCE: usize = 2 * 1024 * 1024;

/// A map text that passed [`Checked::new`]: only such a text can be saved,
/// and the check runs before the write transaction, never inside it (a
/// big map's check must not hold up everybody else's writes).
pub struct Checked {
    source: String,
    title: String,
    /// What the text takes from the workspace's persona library.
    pins: Option<Pins>,
}

impl Checked {
    /// Checks a source for saving: not too large, and no errors (a map
    /// that does not read cannot be drawn or shared), reading its `use`
    /// lines from the workspace's persona `library`.
    pub fn new(source: String, library: &Library) -> AppResult<Checked> {
        let (title, pins) = check_source(&source, library)?;
        Ok(Checked { source, title, pins })
    }

    /// [`Checked::new`] on the blocking pool.
    pub(crate) async fn off_runtime(source: String, library: Library) -> AppResult<Checked> {
        tokio::task::spawn_blocking(move || Checked::new(source, &library))
            .await
            .map_err(|e| AppError::Internal(format!("checking a map: {e}")))?
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The map's title when `source` can be saved, and what it takes from
/// the persona library.
fn check_source(source: &str, library: &Library) -> AppResult<(String, Option<Pins>)> {
    if source.len() > MAX_SOURCE {
        return Err(AppError::TooLarge(format!(
            "the map is {} bytes; the limit is {} bytes",
            source.len(),
            MAX_SOURCE
        )));
    }
    let checked = cjm_model::check_with(source, &|p| library.resolve(p));
    if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
        let lines = cjm_syntax::diag::LineIndex::new(source);
        let (line, col) = lines.line_col(d.span.start);
        return Err(AppError::bad(format!(
            "line {line}, column {col}: {} ({}); fix it and save again",
            d.message, d.code
        )));
    }
    let title = checked.journey.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "Untitled map".into());
    Ok((title, library.pins(&checked.journey)))
}

/// Creates a map with its first version; returns its id.
pub fn create_map(
    c: &Connection,
    workspace_id: i64,
    user_id: i64,
    checked: &Checked,
    tags: &str,
    message: &str,
) -> AppResult<i64> {
    let title = &checked.title;
    let now = now();
    c.execute(
        "INSERT INTO maps (workspace_id, title, tags, created_by, created_at, updated_at, head) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0)",
        params![workspace_id, title, tags, user_id, now],
    )?;
    let id = c.last_insert_rowid();
    append_version(c, id, user_id, checked, message, Some(0))?;
    Ok(id)
}

/// Appends a version when `base` (the version the author started from) is
/// still the head; otherwise `Conflict`, so that nobody overwrites a save
/// they have not seen. `base = None` appends whatever the head is.
pub fn append_version(
    c: &Connection,
    map_id: i64,
    user_id: i64,
    checked: &Checked,
    message: &str,
    base: Option<i64>,
) -> AppResult<Version> {
    let (source, title) = (checked.source.as_str(), &checked.title);
    let head: i64 = c
        .query_row("SELECT head FROM maps WHERE id = ?1", [map_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound)?;
    if let Some(base) = base {
        if base != head {
            return Err(AppError::Conflict(format!(
                "this map was saved by someone else since you opened it (you edited version {base}, the latest is {head}); reload to see their changes, then apply yours again"
            )));
        }
    }
    let message: String = message.trim().chars().take(500).collect();
    let number = head + 1;
    let now = now();
    let sha = sha256_hex(source);
    c.execute(
        "INSERT INTO versions (map_id, number, source, sha256, author_id, message, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![map_id, number, source, sha, user_id, message, now],
    )?;
    let id = c.last_insert_rowid();
    if let Some(pins) = &checked.pins {
        for (persona, name, version) in &pins.personas {
            if super::persona_version_now(c, *persona)? != Some(*version) {
                return Err(AppError::Conflict(format!(
                    "{name} was changed in the persona library while this was saved; save again to draw the new version"
                )));
            }
        }
        super::pin_personas(c, id, &pins.text, &pins.personas)?;
    }
    c.execute(
        "UPDATE maps SET head = ?2, title = ?3, updated_at = ?4 WHERE id = ?1",
        params![map_id, number, title, now],
    )?;
    let author: String = c.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))?;
    Ok(Version { id, number, author, message, created_at: now, sha256: sha, source: None })
}

pub(crate) fn set_tags(c: &Connection, id: i64, tags: &str) -> AppResult<()> {
    c.execute("UPDATE maps SET tags = ?2 WHERE id = ?1", params![id, tags])?;
    Ok(())
}

/// Deletes a map with its history, comments and share links.
pub(crate) fn delete_map(c: &Connection, id: i64) -> AppResult<()> {
    c.execute("DELETE FROM maps WHERE id = ?1", [id])?;
    Ok(())
}

/// Marks the versions that show the current and the future state.
pub(crate) fn set_states(c: &Connection, id: i64, current: Option<i64>, future: Option<i64>) -> AppResult<()> {
    for n in [current, future].into_iter().flatten() {
        version(c, id, n).map_err(|_| AppError::bad(format!("this map has no version {n}")))?;
    }
    c.execute("UPDATE maps SET current_version = ?2, future_version = ?3 WHERE id = ?1", params![id, current, future])?;
    Ok(())
}
