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
