//! The convergence property: N clients (yrs documents, as the browser's Yjs
//! would be) and the server's [`LiveDoc`], over a simulated network that
//! reorders, duplicates and drops messages, disconnects clients and
//! restarts the server from what it stored (a snapshot and the updates
//! after it, compacted now and then). Every client inserts unique tokens
//! and deletes only its own. At the end every client and the server hold
//! the same text, every token not deleted is in it exactly once, and the
//! server never lost an update it had stored.

use cjm_live::{Limits, LiveDoc};
use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, TextRef, Transact, Update, UpdateEvent};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Client {
    doc: Doc,
    text: TextRef,
    made: Arc<Mutex<Vec<Vec<u8>>>>,
    online: bool,
    /// Bumped at each disconnect: messages of an older connection are lost.
    epoch: u64,
    live: Vec<String>,
    deleted: Vec<String>,
    next_token: usize,
}

impl Client {
    fn new() -> Client {
        let doc = Doc::new();
        let text = doc.get_or_insert_text(cjm_live::doc::TEXT);
        let made: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let sink = made.clone();
        doc.observe_update_v1("test", move |_, e: &UpdateEvent| sink.lock().unwrap().push(e.update.clone())).unwrap();
        Client { doc, text, made, online: false, epoch: 0, live: Vec::new(), deleted: Vec::new(), next_token: 0 }
    }

    fn string(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    fn take_made(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.made.lock().unwrap())
    }

    /// Applies a remote update (what it makes is not sent back).
    fn receive(&self, bytes: &[u8]) {
        self.doc.transact_mut().apply_update(Update::decode_v1(bytes).unwrap()).unwrap();
        self.take_made();
    }

    /// Inserts a new token between tokens; the update to send.
    fn insert(&mut self, me: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
        let s = self.string();
        let mut gaps = vec![0];
        gaps.extend(s.match_indices(']').map(|(i, _)| i + 1));
        let at = gaps[rng.below(gaps.len())];
        let token = format!("[c{me}#{}]", self.next_token);
        self.next_token += 1;
        self.text.insert(&mut self.doc.transact_mut(), at as u32, &token);
        self.live.push(token);
        self.take_made()
    }

    /// Deletes one of its own tokens, if it has one.
    fn delete(&mut self, rng: &mut Rng) -> Vec<Vec<u8>> {
        if self.live.is_empty() {
            return Vec::new();
        }
        let token = self.live.swap_remove(rng.below(self.live.len()));
        let s = self.string();
        let at = s.find(&token).expect("own tokens are whole");
        self.text.remove_range(&mut self.doc.transact_mut(), at as u32, token.len() as u32);
        self.deleted.push(token);
        self.take_made()
    }
}

/// A message on its way: to the server (from a client) or to a client.
struct Message {
    client: usize,
    to_server: bool,
    epoch: u64,
    server_epoch: u64,
    bytes: Vec<u8>,
}

struct Server {
    live: LiveDoc,
    snapshot: Vec<u8>,
    stored: Vec<Vec<u8>>,
    /// Bumped at each restart: every connection is lost.
    epoch: u64,
}

impl Server {
    /// Stores, then passes on, as the server's actor does.
    fn receive(&mut self, from: usize, bytes: &[u8], clients: &[Client], net: &mut Vec<Message>) {
        if !self.live.apply(bytes).expect("a client's update applies") {
            return;
        }
        self.stored.push(bytes.to_vec());
        self.check();
        for (i, c) in clients.iter().enumerate() {
            if i != from && c.online {
                net.push(Message {
                    client: i,
                    to_server: false,
                    epoch: c.epoch,
                    server_epoch: self.epoch,
                    bytes: bytes.to_vec(),
                });
            }
        }
    }

    /// What is stored loads as the document is.
    fn check(&self) {
        let updates: Vec<&[u8]> = self.stored.iter().map(Vec::as_slice).collect();
        let loaded = LiveDoc::load(&self.snapshot, updates, Limits::default()).unwrap();
        assert_eq!(
            loaded.text(),
            self.live.text(),
            "the stored log is not the document (live pending {}, loaded pending {})",
            self.live.has_missing(),
            loaded.has_missing()
        );
    }

    fn restart(&mut self) {
        let before = self.live.text();
        let updates: Vec<&[u8]> = self.stored.iter().map(Vec::as_slice).collect();
        self.live = LiveDoc::load(&self.snapshot, updates, Limits::default()).expect("what was stored loads");
        assert_eq!(self.live.text(), before, "a restart lost or changed stored updates");
        self.epoch += 1;
    }

