//! Live co-editing under load (not a timed test): `bash scripts/bench-live.sh`.
//!
//! A release `cjm serve` (its own process, so its memory is its own) on a
//! data directory made here: `LIVE_MAPS` maps with `LIVE_CLIENTS` editors each (yrs
//! documents over loopback WebSockets, as browsers would be), each typing a
//! token every `1/LIVE_RATE` s for `LIVE_SECONDS`. A token carries its send time, so every other
//! client of the map measures how long the server took to pass it on; the
//! sender measures how long until the server said it was on disk (cjm's
//! acknowledgement). At the end every client of a map and the server hold
//! the same text, with every token exactly once.
//!
//! Prints broadcast latency p50/p99, time to durable p50/p99, updates per
//! second, the server's peak resident memory, and lost or duplicated tokens.

use cjm_live::wire::{self, Incoming};
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use yrs::types::text::TextEvent;
use yrs::types::Delta;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, GetString, Observable, Out, ReadTxn, StateVector, Text, Transact, Update};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Users (one person per typist: a person holds at most 30 live sockets),
/// maps and a token per user, written before the server starts.
fn prepare(dir: &std::path::Path, maps: u64, clients: u64) -> (Vec<i64>, Vec<String>) {
    use cjm_server::testing::{self as t, Checked};
    let mut config = cjm_server::Config::new(dir.to_path_buf());
    config.demo = false;
    let state = cjm_server::open(config).expect("a data directory").state;
    let mut map_ids = Vec::new();
    let mut tokens = Vec::new();
    t::write(&state, |tx| {
        let mut users = Vec::new();
        for c in 0..maps * clients {
            let uid = t::create_user(tx, &format!("typist{c}@example.com"), &format!("Typist {c}"), "x", c == 0)?;
            let token = format!("cjm_{}", t::random_token(30));
            tx.execute(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, 'bench', ?2, ?3)",
                rusqlite::params![uid, t::token_hash(&token), t::now()],
            )?;
            users.push(uid);
            tokens.push(token);
        }
        let ws = t::create_workspace(tx, "Bench", users[0])?;
        for &u in &users[1..] {
            tx.execute(
                "INSERT INTO members (workspace_id, user_id, role) VALUES (?1, ?2, 'editor')",
                rusqlite::params![ws, u],
            )?;
        }
        for m in 0..maps {
            let text = format!("journey\n  title Map {m}\n  section Typing\n    Type: 3\n");
            map_ids.push(t::create_map(tx, ws, users[0], &Checked::new(text, &t::Library::default())?, "", "start")?);
        }
        Ok::<_, cjm_server::AppError>(())
    })
    .expect("fixtures");
    (map_ids, tokens)
}

#[derive(Default)]
struct Figures {
    broadcast_us: Vec<u64>,
    durable_us: Vec<u64>,
    sent: u64,
}

/// What every typist shares: where, when, how fast, and the figures.
#[derive(Clone)]
struct Run {
    addr: String,
    started: Instant,
    stop_at: Instant,
    every: Duration,
    figures: Arc<Mutex<Figures>>,
}

