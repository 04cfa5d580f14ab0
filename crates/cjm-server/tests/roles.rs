//! Every route against every kind of visitor: anonymous, someone holding a
//! share link, viewer, commenter, editor, owner, and the owner of another
//! workspace. The table below is the permission spec; the test also checks
//! that it covers every route and agrees with what `/api/openapi.json`
//! documents (`cjm_server::routes`).

use crate::common::{multipart, Fixture, Who, LOG, MAP_V2};
use axum::body::Body;
use axum::http::StatusCode;
use cjm_server::testing::{Needs, API, PAGES};

/// (method, path, least visitor allowed). `share` means: anyone holding a
/// live share link (the token is in the path).
const SPEC: &[(&str, &str, &str)] = &[
    ("GET", "/api/me", "user"),
    ("GET", "/api/templates", "user"),
    ("GET", "/api/workspaces", "user"),
    ("POST", "/api/workspaces", "user"),
    ("PUT", "/api/me/password", "user"),
    ("DELETE", "/api/workspaces/{ws}/invitations/{iid}", "owner"),
    ("GET", "/api/workspaces/{ws}/maps", "viewer"),
    ("POST", "/api/workspaces/{ws}/maps", "editor"),
    ("GET", "/api/workspaces/{ws}/members", "viewer"),
    ("GET", "/api/workspaces/{ws}/personas", "viewer"),
    ("POST", "/api/workspaces/{ws}/personas", "editor"),
    ("GET", "/api/workspaces/{ws}/personas/{pid}", "viewer"),
    ("PUT", "/api/workspaces/{ws}/personas/{pid}", "editor"),
    ("DELETE", "/api/workspaces/{ws}/personas/{pid}", "editor"),
    ("PUT", "/api/workspaces/{ws}/personas/{pid}/portrait", "editor"),
    ("GET", "/api/workspaces/{ws}/portraits/{pid}", "viewer"),
    ("GET", "/api/workspaces/{ws}/personas.cjm", "viewer"),
    ("GET", "/w/{ws}/personas", "viewer"),
    ("PUT", "/api/workspaces/{ws}/members/{user}", "owner"),
    ("DELETE", "/api/workspaces/{ws}/members/{user}", "owner"),
    ("DELETE", "/api/workspaces/{ws}/logs/{log}", "editor"),
    ("GET", "/api/maps/{id}/evidence/values", "viewer"),
    ("GET", "/api/workspaces/{ws}/folder", "editor"),
    ("POST", "/api/maps/{id}/evidence/folder", "editor"),
    ("POST", "/api/maps/{id}/evidence/spark", "editor"),
    ("POST", "/api/maps/{id}/evidence/rule", "editor"),
    ("POST", "/api/workspaces/{ws}/invitations", "owner"),
    ("GET", "/api/maps/{id}", "viewer"),
    ("PATCH", "/api/maps/{id}", "editor"),
    ("DELETE", "/api/maps/{id}", "owner"),
    ("PUT", "/api/maps/{id}/source", "editor"),
    ("POST", "/api/maps/{id}/edits", "editor"),
    ("GET", "/api/maps/{id}/live", "viewer"),
    ("POST", "/api/maps/{id}/live/save", "editor"),
    ("POST", "/api/maps/{id}/live/edits", "editor"),
    ("GET", "/api/maps/{id}/versions", "viewer"),
    ("GET", "/api/maps/{id}/versions/{n}", "viewer"),
    ("POST", "/api/maps/{id}/versions/{n}/restore", "editor"),
    ("PUT", "/api/maps/{id}/states", "editor"),
    ("GET", "/api/maps/{id}/diff", "viewer"),
    ("GET", "/api/maps/{id}/comments", "viewer"),
    ("POST", "/api/maps/{id}/comments", "commenter"),
    ("PUT", "/api/maps/{id}/comments/{cid}/resolved", "commenter"),
    ("GET", "/api/maps/{id}/shares", "editor"),
    ("POST", "/api/maps/{id}/shares", "editor"),
    ("DELETE", "/api/maps/{id}/shares/{sid}", "editor"),
    ("GET", "/api/maps/{id}/shares/{sid}/link", "editor"),
    ("GET", "/api/maps/{id}/evidence", "viewer"),
    ("POST", "/api/maps/{id}/evidence", "editor"),
    ("PUT", "/api/maps/{id}/evidence", "editor"),
    ("GET", "/api/maps/{id}/measure", "viewer"),
    ("GET", "/api/maps/{id}/discover", "viewer"),
    ("GET", "/api/maps/{id}/download/{format}", "viewer"),
    ("POST", "/api/check", "user"),
    ("POST", "/api/preview", "user"),
    ("POST", "/api/edit", "user"),
    ("GET", "/api/tokens", "user"),
    ("POST", "/api/tokens", "user"),
    ("DELETE", "/api/tokens/{tid}", "user"),
    ("GET", "/api/mentions", "user"),
    ("GET", "/account", "user"),
    ("GET", "/w/{ws}", "viewer"),
    ("GET", "/w/{ws}/new", "editor"),
    ("GET", "/w/{ws}/members", "viewer"),
    ("GET", "/w/{ws}/logs", "viewer"),
    ("GET", "/templates/{name}/preview.svg", "user"),
    ("GET", "/w/{ws}/opportunities", "viewer"),
    ("GET", "/w/{ws}/opportunities/{file}", "viewer"),
    ("GET", "/m/{id}/opportunities", "viewer"),
    ("GET", "/m/{id}/opportunities/{file}", "viewer"),
    ("GET", "/w/{ws}/logs/{log}", "viewer"),
    ("GET", "/w/{ws}/logs/{log}/{view}", "viewer"),
    ("GET", "/w/{ws}/logs/{log}/{view}/chart/{file}", "viewer"),
    ("GET", "/w/{ws}/logs/{log}/funnel/dropped.csv", "viewer"),
    ("GET", "/m/{id}", "viewer"),
    ("GET", "/m/{id}/map.svg", "viewer"),
    ("GET", "/m/{id}/download/{format}", "viewer"),
    ("GET", "/m/{id}/edit", "editor"),
    ("GET", "/m/{id}/history", "viewer"),
    ("GET", "/m/{id}/versions/{n}", "viewer"),
    ("GET", "/m/{id}/diff", "viewer"),
    ("GET", "/m/{id}/compare", "viewer"),
    ("GET", "/m/{id}/compare/{file}", "viewer"),
    ("GET", "/m/{id}/evidence", "viewer"),
    ("GET", "/m/{id}/share", "editor"),
    ("GET", "/s/{token}", "share"),
    ("GET", "/s/{token}/live", "share"),
    ("GET", "/api/maps/{id}/live/people", "viewer"),
    ("GET", "/s/{token}/map.svg", "share"),
    ("GET", "/s/{token}/embed", "share"),
    ("GET", "/s/{token}/download/{format}", "share"),
];

