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

/// On a real Spark Connect server (`CJM_SPARK_URL`, started by
/// `scripts/spark-parity.sh`), through cjm's own client: for each log of
/// `CJM_SPARK_LOGS` (a TSV of name, funnel, expected summary JSON, log in
/// the canonical layout), the summary equals the expected bytes and the
/// analysis' transition times equal the in-memory engine's.
#[cfg(feature = "client")]
#[test]
#[ignore = "needs a Spark Connect server: bash scripts/spark-parity.sh"]
fn on_spark_the_summary_and_the_times_are_the_engines() {
    use cjm_spark::client::{Session, Source};
    let url = std::env::var("CJM_SPARK_URL").expect("CJM_SPARK_URL names the server");
    let manifest = std::fs::read_to_string(std::env::var("CJM_SPARK_LOGS").expect("CJM_SPARK_LOGS names the logs"))
        .expect("the script writes the list of logs");
    let session = Session::connect(&url, true).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for line in manifest.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, funnel, expected, log] = cols[..] else { panic!("a line has four fields: {line}") };
        let funnel: Vec<String> = funnel.split(',').filter(|s| !s.is_empty()).map(String::from).collect();
        let plan = cjm_spark::sql::summary_plan(&funnel, 20);
        let results =
            session.run(&plan, &Source::Parquet(log.to_string()), &|_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = cjm_mine::summary_json(&cjm_spark::summary(&results, &funnel, 20).unwrap());
        let want = std::fs::read_to_string(expected).unwrap();
        assert!(got == want, "{name}: Spark's summary differs from {expected}");
        let log = cjm_events::read_path(Path::new(log), &cjm_events::ReadOptions::default()).unwrap();
        let j = cjm_mine::journeys::build(&log);
        let engine = serde_json::to_string(&cjm_mine::analysis::transition_times(&log, &j)).unwrap();
        let parts = cjm_spark::decode::edge_time_parts(&results).unwrap();
        let spark = serde_json::to_string(&cjm_mine::parts::finish_edge_times(parts)).unwrap();
        assert!(spark == engine, "{name}: Spark's transition times differ");
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} logs checked");
}
