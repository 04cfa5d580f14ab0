//! Live co-editing: one document actor per open map, and the WebSocket
//! route people (and scripts) join it by.
//!
//! - [`actor`] — a tokio task owning a map's [`cjm_live::LiveDoc`] and its
//!   presence: it takes every frame of every connection in order, stores the
//!   updates of a burst in one SQLite transaction, and only after the commit
//!   passes them on and acknowledges them. It is the one writer of the map's
//!   live text.
//! - [`preview`] — the debounced analysis of the live text: the preview
//!   pushed to everybody watching, and who changed what since the last save.
//! - [`socket`] — `GET /api/maps/{id}/live`: the upgrade (role, origin),
//!   then one task per connection between the socket and the actor.
//!
//! [`Live`] finds a map's actor, starting it when the map has none.

pub(crate) mod actor;
pub(crate) mod preview;
pub(crate) mod socket;

use crate::error::{AppError, AppResult};
use crate::AppState;
use actor::Cmd;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Commands waiting for an actor, at most; a sender waits beyond that.
const QUEUE: usize = 256;
/// Live documents loaded at once, at most.
pub(crate) const MAX_DOCS: usize = 500;
/// Their stored state (snapshots and updates, encoded) together, at most:
/// a yrs document in memory takes a small multiple of it. Past either
/// limit, documents nobody has open are unloaded at once and a new one is
/// refused until there is room.
pub(crate) const MAX_STATE: usize = 256 << 20;
/// Live sockets one person holds at once, across maps and tabs.
pub(crate) const MAX_PER_USER: usize = 30;

/// The running actors, by map.
pub(crate) struct Live {
    actors: Mutex<HashMap<i64, mpsc::Sender<Cmd>>>,
    /// Each loaded document's stored state size, as its actor reports it.
    sizes: Mutex<HashMap<i64, usize>>,
    /// Live sockets per person.
    per_user: Arc<Mutex<HashMap<i64, usize>>>,
    next_conn: AtomicU64,
    /// Permits for analysing (and drawing) live texts, server-wide.
    pub(crate) renders: Arc<tokio::sync::Semaphore>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            actors: Mutex::default(),
            sizes: Mutex::default(),
            per_user: Arc::default(),
            next_conn: AtomicU64::new(0),
            renders: Arc::new(tokio::sync::Semaphore::new(preview::RENDERS)),
        }
    }
}

