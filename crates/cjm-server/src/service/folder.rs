//! The server's log folder: files an administrator put on the server
//! (logs bigger than an upload), which a workspace attaches in place. The
//! file is read where it is, as a stream, with no upload limit (the inflate
//! limit still bounds a compressed one); it stays the administrator's, so
//! removing the log from a workspace never deletes it.
//!
//! A path comes from the browser, so every use checks it: relative, no
//! `..`, and — symbolic links resolved — still inside the folder.

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::service::evidence::{self, EvidenceState, New};
use crate::store::{self, MapInfo};
use crate::{AppState, Config};
use cjm_events::Format;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Component, Path, PathBuf};

/// The most files listed, and how deep into subfolders.
pub(crate) const MAX_FOLDER_FILES: usize = 2_000;
pub(crate) const MAX_FOLDER_DEPTH: usize = 4;
/// The longest path accepted.
const MAX_PATH_BYTES: usize = 1024;

/// A log file of the server's folder.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct FolderFile {
    /// Its path inside the folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    /// When it last changed, seconds since 1970.
    pub modified: i64,
    pub format: String,
}

/// What the folder holds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct FolderListing {
    /// Whether the server has a log folder at all.
    pub configured: bool,
    /// The log files (by path), at most [`MAX_FOLDER_FILES`].
    pub files: Vec<FolderFile>,
    /// More files were there than listed.
    pub cut: bool,
}

/// The folder's log files, by path: hidden files, symbolic links and
/// files of no log format are left out.
pub(crate) fn list(config: &Config) -> AppResult<FolderListing> {
    let Some(dir) = &config.logs_dir else {
        return Ok(FolderListing { configured: false, files: Vec::new(), cut: false });
    };
    let mut files = Vec::new();
    let mut cut = false;
    walk(dir, "", 0, &mut files, &mut cut);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(FolderListing { configured: true, files, cut })
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<FolderFile>, cut: &mut bool) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = e.path().symlink_metadata() else { continue };
        if name.starts_with('.') || meta.file_type().is_symlink() {
            continue;
        }
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        if meta.is_dir() {
            if depth + 1 < MAX_FOLDER_DEPTH {
                walk(&e.path(), &rel, depth + 1, out, cut);
            }
        } else if let Some(format) = Format::from_path(Path::new(&name.to_lowercase())) {
            if out.len() >= MAX_FOLDER_FILES {
                *cut = true;
                return;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            out.push(FolderFile { path: rel, bytes: meta.len(), modified, format: format.name().to_string() });
        }
    }
}

/// The file at `rel` inside the log folder, refused unless it is a
/// regular file there (symbolic links resolved).
pub(crate) fn resolve(config: &Config, rel: &str) -> AppResult<PathBuf> {
    let dir = config
        .logs_dir
        .as_ref()
        .ok_or_else(|| AppError::bad("this server has no log folder: the administrator names one when starting it"))?;
    let shown: String = rel.chars().take(120).collect();
    let plain = !rel.is_empty()
        && rel.len() <= MAX_PATH_BYTES
        && !rel.contains(['\\', '\0'])
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(AppError::Unprocessable(format!(
            "path `{shown}`: give a file's path inside the server's log folder, as the list shows it"
        )));
    }
    let missing = || AppError::bad(format!("`{shown}` is not in the server's log folder (any more)"));
    let root = dir.canonicalize().map_err(|_| AppError::bad("the server's log folder cannot be read"))?;
    let file = root.join(rel).canonicalize().map_err(|_| missing())?;
    if !file.starts_with(&root) || !file.is_file() {
        return Err(missing());
    }
    Ok(file)
}

/// Attaches the folder's file `rel` to `map` in place, as a log of the
/// map's workspace: recorded once per workspace (attaching it again reads
/// the file anew), and adopted as an upload is — a file whose columns need
/// choosing waits for them, one that does not read is refused.
pub(crate) async fn attach(state: &AppState, map: &MapInfo, user: &User, rel: String) -> AppResult<EvidenceState> {
    let config = state.config.clone();
    let rel2 = rel.clone();
    let (path, bytes) = tokio::task::spawn_blocking(move || {
        let path = resolve(&config, &rel2)?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Ok::<_, AppError>((path, bytes))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let file_name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
    evidence::format_of(&file_name)?;
    let (ws, uid, name) = (map.workspace_id, user.id, file_name.clone());
    let (eid, new) = state
        .db
        .write(move |tx| store::folder_log(tx, ws, &name, &rel, i64::try_from(bytes).unwrap_or(i64::MAX), uid))
        .await?;
    // The file may have changed since it was read: read it as it is now.
    evidence::forget(state, eid);
    let mapping = state.db.read(move |c| store::evidence(c, eid)).await?.0.mapping;
    evidence::adopt(state, map, eid, path, file_name, mapping, if new { New::Folder } else { New::Known }).await
}
