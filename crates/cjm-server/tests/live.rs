//! Live co-editing over real sockets on loopback: clients speaking the
//! y-websocket protocol with yrs documents (as the browser's Yjs does),
//! against `cjm_server::serve`.

use crate::common::{Fixture, Who};
use cjm_live::wire::{self, Incoming};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(f: &Fixture) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(cjm_server::serve(f.state.clone(), listener));
    addr
}

/// A client: a yrs document and its socket, joined as `who` (API token).
struct Client {
    doc: Doc,
    socket: Socket,
    /// Every frame received, decoded.
    seen: Vec<Incoming>,
}

impl Client {
    async fn join(addr: std::net::SocketAddr, f: &Fixture, who: Who) -> Client {
        Client::join_asking(addr, f, who, "cjm=1").await
    }

    /// [`Client::join`] with this query.
    async fn join_asking(addr: std::net::SocketAddr, f: &Fixture, who: Who, query: &str) -> Client {
        Client::join_map(addr, f, who, f.map, query).await
    }

    /// [`Client::join`] on map `map` with this query.
    async fn join_map(addr: std::net::SocketAddr, f: &Fixture, who: Who, map: i64, query: &str) -> Client {
        let token = &f.user(who).unwrap().5;
        let mut req = format!("ws://{addr}/api/maps/{map}/live?{query}").into_client_request().unwrap();
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(req).await.expect("the upgrade is accepted");
        let doc = Doc::new();
        doc.get_or_insert_text(cjm_live::doc::TEXT);
        let mut c = Client { doc, socket, seen: Vec::new() };
        let sv = c.doc.transact().state_vector().encode_v1();
        c.send(wire::sync_step1(&sv)).await;
        c
    }

    fn text(&self) -> String {
        self.doc.get_or_insert_text(cjm_live::doc::TEXT).get_string(&self.doc.transact())
    }

    async fn send(&mut self, frame: Vec<u8>) {
        self.socket.send(Message::Binary(frame.into())).await.unwrap();
    }

    /// Types `s` at byte `at`, and sends the update.
    async fn type_at(&mut self, at: u32, s: &str) {
        let text = self.doc.get_or_insert_text(cjm_live::doc::TEXT);
        let update = {
            let mut txn = self.doc.transact_mut();
            txn.before_state();
            text.insert(&mut txn, at, s);
            txn.encode_update_v1()
        };
        self.send(wire::update(&update)).await;
    }

    /// Reads frames, answering the server's sync step 1 and applying its
    /// updates, until `done` holds (or 15 s pass: a failure; 5 s was once
    /// too little with every other test of the crate running beside it).
    async fn until(&mut self, what: &str, done: impl Fn(&Client) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !done(self) {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await;
            let frame = match next {
                Ok(Some(Ok(Message::Binary(b)))) => b,
                Ok(Some(Ok(Message::Close(c)))) => panic!("closed while waiting for {what}: {c:?}"),
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("socket ended while waiting for {what}: {other:?}"),
                Err(_) => panic!("timed out waiting for {what}; text {:?}, seen {:?}", self.text(), self.seen),
            };
            for m in wire::decode(&frame).expect("the server's frames decode") {
                match &m {
                    Incoming::SyncStep1(sv) => {
                        let sv = StateVector::decode_v1(sv).unwrap();
                        let diff = self.doc.transact().encode_diff_v1(&sv);
                        self.send(wire::sync_step2(&diff)).await;
                    }
                    Incoming::SyncStep2(u) | Incoming::Update(u) => {
                        self.doc.transact_mut().apply_update(Update::decode_v1(u).unwrap()).unwrap();
                    }
                    _ => {}
                }
                self.seen.push(m);
            }
        }
    }

    async fn closed_with(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.socket.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code.into()),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }
}

fn acked(c: &Client, n: u64) -> bool {
    c.seen.iter().any(|m| matches!(m, Incoming::Ack(k) if *k >= n))
}

