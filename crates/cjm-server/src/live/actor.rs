//! A map's document actor: the one task that changes the map's live text.
//!
//! Its loop takes a command, then every command already queued (a burst),
//! applies them in order, stores the burst's updates in one SQLite
//! transaction, and only after the commit sends anything that shows them:
//! updates to the other connections, answers to sync requests, and
//! acknowledgements. So whatever any client has seen from the server is on
//! disk (`synchronous = FULL`), and a `kill -9` loses nothing acknowledged.
//! A failed commit stops the actor and closes every socket with 4503: the
//! clients keep their edits and send them again to the next actor.

use super::preview::{self, Analysis};
use crate::store;
use crate::AppState;
use cjm_live::presence::{ConnId, Identity, Presence};
use cjm_live::wire::{self, Incoming};
use cjm_live::{Limits, LiveDoc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A document with no connection for this long is stored and unloaded.
const IDLE: Duration = Duration::from_secs(60);
/// How often stale presence is swept and silent sockets hear from us.
const TICK: Duration = Duration::from_secs(10);
/// Commands taken as one burst, at most.
const BURST: usize = 256;
/// Stored updates beyond which the log is folded into the snapshot.
const COMPACT_AFTER: i64 = 500;
/// Refused writes a read-only connection may send before it is closed.
const REFUSED_WRITES: u32 = 10;
/// Connections one document takes (members: editors and viewers).
pub(crate) const MAX_CONNECTIONS: usize = 25;
/// Share-link holders watching one document at once, besides.
pub(crate) const MAX_WATCHERS: usize = 100;

/// Bytes waiting for one socket, at most (a single frame always fits an
/// empty queue): a reader that falls this far behind is closed, however
/// large the frames that pile up.
pub(crate) const OUTBOX_BYTES: usize = 4 << 20;

/// A connection's queue of frames, bounded in frames and in bytes.
#[derive(Clone)]
pub(crate) struct Outbox {
    pub(crate) tx: mpsc::Sender<Out>,
    /// Bytes in the queue; the connection's task takes off what it takes out.
    pub(crate) queued: Arc<std::sync::atomic::AtomicUsize>,
}

impl Outbox {
    /// Queues a frame; `false` when the reader has fallen too far behind.
    fn frame(&self, frame: Vec<u8>) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let n = frame.len();
        let before = self.queued.fetch_add(n, Relaxed);
        if (before > 0 && before + n > OUTBOX_BYTES) || self.tx.try_send(Out::Frame(frame)).is_err() {
            self.queued.fetch_sub(n, Relaxed);
            return false;
        }
        true
    }

    fn close(&self, code: u16, why: &str) {
        let _ = self.tx.try_send(Out::Close(code, why.to_string()));
    }
}

/// What the actor sends a connection's task.
#[derive(Debug)]
pub(crate) enum Out {
    Frame(Vec<u8>),
    /// Close the socket with this code and reason.
    Close(u16, String),
}

/// The latest preview frame for one connection.
pub(crate) type PreviewSlot = tokio::sync::watch::Sender<Option<Arc<Vec<u8>>>>;

