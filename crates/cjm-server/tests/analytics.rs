//! The log pages: every view answers for a viewer, figures equal the
//! engine's on the same filters, bad questions are answered with the
//! field at fault, another workspace's log is invisible, and hostile
//! values from a log are escaped in every chart and table.

use crate::common::{multipart, Fixture, Who};
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::json;

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

/// A breakdown's segment links to its funnel alone, where its dropped
/// customers download: c1 and c3 on the web, c2 in the app.
#[tokio::test]
async fn a_segment_of_a_breakdown_opens_its_own_funnel_and_dropped_customers() {
    let f = Fixture::new();
    let csv = "customer_id,timestamp,touchpoint,channel\n\
        c1,2026-01-01T10:00:00Z,search,web\nc1,2026-01-01T10:01:00Z,compare,web\n\
        c2,2026-01-01T11:00:00Z,search,app\nc2,2026-01-01T11:01:00Z,compare,app\nc2,2026-01-01T11:02:00Z,pay,app\n\
        c3,2026-01-02T09:00:00Z,search,web\n";
    let (ct, body) = multipart("channels.csv", csv.as_bytes());
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let up = f.send(req).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let log = up.value()["evidence"]["id"].as_i64().unwrap();
    let base = format!("/w/{}/logs/{log}/funnel", f.ws);
    let q = "step=search&step=compare&step=pay";
    let page = f.get(Who::Viewer, &format!("{base}?{q}&by=channel")).await.text();
    let link = format!("href=\"{base}?segment=channel%3Dweb&amp;{}\"", q.replace('&', "&amp;"));
    assert!(page.contains(&link), "the web segment links {link}");
    let web = f.get(Who::Viewer, &format!("{base}/dropped.csv?segment=channel%3Dweb&{q}")).await.text();
    assert_eq!(web, "dropped_before_step,step,customer_id\n2,compare,c3\n3,pay,c1\n");
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
pub(crate) fn tags(doc: &str) -> Vec<String> {
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

/// Evidence by clicking: the values of the map's log with their counts,
/// each counted here from the rows; a rule from picks in canonical form
/// with the customers and events it matches (counted here too); a rule
/// read back into picks; a field the log lacks named; bounds; hostile
/// values kept as data.
#[tokio::test]
async fn a_steps_rule_is_picked_from_the_logs_values_with_their_counts() {
    let f = Fixture::new();
    let path = format!("/api/maps/{}/evidence", f.map);
    let mut csv = String::from("customer_id,timestamp,touchpoint,channel,plan\n");
    let mut rows = Vec::new();
    for i in 0..60u32 {
        let (c, tp) = (format!("c{}", i % 17), ["search", "compare", "pay", "Pay \"now\" <b>"][(i % 4) as usize]);
        let (ch, plan) = (["web", "app", "phone"][(i % 3) as usize], ["gold", "free"][(i % 17 % 2) as usize]);
        csv.push_str(&format!("{c},2026-01-{:02}T10:00:00Z,\"{}\",{ch},{plan}\n", 1 + i % 28, tp.replace('"', "\"\"")));
        rows.push((c, tp.to_string(), ch.to_string(), plan.to_string()));
    }
    let (ct, body) = multipart("rich.csv", csv.as_bytes());
    let up = f.send(f.request(Who::Editor, "POST", &path, Body::from(body), Some(&ct))).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());

    let values = f.get(Who::Viewer, &format!("/api/maps/{}/evidence/values", f.map)).await;
    assert_eq!(values.status, StatusCode::OK, "{}", values.text());
    let values = values.value();
    let field = |name: &str| {
        values
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["field"] == name)
            .unwrap_or_else(|| panic!("{name}: {values}"))
            .clone()
    };
    for (name, of) in [("touchpoint", 1usize), ("channel", 2), ("plan", 3)] {
        let fv = field(name);
        let mut want: std::collections::BTreeMap<String, (std::collections::BTreeSet<String>, u64)> =
            Default::default();
        for r in &rows {
            let v = [&r.0, &r.1, &r.2, &r.3][of].clone();
            let e = want.entry(v).or_default();
            e.0.insert(r.0.clone());
            e.1 += 1;
        }
        assert_eq!(fv["distinct"], want.len(), "{name}");
        for v in fv["values"].as_array().unwrap() {
            let (cs, events) = &want[v["value"].as_str().unwrap()];
            assert_eq!(
                (v["customers"].as_u64().unwrap(), v["events"].as_u64().unwrap()),
                (cs.len() as u64, *events),
                "{name} {v}"
            );
        }
        let order: Vec<u64> =
            fv["values"].as_array().unwrap().iter().map(|v| v["customers"].as_u64().unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] >= w[1]), "most customers first: {order:?}");
    }

    let rule_path = format!("/api/maps/{}/evidence/rule", f.map);
    let picks = json!({ "picks": [
        { "field": "touchpoint", "values": ["pay", "Pay \"now\" <b>"] },
        { "field": "channel", "values": ["web"] },
    ] });
    let a = f.json(Who::Editor, "POST", &rule_path, picks).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = a.value();
    assert_eq!(a["rule"], r#"touchpoint in ("pay", "Pay \"now\" <b>") and channel = "web""#);
    let hits: Vec<_> = rows.iter().filter(|r| (r.1 == "pay" || r.1.starts_with("Pay \"now")) && r.2 == "web").collect();
    let customers: std::collections::BTreeSet<_> = hits.iter().map(|r| &r.0).collect();
    assert_eq!(
        (a["events"].as_u64(), a["customers"].as_u64()),
        (Some(hits.len() as u64), Some(customers.len() as u64)),
        "{a}"
    );
    assert_eq!(a["of_customers"], 17);
    // Read back: the same picks; a rule of another shape has none but is counted.
    let back = f.json(Who::Editor, "POST", &rule_path, json!({ "rule": a["rule"] })).await.value();
    assert_eq!(back["picks"][0]["values"], json!(["pay", "Pay \"now\" <b>"]));
    assert_eq!(back["customers"], a["customers"]);
    let other = f.json(Who::Editor, "POST", &rule_path, json!({ "rule": "not channel = \"web\"" })).await.value();
    assert!(other["picks"].is_null() && other["events"].as_u64().unwrap() == 40, "{other}");
    let lacking = f
        .json(Who::Editor, "POST", &rule_path, json!({ "picks": [{ "field": "region", "values": ["x"] }] }))
        .await
        .value();
    assert!(lacking["problem"].as_str().unwrap().contains("no field `region`"), "{lacking}");
    // Bounds, and a viewer may look but not make rules.
    let many: Vec<String> = (0..501).map(|i| format!("v{i}")).collect();
    let big = f.json(Who::Editor, "POST", &rule_path, json!({ "picks": [{ "field": "plan", "values": many }] })).await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", big.text());
    let both = f.json(Who::Editor, "POST", &rule_path, json!({ "rule": "a = 1", "picks": [] })).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = f.json(Who::Editor, "POST", &rule_path, json!({ "rule": "touchpoint = " })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.json(Who::Viewer, "POST", &rule_path, json!({ "rule": "" })).await.status, StatusCode::FORBIDDEN);
}