impl Live {
    pub(crate) fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Sends `cmd` to the map's actor, starting one when the map has none
    /// (or its actor has just stopped).
    pub(crate) async fn send(&self, state: &AppState, map_id: i64, cmd: Cmd) -> AppResult<()> {
        let mut cmd = cmd;
        for _ in 0..2 {
            let tx = self.actor(state, map_id)?;
            match tx.send(cmd).await {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(back)) => {
                    cmd = back;
                    let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
                    if actors.get(&map_id).is_some_and(|t| t.same_channel(&tx)) {
                        actors.remove(&map_id);
                    }
                }
            }
        }
        Err(AppError::Unavailable("the live document is restarting; try again".into()))
    }

    /// Tells every running actor that `cmd_for()` happened (a user's role
    /// changed); actors of maps nobody has open are not started.
    fn tell_all(&self, cmd_for: impl Fn() -> Cmd) {
        let actors: Vec<mpsc::Sender<Cmd>> =
            self.actors.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for tx in actors {
            // A full queue drops it: that actor is busy with a burst, and
            // the user's next request is checked anyway.
            let _ = tx.try_send(cmd_for());
        }
    }

    /// User `user_id`'s role changed somewhere: their live connections
    /// follow at once.
    /// `user_id`'s role, sessions or tokens changed: their connections are
    /// checked again at once (a revoked credential closes its socket).
    pub(crate) fn role_changed(&self, user_id: i64) {
        self.tell_all(|| Cmd::Recheck { user_id });
    }

    /// Map `map_id` was deleted: its live connections close.
    pub(crate) fn map_deleted(&self, map_id: i64) {
        self.tell(map_id, Cmd::Deleted);
    }

    /// Share link `share` of map `map_id` was revoked: whoever watches
    /// through it is closed.
    pub(crate) fn link_revoked(&self, map_id: i64, share: i64) {
        self.tell(map_id, Cmd::LinkRevoked { share });
    }

    /// Tells a running actor (none is started for it).
    fn tell(&self, map_id: i64, cmd: Cmd) {
        let tx = self.actors.lock().unwrap_or_else(|p| p.into_inner()).get(&map_id).cloned();
        if let Some(tx) = tx {
            // A full queue: the actor is busy; the command waits its turn
            // on a task rather than being dropped.
            if let Err(mpsc::error::TrySendError::Full(cmd)) = tx.try_send(cmd) {
                tokio::spawn(async move { drop(tx.send(cmd).await) });
            }
        }
    }

    fn actor(&self, state: &AppState, map_id: i64) -> AppResult<mpsc::Sender<Cmd>> {
        let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = actors.get(&map_id).filter(|tx| !tx.is_closed()) {
            return Ok(tx.clone());
        }
        actors.retain(|_, tx| !tx.is_closed());
        let held: usize = self.sizes.lock().unwrap_or_else(|p| p.into_inner()).values().sum();
        if actors.len() >= MAX_DOCS || held >= MAX_STATE {
            for tx in actors.values() {
                let _ = tx.try_send(Cmd::UnloadIfIdle);
            }
            return Err(AppError::Unavailable(
                "the server holds as many live maps as it may right now; try again in a minute".into(),
            ));
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        actors.insert(map_id, tx.clone());
        tokio::spawn(actor::run(state.clone(), map_id, tx.downgrade(), rx));
        Ok(tx)
    }

    /// Map `map_id`'s document holds `bytes` of stored state (`None`: it
    /// was unloaded).
    pub(crate) fn report(&self, map_id: i64, bytes: Option<usize>) {
        let mut sizes = self.sizes.lock().unwrap_or_else(|p| p.into_inner());
        match bytes {
            Some(b) => sizes.insert(map_id, b),
            None => sizes.remove(&map_id),
        };
    }

    /// A live socket for `user_id`, while the slot lives; `None` when they
    /// hold [`MAX_PER_USER`] already.
    pub(crate) fn hold(&self, user_id: i64) -> Option<Slot> {
        let mut per_user = self.per_user.lock().unwrap_or_else(|p| p.into_inner());
        let n = per_user.entry(user_id).or_default();
        if *n >= MAX_PER_USER {
            return None;
        }
        *n += 1;
        Some(Slot { user_id, per_user: self.per_user.clone() })
    }
}

/// One of a person's live sockets ([`Live::hold`]); given back when dropped.
pub(crate) struct Slot {
    user_id: i64,
    per_user: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_user = self.per_user.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_user.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                per_user.remove(&self.user_id);
            }
        }
    }
}

impl Live {}