pub(crate) enum Cmd {
    /// A connection joins. `writes`: its updates are taken; `extras`: it
    /// takes cjm's own messages (acknowledgements).
    Join {
        conn: ConnId,
        who: Identity,
        credential: Option<super::Credential>,
        writes: bool,
        extras: bool,
        /// Where its pushed previews go (cjm's message 103), when it takes
        /// them: the latest only, so a slow reader holds one at most.
        previews: Option<PreviewSlot>,
        /// A share-link holder watching (the link's id): previews only,
        /// no text, nobody's presence, and closed when the link is revoked.
        share: Option<i64>,
        out: Outbox,
        /// Answered with the document's generation.
        reply: oneshot::Sender<Result<i64, (u16, String)>>,
    },
    /// An analysis of the live text finished (see [`preview`]).
    Analysed(Box<Analysis>),
    Frame {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    Leave {
        conn: ConnId,
    },
    /// The live text, and the version it was last saved as.
    Text {
        reply: oneshot::Sender<Result<(String, i64), String>>,
    },
    /// Make the live text `text` (minimal edits, as if typed by `user`).
    SetText {
        text: String,
        user: Option<i64>,
        reply: oneshot::Sender<Result<bool, String>>,
    },
    /// The live text was saved as version `version`.
    Saved {
        version: i64,
        reply: oneshot::Sender<()>,
    },
    /// User `user_id`'s role in the map's workspace changed (or they left
    /// it): their connections follow at once.
    Recheck {
        user_id: i64,
    },
    /// The map was deleted: everybody is closed with 4404.
    Deleted,
    /// Share link `share` was revoked: its watchers are closed with 4403.
    LinkRevoked {
        share: i64,
    },
    /// The server is short of room for live documents: unload now if
    /// nobody has this one open.
    UnloadIfIdle,
    /// Who has the map open now (members only, once each).
    People {
        reply: oneshot::Sender<Vec<super::Person>>,
    },
}

struct Conn {
    who: Identity,
    /// What it signed in with, checked again on [`Cmd::Recheck`].
    credential: Option<super::Credential>,
    writes: bool,
    /// Whether the connection's credential may write at all (a read-scoped
    /// API token may not, whatever the role).
    may_write: bool,
    extras: bool,
    previews: Option<PreviewSlot>,
    share: Option<i64>,
    out: Outbox,
    /// Sync messages (step 2 and updates) received, and refused writes.
    received: u64,
    refused: u32,
}

/// What a burst leaves to do once its updates are stored.
#[derive(Default)]
struct After {
    /// Frames for one connection.
    direct: Vec<(ConnId, Vec<u8>)>,
    /// Frames for everyone but one connection (`None`: everyone).
    broadcast: Vec<(Option<ConnId>, Vec<u8>)>,
    replies: Vec<Box<dyn FnOnce() + Send>>,
    /// Connections to acknowledge.
    acked: Vec<ConnId>,
    /// A preview for every connection that takes them.
    preview: Option<Arc<Vec<u8>>>,
    /// Presence states passed on in this burst, by the connection that
    /// sent them: coalesced, so a burst of cursor moves is one frame.
    awareness: Vec<(ConnId, wire::AwarenessEntry)>,
    /// Users whose role to look up again.
    rechecks: Vec<i64>,
}

struct Actor {
    state: AppState,
    map_id: i64,
    doc: LiveDoc,
    presence: Presence,
    conns: HashMap<ConnId, Conn>,
    saved_version: i64,
    /// The last stored update's number, and the snapshot's.
    last_seq: i64,
    snapshot_seq: i64,
    /// Updates of this burst, waiting for the commit.
    to_store: Vec<(Vec<u8>, Option<i64>)>,
    started: Instant,
    /// The document broke (yrs failed inside): stop without storing more.
    poisoned: bool,
    generation: i64,
    /// Where the debounced analysis of the live text stands.
    analysis: Pending,
    /// The actor's own queue, for the analyses it starts to report back.
    me: mpsc::WeakSender<Cmd>,
    /// Asked to unload while nobody has it open.
    unload: bool,
}

/// Tells [`super::Live`] the document's size while it is loaded, and that
/// it is gone when the actor stops, however it stops.
struct Loaded(AppState, i64);

impl Drop for Loaded {
    fn drop(&mut self) {
        self.0.live.report(self.1, None);
    }
}

/// The debounced analysis: what changed since the last one, and when.
#[derive(Default)]
struct Pending {
    /// Bumped by every change of the live text.
    rev: u64,
    /// The first and the last change not analysed yet.
    since: Option<(Instant, Instant)>,
    running: bool,
    /// The last model without errors, that the next analysis diffs against.
    model: Option<Arc<cjm_model::Journey>>,
    /// The last preview frame, and the revision it shows.
    frame: Option<(u64, Arc<Vec<u8>>)>,
    /// People whose updates no analysis has credited yet.
    authors: BTreeSet<i64>,
    /// Bumped by every save: an analysis started before one credits
    /// nobody (the save took its changes in).
    saves: u64,
    /// The `saves` of the analysis running now.
    running_saves: u64,
    /// Updates per person and items to credit, stored with the commit
    /// after each analysis (not every burst's: they are a summary, and
    /// a few seconds of counts lost in a crash cost nothing).
    counts: HashMap<i64, i64>,
    credit: Vec<(i64, i64, Vec<String>)>,
    flush: bool,
}

/// The actor of map `map_id`: loads (or seeds) the document, then serves
/// `rx` until the map is idle or storage fails.
pub(crate) async fn run(state: AppState, map_id: i64, me: mpsc::WeakSender<Cmd>, mut rx: mpsc::Receiver<Cmd>) {
    let _loaded = Loaded(state.clone(), map_id);
    let mut actor = match Actor::load(state, map_id, me).await {
        Ok(actor) => actor,
        Err(why) => {
            refuse_all(&mut rx, &format!("the live document cannot be opened: {why}")).await;
            return;
        }
    };
    let mut idle_since = Some(Instant::now());
    actor.state.live.report(map_id, Some(actor.doc.state_bytes()));
    loop {
        let wake = actor.analysis_due().unwrap_or_else(|| Instant::now() + TICK);
        let first = tokio::select! {
            cmd = rx.recv() => cmd,
            _ = tokio::time::sleep_until(wake.into()) => None,
        };
        let mut burst: Vec<Cmd> = first.into_iter().collect();
        while burst.len() < BURST {
            match rx.try_recv() {
                Ok(cmd) => burst.push(cmd),
                Err(_) => break,
            }
        }
        let mut after = After::default();
        for cmd in burst {
            actor.handle(cmd, &mut after);
        }
        actor.tick(&mut after);
        if actor.poisoned {
            refuse_all(&mut rx, "the live document failed and is reloading; join again").await;
            return;
        }
        if let Err(why) = actor.commit().await {
            actor.fail(&why);
            refuse_all(&mut rx, &why).await;
            return;
        }
        let rechecks = std::mem::take(&mut after.rechecks);
        actor.deliver(after);
        actor.start_analysis();
        if let Err(why) = actor.compact_if_long().await {
            actor.fail(&why);
            refuse_all(&mut rx, &why).await;
            return;
        }
        for user_id in rechecks {
            actor.recheck(user_id).await;
        }
        actor.state.live.report(map_id, Some(actor.doc.state_bytes()));
        if actor.conns.is_empty() {
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= IDLE || actor.unload {
                let _ = actor.compact().await;
                refuse_all(&mut rx, "the live document was unloaded; join again").await;
                return;
            }
        } else {
            idle_since = None;
        }
    }
}

/// Answers whatever is still queued with `why`, and stops taking more.
async fn refuse_all(rx: &mut mpsc::Receiver<Cmd>, why: &str) {
    rx.close();
    while let Some(cmd) = rx.recv().await {
        match cmd {
            Cmd::Join { reply, .. } => drop(reply.send(Err((1012, why.to_string())))),
            Cmd::Text { reply } => drop(reply.send(Err(why.to_string()))),
            Cmd::SetText { reply, .. } => drop(reply.send(Err(why.to_string()))),
            Cmd::Saved { reply, .. } => drop(reply.send(())),
            Cmd::Frame { .. }
            | Cmd::Leave { .. }
            | Cmd::Recheck { .. }
            | Cmd::Deleted
            | Cmd::LinkRevoked { .. }
            | Cmd::UnloadIfIdle
            | Cmd::People { .. }
            | Cmd::Analysed(_) => {}
        }
    }
}

impl Actor {
    /// The stored document, or a new one seeded from the map's latest
    /// version (stored before anybody sees it).
    async fn load(state: AppState, map_id: i64, me: mpsc::WeakSender<Cmd>) -> Result<Actor, String> {
        let limits = Limits { text_bytes: store::MAX_SOURCE, ..Limits::default() };
        let stored = state.db.read(move |c| store::load_doc(c, map_id)).await.map_err(|e| e.to_string())?;
        let (doc, saved_version, last_seq, generation) = match stored {
            Some(s) => {
                let doc = tokio::task::spawn_blocking(move || {
                    LiveDoc::load(&s.snapshot, s.updates.iter().map(Vec::as_slice), limits).map(|d| (d, s))
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                (doc.0, doc.1.saved_version, doc.1.last_seq, doc.1.generation)
            }
            None => {
                let seeded = state
                    .db
                    .write(move |c| {
                        let map = store::map(c, map_id)?;
                        let head = store::version(c, map_id, map.head)?;
                        let (doc, snapshot) = LiveDoc::seed(head.source.as_deref().unwrap_or(""), limits);
                        let generation = store::seed_doc(c, map_id, &snapshot, map.head)?;
                        Ok::<_, crate::AppError>((doc, map.head, generation))
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                (seeded.0, seeded.1, 0, seeded.2)
            }
        };
        Ok(Actor {
            state,
            map_id,
            doc,
            presence: Presence::default(),
            conns: HashMap::new(),
            saved_version,
            last_seq,
            snapshot_seq: last_seq,
            to_store: Vec::new(),
            started: Instant::now(),
            poisoned: false,
            generation,
            // The text as loaded is the first analysis: the model that
            // later bursts are credited against.
            analysis: Pending { since: Some((Instant::now(), Instant::now())), ..Pending::default() },
            me,
            unload: false,
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn handle(&mut self, cmd: Cmd, after: &mut After) {
        match cmd {
            Cmd::Join { conn, who, credential, writes, extras, previews, share, out, reply } => {
                let watchers = self.conns.values().filter(|c| c.share.is_some()).count();
                let full = match share {
                    Some(_) => (watchers >= MAX_WATCHERS)
                        .then(|| format!("{MAX_WATCHERS} people are watching this map already")),
                    None => (self.conns.len() - watchers >= MAX_CONNECTIONS)
                        .then(|| format!("{MAX_CONNECTIONS} people are editing this map already")),
                };
                if let Some(why) = full {
                    let _ = reply.send(Err((4429, why)));
                    return;
                }
                let _ = reply.send(Ok(self.generation));
                self.unload = false;
                if let Some(slot) = &previews {
                    match &self.analysis.frame {
                        Some((rev, frame)) if *rev == self.analysis.rev => drop(slot.send_replace(Some(frame.clone()))),
                        _ => self.changed_now(),
                    }
                }
                // The server's state vector first (a writer answers with
                // what the server lacks), then who is here.
                if writes {
                    after.direct.push((conn, wire::sync_step1(&self.doc.state_vector())));
                }
                let present = self.presence.all();
                if !present.is_empty() && share.is_none() {
                    after.direct.push((conn, wire::awareness(&present)));
                }
                let c = Conn {
                    who,
                    credential,
                    writes,
                    may_write: writes,
                    extras,
                    previews,
                    share,
                    out,
                    received: 0,
                    refused: 0,
                };
                self.conns.insert(conn, c);
            }
            Cmd::Frame { conn, bytes } => self.frame(conn, &bytes, after),
            Cmd::Leave { conn } => {
                self.conns.remove(&conn);
                let gone = self.presence.leave(conn);
                if !gone.is_empty() {
                    after.broadcast.push((None, wire::awareness(&gone)));
                }
            }
            Cmd::Text { reply } => {
                let text = (self.doc.text(), self.saved_version);
                after.replies.push(Box::new(move || drop(reply.send(Ok(text)))));
            }
            Cmd::SetText { text, user, reply } => {
                let result = match self.doc.set_text(&text) {
                    Ok(Some(update)) => {
                        after.broadcast.push((None, wire::update(&update)));
                        self.changed(user);
                        self.to_store.push((update, user));
                        Ok(true)
                    }
                    Ok(None) => Ok(false),
                    Err(e) => Err(e.to_string()),
                };
                after.replies.push(Box::new(move || drop(reply.send(result))));
            }
            Cmd::Recheck { user_id } => after.rechecks.push(user_id),
            Cmd::Deleted => {
                let conns: Vec<ConnId> = self.conns.keys().copied().collect();
                for conn in conns {
                    self.close(conn, 4404, "this map was deleted");
                }
            }
            Cmd::LinkRevoked { share } => {
                let conns: Vec<ConnId> =
                    self.conns.iter().filter(|(_, c)| c.share == Some(share)).map(|(&id, _)| id).collect();
                for conn in conns {
                    self.close(conn, 4403, "this link was revoked");
                }
            }
            Cmd::Analysed(analysis) => self.analysed(*analysis, after),
            Cmd::UnloadIfIdle => self.unload = self.conns.is_empty(),
            Cmd::People { reply } => {
                let mut people: Vec<super::Person> = Vec::new();
                for c in self.conns.values().filter(|c| c.share.is_none()) {
                    match people.iter_mut().find(|p| p.id == c.who.user_id) {
                        Some(p) => p.editing |= c.writes,
                        None => people.push(super::Person {
                            id: c.who.user_id,
                            name: c.who.name.clone(),
                            color: c.who.color.clone(),
                            editing: c.writes,
                        }),
                    }
                }
                people.sort_by(|a, b| a.name.cmp(&b.name));
                let _ = reply.send(people);
            }
            Cmd::Saved { version, reply } => {
                self.saved_version = version;
                // The save took everybody's part in (and cleared it).
                self.analysis.authors.clear();
                self.analysis.credit.clear();
                self.analysis.counts.clear();
                self.analysis.saves += 1;
                after.replies.push(Box::new(move || {
                    let _ = reply.send(());
                }));
            }
        }
    }

    /// One frame of connection `conn`.
    fn frame(&mut self, conn: ConnId, bytes: &[u8], after: &mut After) {
        let Some(c) = self.conns.get(&conn) else { return };
        let messages = match wire::decode(bytes) {
            Ok(m) => m,
            Err(e) => return self.close(conn, 4400, &format!("{e}")),
        };
        let (writes, who) = (c.writes, c.who.clone());
        for message in messages {
            match message {
                Incoming::SyncStep1(sv) => match self.doc.missing_for(&sv) {
                    Ok(update) => after.direct.push((conn, wire::sync_step2(&update))),
                    Err(e) => return self.close(conn, 4400, &e.to_string()),
                },
                Incoming::SyncStep2(update) | Incoming::Update(update) => {
                    if !writes {
                        self.refused(conn, after);
                        continue;
                    }
                    match self.doc.apply(&update) {
                        Ok(true) => {
                            after.broadcast.push((Some(conn), wire::update(&update)));
                            self.changed(Some(who.user_id));
                            self.to_store.push((update, Some(who.user_id)));
                            // It waits for updates this client has: ask.
                            if self.doc.has_missing() {
                                after.direct.push((conn, wire::sync_step1(&self.doc.state_vector())));
                            }
                        }
                        Ok(false) => {}
                        Err(cjm_live::LiveError::Poisoned(why)) => {
                            self.poisoned = true;
                            return self.fail(&why);
                        }
                        Err(
                            e @ (cjm_live::LiveError::TextTooLarge { .. } | cjm_live::LiveError::StateTooLarge { .. }),
                        ) => return self.close(conn, 4413, &e.to_string()),
                        Err(e) => return self.close(conn, 4400, &e.to_string()),
                    }
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.received += 1;
                    }
                    after.acked.push(conn);
                }
                Incoming::Awareness(entries) => {
                    for e in self.presence.receive(conn, &who, entries, self.now_ms()) {
                        match after.awareness.iter_mut().find(|(_, o)| o.client == e.client) {
                            Some(slot) => *slot = (conn, e),
                            None => after.awareness.push((conn, e)),
                        }
                    }
                }
                Incoming::QueryAwareness => after.direct.push((conn, wire::awareness(&self.presence.all()))),
                // What only a server sends; a client sending it means nothing.
                Incoming::Denied(_) | Incoming::Ack(_) | Incoming::Notice(..) => {}
            }
        }
    }

    /// Looks up `user_id`'s role again: a member who left is closed (4403),
    /// one whose role changed writes or watches from now on, and is told.
    async fn recheck(&mut self, user_id: i64) {
        if !self.conns.values().any(|c| c.who.user_id == user_id) {
            return;
        }
        let map_id = self.map_id;
        let role = self.state.db.read(move |c| store::map_for(c, user_id, map_id)).await.map(|(_, role, _)| role);
        let conns: Vec<(ConnId, Option<super::Credential>)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.who.user_id == user_id)
            .map(|(&id, c)| (id, c.credential.clone()))
            .collect();
        for (conn, credential) in conns {
            let Ok(role) = role else {
                self.close(conn, 4403, "you are no longer a member of this map's workspace");
                continue;
            };
            if let Some(credential) = credential {
                // Signed out, or the token revoked: the socket goes too.
                if !self.state.db.read(move |c| credential.valid(c)).await.unwrap_or(false) {
                    self.close(conn, 4401, "you were signed out; sign in again to keep editing");
                    continue;
                }
            }
            let Some(c) = self.conns.get_mut(&conn) else { continue };
            let writes = c.may_write && role >= crate::auth::Role::Editor;
            if writes != c.writes {
                c.writes = writes;
                c.refused = 0;
                if c.extras {
                    let notice = serde_json::json!({
                        "kind": "role", "readOnly": !writes,
                        "message": if writes { "You may edit this map now." } else { "Your role changed: you can watch this map, not edit it." },
                    });
                    c.out.frame(wire::notice(wire::Notice::Notice, &notice.to_string()));
                }
                if writes {
                    // What the client typed while read-only: ask for it.
                    c.out.frame(wire::sync_step1(&self.doc.state_vector()));
                }
            }
        }
    }

    /// A read-only connection sent a write: refused once with a message,
    /// closed after [`REFUSED_WRITES`].
    fn refused(&mut self, conn: ConnId, after: &mut After) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.refused += 1;
        if c.refused == 1 {
            after.direct.push((conn, wire::permission_denied("you may view this map, not edit it")));
        }
        if c.refused > REFUSED_WRITES {
            self.close(conn, 4403, "a read-only connection kept sending changes");
        }
    }

    /// Closes a connection. Its presence goes when its task says it left
    /// (`Cmd::Leave`), which tells everybody else.
    fn close(&mut self, conn: ConnId, code: u16, why: &str) {
        if let Some(c) = self.conns.remove(&conn) {
            c.out.close(code, why);
        }
    }

    /// Storage failed or the document broke: everybody is closed with
    /// 4503 (clients keep their edits and resend them to the next actor).
    fn fail(&mut self, why: &str) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            self.close(conn, 4503, why);
        }
        self.to_store.clear();
    }

    fn tick(&mut self, after: &mut After) {
        let gone = self.presence.sweep(self.now_ms());
        if !gone.is_empty() {
            after.broadcast.push((None, wire::awareness(&gone)));
        }
    }

    /// Stores the burst's updates (a grouped write: one commit with the
    /// other documents' bursts of the moment).
    async fn commit(&mut self) -> Result<(), String> {
        let mut parts = Vec::new();
        if std::mem::take(&mut self.analysis.flush) {
            parts = std::mem::take(&mut self.analysis.credit);
            for (user, n) in self.analysis.counts.drain() {
                match parts.iter_mut().find(|p| p.0 == user) {
                    Some(p) => p.1 += n,
                    None => parts.push((user, n, Vec::new())),
                }
            }
        }
        if self.to_store.is_empty() && parts.is_empty() {
            return Ok(());
        }
        let updates = std::mem::take(&mut self.to_store);
        let (map_id, first) = (self.map_id, self.last_seq + 1);
        let n = updates.len() as i64;
        let store = move |c: &rusqlite::Transaction| {
            store::append_updates(c, map_id, first, &updates)?;
            store::note_contributions(c, map_id, &parts)
        };
        self.state.db.write_grouped(store).await.map_err(|e| {
            crate::error::log_internal(&format!("storing live edits of map {map_id}"), &e);
            format!("storing live edits failed: {e}")
        })?;
        self.last_seq += n;
        Ok(())
    }

    /// Folds the log into the snapshot when it has grown long; called after
    /// a burst is delivered, so nobody's echo waits for it.
    async fn compact_if_long(&mut self) -> Result<(), String> {
        if self.last_seq - self.snapshot_seq > COMPACT_AFTER {
            self.compact().await?;
        }
        Ok(())
    }

    /// Replaces the stored snapshot and log with one snapshot (not while
    /// updates wait for missing ones).
    async fn compact(&mut self) -> Result<(), String> {
        let Some(snapshot) = self.doc.compaction() else { return Ok(()) };
        let (map_id, upto) = (self.map_id, self.last_seq);
        self.state.db.write(move |c| store::compact_doc(c, map_id, &snapshot, upto)).await.map_err(|e| {
            crate::error::log_internal(&format!("compacting the live document of map {map_id}"), &e);
            format!("compacting the live document failed: {e}")
        })?;
        self.snapshot_seq = upto;
        Ok(())
    }

    /// Sends what the burst showed, now that it is stored.
    fn deliver(&mut self, after: After) {
        let mut slow = Vec::new();
        let mut send = |conn: ConnId, c: &Conn, frame: Vec<u8>| {
            if !c.out.frame(frame) {
                slow.push(conn);
            }
        };
        for (to, frame) in after.direct {
            if let Some(c) = self.conns.get(&to) {
                send(to, c, frame);
            }
        }
        // Updates and presence go to members only: a share-link holder
        // sees the drawing, never the text or anybody's name.
        for (except, frame) in after.broadcast {
            for (&id, c) in &self.conns {
                if Some(id) != except && c.share.is_none() {
                    send(id, c, frame.clone());
                }
            }
        }
        self.deliver_awareness(after.awareness, &mut send);
        if let Some(frame) = after.preview {
            for slot in self.conns.values().filter_map(|c| c.previews.as_ref()) {
                slot.send_replace(Some(frame.clone()));
            }
        }
        let mut acked = after.acked;
        acked.sort_unstable();
        acked.dedup();
        for id in acked {
            if let Some(c) = self.conns.get(&id).filter(|c| c.extras) {
                send(id, c, wire::ack(c.received));
            }
        }
        for reply in after.replies {
            reply();
        }
        // A connection that does not read its frames falls behind; it is
        // closed, and resynchronises when it joins again.
        for conn in slow {
            self.close(conn, 4503, "the connection fell behind");
        }
    }
}

impl Actor {
    /// The live text changed (by `user`, when a person did it).
    fn changed(&mut self, user: Option<i64>) {
        let a = &mut self.analysis;
        a.rev += 1;
        let now = Instant::now();
        a.since = Some((a.since.map_or(now, |(first, _)| first), now));
        if let Some(user) = user {
            a.authors.insert(user);
            *a.counts.entry(user).or_default() += 1;
        }
    }

    /// Somebody wants a preview of the text as it is: analyse it at once.
    fn changed_now(&mut self) {
        let past = Instant::now() - preview::MAX_WAIT;
        self.analysis.since = Some((past, past));
    }

    /// When the next analysis is due (none is while one runs). Nobody
    /// watching the preview, it only credits authors: far less often.
    fn analysis_due(&self) -> Option<Instant> {
        let a = &self.analysis;
        let (first, last) = a.since.filter(|_| !a.running)?;
        let (quiet, max_wait) = if self.conns.values().any(|c| c.previews.is_some()) {
            (preview::QUIET, preview::MAX_WAIT)
        } else {
            (preview::QUIET_UNWATCHED, preview::MAX_WAIT_UNWATCHED)
        };
        Some((last + quiet).min(first + max_wait))
    }

    /// Starts the analysis when it is due: the text is checked (and drawn,
    /// when somebody watches) on the blocking pool, behind the server-wide
    /// [`preview::RENDERS`] permits, and reported back as [`Cmd::Analysed`].
    fn start_analysis(&mut self) {
        if self.analysis_due().is_none_or(|due| due > Instant::now()) {
            return;
        }
        let draw = self.conns.values().any(|c| c.previews.is_some());
        let a = &mut self.analysis;
        a.since = None;
        a.running = true;
        a.running_saves = a.saves;
        let (rev, text, before) = (a.rev, self.doc.text(), a.model.clone());
        let authors: Vec<i64> = std::mem::take(&mut a.authors).into_iter().collect();
        let (me, permits) = (self.me.clone(), self.state.live.renders.clone());
        let (state, map_id) = (self.state.clone(), self.map_id);
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let library = crate::service::personas::Library::of_map(&state, map_id).await.unwrap_or_default();
            let job = preview::Job { rev, text, before, draw, authors };
            let images =
                move |m: &cjm_model::Journey| crate::service::personas::portraits(&state, library.workspace_id, m);
            let job = move || preview::analyse(job, &library, images);
            let Ok(analysis) = tokio::task::spawn_blocking(job).await else { return };
            if let Some(me) = me.upgrade() {
                let _ = me.send(Cmd::Analysed(Box::new(analysis))).await;
            }
        });
    }

