//! A fresh data directory with a workspace, its members, a map with two
//! versions, a comment, a share link and evidence; helpers to send requests
//! as each of them.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use cjm_server::testing::{self as auth, now, token_hash};
use cjm_server::testing::{Checked, Library};
use cjm_server::{AppState, Config};
use http_body_util::BodyExt;
use rusqlite::params;
use tower::ServiceExt;

pub const MAP_V1: &str = "journey\n  title Fixture\n  %% a comment to keep\n  section Find\n    Search the shop: 3\n    Compare: 2\n  section Buy\n    Pay: 4\n";
pub const MAP_V2: &str = "journey\n  title Fixture\n  %% a comment to keep\n  section Find\n    Search the shop: 4\n      evidence: touchpoint = \"search\"\n    Compare: 2\n      evidence: touchpoint = \"compare\"\n  section Buy\n    Pay: 4\n      evidence: touchpoint = \"pay\"\n";
pub const LOG: &str = "customer_id,timestamp,touchpoint\nc1,2026-01-01T10:00:00Z,search\nc1,2026-01-01T10:05:00Z,compare\nc1,2026-01-01T10:09:00Z,pay\nc2,2026-01-01T11:00:00Z,search\nc2,2026-01-01T11:02:00Z,compare\nc3,2026-01-02T09:00:00Z,search\n";

/// Every fixture account's password.
pub const PASSWORD: &str = "fixture password 42";

/// Its argon2id hash, computed once per test run (hashing is slow on purpose).
fn password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(PASSWORD).unwrap())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Anonymous,
    ShareLink,
    Viewer,
    Commenter,
    Editor,
    Owner,
    OtherOwner,
}