/// Asks the map's actor `cmd(reply)` and waits for its answer.
async fn ask<T>(state: &AppState, map_id: i64, cmd: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> AppResult<T> {
    let (reply, answer) = oneshot::channel();
    state.live.send(state, map_id, cmd(reply)).await?;
    answer.await.map_err(|_| AppError::Unavailable("the live document stopped; try again".into()))
}

/// The live text and the version it was last saved as (the actor loads
/// or seeds the document).
pub(crate) async fn text(state: &AppState, map_id: i64) -> AppResult<(String, i64)> {
    ask(state, map_id, |reply| Cmd::Text { reply }).await?.map_err(AppError::Unavailable)
}

/// Makes the live text `text` by minimal edits, as if typed by `user`.
async fn set_text(state: &AppState, map_id: i64, text: String, user: i64) -> AppResult<()> {
    ask(state, map_id, |reply| Cmd::SetText { text, user: Some(user), reply }).await?.map_err(AppError::Unavailable)?;
    Ok(())
}

/// Tells the actor the live text was saved as `version` (already stored:
/// an actor that stopped meanwhile reads it when it loads).
async fn tell_saved(state: &AppState, map_id: i64, version: i64) {
    let _ = ask(state, map_id, |reply| Cmd::Saved { version, reply }).await;
}

/// Refuses (409) a version saved outside the live document while the live
/// text has changes nobody saved: nobody overwrites edits they have not
/// seen. A map never opened live has nothing to lose.
pub(crate) async fn check_no_unsaved(state: &AppState, map_id: i64) -> AppResult<()> {
    if !state.db.read(move |c| crate::store::has_doc(c, map_id)).await? {
        return Ok(());
    }
    let (text, saved) = text(state, map_id).await?;
    let saved_text = state.db.read(move |c| crate::store::version(c, map_id, saved)).await?.source.unwrap_or_default();
    if cjm_live::doc::normalise(&saved_text) != text {
        return Err(AppError::Conflict(format!(
            "this map has live edits not saved as a version yet (since version {saved}); open the editor and save them, or save your text there"
        )));
    }
    Ok(())
}

/// A version saved outside the live document (a script's save, a form edit,
/// a restore): the live text becomes it by minimal edits, so whoever is
/// typing sees the change and keeps their cursor.
pub(crate) async fn follow_version(
    state: &AppState,
    map_id: i64,
    text: String,
    version: i64,
    user: i64,
) -> AppResult<()> {
    if !state.db.read(move |c| crate::store::has_doc(c, map_id)).await? {
        return Ok(());
    }
    set_text(state, map_id, text, user).await?;
    state
        .db
        .write(move |c| {
            crate::store::set_saved_version(c, map_id, version)?;
            crate::store::clear_contributions(c, map_id)
        })
        .await?;
    tell_saved(state, map_id, version).await;
    Ok(())
}

/// A version saved with the same text but a new persona library version
/// (a library persona was edited): the live document keeps its text and
/// its unsaved edits, and counts from the new version, so its next save
/// is not refused as stale.
pub(crate) async fn follow_library(state: &AppState, map_id: i64, version: i64) -> AppResult<()> {
    if !state.db.read(move |c| crate::store::has_doc(c, map_id)).await? {
        return Ok(());
    }
    state.db.write(move |c| crate::store::set_saved_version(c, map_id, version)).await?;
    tell_saved(state, map_id, version).await;
    Ok(())
}

/// What a live connection signed in with, checked again whenever its
/// user's access changes: signing out, a password change that signs out
/// other sessions, or a revoked token closes the socket at once.
#[derive(Clone, Debug)]
pub(crate) enum Credential {
    /// The hash of a session cookie.
    Session(String),
    /// The hash of an API token.
    Token(String),
}

impl Credential {
    pub(crate) fn of(headers: &axum::http::HeaderMap) -> Option<Credential> {
        if let Some(token) = crate::auth::bearer(headers) {
            return Some(Credential::Token(crate::token::token_hash(token)));
        }
        crate::auth::cookie(headers, crate::auth::SESSION_COOKIE)
            .map(|t| Credential::Session(crate::token::token_hash(t)))
    }

    /// When it stops working (seconds since the epoch), if it does.
    pub(crate) fn expires_at(&self, c: &rusqlite::Connection) -> AppResult<Option<i64>> {
        use rusqlite::OptionalExtension;
        let (sql, hash) = match self {
            Credential::Session(h) => ("SELECT expires_at FROM sessions WHERE token_hash = ?1", h),
            Credential::Token(h) => ("SELECT expires_at FROM api_tokens WHERE token_hash = ?1", h),
        };
        Ok(c.query_row(sql, [hash], |r| r.get::<_, Option<i64>>(0)).optional()?.flatten())
    }

    /// Whether it still signs anybody in.
    pub(crate) fn valid(&self, c: &rusqlite::Connection) -> AppResult<bool> {
        let now = crate::token::now();
        Ok(match self {
            Credential::Session(hash) => crate::store::session_user(c, hash, now)?.is_some(),
            Credential::Token(hash) => crate::store::token_user(c, hash, now)?.is_some(),
        })
    }
}

/// Saves the live text as a version (`base` is the version it was last
/// saved as, so a save made meanwhile outside the live document is a 409).
pub(crate) async fn save(
    state: &AppState,
    map: &crate::store::MapInfo,
    user: &crate::auth::User,
    message: String,
) -> AppResult<crate::store::Version> {
    let map_id = map.id;
    let (text, base) = text(state, map_id).await?;
    let message = match message.trim() {
        "" => what_changed(state, map.workspace_id, map_id, base, text.clone()).await?,
        m => m.to_string(),
    };
    let library = crate::service::personas::Library::of(state, map.workspace_id).await?;
    let checked = crate::store::Checked::off_runtime(text, library).await?;
    let uid = user.id;
    let version = state
        .db
        .write(move |tx| {
            let v = crate::store::append_version(tx, map_id, uid, &checked, &message, Some(base))?;
            crate::store::set_saved_version(tx, map_id, v.number)?;
            crate::store::clear_contributions(tx, map_id)?;
            Ok::<_, AppError>(v)
        })
        .await?;
    tell_saved(state, map_id, version.number).await;
    Ok(version)
}

/// A save's note when its author wrote none: what changed since version
/// `base`, in the map's terms ("Added 2 steps and changed a stage").
async fn what_changed(state: &AppState, ws: i64, map_id: i64, base: i64, text: String) -> AppResult<String> {
    let old = state.db.read(move |c| crate::store::version(c, map_id, base)).await?.source.unwrap_or_default();
    let library = crate::service::personas::Library::of(state, ws).await?;
    tokio::task::spawn_blocking(move || {
        let resolve = |p: &str| library.resolve(p);
        let (old, new) =
            (cjm_model::check_with(&old, &resolve).journey, cjm_model::check_with(&text, &resolve).journey);
        cjm_model::diff::summary(&cjm_model::diff::diff(&old, &new))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A form edit on the live text, as one transaction made by `user`: no
/// version (the next save takes it in). The new text.
pub(crate) async fn edit(
    state: &AppState,
    map: &crate::store::MapInfo,
    user: i64,
    edit: cjm_model::edit::Edit,
) -> AppResult<String> {
    let map_id = map.id;
    let (text, _) = text(state, map_id).await?;
    let library = crate::service::personas::Library::of(state, map.workspace_id).await?;
    let new = tokio::task::spawn_blocking(move || cjm_model::edit::apply(&text, &edit, &|p| library.resolve(p)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::bad(e.0))?;
    set_text(state, map_id, new.clone(), user).await?;
    Ok(new)
}

/// Someone with a map open live.
#[derive(serde::Serialize, schemars::JsonSchema, Clone, Debug)]
pub(crate) struct Person {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// Their colour on the map and in the text.
    pub(crate) color: String,
    /// Whether they may edit (else they watch).
    pub(crate) editing: bool,
}

/// Who has map `map_id` open now; nobody when no document is loaded (none
/// is loaded for the question).
pub(crate) async fn people(state: &AppState, map_id: i64) -> Vec<Person> {
    let tx = state.live.actors.lock().unwrap_or_else(|p| p.into_inner()).get(&map_id).cloned();
    let Some(tx) = tx else { return Vec::new() };
    let (reply, answer) = oneshot::channel();
    if tx.send(Cmd::People { reply }).await.is_err() {
        return Vec::new();
    }
    answer.await.unwrap_or_default()
}

/// The live edits not saved as a version yet, told for people: what
/// changed overall, and each person's part.
#[derive(serde::Serialize, schemars::JsonSchema, Clone, Debug)]
pub(crate) struct Unsaved {
    /// The version the live text was last saved as (or started from).
    pub(crate) saved_version: i64,
    /// What changed since, in one sentence ("Added a step and changed 2
    /// steps"); `null` when nothing did.
    pub(crate) summary: Option<String>,
    /// Who changed what since, the latest first.
    pub(crate) people: Vec<preview::PersonChanges>,
}

/// What [`Unsaved`] says of map `map_id` (a map never opened live has
/// nothing unsaved, and is not loaded for the question).
pub(crate) async fn unsaved(state: &AppState, map_id: i64) -> AppResult<Unsaved> {
    let open = state.db.read(move |c| crate::store::has_doc(c, map_id)).await?;
    if !open {
        let head = state.db.read(move |c| crate::store::map(c, map_id)).await?.head;
        return Ok(Unsaved { saved_version: head, summary: None, people: Vec::new() });
    }
    let (text, saved_version) = text(state, map_id).await?;
    let (old, people) = state
        .db
        .read(move |c| {
            let old = crate::store::version(c, map_id, saved_version)?.source.unwrap_or_default();
            Ok::<_, AppError>((old, crate::store::contributions(c, map_id)?))
        })
        .await?;
    if cjm_live::doc::normalise(&old) == text {
        return Ok(Unsaved { saved_version, summary: None, people: Vec::new() });
    }
    tokio::task::spawn_blocking(move || {
        let (old, new) = (cjm_model::check(&old).journey, cjm_model::check(&text).journey);
        let changes = cjm_model::diff::diff(&old, &new);
        let people = preview::who_changed_what(&changes, &people);
        Unsaved { saved_version, summary: Some(cjm_model::diff::summary(&changes)), people }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}
