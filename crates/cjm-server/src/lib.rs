//! The cjm team web app: `cjm serve`.
//!
//! An axum server over one SQLite file: accounts and workspaces with roles,
//! a gallery of maps, the map page (server-side SVG from `cjm-render`), an
//! editor with live preview, history, comments, share links, evidence and a
//! JSON API described at `/api/openapi.json`.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it
//! without a socket. The one place that prints is `error::log_errors`
//! (internal failures, on stderr); the binary says the rest.
//!
//! Layers, each using only the ones below it: `routes` (the table that
//! builds the router) → `api` and `pages` (thin handlers, `extract` for
//! what they take from a request) → `service` (what the app does) →
//! `store` (every SQL statement) → `db`; `auth`, `error`, `token`, `cache`
//! and `throttle` serve them all.

#![warn(unreachable_pub)]
mod api;
mod assets;
mod auth;
mod cache;
mod db;
mod demo;
mod error;
mod extract;
mod live;
mod pages;
mod routes;
mod service;
mod store;
mod throttle;
mod token;

/// What the integration tests and the binary need beyond the app itself:
/// not a stable interface.
#[doc(hidden)]
pub mod testing {
    pub use crate::api::MAX_FORM_FIELD;
    pub use crate::auth::{hash_password, Role, SESSION_COOKIE};
    pub use crate::routes::{Needs, Route, API, PAGES};
    pub use crate::service::check::MAX_DIAGNOSTICS;
    pub use crate::service::drawings::MAX_PNG_PIXELS;
    pub use crate::service::evidence::store_upload;
    pub use crate::service::personas::Library;
    pub use crate::store::{append_version, create_map, create_user, create_workspace, Checked, MAX_SOURCE};
    pub use crate::token::{now, random_token, token_hash};

    /// The token of a share link made from `nonce` with this server's key.
    pub fn share_token(state: &crate::AppState, nonce: &str) -> String {
        crate::token::keyed_token(&state.share_key, nonce)
    }

    /// Runs `f` in one write transaction of the app's database (fixtures).
    pub fn write<T>(
        state: &crate::AppState,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T, crate::AppError>,
    ) -> Result<T, crate::AppError> {
        state.db.write_blocking(f)
    }
}

use axum::http::{header, HeaderValue};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

pub use error::{AppError, AppResult};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the database and uploaded logs live (created if missing).
    pub data_dir: PathBuf,
    /// The address people reach the server at (for links printed and
    /// shared), e.g. `https://cjm.example.com`; default from `--addr`.
    pub public_url: Option<String>,
    /// The largest event log upload, in bytes.
    pub max_upload: u64,
    /// The most bytes a compressed log may inflate to.
    pub max_inflated: u64,
    /// The memory all caches together may hold (logs read, drawings,
    /// checked versions, page parts, measurements, comparisons).
    pub cache_bytes: usize,
    /// Seed a demo workspace on first start.
    pub demo: bool,
    /// Failed sign-ins allowed per address and per e-mail in 15 minutes.
    pub login_attempts: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A folder of log files on the server that workspaces attach in
    /// place (no upload, no upload limit).
    pub logs_dir: Option<PathBuf>,
    /// A Spark Connect server (`sc://HOST:PORT`) whose tables workspaces
    /// attach as logs, computed on the cluster.
    pub spark: Option<String>,
    /// Path prefixes on the cluster (`/data/logs/`, `s3a://bucket/cjm/`)
    /// under which workspaces may attach Parquet logs; none: tables only.
    pub spark_paths: Vec<String>,
}

impl Config {
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            data_dir,
            public_url: None,
            max_upload: 64 * 1024 * 1024,
            max_inflated: 512 * 1024 * 1024,
            cache_bytes: 512 * 1024 * 1024,
            demo: true,
            login_attempts: 10,
            trusted_proxies: Vec::new(),
            logs_dir: None,
            spark: None,
            spark_paths: Vec::new(),
        }
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

#[doc(hidden)]
pub struct StateInner {
    pub(crate) db: db::Db,
    pub config: Config,
    pub(crate) login_limit: throttle::RateLimiter,
    pub(crate) renders: service::drawings::Cache,
    pub(crate) evidence: service::evidence::Cache,
    /// The log pages' answers.
    pub(crate) answers: service::analytics::Answers,
    /// The values a step's evidence rule can pick, by log.
    pub(crate) values: service::picks::ValuesCache,
    /// Each saved version checked once (versions never change).
    checks: cache::Bounded<i64, cjm_model::Lowered>,
    /// Two versions compared, by their ids.
    diffs: cache::Bounded<(i64, i64), service::diff::Diff>,
    /// Comparison boards drawn, by the two versions' ids and the kind.
    pub(crate) boards: cache::Bounded<(i64, i64, pages::maps::Board), Vec<u8>>,
    /// The live documents being edited.
    pub(crate) live: live::Live,
    /// The key share links' tokens are made with (`share.key` in the data
    /// directory), so a link can be shown again.
    pub(crate) share_key: [u8; 32],
}

/// Cache `i`'s share of the cache memory, in bytes.
fn share(config: &Config, i: usize) -> usize {
    config.cache_bytes / 64 * SHARES[i]
}

/// Password verifications that may run at once (each holds ~19 MiB).
fn available_verifications() -> usize {
    cjm_events::available_threads().clamp(1, 4)
}

/// How the cache memory (`Config::cache_bytes`) is shared, in 64ths: logs
/// read, drawings, checked versions, page parts, measurements, comparisons,
/// the log pages' answers.
const SHARES: [usize; 7] = [30, 15, 8, 3, 3, 2, 3];