fn allowed(least: &str, who: Who) -> bool {
    let rank = |w: Who| match w {
        Who::Viewer => 1,
        Who::Commenter => 2,
        Who::Editor => 3,
        Who::Owner => 4,
        _ => 0,
    };
    match least {
        "share" => true, // the token in the path is the permission
        "user" => !matches!(who, Who::Anonymous | Who::ShareLink),
        "viewer" => rank(who) >= 1,
        "commenter" => rank(who) >= 2,
        "editor" => rank(who) >= 3,
        "owner" => rank(who) >= 4,
        other => panic!("unknown level {other}"),
    }
}

fn needs_name(n: Needs) -> &'static str {
    match n {
        Needs::Public => "public",
        Needs::ShareLink => "share",
        Needs::User => "user",
        Needs::Viewer => "viewer",
        Needs::Commenter => "commenter",
        Needs::Editor => "editor",
        Needs::Owner => "owner",
    }
}

#[test]
fn the_spec_covers_every_route_and_matches_the_documented_needs() {
    for route in API.iter().chain(PAGES) {
        if route.needs == Needs::Public {
            assert!(
                !SPEC.iter().any(|s| s.0 == route.method && s.1 == route.path),
                "{} {} is public",
                route.method,
                route.path
            );
            continue;
        }
        let spec = SPEC.iter().find(|s| s.0 == route.method && s.1 == route.path);
        let spec = spec.unwrap_or_else(|| panic!("no permission spec for {} {}", route.method, route.path));
        assert_eq!(spec.2, needs_name(route.needs), "{} {}", route.method, route.path);
    }
    for s in SPEC {
        assert!(
            API.iter().chain(PAGES).any(|r| r.method == s.0 && r.path == s.1),
            "spec names an unknown route {} {}",
            s.0,
            s.1
        );
    }
}

