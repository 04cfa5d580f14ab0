//! `GET /api/maps/{id}/live`: with `Upgrade: websocket`, a co-editing
//! socket speaking the y-websocket protocol, so a stock `WebsocketProvider`
//! at `ws://HOST/api/maps/{id}` with room `live` joins; without it, the live
//! document's state as JSON.
//!
//! The upgrade is a GET, which the CSRF guard does not look at: a cookie
//! session must come from this site's own pages (`Origin`), a script uses
//! `Authorization: Bearer`. Editors and owners write (and write-scoped
//! tokens); everybody else gets a socket whose updates the actor drops.
//! cjm's own messages (hello, acknowledgements) go only to clients that ask
//! with `?cjm=1`; a stock client hears an empty awareness update every 10 s
//! instead, so that it does not take the socket for dead.

use super::actor::{Cmd, Out};
use crate::auth::{Principal, Role, TokenScope};
use crate::error::{AppError, AppResult};
use crate::extract::{MapAccess, Query, Viewer};
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cjm_live::presence::Identity;
use cjm_live::wire;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The largest frame taken (a first sync after long offline work).
pub(crate) const MAX_FRAME: usize = 4 << 20;
/// Frames waiting to be written to one socket; a client that falls this
/// far behind is closed.
const OUTBOX: usize = 256;
/// Sync and awareness frames a socket may send: a burst, then per second.
const RATE_BURST: f64 = 200.0;
const RATE_PER_SECOND: f64 = 50.0;
/// A write to the socket that takes longer closes it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const HEARTBEAT: Duration = Duration::from_secs(10);

#[derive(serde::Deserialize)]
pub(crate) struct LiveQuery {
    /// `1`: send cjm's own messages too (hello, acknowledgements).
    #[serde(default)]
    cjm: Option<u8>,
    /// `1` (with `cjm=1`): push the live text's preview (diagnostics and
    /// drawing) after each burst of changes.
    #[serde(default)]
    preview: Option<u8>,
}

/// The live document's state, for a plain GET.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct LiveState {
    /// Whether the live text differs from that version.
    pub(crate) unsaved: bool,
    /// Whether you may edit it.
    pub(crate) writes: bool,
    /// What changed since the last save and who changed what (when
    /// `unsaved`).
    #[serde(flatten)]
    pub(crate) changes: super::Unsaved,
}

pub(crate) async fn live(
    State(state): State<AppState>,
    who: Principal,
    access: MapAccess<Viewer>,
    Query(query): Query<LiveQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    let map_id = access.map.id;
    let writes = access.role >= Role::Editor && !matches!(who, Principal::Token { scope: TokenScope::Read, .. });
    let Ok(upgrade) = upgrade else {
        let changes = super::unsaved(&state, map_id).await?;
        let unsaved = changes.summary.is_some();
        return Ok(Json(LiveState { unsaved, writes, changes }).into_response());
    };
    if matches!(who, Principal::Session { .. }) && !from_this_site(&headers) {
        return Err(AppError::Forbidden("open the live document from this site's own pages"));
    }
    let identity = Identity::of(access.user.id, &access.user.name);
    let credential = super::Credential::of(&headers);
    let ends = match credential.clone() {
        Some(c) => state.db.read(move |db| c.expires_at(db)).await?,
        None => None,
    };
    let link = Link {
        map_id,
        who: identity,
        credential,
        share: None,
        ends: ends.map(|at| (at, "your sign-in expired; sign in again to keep editing")),
        writes,
        extras: query.cjm == Some(1),
        previews: query.cjm == Some(1) && query.preview == Some(1),
    };
    let upgrade = upgrade.max_message_size(MAX_FRAME).max_frame_size(MAX_FRAME).max_write_buffer_size(MAX_FRAME);
    Ok(upgrade.on_upgrade(move |socket| connection(state, link, socket)).into_response())
}

/// A browser sends `Origin` with every upgrade: it must be this host.
fn from_this_site(headers: &HeaderMap) -> bool {
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("");
    !host.is_empty() && origin.split("://").nth(1).is_some_and(|o| o.eq_ignore_ascii_case(host))
}

/// `GET /s/{token}/live`: a share-link holder watches the map being
/// edited, when the link says so. The socket carries the pushed previews
/// (the drawing) and nothing else: no text, nobody's name or cursor; it
/// takes nothing from the holder, and closes when the link is revoked or
/// expires.
pub(crate) async fn shared_live(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    let open = state.db.read(move |c| crate::store::shared_link(c, &token)).await?;
    // A plain GET: whether the link shows the map live.
    let Ok(upgrade) = upgrade else {
        return Ok(Json(serde_json::json!({ "live": open.live })).into_response());
    };
    if !open.live {
        return Err(AppError::Forbidden("this link shows the last saved version, not the map as it is edited"));
    }
    let link = Link {
        map_id: open.map_id,
        who: Identity::of(0, ""),
        credential: None,
        share: Some(open.id),
        ends: open.expires_at.map(|at| (at, "this link expired")),
        writes: false,
        extras: true,
        previews: true,
    };
    // A watcher sends nothing but control frames.
    let upgrade = upgrade.max_message_size(1024).max_frame_size(1024);
    Ok(upgrade.on_upgrade(move |socket| connection(state, link, socket)).into_response())
}

