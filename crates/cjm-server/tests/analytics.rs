//! The log pages: every view answers for a viewer, figures equal the
//! engine's on the same filters, bad questions are answered with the
//! field at fault, another workspace's log is invisible, and hostile
//! values from a log are escaped in every chart and table.

use crate::common::{multipart, Fixture, Who};
use axum::body::Body;
use axum::http::StatusCode;

const VIEWS: [&str; 6] = ["", "/funnel", "/paths", "/process", "/variants", "/trends"];

fn log_url(f: &Fixture, rest: &str) -> String {
    format!("/w/{}/logs/{}{rest}", f.ws, f.log)
}

#[tokio::test]
async fn every_view_answers_a_viewer_with_a_chart_and_a_table() {
    let f = Fixture::new();
    for v in VIEWS {
        let a = f.get(Who::Viewer, &log_url(&f, &format!("{v}?step=search&step=compare&step=pay"))).await;
        assert_eq!(a.status, StatusCode::OK, "{v}: {}", a.text());
        let page = a.text();
        assert!(page.contains("table class=\"list data"), "{v} has a data table");
        if !v.is_empty() {
            assert!(page.contains("<svg"), "{v} draws a chart");
        }
    }
    assert_eq!(f.get(Who::Viewer, &log_url(&f, "/nonsense")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(Who::Viewer, &format!("/w/{}/logs", f.ws)).await.status, StatusCode::OK);
}

/// The fixture's log by hand: c1 search→compare→pay, c2 search→compare,
/// c3 search. The funnel, the variants and the paths follow.
#[tokio::test]
async fn the_figures_are_the_logs_own() {
    let f = Fixture::new();
    let funnel = f.get(Who::Viewer, &log_url(&f, "/funnel?step=search&step=compare&step=pay")).await.text();
    let row = |page: &str, cells: &[&str]| {
        let want = cells.iter().map(|c| format!("<td class=\"num\">{c}</td>")).collect::<String>();
        assert!(page.contains(&want), "expected a row with {cells:?}");
    };
    // search 3 of 3 (100%), compare 2 of 3 (66.7%), pay 1 of 2 (50%).
    row(&funnel, &["3", "100.0%", "0.0%"]);
    row(&funnel, &["2", "66.7%", "33.3%"]);
    row(&funnel, &["1", "50.0%", "50.0%"]);
    let variants = f.get(Who::Viewer, &log_url(&f, "/variants")).await.text();
    for seq in ["search → compare → pay", "search → compare", "search"] {
        assert!(variants.contains(&format!("<td>{seq}</td>")), "variant {seq}");
    }
    let paths = f.get(Who::Viewer, &log_url(&f, "/paths?anchor=from&at=compare&depth=2")).await.text();
    // From compare: 2 customers; one goes on to pay, one ends.
    assert!(paths
        .contains("<td>step 1: compare</td><td>step 2: pay</td><td class=\"num\">1</td><td class=\"num\">50.0%</td>"));
    assert!(paths.contains("<td>step 1: compare</td><td>step 2: journey ends</td><td class=\"num\">1</td>"));
    // A filter narrows every view: the first day holds c1 and c2 only.
    let first_day = f.get(Who::Viewer, &log_url(&f, "/variants?to=2026-01-02")).await.text();
    assert!(!first_day.contains("<td>search</td>"), "c3 is on the second day");
    assert!(first_day.contains("from") || first_day.contains("before 2026-01-02"));
}

#[tokio::test]
async fn a_bad_question_names_its_field_and_charts_refuse_it() {
    let f = Fixture::new();
    let cases = [
        ("/paths?depth=99", "Steps deep"),
        ("/paths?anchor=from&at=nowhere", "Touchpoint"),
        ("/funnel?step=search&window=soon", "Within"),
        ("/funnel?step=search&by=planet", "Break down by"),
        ("/variants?from=yesterday", "From"),
        ("/process?simplify=0", "Transitions kept"),
        ("/trends?interval=fortnight", "Period"),
        ("?segment=novalue", "Segment"),
        ("?channel=carrier-pigeon", "Channel"),
    ];
    for (q, label) in cases {
        let a = f.get(Who::Viewer, &log_url(&f, q)).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: the page still opens");
        assert!(a.text().contains(&format!("{label}: ")), "{q}: names {label}");
    }
    let chart = f.get(Who::Viewer, &log_url(&f, "/paths/chart/paths.svg?depth=99")).await;
    assert_eq!(chart.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(2000);
    assert_eq!(f.get(Who::Viewer, &log_url(&f, &format!("?where={long}"))).await.status, StatusCode::BAD_REQUEST);
    let many: String = (0..30).map(|i| format!("&step=s{i}")).collect();
    assert_eq!(f.get(Who::Viewer, &log_url(&f, &format!("/funnel?{many}"))).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_workspaces_log_is_not_found() {
    let f = Fixture::new();
    // The log's id under the path of a workspace its visitor owns.
    let a = f.get(Who::OtherOwner, &format!("/w/{}/logs/{}", f.other_ws, f.log)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = f.get(Who::OtherOwner, &format!("/w/{}/logs/{}/funnel/dropped.csv?step=search", f.other_ws, f.log)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn charts_download_in_three_formats_and_dropped_customers_as_csv() {
    let f = Fixture::new();
    let q = "?step=search&step=compare&step=pay";
    for (file, mime) in
        [("funnel.svg", "image/svg+xml"), ("funnel.png", "image/png"), ("funnel.pdf", "application/pdf")]
    {
        let a = f.get(Who::Viewer, &log_url(&f, &format!("/funnel/chart/{file}{q}"))).await;
        assert_eq!(a.status, StatusCode::OK, "{file}");
        assert_eq!(a.headers["content-type"], mime);
    }
    let csv = f.get(Who::Viewer, &log_url(&f, &format!("/funnel/dropped.csv{q}"))).await.text();
    assert_eq!(csv, "dropped_before_step,step,customer_id\n2,compare,c3\n3,pay,c2\n");
    let one = f.get(Who::Viewer, &log_url(&f, &format!("/funnel/dropped.csv{q}&at_step=3"))).await.text();
    assert_eq!(one, "dropped_before_step,step,customer_id\n3,pay,c2\n");
    let none = f.get(Who::Viewer, &log_url(&f, "/trends/chart/conversion.svg")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "no steps, no conversion chart");
}

/// A log whose customers, touchpoints and channels are the hostile-text
/// corpus: no view lets any of it out as markup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_are_escaped_in_every_chart_and_table() {
    let f = Fixture::new();
    let corpus: serde_json::Value = serde_json::from_str(include_str!("../../../testdata/hostile-text.json")).unwrap();
    let strings: Vec<String> =
        corpus["strings"].as_array().unwrap().iter().filter_map(|s| s.as_str()).map(str::to_string).collect();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from("customer_id,timestamp,touchpoint,channel\n");
    for (i, s) in strings.iter().enumerate() {
        for (k, t) in [s.as_str(), "next", s.as_str()].iter().enumerate() {
            csv.push_str(&format!("{},2026-01-0{}T10:0{k}:00Z,{},{}\n", quote(s), 1 + i % 5, quote(t), quote(s)));
        }
    }
    let (ct, body) = multipart("hostile.csv", csv.as_bytes());
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let up = f.send(req).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let log = up.value()["evidence"]["id"].as_i64().unwrap();
    let first = urlencode(&strings[0]);
    let pages = VIEWS.iter().map(|v| format!("{v}?step={first}&step=next&by=channel"));
    let charts = [
        "/funnel/chart/funnel.svg",
        "/paths/chart/paths.svg",
        "/process/chart/process.svg",
        "/variants/chart/variants.svg",
    ]
    .iter()
    .map(|c| format!("{c}?step={first}&step=next&by=channel"));
    for rest in pages.chain(charts).chain([format!("/paths?anchor=from&at={first}"), format!("?channel={first}")]) {
        let a = f.get(Who::Viewer, &format!("/w/{}/logs/{log}{rest}", f.ws)).await;
        assert_eq!(a.status, StatusCode::OK, "{rest}: {}", a.text().chars().take(300).collect::<String>());
        for tag in tags(&a.text()) {
            let name = tag.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            assert!(name != "img" && (name != "script" || tag.contains(" src")), "{rest} lets <{tag}> through");
            let handler = tag.split_whitespace().skip(1).find(|w| w.to_ascii_lowercase().starts_with("on"));
            assert!(handler.is_none(), "{rest} lets an event handler through: <{tag}>");
        }
    }
}

/// Every tag of a document with its double-quoted attribute values taken
/// out: what is left is markup the page (or an injection) wrote, since an
/// escaped value holds no `"`, `<` or `>`.
fn tags(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        let inner = &rest[open + 1..open + close];
        let mut tag = String::new();
        let mut in_value = false;
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if in_value {
                in_value = c != '"';
            } else if c == '=' && chars.peek() == Some(&'"') {
                chars.next();
                in_value = true;
            } else {
                tag.push(c);
            }
        }
        out.push(tag);
        rest = &rest[open + close + 1..];
    }
    out
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