/// The highest acknowledgement seen so far (0: none): an edit is stored
/// once an acknowledgement above the one before it arrives (the count
/// includes the join's sync step, which may or may not be acknowledged
/// before the first edit, so a fixed number can be met by a stale one).
fn last_ack(c: &Client) -> u64 {
    c.seen.iter().filter_map(|m| if let Incoming::Ack(k) = m { Some(*k) } else { None }).max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_editors_type_together_and_a_viewer_only_watches() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let head =
        f.get(Who::Editor, &format!("/api/maps/{}", f.map)).await.value()["source"].as_str().unwrap().to_string();
    let mut ann = Client::join(addr, &f, Who::Editor).await;
    let mut bob = Client::join(addr, &f, Who::Owner).await;
    ann.until("the map's text", |c| c.text() == head).await;
    bob.until("the map's text", |c| c.text() == head).await;
    assert!(
        matches!(&ann.seen[0], Incoming::Notice(100, hello) if hello.contains("\"readOnly\":false")),
        "{:?}",
        ann.seen[0]
    );

    ann.type_at(8, "  %% typed live\n").await;
    ann.until("the acknowledgement", |c| acked(c, 1)).await;
    bob.until("Ann's typing", |c| c.text().contains("typed live")).await;

    // A viewer sees the live text and cannot change it: the forged update
    // is refused and reaches nobody.
    let mut vic = Client::join(addr, &f, Who::Viewer).await;
    vic.until("the live text", |c| c.text().contains("typed live")).await;
    vic.type_at(0, "EVIL ").await;
    vic.until("the refusal", |c| c.seen.iter().any(|m| matches!(m, Incoming::Denied(_)))).await;
    bob.type_at(8, "  %% bob was here\n").await;
    ann.until("Bob's typing", |c| c.text().contains("bob was here")).await;
    assert!(!ann.text().contains("EVIL"), "a viewer's update reached an editor");

    // Presence: the server sets who you are.
    let state = serde_json::json!({"user": {"name": "Mallory"}, "cursor": null}).to_string();
    let mine = ann.doc.client_id().get();
    ann.send(wire::awareness(&[wire::AwarenessEntry { client: mine, clock: 1, json: state }])).await;
    // Bob sees Ann under her account's name, not the one her client claimed.
    bob.until("Ann's presence", |c| {
        c.seen.iter().any(|m| {
            matches!(m, Incoming::Awareness(e) if e.iter().any(|e| e.json.contains("Eddie Editor") && !e.json.contains("Mallory")))
        })
    })
    .await;

    // Unsaved live edits: a script's save over them is refused; the live
    // save makes them a version, and the map's text follows.
    let live = f.get(Who::Viewer, &format!("/api/maps/{}/live", f.map)).await.value();
    assert_eq!(live["unsaved"], true, "{live}");
    let put = f
        .json(
            Who::Editor,
            "PUT",
            &format!("/api/maps/{}/source", f.map),
            serde_json::json!({"source": head, "message": "over it"}),
        )
        .await;
    assert_eq!(put.status, 409, "{}", put.text());
    let saved = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/maps/{}/live/save", f.map),
            serde_json::json!({"message": "pair edit"}),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    let map = f.get(Who::Viewer, &format!("/api/maps/{}", f.map)).await.value();
    assert!(map["source"].as_str().unwrap().contains("bob was here"), "{map}");
    assert_eq!(f.get(Who::Viewer, &format!("/api/maps/{}/live", f.map)).await.value()["unsaved"], false);

    // A save outside the live document now goes through, and the live
    // text becomes it for everybody.
    let mut new_text = map["source"].as_str().unwrap().to_string();
    new_text.push_str("  section Tell\n    Review: 4\n");
    let put = f
        .json(
            Who::Editor,
            "PUT",
            &format!("/api/maps/{}/source", f.map),
            serde_json::json!({"source": new_text, "message": "script"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    bob.until("the script's save", |c| c.text().contains("Review: 4")).await;
    ann.until("the script's save", |c| c.text().contains("Review: 4")).await;
    assert_eq!(ann.text(), bob.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_edits_survive_a_restart_and_bad_frames_close_only_their_socket() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ann = Client::join(addr, &f, Who::Editor).await;
    ann.until("the map's text", |c| c.text().starts_with("journey")).await;
    let before = last_ack(&ann);
    ann.type_at(0, "%% kept\n").await;
    ann.until("the acknowledgement", |c| last_ack(c) > before).await;

    // Garbage from one client closes that socket with a code; the other
    // client goes on.
    let mut mallory = Client::join(addr, &f, Who::Owner).await;
    mallory.until("the text", |c| c.text().contains("%% kept")).await;
    let here = wire::AwarenessEntry { client: mallory.doc.client_id().get(), clock: 1, json: "{}".into() };
    mallory.send(wire::awareness(&[here])).await;
    ann.until("Mallory's presence", |c| {
        c.seen.iter().any(|m| matches!(m, Incoming::Awareness(e) if e.iter().any(|e| e.json.contains("Olive Owner"))))
    })
    .await;
    mallory.send(vec![0, 2, 200, 1, 2]).await;
    assert_eq!(mallory.closed_with().await, Some(4400));
    // Her presence goes for the others too.
    ann.until("Mallory's presence to go", |c| {
        c.seen.iter().any(|m| matches!(m, Incoming::Awareness(e) if e.iter().any(|e| e.json == "null")))
    })
    .await;
    let before = last_ack(&ann);
    ann.type_at(0, "%% still here\n").await;
    ann.until("the acknowledgement", |c| last_ack(c) > before).await;

    // A second server on the same data (a restart: the first one's memory
    // is not used) has every acknowledged edit.
    let mut config = f.state.config.clone();
    config.demo = false;
    let reopened = cjm_server::open(config).unwrap().state;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr2 = listener.local_addr().unwrap();
    tokio::spawn(cjm_server::serve(reopened, listener));
    let mut again = Client::join(addr2, &f, Who::Viewer).await;
    again.until("the acknowledged edits", |c| c.text().starts_with("%% still here\n%% kept\njourney")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_get_is_the_live_state_and_cookies_need_this_sites_origin() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let state = f.get(Who::Viewer, &format!("/api/maps/{}/live", f.map)).await;
    assert_eq!(state.status, 200, "{}", state.text());
    assert_eq!(state.value()["writes"], false);
    assert_eq!(f.get(Who::Editor, &format!("/api/maps/{}/live", f.map)).await.value()["writes"], true);

    // A session cookie from another site's page: refused before the upgrade.
    let session = &f.user(Who::Editor).unwrap().2;
    let mut req = format!("ws://{addr}/api/maps/{}/live", f.map).into_client_request().unwrap();
    req.headers_mut().insert("cookie", format!("{}={session}", cjm_server::testing::SESSION_COOKIE).parse().unwrap());
    req.headers_mut().insert("origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(req).await;
    assert!(refused.is_err(), "a cross-site upgrade was accepted");
    // The same cookie from this site's page joins.
    let mut req = format!("ws://{addr}/api/maps/{}/live", f.map).into_client_request().unwrap();
    req.headers_mut().insert("cookie", format!("{}={session}", cjm_server::testing::SESSION_COOKIE).parse().unwrap());
    req.headers_mut().insert("origin", format!("http://{addr}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_taken_away_while_connected_takes_effect_at_once() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ed = Client::join(addr, &f, Who::Editor).await;
    ed.until("the text", |c| c.text().starts_with("journey")).await;
    let editor_id = f.user(Who::Editor).unwrap().1;
    let demote = f
        .json(
            Who::Owner,
            "PUT",
            &format!("/api/workspaces/{}/members/{editor_id}", f.ws),
            serde_json::json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(demote.status, 204, "{}", demote.text());
    ed.until("the notice", |c| {
        c.seen.iter().any(|m| matches!(m, Incoming::Notice(104, n) if n.contains("\"readOnly\":true")))
    })
    .await;
    ed.type_at(0, "%% after the demotion\n").await;
    ed.until("the refusal", |c| c.seen.iter().any(|m| matches!(m, Incoming::Denied(_)))).await;
    let mut watcher = Client::join(addr, &f, Who::Owner).await;
    watcher.until("the text", |c| c.text().starts_with("journey")).await;
    assert!(!watcher.text().contains("after the demotion"));
    // Removed from the workspace: the socket closes.
    let remove = f
        .json(Who::Owner, "DELETE", &format!("/api/workspaces/{}/members/{editor_id}", f.ws), serde_json::Value::Null)
        .await;
    assert_eq!(remove.status, 204, "{}", remove.text());
    assert_eq!(ed.closed_with().await, Some(4403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_closes_its_socket_at_once() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ed = Client::join(addr, &f, Who::Editor).await;
    ed.until("the text", |c| c.text().starts_with("journey")).await;
    // Another person's socket stays.
    let mut owner = Client::join(addr, &f, Who::Owner).await;
    owner.until("the text", |c| c.text().starts_with("journey")).await;
    let token_id = f.user(Who::Editor).unwrap().4;
    let revoke = f.json(Who::Editor, "DELETE", &format!("/api/tokens/{token_id}"), serde_json::Value::Null).await;
    assert_eq!(revoke.status, 204, "{}", revoke.text());
    assert_eq!(ed.closed_with().await, Some(4401));
    owner.type_at(0, "%% still here\n").await;
    owner.until("the acknowledgement", |c| acked(c, 2)).await;
}

/// The pushed previews a client has seen, their JSON.
fn previews(c: &Client) -> Vec<serde_json::Value> {
    c.seen
        .iter()
        .filter_map(|m| match m {
            Incoming::Notice(103, json) => serde_json::from_str(json).ok(),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_previewed_once_for_whoever_watches_and_credited_to_its_author() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    // Ann watches the preview; Bob only types.
    let mut ann = Client::join_asking(addr, &f, Who::Editor, "cjm=1&preview=1").await;
    ann.until("the first preview", |c| !previews(c).is_empty()).await;
    let first = previews(&ann).remove(0);
    assert!(first["svg"].as_str().is_some_and(|s| s.starts_with("<svg")), "{first}");
    assert_eq!(first["errors"], 0);
    assert!(first["map"]["stages"].is_array());
    let mut bob = Client::join(addr, &f, Who::Owner).await;
    bob.until("the text", |c| c.text().starts_with("journey")).await;
    assert!(previews(&bob).is_empty(), "a client that did not ask got previews");

    // Bob adds a step, a character at a time: one burst, far fewer
    // previews than keystrokes.
    let line = "    Track the parcel: 5\n";
    for (i, ch) in line.chars().enumerate() {
        let at = bob.text().len() as u32;
        bob.type_at(at, &ch.to_string()).await;
        bob.until("the acknowledgement", |c| acked(c, i as u64 + 1)).await;
    }
    ann.until("the preview with Bob's step", |c| {
        previews(c).iter().any(|p| p["svg"].as_str().is_some_and(|s| s.contains("Track the parcel")))
    })
    .await;
    let seen = previews(&ann).len();
    assert!(seen < line.len(), "{seen} previews for {} keystrokes", line.len());
    let revs: Vec<u64> = previews(&ann).iter().map(|p| p["rev"].as_u64().unwrap()).collect();
    assert!(revs.windows(2).all(|w| w[0] < w[1]), "revisions go up: {revs:?}");

    // Who has it open: both, editing; a viewer may ask.
    let people = f.get(Who::Viewer, &format!("/api/maps/{}/live/people", f.map)).await.value();
    let names: Vec<&str> = people.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Eddie Editor", "Olive Owner"], "{people}");
    assert!(people.as_array().unwrap().iter().all(|p| p["editing"] == true));

    // Who changed what: Bob added the step; Ann changed nothing.
    let live = f.get(Who::Viewer, &format!("/api/maps/{}/live", f.map)).await.value();
    assert_eq!(live["unsaved"], true, "{live}");
    assert_eq!(live["summary"], "Added a step", "{live}");
    let people = live["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{live}");
    assert_eq!(people[0]["name"], "Olive Owner");
    assert_eq!(people[0]["changes"], serde_json::json!(["added step “Track the parcel”"]));
    assert_eq!(people[0]["updates"], line.len());

    // The map page offers them for saving, saying who changed what; a
    // viewer reads it without the button.
    let page = f.get(Who::Editor, &format!("/m/{}", f.map)).await.text();
    assert!(page.contains("Live edits not saved as a version yet"), "{page}");
    assert!(page.contains("Olive Owner</strong> added step “Track the parcel”"), "{page}");
    assert!(page.contains("/live/save"), "an editor gets the save button");
    let page = f.get(Who::Viewer, &format!("/m/{}", f.map)).await.text();
    assert!(page.contains("Olive Owner") && !page.contains("/live/save"), "{page}");

    // A save takes everybody's part in.
    let saved = f
        .json(Who::Editor, "POST", &format!("/api/maps/{}/live/save", f.map), serde_json::json!({"message": ""}))
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    assert_eq!(saved.value()["message"], "Added a step");
    let live = f.get(Who::Viewer, &format!("/api/maps/{}/live", f.map)).await.value();
    assert_eq!(live["unsaved"], false, "{live}");
    assert_eq!(live["people"], serde_json::json!([]), "{live}");
    let page = f.get(Who::Editor, &format!("/m/{}", f.map)).await.text();
    assert!(!page.contains("Live edits not saved"), "the banner stays after the save");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hello_carries_the_documents_generation() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let generation = |c: &Client| match &c.seen[0] {
        Incoming::Notice(100, hello) => {
            serde_json::from_str::<serde_json::Value>(hello).unwrap()["generation"].as_i64().unwrap()
        }
        other => panic!("the first frame is the hello: {other:?}"),
    };
    let mut ann = Client::join(addr, &f, Who::Editor).await;
    ann.until("the text", |c| c.text().starts_with("journey")).await;
    let mut again = Client::join(addr, &f, Who::Viewer).await;
    again.until("the text", |c| c.text().starts_with("journey")).await;
    let g = generation(&ann);
    assert!(g > 0 && g < (1 << 53), "{g}");
    assert_eq!(generation(&again), g, "one document, one generation");
}

/// A share-link holder's socket on `url`'s live address; every frame it gets.
async fn watch(addr: std::net::SocketAddr, url: &str) -> Socket {
    let token = url.rsplit('/').next().unwrap();
    let req = format!("ws://{addr}/s/{token}/live").into_client_request().unwrap();
    tokio_tungstenite::connect_async(req).await.expect("a live link's socket opens").0
}

/// Reads `socket` until a frame satisfies `done` (5 s at most); every
/// message it read.
async fn read_until(socket: &mut Socket, what: &str, done: impl Fn(&Incoming) -> bool) -> Vec<Incoming> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                for m in wire::decode(&b).unwrap() {
                    let stop = done(&m);
                    seen.push(m);
                    if stop {
                        return seen;
                    }
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no {what}: {other:?}; seen {seen:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_share_link_watches_the_drawing_without_text_or_names_until_revoked() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let share = |live: bool| {
        let f = &f;
        async move {
            let r = f
                .json(Who::Editor, "POST", &format!("/api/maps/{}/shares", f.map), serde_json::json!({"live": live}))
                .await;
            assert_eq!(r.status, 201, "{}", r.text());
            r.value()
        }
    };
    // A link made without `live` shows the saved version only.
    let plain = share(false).await;
    let token = plain["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let req = format!("ws://{addr}/s/{token}/live").into_client_request().unwrap();
    assert!(tokio_tungstenite::connect_async(req).await.is_err(), "a plain link opened a live socket");

    let link = share(true).await;
    assert_eq!(link["live"], true);
    let mut ann = Client::join(addr, &f, Who::Editor).await;
    ann.until("the text", |c| c.text().starts_with("journey")).await;
    let here = wire::AwarenessEntry { client: ann.doc.client_id().get(), clock: 1, json: "{}".into() };
    ann.send(wire::awareness(&[here])).await;
    let mut watcher = watch(addr, link["url"].as_str().unwrap()).await;
    let first = read_until(&mut watcher, "the first preview", |m| matches!(m, Incoming::Notice(103, _))).await;
    assert!(matches!(&first[0], Incoming::Notice(100, h) if h.contains("\"watching\":true") && !h.contains("Eddie")));
    let at = ann.text().len() as u32;
    ann.type_at(at, "    Watched live: 5\n").await;
    let seen = read_until(
        &mut watcher,
        "the preview with Ann's step",
        |m| matches!(m, Incoming::Notice(103, p) if p.contains("Watched live")),
    )
    .await;
    // Only hellos, previews and heartbeats: no text, nobody's presence.
    for m in first.iter().chain(&seen) {
        match m {
            Incoming::Notice(100 | 103, json) => assert!(!json.contains("Eddie Editor"), "a name reached a watcher"),
            Incoming::Awareness(entries) => assert!(entries.is_empty(), "presence reached a watcher: {entries:?}"),
            other => panic!("a watcher got {other:?}"),
        }
    }
    // A watcher sends nothing.
    watcher.send(Message::Binary(wire::update(&[0, 0]).into())).await.unwrap();
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(5), watcher.next()).await {
            Ok(Some(Ok(Message::Close(c)))) => break c.map(|c| u16::from(c.code)),
            Ok(Some(Ok(_))) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, Some(4400));
    assert!(!ann.text().is_empty());

    // Revoked while watched: the socket closes at once.
    let mut watcher = watch(addr, link["url"].as_str().unwrap()).await;
    read_until(&mut watcher, "the hello", |m| matches!(m, Incoming::Notice(100, _))).await;
    let revoke = f
        .json(Who::Editor, "DELETE", &format!("/api/maps/{}/shares/{}", f.map, link["id"]), serde_json::Value::Null)
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.text());
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(5), watcher.next()).await {
            Ok(Some(Ok(Message::Close(c)))) => break c.map(|c| u16::from(c.code)),
            Ok(Some(Ok(_))) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, Some(4403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_cursor_moves_reaches_the_others_coalesced_and_one_person_holds_thirty_sockets() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ann = Client::join(addr, &f, Who::Editor).await;
    ann.until("the text", |c| c.text().starts_with("journey")).await;
    let mut bob = Client::join(addr, &f, Who::Owner).await;
    bob.until("the text", |c| c.text().starts_with("journey")).await;
    // Ann's cursor moves 100 times in one frame: Bob gets her last state.
    let client = ann.doc.client_id().get();
    let mut frame = Vec::new();
    for clock in 1..=100u64 {
        let json = serde_json::json!({"cursor": {"at": clock}}).to_string();
        frame.extend(wire::awareness(&[wire::AwarenessEntry { client, clock, json }]));
    }
    ann.send(frame).await;
    bob.until("Ann's last cursor", |c| {
        c.seen.iter().any(|m| matches!(m, Incoming::Awareness(e) if e.iter().any(|e| e.clock == 100)))
    })
    .await;
    let frames = bob.seen.iter().filter(|m| matches!(m, Incoming::Awareness(e) if !e.is_empty())).count();
    assert!(frames <= 2, "{frames} presence frames for one burst");
    // Ann never hears her own state back.
    assert!(!ann.seen.iter().any(|m| matches!(m, Incoming::Awareness(e) if e.iter().any(|e| e.client == client))));

    // Thirty sockets for one person across tabs and maps; the thirty-first
    // is refused.
    let made = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/workspaces/{}/maps", f.ws),
            serde_json::json!({"template": "support"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let other = made.value()["id"].as_i64().unwrap();
    let mut tabs = Vec::new();
    for i in 0..29 {
        let map = if i < 15 { f.map } else { other };
        let mut c = Client::join_map(addr, &f, Who::Editor, map, "cjm=1").await;
        c.until("the text", |c| c.text().contains("journey")).await;
        tabs.push(c);
    }
    let mut one_too_many = Client::join_map(addr, &f, Who::Editor, other, "cjm=1").await;
    assert_eq!(one_too_many.closed_with().await, Some(4429));
    // A tab closed gives its slot back.
    drop(tabs.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mut again = Client::join_map(addr, &f, Who::Editor, other, "cjm=1").await;
        let answer = tokio::time::timeout(Duration::from_millis(500), again.socket.next()).await;
        match answer {
            Ok(Some(Ok(Message::Close(_)))) if tokio::time::Instant::now() < deadline => continue,
            Ok(Some(Ok(Message::Binary(_)))) => break,
            other => panic!("the freed slot was not given back: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_reconnects_and_a_frame_over_the_limit_leave_the_others_editing() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ann = Client::join(addr, &f, Who::Owner).await;
    ann.until("the text", |c| c.text().starts_with("journey")).await;
    // Ten thousand joins and drops, twenty at a time, by one person.
    let started = std::time::Instant::now();
    let mut waves = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let f2 = (f.user(Who::Editor).unwrap().5).clone();
        let map = f.map;
        waves.spawn(async move {
            for _ in 0..500 {
                let mut req = format!("ws://{addr}/api/maps/{map}/live").into_client_request().unwrap();
                req.headers_mut().insert("authorization", format!("Bearer {f2}").parse().unwrap());
                let (mut socket, _) = tokio_tungstenite::connect_async(req).await.expect("a join");
                // Half read their first frame, half go at once.
                if rand_bit() {
                    let _ = socket.next().await;
                }
                drop(socket);
            }
        });
    }
    while let Some(done) = waves.join_next().await {
        done.unwrap();
    }
    eprintln!("10,000 reconnects in {:?}", started.elapsed());
    // Ann kept editing meanwhile, and the person's slots all came back.
    ann.type_at(0, "%% after the storm\n").await;
    ann.until("the acknowledgement", |c| acked(c, 1)).await;
    let mut eddie = Client::join(addr, &f, Who::Editor).await;
    eddie.until("Ann's line", |c| c.text().starts_with("%% after the storm")).await;

    // A frame over 4 MiB closes that socket (1009) and nobody else's.
    let big = wire::update(&vec![0u8; (4 << 20) + 1]);
    eddie.socket.send(Message::Binary(big.into())).await.ok();
    assert!(matches!(eddie.closed_with().await, Some(1009) | None));
    ann.type_at(0, "%% still editing\n").await;
    ann.until("the acknowledgement", |c| acked(c, 2)).await;
}

/// A coin toss (no rand dependency in the tests: the clock's nanoseconds).
fn rand_bit() -> bool {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() & 1 == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_and_holds_up_nobody() {
    let f = Fixture::new();
    let addr = serve(&f).await;
    let mut ann = Client::join(addr, &f, Who::Owner).await;
    ann.until("the text", |c| c.text().starts_with("journey")).await;
    // Sam joins with a small receive buffer and never reads again.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(addr).await.unwrap();
    let token = &f.user(Who::Editor).unwrap().5;
    let mut req = format!("ws://{addr}/api/maps/{}/live?cjm=1", f.map).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut sam, _) =
        tokio_tungstenite::client_async(req, tokio_tungstenite::MaybeTlsStream::Plain(stream)).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), sam.next()).await;
    // Ann pastes and removes 130 KB, 95 times (within her socket's rate
    // and the document's history limit): some 12 MB for Sam's socket, more
    // than the kernel's buffers, the socket's write buffer and the queue
    // hold together.
    let chunk = format!("%% {}\n", "x".repeat(130_000));
    let started = std::time::Instant::now();
    for i in 0..95u64 {
        ann.type_at(0, &chunk).await;
        let update = {
            let text = ann.doc.get_or_insert_text(cjm_live::doc::TEXT);
            let mut txn = ann.doc.transact_mut();
            txn.before_state();
            text.remove_range(&mut txn, 0, chunk.len() as u32);
            txn.encode_update_v1()
        };
        ann.send(wire::update(&update)).await;
        // Ann's own changes are acknowledged as they go: Sam holds up nobody.
        ann.until("the acknowledgement", |c| acked(c, 2 * i + 2)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    // Sam's socket is gone: reading now ends in a close or a reset, within
    // the send timeout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let closed = loop {
        match tokio::time::timeout_at(deadline, sam.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_))) | Ok(None) => break None,
            Err(_) => panic!("the socket that did not read is still open"),
        }
    };
    assert!(matches!(closed, Some(4503) | None), "{closed:?}");
    ann.type_at(0, "%% after Sam\n").await;
    ann.until("the acknowledgement", |c| acked(c, 191)).await;
}
