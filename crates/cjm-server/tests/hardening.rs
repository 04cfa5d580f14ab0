//! Attacks by people who can sign in, hold a share link or upload a file
//! (`../shared/design/audit.md`): each answers with a clear refusal or a
//! bounded amount of work, and the server stays up.

use crate::common::*;
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::json;

/// A map whose one step has an evidence rule of `terms` comparisons.
fn long_rule_map(terms: usize, op: &str) -> String {
    let rule = vec!["t = \"x\""; terms].join(&format!(" {op} "));
    format!("journey\n  section S\n    Step: 3\n      evidence: {rule}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_checking_a_rule_of_150000_terms_gets_an_answer() {
    let f = Fixture::new();
    for op in ["and", "or"] {
        let source = long_rule_map(150_000, op);
        let a = f.json(Who::Viewer, "POST", "/api/check", json!({ "source": source })).await;
        assert_eq!(a.status, StatusCode::OK, "{op}: {}", a.text().chars().take(300).collect::<String>());
        assert_eq!(a.value()["errors"], 0, "{op}");
        let a = f.json(Who::Viewer, "POST", "/api/preview", json!({ "source": source })).await;
        assert_eq!(a.status, StatusCode::OK, "{op}");
    }
    let nested = format!("journey\n  section S\n    Step: 3\n      evidence: {}t = 1\n", "not (".repeat(50_000));
    let a = f.json(Who::Viewer, "POST", "/api/check", json!({ "source": nested })).await;
    assert_eq!(a.value()["errors"], 1, "{}", a.text().chars().take(300).collect::<String>());
    assert!(a.text().contains("nests deeper than"));
}

#[tokio::test]
async fn the_html_download_keeps_its_sandbox() {
    let f = Fixture::new();
    let a = f.get(Who::Viewer, &format!("/api/maps/{}/download/html", f.map)).await;
    assert_eq!(a.status, StatusCode::OK);
    let csp = a.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.starts_with("sandbox"), "{csp}");
}

