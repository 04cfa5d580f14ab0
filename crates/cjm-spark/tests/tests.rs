//! cjm-spark's tests: the generated SQL as golden text (no server needed),
//! the decoding of answers into parts, and — with the `client` feature and
//! a server started by `scripts/spark-parity.sh` — the summary computed on
//! a real Spark, byte for byte against the peers' and the in-memory engine's.

use arrow_array::builder::{Decimal128Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use cjm_spark::decode::Results;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn compare(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{name} differs (UPDATE_GOLDEN=1 to accept):\n{actual}");
}

/// Every statement of the summary, as sent: the SQL text and its named
/// parameters. No value appears in the SQL itself.
#[test]
fn the_summary_plan_is_golden_sql() {
    let funnel = ["product_page", "add_to_cart", "payment"].map(String::from);
    let plan = cjm_spark::sql::summary_plan(&funnel, 20);
    compare("summary.sql", &plan.explain());
    for s in plan.setup.iter().chain(plan.queries.iter().map(|q| &q.statement)) {
        assert!(!s.sql.contains("product_page") && !s.sql.contains("20"), "a value spliced into {}", s.sql);
        for banned in ["avg(", "round(", "percentile", "sum(s", "sum(cjm_score"] {
            assert!(!s.sql.contains(banned), "a float computed in SQL: {}", s.sql);
        }
    }
    let none = cjm_spark::sql::summary_plan(&[], 5);
    assert!(none.queries.iter().all(|q| q.name != "funnel"), "no funnel, no funnel query");
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> Vec<RecordBatch> {
    vec![RecordBatch::try_from_iter(columns).unwrap()]
}

fn texts(v: &[&str]) -> ArrayRef {
    let mut b = StringBuilder::new();
    v.iter().for_each(|s| b.append_value(s));
    Arc::new(b.finish())
}

fn ints(v: &[i64]) -> ArrayRef {
    let mut b = Int64Builder::new();
    v.iter().for_each(|&x| b.append_value(x));
    Arc::new(b.finish())
}

/// A breakdown's answers split into one answer set per segment: each
/// query's rows of that value in their order (runs of a value, however
/// the batches cut them), a query without `g` whole in every segment, and
/// a value `totals` lacks refused.
#[test]
fn a_breakdown_s_answers_split_by_segment() {
    let mut results = Results::new();
    results.insert("totals".into(), batch(vec![("g", texts(&["web", "app"])), ("events", ints(&[3, 2]))]));
    let mut starts = batch(vec![("g", texts(&["app", "web", "web"])), ("touchpoint", texts(&["x", "y", "z"]))]);
    starts.extend(batch(vec![("g", texts(&["app"])), ("touchpoint", texts(&["w"]))]));
    results.insert("starts".into(), starts);
    results.insert("read".into(), batch(vec![("n", ints(&[9]))]));
    results.insert("ends".into(), batch(vec![("g", texts(&["web"])), ("touchpoint", texts(&["z"]))]));
    let segments = cjm_spark::decode::segments(&results).unwrap();
    assert_eq!(segments.keys().collect::<Vec<_>>(), ["app", "web"]);
    let column = |seg: &str, query: &str, name: &str| -> Vec<String> {
        segments[seg][query]
            .iter()
            .flat_map(|b| {
                let a = b.column_by_name(name).unwrap();
                let a = a.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
                a.iter().map(|v| v.unwrap().to_string()).collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(column("app", "starts", "touchpoint"), ["x", "w"]);
    assert_eq!(column("web", "starts", "touchpoint"), ["y", "z"]);
    assert!(segments["app"]["ends"].is_empty(), "a segment without rows has the query, empty");
    assert_eq!(segments["app"]["read"][0].num_rows(), 1);
    results.insert("ends".into(), batch(vec![("g", texts(&["ios"])), ("touchpoint", texts(&["z"]))]));
    let e = cjm_spark::decode::segments(&results).unwrap_err();
    assert!(e.0.contains("`ends` answered for the segment `ios`"), "{e}");
}

/// A hand-made answer set for a three-customer log decodes to the summary
/// the in-memory engine gives for that log.
#[test]
fn answers_decode_into_the_engines_summary() {
    let csv = "customer_id,timestamp,touchpoint,score\n\
c1,2024-01-01T10:00:00Z,a,0.1\nc1,2024-01-01T10:00:01.5Z,b,\nc2,2024-01-01T10:00:00Z,a,0.2\nc2,2024-01-01T10:00:00Z,a,\n\
c3,2024-01-01T09:00:00Z,b,4\n";
    let dir = std::env::temp_dir().join(format!("cjm-spark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("log.csv"), csv).unwrap();
    let log = cjm_events::read_path(&dir.join("log.csv"), &cjm_events::ReadOptions::default()).unwrap();
    let funnel = ["a", "b"].map(String::from);
    let expected = cjm_mine::summary_json(&cjm_mine::summarize(&log, &funnel, 20));

    let mut r = Results::new();
    r.insert("totals".into(), batch(vec![("events", ints(&[5])), ("customers", ints(&[3]))]));
    let mut micros = Decimal128Builder::new().with_precision_and_scale(38, 0).unwrap();
    micros.append_value(1_500_000);
    micros.append_value(0);
    r.insert(
        "edges".into(),
        batch(vec![
            ("from_touchpoint", texts(&["a", "a"])),
            ("to_touchpoint", texts(&["b", "a"])),
            ("n", ints(&[1, 1])),
            ("timed", ints(&[1, 1])),
            ("micros", Arc::new(micros.finish())),
        ]),
    );
    r.insert("starts".into(), batch(vec![("touchpoint", texts(&["a", "b"])), ("n", ints(&[2, 1]))]));
    r.insert("ends".into(), batch(vec![("touchpoint", texts(&["b", "a"])), ("n", ints(&[2, 1]))]));
    r.insert("variant_count".into(), batch(vec![("n", ints(&[3]))]));
    let mut seq = ListBuilder::new(StringBuilder::new());
    for v in [&["a", "a"][..], &["a", "b"], &["b"]] {
        v.iter().for_each(|s| seq.values().append_value(s));
        seq.append(true);
    }
    r.insert("top_variants".into(), batch(vec![("seq", Arc::new(seq.finish())), ("n", ints(&[1, 1, 1]))]));
    r.insert(
        "touchpoints".into(),
        batch(vec![
            ("touchpoint", texts(&["a", "b"])),
            ("events", ints(&[3, 2])),
            ("customers", ints(&[2, 2])),
            ("scored", ints(&[2, 1])),
        ]),
    );
    let mut score = Float64Builder::new();
    [0.1, 0.2, 4.0].iter().for_each(|&s| score.append_value(s));
    r.insert(
        "scores".into(),
        batch(vec![
            ("touchpoint", texts(&["a", "a", "b"])),
            ("score", Arc::new(score.finish())),
            ("n", ints(&[1, 1, 1])),
        ]),
    );
    r.insert("funnel".into(), batch(vec![("lvl", ints(&[1, 2])), ("n", ints(&[1, 1]))]));
    let got = cjm_mine::summary_json(&cjm_spark::summary(&r, &funnel, 20).unwrap());
    assert_eq!(got, expected);
    // A missing answer or column is named.
    r.remove("ends");
    assert_eq!(cjm_spark::summary(&r, &funnel, 20).unwrap_err().0, "the query `ends` gave no answer");
}

/// The funnel's three matchers, for the plans below.
fn spec(steps: &[&str], any_order: bool, strict: bool, window_seconds: Option<i64>) -> cjm_mine::analysis::FunnelSpec {
    let steps = steps.iter().map(|s| s.to_string()).collect();
    cjm_mine::analysis::FunnelSpec { steps, any_order, strict, window_seconds }
}

/// The web app's time span of a narrowed log, with every stage of the
/// narrowing: two `where`s, `--cover` (an exact fraction) and a segment,
/// each value a parameter of its own.
#[test]
fn the_span_plan_is_golden_sql() {
    use cjm_spark::sql::Narrowing;
    let narrowing = Narrowing {
        from: Some(1_709_251_200_000_000),
        to: None,
        where_: vec![("cjm_channel".into(), vec!["web".into()]), ("case:segment".into(), vec!["gold".into()])],
        gap: None,
        by: Some(("case:segment".into(), "gold".into())),
        cover: Some(cjm_mine::analysis::Share::parse("0.8").unwrap()),
        variant: Some(vec!["visit".into(), "pay".into()]),
        breakdown: None,
    };
    let plan = cjm_spark::sql::span_plan(&narrowing);
    compare("span.sql", &plan.explain());
    let names: Vec<&str> = plan.queries.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["span"]);
    for s in &plan.setup {
        for value in ["web", "gold", "1709251200", "visit"] {
            assert!(!s.sql.contains(value), "{value} spliced into {}", s.sql);
        }
    }
    for view in ["cjm_ev", "cjm_cover", "cjm_by", "cjm_base"] {
        assert!(plan.teardown.iter().any(|s| s.sql.contains(view)), "{view} is dropped too");
    }
    let cover = plan.setup.iter().find(|s| s.sql.contains("VIEW cjm_cover")).expect("the cover stage");
    use cjm_spark::sql::Param;
    assert_eq!(cover.params, [("cover_num".to_string(), Param::Int(8)), ("cover_den".to_string(), Param::Int(10))]);
    assert!(!cover.sql.contains("DOUBLE") && !cover.sql.contains(" / "), "no float decides the cover: {}", cover.sql);
}

/// The paths: each anchored journey's labels as one array (forwards from
/// the first event or a touchpoint, backwards into one), counted per
/// column and per pair of columns; the anchor and depth are parameters.
#[test]
fn the_paths_queries_are_golden_sql() {
    use cjm_mine::paths::{Anchor, PathsSpec};
    use cjm_spark::sql::Request;
    let mut text = String::new();
    for anchor in [Anchor::Start, Anchor::From("product_page".into()), Anchor::Into("payment".into())] {
        let spec = PathsSpec { anchor: anchor.clone(), depth: 4, min_share: 0.01, per_column: 8 };
        let plan = cjm_spark::sql::plan(&Request { paths: Some(spec), ..Request::default() });
        let setup = plan.setup.iter().filter(|s| s.sql.contains("cjm_paths")).cloned().collect();
        let paths = cjm_spark::sql::Plan {
            setup,
            queries: plan.queries.into_iter().filter(|q| q.name.starts_with("paths")).collect(),
            teardown: plan.teardown.into_iter().filter(|s| s.sql.contains("cjm_paths")).collect(),
        };
        let known = paths.queries.iter().any(|q| q.name == "paths_known");
        assert_eq!(known, anchor != Anchor::Start, "{anchor:?}");
        assert_eq!(paths.setup.len(), 1, "{anchor:?}: one cached view of the labels");
        for s in paths.setup.iter().chain(paths.queries.iter().map(|q| &q.statement)) {
            assert!(!s.sql.contains("product_page") && !s.sql.contains("payment"), "spliced: {}", s.sql);
        }
        text.push_str(&format!("-- ===== {anchor:?}\n"));
        text.push_str(&paths.explain());
    }
    compare("paths.sql", &text);
}

/// The web app's trends: buckets counted with integers only (`pmod`,
/// `div`, the calendar's year and month), and with a funnel the
/// conversion of the customers who did step 1 in each bucket.
#[test]
fn the_trend_queries_are_golden_sql() {
    use cjm_mine::trend::Interval;
    use cjm_spark::sql::{AnalysisRequest, Request};
    let mut text = String::new();
    for interval in [Interval::Day, Interval::Week, Interval::Month] {
        let funnel = (interval == Interval::Week).then(|| AnalysisRequest {
            funnel: Some(spec(&["visit", "pay"], false, false, None)),
            ..AnalysisRequest::default()
        });
        let req = Request { analysis: funnel, trend: Some(interval), ..Request::default() };
        let plan = cjm_spark::sql::plan(&req);
        let trend = cjm_spark::sql::Plan {
            setup: Vec::new(),
            queries: plan.queries.into_iter().filter(|q| q.name.starts_with("trend")).collect(),
            teardown: Vec::new(),
        };
        assert_eq!(trend.queries.len(), if interval == Interval::Week { 3 } else { 2 }, "{interval:?}");
        for q in &trend.queries {
            for banned in [" / ", "DOUBLE", "floor(", "date_trunc", "avg("] {
                assert!(!q.statement.sql.contains(banned), "{banned} in {}", q.statement.sql);
            }
        }
        text.push_str(&format!("-- ===== {interval:?}\n"));
        text.push_str(&trend.explain());
    }
    compare("trend.sql", &text);
}

/// The analysis' plans, one per funnel matcher, with every narrowing: the
/// events view filters and cuts sessions, the funnel is one fold, and
/// every value is a parameter.
#[test]
fn the_analysis_plans_are_golden_sql() {
    use cjm_spark::sql::{AnalysisRequest, Narrowing, Request};
    let steps = ["product_page", "add_to_cart", "payment"];
    let narrowing = Narrowing {
        from: Some(1_709_251_200_000_000),
        to: Some(1_711_929_600_000_000),
        where_: vec![("case:segment".into(), vec!["gold".into(), "silver".into()])],
        gap: Some(1_800_000_000),
        by: Some(("org:group".into(), "Group 1".into())),
        cover: None,
        variant: None,
        breakdown: None,
    };
    let cases = [
        ("analysis_ordered.sql", spec(&steps, false, false, Some(7200)), narrowing.clone(), true),
        ("analysis_any_order.sql", spec(&steps, true, false, Some(7200)), Narrowing::default(), false),
        ("analysis_strict.sql", spec(&steps, false, true, None), Narrowing::default(), true),
    ];
    for (golden_name, funnel, narrowing, dropped) in cases {
        let req = Request {
            funnel: funnel.steps.clone(),
            top: 20,
            narrowing,
            analysis: Some(AnalysisRequest { follows: 3, funnel: Some(funnel), dropped, conversion: true }),
            ..Request::default()
        };
        let plan = cjm_spark::sql::plan(&req);
        compare(golden_name, &plan.explain());
        for s in plan.setup.iter().chain(plan.queries.iter().map(|q| &q.statement)) {
            for value in ["product_page", "gold", "7200", "1800", "1709251200", "Group 1"] {
                assert!(!s.sql.contains(value), "{value} spliced into {}", s.sql);
            }
            for banned in ["avg(", "round(", "percentile", "sum(s", "sum(cjm_score", "DOUBLE"] {
                assert!(!s.sql.contains(banned), "a float computed in SQL: {}", s.sql);
            }
        }
        let names: Vec<&str> = plan.queries.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names.contains(&"funnel_dropped"), dropped, "{golden_name}: {names:?}");
    }
    // A column name is quoted, a backtick doubled; `--where` finds
    // columns as cjm's filter finds attributes.
    let columns: Vec<String> =
        ["cjm_row", "cjm_channel", "org:group", "case:channel", "we`ird"].map(String::from).into();
    let col = |n: &str| cjm_spark::sql::where_column(&columns, n);
    assert_eq!(col("org:group").unwrap(), "org:group");
    assert_eq!(col("channel").unwrap(), "case:channel", "a customer attribute before the channel, as cjm");
    assert_eq!(col("case:channel").unwrap(), "case:channel");
    let e = col("cjm_row").unwrap_err();
    assert_eq!(e.known, ["channel", "org:group", "we`ird", "case:channel"]);
    let req = Request {
        narrowing: Narrowing { where_: vec![("we`ird".into(), vec!["x".into()])], ..Narrowing::default() },
        ..Request::default()
    };
    assert!(cjm_spark::sql::plan(&req).setup[0].sql.contains("array_contains(:values, `we``ird`)"));
    // `--by` finds a customer attribute first, as cjm's breakdown does.
    let by = |n: &str| cjm_spark::sql::by_column(&columns, n);
    assert_eq!(by("channel").unwrap(), "case:channel");
    assert_eq!(by("org:group").unwrap(), "org:group");
    assert_eq!(by("nope").unwrap_err().known, ["channel", "channel", "org:group", "we`ird"]);
}

/// On a real Spark Connect server (`CJM_SPARK_URL`, started by
/// `scripts/spark-parity.sh`), through cjm's own client: for each log of
/// `CJM_SPARK_LOGS` (a TSV of name, funnel, expected summary JSON, log in
/// the canonical layout), one plan gives the expected summary bytes and
/// the in-memory engine's analysis, part by part (transition times,
/// eventually-follows, times to next, channels, the funnel with its
/// dropped customers); the edge-case log also with the any-order and
/// strict funnels within a window (unless `CJM_SPARK_MATCHERS=ordered`).
#[cfg(feature = "client")]
#[test]
#[ignore = "needs a Spark Connect server: bash scripts/spark-parity.sh"]
fn on_spark_the_summary_and_the_analysis_are_the_engines() {
    use cjm_mine::paths::{Anchor, PathsSpec};
    use cjm_spark::client::{Session, Source};
    use cjm_spark::sql::{AnalysisRequest, Request};
    let url = std::env::var("CJM_SPARK_URL").expect("CJM_SPARK_URL names the server");
    let manifest = std::fs::read_to_string(std::env::var("CJM_SPARK_LOGS").expect("CJM_SPARK_LOGS names the logs"))
        .expect("the script writes the list of logs");
    // `CJM_SPARK_MATCHERS=ordered` leaves out the other matchers (their
    // folds run inside one journey's task, however the work is spread).
    let all_matchers = std::env::var("CJM_SPARK_MATCHERS").map_or(true, |m| m != "ordered");
    let session = Session::connect(&url, true).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for line in manifest.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, funnel, expected, path] = cols[..] else { panic!("a line has four fields: {line}") };
        let steps: Vec<&str> = funnel.split(',').filter(|s| !s.is_empty()).collect();
        let log = cjm_events::read_path(Path::new(path), &cjm_events::ReadOptions::default()).unwrap();
        let j = cjm_mine::journeys::build(&log);
        session.open(&Source::Parquet(path.to_string()), &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut specs = vec![spec(&steps, false, false, None)];
        if name.starts_with("edge") && all_matchers {
            specs.extend([spec(&steps, true, false, Some(3600)), spec(&steps, false, true, Some(7200))]);
        }
        for (i, funnel) in specs.into_iter().enumerate() {
            let a = AnalysisRequest { follows: 3, funnel: Some(funnel.clone()), dropped: true, conversion: true };
            // Paths ride along, anchored in turn into the last step, at the
            // first event and from the first step.
            let (first, last) = (steps[0].to_string(), steps[steps.len() - 1].to_string());
            let (anchor, depth) =
                [(Anchor::Into(last), 3), (Anchor::Start, 10), (Anchor::From(first), 2)][checked % 3].clone();
            let paths = PathsSpec { anchor, depth, min_share: 0.01, per_column: 8 };
            let req = Request {
                funnel: funnel.steps.clone(),
                top: 20,
                analysis: Some(a.clone()),
                paths: Some(paths.clone()),
                ..Request::default()
            };
            let results = session.run(&cjm_spark::sql::plan(&req), &|_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
            let summary = cjm_spark::summary(&results, &req.funnel, 20).unwrap();
            if i == 0 {
                let want = std::fs::read_to_string(expected).unwrap();
                assert!(cjm_mine::summary_json(&summary) == want, "{name}: Spark's summary differs from {expected}");
            }
            let parts = cjm_spark::decode::analysis_parts(&results, &a).unwrap();
            let top: Vec<u64> = summary.top_variants.iter().map(|v| v.count).collect();
            let spark = cjm_mine::parts::finish_analysis(parts, Some(&funnel), &top, summary.n_customers);
            let engine = cjm_mine::analysis::analyse(&log, &j, Some(&funnel), 3, &top);
            let differs = |what: &str| format!("{name} ({funnel:?}): Spark's {what} differ");
            assert!(json(&spark.edge_times) == json(&engine.edge_times), "{}", differs("transition times"));
            assert!(json(&spark.eventually_follows) == json(&engine.eventually_follows), "{}", differs("follows"));
            assert!(json(&spark.next_times) == json(&engine.next_times), "{}", differs("times to next"));
            assert!(json(&spark.variant_coverage) == json(&engine.variant_coverage), "{}", differs("coverage"));
            assert!(json(&spark.channel_reach) == json(&engine.channel_reach), "{}", differs("channel reach"));
            assert!(json(&spark.channel_switches) == json(&engine.channel_switches), "{}", differs("switches"));
            let (s, e) = (spark.funnel.unwrap(), engine.funnel.unwrap());
            assert!(json(&s) == json(&e), "{}", differs("funnel steps"));
            assert!(s.dropped == e.dropped, "{}", differs("dropped customers"));
            assert!(s.conversion_seconds == e.conversion_seconds, "{}", differs("times to convert"));
            let (parts, known) = cjm_spark::decode::paths_parts(&results, summary.n_customers).unwrap();
            assert!(known, "{name}: the anchor of {paths:?} is a touchpoint of the log");
            let spark_paths = cjm_mine::paths::finish_paths(parts, &paths);
            let engine_paths = cjm_mine::paths::paths(&log, &j, &paths);
            assert!(spark_paths.anchored > 0, "{name}: nobody anchored by {paths:?}");
            assert!(json(&spark_paths) == json(&engine_paths), "{} ({paths:?})", differs("paths"));
            checked += 1;
        }
    }
    assert!(checked >= if all_matchers { 6 } else { 4 }, "only {checked} plans checked");
}

/// Any serializable part as JSON text, to compare f64s exactly.
#[cfg(feature = "client")]
fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap()
}

/// The measure plan of a map with every kind of rule and journey metric:
/// predicates against named parameters, the values a comparison with a
/// number reads first, the folds; and rules compiled as cjm-mine does.
#[test]
fn the_measure_plan_is_golden_sql() {
    use cjm_spark::measure::{measure_plan, values_plan, MeasureRequest, Rules};
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/maps/receipt.cjm")).unwrap();
    let map = cjm_model::check(&source);
    assert!(!map.has_errors(), "{:?}", map.diagnostics);
    let map = map.journey;
    let columns: Vec<String> = cjm_spark::sql::LAYOUT_COLUMNS
        .iter()
        .copied()
        .chain(["org:group", "concept:instance", "org:resource", "case:channel"])
        .map(String::from)
        .collect();
    let none = std::collections::HashMap::new();
    let mut first = Rules::new(&columns, &none);
    let _ = cjm_mine::measure::compile_steps(&map, |e| first.compile(e));
    let needed: Vec<&str> = first.needed.iter().map(String::as_str).collect();
    assert_eq!(
        needed,
        ["cjm_channel", "concept:instance", "org:resource"],
        "a number or boolean compared, or the channel"
    );
    let values: std::collections::HashMap<String, Vec<String>> = [
        ("cjm_channel", vec!["Internet", "Desk"]),
        ("concept:instance", vec!["12", "12.0", "task-7", "x"]),
        ("org:resource", vec!["1", "Resource21", "true", "TRUE", "1.0", "Resource3"]),
    ]
    .into_iter()
    .map(|(c, v)| (c.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let mut rules = Rules::new(&columns, &values);
    let (steps, compiled) = cjm_mine::measure::compile_steps(&map, |e| rules.compile(e));
    assert!(rules.needed.is_empty());
    let bad: Vec<(&str, &str)> =
        steps.iter().filter_map(|s| Some((s.name.as_str(), s.rule_error.as_deref()?))).collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0]
        .1
        .starts_with("the log has no field `colour`; it has: touchpoint, channel, score, customer, org:group"));
    let req = MeasureRequest::new(&map, &steps, compiled, rules.params);
    let plan = measure_plan(&req);
    compare("measure.sql", &format!("{}{}", values_plan(&first.needed).explain(), plan.explain()));
    let statements: String = plan.setup.iter().map(|s| s.sql.as_str()).collect();
    for value in ["Confirmation of receipt", "Group 1", "Resource21", "task-5", "Internet"] {
        assert!(!statements.contains(value), "{value} spliced into the SQL");
    }
    // The number and boolean comparisons pass what cjm's rules pass.
    let texts = |name: &str| match req.params.iter().find(|(n, _)| n == name).map(|p| &p.1) {
        Some(cjm_spark::sql::Param::Texts(t)) => t.clone(),
        other => panic!("{name}: {other:?}"),
    };
    let masks: Vec<Vec<String>> = (0..req.params.len())
        .map(|i| format!("p{i}"))
        .filter(|n| matches!(req.params.iter().find(|(m, _)| m == n), Some((_, cjm_spark::sql::Param::Texts(_)))))
        .map(|n| texts(&n))
        .collect();
    assert!(masks.contains(&vec!["task-7".to_string(), "x".to_string()]), "!= 12: {masks:?}");
    assert!(masks.contains(&["1", "Resource21", "true", "TRUE", "1.0"].map(String::from).to_vec()), "{masks:?}");
    assert_eq!(req.funnel.len(), 7, "the optional steps and the broken rule are out of the funnel");
    assert_eq!(req.kpis.len(), 5);
}

/// A receipt-like foreign file: the reading's statements as sent. Names
/// are trimmed of Unicode White_Space, nanosecond local times cut and
/// moved by the offset, customer attributes their first value, the
/// lifecycle choice a parameter; no value in the SQL itself.
#[test]
fn the_foreign_reading_is_golden_sql() {
    use cjm_spark::foreign::{Kept, Nanos, Reading, Rules};
    let types = [
        ("org:group", "string"),
        ("concept:name", "string"),
        ("time:timestamp", "bigint"),
        ("lifecycle:transition", "string"),
        ("case:startdate", "bigint"),
        ("case:group", "string"),
        ("case:concept:name", "string"),
        ("case:channel", "string"),
        ("rating", "float"),
    ];
    let columns: Vec<(String, String)> = types.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let rules = Rules { offset_seconds: 7200, ..Rules::default() };
    let r = Reading::new(&columns, &rules, Some(Nanos::Local)).unwrap();
    assert_eq!((r.roles.case.as_str(), r.roles.time.as_str()), ("case:concept:name", "time:timestamp"));
    assert_eq!(r.roles.score.as_deref(), Some("rating"));
    let kept = Kept::Only("complete".into());
    let plan = cjm_spark::sql::Plan {
        setup: vec![r.read_view(), r.source_view(&kept)],
        queries: [("stats", r.stats_query()), ("problems", r.problems_query()), ("kept", r.kept_query(&kept))]
            .map(|(name, statement)| cjm_spark::sql::Query { name: name.into(), statement })
            .to_vec(),
        teardown: Vec::new(),
    };
    compare("foreign.sql", &plan.explain());
    for s in plan.setup.iter().chain(plan.queries.iter().map(|q| &q.statement)) {
        assert!(!s.sql.contains("7200") && !s.sql.contains("\u{3000}") && !s.sql.contains("'complete'')"), "{}", s.sql);
    }
    let mut want: Vec<String> = cjm_spark::sql::LAYOUT_COLUMNS.iter().map(|c| c.to_string()).collect();
    want.extend(
        ["org:group", "lifecycle:transition", "case:startdate", "case:group", "case:channel"].map(String::from),
    );
    assert_eq!(r.columns(), want, "the layout's columns, then the attributes by their layout names");
}

/// What a foreign file's types allow: names from text, integers and
/// booleans; times from timestamps, dates and (in a file with nanosecond
/// times) integers; scores from numbers. Anything else is named.
#[test]
fn a_foreign_file_s_columns_are_read_or_named() {
    use cjm_spark::foreign::{ForeignError, Nanos, Reading, Rules};
    let of = |t: &[(&str, &str)]| t.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect::<Vec<_>>();
    let rules = Rules::default();
    for (time, nanos, ok) in [
        ("timestamp", None, true),
        ("timestamp_ntz", None, true),
        ("date", None, true),
        ("bigint", Some(Nanos::Utc), true),
        ("bigint", None, false),
        ("string", None, false),
        ("double", None, false),
    ] {
        let cols = of(&[("case", "bigint"), ("time", time), ("activity", "string")]);
        let read = Reading::new(&cols, &rules, nanos);
        assert_eq!(read.is_ok(), ok, "a {time} time ({nanos:?})");
        if let Err(e) = read {
            assert_eq!(e.to_string(), format!("the timestamp column `time` is {time}; on Spark cjm reads times from Parquet timestamps or dates, not text or numbers"));
        }
    }
    let err = |cols: &[(&str, &str)]| Reading::new(&of(cols), &rules, None).unwrap_err();
    let e = err(&[("case", "double"), ("time", "timestamp"), ("activity", "string")]);
    assert_eq!(e.to_string(), "the customer (case) id column `case` is double; on Spark cjm reads names from text, integer or boolean columns");
    let e = err(&[("case", "string"), ("time", "timestamp"), ("activity", "string"), ("score", "string")]);
    assert!(matches!(&e, ForeignError::Type { role: "score", .. }), "{e}");
    let e = err(&[("who", "string"), ("time", "timestamp"), ("activity", "string")]);
    assert!(e.to_string().starts_with("no customer (case) id column found among: who, time, activity"), "{e}");
    let e = err(&[("case", "string"), ("time", "timestamp"), ("activity", "string"), ("cjm_row", "string")]);
    assert_eq!(e, ForeignError::Clash("cjm_row".into()));
    // A float attribute is kept, and refuses to be read only when asked.
    let r = Reading::new(
        &of(&[("case", "string"), ("time", "date"), ("activity", "string"), ("price", "double")]),
        &rules,
        None,
    )
    .unwrap();
    let view = r.read_view();
    assert!(view.sql.contains("raise_error(:unread0)"), "{}", view.sql);
    assert!(view.params.iter().any(|(k, v)| k == "unread0"
        && matches!(v, cjm_spark::sql::Param::Text(t) if t.starts_with("the attribute `price` is a double column"))));
    assert_eq!(
        cjm_spark::foreign::nanos_refused(
            "[PARQUET_TYPE_ILLEGAL] Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false))."
        ),
        Some(Nanos::Local)
    );
    assert_eq!(
        cjm_spark::foreign::nanos_refused("Illegal Parquet type: INT64 (TIMESTAMP(NANOS,true))"),
        Some(Nanos::Utc)
    );
    assert_eq!(cjm_spark::foreign::nanos_refused("[PATH_NOT_FOUND] no such file"), None);
}

/// The lifecycle choice as cjm's reader makes it: with start and complete
/// events the complete ones (spelled as the first good row spells them);
/// `start` or `complete` asked of a log without them keeps nothing; a log
/// whose good rows have no lifecycle keeps everything.
#[test]
fn the_lifecycle_choice_of_a_foreign_log_is_the_reader_s() {
    use cjm_events::Lifecycle;
    use cjm_spark::foreign::{Kept, Reading, Rules};
    let cols: Vec<(String, String)> =
        [("case", "string"), ("time", "timestamp"), ("activity", "string"), ("lifecycle:transition", "string")]
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
    let stats = |start: Option<&str>, complete: Option<&str>, any: i64| -> Results {
        let opt = |v: Option<&str>| -> ArrayRef {
            let mut b = StringBuilder::new();
            b.append_option(v);
            Arc::new(b.finish())
        };
        Results::from([(
            "stats".to_string(),
            batch(vec![("start", opt(start)), ("complete", opt(complete)), ("lifecycles", ints(&[any]))]),
        )])
    };
    for (mode, start, complete, any, want) in [
        (Lifecycle::Auto, Some("start"), Some("COMPLETE"), 9, Kept::Only("COMPLETE".into())),
        (Lifecycle::Auto, None, Some("complete"), 9, Kept::Every),
        (Lifecycle::Start, Some("Start"), None, 9, Kept::Only("Start".into())),
        (Lifecycle::Complete, Some("start"), None, 9, Kept::Nothing),
        (Lifecycle::Complete, None, None, 0, Kept::Every),
        (Lifecycle::All, Some("start"), Some("complete"), 9, Kept::Every),
    ] {
        let r = Reading::new(&cols, &Rules { lifecycle: mode, ..Rules::default() }, None).unwrap();
        assert_eq!(r.kept(&stats(start, complete, any)).unwrap(), want, "{mode:?} {start:?} {complete:?}");
    }
}