    fn compact(&mut self) {
        if let Some(snapshot) = self.live.compaction() {
            self.snapshot = snapshot;
            self.stored.clear();
        }
    }
}

/// A client (re)joins: sync step 1 both ways, the answers through the net.
fn connect(c: usize, clients: &mut [Client], server: &Server, net: &mut Vec<Message>) {
    let client = &mut clients[c];
    client.online = true;
    let sv = client.doc.transact().state_vector().encode_v1();
    let for_client = server.live.missing_for(&sv).unwrap();
    net.push(Message {
        client: c,
        to_server: false,
        epoch: client.epoch,
        server_epoch: server.epoch,
        bytes: for_client,
    });
    let server_sv = StateVector::decode_v1(&server.live.state_vector()).unwrap();
    let for_server = client.doc.transact().encode_diff_v1(&server_sv);
    net.push(Message {
        client: c,
        to_server: true,
        epoch: client.epoch,
        server_epoch: server.epoch,
        bytes: for_server,
    });
}

fn run(seed: u64, n_clients: usize, steps: usize) {
    let mut rng = Rng(seed);
    let (live, snapshot) = LiveDoc::seed("journey\n", Limits::default());
    let mut server = Server { live, snapshot, stored: Vec::new(), epoch: 0 };
    let mut clients: Vec<Client> = (0..n_clients).map(|_| Client::new()).collect();
    let mut net: Vec<Message> = Vec::new();
    for c in 0..n_clients {
        connect(c, &mut clients, &server, &mut net);
    }
    for _ in 0..steps {
        match rng.below(100) {
            0..=34 => {
                let c = rng.below(n_clients);
                let updates = if rng.chance(70) { clients[c].insert(c, &mut rng) } else { clients[c].delete(&mut rng) };
                if clients[c].online {
                    for bytes in updates {
                        let (epoch, server_epoch) = (clients[c].epoch, server.epoch);
                        net.push(Message { client: c, to_server: true, epoch, server_epoch, bytes });
                    }
                }
            }
            35..=84 if !net.is_empty() => {
                let i = rng.below(net.len());
                let m =
                    if rng.chance(10) { Message { bytes: net[i].bytes.clone(), ..net[i] } } else { net.swap_remove(i) };
                if rng.chance(5) {
                    continue; // dropped
                }
                let c = &clients[m.client];
                if m.epoch != c.epoch || m.server_epoch != server.epoch || !c.online {
                    continue; // its connection is gone
                }
                if m.to_server {
                    server.receive(m.client, &m.bytes, &clients, &mut net);
                } else {
                    c.receive(&m.bytes);
                }
            }
            85..=91 => {
                let c = rng.below(n_clients);
                if clients[c].online {
                    clients[c].online = false;
                    clients[c].epoch += 1;
                } else {
                    connect(c, &mut clients, &server, &mut net);
                }
            }
            92..=95 => server.compact(),
            96..=99 => {
                server.restart();
                for c in 0..n_clients {
                    clients[c].epoch += 1;
                    if rng.chance(80) {
                        connect(c, &mut clients, &server, &mut net);
                    } else {
                        clients[c].online = false;
                    }
                }
            }
            _ => {}
        }
    }
    // Heal: everybody online, full exchange until nothing is left.
    for _ in 0..2 {
        for c in 0..n_clients {
            let client = &clients[c];
            let server_sv = StateVector::decode_v1(&server.live.state_vector()).unwrap();
            let for_server = client.doc.transact().encode_diff_v1(&server_sv);
            server.receive(c, &for_server, &clients, &mut Vec::new());
            let sv = client.doc.transact().state_vector().encode_v1();
            client.receive(&server.live.missing_for(&sv).unwrap());
        }
    }
    server.restart();
    assert!(!server.live.has_missing(), "seed {seed}: the server holds updates it cannot integrate");
    let text = server.live.text();
    for (i, c) in clients.iter().enumerate() {
        assert_eq!(c.string(), text, "seed {seed}: client {i} differs from the server");
        for token in &c.live {
            assert_eq!(
                text.matches(token.as_str()).count(),
                1,
                "seed {seed}: {token} is not there exactly once\n{text}"
            );
        }
        for token in &c.deleted {
            assert!(!text.contains(token.as_str()), "seed {seed}: deleted {token} came back");
        }
    }
    assert!(text.starts_with("journey\n") || text.contains("journey\n"), "seed {seed}: the seed text is gone");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn clients_and_server_converge(seed in any::<u64>(), n in 2usize..6) {
        run(seed, n, 400);
    }
}

/// Cases per property: the default, or `PROPTEST_CASES` for long runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