impl AppState {
    /// Version `version_id` (whose text is `source`) parsed, lowered and
    /// validated: from the cache, or now, once.
    pub fn checked(&self, version_id: i64, source: &str) -> Arc<cjm_model::Lowered> {
        if let Some(hit) = self.checks.get(&version_id) {
            return hit;
        }
        let resolve = service::personas::version_resolver(self, version_id);
        let lowered = Arc::new(cjm_model::check_with(source, &resolve));
        self.checks.insert(version_id, lowered.clone(), lowered_bytes(&lowered, source.len()));
        lowered
    }

    /// [`AppState::checked`] off the async runtime.
    pub async fn checked_async(&self, version_id: i64, source: String) -> AppResult<Arc<cjm_model::Lowered>> {
        if let Some(hit) = self.checks.get(&version_id) {
            return Ok(hit);
        }
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.checked(version_id, &source))
            .await
            .map_err(|e| AppError::Internal(format!("checking a map: {e}")))
    }
}

/// What a lowered map holds, roughly: its text's worth of strings plus the
/// fixed size of every step and diagnostic.
fn lowered_bytes(lowered: &cjm_model::Lowered, source_len: usize) -> usize {
    let steps = lowered.journey.stages.iter().map(|s| s.steps.len()).sum::<usize>();
    source_len * 2
        + steps * std::mem::size_of::<cjm_model::Step>()
        + lowered.diagnostics.len() * (std::mem::size_of::<cjm_syntax::Diagnostic>() + 128)
        + 4096
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.inner
    }
}

/// What [`open`] found or made.
pub struct Opened {
    pub state: AppState,
    /// A one-time link path (`/setup/TOKEN`) when no account exists yet.
    pub setup_path: Option<String>,
}

/// Opens the data directory: creates it and the database on first start,
/// runs migrations, seeds the demo workspace, and makes a setup link while
/// there is no account.
pub fn open(config: Config) -> Result<Opened, String> {
    std::fs::create_dir_all(config.data_dir.join("evidence"))
        .map_err(|e| format!("{}: cannot create the data directory: {e}", config.data_dir.display()))?;
    let db = db::Db::open(&config.data_dir.join("cjm.sqlite3")).map_err(|e| e.to_string())?;
    let share_key = token::load_or_make_key(&config.data_dir.join("share.key"))?;
    let state = AppState {
        inner: Arc::new(StateInner {
            db,
            login_limit: throttle::RateLimiter::new(config.login_attempts, std::time::Duration::from_secs(15 * 60)),
            renders: service::drawings::Cache::new(share(&config, 1), share(&config, 3)),
            evidence: service::evidence::Cache::new(share(&config, 0), share(&config, 4), config.max_inflated),
            answers: service::analytics::Answers::new(share(&config, 6)),
            values: cache::Bounded::new(16 << 20),
            checks: cache::Bounded::new(share(&config, 2)),
            diffs: cache::Bounded::new(share(&config, 5) / 2),
            boards: cache::Bounded::new(share(&config, 5) / 2),
            live: live::Live::default(),
            share_key,
            config,
        }),
    };
    if state.config.demo {
        demo::seed(&state).map_err(|e| format!("seeding the demo workspace: {e:?}"))?;
    }
    let setup_path = demo::setup_link(&state).map_err(|e| format!("making the setup link: {e:?}"))?;
    Ok(Opened { state, setup_path })
}

/// The whole app: pages, API, static files, with authentication, CSRF and
/// security headers on every route.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::router())
        .merge(assets::router())
        .fallback(|| async { AppError::NotFound })
        .layer(axum::extract::DefaultBodyLimit::max(store_limit()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(error::log_errors))
        .layer(axum::middleware::from_fn(pages::html_errors))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(time_limit))
        .with_state(state)
}

/// How long a request may take: uploads stream a big file, everything else
/// answers well within this.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Ends a request that runs past its time with `503` and a message (work
/// already handed to the blocking pool finishes, and its result is cached
/// for the next request).
async fn time_limit(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let upload = req.method() == axum::http::Method::POST && req.uri().path().ends_with("/evidence");
    let limit = if upload { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => axum::response::IntoResponse::into_response(AppError::Unavailable(format!(
            "the request took longer than {} seconds; try again in a moment (the work goes on and its result is kept)",
            limit.as_secs()
        ))),
    }
}

/// The largest request body outside uploads (a map is at most 2 MB, and JSON
/// may escape it to twice that).
fn store_limit() -> usize {
    store::MAX_SOURCE * 2 + 64 * 1024
}

pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A response with a policy of its own (the HTML download's sandbox) keeps it.
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Only a share link's embeddable view may be framed, by the origins its
    // own policy names (X-Frame-Options has no way to name them).
    let framable = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("frame-ancestors https://") || p.contains("frame-ancestors http://localhost"));
    if !framable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // Share links carry their token in the address: never send it to another
    // site. (`no-referrer` would also make browsers send `Origin: null` on our
    // own form posts, which the CSRF guard rightly refuses.)
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The most connections served at once; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request's headers (also while a
/// kept-alive connection sits idle): a slow client cannot hold a slot.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Serves until Ctrl-C (or SIGTERM), then finishes the requests under way
/// (for at most 30 seconds).
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = app(state);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    // Told to every connection at shutdown: finish the request under way.
    let (stopping, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(shutdown());
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            _ = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment, go on.
                Err(_) => { tokio::time::sleep(std::time::Duration::from_millis(50)).await; continue; }
            },
            _ = &mut stop => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), req.map(axum::body::Body::new))
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service)
            // WebSocket upgrades (live co-editing).
            .with_upgrades();
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = async { let _ = stop_rx.wait_for(|&s| s).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
    }
    let _ = stopping.send(true);
    // Every connection's permit back means every request is finished.
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), slots.acquire_many(all)).await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