/// The concrete path and a valid body for a route, for visitor `who`.
fn concrete(f: &Fixture, who: Who, method: &str, path: &str) -> (String, Body, Option<String>) {
    let viewer = f.user(Who::Viewer).unwrap().1;
    let own_token = f.user(who).or_else(|| f.user(Who::Owner)).unwrap().4;
    let token = if who == Who::ShareLink || path.starts_with("/s/") { f.share_token.clone() } else { String::new() };
    let mut p = path
        .replace("{ws}", &f.ws.to_string())
        .replace("{id}", &f.map.to_string())
        .replace("{user}", &viewer.to_string())
        .replace("{n}", "1")
        .replace("{cid}", &f.comment.to_string())
        .replace("{sid}", &f.share.to_string())
        .replace("{tid}", &own_token.to_string())
        .replace("{pid}", &if path.contains("/portraits/") { f.portrait } else { f.persona }.to_string())
        .replace("{iid}", &f.invitation.to_string())
        .replace("{format}", "json")
        .replace("{log}", &f.log.to_string())
        .replace("{view}", "funnel")
        .replace(
            "{file}",
            if path.contains("/opportunities/") {
                "opportunities.csv"
            } else if path.contains("/compare/") {
                "board.svg"
            } else {
                "funnel.svg"
            },
        )
        .replace("{name}", "support")
        .replace("{token}", &token);
    if path.ends_with("/diff") {
        p.push_str("?from=1&to=2");
    }
    if path.ends_with("/portrait") {
        p.push_str("?base_version=1");
    }
    if path.contains("/logs/{log}/") {
        p.push_str("?step=search&step=compare");
    }
    let json = |v: serde_json::Value| (Body::from(v.to_string()), Some("application/json".to_string()));
    let (body, ct) = match (method, path) {
        ("POST", "/api/workspaces/{ws}/maps") => json(serde_json::json!({ "template": "support" })),
        ("POST", "/api/workspaces") => json(serde_json::json!({ "name": "Side project" })),
        ("PUT", "/api/me/password") => {
            json(serde_json::json!({ "current": crate::common::PASSWORD, "new": "a brand new password" }))
        }
        ("PUT", "/api/workspaces/{ws}/members/{user}") => json(serde_json::json!({ "role": "viewer" })),
        ("POST", "/api/workspaces/{ws}/personas") => json(serde_json::json!({ "name": "Sam", "goals": ["Be quick"] })),
        ("PUT", "/api/workspaces/{ws}/personas/{pid}") => {
            json(serde_json::json!({ "name": "Dana", "description": "Designer", "base_version": 1 }))
        }
        ("PUT", "/api/workspaces/{ws}/personas/{pid}/portrait") => {
            (Body::from(crate::common::png(40, 30)), Some("image/png".to_string()))
        }
        ("POST", "/api/workspaces/{ws}/invitations") => {
            json(serde_json::json!({ "email": "new@example.com", "role": "viewer" }))
        }
        ("PATCH", "/api/maps/{id}") => json(serde_json::json!({ "tags": ["a", "b"] })),
        ("PUT", "/api/maps/{id}/source") => {
            json(serde_json::json!({ "source": MAP_V2.replace("Pay: 4", "Pay: 5"), "message": "m" }))
        }
        ("POST", "/api/maps/{id}/edits") => {
            json(serde_json::json!({ "base_version": 2, "edit": { "op": "set_score", "step": "compare", "score": 4 } }))
        }
        ("PUT", "/api/maps/{id}/states") => json(serde_json::json!({ "current": 2, "future": 1 })),
        ("POST", "/api/maps/{id}/comments") => json(serde_json::json!({ "body": "Agreed" })),
        ("POST", "/api/maps/{id}/live/save") => json(serde_json::json!({ "message": "live" })),
        ("POST", "/api/maps/{id}/live/edits") => {
            json(serde_json::json!({ "edit": { "op": "set_score", "step": "compare", "score": 4 } }))
        }
        ("PUT", "/api/maps/{id}/comments/{cid}/resolved") => json(serde_json::json!({ "resolved": true })),
        ("POST", "/api/maps/{id}/shares") => json(serde_json::json!({ "expires_in_days": 7 })),
        ("PUT", "/api/maps/{id}/evidence") => json(serde_json::json!({ "evidence_id": null })),
        ("POST", "/api/maps/{id}/evidence/folder") => json(serde_json::json!({ "path": "server.csv" })),
        ("POST", "/api/maps/{id}/evidence/spark") => json(serde_json::json!({ "table": "events" })),
        ("POST", "/api/maps/{id}/evidence/rule") => {
            json(serde_json::json!({ "picks": [{ "field": "touchpoint", "values": ["search"] }] }))
        }
        ("POST", "/api/maps/{id}/evidence") => {
            let (ct, body) = multipart("events.csv", LOG.as_bytes());
            (Body::from(body), Some(ct))
        }
        ("POST", "/api/check") | ("POST", "/api/preview") => json(serde_json::json!({ "source": MAP_V2 })),
        ("POST", "/api/edit") => json(serde_json::json!({
            "source": MAP_V2, "edit": { "op": "set_score", "step": "compare", "score": 4 }
        })),
        ("POST", "/api/tokens") => json(serde_json::json!({ "name": "ci" })),
        _ => (Body::empty(), None),
    };
    (p, body, ct)
}

