//! Uploaded event logs and their column mappings.

use super::*;

#[derive(Clone, Debug, Serialize, serde::Deserialize, JsonSchema, Default, PartialEq)]
pub(crate) struct ColumnMapping {
    pub case: Option<String>,
    pub time: Option<String>,
    pub activity: Option<String>,
    pub channel: Option<String>,
    pub score: Option<String>,
    /// `utf-8` (the default) or `latin1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Which lifecycle events to keep: `auto` (the default: complete
    /// events when the log has start/complete pairs), `all`, `complete`
    /// or `start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Evidence {
    pub id: i64,
    pub file_name: String,
    pub bytes: i64,
    pub mapping: ColumnMapping,
    pub uploaded_by: String,
    pub created_at: i64,
    /// A file of the server's log folder, attached in place (not uploaded).
    pub in_folder: bool,
    /// A table or path of the server's Spark cluster (no file here).
    pub on_spark: bool,
    /// The upload's name in the data directory, the file's path inside
    /// the log folder, or (on Spark) `table:NAME` or `path:URI`.
    #[serde(skip)]
    pub stored_as: String,
}

pub(crate) fn evidence(c: &Connection, id: i64) -> AppResult<(Evidence, i64)> {
    c.query_row(
        "SELECT e.id, e.file_name, e.bytes, e.mapping, u.name, e.created_at, e.stored_as, e.workspace_id, e.in_folder, e.on_spark FROM evidence e JOIN users u ON u.id = e.uploaded_by WHERE e.id = ?1",
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
                    in_folder: r.get(8)?,
                    on_spark: r.get(9)?,
                },
                r.get(7)?,
            ))
        },
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// A log of a workspace, as its list shows it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct LogEntry {
    pub id: i64,
    pub file_name: String,
    pub bytes: i64,
    pub uploaded_by: String,
    pub created_at: i64,
    /// Maps of the workspace this log is attached to.
    pub maps: i64,
    /// A file of the server's log folder, attached in place.
    pub in_folder: bool,
    /// A table or path of the server's Spark cluster.
    pub on_spark: bool,
}

/// The logs of a workspace, newest first (at most 200).
pub(crate) fn workspace_logs(c: &Connection, ws: i64) -> AppResult<Vec<LogEntry>> {
    let mut st = c.prepare(
        "SELECT e.id, e.file_name, e.bytes, u.name, e.created_at, (SELECT COUNT(*) FROM maps m WHERE m.evidence_id = e.id), e.in_folder, e.on_spark \
         FROM evidence e JOIN users u ON u.id = e.uploaded_by WHERE e.workspace_id = ?1 ORDER BY e.created_at DESC, e.id DESC LIMIT 200",
    )?;
    let rows = st.query_map([ws], |r| {
        Ok(LogEntry {
            id: r.get(0)?,
            file_name: r.get(1)?,
            bytes: r.get(2)?,
            uploaded_by: r.get(3)?,
            created_at: r.get(4)?,
            maps: r.get(5)?,
            in_folder: r.get(6)?,
            on_spark: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records an uploaded log (already on disk as `stored_as`); its id.
pub(crate) fn insert_evidence(
    c: &Connection,
    ws: i64,
    file_name: &str,
    stored_as: &str,
    bytes: i64,
    mapping: &ColumnMapping,
    by: i64,
) -> AppResult<i64> {
    let mapping = serde_json::to_string(mapping).unwrap_or_else(|_| "{}".into());
    c.execute(
        "INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, mapping, uploaded_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ws, file_name, stored_as, bytes, mapping, by, now()],
    )?;
    Ok(c.last_insert_rowid())
}

/// Records a file of the server's log folder (`rel`, its path inside the
/// folder) as a log of workspace `ws`, or finds the record it has; its id
/// and whether it is new.
pub(crate) fn folder_log(
    c: &Connection,
    ws: i64,
    file_name: &str,
    rel: &str,
    bytes: i64,
    by: i64,
) -> AppResult<(i64, bool)> {
    let known: Option<i64> = c
        .query_row(
            "SELECT id FROM evidence WHERE workspace_id = ?1 AND in_folder = 1 AND stored_as = ?2",
            params![ws, rel],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = known {
        c.execute("UPDATE evidence SET bytes = ?2 WHERE id = ?1", params![id, bytes])?;
        return Ok((id, false));
    }
    c.execute(
        "INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, mapping, uploaded_by, created_at, in_folder) VALUES (?1, ?2, ?3, ?4, '{}', ?5, ?6, 1)",
        params![ws, file_name, rel, bytes, by, now()],
    )?;
    Ok((c.last_insert_rowid(), true))
}

/// Records a Spark table or path (`stored_as`, `table:NAME` or
/// `path:URI`) as a log of workspace `ws`, or finds the record it has;
/// its id and whether it is new.
pub(crate) fn spark_log(c: &Connection, ws: i64, shown: &str, stored_as: &str, by: i64) -> AppResult<(i64, bool)> {
    let known: Option<i64> = c
        .query_row(
            "SELECT id FROM evidence WHERE workspace_id = ?1 AND on_spark = 1 AND stored_as = ?2",
            params![ws, stored_as],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = known {
        return Ok((id, false));
    }
    c.execute(
        "INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, mapping, uploaded_by, created_at, on_spark) VALUES (?1, ?2, ?3, 0, '{}', ?4, ?5, 1)",
        params![ws, shown, stored_as, by, now()],
    )?;
    Ok((c.last_insert_rowid(), true))
}

pub(crate) fn delete_evidence(c: &Connection, id: i64) -> AppResult<()> {
    c.execute("DELETE FROM evidence WHERE id = ?1", [id])?;
    Ok(())
}

pub(crate) fn set_mapping(c: &Connection, id: i64, mapping: &ColumnMapping) -> AppResult<()> {
    c.execute(
        "UPDATE evidence SET mapping = ?2 WHERE id = ?1",
        params![id, serde_json::to_string(mapping).unwrap_or_default()],
    )?;
    Ok(())
}

/// The maps a log is attached to, by title (at most 20): id and title.
pub(crate) fn maps_using(c: &Connection, log: i64) -> AppResult<Vec<(i64, String)>> {
    let mut st = c.prepare("SELECT id, title FROM maps WHERE evidence_id = ?1 ORDER BY title, id LIMIT 20")?;
    let rows = st.query_map([log], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Attaches a log to a map (`None` detaches).
pub(crate) fn attach_evidence(c: &Connection, map_id: i64, evidence_id: Option<i64>) -> AppResult<()> {
    c.execute("UPDATE maps SET evidence_id = ?2 WHERE id = ?1", params![map_id, evidence_id])?;
    Ok(())
}