/// One typist: joins, types, and measures.
async fn typist(run: Run, map: i64, token: String, me: u64) -> (String, Vec<String>) {
    let Run { addr, started, stop_at, every, figures } = run;
    let mut req = format!("ws://{addr}/api/maps/{map}/live?cjm=1").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(req).await.expect("joins");
    let (mut sink, mut stream) = socket.split();
    let doc = Doc::new();
    let text = doc.get_or_insert_text(cjm_live::doc::TEXT);
    let arrived: Arc<Mutex<Vec<u64>>> = Arc::default();
    let seen = arrived.clone();
    text.observe("bench", move |txn, e: &TextEvent| {
        let now = started.elapsed().as_micros() as u64;
        for d in e.delta(txn) {
            if let Delta::Inserted(Out::Any(Any::String(s)), _) = d {
                for t in s.split('⟨').skip(1) {
                    let Some((who, at)) = t.split_once('⟩').and_then(|(x, _)| x.split_once('@')) else { continue };
                    if who.parse::<u64>().ok() != Some(me) {
                        if let Ok(at) = at.parse::<u64>() {
                            seen.lock().unwrap().push(now.saturating_sub(at));
                        }
                    }
                }
            }
        }
    });
    let sv = doc.transact().state_vector().encode_v1();
    sink.send(Message::Binary(wire::sync_step1(&sv).into())).await.unwrap();
    let mut mine = Vec::new();
    let mut sent_at: VecDeque<Instant> = VecDeque::new();
    let (mut sent, mut acked) = (0u64, 0u64);
    let mut tick = tokio::time::interval(every);
    let mut synced = false;
    let mut local = 0u64;
    let end_grace = stop_at + Duration::from_secs(3);
    loop {
        tokio::select! {
            _ = tick.tick(), if synced && Instant::now() < stop_at => {
                local += 1;
                let token = format!("⟨{me}@{}⟩{local} ", started.elapsed().as_micros());
                let update = {
                    let mut txn = doc.transact_mut();
                    txn.before_state();
                    text.insert(&mut txn, 0, &token);
                    txn.encode_update_v1()
                };
                mine.push(token);
                sink.send(Message::Binary(wire::update(&update).into())).await.unwrap();
                sent += 1;
                sent_at.push_back(Instant::now());
            }
            frame = stream.next() => {
                let Some(Ok(Message::Binary(bytes))) = frame else { break };
                for m in wire::decode(&bytes).expect("frames decode") {
                    match m {
                        Incoming::SyncStep1(sv) => {
                            let diff = doc.transact().encode_diff_v1(&StateVector::decode_v1(&sv).unwrap());
                            sink.send(Message::Binary(wire::sync_step2(&diff).into())).await.unwrap();
                            sent += 1;
                            sent_at.push_back(Instant::now());
                        }
                        Incoming::SyncStep2(u) | Incoming::Update(u) => {
                            doc.transact_mut().apply_update(Update::decode_v1(&u).unwrap()).unwrap();
                            synced = true;
                        }
                        Incoming::Ack(n) => {
                            let mut f = figures.lock().unwrap();
                            while acked < n {
                                if let Some(at) = sent_at.pop_front() {
                                    f.durable_us.push(at.elapsed().as_micros() as u64);
                                }
                                acked += 1;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ = tokio::time::sleep_until(end_grace.into()) => break,
        }
        if Instant::now() >= stop_at && acked >= sent && Instant::now() >= end_grace - Duration::from_secs(1) {
            break;
        }
    }
    let mut f = figures.lock().unwrap();
    f.broadcast_us.extend(arrived.lock().unwrap().iter());
    f.sent += mine.len() as u64;
    let text = text.get_string(&doc.transact());
    (text, mine)
}

/// The server's text of `map`, as a new client gets it (sync step 2).
async fn server_text(addr: &str, map: i64, token: &str) -> String {
    let mut req = format!("ws://{addr}/api/maps/{map}/live").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.expect("joins");
    socket.send(Message::Binary(wire::sync_step1(&StateVector::default().encode_v1()).into())).await.unwrap();
    let doc = Doc::new();
    let text = doc.get_or_insert_text(cjm_live::doc::TEXT);
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Binary(bytes) = frame else { continue };
        for m in wire::decode(&bytes).unwrap() {
            if let Incoming::SyncStep2(u) = m {
                doc.transact_mut().apply_update(Update::decode_v1(&u).unwrap()).unwrap();
                let text = text.get_string(&doc.transact());
                return text;
            }
        }
    }
    String::new()
}

fn percentile(v: &mut [u64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable();
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1] as f64 / 1000.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    let (maps, clients, seconds, rate) =
        (env("LIVE_MAPS", 50), env("LIVE_CLIENTS", 10), env("LIVE_SECONDS", 20), env("LIVE_RATE", 5));
    let bin = std::env::var("CJM_BIN").expect("CJM_BIN: the release cjm binary");
    let dir = tempfile::tempdir().unwrap();
    let (map_ids, tokens) = prepare(dir.path(), maps, clients);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&bin)
        .args(["serve", "--data", dir.path().to_str().unwrap(), "--addr", &addr, "--no-demo"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cjm serve starts");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let outcome = runtime.block_on(async {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let figures = Arc::new(Mutex::new(Figures::default()));
        let started = Instant::now();
        let stop_at = started + Duration::from_secs(seconds);
        let every = Duration::from_micros(1_000_000 / rate.max(1));
        let run = Run { addr: addr.clone(), started, stop_at, every, figures: figures.clone() };
        let mut tasks = Vec::new();
        for (m, &map) in map_ids.iter().enumerate() {
            for c in 0..clients {
                let token = tokens[m * clients as usize + c as usize].clone();
                tasks.push((map, tokio::spawn(typist(run.clone(), map, token, c))));
            }
        }
        let mut by_map: std::collections::HashMap<i64, Vec<(String, Vec<String>)>> = Default::default();
        for (map, task) in tasks {
            by_map.entry(map).or_default().push(task.await.unwrap());
        }
        let elapsed = started.elapsed();
        let mut on_server = std::collections::HashMap::new();
        for &map in &map_ids {
            on_server.insert(map, server_text(&addr, map, &tokens[0]).await);
        }
        (figures, by_map, on_server, elapsed)
    });
    let (figures, by_map, on_server, elapsed) = outcome;
    let rss = peak_rss_mb(server.id());
    let (mut lost, mut duplicated, mut diverged) = (0, 0, 0);
    for (map, clients) in &by_map {
        let text = &on_server[map];
        for (other, mine) in clients {
            if other != text {
                diverged += 1;
            }
            for token in mine {
                match text.matches(token.as_str()).count() {
                    0 => lost += 1,
                    1 => {}
                    _ => duplicated += 1,
                }
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut f = figures.lock().unwrap();
    let sent = f.sent;
    let (b50, b99) = (percentile(&mut f.broadcast_us, 0.5), percentile(&mut f.broadcast_us, 0.99));
    let (d50, d99) = (percentile(&mut f.durable_us, 0.5), percentile(&mut f.durable_us, 0.99));
    println!(
        "live: {maps} maps x {clients} clients, {rate} updates/s each for {seconds} s on {} cores ({:.1} s in all)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        elapsed.as_secs_f64()
    );
    println!("  updates sent {sent} ({:.0}/s), passed on {}", sent as f64 / seconds as f64, f.broadcast_us.len());
    println!("  broadcast latency p50 {b50:.1} ms, p99 {b99:.1} ms");
    println!("  time to durable   p50 {d50:.1} ms, p99 {d99:.1} ms");
    println!("  server peak resident memory {rss:.0} MB");
    println!("  tokens lost {lost}, duplicated {duplicated}; clients whose text differs from the server's {diverged}");
    if lost + duplicated + diverged > 0 {
        std::process::exit(1);
    }
}