/// Width and height from a PNG's header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test]
async fn a_share_link_cannot_ask_for_a_huge_png() {
    let f = Fixture::new();
    let steps: String = (0..600).map(|i| format!("    Step {i}: 3\n")).collect();
    let source = format!("journey\n  title Wide\n  section S\n{steps}");
    let a = f.save(f.map, &source, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = f.get(Who::Anonymous, &format!("/s/{}/download/png", f.share_token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text().chars().take(200).collect::<String>());
    let (w, h) = png_size(&a.body);
    assert!(u64::from(w) * u64::from(h) <= cjm_server::testing::MAX_PNG_PIXELS, "{w}×{h}");
    assert!(w > 40_000, "the whole map is drawn, only smaller: {w}×{h}");
}

#[tokio::test]
async fn upload_form_fields_are_short_and_bombs_stop_at_the_inflated_limit() {
    let f = Fixture::with(|c| c.max_inflated = 4 << 20);
    let boundary = "cjmtestboundary7f3a";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\n").into_bytes();
    body.extend(vec![b'x'; 300_000]);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(a.text().contains("longer than 1024 bytes"), "{}", a.text());

    // 64 MiB of zeros in a 64 KB gzip: refused at 4 MiB; the map keeps its log.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, b"customer_id,timestamp,touchpoint\n").unwrap();
    std::io::Write::write_all(&mut gz, &vec![b'0'; 64 << 20]).unwrap();
    let (ct, body) = multipart("bomb.csv.gz", &gz.finish().unwrap());
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let error = a.value()["error"]["message"].as_str().unwrap().to_string();
    assert!(error.contains("inflates to more than 4 MiB"), "{error}");
    assert!(error.len() < 400, "the error is short: {error}");
    let again = f.get(Who::Viewer, &format!("/api/maps/{}/evidence", f.map)).await.value();
    assert_eq!(again["summary"]["customers"], 3, "the good log still reads: {again}");
    assert_eq!(again["logs"].as_array().unwrap().len(), 1, "the bomb is not kept");
}

/// A sign-in form post from `client`, through a proxy at 127.0.0.1 when `via_proxy`.
fn sign_in(password: &str, client: &str, via_proxy: bool) -> axum::http::Request<Body> {
    use axum::http::header;
    let peer: std::net::SocketAddr =
        if via_proxy { "127.0.0.1:5000".parse().unwrap() } else { format!("{client}:5000").parse().unwrap() };
    let mut req = axum::http::Request::post("/login")
        .header(header::HOST, "cjm.test")
        .header(header::COOKIE, "cjm_form=abcdefghijklmnopqrstuv")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
        .body(Body::from(format!(
            "_csrf=abcdefghijklmnopqrstuv&email=olive%40example.com&password={}",
            password.replace(' ', "+")
        )))
        .unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_counted_before_verifying_and_the_owner_still_signs_in() {
    let f = std::sync::Arc::new(Fixture::with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]));
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move { f.send(sign_in(&format!("wrong {i}"), "203.0.113.9", true)).await.status })
        })
        .collect();
    let mut verified = 0;
    for g in guesses {
        match g.await.unwrap() {
            StatusCode::UNAUTHORIZED => verified += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(verified <= 10, "{verified} of 40 parallel guesses were verified against a limit of 10");
    assert!(verified >= 1);
    // The attacker's address waits; the owner, from their own address behind the same proxy, does not.
    assert_eq!(f.send(sign_in(PASSWORD, "203.0.113.9", true)).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(f.send(sign_in(PASSWORD, "198.51.100.4", true)).await.status, StatusCode::SEE_OTHER);
    // An untrusted peer cannot pick its address with the header.
    let f = Fixture::new();
    for i in 0..11 {
        let mut req = sign_in("wrong", "192.0.2.1", false);
        req.headers_mut().insert("x-forwarded-for", format!("198.51.100.{i}").parse().unwrap());
        let want = if i < 10 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(f.send(req).await.status, want, "attempt {i}");
    }
}

/// A request with an API token and no cookie.
fn with_token(token: &str, method: &str, path: &str, body: serde_json::Value) -> axum::http::Request<Body> {
    axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "cjm.test")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn api_tokens_have_a_scope_an_expiry_and_cannot_make_tokens() {
    let f = Fixture::new();
    let made = f.json(Who::Editor, "POST", "/api/tokens", json!({ "name": "reader", "expires_in_days": 30 })).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let v = made.value();
    assert_eq!(v["scope"], "read");
    assert!(v["expires_at"].as_i64().unwrap() > cjm_server::testing::now() + 29 * 86_400);
    let reader = v["token"].as_str().unwrap().to_string();
    let map = format!("/api/maps/{}", f.map);
    assert_eq!(f.send(with_token(&reader, "GET", &map, json!(null))).await.status, StatusCode::OK);
    let comment = with_token(&reader, "POST", &format!("{map}/comments"), json!({ "body": "hi" }));
    let a = f.send(comment).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    assert!(a.text().contains("read-only API token"));

    // A write token may change things, but not make tokens.
    let writer = f.user(Who::Editor).unwrap().5.clone();
    let a = f.send(with_token(&writer, "POST", "/api/tokens", json!({ "name": "minted", "scope": "write" }))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = f.json(Who::Editor, "POST", "/api/tokens", json!({ "name": "x", "expires_in_days": 0 })).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // An expired token is refused.
    cjm_server::testing::write(&f.state, |tx| {
        Ok::<_, cjm_server::AppError>(tx.execute("UPDATE api_tokens SET expires_at = 1 WHERE name = 'reader'", [])?)
    })
    .unwrap();
    assert_eq!(f.send(with_token(&reader, "GET", &map, json!(null))).await.status, StatusCode::UNAUTHORIZED);

    // Changing the password can revoke every token.
    let a = f
        .json(
            Who::Editor,
            "PUT",
            "/api/me/password",
            json!({ "current": PASSWORD, "new": "a new password 77", "revoke_tokens": true }),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert_eq!(f.send(with_token(&writer, "GET", &map, json!(null))).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.json(Who::Editor, "GET", "/api/tokens", json!(null)).await.value(), json!([]));
}

/// A client that sends half a request and then nothing is cut off after
/// the header timeout, while other clients are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off_and_holds_up_nobody() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = Fixture::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(cjm_server::serve(f.state.clone(), listener));
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: cjm.test\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let mut quick = tokio::net::TcpStream::connect(addr).await.unwrap();
    quick.write_all(b"GET /login HTTP/1.1\r\nHost: cjm.test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    quick.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..answer.len().min(200)]));
    let mut rest = Vec::new();
    let read = tokio::time::timeout(cjm_server::HEADER_TIMEOUT * 2, slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the slow connection was not closed");
    assert!(started.elapsed() >= cjm_server::HEADER_TIMEOUT - std::time::Duration::from_secs(1));
    server.abort();
}

/// Path and query parameters that do not parse get the app's own JSON
/// error (schemathesis found axum's plain-text answers).
#[tokio::test]
async fn bad_parameters_get_json_errors() {
    let f = Fixture::new();
    let a = f.get(Who::Viewer, "/api/maps/null,null").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.value()["error"]["code"], "not_found");
    let a = f.get(Who::Viewer, &format!("/api/maps/{}/diff?from=one&to=2", f.map)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.value()["error"]["message"].as_str().unwrap().starts_with("the query string"), "{}", a.text());
    let page = f.get(Who::Viewer, "/m/x").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("<h1>Not found</h1>"));
}

/// A column the upload form or the mapping names must be in the log before
/// anything is kept; detection that finds nothing still keeps the upload so
/// the columns can be chosen.
#[tokio::test]
async fn named_columns_must_exist_before_they_are_saved() {
    let f = Fixture::new();
    let boundary = "cjmtestboundary7f3a";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"case\"\r\n\r\nclient\r\n").into_bytes();
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv\"\r\n\r\n").as_bytes(),
    );
    body.extend(LOG.as_bytes());
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let before = f.get(Who::Editor, &format!("/api/maps/{}/evidence", f.map)).await.value();
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(a.text().contains("column `client` is not in the log"), "{}", a.text());
    assert!(a.text().contains("choose it in the customer (case) id column field"), "{}", a.text());
    let after = f.get(Who::Editor, &format!("/api/maps/{}/evidence", f.map)).await.value();
    assert_eq!(after["evidence"]["id"], before["evidence"]["id"], "the good log stays attached");
    let files = std::fs::read_dir(f._dir.path().join("evidence")).unwrap().count();
    assert_eq!(files, 1, "the refused upload's file is gone");

    let eid = before["evidence"]["id"].as_i64().unwrap();
    let a = f
        .json(
            Who::Editor,
            "PUT",
            &format!("/api/maps/{}/evidence", f.map),
            json!({ "evidence_id": eid, "mapping": { "activity": "step" } }),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let after = f.get(Who::Editor, &format!("/api/maps/{}/evidence", f.map)).await.value();
    assert_eq!(after["evidence"]["mapping"]["activity"], serde_json::Value::Null, "the mapping was not saved");
    assert_eq!(after["summary"]["customers"], 3);
}

/// A map with 190,000 warnings answers with the counts and the first
/// thousand, not 60 MB of JSON.
#[tokio::test]
async fn a_check_lists_at_most_a_thousand_diagnostics() {
    let f = Fixture::new();
    let source = format!("journey\n  section S\n{}", "    Pay: 3\n".repeat(190_000));
    let a = f.json(Who::Viewer, "POST", "/api/check", json!({ "source": source })).await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.value();
    assert_eq!(v["warnings"], 189_999);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), cjm_server::testing::MAX_DIAGNOSTICS);
    assert!(a.body.len() < 20 << 20, "{} bytes", a.body.len());
}

