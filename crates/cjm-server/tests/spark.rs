//! Logs on Apache Spark (`cjm serve --spark`): what is refused before the
//! cluster is asked, a cluster that does not answer, and (ignored, run by
//! scripts/spark-parity.sh on a real server) the same figures as the same
//! log uploaded.

use crate::common::{Fixture, Who};
use axum::http::StatusCode;
use serde_json::json;

fn spark_path(f: &Fixture) -> String {
    format!("/api/maps/{}/evidence/spark", f.map)
}

async fn logs(f: &Fixture) -> usize {
    f.get(Who::Viewer, &format!("/api/maps/{}/evidence", f.map)).await.value()["logs"].as_array().unwrap().len()
}

#[tokio::test]
async fn spark_logs_are_checked_before_the_cluster_is_asked() {
    // A server with no cluster attaches nothing from one.
    let f = Fixture::new();
    let a = f.json(Who::Editor, "POST", &spark_path(&f), json!({ "table": "events" })).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert!(a.text().contains("no Spark cluster"), "{}", a.text());
    let page = f.get(Who::Editor, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(!page.contains("A log on Spark"));

    // A port nobody listens on: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let f = Fixture::with(|c| {
        c.spark = Some(format!("sc://127.0.0.1:{port}"));
        c.spark_paths = vec!["/data/logs/".into()];
    });
    let page = f.get(Who::Editor, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(page.contains("A log on Spark") && page.contains("or path"), "editors get the form");
    assert!(!f.get(Who::Viewer, &format!("/m/{}/evidence", f.map)).await.text().contains("A log on Spark"));
    let viewer = f.json(Who::Viewer, "POST", &spark_path(&f), json!({ "table": "events" })).await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    let before = logs(&f).await;
    for (body, status, says) in [
        (json!({ "table": "x; DROP TABLE y" }), 422, "letters, digits and _"),
        (json!({ "table": "a.b.c.d" }), 422, "letters, digits and _"),
        (json!({ "path": "/etc/passwd" }), 422, "give a path under `/data/logs/`"),
        (json!({ "path": "/data/logs/../secret" }), 422, "give a path under"),
        (json!({ "table": "t", "path": "/data/logs/e.parquet" }), 400, "not both"),
        (json!({}), 400, "give the table"),
    ] {
        let a = f.json(Who::Editor, "POST", &spark_path(&f), body.clone()).await;
        assert_eq!(a.status.as_u16(), status, "{body}: {}", a.text());
        assert!(a.text().contains(says), "{body}: {}", a.text());
    }
    let unknown = f.json(Who::Editor, "POST", &spark_path(&f), json!({ "table": "t", "sql": "x" })).await;
    assert!(unknown.status.is_client_error(), "unknown fields are refused");

    // A well-formed table: the cluster does not answer (or this build has
    // no client), said as such, and nothing is recorded.
    let started = std::time::Instant::now();
    let a = f.json(Who::Editor, "POST", &spark_path(&f), json!({ "table": "sales.events" })).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text());
    let said = a.text();
    if cfg!(feature = "spark") {
        assert!(said.contains(&format!("no Spark Connect server answered at sc://127.0.0.1:{port}")), "{said}");
    } else {
        assert!(said.contains("built without Spark"), "{said}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(12), "within the stated timeout");
    assert_eq!(logs(&f).await, before, "nothing recorded");
}

/// The parts of a log page a Spark log and an upload share: from the
/// first card of figures to the end of the page, the log's name and id
/// written alike.
#[cfg(feature = "spark")]
fn figures_of(page: &str, name: &str, id: i64) -> String {
    let start = page.find("<h2>The log</h2>").or_else(|| page.find("class=\"card chart")).unwrap_or(0);
    without_map_links(&unnamed(&page[start..], name)).replace(&format!("/logs/{id}/"), "/logs/ID/")
}

/// A variants page without its links to measure the maps that use the
/// log (` · <a href="/m/…">measure …</a>`): a map uses one log at a time,
/// here the Spark log the test attached last.
#[cfg(feature = "spark")]
fn without_map_links(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find(" · <a href=\"/m/") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("</a>").map_or(rest.len(), |e| at + e + "</a>".len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with the log's name written `LOG`, whole or cut short with an
/// ellipsis (a chart's title cuts a long path to its width) after at
/// least eight characters (a shorter cut could be any text's).
#[cfg(feature = "spark")]
fn unnamed(text: &str, name: &str) -> String {
    let mut out = text.replace(name, "LOG");
    for (cut, _) in name.char_indices().skip(8).collect::<Vec<_>>().into_iter().rev() {
        out = out.replace(&format!("{}…", &name[..cut]), "LOG");
    }
    out
}

/// A GET as a person reloads it: a request past the server's 30 s limit
/// answers `503` while the cluster's work goes on and is kept, so the
/// next one finds it (a loaded machine can take that long).
#[cfg(feature = "spark")]
async fn patiently(f: &Fixture, path: &str) -> crate::common::Answer {
    for _ in 0..8 {
        let a = f.get(Who::Viewer, path).await;
        if a.status != StatusCode::SERVICE_UNAVAILABLE || !a.text().contains("the work goes on") {
            return a;
        }
    }
    panic!("{path}: still not answered after eight tries")
}

/// The evidence page's figures measured on a variant: from its note to
/// the end of the figures card (what follows differs by log kind).
#[cfg(feature = "spark")]
fn variant_figures(page: &str) -> String {
    let start = page.find("class=\"variant-note\"").unwrap_or(0);
    let end = ["id=\"draft-from-data\"", "id=\"workspace-logs\""]
        .iter()
        .filter_map(|m| page[start..].find(m))
        .min()
        .map_or(page.len(), |e| start + e);
    page[start..end].to_string()
}

/// Two texts equal, or where they first differ (pages are long).
#[cfg(feature = "spark")]
fn same(spark: &str, here: &str, what: &str) {
    if spark == here {
        return;
    }
    let at = spark.bytes().zip(here.bytes()).take_while(|(a, b)| a == b).count();
    let around = |t: &str| {
        let lo = t.floor_char_boundary(at.saturating_sub(200));
        let hi = t.ceil_char_boundary((at + 300).min(t.len()));
        t[lo..hi].to_string()
    };
    panic!("{what}: Spark's differs at byte {at}:\n  spark: {}\n  here:  {}", around(spark), around(here));
}

#[cfg(feature = "spark")]
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Spark Connect server: scripts/spark-parity.sh sets CJM_SPARK_URL and CJM_SPARK_SERVER_LOG"]
async fn on_spark_the_web_app_gives_the_figures_of_the_same_log_uploaded() {
    use crate::common::multipart;
    use axum::body::Body;
    let url = std::env::var("CJM_SPARK_URL").expect("CJM_SPARK_URL");
    // A log in the canonical layout, the map measured against it, and the
    // questions asked of its pages (`VIEW?QUERY`, one per line).
    let log = std::path::PathBuf::from(std::env::var("CJM_SPARK_SERVER_LOG").expect("CJM_SPARK_SERVER_LOG"));
    let map = std::fs::read_to_string(std::env::var("CJM_SPARK_SERVER_MAP").expect("CJM_SPARK_SERVER_MAP")).unwrap();
    let questions = std::env::var("CJM_SPARK_SERVER_ASK").expect("CJM_SPARK_SERVER_ASK");
    let dir = log.parent().unwrap().to_string_lossy().into_owned();
    let f = Fixture::with(|c| {
        c.spark = Some(url);
        c.spark_paths = vec![dir];
    });
    let saved = f.save(f.map, &map, Some(2)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());

    // The log uploaded: the embedded engine's figures.
    let name = log.file_name().unwrap().to_string_lossy().into_owned();
    let (ct, body) = multipart(&name, &std::fs::read(&log).unwrap());
    let req = f.request(Who::Editor, "POST", &format!("/api/maps/{}/evidence", f.map), Body::from(body), Some(&ct));
    let up = f.send(req).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let here = up.value()["evidence"]["id"].as_i64().unwrap();
    let measured_here = f.get(Who::Viewer, &format!("/api/maps/{}/measure", f.map)).await;
    assert_eq!(measured_here.status, StatusCode::OK, "{}", measured_here.text());
    // The map measured on one variant's customers (the variants page's
    // offer), for the variant the questions filter by.
    let variant = questions.lines().find_map(|l| l.trim().strip_prefix("process?variant=")).map(str::to_string);
    let on_variant = format!("/m/{}/evidence?variant={}", f.map, variant.clone().unwrap_or_default());
    let variant_here = variant_figures(&patiently(&f, &on_variant).await.text());

    // The same file on Spark.
    let path = log.to_string_lossy().into_owned();
    let on = f.json(Who::Editor, "POST", &format!("/api/maps/{}/evidence/spark", f.map), json!({ "path": path })).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text());
    let v = on.value();
    assert_eq!(v["evidence"]["on_spark"], true, "{v}");
    let spark = v["evidence"]["id"].as_i64().unwrap();
    let up_summary = patiently(&f, &format!("/api/maps/{}/evidence", f.map)).await.value()["summary"].clone();
    for k in ["events", "customers", "touchpoints", "channels"] {
        assert!(up_summary[k].as_u64().unwrap() > 0, "{k}: {up_summary}");
    }
    let measured_spark = patiently(&f, &format!("/api/maps/{}/measure", f.map)).await;
    assert_eq!(measured_spark.status, StatusCode::OK, "{}", measured_spark.text());
    same(&measured_spark.text(), &measured_here.text(), "the measured map");
    let map_page = patiently(&f, &format!("/m/{}/evidence", f.map)).await.text();
    assert!(map_page.contains("The map measured") && map_page.contains("On the server's Spark cluster"));
    if variant.is_some() {
        let variant_spark = variant_figures(&patiently(&f, &on_variant).await.text());
        assert!(variant_here.contains("customers whose journey is"), "{variant_here}");
        same(&variant_spark, &variant_here, "the map measured on one variant's customers");
    }

    let mut asked = 0;
    for q in questions.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (view, query) = q.split_once('?').unwrap_or((q, ""));
        let page = |id: i64| {
            let tail = if view.is_empty() { String::new() } else { format!("/{view}") };
            format!("/w/{}/logs/{id}{tail}?{query}", f.ws)
        };
        let (a, b) = (f.get(Who::Viewer, &page(here)).await, patiently(&f, &page(spark)).await);
        assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK), "{q}: {}", b.text());
        assert!(!b.text().contains("error-box"), "{q}: {}", b.text());
        same(&figures_of(&b.text(), &path, spark), &figures_of(&a.text(), &name, here), &format!("{q}: the page"));
        if !view.is_empty() {
            let file = if view == "trends" { "trend" } else { view };
            let chart = |id: i64| format!("/w/{}/logs/{id}/{view}/chart/{file}.svg?{query}", f.ws);
            let (a, b) = (f.get(Who::Viewer, &chart(here)).await, patiently(&f, &chart(spark)).await);
            assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.text());
            same(&unnamed(&b.text(), &path), &unnamed(&a.text(), &name), &format!("{q}: the chart"));
        }
        asked += 1;
    }
    assert!(asked >= 5, "every view Spark computes is asked: {asked}");
    let variants = patiently(&f, &format!("/w/{}/logs/{spark}/variants", f.ws)).await.text();
    assert!(
        variants.contains(&format!("<a href=\"/m/{}/evidence?variant=", f.map)),
        "the map is offered on a variant: {variants}"
    );
    // A channel or a paths anchor the log lacks is named, as for the upload.
    for id in [here, spark] {
        let page = patiently(&f, &format!("/w/{}/logs/{id}/variants?channel=Nope", f.ws)).await.text();
        assert!(page.contains("Channel: the log has no channel `Nope`"), "{page}");
        let page = patiently(&f, &format!("/w/{}/logs/{id}/paths?anchor=from&at=Nope", f.ws)).await.text();
        assert!(page.contains("the log has no touchpoint `Nope`"), "{page}");
    }
    // The same log as pandas wrote it (not in the canonical layout): read
    // on the cluster by cjm's reader rules, the same figures.
    if let Ok(foreign) = std::env::var("CJM_SPARK_SERVER_FOREIGN") {
        let on = f
            .json(Who::Editor, "POST", &format!("/api/maps/{}/evidence/spark", f.map), json!({ "path": foreign }))
            .await;
        assert_eq!(on.status, StatusCode::OK, "{}", on.text());
        let id = on.value()["evidence"]["id"].as_i64().unwrap();
        let measured = patiently(&f, &format!("/api/maps/{}/measure", f.map)).await;
        same(&measured.text(), &measured_here.text(), "the measured map of the foreign file");
        let page = patiently(&f, &format!("/m/{}/evidence", f.map)).await.text();
        assert!(
            page.contains("read on the cluster by cjm&#39;s rules")
                || page.contains("read on the cluster by cjm's rules"),
            "the evidence page says how the foreign file was read: {page}"
        );
        assert!(page.contains("the customer from <code>case:concept:name</code>"), "{page}");
        for q in questions.lines().map(str::trim).filter(|l| !l.is_empty()).take(4) {
            let (view, query) = q.split_once('?').unwrap_or((q, ""));
            let tail = if view.is_empty() { String::new() } else { format!("/{view}") };
            let page = |id: i64| format!("/w/{}/logs/{id}{tail}?{query}", f.ws);
            let (a, b) = (f.get(Who::Viewer, &page(here)).await, patiently(&f, &page(id)).await);
            assert_eq!(b.status, StatusCode::OK, "{q}: {}", b.text());
            same(
                &figures_of(&b.text(), &foreign, id),
                &figures_of(&a.text(), &name, here),
                &format!("{q}: the foreign file's page"),
            );
        }
    }
    eprintln!("the web app on Spark: measured map and {asked} log pages equal the upload's");
}
