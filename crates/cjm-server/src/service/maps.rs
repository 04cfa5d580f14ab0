//! Maps and their versions: creating a map, saving, form edits, restoring,
//! tags, the current and future states. Every text is checked on the
//! blocking pool before the write transaction ([`store::Checked`]).

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::service::personas::Library;
use crate::store::{self, MapInfo};
use crate::AppState;

/// How a new map starts: a template, a text, a map in JSON form, or a title.
#[derive(Default)]
pub(crate) struct Start {
    pub template: Option<String>,
    pub source: Option<String>,
    pub journey: Option<serde_json::Value>,
    pub title: Option<String>,
}

pub(crate) fn starting_source(body: &Start) -> AppResult<String> {
    if let Some(name) = &body.template {
        let t = cjm_model::templates::get(name).ok_or_else(|| {
            let names: Vec<&str> = cjm_model::templates::ALL.iter().map(|t| t.name).collect();
            AppError::bad(format!("no template `{name}`; choose one of: {}", names.join(", ")))
        })?;
        let mut text = t.text.to_string();
        if let Some(title) = body.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let old = cjm_model::check(&text).journey.title.unwrap_or_default();
            let escaped = cjm_syntax::escape::escape_text(title, &['#']);
            text = text.replacen(&format!("title {old}"), &format!("title {escaped}"), 1);
        }
        return Ok(text);
    }
    if let Some(source) = &body.source {
        return Ok(source.clone());
    }
    if let Some(json) = &body.journey {
        let read = cjm_model::json::from_json(&json.to_string())
            .map_err(|d| AppError::bad(format!("journey: {}", d.message)))?;
        if let Some(f) = read.findings.iter().find(|f| f.severity == cjm_syntax::Severity::Error) {
            return Err(AppError::bad(format!("journey: {}", f.message)));
        }
        return Ok(cjm_model::to_cjm(&read.journey));
    }
    let title = body.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("Untitled journey");
    Ok(format!(
        "journey\n  title {}\n\n  section First stage\n    First step: 3\n",
        cjm_syntax::escape::escape_text(title, &['#'])
    ))
}

/// Creates a map in workspace `ws`; its id.
pub(crate) async fn create(state: &AppState, ws: i64, user: &User, start: &Start, tags: &[String]) -> AppResult<i64> {
    let source = starting_source(start)?;
    let tags = store::normalise_tags(tags)?;
    let message = match &start.template {
        Some(t) => format!("Created from the {t} template"),
        None => "Created".into(),
    };
    let library = Library::of(state, ws).await?;
    let checked = store::Checked::off_runtime(source, library).await?;
    let uid = user.id;
    state.db.write(move |tx| store::create_map(tx, ws, uid, &checked, &tags, &message)).await
}

/// Saves `source` as the newest version (refused when `base` is stale).
pub(crate) async fn save(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    source: String,
    message: String,
    base: Option<i64>,
) -> AppResult<store::Version> {
    crate::live::check_no_unsaved(state, map.id).await?;
    let library = Library::of(state, map.workspace_id).await?;
    let checked = store::Checked::off_runtime(source, library).await?;
    let (id, uid) = (map.id, user.id);
    let text = checked.source().to_string();
    let version = state.db.write(move |tx| store::append_version(tx, id, uid, &checked, &message, base)).await?;
    crate::live::follow_version(state, id, text, version.number, uid).await?;
    Ok(version)
}

/// Applies a form edit to version `base` and saves the result, refused
/// (409) if someone saved since. The edit and the check run outside the
/// write transaction. The new version and its text.
pub(crate) async fn edit(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    base: i64,
    edit: cjm_model::edit::Edit,
    message: &str,
) -> AppResult<(store::Version, String)> {
    let id = map.id;
    crate::live::check_no_unsaved(state, id).await?;
    let current = state.db.read(move |c| store::version(c, id, base)).await?.source.unwrap_or_default();
    let message = message.trim().to_string();
    let library = Library::of(state, map.workspace_id).await?;
    let (checked, message) = tokio::task::spawn_blocking(move || {
        let source =
            cjm_model::edit::apply(&current, &edit, &|p| library.resolve(p)).map_err(|e| AppError::bad(e.0))?;
        let message = if message.is_empty() { cjm_model::edit::describe(&current, &edit) } else { message };
        Ok::<_, AppError>((store::Checked::new(source, &library)?, message))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let uid = user.id;
    let (version, text) = state
        .db
        .write(move |tx| {
            let version = store::append_version(tx, id, uid, &checked, &message, Some(base))?;
            Ok::<_, AppError>((version, checked.source().to_string()))
        })
        .await?;
    crate::live::follow_version(state, id, text.clone(), version.number, uid).await?;
    Ok((version, text))
}

/// Saves version `n`'s text as the newest version.
pub(crate) async fn restore(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    n: i64,
    base: Option<i64>,
) -> AppResult<store::Version> {
    let id = map.id;
    let old = state.db.read(move |c| store::version(c, id, n)).await?;
    save(state, map, user, old.source.unwrap_or_default(), format!("Restored version {n}"), base).await
}

/// New tags (`None` keeps them); the map as it is now.
pub(crate) async fn set_tags(state: &AppState, map: &MapInfo, tags: Option<Vec<String>>) -> AppResult<MapInfo> {
    let id = map.id;
    if let Some(tags) = tags {
        let tags = store::normalise_tags(&tags)?;
        state.db.write(move |tx| store::set_tags(tx, id, &tags)).await?;
    }
    state.db.read(move |c| store::map(c, id)).await
}

pub(crate) async fn set_states(
    state: &AppState,
    map: &MapInfo,
    current: Option<i64>,
    future: Option<i64>,
) -> AppResult<MapInfo> {
    let id = map.id;
    state.db.write(move |tx| store::set_states(tx, id, current, future)).await?;
    state.db.read(move |c| store::map(c, id)).await
}

pub(crate) async fn delete(state: &AppState, map: &MapInfo) -> AppResult<()> {
    let id = map.id;
    state.db.write(move |tx| store::delete_map(tx, id)).await?;
    state.live.map_deleted(id);
    Ok(())
}