/// A full persona library: 500 personas holding close to 2 MiB of text.
/// One more persona, or more text, is refused; a map taking every one of
/// them saves, draws and lists in bounded time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_persona_library_is_bounded_and_still_quick() {
    let f = Fixture::new();
    let (ws, owner) = (f.ws, f.user(Who::Owner).unwrap().1);
    let description = "d".repeat(4_150);
    cjm_server::testing::write(&f.state, |tx| {
        tx.execute("DELETE FROM library_personas", [])?;
        for i in 0..500 {
            let body = serde_json::json!({ "description": description, "goals": [format!("goal {i}")] }).to_string();
            tx.execute(
                "INSERT INTO library_personas (workspace_id, name, version, body, updated_by, updated_at) VALUES (?1, ?2, 1, ?3, ?4, 0)",
                rusqlite::params![ws, format!("P{i}"), body, owner],
            )?;
        }
        Ok(())
    })
    .unwrap();
    let add =
        f.json(Who::Editor, "POST", &format!("/api/workspaces/{ws}/personas"), json!({ "name": "One more" })).await;
    assert_eq!(add.status, StatusCode::BAD_REQUEST, "{}", add.text());
    assert!(add.text().contains("at most 500 personas"));
    let p0: i64 = cjm_server::testing::write(&f.state, |tx| {
        Ok(tx.query_row("SELECT id FROM library_personas WHERE name = 'P0'", [], |r| r.get(0))?)
    })
    .unwrap();
    let grow = json!({ "name": "P0", "description": "x".repeat(2_000), "needs": vec!["n".repeat(500); 30], "base_version": 1 });
    let a = f.json(Who::Editor, "PUT", &format!("/api/workspaces/{ws}/personas/{p0}"), grow).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());

    let started = std::time::Instant::now();
    let source = "journey\n  title Everyone\n  use personas.cjm\n  section S\n    Go: 3: P1, P499\n";
    let saved = f.save(f.map, source, Some(2)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(f.get(Who::Viewer, &format!("/m/{}", f.map)).await.status, StatusCode::OK);
    assert_eq!(f.get(Who::Viewer, &format!("/w/{ws}/personas")).await.status, StatusCode::OK);
    let preview = f.json(Who::Editor, "POST", "/api/preview", json!({ "source": source, "map": f.map })).await;
    assert_eq!(preview.value()["errors"], 0);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    // An outsider cannot read another workspace's library through a check.
    let outsider = f.json(Who::OtherOwner, "POST", "/api/check", json!({ "source": source, "map": f.map })).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
}