impl Who {
    pub const ALL: [Who; 7] =
        [Who::Anonymous, Who::ShareLink, Who::Viewer, Who::Commenter, Who::Editor, Who::Owner, Who::OtherOwner];
}

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub state: AppState,
    pub ws: i64,
    #[allow(dead_code)]
    pub other_ws: i64,
    pub map: i64,
    pub comment: i64,
    pub share: i64,
    pub share_token: String,
    pub invitation: i64,
    /// The workspace's log (attached to the map).
    pub log: i64,
    /// A persona of the workspace's library (no map takes it), and its portrait.
    pub persona: i64,
    pub portrait: i64,
    /// (user id, session token, csrf, api token id, api token) by role.
    pub users: Vec<(Who, i64, String, String, i64, String)>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// A fixture whose server runs with `adjust`ed settings.
    pub fn with(adjust: impl FnOnce(&mut Config)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path().to_path_buf());
        config.demo = false;
        // The server's log folder, with one log (`server.csv`).
        let folder = dir.path().join("server-logs");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("server.csv"), LOG).unwrap();
        config.logs_dir = Some(folder);
        adjust(&mut config);
        let opened = cjm_server::open(config).unwrap();
        let state = opened.state;
        let evidence_dir = dir.path().join("evidence");
        let (mut users, mut ws, mut other_ws, mut map, mut comment, mut share, mut invitation) =
            (Vec::new(), 0, 0, 0, 0, 0, 0);
        let (mut log, mut persona, mut portrait) = (0, 0, 0);
        let share_nonce = auth::random_token(18);
        let share_token = cjm_server::testing::share_token(&state, &share_nonce);
        cjm_server::testing::write(&state, |tx| {
                for (who, name) in [(Who::Owner, "Olive Owner"), (Who::Editor, "Eddie Editor"), (Who::Commenter, "Cora Commenter"), (Who::Viewer, "Vic Viewer"), (Who::OtherOwner, "Otto Outsider")] {
                    let email = format!("{}@example.com", name.split(' ').next().unwrap().to_lowercase());
                    let uid = cjm_server::testing::create_user(tx, &email, name, password_hash(), who == Who::Owner)?;
                    let session = auth::random_token(32);
                    let csrf = auth::random_token(24);
                    tx.execute("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)", params![token_hash(&session), uid, csrf, now(), now() + 3600])?;
                    let api = format!("cjm_{}", auth::random_token(30));
                    tx.execute("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, 'script', ?2, ?3)", params![uid, token_hash(&api), now()])?;
                    users.push((who, uid, session, csrf, tx.last_insert_rowid(), api));
                }
                let id = |w: Who| users.iter().find(|u| u.0 == w).unwrap().1;
                ws = cjm_server::testing::create_workspace(tx, "Team", id(Who::Owner))?;
                other_ws = cjm_server::testing::create_workspace(tx, "Elsewhere", id(Who::OtherOwner))?;
                for (w, role) in [(Who::Editor, "editor"), (Who::Commenter, "commenter"), (Who::Viewer, "viewer")] {
                    tx.execute("INSERT INTO members (workspace_id, user_id, role) VALUES (?1, ?2, ?3)", params![ws, id(w), role])?;
                }
                let (v1, v2) = (Checked::new(MAP_V1.into(), &Library::default())?, Checked::new(MAP_V2.into(), &Library::default())?);
                map = cjm_server::testing::create_map(tx, ws, id(Who::Owner), &v1, "fixture", "first")?;
                cjm_server::testing::append_version(tx, map, id(Who::Editor), &v2, "with evidence rules", None)?;
                tx.execute("UPDATE maps SET current_version = 1, future_version = 2 WHERE id = ?1", [map])?;
                tx.execute("INSERT INTO comments (map_id, step, author_id, body, created_at) VALUES (?1, 'compare', ?2, 'Too slow', ?3)", params![map, id(Who::Commenter), now()])?;
                comment = tx.last_insert_rowid();
                tx.execute("INSERT INTO share_links (map_id, token_hash, created_by, created_at, nonce) VALUES (?1, ?2, ?3, ?4, ?5)", params![map, token_hash(&share_token), id(Who::Owner), now(), share_nonce])?;
                share = tx.last_insert_rowid();
                tx.execute("INSERT INTO invitations (workspace_id, email, role, token_hash, created_by, created_at, expires_at) VALUES (?1, 'guest@example.com', 'viewer', ?2, ?3, ?4, ?5)", params![ws, token_hash("invite"), id(Who::Owner), now(), now() + 86400])?;
                invitation = tx.last_insert_rowid();
                let stored = cjm_server::testing::store_upload(&evidence_dir, "log.csv", LOG.as_bytes())?;
                tx.execute("INSERT INTO evidence (workspace_id, file_name, stored_as, bytes, uploaded_by, created_at) VALUES (?1, 'log.csv', ?2, ?3, ?4, ?5)", params![ws, stored, LOG.len() as i64, id(Who::Owner), now()])?;
                log = tx.last_insert_rowid();
                tx.execute("UPDATE maps SET evidence_id = ?2 WHERE id = ?1", [map, log])?;
                tx.execute("INSERT INTO portraits (workspace_id, bytes, width, height, created_at) VALUES (?1, ?2, 1, 1, ?3)", params![ws, tiny_png(), now()])?;
                portrait = tx.last_insert_rowid();
                tx.execute("INSERT INTO library_personas (workspace_id, name, version, body, portrait_id, updated_by, updated_at) VALUES (?1, 'Dana', 1, '{\"description\":\"Freelance designer\"}', ?2, ?3, ?4)", params![ws, portrait, id(Who::Owner), now()])?;
                persona = tx.last_insert_rowid();
                tx.execute("INSERT INTO library_persona_versions (persona_id, version, name, body, portrait_id, author_id, created_at) VALUES (?1, 1, 'Dana', '{}', ?2, ?3, ?4)", params![persona, portrait, id(Who::Owner), now()])?;
                Ok::<_, cjm_server::AppError>(())
            })
            .unwrap();
        Fixture {
            _dir: dir,
            state,
            ws,
            other_ws,
            map,
            comment,
            share,
            share_token,
            invitation,
            log,
            persona,
            portrait,
            users,
        }
    }

    pub fn user(&self, who: Who) -> Option<&(Who, i64, String, String, i64, String)> {
        self.users.iter().find(|u| u.0 == who)
    }

    /// A request as `who` with their session cookie and CSRF header.
    pub fn request(&self, who: Who, method: &str, path: &str, body: Body, content_type: Option<&str>) -> Request<Body> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "cjm.test")
            .header(header::ORIGIN, "http://cjm.test");
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        if let Some((_, _, session, csrf, _, _)) = self.user(who) {
            b = b
                .header(header::COOKIE, format!("{}={session}", auth::SESSION_COOKIE))
                .header("x-csrf-token", csrf.as_str());
        }
        b.body(body).unwrap()
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = cjm_server::app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Answer { status, headers, body: bytes }
    }

    pub async fn json(&self, who: Who, method: &str, path: &str, body: serde_json::Value) -> Answer {
        let req = self.request(who, method, path, Body::from(body.to_string()), Some("application/json"));
        self.send(req).await
    }

    pub async fn get(&self, who: Who, path: &str) -> Answer {
        self.send(self.request(who, "GET", path, Body::empty(), None)).await
    }

    /// Saves `source` as map `map`'s next version, as the editor; `base` is
    /// the version the edit started from (none: save over whatever is there).
    pub async fn save(&self, map: i64, source: &str, base: Option<i64>) -> Answer {
        let mut body = serde_json::json!({ "source": source });
        if let Some(base) = base {
            body["base_version"] = base.into();
        }
        self.json(Who::Editor, "PUT", &format!("/api/maps/{map}/source"), body).await
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A PNG of `w` × `h` pixels, half transparent red.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn tiny_png() -> Vec<u8> {
    png(2, 2)
}

/// A multipart body with one file field.
pub fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "cjmtestboundary7f3a";
    let mut body = Vec::new();
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
