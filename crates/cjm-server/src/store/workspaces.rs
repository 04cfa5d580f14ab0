//! Workspaces, their members and roles, and invitations.

use super::*;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Workspace {
    pub id: i64,
    pub name: String,
    /// Your role in it.
    pub role: Role,
}

pub fn create_workspace(c: &Connection, name: &str, owner: i64) -> AppResult<i64> {
    c.execute("INSERT INTO workspaces (name, created_at) VALUES (?1, ?2)", params![name, now()])?;
    let id = c.last_insert_rowid();
    c.execute("INSERT INTO members (workspace_id, user_id, role) VALUES (?1, ?2, 'owner')", params![id, owner])?;
    Ok(id)
}

pub(crate) fn role_in(c: &Connection, user_id: i64, workspace_id: i64) -> AppResult<Option<Role>> {
    let role: Option<String> = c
        .query_row("SELECT role FROM members WHERE workspace_id = ?1 AND user_id = ?2", [workspace_id, user_id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

pub(crate) fn workspaces_of(c: &Connection, user_id: i64) -> AppResult<Vec<Workspace>> {
    let mut st = c.prepare(
        "SELECT w.id, w.name, m.role FROM workspaces w JOIN members m ON m.workspace_id = w.id WHERE m.user_id = ?1 ORDER BY w.id",
    )?;
    let rows = st.query_map([user_id], |r| {
        let role: String = r.get(2)?;
        Ok(Workspace { id: r.get(0)?, name: r.get(1)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn workspace(c: &Connection, user_id: i64, workspace_id: i64) -> AppResult<Workspace> {
    let role = role_in(c, user_id, workspace_id)?.ok_or(AppError::NotFound)?;
    let name: String = c.query_row("SELECT name FROM workspaces WHERE id = ?1", [workspace_id], |r| r.get(0))?;
    Ok(Workspace { id: workspace_id, name, role })
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub handle: String,
    pub role: Role,
}

pub(crate) fn members(c: &Connection, workspace_id: i64) -> AppResult<Vec<Member>> {
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
pub(crate) struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub expires_at: i64,
}

/// Invitations of a workspace not yet accepted and not expired.
pub(crate) fn pending_invitations(c: &Connection, workspace_id: i64) -> AppResult<Vec<PendingInvitation>> {
    let mut st = c.prepare(
        "SELECT id, email, role, expires_at FROM invitations WHERE workspace_id = ?1 AND accepted_at IS NULL AND expires_at > ?2 ORDER BY id DESC",
    )?;
    let rows = st.query_map(params![workspace_id, now()], |r| {
        Ok(PendingInvitation { id: r.get(0)?, email: r.get(1)?, role: r.get(2)?, expires_at: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn workspace_name(c: &Connection, id: i64) -> AppResult<String> {
    Ok(c.query_row("SELECT name FROM workspaces WHERE id = ?1", [id], |r| r.get(0))?)
}

fn owners(c: &Connection, ws: i64) -> AppResult<i64> {
    Ok(c.query_row("SELECT count(*) FROM members WHERE workspace_id = ?1 AND role = 'owner'", [ws], |r| r.get(0))?)
}

fn keep_an_owner(c: &Connection, ws: i64, user: i64, stays_owner: bool) -> AppResult<()> {
    let current = role_in(c, user, ws)?.ok_or(AppError::NotFound)?;
    if current == Role::Owner && !stays_owner && owners(c, ws)? == 1 {
        return Err(AppError::Conflict("this is the workspace's last owner; make someone else owner first".into()));
    }
    Ok(())
}

/// A member's new role; the last owner cannot stop being one.
pub(crate) fn set_member_role(c: &Connection, ws: i64, user: i64, role: Role) -> AppResult<()> {
    keep_an_owner(c, ws, user, role == Role::Owner)?;
    c.execute(
        "UPDATE members SET role = ?3 WHERE workspace_id = ?1 AND user_id = ?2",
        params![ws, user, role.as_str()],
    )?;
    Ok(())
}

/// Removes a member; the last owner cannot be removed.
pub(crate) fn remove_member(c: &Connection, ws: i64, user: i64) -> AppResult<()> {
    keep_an_owner(c, ws, user, false)?;
    c.execute("DELETE FROM members WHERE workspace_id = ?1 AND user_id = ?2", [ws, user])?;
    Ok(())
}

/// Adds a member, or raises their role; joining never lowers a role.
pub(crate) fn join(c: &Connection, ws: i64, user: i64, role: Role) -> AppResult<()> {
    if role_in(c, user, ws)?.is_none_or(|have| have < role) {
        c.execute(
            "INSERT OR REPLACE INTO members (workspace_id, user_id, role) VALUES (?1, ?2, ?3)",
            params![ws, user, role.as_str()],
        )?;
    }
    Ok(())
}

pub(crate) fn insert_invitation(
    c: &Connection,
    ws: i64,
    email: &str,
    role: Role,
    hash: &str,
    by: i64,
    expires_at: i64,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO invitations (workspace_id, email, role, token_hash, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ws, email, role.as_str(), hash, by, now(), expires_at],
    )?;
    Ok(())
}

/// Revokes an invitation not yet accepted; `NotFound` otherwise.
pub(crate) fn revoke_invitation(c: &Connection, ws: i64, id: i64) -> AppResult<()> {
    found(c.execute("DELETE FROM invitations WHERE id = ?1 AND workspace_id = ?2 AND accepted_at IS NULL", [id, ws])?)
}

/// A live invitation, by the hash of its token.
pub(crate) struct OpenInvitation {
    pub id: i64,
    pub workspace: String,
    pub workspace_id: i64,
    pub email: String,
    pub role: String,
}

pub(crate) fn open_invitation(c: &Connection, hash: &str) -> AppResult<OpenInvitation> {
    c.query_row(
        "SELECT i.id, w.name, w.id, i.email, i.role FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
         WHERE i.token_hash = ?1 AND i.accepted_at IS NULL AND i.expires_at > ?2",
        params![hash, now()],
        |r| {
            Ok(OpenInvitation {
                id: r.get(0)?,
                workspace: r.get(1)?,
                workspace_id: r.get(2)?,
                email: r.get(3)?,
                role: r.get(4)?,
            })
        },
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// Marks an invitation used; `NotFound` when it already was.
pub(crate) fn accept_invitation(c: &Connection, id: i64) -> AppResult<()> {
    found(
        c.execute("UPDATE invitations SET accepted_at = ?2 WHERE id = ?1 AND accepted_at IS NULL", params![id, now()])?,
    )
}