/// Denied: not signed in (401, or a page's redirect to sign in), not
/// allowed (403), or not visible (404).
fn is_denied(status: StatusCode, location: Option<&str>) -> bool {
    matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
        || (status.is_redirection() && location.is_some_and(|l| l.starts_with("/login")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_against_every_visitor() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for &(method, path, least) in SPEC {
        for who in Who::ALL {
            // A fresh workspace for each case: deleting the map as the owner
            // must not change what the next visitor sees.
            let f = Fixture::new();
            if path == "/api/workspaces/{ws}/logs/{log}" {
                // A log no map uses is the one that can be removed.
                let map = f.map;
                cjm_server::testing::write(&f.state, |tx| {
                    tx.execute("UPDATE maps SET evidence_id = NULL WHERE id = ?1", [map])?;
                    Ok(())
                })
                .unwrap();
            }
            let (uri, body, ct) = concrete(&f, who, method, path);
            let req = f.request(who, method, &uri, body, ct.as_deref());
            let answer = f.send(req).await;
            let location = answer.headers.get("location").and_then(|v| v.to_str().ok());
            let denied = is_denied(answer.status, location);
            // Attaching from Spark needs a cluster the fixture has not: an
            // answer from the service itself (no cluster) is past the role check.
            let no_cluster = path.ends_with("/evidence/spark")
                && answer.status == StatusCode::BAD_REQUEST
                && answer.text().contains("no Spark cluster");
            let ok = answer.status.is_success() || (answer.status.is_redirection() && !denied) || no_cluster;
            let expect = allowed(least, who);
            cases += 1;
            if expect && !ok {
                failures.push(format!(
                    "{method} {path} as {who:?}: expected allowed, got {} {}",
                    answer.status,
                    answer.text().chars().take(200).collect::<String>()
                ));
            }
            if !expect && !denied {
                failures.push(format!("{method} {path} as {who:?}: expected denied, got {}", answer.status));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cases} cases wrong:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(cases, SPEC.len() * Who::ALL.len());
}

#[tokio::test]
async fn a_revoked_or_expired_share_link_opens_nothing() {
    let f = Fixture::new();
    assert_eq!(f.get(Who::Anonymous, &format!("/s/{}", f.share_token)).await.status, StatusCode::OK);
    let revoke = f
        .json(Who::Editor, "DELETE", &format!("/api/maps/{}/shares/{}", f.map, f.share), serde_json::Value::Null)
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT, "{}", revoke.text());
    for path in ["", "/map.svg", "/download/png"] {
        assert_eq!(f.get(Who::Anonymous, &format!("/s/{}{path}", f.share_token)).await.status, StatusCode::NOT_FOUND);
    }
    let f = Fixture::new();
    cjm_server::testing::write(&f.state, |tx| {
        tx.execute("UPDATE share_links SET expires_at = 1", []).map_err(cjm_server::AppError::from)
    })
    .unwrap();
    assert_eq!(f.get(Who::Anonymous, &format!("/s/{}", f.share_token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(Who::Anonymous, "/s/not-a-token").await.status, StatusCode::NOT_FOUND);
}
