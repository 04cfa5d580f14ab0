//! Behaviour beyond permissions: CSRF, conflicts, form edits, sign-in limits,
//! headers, uploads, invitations, the OpenAPI document.

use crate::common::{multipart, Fixture, Who, MAP_V2};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

#[tokio::test]
async fn state_changes_need_the_csrf_token_or_an_api_token() {
    let f = Fixture::new();
    let (_, _, session, _, _, api) = f.user(Who::Editor).unwrap().clone();
    let body = json!({ "body": "hello" }).to_string();
    let path = format!("/api/maps/{}/comments", f.map);
    let no_header = Request::post(&path)
        .header(header::HOST, "cjm.test")
        .header(header::COOKIE, format!("cjm_session={session}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .unwrap();
    let a = f.send(no_header).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.value()["error"]["code"], "csrf");
    let cross_site = f.request(Who::Editor, "POST", &path, Body::from(body.clone()), Some("application/json"));
    let (mut parts, b) = cross_site.into_parts();
    parts.headers.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(f.send(Request::from_parts(parts, b)).await.status, StatusCode::FORBIDDEN);
    let with_token = Request::post(&path)
        .header(header::AUTHORIZATION, format!("Bearer {api}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let a = f.send(with_token).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let wrong = Request::get("/api/me").header(header::AUTHORIZATION, "Bearer cjm_wrong").body(Body::empty()).unwrap();
    assert_eq!(f.send(wrong).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stale_save_is_refused_and_an_edit_keeps_comments() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/source", f.map);
    let a = f.json(Who::Editor, "PUT", &path, json!({ "source": MAP_V2, "message": "again", "base_version": 1 })).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.value()["error"]["message"].as_str().unwrap().contains("the latest is 2"));
    let bad = f
        .json(
            Who::Editor,
            "PUT",
            &path,
            json!({ "source": "journey\n  section A\n    S: 3\n      pain: x [severity 9]\n", "base_version": 2 }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.value()["error"]["message"].as_str().unwrap().starts_with("line 4, column 25:"), "{}", bad.text());
    let edit = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/maps/{}/edits", f.map),
            json!({ "base_version": 2, "edit": { "op": "rename_step", "step": "compare", "name": "Compare prices" } }),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text());
    let v = edit.value();
    assert_eq!(v["version"]["number"], 3);
    assert_eq!(v["version"]["message"], "Renamed the step “Compare” to “Compare prices”");
    let source = v["source"].as_str().unwrap();
    assert!(source.contains("%% a comment to keep") && source.contains("    Compare prices: 2\n"), "{source}");
    // The comment anchored to `compare` still belongs to the step.
    let map = f.get(Who::Viewer, &format!("/api/maps/{}", f.map)).await.value();
    assert_eq!(map["journey"]["stages"][0]["steps"][1]["id"], "compare");
    let diff = f.get(Who::Viewer, &format!("/api/maps/{}/diff?from=2&to=3", f.map)).await.value();
    assert_eq!(diff["changes"][0]["detail"], "“Compare” → “Compare prices”");
}

#[tokio::test]
async fn bad_bodies_say_what_is_wrong() {
    let f = Fixture::new();
    let a = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/maps/{}/edits", f.map),
            json!({ "base_version": 2, "edit": { "op": "fly" } }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.value()["error"]["message"].as_str().unwrap().contains("unknown variant `fly`"), "{}", a.text());
    let a = f.json(Who::Owner, "POST", &format!("/api/workspaces/{}/maps", f.ws), json!({ "template": "nope" })).await;
    assert!(a.value()["error"]["message"].as_str().unwrap().contains("choose one of: ecommerce"), "{}", a.text());
    let a = f
        .json(
            Who::Owner,
            "POST",
            &format!("/api/workspaces/{}/invitations", f.ws),
            json!({ "email": "not an address", "role": "viewer" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let f = Fixture::new();
    for (who, path) in [
        (Who::Anonymous, "/login"),
        (Who::Viewer, "/api/me"),
        (Who::Viewer, &*format!("/m/{}", f.map)),
        (Who::Anonymous, "/nope"),
    ] {
        let a = f.get(who, path).await;
        let csp = a.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline';") || csp.contains("script-src 'self';"),
            "{csp}"
        );
        assert!(!csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe")), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(a.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    }
    // Pages have no inline script at all.
    let page = f.get(Who::Viewer, &format!("/m/{}", f.map)).await.text();
    for chunk in page.split("<script").skip(1) {
        let open_tag = &chunk[..chunk.find('>').unwrap()];
        assert!(
            open_tag.contains(" src=\"/static/") || open_tag.contains(" type=\"application/json\""),
            "inline script: {open_tag}"
        );
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let f = Fixture::new();
    let form = |password: &str| {
        Request::post("/login")
            .header(header::HOST, "cjm.test")
            .header(header::COOKIE, "cjm_form=abcdefghijklmnopqrstuv")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("_csrf=abcdefghijklmnopqrstuv&email=olive%40example.com&password={password}")))
            .unwrap()
    };
    let ok = f.send(form(&crate::common::PASSWORD.replace(' ', "+"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert!(ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().starts_with("cjm_session="));
    for _ in 0..10 {
        assert_eq!(f.send(form("wrong-password")).await.status, StatusCode::UNAUTHORIZED);
    }
    let a = f.send(form("wrong-password")).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.get(header::RETRY_AFTER).is_some());
    let no_token = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("email=a%40b.c&password=x"))
        .unwrap();
    assert_eq!(f.send(no_token).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn uploads_are_limited_and_read_with_their_columns() {
    let f = Fixture::new();
    // A map with no log takes one whose columns need choosing, and says which.
    let detached =
        f.json(Who::Editor, "PUT", &format!("/api/maps/{}/evidence", f.map), json!({ "evidence_id": null })).await;
    assert_eq!(detached.status, StatusCode::OK, "{}", detached.text());
    let (ct, body) = multipart("events.csv", b"who,when,what\nc1,2026-01-01T00:00:00Z,search\n");
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let v = a.value();
    assert!(v["error"].as_str().unwrap().contains("no customer (case) id column found among: who, when, what"), "{v}");
    let eid = v["evidence"]["id"].as_i64().unwrap();
    let fixed = f
        .json(
            Who::Editor,
            "PUT",
            &format!("/api/maps/{}/evidence", f.map),
            json!({ "evidence_id": eid, "mapping": { "case": "who", "time": "when", "activity": "what" } }),
        )
        .await;
    assert_eq!(fixed.value()["summary"]["customers"], 1, "{}", fixed.text());
    let (ct, body) = multipart("notes.docx", b"hello");
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let a = f.send(req).await;
    assert!(a.text().contains("cannot tell the format"), "{}", a.text());

    // Uploads have their own limit, above the JSON routes' one.
    let f2 = Fixture::with(|c| c.max_upload = 9 * 1024 * 1024);
    let (ct, body) = multipart(
        "events.csv",
        &[b"customer_id,timestamp,touchpoint\n".as_slice(), &b"c1,2026-01-01T00:00:00Z,search\n".repeat(200_000)]
            .concat(),
    );
    let req = f2.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f2.map), Body::from(body), Some(&ct));
    let a = f2.send(req).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "a 6 MB log under a 9 MB limit: {}",
        a.text().chars().take(300).collect::<String>()
    );
    assert_eq!(a.value()["summary"]["events"], 200_000);
    let f2 = Fixture::with(|c| c.max_upload = 1024);
    let (ct, body) = multipart("events.csv", &vec![b'x'; 4096]);
    let req = f2.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f2.map), Body::from(body), Some(&ct));
    let a = f2.send(req).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(a.value()["error"]["message"].as_str().unwrap().contains("upload limit"), "{}", a.text());
}

/// Logs belong to the workspace: a bad upload is refused and never
/// detaches the good log, every log is listed with who uploaded it and how
/// many maps use it, a previous one is re-attached by id, and a map made
/// from a log's draft is attached to that log.
#[tokio::test]
async fn a_bad_upload_keeps_the_good_log_and_logs_are_listed_and_reattached() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/evidence", f.map);
    let before = f.get(Who::Viewer, &path).await.value();
    let good = before["evidence"]["id"].as_i64().unwrap();
    for (name, bytes) in [
        ("bad.xes", b"<log><trace>".as_slice()),
        ("damaged.csv.gz", b"\x1f\x8b\x08\x00 not gzip at all"),
        ("empty-rows.parquet", b"PAR1 not really"),
    ] {
        let (ct, body) = multipart(name, bytes);
        let a = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{name}: {}", a.text());
        assert!(a.text().contains("The map keeps the log it had"), "{name}: {}", a.text());
        let now = f.get(Who::Viewer, &path).await.value();
        assert_eq!(now["evidence"]["id"], good, "{name}: the good log stays attached");
        assert_eq!(now["summary"]["customers"], 3);
        assert_eq!(now["logs"].as_array().unwrap().len(), 1, "{name}: the refused log is not kept: {now}");
    }
    // A second good log replaces the first, which stays listed.
    let (ct, body) =
        multipart("more.csv", format!("{}c4,2026-01-03T09:00:00Z,search\n", crate::common::LOG).as_bytes());
    let a = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let v = a.value();
    assert_eq!(v["summary"]["customers"], 4);
    let logs = v["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!((logs[0]["file_name"].as_str(), logs[0]["maps"].as_i64()), (Some("more.csv"), Some(1)));
    assert_eq!((logs[1]["id"].as_i64(), logs[1]["maps"].as_i64()), (Some(good), Some(0)));
    assert!(logs[1]["uploaded_by"].is_string() && logs[1]["bytes"].as_i64().unwrap() > 0);
    let page = f.get(Who::Editor, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(
        page.contains("Logs in this workspace") && page.contains(&format!("evidence_id&quot;:{good}}}")),
        "an Attach button"
    );
    let back = f.json(Who::Editor, "PUT", &path, json!({ "evidence_id": good })).await.value();
    assert_eq!((back["evidence"]["id"].as_i64(), &back["summary"]["customers"]), (Some(good), &json!(3)));
    // A map made from the draft keeps its log; a log of another workspace is not found.
    let draft = f.get(Who::Viewer, &format!("/api/maps/{}/discover", f.map)).await.value();
    let made = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/workspaces/{}/maps", f.ws),
            json!({ "source": draft["source"], "evidence_id": good }),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let id = made.value()["id"].as_i64().unwrap();
    let ev = f.get(Who::Viewer, &format!("/api/maps/{id}/evidence")).await.value();
    assert_eq!(ev["evidence"]["id"], good);
    assert_eq!(ev["logs"][1]["maps"], 2, "{ev}");
    let other = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/workspaces/{}/maps", f.ws),
            json!({ "title": "X", "evidence_id": good + 1000 }),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

/// A log whose columns are not found is kept, unattached, when the map
/// already has one: the answer says so (`202`, `pending`), the page shows
/// its first rows with a picker per role listing every column, a mapping
/// it does not read with is refused, the right one attaches it, and a log
/// no map uses can be removed (one in use cannot). Attaching a log that
/// does not read never detaches the good one.
#[tokio::test]
async fn a_log_whose_columns_are_not_found_waits_for_them_and_the_map_keeps_its_log() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/evidence", f.map);
    let good = f.get(Who::Viewer, &path).await.value()["evidence"]["id"].as_i64().unwrap();
    let csv = "who;when;what;plan\nc1;2026-01-01T00:00:00Z;search;gold\nc2;2026-01-02T00:00:00Z;<b>buy</b>;free\n";
    let (ct, body) = multipart("mine.csv", csv.as_bytes());
    let a = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    let v = a.value();
    let pending = v["pending"].as_i64().expect("pending");
    assert_eq!(v["evidence"]["id"], good, "the map keeps its log: {v}");
    assert!(v["error"].as_str().unwrap().contains("no customer (case) id column found"), "{v}");
    assert!(v["error"].as_str().unwrap().contains("until the columns are chosen"), "{v}");
    assert_eq!(v["logs"].as_array().unwrap().len(), 2);

    let page = f.get(Who::Editor, &format!("/m/{}/evidence?log={pending}", f.map)).await.text();
    assert!(page.contains("Choose how to read mine.csv"), "the pending card");
    for col in ["who", "when", "what", "plan"] {
        assert!(page.contains(&format!("<option value=\"{col}\">{col}</option>")), "a picker lists {col}");
    }
    assert!(page.contains("<td>gold</td>") && page.contains("&lt;b&gt;buy&lt;/b&gt;"), "the first rows, escaped");
    assert!(!page.contains("<b>buy</b>"));
    // Another workspace's log, or a viewer, sees no such card.
    let viewer = f.get(Who::Viewer, &format!("/m/{}/evidence?log={pending}", f.map)).await.text();
    assert!(!viewer.contains("Choose how to read"));
    let foreign = f.get(Who::Editor, &format!("/m/{}/evidence?log={}", f.map, pending + 999)).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // Attaching it as it is, or with a time column that is not a time, is refused.
    let plain = f.json(Who::Editor, "PUT", &path, json!({ "evidence_id": pending })).await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST, "{}", plain.text());
    assert!(plain.text().contains("Choose its columns first"), "{}", plain.text());
    let wrong = json!({ "evidence_id": pending, "mapping": { "case": "who", "time": "plan", "activity": "what" } });
    let wrong = f.json(Who::Editor, "PUT", &path, wrong).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.text());
    assert!(wrong.text().contains("no row could be read"), "{}", wrong.text());
    assert_eq!(f.get(Who::Viewer, &path).await.value()["evidence"]["id"], good, "still the good log");

    let right = json!({ "evidence_id": pending, "mapping": { "case": "who", "time": "when", "activity": "what" } });
    let right = f.json(Who::Editor, "PUT", &path, right).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text());
    let r = right.value();
    assert_eq!((r["evidence"]["id"].as_i64(), &r["summary"]["customers"]), (Some(pending), &json!(2)), "{r}");
    assert_eq!(r["preview"]["detected"]["time"], "when");
    assert_eq!(r["preview"]["rows"][0], json!(["c1", "2026-01-01T00:00:00Z", "search", "gold"]));

    // The log in use cannot be removed; the one no map uses can, by an editor.
    let ws_logs = format!("/api/workspaces/{}/logs", f.ws);
    let busy = f.json(Who::Editor, "DELETE", &format!("{ws_logs}/{pending}"), json!(null)).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text());
    assert!(busy.text().contains("attach another log"), "{}", busy.text());
    let by_viewer = f.json(Who::Viewer, "DELETE", &format!("{ws_logs}/{good}"), json!(null)).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let gone = f.json(Who::Editor, "DELETE", &format!("{ws_logs}/{good}"), json!(null)).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text());
    let after = f.get(Who::Viewer, &path).await.value();
    assert_eq!(after["logs"].as_array().unwrap().len(), 1, "{after}");
    let again = f.json(Who::Editor, "PUT", &path, json!({ "evidence_id": good })).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// The server's log folder: its log files are listed (not hidden files,
/// other files or links), one bigger than the upload limit attaches in
/// place and reads whole, attaching it again reuses its record, a path
/// that leaves the folder (`..`, absolute, a link out) is refused with
/// nothing recorded, and removing the log leaves the file on the server.
#[tokio::test]
async fn logs_of_the_server_folder_attach_in_place_and_paths_stay_inside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.csv"), crate::common::LOG).unwrap();
    let secret = outside.path().join("secret.csv");
    let f = Fixture::with(|c| c.max_upload = 1024);
    let folder = f.state.config.logs_dir.clone().unwrap();
    let mut big = String::from("customer_id,timestamp,touchpoint\n");
    for i in 0..2_000 {
        big.push_str(&format!("c{},2026-01-01T10:{:02}:00Z,step {}\n", i % 250, i % 60, i % 5));
    }
    std::fs::create_dir_all(folder.join("2026/q1")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, big.as_bytes()).unwrap();
    std::fs::write(folder.join("2026/q1/big.csv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(folder.join(".hidden.csv"), "x").unwrap();
    std::fs::write(folder.join("notes.md"), "x").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, folder.join("link.csv")).unwrap();

    let listing = f.get(Who::Editor, &format!("/api/workspaces/{}/folder", f.ws)).await.value();
    let paths: Vec<&str> = listing["files"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["2026/q1/big.csv.gz", "server.csv"], "{listing}");
    assert_eq!(listing["files"][0]["format"], "csv");
    let page = f.get(Who::Editor, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(page.contains("Logs on the server") && page.contains("2026/q1/big.csv.gz"));
    assert!(!f.get(Who::Viewer, &format!("/m/{}/evidence", f.map)).await.text().contains("Logs on the server"));

    let path = format!("/api/maps/{}/evidence/folder", f.map);
    let a = f.json(Who::Editor, "POST", &path, json!({ "path": "2026/q1/big.csv.gz" })).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.value();
    assert_eq!((&v["summary"]["events"], &v["summary"]["customers"]), (&json!(2000), &json!(250)), "{v}");
    assert_eq!(v["evidence"]["in_folder"], true);
    let id = v["evidence"]["id"].as_i64().unwrap();
    let again = f.json(Who::Editor, "POST", &path, json!({ "path": "2026/q1/big.csv.gz" })).await.value();
    assert_eq!(again["evidence"]["id"], id, "one record per file and workspace");
    assert_eq!(again["logs"].as_array().unwrap().len(), 2);

    for bad in [
        "../secret.csv",
        "/etc/passwd",
        secret.to_str().unwrap(),
        "2026/../../x.csv",
        "link.csv",
        "notes.md",
        "",
        "a\\b.csv",
    ] {
        let r = f.json(Who::Editor, "POST", &path, json!({ "path": bad })).await;
        assert!(matches!(r.status.as_u16(), 400 | 422), "{bad}: {} {}", r.status, r.text());
        assert!(!r.text().contains(folder.to_str().unwrap()), "{bad}: the folder's place is not told: {}", r.text());
    }
    assert_eq!(
        f.get(Who::Viewer, &format!("/api/maps/{}/evidence", f.map)).await.value()["logs"].as_array().unwrap().len(),
        2
    );

    // Re-attach the fixture's upload, then remove the folder log: its file stays.
    let first =
        again["logs"].as_array().unwrap().iter().find(|l| l["in_folder"] == false).unwrap()["id"].as_i64().unwrap();
    f.json(Who::Editor, "PUT", &format!("/api/maps/{}/evidence", f.map), json!({ "evidence_id": first })).await;
    let gone = f.json(Who::Editor, "DELETE", &format!("/api/workspaces/{}/logs/{id}", f.ws), json!(null)).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text());
    assert!(folder.join("2026/q1/big.csv.gz").is_file(), "the administrator's file stays");
    // A server without a folder lists nothing and attaches nothing.
    let none = Fixture::with(|c| c.logs_dir = None);
    let l = none.get(Who::Editor, &format!("/api/workspaces/{}/folder", none.ws)).await.value();
    assert_eq!((&l["configured"], l["files"].as_array().unwrap().len()), (&json!(false), 0));
    let r = none
        .json(Who::Editor, "POST", &format!("/api/maps/{}/evidence/folder", none.map), json!({ "path": "server.csv" }))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

/// A log uploaded in Latin-1 with the encoding chosen on the upload form
/// reads whole at once; without it the page says to choose Latin-1.
#[tokio::test]
async fn the_upload_form_takes_the_encoding_and_the_lifecycle() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/evidence", f.map);
    let mut latin1 = b"customer_id,timestamp,touchpoint\nc1,2026-01-01T10:00:00Z,caf".to_vec();
    latin1.extend([0xE9, b'\n']);
    let boundary = "cjmtestboundary7f3a";
    let mut body = Vec::new();
    for (name, value) in [("encoding", "latin1"), ("lifecycle", "all")] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend(&latin1);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let a = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let v = a.value();
    assert_eq!((&v["summary"]["bad_rows"], &v["summary"]["events"]), (&json!(0), &json!(1)), "{v}");
    assert_eq!(
        (&v["evidence"]["mapping"]["encoding"], &v["evidence"]["mapping"]["lifecycle"]),
        (&json!("latin1"), &json!("all"))
    );
    assert_eq!(v["preview"]["rows"][0][2], "café");
    assert_eq!(v["preview"]["not_utf8"], false);
    let page = f.get(Who::Editor, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(page.contains("<option value=\"latin1\" selected>"), "the encoding chosen shows");
}

/// The evidence page reads a log as the CLI can: a Latin-1 file gets a hint
/// in the page's words and reads whole once Latin-1 is chosen; the
/// lifecycle choice keeps start events or not, and says how many it left out.
#[tokio::test]
async fn encoding_and_lifecycle_are_chosen_on_the_evidence_page() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/evidence", f.map);
    let mut latin1 =
        b"customer_id,timestamp,touchpoint\nc1,2026-01-01T10:00:00Z,search\nc2,2026-01-01T10:00:00Z,caf".to_vec();
    latin1.extend([0xE9, b'\n']);
    let (ct, body) = multipart("latin1.csv", &latin1);
    let v = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await.value();
    assert_eq!(v["summary"]["bad_rows"], 1, "{v}");
    assert!(v["summary"]["hints"][0].as_str().unwrap().contains("choose Latin-1 as the encoding"), "{v}");
    assert!(!v.to_string().contains("--encoding"), "no CLI flag in the web app: {v}");
    let eid = v["evidence"]["id"].as_i64().unwrap();
    let fixed = f
        .json(Who::Editor, "PUT", &path, json!({ "evidence_id": eid, "mapping": { "encoding": "latin1" } }))
        .await
        .value();
    assert_eq!((&fixed["summary"]["bad_rows"], &fixed["summary"]["customers"]), (&json!(0), &json!(2)), "{fixed}");
    let bad =
        f.json(Who::Editor, "PUT", &path, json!({ "evidence_id": eid, "mapping": { "encoding": "ebcdic" } })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());

    let event = |name: &str, t: &str, life: &str| {
        format!("<event><string key=\"concept:name\" value=\"{name}\"/><string key=\"lifecycle:transition\" value=\"{life}\"/><date key=\"time:timestamp\" value=\"{t}\"/></event>")
    };
    let xes = format!(
        "<log xes.version=\"1.0\"><trace><string key=\"concept:name\" value=\"c1\"/>{}{}{}{}</trace></log>",
        event("a", "2026-01-01T10:00:00Z", "start"),
        event("a", "2026-01-01T10:01:00Z", "complete"),
        event("b", "2026-01-01T10:02:00Z", "start"),
        event("b", "2026-01-01T10:03:00Z", "complete")
    );
    let (ct, body) = multipart("pairs.xes", xes.as_bytes());
    let v = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await.value();
    assert_eq!((&v["summary"]["events"], &v["summary"]["lifecycle_skipped"]), (&json!(2), &json!(2)), "{v}");
    let page = f.get(Who::Viewer, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(page.contains("2 start (and other non-complete) events left out"), "the page says what was left out");
    let eid = v["evidence"]["id"].as_i64().unwrap();
    let all = f
        .json(Who::Editor, "PUT", &path, json!({ "evidence_id": eid, "mapping": { "lifecycle": "all" } }))
        .await
        .value();
    assert_eq!((&all["summary"]["events"], &all["summary"]["lifecycle_skipped"]), (&json!(4), &json!(0)), "{all}");
}

#[tokio::test]
async fn measured_figures_and_the_draft_come_from_the_evidence() {
    let f = Fixture::new();
    let m = f.get(Who::Viewer, &format!("/api/maps/{}/measure", f.map)).await.value();
    assert_eq!(m["customers"], 3);
    let reached: Vec<i64> = m["steps"].as_array().unwrap().iter().map(|s| s["reached"].as_i64().unwrap()).collect();
    assert_eq!(reached, [3, 2, 1]);
    let draft = f.get(Who::Viewer, &format!("/api/maps/{}/discover", f.map)).await.value();
    assert!(draft["source"].as_str().unwrap().contains("evidence: touchpoint = \"search\""));
    let svg = f.get(Who::Viewer, &format!("/m/{}/map.svg", f.map)).await.text();
    assert!(svg.contains("class=\"drop-off\"") || svg.contains("Metrics"), "the SVG draws the measured figures");
}

#[tokio::test]
async fn invitations_make_members_once() {
    let f = Fixture::new();
    let inv = f
        .json(
            Who::Owner,
            "POST",
            &format!("/api/workspaces/{}/invitations", f.ws),
            json!({ "email": "nina@example.com", "role": "commenter" }),
        )
        .await
        .value();
    let url = inv["url"].as_str().unwrap();
    let path = &url[url.find("/invite/").unwrap()..];
    assert_eq!(f.get(Who::Anonymous, path).await.status, StatusCode::OK);
    let accept = |password: &str| {
        Request::post(path)
            .header(header::HOST, "cjm.test")
            .header(header::COOKIE, "cjm_form=abcdefghijklmnopqrstuv")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("_csrf=abcdefghijklmnopqrstuv&name=Nina&email=ignored%40x.y&password={password}")))
            .unwrap()
    };
    let short = f.send(accept("short")).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.text().contains("use at least 10"));
    let ok = f.send(accept("a-long-enough-password")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert!(ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
    let members = f.get(Who::Viewer, &format!("/api/workspaces/{}/members", f.ws)).await.value();
    let nina = members.as_array().unwrap().iter().find(|m| m["email"] == "nina@example.com").expect("Nina joined");
    assert_eq!(nina["role"], "commenter");
    assert_eq!(
        f.send(accept("a-long-enough-password")).await.status,
        StatusCode::NOT_FOUND,
        "an invitation works once"
    );
}

#[tokio::test]
async fn mentions_reach_members_only() {
    let f = Fixture::new();
    let a = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/maps/{}/comments", f.map),
            json!({ "body": "@cora.commenter and @otto.outsider, look", "step": "pay" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let cora = f.get(Who::Commenter, "/api/mentions").await.value();
    assert_eq!(cora.as_array().unwrap().len(), 1);
    assert_eq!(f.get(Who::OtherOwner, "/api/mentions").await.value().as_array().unwrap().len(), 0);
    let reply = f
        .json(
            Who::Commenter,
            "POST",
            &format!("/api/maps/{}/comments", f.map),
            json!({ "body": "on it", "parent_id": a.value()["id"] }),
        )
        .await
        .value();
    assert_eq!(reply["step"], "pay", "a reply joins its parent's step");
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    let f = Fixture::new();
    let doc = f.get(Who::Anonymous, "/api/openapi.json").await.value();
    assert_eq!(doc["openapi"], "3.0.3");
    for r in cjm_server::testing::API {
        assert!(doc["paths"][r.path][r.method.to_lowercase()].is_object(), "{} {}", r.method, r.path);
    }
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference.split('"').next().unwrap().trim_start_matches("#/components/schemas/");
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {name}");
    }
}

#[tokio::test]
async fn errors_are_pages_for_people_and_json_for_scripts() {
    let f = Fixture::new();
    let page = f.get(Who::Anonymous, &format!("/m/{}", f.map)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.headers.get(header::LOCATION).unwrap(), &*format!("/login?next=/m/{}", f.map));
    let api = f.get(Who::Anonymous, &format!("/api/maps/{}", f.map)).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.value()["error"]["code"], "unauthorized");
    let missing = f.get(Who::Viewer, "/m/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("<h1>Not found</h1>"));
    let other = f.get(Who::OtherOwner, &format!("/api/maps/{}", f.map)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "outsiders cannot tell the map exists");
}

#[tokio::test]
async fn cookies_are_secure_behind_tls() {
    let f = Fixture::with(|c| c.public_url = Some("https://cjm.example.com".into()));
    let login = f.get(Who::Anonymous, "/login").await;
    let cookie = login.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    let plain = Fixture::new().get(Who::Anonymous, "/login").await;
    assert!(!plain.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Secure"));
    let inv = f
        .json(
            Who::Owner,
            "POST",
            &format!("/api/workspaces/{}/invitations", f.ws),
            json!({ "email": "x@example.com", "role": "viewer" }),
        )
        .await
        .value();
    assert!(inv["url"].as_str().unwrap().starts_with("https://cjm.example.com/invite/"), "{inv}");
}

#[tokio::test]
async fn unknown_addresses_and_oversized_bodies_get_clear_answers() {
    let f = Fixture::new();
    let api = f.get(Who::Viewer, "/api/no/such/thing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.value()["error"]["code"], "not_found");
    let page = f.get(Who::Viewer, "/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("<h1>Not found</h1>"));
    let huge = "x".repeat(cjm_server::testing::MAX_SOURCE * 3);
    let a = f.save(f.map, &huge, None).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    let big = "journey\n".to_string() + &"  %% padding\n".repeat(cjm_server::testing::MAX_SOURCE / 12 + 10);
    let a = f.save(f.map, &big, None).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(a.value()["error"]["message"].as_str().unwrap().contains("the limit is"));
}

/// The map editor's edits are worked out on the text sent, store nothing,
/// and come back as UTF-16 changes that make the new text.
#[tokio::test]
async fn an_edit_worked_out_answers_the_changes_and_stores_nothing() {
    let f = Fixture::new();
    let source = MAP_V2.replace("Compare: 2", "Compare 😀: 2");
    let body = json!({ "source": source, "edit": {
        "op": "set_pain", "step": "pay", "index": null, "text": "Card declined", "severity": 4 } });
    let a = f.json(Who::Viewer, "POST", "/api/edit", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.value();
    let new = v["source"].as_str().unwrap();
    // In the order `cjm fmt` writes: the pain point before the evidence rule.
    assert!(
        new.ends_with("    Pay: 4\n      pain: Card declined [severity 4]\n      evidence: touchpoint = \"pay\"\n"),
        "{new}"
    );
    let mut units: Vec<u16> = source.encode_utf16().collect();
    for c in v["changes"].as_array().unwrap().iter().rev() {
        let (at, delete) = (c["at"].as_u64().unwrap() as usize, c["delete"].as_u64().unwrap() as usize);
        units.splice(at..at + delete, c["insert"].as_str().unwrap().encode_utf16());
    }
    assert_eq!(String::from_utf16(&units).unwrap(), new);
    let map = f.json(Who::Viewer, "GET", &format!("/api/maps/{}", f.map), json!(null)).await;
    assert!(!map.value()["source"].as_str().unwrap().contains("Card declined"));
    let bad = json!({ "source": MAP_V2, "edit": { "op": "set_pain", "step": "nope", "index": 0, "text": "x", "severity": null } });
    let refused = f.json(Who::Viewer, "POST", "/api/edit", bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.value()["error"]["message"].as_str().unwrap().contains("no step `nope`"), "{}", refused.text());
}

/// The opportunity portfolio of a map and of the workspace: the matrix and
/// the ranked list, filters that keep ranks, the downloads (CSV for Jira
/// and Linear, JSON, the matrix as SVG, PNG, PDF), bad filters named, and
/// hostile text escaped.
#[tokio::test]
async fn the_portfolio_ranks_filters_and_exports_a_map_and_the_workspace() {
    let f = Fixture::new();
    let source = "journey\n  title Shop\n  section Buy\n    Pay: 2: Sam\n      pain: Too slow [severity 4]\n      opportunity: <script>alert(1)</script> [impact low, effort high, owner Ops]\n      opportunity: Keep the cart [impact high, effort low, status planned, owner Growth]\n";
    let made =
        f.json(Who::Editor, "POST", &format!("/api/workspaces/{}/maps", f.ws), json!({ "source": source })).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let id = made.value()["id"].as_i64().unwrap();
    let page = f.get(Who::Viewer, &format!("/m/{id}/opportunities")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(!html.contains("<script>alert"), "opportunity text is escaped");
    assert!(html.contains("2 opportunities: 1 quick win, 1 money pit"), "the summary counts quadrants");
    let keep = html.find("Keep the cart").unwrap();
    let pit = html.rfind("&lt;script&gt;alert(1)&lt;/script&gt;").unwrap();
    assert!(keep < pit, "the quick win is listed before the money pit");
    let growth = f.get(Who::Viewer, &format!("/m/{id}/opportunities?owner=Growth")).await.text();
    assert!(
        growth.contains("1 opportunity: 1 quick win") && growth.contains("(of 2 in all"),
        "a filter narrows the list"
    );
    let csv = f.get(Who::Viewer, &format!("/m/{id}/opportunities/opportunities.csv?owner=Growth")).await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let text = csv.text();
    assert!(text.starts_with("Summary,Description,Priority,Status,Assignee,Labels,Rank"), "{text}");
    assert!(
        text.contains("Keep the cart,") && text.contains(",High,To Do,Growth,quick-win,1,") && !text.contains("alert"),
        "{text}"
    );
    for (file, mime) in [
        ("matrix.svg", "image/svg+xml"),
        ("matrix.png", "image/png"),
        ("matrix.pdf", "application/pdf"),
        ("opportunities.json", "application/json"),
    ] {
        let a = f.get(Who::Viewer, &format!("/m/{id}/opportunities/{file}")).await;
        assert_eq!(a.status, StatusCode::OK, "{file}");
        assert_eq!(a.headers["content-type"], mime, "{file}");
    }
    assert_eq!(f.get(Who::Viewer, &format!("/m/{id}/opportunities/secrets.txt")).await.status, StatusCode::NOT_FOUND);
    let bad = f.get(Who::Viewer, &format!("/m/{id}/opportunities?severity=9")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("severity"), "the page names the field");
    // The workspace's portfolio holds this map's opportunities and the fixture map's (none).
    let ws = f.get(Who::Viewer, &format!("/w/{}/opportunities", f.ws)).await.text();
    assert!(
        ws.contains("Keep the cart") && ws.contains(&format!("<option value=\"{id}\">Shop</option>")),
        "every map, with a map filter"
    );
    let only = f.get(Who::Viewer, &format!("/w/{}/opportunities?map={}", f.ws, f.map)).await.text();
    assert!(!only.contains("Keep the cart"), "one map's opportunities only");
    let json =
        f.get(Who::Viewer, &format!("/w/{}/opportunities/opportunities.json?status=planned", f.ws)).await.value();
    assert_eq!(json["opportunities"].as_array().unwrap().len(), 1);
    assert_eq!(f.get(Who::OtherOwner, &format!("/w/{}/opportunities", f.ws)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.get(Who::Viewer, &format!("/w/{}/opportunities?map=999999", f.ws)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The current-vs-future board on the compare page and as downloads for a
/// deck; without both marks the page says how to set them.
#[tokio::test]
async fn the_comparison_board_shows_and_downloads() {
    let f = Fixture::new();
    let made =
        f.json(Who::Editor, "POST", &format!("/api/workspaces/{}/maps", f.ws), json!({ "title": "Unmarked" })).await;
    let unmarked = made.value()["id"].as_i64().unwrap();
    let page = f.get(Who::Viewer, &format!("/m/{unmarked}/compare")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "no marks yet");
    assert!(page.text().contains("History page"));
    let marked =
        f.json(Who::Editor, "PUT", &format!("/api/maps/{}/states", f.map), json!({ "current": 1, "future": 2 })).await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text());
    let html = f.get(Who::Viewer, &format!("/m/{}/compare", f.map)).await.text();
    assert!(html.contains("compare-board") && html.contains("Current and future:"), "the board is on the page");
    assert!(html.contains("class=\"step change-"), "each step marked");
    let deck = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    for (file, mime) in [
        ("board.svg", "image/svg+xml"),
        ("board.png", "image/png"),
        ("board.pdf", "application/pdf"),
        ("board.pptx", deck),
    ] {
        let a = f.get(Who::Viewer, &format!("/m/{}/compare/{file}", f.map)).await;
        assert_eq!(a.status, StatusCode::OK, "{file}");
        assert_eq!(a.headers["content-type"], mime, "{file}");
        // Asked again: the same file.
        assert_eq!(f.get(Who::Viewer, &format!("/m/{}/compare/{file}", f.map)).await.body, a.body, "{file}");
    }
    // The map alone as a deck, from the map's downloads.
    let page = f.get(Who::Viewer, &format!("/m/{}", f.map)).await.text();
    assert!(page.contains(">PowerPoint</a>"), "the map page offers the deck");
    let one = f.get(Who::Viewer, &format!("/api/maps/{}/download/pptx?version=2", f.map)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text());
    assert_eq!(one.headers["content-type"], deck);
    assert!(one.body.starts_with(b"PK\x03\x04"), "a zip package");
    assert!(
        f.get(Who::Viewer, &format!("/m/{}/compare/board.svg", f.map)).await.text().contains("@font-face"),
        "a download embeds its font"
    );
    assert_eq!(f.get(Who::Viewer, &format!("/m/{}/compare/board.gif", f.map)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(Who::OtherOwner, &format!("/m/{}/compare/board.svg", f.map)).await.status, StatusCode::NOT_FOUND);
}

/// The new-map form shows each template with its drawing.
#[tokio::test]
async fn the_template_gallery_previews_each_template() {
    let f = Fixture::new();
    let form = f.get(Who::Editor, &format!("/w/{}/new", f.ws)).await.text();
    for t in cjm_model::templates::ALL {
        assert!(form.contains(&format!("src=\"/templates/{}/preview.svg\"", t.name)), "{}", t.name);
        let a = f.get(Who::Viewer, &format!("/templates/{}/preview.svg", t.name)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", t.name);
        assert_eq!(a.headers["content-type"], "image/svg+xml");
        assert!(a.text().contains("<svg"));
    }
    assert_eq!(f.get(Who::Viewer, "/templates/nope/preview.svg").await.status, StatusCode::NOT_FOUND);
}

/// A share link shows the version it is pinned to (the one marked current
/// by default, the latest draft, or a number), can be shown again with the
/// same address, and its embeddable view may be framed only by the
/// origins it names.
#[tokio::test]
async fn share_links_pin_a_version_show_again_and_embed_where_named() {
    let f = Fixture::new();
    let url = |v: &serde_json::Value| v["url"].as_str().unwrap().split("/s/").nth(1).unwrap().to_string();
    let shares = format!("/api/maps/{}/shares", f.map);
    let make = |body: serde_json::Value| f.json(Who::Editor, "POST", &shares, body);
    // Version 1 marked current; version 2 is the latest.
    let marked =
        f.json(Who::Editor, "PUT", &format!("/api/maps/{}/states", f.map), json!({ "current": 1, "future": 2 })).await;
    assert_eq!(marked.status, StatusCode::OK);
    let current = make(json!({ "label": "board" })).await;
    assert_eq!(current.status, StatusCode::CREATED, "{}", current.text());
    assert_eq!(current.value()["pin"], "current");
    let latest =
        make(json!({ "pin": "latest", "embed_origins": ["https://example.atlassian.net", "https://www.notion.so/"] }))
            .await;
    assert_eq!(latest.value()["embed_origins"], json!(["https://example.atlassian.net", "https://www.notion.so"]));
    let first = make(json!({ "pin": "1" })).await;
    for (link, version) in [(&current, 1), (&latest, 2), (&first, 1)] {
        let token = url(&link.value());
        let page = f.get(Who::Anonymous, &format!("/s/{token}")).await.text();
        assert!(
            page.contains(&format!("version {version}")),
            "the {} link shows version {version}",
            link.value()["pin"]
        );
        let cjm = f.get(Who::Anonymous, &format!("/s/{token}/download/cjm")).await.text();
        let want = f.get(Who::Viewer, &format!("/api/maps/{}/versions/{version}", f.map)).await.value()["source"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(cjm, want, "the download is that version too");
    }
    // Refused: a live link pinned to a version, a version that does not exist, a bad origin.
    assert_eq!(make(json!({ "live": true, "pin": "1" })).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(make(json!({ "pin": "99" })).await.status, StatusCode::NOT_FOUND);
    let bad = make(json!({ "embed_origins": ["https://x.com; script-src *"] })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("embed_origins"));
    // Shown again: the same address.
    let sid = latest.value()["id"].as_i64().unwrap();
    let again = f.get(Who::Editor, &format!("/api/maps/{}/shares/{sid}/link", f.map)).await;
    assert_eq!(again.value()["url"], latest.value()["url"]);
    assert_eq!(
        f.get(Who::Viewer, &format!("/api/maps/{}/shares/{sid}/link", f.map)).await.status,
        StatusCode::FORBIDDEN
    );
    let (map, owner) = (f.map, f.user(Who::Owner).unwrap().1);
    let legacy = cjm_server::testing::write(&f.state, |tx| {
        tx.execute(
            "INSERT INTO share_links (map_id, token_hash, created_by, created_at) VALUES (?1, 'x', ?2, 0)",
            rusqlite::params![map, owner],
        )?;
        Ok(tx.last_insert_rowid())
    })
    .unwrap();
    let old = f.get(Who::Editor, &format!("/api/maps/{}/shares/{legacy}/link", f.map)).await;
    assert_eq!(old.status, StatusCode::CONFLICT, "a link made before nonces were kept");
    // Embedding: framed by the named origins only.
    let embed = f.get(Who::Anonymous, &format!("/s/{}/embed", url(&latest.value()))).await;
    assert_eq!(embed.status, StatusCode::OK);
    let csp = embed.headers["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors https://example.atlassian.net https://www.notion.so"), "{csp}");
    assert!(!embed.headers.contains_key("x-frame-options"));
    assert!(embed.text().contains("<svg"));
    let nowhere = f.get(Who::Anonymous, &format!("/s/{}/embed", url(&current.value()))).await;
    assert!(nowhere.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(nowhere.headers["x-frame-options"], "DENY");
    let page = f.get(Who::Anonymous, &format!("/s/{}", url(&latest.value()))).await;
    assert_eq!(page.headers["x-frame-options"], "DENY", "only the embeddable view may be framed");
}

/// Focus outlines reach 3:1 against the page and the cards (WCAG 2.2,
/// focus appearance): read from the stylesheet itself.
#[test]
fn focus_outlines_have_three_to_one_contrast() {
    let css = include_str!("../assets/app.css");
    let rule = css.lines().find(|l| l.starts_with(":focus-visible")).expect("a :focus-visible rule");
    let color = rule.split('#').nth(1).map(|c| format!("#{}", &c[..6])).expect("a colour");
    let var = |name: &str| {
        let at = css.find(&format!("--{name}: #")).unwrap() + name.len() + 4;
        css[at..at + 7].to_string()
    };
    for bg in [var("bg"), var("surface")] {
        let c = cjm_render::theme::contrast(&color, &bg);
        assert!(c >= 3.0, "focus outline {color} on {bg}: {c:.2}");
    }
}

/// An error page says who is signed in, and an invitation defaults to
/// viewer and has a Copy button.
#[tokio::test]
async fn error_pages_name_the_person_and_invitations_default_to_viewer() {
    let f = Fixture::new();
    let missing = f.get(Who::Viewer, "/m/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("Vic Viewer"), "the 404 page shows who is signed in");
    let members = f.get(Who::Owner, &format!("/w/{}/members", f.ws)).await.text();
    assert!(members.contains("<option value=\"viewer\" selected>"), "viewer is the default role");
    assert!(members.contains("data-copy=\".secret\""), "a Copy button beside the link");
}

/// The version marked future is drawn as the future state (and the one
/// marked current as the current state), whatever its text's `state` says.
#[tokio::test]
async fn a_version_marked_future_is_drawn_as_the_future_state() {
    let f = Fixture::new();
    let text = "journey\n  title Marks\n  state current\n  section S\n    Pay: 2: Me\n";
    let made = f.json(Who::Editor, "POST", &format!("/api/workspaces/{}/maps", f.ws), json!({ "source": text })).await;
    let id = made.value()["id"].as_i64().unwrap();
    let saved = f
        .json(
            Who::Editor,
            "PUT",
            &format!("/api/maps/{id}/source"),
            json!({ "source": text.replace(": 2:", ": 4:"), "base_version": 1 }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let marked =
        f.json(Who::Editor, "PUT", &format!("/api/maps/{id}/states"), json!({ "current": 1, "future": 2 })).await;
    assert_eq!(marked.status, StatusCode::OK);
    let future = f.get(Who::Viewer, &format!("/m/{id}?version=2")).await.text();
    assert!(
        future.contains(">Future state</text>") && !future.contains(">Current state</text>"),
        "version 2 is the future"
    );
    let current = f.get(Who::Viewer, &format!("/m/{id}?version=1")).await.text();
    assert!(current.contains(">Current state</text>"));
    let svg = f.get(Who::Viewer, &format!("/api/maps/{id}/download/svg?version=2")).await.text();
    assert!(svg.contains(">Future state</text>"), "downloads too");
    let cjm = f.get(Who::Viewer, &format!("/api/maps/{id}/download/cjm?version=2")).await.text();
    assert!(cjm.contains("state current"), "the text itself is left as written");
}

/// The map pages draw every script with cjm's own faces: the stylesheet
/// names each, and each is served compressed to a browser that takes
/// `deflate` and whole to one that does not.
#[tokio::test]
async fn the_fallback_faces_are_served_for_the_map_pages() {
    let f = Fixture::new();
    let page = f.get(Who::Viewer, &format!("/m/{}", f.map)).await.text();
    let css_url = page.split("href=\"").find_map(|s| s.split('"').next().filter(|u| u.ends_with("/app.css"))).unwrap();
    let css = f.get(Who::Anonymous, css_url).await.text();
    let base = css_url.trim_end_matches("app.css");
    let fonts: Vec<&str> =
        css.split("url(").skip(1).filter_map(|s| s.split(')').next()).filter(|u| u.ends_with(".ttf")).collect();
    assert_eq!(fonts.len(), 10, "{fonts:?}");
    for font in fonts {
        let path = format!("{base}{font}");
        let mut req = f.request(Who::Anonymous, "GET", &path, Body::empty(), None);
        req.headers_mut().insert(header::ACCEPT_ENCODING, "gzip, deflate, br".parse().unwrap());
        let compressed = f.send(req).await;
        assert_eq!(compressed.status, StatusCode::OK, "{path}");
        assert_eq!(compressed.headers[header::CONTENT_ENCODING], "deflate");
        assert_eq!(compressed.headers[header::CONTENT_TYPE], "font/ttf");
        let whole = f.get(Who::Anonymous, &path).await;
        assert!(whole.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(&whole.body[..4], &[0, 1, 0, 0], "{path} is TrueType");
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&compressed.body[..]), &mut inflated).unwrap();
        assert_eq!(inflated, whole.body, "{path}");
    }
}

/// The persona library: a persona defined once, taken by a map, edited in
/// one place (every map that takes it saves a version that draws the new
/// one, and each version keeps drawing the persona version it drew), a
/// portrait re-encoded, and what the library refuses.
#[tokio::test]
async fn a_library_persona_is_defined_once_and_maps_follow_it() {
    let f = Fixture::new();
    let ws = f.ws;
    let added = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/workspaces/{ws}/personas"),
            json!({
                "name": "Sam", "description": "Busy professional, 34", "goals": ["Get a laptop by Friday", " "],
                "quote": "\"No time for reviews\"", "segment": "Professionals"
            }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let sam = added.value()["id"].as_i64().unwrap();
    let persona = format!("/api/workspaces/{ws}/personas/{sam}");

    // A map takes Sam from the library.
    let source = "journey\n  title Fixture\n  use Sam from personas.cjm\n  section Find\n    Search the shop: 3: Sam\n";
    let saved = f.save(f.map, source, Some(2)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let map = f.get(Who::Viewer, &format!("/api/maps/{}", f.map)).await.value();
    let p = &map["journey"]["personas"][0];
    assert_eq!((p["name"].as_str(), p["source"].as_str()), (Some("Sam"), Some("personas.cjm")));
    assert_eq!(p["goals"], json!(["Get a laptop by Friday"]));
    assert_eq!(p["quote"], "No time for reviews");
    let history = f.get(Who::Viewer, &format!("/m/{}/history", f.map)).await.text();
    assert!(history.contains("persona library") && history.contains(">Sam</a> v1"), "{history}");

    // Editing Sam saves version 4 of the map, drawing Sam's version 2;
    // version 3 still draws version 1.
    let edit = json!({ "name": "Sam", "description": "Busy parent, 35", "base_version": 1, "message": "Older now" });
    let edited = f.json(Who::Editor, "PUT", &persona, edit.clone()).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let d = edited.value();
    assert_eq!(d["version"], 2);
    assert_eq!(d["used_by"][0]["head"], 4);
    assert_eq!(d["versions"][0]["message"], "Older now");
    let versions = f.get(Who::Viewer, &format!("/api/maps/{}/versions", f.map)).await.value();
    assert_eq!(versions[0]["message"], "Sam updated in the persona library (version 2)");
    let json_of = |n: i64| format!("/api/maps/{}/download/json?version={n}", f.map);
    let v4 = f.get(Who::Viewer, &json_of(4)).await.text();
    let v3 = f.get(Who::Viewer, &json_of(3)).await.text();
    assert!(v4.contains("Busy parent, 35") && !v4.contains("Busy professional"), "{v4}");
    assert!(v3.contains("Busy professional, 34"), "{v3}");
    // A stale edit, a rename of a persona maps take, removing it: refused.
    assert_eq!(f.json(Who::Editor, "PUT", &persona, edit).await.status, StatusCode::CONFLICT);
    let rename = f.json(Who::Editor, "PUT", &persona, json!({ "name": "Samuel", "base_version": 2 })).await;
    assert_eq!(rename.status, StatusCode::CONFLICT, "{}", rename.text());
    assert_eq!(f.json(Who::Editor, "DELETE", &persona, json!(null)).await.status, StatusCode::CONFLICT);

    // A portrait: any size in, at most 512 px of JPEG out, drawn on the map.
    let put = |bytes: Vec<u8>, ct: &'static str, base: i64| {
        f.request(Who::Editor, "PUT", &format!("{persona}/portrait?base_version={base}"), Body::from(bytes), Some(ct))
    };
    let big = f.send(put(crate::common::png(1600, 900), "image/png", 2)).await;
    assert_eq!(big.status, StatusCode::OK, "{}", big.text());
    let src = big.value()["portrait"].as_str().unwrap().to_string();
    let jpeg = f.get(Who::Viewer, &src).await;
    assert_eq!(&jpeg.body[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    let decoded = image::load_from_memory(&jpeg.body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (512, 288));
    assert_eq!(f.get(Who::OtherOwner, &src).await.status, StatusCode::NOT_FOUND);
    let svg = f.get(Who::Viewer, &format!("/m/{}/map.svg", f.map)).await.text();
    assert!(svg.contains("data:image/jpeg;base64,"), "the map draws Sam's portrait");
    // Not an image, a bomb of a size, too many bytes.
    let text = f.send(put(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "image/svg+xml", 3)).await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
    assert!(text.text().contains("PNG, JPEG or WebP"), "{}", text.text());
    let wide = f.send(put(crate::common::png(9000, 2), "image/png", 3)).await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST);
    assert!(wide.text().contains("8000"), "{}", wide.text());
    let huge = f.send(put(vec![0x89; 9 * 1024 * 1024], "image/png", 3)).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", huge.text());

    // A map's own text cannot borrow a portrait by its key.
    let borrow = format!("journey\n  persona Eve\n    image: portrait:{}\n  section S\n    Go: 3: Eve\n", f.portrait);
    let saved = f.save(f.map, &borrow, Some(5)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let svg = f.get(Who::Viewer, &format!("/m/{}/map.svg", f.map)).await.text();
    assert!(!svg.contains("data:image/"), "only library personas get portraits");

    // Another path than the library's, and names that cannot stand.
    let other = "journey\n  use team/personas.cjm\n  section S\n    Go: 3\n";
    let refused = f.json(Who::Editor, "POST", "/api/check", json!({ "source": other, "map": f.map })).await.value();
    assert!(refused["diagnostics"][0]["message"].as_str().unwrap().contains("cannot read `team/personas.cjm`"));
    assert!(refused["diagnostics"][0]["message"].as_str().unwrap().contains("persona library"));
    for name in ["Ops, Legal", "A: B", "", "x\ny"] {
        let a = f.json(Who::Editor, "POST", &format!("/api/workspaces/{ws}/personas"), json!({ "name": name })).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{name:?}");
    }
    let dup = f.json(Who::Editor, "POST", &format!("/api/workspaces/{ws}/personas"), json!({ "name": "Sam" })).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    // The library as a file: the personas without the server's portraits.
    let file = f.get(Who::Viewer, &format!("/api/workspaces/{ws}/personas.cjm")).await.text();
    assert!(file.contains("  persona Sam\n    description: Busy parent, 35\n") && !file.contains("image:"), "{file}");
    assert!(file.contains("  persona Dana\n"), "{file}");
}

/// Hostile text in a library persona stays text on the library page and
/// the map page, and reads back as it was written.
#[tokio::test]
async fn hostile_persona_text_is_escaped_and_kept() {
    let f = Fixture::new();
    let ws = f.ws;
    let evil = "<script>alert(1)</script> & \u{202E}evil \u{1F600} \"quoted\" {{x}} `tick`";
    let added = f
        .json(
            Who::Editor,
            "POST",
            &format!("/api/workspaces/{ws}/personas"),
            json!({
                "name": "Zoë Ünïcode 日本", "description": evil, "needs": [evil], "segment": "<b>seg</b>"
            }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let page = f.get(Who::Viewer, &format!("/w/{ws}/personas")).await.text();
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<b>seg</b>"));
    let list = f.get(Who::Viewer, &format!("/api/workspaces/{ws}/personas")).await.value();
    let zoe = list.as_array().unwrap().iter().find(|p| p["name"] == "Zoë Ünïcode 日本").unwrap();
    assert_eq!(zoe["description"], evil);
    let source =
        "journey\n  title T\n  use Zoë Ünïcode 日本 from personas.cjm\n  section S\n    Go: 3: Zoë Ünïcode 日本\n";
    let saved = f.save(f.map, source, Some(2)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let map = f.get(Who::Viewer, &format!("/m/{}", f.map)).await.text();
    assert!(!map.contains("<script>alert"));
    assert!(map.contains("From the") && map.contains("Zoë Ünïcode 日本"));
}

/// A map being edited live when a library persona it takes changes: the
/// live edits stay unsaved, and their save is not refused as stale.
#[tokio::test]
async fn a_persona_edit_while_a_map_is_edited_live_keeps_the_live_edits() {
    let f = Fixture::new();
    let (ws, map) = (f.ws, f.map);
    let persona = format!("/api/workspaces/{ws}/personas/{}", f.persona);
    let source = "journey\n  title Fixture\n  use Dana from personas.cjm\n  section Find\n    Search the shop: 3: Dana\n    Compare: 2: Dana\n";
    let saved = f.save(map, source, Some(2)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let live = json!({ "edit": { "op": "set_score", "step": "compare", "score": 4 } });
    let edited = f.json(Who::Editor, "POST", &format!("/api/maps/{map}/live/edits"), live).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let dana = json!({ "name": "Dana", "description": "Runs a studio now", "base_version": 1 });
    let changed = f.json(Who::Editor, "PUT", &persona, dana).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let save = f.json(Who::Editor, "POST", &format!("/api/maps/{map}/live/save"), json!({ "message": "live" })).await;
    assert_eq!(save.status, StatusCode::CREATED, "{}", save.text());
    assert_eq!(save.value()["number"], 5);
    let now = f.get(Who::Viewer, &format!("/api/maps/{map}/download/json")).await.value();
    assert_eq!(now["personas"][0]["description"], "Runs a studio now");
    assert_eq!(now["stages"][0]["steps"][1]["score"], 4.0);
}
