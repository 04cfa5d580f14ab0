//! Reading and writing the workspace's records. Every function takes a
//! connection or transaction and does one job; handlers combine them inside
//! [`crate::db::Db::read`] / [`crate::db::Db::write`].

use crate::auth::{now, Role, User, USER_COLUMNS};
use crate::error::{AppError, AppResult};
use rusqlite::{params, Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Workspace {
    pub id: i64,
    pub name: String,
    /// Your role in it.
    pub role: Role,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct MapInfo {
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

pub fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// Tags as the user typed them, cleaned: trimmed, no duplicates, at most 20.
pub fn normalise_tags(tags: &[String]) -> AppResult<String> {
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

pub fn user_by_id(c: &Connection, id: i64) -> AppResult<Option<User>> {
    Ok(c.query_row(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"), [id], user_row).optional()?)
}

pub fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    Ok(User { id: r.get(0)?, email: r.get(1)?, name: r.get(2)?, handle: r.get(3)?, is_admin: r.get(4)? })
}

pub fn user_count(c: &Connection) -> AppResult<i64> {
    Ok(c.query_row("SELECT count(*) FROM users WHERE password_hash != '!'", [], |r| r.get(0))?)
}

/// A handle for @mentions from a name or e-mail: lowercase letters, digits,
/// dots and dashes, made unique with a number.
pub fn unique_handle(c: &Connection, name: &str, email: &str) -> AppResult<String> {
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

pub fn create_workspace(c: &Connection, name: &str, owner: i64) -> AppResult<i64> {
    c.execute("INSERT INTO workspaces (name, created_at) VALUES (?1, ?2)", params![name, now()])?;
    let id = c.last_insert_rowid();
    c.execute("INSERT INTO members (workspace_id, user_id, role) VALUES (?1, ?2, 'owner')", params![id, owner])?;
    Ok(id)
}

pub fn role_in(c: &Connection, user_id: i64, workspace_id: i64) -> AppResult<Option<Role>> {
    let role: Option<String> = c
        .query_row("SELECT role FROM members WHERE workspace_id = ?1 AND user_id = ?2", [workspace_id, user_id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

pub fn workspaces_of(c: &Connection, user_id: i64) -> AppResult<Vec<Workspace>> {
    let mut st = c.prepare(
        "SELECT w.id, w.name, m.role FROM workspaces w JOIN members m ON m.workspace_id = w.id WHERE m.user_id = ?1 ORDER BY w.id",
    )?;
    let rows = st.query_map([user_id], |r| {
        let role: String = r.get(2)?;
        Ok(Workspace { id: r.get(0)?, name: r.get(1)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn workspace(c: &Connection, user_id: i64, workspace_id: i64) -> AppResult<Workspace> {
    let role = role_in(c, user_id, workspace_id)?.ok_or(AppError::NotFound)?;
    let name: String = c.query_row("SELECT name FROM workspaces WHERE id = ?1", [workspace_id], |r| r.get(0))?;
    Ok(Workspace { id: workspace_id, name, role })
}

pub fn map(c: &Connection, id: i64) -> AppResult<MapInfo> {
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
pub fn map_for(c: &Connection, user_id: i64, id: i64) -> AppResult<(MapInfo, Role)> {
    let map = map(c, id)?;
    let role = role_in(c, user_id, map.workspace_id)?.ok_or(AppError::NotFound)?;
    Ok((map, role))
}

pub fn maps_in(c: &Connection, workspace_id: i64, query: &str, tag: &str) -> AppResult<Vec<MapInfo>> {
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

pub fn versions(c: &Connection, map_id: i64) -> AppResult<Vec<Version>> {
    let mut st =
        c.prepare(&format!("SELECT {VERSION_FIELDS} {VERSION_FROM} WHERE v.map_id = ?1 ORDER BY v.number DESC"))?;
    let rows = st.query_map([map_id], |r| version_row(r, false))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn version(c: &Connection, map_id: i64, number: i64) -> AppResult<Version> {
    let sql = format!("SELECT {VERSION_FIELDS}, v.source {VERSION_FROM} WHERE v.map_id = ?1 AND v.number = ?2");
    c.query_row(&sql, [map_id, number], |r| version_row(r, true)).optional()?.ok_or(AppError::NotFound)
}

pub fn sha256_hex(text: &str) -> String {
    crate::auth::token_hash(text)
}

/// The largest map source the server stores.
pub const MAX_SOURCE: usize = 2 * 1024 * 1024;

/// A map text that passed [`Checked::new`]: only such a text can be saved,
/// and the check runs before the write transaction, never inside it (a
/// big map's check must not hold up everybody else's writes).
pub struct Checked {
    source: String,
    title: String,
}

impl Checked {
    /// Checks a source for saving: not too large, and no errors (a map
    /// that does not read cannot be drawn or shared).
    pub fn new(source: String) -> AppResult<Checked> {
        let title = check_source(&source)?;
        Ok(Checked { source, title })
    }

    /// [`Checked::new`] on the blocking pool.
    pub async fn off_runtime(source: String) -> AppResult<Checked> {
        tokio::task::spawn_blocking(move || Checked::new(source))
            .await
            .map_err(|e| AppError::Internal(format!("checking a map: {e}")))?
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The map's title when `source` can be saved.
fn check_source(source: &str) -> AppResult<String> {
    if source.len() > MAX_SOURCE {
        return Err(AppError::TooLarge(format!(
            "the map is {} bytes; the limit is {} bytes",
            source.len(),
            MAX_SOURCE
        )));
    }
    let checked = cjm_model::check(source);
    if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
        let lines = cjm_syntax::diag::LineIndex::new(source);
        let (line, col) = lines.line_col(d.span.start);
        return Err(AppError::bad(format!(
            "line {line}, column {col}: {} ({}); fix it and save again",
            d.message, d.code
        )));
    }
    Ok(checked.journey.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "Untitled map".into()))
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
    c.execute(
        "UPDATE maps SET head = ?2, title = ?3, updated_at = ?4 WHERE id = ?1",
        params![map_id, number, title, now],
    )?;
    let author: String = c.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))?;
    Ok(Version { id, number, author, message, created_at: now, sha256: sha, source: None })
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Comment {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// The step id the comment is anchored to; none for the whole map.
    pub step: Option<String>,
    pub author: String,
    pub author_handle: String,
    pub body: String,
    pub created_at: i64,
    pub resolved: bool,
    pub resolved_by: Option<String>,
}

pub fn comments(c: &Connection, map_id: i64) -> AppResult<Vec<Comment>> {
    let mut st = c.prepare(
        "SELECT k.id, k.parent_id, k.step, u.name, u.handle, k.body, k.created_at, k.resolved_at, r.name
         FROM comments k JOIN users u ON u.id = k.author_id LEFT JOIN users r ON r.id = k.resolved_by
         WHERE k.map_id = ?1 ORDER BY k.created_at, k.id",
    )?;
    let rows = st.query_map([map_id], |r| {
        Ok(Comment {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            step: r.get(2)?,
            author: r.get(3)?,
            author_handle: r.get(4)?,
            body: r.get(5)?,
            created_at: r.get(6)?,
            resolved: r.get::<_, Option<i64>>(7)?.is_some(),
            resolved_by: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `@handle`s in a comment, as written (without the `@`).
pub fn mentioned_handles(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.'));
        if starts {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '.' || chars[j] == '-') {
                j += 1;
            }
            let h: String = chars[i + 1..j].iter().collect::<String>().trim_end_matches('.').to_string();
            if !h.is_empty() && !out.contains(&h) {
                out.push(h);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub handle: String,
    pub role: Role,
}

pub fn members(c: &Connection, workspace_id: i64) -> AppResult<Vec<Member>> {
    let mut st = c.prepare(
        "SELECT u.id, u.name, u.email, u.handle, m.role FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 ORDER BY u.name",
    )?;
    let rows = st.query_map([workspace_id], |r| {
        let role: String = r.get(4)?;
        Ok(Member {
            user_id: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            handle: r.get(3)?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ShareLink {
    pub id: i64,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    /// The link itself; only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub fn share_links(c: &Connection, map_id: i64) -> AppResult<Vec<ShareLink>> {
    let mut st = c.prepare(
        "SELECT s.id, s.label, u.name, s.created_at, s.expires_at, s.revoked_at FROM share_links s JOIN users u ON u.id = s.created_by
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
            url: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The map a share token opens, if the link is live.
pub fn shared_map(c: &Connection, token: &str) -> AppResult<i64> {
    let hash = crate::auth::token_hash(token);
    c.query_row(
        "SELECT map_id FROM share_links WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
        params![hash, now()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// `read` (GET only) or `write` (everything the owner may do, except
    /// making tokens).
    pub scope: crate::auth::TokenScope,
    pub created_at: i64,
    /// When the token stops working; `null` for never.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The token itself; only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

pub fn api_tokens(c: &Connection, user_id: i64) -> AppResult<Vec<ApiToken>> {
    let mut st = c.prepare(
        "SELECT id, name, scope, created_at, expires_at, last_used_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC",
    )?;
    let rows = st.query_map([user_id], |r| {
        Ok(ApiToken {
            id: r.get(0)?,
            name: r.get(1)?,
            scope: crate::auth::TokenScope::parse(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
            last_used_at: r.get(5)?,
            token: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, JsonSchema, Default, PartialEq)]
pub struct ColumnMapping {
    pub case: Option<String>,
    pub time: Option<String>,
    pub activity: Option<String>,
    pub channel: Option<String>,
    pub score: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Evidence {
    pub id: i64,
    pub file_name: String,
    pub bytes: i64,
    pub mapping: ColumnMapping,
    pub uploaded_by: String,
    pub created_at: i64,
    #[serde(skip)]
    pub stored_as: String,
}

pub fn evidence(c: &Connection, id: i64) -> AppResult<(Evidence, i64)> {
    c.query_row(
        "SELECT e.id, e.file_name, e.bytes, e.mapping, u.name, e.created_at, e.stored_as, e.workspace_id FROM evidence e JOIN users u ON u.id = e.uploaded_by WHERE e.id = ?1",
        [id],
        |r| {
            let mapping: String = r.get(3)?;
            Ok((
                Evidence {
                    id: r.get(0)?,
                    file_name: r.get(1)?,
                    bytes: r.get(2)?,
                    mapping: serde_json::from_str(&mapping).unwrap_or_default(),
                    uploaded_by: r.get(4)?,
                    created_at: r.get(5)?,
                    stored_as: r.get(6)?,
                },
                r.get(7)?,
            ))
        },
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Mention {
    pub comment_id: i64,
    pub map_id: i64,
    pub map_title: String,
    pub author: String,
    pub body: String,
    pub created_at: i64,
    pub resolved: bool,
}

/// Comments that mention the user (newest first), in one workspace or in
/// every workspace the user is still a member of.
pub fn mentions(c: &Connection, user_id: i64, workspace_id: Option<i64>, limit: i64) -> AppResult<Vec<Mention>> {
    let mut st = c.prepare(
        "SELECT k.id, m.id, m.title, u.name, k.body, k.created_at, k.resolved_at FROM mentions x
         JOIN comments k ON k.id = x.comment_id JOIN maps m ON m.id = k.map_id JOIN users u ON u.id = k.author_id
         JOIN members mb ON mb.workspace_id = m.workspace_id AND mb.user_id = x.user_id
         WHERE x.user_id = ?1 AND (?2 IS NULL OR m.workspace_id = ?2) ORDER BY k.created_at DESC, k.id DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![user_id, workspace_id, limit], |r| {
        Ok(Mention {
            comment_id: r.get(0)?,
            map_id: r.get(1)?,
            map_title: r.get(2)?,
            author: r.get(3)?,
            body: r.get(4)?,
            created_at: r.get(5)?,
            resolved: r.get::<_, Option<i64>>(6)?.is_some(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub expires_at: i64,
}

/// Invitations of a workspace not yet accepted and not expired.
pub fn pending_invitations(c: &Connection, workspace_id: i64) -> AppResult<Vec<PendingInvitation>> {
    let mut st = c.prepare(
        "SELECT id, email, role, expires_at FROM invitations WHERE workspace_id = ?1 AND accepted_at IS NULL AND expires_at > ?2 ORDER BY id DESC",
    )?;
    let rows = st.query_map(params![workspace_id, now()], |r| {
        Ok(PendingInvitation { id: r.get(0)?, email: r.get(1)?, role: r.get(2)?, expires_at: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
