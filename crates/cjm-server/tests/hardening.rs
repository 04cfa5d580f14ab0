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
    let a = f.json(Who::Editor, "PUT", &format!("/api/maps/{}/source", f.map), json!({ "source": source })).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = f.get(Who::Anonymous, &format!("/s/{}/download/png", f.share_token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text().chars().take(200).collect::<String>());
    let (w, h) = png_size(&a.body);
    assert!(u64::from(w) * u64::from(h) <= cjm_server::render::MAX_PNG_PIXELS, "{w}×{h}");
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

    // 64 MiB of zeros in a 64 KB gzip: refused at 4 MiB, and remembered.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, b"customer_id,timestamp,touchpoint\n").unwrap();
    std::io::Write::write_all(&mut gz, &vec![b'0'; 64 << 20]).unwrap();
    let (ct, body) = multipart("bomb.csv.gz", &gz.finish().unwrap());
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let error = a.value()["error"].as_str().unwrap().to_string();
    assert!(error.contains("inflates to more than 4 MiB"), "{error}");
    assert!(error.len() < 400, "the error is short: {error}");
    let again = f.get(Who::Viewer, &format!("/api/maps/{}/evidence", f.map)).await;
    assert_eq!(again.value()["error"].as_str().unwrap(), error);
}