/// Who a socket is and what it may do, decided before the upgrade.
struct Link {
    map_id: i64,
    who: Identity,
    credential: Option<super::Credential>,
    /// A share-link holder's socket: the link's id.
    share: Option<i64>,
    /// When the credential or link stops working (seconds since the
    /// epoch), and what the socket is closed with then.
    ends: Option<(i64, &'static str)>,
    writes: bool,
    extras: bool,
    previews: bool,
}

/// One connection between its socket and the map's actor.
async fn connection(state: AppState, link: Link, socket: WebSocket) {
    let Link { map_id, who, credential, share, ends, writes, extras, previews } = link;
    let (mut sink, mut stream) = socket.split();
    // A person's sockets across maps and tabs are bounded (share-link
    // watchers are bounded per map instead).
    let slot = if share.is_none() { state.live.hold(who.user_id) } else { None };
    if share.is_none() && slot.is_none() {
        let why = format!("you have {} live connections open; close some tabs", super::MAX_PER_USER);
        let _ = sink.send(close(4429, &why)).await;
        return;
    }
    let conn = state.live.next_conn();
    let (tx, mut outbox) = mpsc::channel::<Out>(OUTBOX);
    let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let out = super::actor::Outbox { tx, queued: queued.clone() };
    let (reply, joined) = oneshot::channel();
    let (slot, mut latest) = tokio::sync::watch::channel(None::<std::sync::Arc<Vec<u8>>>);
    let slot = previews.then_some(slot);
    let join = Cmd::Join { conn, who: who.clone(), credential, writes, extras, previews: slot, share, out, reply };
    let joined: Result<i64, (u16, String)> = match state.live.send(&state, map_id, join).await {
        Err(e) => Err((1013, e.to_string())),
        Ok(()) => match joined.await {
            Ok(answer) => answer,
            Err(_) => Err((1013, "the live document stopped; try again".into())),
        },
    };
    let generation = match joined {
        Ok(generation) => generation,
        Err((code, why)) => {
            let _ = sink.send(close(code, &why)).await;
            return;
        }
    };
    if share.is_some() {
        let hello = serde_json::json!({"protocol": 1, "readOnly": true, "watching": true});
        let _ = sink.send(Message::Binary(wire::notice(wire::Notice::Hello, &hello.to_string()).into())).await;
    } else if extras {
        // `generation`: a client holding a copy of another generation of
        // this map's document (kept offline) throws it away and reloads.
        let hello = serde_json::json!({
            "protocol": 1, "readOnly": !writes, "generation": generation, "previews": previews,
            "you": {"id": who.user_id, "name": who.name, "color": who.color, "colorLight": who.color_light},
        });
        let _ = sink.send(Message::Binary(wire::notice(wire::Notice::Hello, &hello.to_string()).into())).await;
    }
    let mut bucket = Bucket::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let (end_at, end_why) = ends.unwrap_or((i64::MAX, ""));
    let left = Duration::from_secs(end_at.saturating_sub(crate::token::now()).clamp(0, 10 * 365 * 86400) as u64);
    let expiry = tokio::time::sleep(left);
    tokio::pin!(expiry);
    let mut previewing = previews;
    loop {
        tokio::select! {
            changed = latest.changed(), if previewing => {
                let Ok(()) = changed else {
                    previewing = false;
                    continue;
                };
                let frame = latest.borrow_and_update().clone();
                if let Some(frame) = frame {
                    let message = Message::Binary(frame.as_ref().clone().into());
                    if !matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(()))) {
                        break;
                    }
                }
            }
            () = &mut expiry => {
                let _ = sink.send(close(4401, end_why)).await;
                break;
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Binary(_) | Message::Text(_))) if share.is_some() => {
                    let _ = sink.send(close(4400, "this socket only watches")).await;
                    break;
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if !bucket.take() {
                        let _ = sink.send(close(4429, "too many changes at once; slow down")).await;
                        break;
                    }
                    if state.live.send(&state, map_id, Cmd::Frame { conn, bytes: bytes.to_vec() }).await.is_err() {
                        let _ = sink.send(close(1013, "the live document stopped; join again")).await;
                        break;
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = sink.send(close(4400, "this socket takes binary y-websocket frames")).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            sent = outbox.recv() => {
                let message = match sent {
                    Some(Out::Frame(frame)) => {
                        queued.fetch_sub(frame.len(), std::sync::atomic::Ordering::Relaxed);
                        Message::Binary(frame.into())
                    }
                    Some(Out::Close(code, why)) => {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close(code, &why))).await;
                        break;
                    }
                    None => break,
                };
                if !matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(()))) {
                    break;
                }
            }
            _ = heartbeat.tick() => {
                // y-websocket takes 30 s without a message for a dead socket.
                let beat = wire::awareness(&[]);
                if !matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Binary(beat.into()))).await, Ok(Ok(()))) {
                    break;
                }
            }
        }
    }
    let _ = state.live.send(&state, map_id, Cmd::Leave { conn }).await;
}

fn close(code: u16, why: &str) -> Message {
    // A close reason is at most 123 bytes.
    let mut reason: String = why.chars().take(120).collect();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

/// A token bucket: [`RATE_BURST`] frames, refilled at [`RATE_PER_SECOND`].
struct Bucket {
    tokens: f64,
    at: tokio::time::Instant,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket { tokens: RATE_BURST, at: tokio::time::Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE_PER_SECOND).min(RATE_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