    /// An analysis came back: credit its authors, push its preview.
    fn analysed(&mut self, analysis: Analysis, after: &mut After) {
        let a = &mut self.analysis;
        a.running = false;
        a.flush = true;
        match analysis.model {
            Some(model) => {
                if a.model.is_some() && !analysis.touched.is_empty() && a.running_saves == a.saves {
                    for &user in &analysis.authors {
                        a.credit.push((user, 0, analysis.touched.clone()));
                    }
                }
                a.model = Some(model);
            }
            // Not a map yet (errors): its authors wait for the next one.
            None if a.running_saves == a.saves => a.authors.extend(analysis.authors),
            None => {}
        }
        if let Some(frame) = analysis.frame {
            let frame = Arc::new(frame);
            // Sent after the commit, like everything the burst shows.
            after.preview = Some(frame.clone());
            a.frame = Some((analysis.rev, frame));
        }
        // Somebody joined wanting a preview while this one ran without.
        if a.rev == analysis.rev
            && a.frame.as_ref().is_none_or(|(r, _)| *r != a.rev)
            && self.conns.values().any(|c| c.previews.is_some())
        {
            self.changed_now();
        }
    }
}

impl Actor {
    /// The burst's presence states, latest per client, to every member:
    /// one frame each, without the states a member sent itself.
    fn deliver_awareness(
        &self,
        states: Vec<(ConnId, wire::AwarenessEntry)>,
        send: &mut impl FnMut(ConnId, &Conn, Vec<u8>),
    ) {
        if states.is_empty() {
            return;
        }
        let all = wire::awareness(&states.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>());
        for (&id, c) in self.conns.iter().filter(|(_, c)| c.share.is_none()) {
            if !states.iter().any(|(from, _)| *from == id) {
                send(id, c, all.clone());
                continue;
            }
            let others: Vec<wire::AwarenessEntry> =
                states.iter().filter(|(from, _)| *from != id).map(|(_, e)| e.clone()).collect();
            if !others.is_empty() {
                send(id, c, wire::awareness(&others));
            }
        }
    }
}