/// Compare: two periods of one log, or two logs, side by side; each side
/// holds what its own page shows (the fixture by hand: the first day has
/// c1 and c2, the second c3 alone), each side's downloads point at its
/// own log, and a log of another workspace, or a `vs` that is not a
/// number, is refused.
#[tokio::test]
async fn two_periods_or_two_logs_compare_side_by_side() {
    let f = Fixture::new();
    let funnel = "/funnel?step=search&step=compare&step=pay";
    let page = f.get(Who::Viewer, &log_url(&f, &format!("{funnel}&to=2026-01-02&from2=2026-01-02"))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let page = page.text();
    let (a, b) = page.split_once("aria-label=\"Side B\"").expect("two sides");
    assert!(a.contains("aria-label=\"Side A\"") && !a.contains("all time") && a.contains("before 2026-01-02"));
    // Side A (day 1): search 2, compare 2 (100%), pay 1 (50%). Side B (day 2): search 1, then no one.
    let row = |side: &str, cells: &[&str]| {
        let want = cells.iter().map(|c| format!("<td class=\"num\">{c}</td>")).collect::<String>();
        side.contains(&want)
    };
    assert!(row(a, &["2", "100.0%", "0.0%"]) && row(a, &["1", "50.0%", "50.0%"]), "side A");
    assert!(row(b, &["1", "100.0%", "0.0%"]) && row(b, &["0", "0.0%", "100.0%"]), "side B");
    assert!(b.contains("from 2026-01-02"));
    // The headline: counts with their change, shares in points.
    let head = |cells: [&str; 4]| {
        let [l, x, y, d] = cells;
        format!("<td>{l}</td><td class=\"num\">{x}</td><td class=\"num\">{y}</td><td class=\"num\">{d}</td>")
    };
    assert!(a.contains(&head(["Customers", "2", "1", "−1 (−50.0%)"])), "customers A against B");
    assert!(a.contains(&head(["Converted, of all customers", "50.0%", "0.0%", "−50.0 pts"])));
    assert!(a.contains(&head(["2. compare (conversion)", "100.0%", "0.0%", "−100.0 pts"])));
    // Each side equals its own page.
    let alone = f.get(Who::Viewer, &log_url(&f, &format!("{funnel}&from=2026-01-02"))).await.text();
    assert!(row(&alone, &["1", "100.0%", "0.0%"]));
    // The SVG ids of the two sides differ.
    assert!(a.contains("id=\"a-funnel") && b.contains("id=\"b-funnel"));

    // Another log of the workspace: upload one with one more customer.
    let (ct, body) =
        multipart("more.csv", format!("{}c4,2026-01-03T09:00:00Z,search\n", crate::common::LOG).as_bytes());
    let up = f
        .send(f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct)))
        .await;
    let other = up.value()["evidence"]["id"].as_i64().unwrap();
    let page = f.get(Who::Viewer, &log_url(&f, &format!("{funnel}&vs={other}"))).await.text();
    let (a, b) = page.split_once("aria-label=\"Side B\"").expect("two sides");
    assert!(row(a, &["3", "100.0%", "0.0%"]) && row(b, &["4", "100.0%", "0.0%"]), "three against four customers");
    assert!(
        b.contains("more.csv") && b.contains(&format!("/w/{}/logs/{other}/funnel/chart/funnel.svg", f.ws)),
        "B downloads its own log's chart"
    );
    assert!(page.contains("Stop comparing"));
    assert_eq!(
        f.get(Who::Viewer, &log_url(&f, &format!("{funnel}&vs={}", other + 1000))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(f.get(Who::Viewer, &log_url(&f, &format!("{funnel}&vs=x"))).await.status, StatusCode::BAD_REQUEST);
    // Tabs keep the comparison.
    assert!(page.contains(&format!("/w/{}/logs/{}/variants?vs={other}", f.ws, f.log)), "tabs keep vs");
}

/// A variant measures the map on its customers only: the variants page
/// links each map using the log, and the map's evidence page then counts
/// just those customers (by hand: search → compare is c2 alone).
#[tokio::test]
async fn a_variant_measures_the_map_on_its_customers_only() {
    let f = Fixture::new();
    let variants = f.get(Who::Viewer, &log_url(&f, "/variants")).await.text();
    let link = format!("/m/{}/evidence?variant=search+%E2%86%92+compare#figures", f.map);
    assert!(variants.contains(&link.replace('&', "&amp;")), "a measure link per map: {link}");
    let all = f.get(Who::Viewer, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(all.contains("3 customers, "), "the whole log");
    let page = f.get(Who::Viewer, &link.replace("#figures", "")).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert!(
        page.contains("Measured on the 1 customer whose journey is exactly <strong>search → compare</strong>"),
        "the note"
    );
    assert!(page.contains("1 customer, 2 events."), "figures of c2 alone: search and compare");
    assert!(!page.contains("3 customers, "));
    // A variant nobody takes measures nobody; an overlong one is refused.
    let none = f.get(Who::Viewer, &format!("/m/{}/evidence?variant=pay", f.map)).await.text();
    assert!(none.contains("Measured on the 0 customers"));
    let long = "x".repeat(10_000);
    assert_eq!(
        f.get(Who::Viewer, &format!("/m/{}/evidence?variant={long}", f.map)).await.status,
        StatusCode::BAD_REQUEST
    );
}

/// The hostile-text corpus as opportunities, their owners and their
/// steps' pains: neither portfolio page nor the matrix lets it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_are_escaped_in_the_portfolio() {
    let f = Fixture::new();
    let corpus: serde_json::Value = serde_json::from_str(include_str!("../../../testdata/hostile-text.json")).unwrap();
    let strings: Vec<String> =
        corpus["strings"].as_array().unwrap().iter().filter_map(|s| s.as_str()).map(str::to_string).collect();
    let steps: Vec<serde_json::Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let short: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
            let (impact, effort) = (["low", "medium", "high"][i % 3], ["low", "high"][i % 2]);
            json!({
                "id": format!("s{i}"), "name": format!("Step {i}"), "score": 3,
                "pains": [{ "text": s, "severity": 1 + i % 5 }],
                "opportunities": [{ "text": s, "impact": impact, "effort": effort, "owner": short }],
            })
        })
        .collect();
    let journey =
        json!({ "format": "cjm/1", "title": "Hostile", "stages": [{ "id": "st", "name": "Stage", "steps": steps }] });
    let made =
        f.json(Who::Editor, "POST", &format!("/api/workspaces/{}/maps", f.ws), json!({ "journey": journey })).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let id = made.value()["id"].as_i64().unwrap();
    for path in [
        format!("/m/{id}/opportunities"),
        format!("/w/{}/opportunities", f.ws),
        format!("/m/{id}/opportunities/matrix.svg"),
        format!("/w/{}/opportunities?owner={}", f.ws, urlencode(&strings[0])),
    ] {
        let a = f.get(Who::Viewer, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        for tag in tags(&a.text()) {
            let name = tag.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            assert!(name != "img" && (name != "script" || tag.contains(" src")), "{path} lets <{tag}> through");
            let handler = tag.split_whitespace().skip(1).find(|w| w.to_ascii_lowercase().starts_with("on"));
            assert!(handler.is_none(), "{path} lets an event handler through: <{tag}>");
        }
    }
}
