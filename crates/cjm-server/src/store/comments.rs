//! Comments on maps and steps, replies, and @mentions.

use super::*;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Comment {
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

pub(crate) fn comments(c: &Connection, map_id: i64) -> AppResult<Vec<Comment>> {
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
pub(crate) fn mentioned_handles(body: &str) -> Vec<String> {
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
pub(crate) struct Mention {
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
pub(crate) fn mentions(c: &Connection, user_id: i64, workspace_id: Option<i64>, limit: i64) -> AppResult<Vec<Mention>> {
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

/// A comment (a reply lives on its parent's step) with its @mentions of
/// the workspace's members.
pub(crate) fn insert_comment(
    c: &Connection,
    map: &MapInfo,
    author: i64,
    parent: Option<i64>,
    step: Option<String>,
    text: &str,
) -> AppResult<Comment> {
    let mut step = step;
    if let Some(parent) = parent {
        let parent_step: Option<Option<String>> = c
            .query_row("SELECT step FROM comments WHERE id = ?1 AND map_id = ?2", [parent, map.id], |r| r.get(0))
            .optional()?;
        step = parent_step.ok_or_else(|| AppError::bad(format!("no comment {parent} on this map to reply to")))?;
    }
    c.execute(
        "INSERT INTO comments (map_id, parent_id, step, author_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![map.id, parent, step, author, text, now()],
    )?;
    let cid = c.last_insert_rowid();
    for handle in mentioned_handles(text) {
        c.execute(
            "INSERT OR IGNORE INTO mentions (comment_id, user_id) SELECT ?1, u.id FROM users u JOIN members m ON m.user_id = u.id AND m.workspace_id = ?3 WHERE u.handle = ?2",
            params![cid, handle, map.workspace_id],
        )?;
    }
    comment(c, map.id, cid)
}

/// Resolves (by `by`) or reopens a comment of the map.
pub(crate) fn set_resolved(c: &Connection, map_id: i64, id: i64, by: Option<i64>) -> AppResult<Comment> {
    let n = match by {
        Some(user) => c.execute(
            "UPDATE comments SET resolved_at = ?3, resolved_by = ?4 WHERE id = ?1 AND map_id = ?2",
            params![id, map_id, now(), user],
        )?,
        None => c.execute(
            "UPDATE comments SET resolved_at = NULL, resolved_by = NULL WHERE id = ?1 AND map_id = ?2",
            params![id, map_id],
        )?,
    };
    found(n)?;
    comment(c, map_id, id)
}

fn comment(c: &Connection, map_id: i64, id: i64) -> AppResult<Comment> {
    comments(c, map_id)?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)
}
