//! The engine against the peers: byte-identical `journey-summary/1` output
//! on the peers' logs, from CSV and from Parquet (see tests/peers/README.md).

use cjm_events::{read_path, ReadOptions};
use std::path::{Path, PathBuf};

const FUNNEL: &[&str] = &["product_page", "add_to_cart", "checkout_start", "payment", "app_login", "review_posted"];

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

#[test]
fn summary_json_is_byte_identical_to_the_peers() {
    let funnel: Vec<String> = FUNNEL.iter().map(|s| s.to_string()).collect();
    for name in ["events_1e5", "ties_2e4"] {
        let expected = std::fs::read_to_string(peers().join(format!("{name}.expected.json"))).unwrap();
        for ext in ["csv", "parquet"] {
            let path = peers().join(format!("{name}.{ext}"));
            let log = read_path(&path, &ReadOptions::default()).unwrap();
            let actual = cjm_mine::summary_json(&cjm_mine::summarize(&log, &funnel, 20));
            // What `cjm mine --format summary-json` runs: channels unread,
            // the log consumed column by column.
            let lean = read_path(&path, &ReadOptions { skip_channel: true, ..ReadOptions::default() }).unwrap();
            let owned = cjm_mine::summary_json(&cjm_mine::summary::summarize_owned(lean, &funnel, 20, &|| {}));
            assert_eq!(owned, actual, "{name}.{ext}: the consuming summary differs");
            if actual != expected {
                let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
                panic!(
                    "{name}.{ext}: differs from the peers at line {}:\n  peers:  {}\n  engine: {}",
                    line + 1,
                    expected.lines().nth(line).unwrap_or(""),
                    actual.lines().nth(line).unwrap_or("")
                );
            }
        }
    }
}

fn small_log(text: &str) -> cjm_events::EventLog {
    let dir = std::env::temp_dir().join(format!("cjm-mine-{}-{}", std::process::id(), text.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.csv");
    std::fs::write(&path, text).unwrap();
    read_path(&path, &ReadOptions::default()).unwrap()
}

/// Four customers, figures checkable by hand.
const LOG: &str = "customer_id,timestamp,touchpoint,channel,score\n\
A,2024-01-01T10:00:00Z,ad,social,\n\
A,2024-01-01T10:05:00Z,cart,web,4\n\
A,2024-01-01T10:15:00Z,pay,web,5\n\
B,2024-01-01T11:00:00Z,ad,social,\n\
B,2024-01-01T11:20:00Z,cart,web,2\n\
C,2024-01-02T09:00:00Z,cart,app,3\n\
C,2024-01-02T09:01:00Z,help,phone,1\n\
D,2024-01-03T09:00:00Z,ad,social,\n";

#[test]
fn measure_gives_reach_conversion_drop_off_time_and_score() {
    let log = small_log(LOG);
    let map = cjm_model::check(
        "journey\n  scale 1..5\n  section Buy\n    See ad: 3\n      evidence: touchpoint = \"ad\"\n    Add to cart: 3\n      evidence: touchpoint = \"cart\" and channel in (\"web\", \"app\")\n    Pay: 4\n      evidence: touchpoint = \"pay\"\n    Phone us: 2\n      evidence: channel = \"fax\"\n",
    )
    .journey;
    let m = cjm_mine::measure::measure(&map, &log);
    let by = |name: &str| m.steps.iter().find(|s| s.name == name).unwrap();
    assert_eq!((m.customers, m.events), (4, 8));
    let ad = by("See ad");
    assert_eq!((ad.reached, ad.reach_share, ad.funnel, ad.conversion), (3, 0.75, Some(3), None));
    assert_eq!(ad.drop_off, Some(1.0 / 3.0), "D never added to the cart");
    let cart = by("Add to cart");
    // C added to the cart without the ad: reached, but not in the funnel.
    assert_eq!((cart.reached, cart.funnel), (3, Some(2)));
    assert_eq!(cart.conversion, Some(2.0 / 3.0));
    // A: 5 min, B: 20 min after the ad: median 12.5 min.
    assert_eq!(cart.median_seconds_since_previous, Some(750.0));
    assert_eq!(cart.mean_score, Some(3.0));
    let pay = by("Pay");
    assert_eq!((pay.reached, pay.funnel, pay.conversion), (1, Some(1), Some(0.5)));
    let fax = by("Phone us");
    assert_eq!(fax.matched_events, 0);
    assert_eq!(m.stages[0].entered, 3);
    assert_eq!(m.stages[0].completed, 0, "nobody reached both the ad and the (unmatched) last step");
    assert_eq!(m.unmapped_touchpoints.len(), 1);
    assert_eq!(m.unmapped_touchpoints[0].touchpoint, "help");
}

/// Each formula on the four customers of LOG, worked out by hand.
#[test]
fn kpi_formulas_are_measured_against_their_targets() {
    let log = small_log(LOG);
    let map = cjm_model::check(
        "journey\n  scale 1..5\n  metric Ad to pay [unit %, target 30]\n    measure: conversion from ad to pay\n  metric Ad to cart in 10 min [unit %, target 50]\n    measure: conversion from ad to cart within 10m\n  metric Cart time [unit min, target 10]\n    measure: median time from ad to cart\n  metric Slowest cart [unit min]\n    measure: p90 time from ad to cart\n  metric Carts [unit %, target 80]\n    measure: reach cart\n  metric Cart score [target 3]\n    measure: mean score at cart\n  metric Switching [unit %, target 50]\n    measure: channel switch from ad to cart\n  metric Unmeasured\n    measure: reach nothing\n  section Buy\n    See ad: 3\n      id: ad\n      evidence: touchpoint = \"ad\"\n    Add to cart: 3\n      id: cart\n      evidence: touchpoint = \"cart\"\n    Pay: 4\n      id: pay\n      evidence: touchpoint = \"pay\"\n    Nothing: 3\n      id: nothing\n",
    );
    assert!(!map.has_errors(), "{:?}", map.diagnostics);
    let m = cjm_mine::measure::measure(&map.journey, &log);
    let k = |name: &str| m.kpis.iter().find(|k| k.metric == name).unwrap();
    // A, B and D saw the ad; only A paid: 1 of 3.
    assert_eq!(
        (k("Ad to pay").value, k("Ad to pay").customers, k("Ad to pay").met),
        (Some(100.0 / 3.0), 3, Some(true))
    );
    // A's cart came 5 min after the ad, B's 20: one of three within 10 min.
    assert_eq!((k("Ad to cart in 10 min").value, k("Ad to cart in 10 min").met), (Some(100.0 / 3.0), Some(false)));
    // Median of 5 and 20 minutes; the nearest-rank p90 of two is the second.
    assert_eq!((k("Cart time").value, k("Cart time").customers, k("Cart time").met), (Some(12.5), 2, Some(false)));
    assert_eq!(k("Slowest cart").value, Some(20.0));
    assert_eq!(k("Slowest cart").met, None, "no target");
    // A, B and C reached the cart: 3 of 4.
    assert_eq!((k("Carts").value, k("Carts").met), (Some(75.0), Some(false)));
    // Scores 4, 2 and 3 on cart events.
    assert_eq!((k("Cart score").value, k("Cart score").customers, k("Cart score").met), (Some(3.0), 3, Some(true)));
    // A and B went from social (the ad) to web (the cart): both switched.
    assert_eq!((k("Switching").value, k("Switching").met), (Some(100.0), Some(false)));
    assert!(!k("Switching").higher_is_better);
    let none = k("Unmeasured");
    assert_eq!(none.value, None);
    assert!(none.note.as_deref().unwrap().contains("has no evidence rule"), "{:?}", none.note);
    let f = k("Cart time").figure();
    assert_eq!(
        (f.value.as_deref(), f.target.as_deref(), f.verdict()),
        (Some("12.5 min"), Some("at most 10.0 min"), Some("✗ missed"))
    );
    assert_eq!(m.figures("log.csv").kpis.len(), 8);
}

/// An optional step is measured for its reach but is no link of the
/// funnel: skipping it is no drop-off.
#[test]
fn optional_steps_stay_out_of_the_funnel() {
    let log = small_log(LOG);
    let map = cjm_model::check(
        "journey\n  section Buy\n    See ad: 3\n      evidence: touchpoint = \"ad\"\n    Add to cart: 3\n      optional: yes\n      evidence: touchpoint = \"cart\"\n    Pay: 4\n      evidence: touchpoint = \"pay\"\n",
    );
    assert!(cjm_model::to_cjm(&map.journey).contains("      optional: yes\n"), "printed back");
    let m = cjm_mine::measure::measure(&map.journey, &log);
    let by = |name: &str| m.steps.iter().find(|s| s.name == name).unwrap();
    assert_eq!((by("Add to cart").reached, by("Add to cart").funnel, by("Add to cart").optional), (3, None, true));
    assert_eq!(by("See ad").drop_off, Some(2.0 / 3.0), "of A, B and D only A paid");
    assert_eq!((by("Pay").funnel, by("Pay").conversion), (Some(1), Some(1.0 / 3.0)));
    let bad = cjm_model::check("journey\n  section S\n    X: 3\n      optional: maybe\n");
    assert!(
        bad.diagnostics.iter().any(|d| d.message.contains("expected yes or no, found `maybe`")),
        "{:?}",
        bad.diagnostics
    );
}

/// The data block's `window` holds the measured funnel to a time from
/// each customer's first funnel step, as `cjm mine --funnel --window`
/// does: by hand, A pays 15 min after the ad, E three days after; with
/// `window: 1d` only A is at Pay, while reach is the same. A window that
/// does not read is an error at its value.
#[test]
fn the_funnel_window_holds_steps_to_a_time_from_the_first() {
    let text = format!(
        "{LOG}E,2024-01-05T10:00:00Z,ad,social,\nE,2024-01-05T11:00:00Z,cart,web,\nE,2024-01-08T10:00:00Z,pay,web,\n"
    );
    let log = small_log(&text);
    let map = |window: &str| {
        cjm_model::check(&format!(
            "journey\n  data events.csv\n{window}  section Buy\n    See ad: 3\n      evidence: touchpoint = \"ad\"\n    Add to cart: 3\n      evidence: touchpoint = \"cart\"\n    Pay: 4\n      evidence: touchpoint = \"pay\"\n"
        ))
    };
    let open = cjm_mine::measure::measure(&map("").journey, &log);
    let held = map("    window: 1d\n");
    assert!(held.diagnostics.is_empty(), "{:?}", held.diagnostics);
    assert!(cjm_model::to_cjm(&held.journey).contains("    window: 1d\n"), "printed back");
    let held = cjm_mine::measure::measure(&held.journey, &log);
    let pay = |m: &cjm_mine::measure::Measurement| m.steps.iter().find(|s| s.name == "Pay").unwrap().clone();
    assert_eq!((pay(&open).funnel, pay(&open).reached), (Some(2), 2), "A and E pay");
    assert_eq!((pay(&held).funnel, pay(&held).reached), (Some(1), 2), "only A within a day; reach unchanged");
    assert_eq!((open.funnel_window_seconds, held.funnel_window_seconds), (None, Some(86_400)));
    // The same as the CLI funnel with the same window.
    let spec = cjm_mine::analysis::FunnelSpec {
        steps: vec!["ad".into(), "cart".into(), "pay".into()],
        window_seconds: Some(86_400),
        ..Default::default()
    };
    let cli = cjm_mine::analysis::funnel_report(&log, &cjm_mine::journeys::build(&log), &spec);
    let cli: Vec<u64> = cli.steps.iter().map(|s| s.reached).collect();
    let ours: Vec<u64> = held.steps.iter().filter_map(|s| s.funnel).collect();
    assert_eq!(ours, cli);
    let bad = map("    window: soon\n");
    assert!(
        bad.diagnostics.iter().any(|d| d.message.contains("`window` takes a duration, not `soon`")),
        "{:?}",
        bad.diagnostics
    );
}

/// On real logs, a draft's funnel never rises and never exceeds a step's
/// reach, although reach may rise along the map (receipt: 1,300 → 1,309).
#[test]
fn measured_funnels_never_rise_on_real_logs() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    for name in ["receipt.parquet", "helpdesk.xes.gz", "sepsis.csv"] {
        let log = read_path(&data.join(name), &ReadOptions::default()).unwrap();
        let opts = cjm_mine::discover::DiscoverOptions { title: name.into(), source: name.into(), max_steps: 12 };
        let map = cjm_model::check(&cjm_mine::discover::discover(&log, &opts)).journey;
        let m = cjm_mine::measure::measure(&map, &log);
        let funnel: Vec<u64> = m.steps.iter().filter_map(|s| s.funnel).collect();
        assert!(funnel.len() >= 2, "{name}");
        assert!(funnel.windows(2).all(|w| w[1] <= w[0]), "{name}: {funnel:?}");
        for s in &m.steps {
            assert!(s.funnel.is_none_or(|f| f <= s.reached), "{name}: {}", s.name);
            assert_eq!(s.reach_share, s.reached as f64 / m.customers as f64);
        }
    }
}

#[test]
fn rules_on_unknown_fields_say_which_fields_exist() {
    let log = small_log(LOG);
    let map = cjm_model::check("journey\n  section S\n    X: 3\n      evidence: colour = \"red\"\n").journey;
    let m = cjm_mine::measure::measure(&map, &log);
    let e = m.steps[0].rule_error.as_deref().unwrap();
    assert!(e.contains("no field `colour`") && e.contains("touchpoint, channel, score, customer"), "{e}");
}

#[test]
fn discovered_drafts_read_back_and_measure_themselves() {
    let log = read_path(&peers().join("events_1e5.parquet"), &ReadOptions::default()).unwrap();
    let text = cjm_mine::discover::discover(
        &log,
        &cjm_mine::discover::DiscoverOptions {
            title: "Draft: a #1 test".into(),
            source: "events_1e5.parquet".into(),
            max_steps: 12,
        },
    );
    let lowered = cjm_model::check(&text);
    assert!(lowered.diagnostics.is_empty(), "{:?}\n{text}", lowered.diagnostics);
    let map = lowered.journey;
    assert_eq!(map.title.as_deref(), Some("Draft: a #1 test"));
    assert!(map.steps().count() >= 6 && map.steps().count() <= 12);
    assert!(map.steps().all(|s| s.evidence.is_some()));
    let m = cjm_mine::measure::measure(&map, &log);
    assert!(m.steps.iter().all(|s| s.reached > 0 && s.rule_error.is_none()));
    // The draft's steps are the touchpoints most customers meet.
    assert!(map.steps().any(|s| s.name == "product_page"));
}

/// DFG, start/end and variant counts on the real receipt and BPIC 2012
/// logs equal PM4Py's (tests/pm4py/reference.py wrote the golden files).
#[test]
fn real_logs_summarise_like_pm4py() {
    let all = ReadOptions { lifecycle: cjm_events::Lifecycle::All, ..ReadOptions::default() };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    for name in ["receipt", "bpic2012"] {
        let golden: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/pm4py/{name}.json")))
                .unwrap(),
        )
        .unwrap();
        let log = read_path(&data.join(format!("{name}.xes.gz")), &all).unwrap();
        let s = cjm_mine::summarize(&log, &[], 200);
        assert_eq!(s.n_events, golden["events"].as_u64().unwrap(), "{name}: events");
        assert_eq!(s.n_customers, golden["cases"].as_u64().unwrap(), "{name}: cases");
        let dfg: Vec<serde_json::Value> = s.dfg.iter().map(|e| serde_json::json!([e.from, e.to, e.count])).collect();
        assert_eq!(serde_json::Value::Array(dfg), golden["dfg"], "{name}: DFG");
        let pairs = |v: &[cjm_mine::contract::Count]| {
            serde_json::Value::Array(v.iter().map(|c| serde_json::json!([c.touchpoint, c.count])).collect())
        };
        assert_eq!(pairs(&s.start_touchpoints), golden["start_activities"], "{name}: starts");
        assert_eq!(pairs(&s.end_touchpoints), golden["end_activities"], "{name}: ends");
        assert_eq!(
            s.n_variants as usize,
            golden["variant_counts"].as_array().unwrap().len(),
            "{name}: number of variants"
        );
        let top: Vec<serde_json::Value> =
            s.top_variants.iter().map(|v| serde_json::json!([v.sequence, v.count])).collect();
        assert_eq!(serde_json::Value::Array(top), golden["top_variants"], "{name}: top variants");
        let mut counts: Vec<u64> =
            golden["variant_counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(counts.iter().sum::<u64>(), s.n_customers, "{name}: variant counts add up to the cases");
    }
}

#[test]
fn funnels_in_order_any_order_strict_and_windowed() {
    use cjm_mine::analysis::{funnel_report, FunnelSpec};
    let log = small_log(LOG);
    let j = cjm_mine::journeys::build(&log);
    let spec = |steps: &[&str], any_order, strict, window_seconds| FunnelSpec {
        steps: steps.iter().map(|s| s.to_string()).collect(),
        any_order,
        strict,
        window_seconds,
    };
    let reached = |f: &FunnelSpec| funnel_report(&log, &j, f).steps.iter().map(|s| s.reached).collect::<Vec<_>>();
    assert_eq!(reached(&spec(&["ad", "cart", "pay"], false, false, None)), [3, 2, 1]);
    assert_eq!(reached(&spec(&["cart", "ad"], true, false, None)), [3, 2], "any order: A and B have both");
    assert_eq!(reached(&spec(&["ad", "cart"], false, false, Some(600))), [3, 1], "B's cart comes after 20 minutes");
    assert_eq!(reached(&spec(&["ad", "pay"], false, true, None)), [3, 0], "strict: pay never directly follows ad");
    let r = funnel_report(&log, &j, &spec(&["ad", "cart", "pay"], false, false, None));
    assert_eq!(r.dropped[0], ["C"]);
    assert_eq!(r.dropped[1], ["D"]);
    assert_eq!(r.dropped[2], ["B"]);
    assert_eq!(r.steps[1].median_seconds_from_start, Some(750.0));
}

#[test]
fn sessions_and_filters() {
    let log = small_log(LOG);
    let s = cjm_mine::analysis::sessions(&log, 600);
    // B's two events are 20 minutes apart: two sessions.
    assert_eq!(s.cases.len(), 5);
    assert!(s.cases.lookup("B#2").is_some());
    let mut f = log.clone();
    cjm_mine::analysis::filter(&mut f, None, None, Some(("channel", &["web".to_string()]))).unwrap();
    assert_eq!(f.len(), 3);
    let mut g = log.clone();
    let from = cjm_events::TimeFormat::default().parse("2024-01-02").unwrap();
    cjm_mine::analysis::filter(&mut g, Some(from), None, None).unwrap();
    assert_eq!(g.len(), 3);
    let mut h = log.clone();
    assert!(cjm_mine::analysis::filter(&mut h, None, None, Some(("colour", &[])))
        .unwrap_err()
        .to_string()
        .contains("no attribute `colour`"));
}

#[test]
fn coverage_filter_and_connected_simplification() {
    let log = small_log(LOG);
    // Variants: A, B, C, D are all different; covering 50% keeps two of four customers.
    let kept = cjm_mine::analysis::keep_covering_variants(&log, cjm_mine::analysis::Share::parse("0.5").unwrap());
    assert_eq!(kept.case.iter().collect::<std::collections::HashSet<_>>().len(), 2);
    let s = cjm_mine::summarize(&log, &[], 20);
    let main = cjm_mine::analysis::simplify_dfg(&s, 0.0);
    // Even with no core, every kept touchpoint stays between a start and an end.
    let nodes: std::collections::HashSet<&str> = main.iter().flat_map(|e| [e.from.as_str(), e.to.as_str()]).collect();
    assert!(main.len() <= s.dfg.len());
    for n in &nodes {
        assert!(
            main.iter().any(|e| e.to == *n) || s.start_touchpoints.iter().any(|c| c.touchpoint == *n),
            "{n} unreachable"
        );
    }
    let all = cjm_mine::analysis::simplify_dfg(&s, 1.0);
    assert_eq!(all.len(), s.dfg.len());
}

/// A map's `data` block takes exactly the formats the readers know, by the
/// readers' names (the model cannot see cjm-events, so this test ties them).
#[test]
fn the_data_blocks_formats_are_the_readers() {
    assert_eq!(cjm_model::data_choices("format"), Some(&cjm_events::Format::NAMES[..]));
    for f in cjm_events::Format::ALL {
        assert_eq!(cjm_events::Format::from_name(f.name()), Some(f));
        let file = format!("log.{}.gz", f.extensions()[0]);
        assert_eq!(cjm_events::Format::from_path(std::path::Path::new(&file)), Some(f));
    }
}

/// The peers' tie-heavy log as plain rows, read by the test itself:
/// (customer, timestamp text, touchpoint, channel), in file order. Its
/// timestamps share one layout, so text order is time order.
fn reference_rows() -> Vec<[String; 4]> {
    let text = std::fs::read_to_string(peers().join("ties_2e4.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[0].to_string(), f[1].to_string(), f[2].to_string(), f[3].to_string()]
        })
        .collect()
}

/// Each customer's touchpoints in contract order (time, then row), by customer.
fn reference_journeys(rows: &[[String; 4]]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by: std::collections::BTreeMap<String, Vec<(String, usize, String)>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        by.entry(r[0].clone()).or_default().push((r[1].clone(), i, r[2].clone()));
    }
    by.into_iter()
        .map(|(c, mut evs)| {
            evs.sort();
            (c, evs.into_iter().map(|e| e.2).collect())
        })
        .collect()
}

/// Greedy in-order funnel: how many steps a journey reaches.
fn reference_reached(journey: &[String], steps: &[&str]) -> usize {
    let mut k = 0;
    for t in journey {
        if k < steps.len() && t == steps[k] {
            k += 1;
        }
    }
    k
}

/// Every share divides by the customers with at least one event after the
/// filters (and, in a breakdown, in that segment), and the lists name only
/// what is left: the expected figures come from the rows, read here.
#[test]
fn shares_divide_by_the_customers_left_after_filters() {
    let steps = ["product_page", "add_to_cart", "checkout_start"];
    let rows = reference_rows();
    let spec =
        cjm_mine::analysis::FunnelSpec { steps: steps.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    let check = |label: &str, log: &cjm_events::EventLog, kept: Vec<[String; 4]>| {
        let journeys = reference_journeys(&kept);
        let n = journeys.len() as f64;
        let first = journeys.values().filter(|j| reference_reached(j, &steps) >= 1).count() as f64;
        let mut variants: std::collections::BTreeMap<&Vec<String>, u64> = Default::default();
        for j in journeys.values() {
            *variants.entry(j).or_insert(0) += 1;
        }
        let top = variants.values().copied().max().unwrap() as f64;
        let j = cjm_mine::journeys::build(log);
        let s = cjm_mine::summary::summarize(log, &j, &spec.steps, 5);
        let counts: Vec<u64> = s.top_variants.iter().map(|v| v.count).collect();
        let a = cjm_mine::analysis::analyse(log, &j, Some(&spec), 1, &counts);
        assert_eq!(s.n_customers as f64, n, "{label}: customers");
        let f = a.funnel.unwrap();
        assert_eq!(f.steps[0].conversion, first / n, "{label}: step 1 of the funnel");
        assert_eq!(a.variant_coverage[0], top / n, "{label}: coverage of the top variant");
        let channels: std::collections::BTreeSet<&str> = kept.iter().map(|r| r[3].as_str()).collect();
        let reach: std::collections::BTreeSet<&str> = a.channel_reach.iter().map(|c| c.channel.as_str()).collect();
        assert_eq!(reach, channels, "{label}: channels listed");
        let touchpoints: std::collections::BTreeSet<&str> = kept.iter().map(|r| r[2].as_str()).collect();
        let next: std::collections::BTreeSet<&str> = a.next_times.iter().map(|t| t.touchpoint.as_str()).collect();
        assert_eq!(next, touchpoints, "{label}: touchpoints listed");
    };
    let read = || read_path(&peers().join("ties_2e4.csv"), &ReadOptions::default()).unwrap();
    // `--where channel=web`: only the web events, and their customers.
    let mut web = read();
    cjm_mine::analysis::filter(&mut web, None, None, Some(("channel", &["web".to_string()]))).unwrap();
    check("where channel=web", &web, rows.iter().filter(|r| r[3] == "web").cloned().collect());
    // `--by channel`, segment email: the customers with an email event, all their events.
    let whole = read();
    let emailed: std::collections::HashSet<&str> =
        rows.iter().filter(|r| r[3] == "email").map(|r| r[0].as_str()).collect();
    let segment = cjm_mine::analysis::customers_with(&whole, "channel", "email");
    check("by channel: email", &segment, rows.iter().filter(|r| emailed.contains(r[0].as_str())).cloned().collect());
}

/// `--cover` ranks variants as the top variants are ranked: by count, then
/// by the sequence's names, not by which came first in the file.
#[test]
fn cover_breaks_ties_by_name() {
    let log = small_log(
        "customer_id,timestamp,touchpoint\nA,2024-01-01T10:00:00Z,zebra\nB,2024-01-01T10:00:00Z,apple\nC,2024-01-01T10:00:00Z,mango\nC,2024-01-01T11:00:00Z,mango\nD,2024-01-01T10:00:00Z,mango\nD,2024-01-01T11:00:00Z,mango\n",
    );
    // mango→mango (2 customers) first, then apple and zebra tie at 1: 3 of 4 is apple's.
    let kept = cjm_mine::analysis::keep_covering_variants(&log, cjm_mine::analysis::Share::parse("0.75").unwrap());
    let acts: std::collections::BTreeSet<&str> = kept.activity.iter().map(|&a| kept.activities.get(a)).collect();
    assert_eq!(acts, ["apple", "mango"].into_iter().collect());
    let s = cjm_mine::summarize(&log, &[], 2);
    assert_eq!(s.top_variants[1].sequence, ["apple"], "the top variants agree");
}

/// A share is the fraction its text writes, compared in integers: no
/// float division decides whether a variant is in.
#[test]
fn cover_shares_are_exact_fractions() {
    use cjm_mine::analysis::Share;
    assert_eq!(Share::parse("0.8"), Ok(Share { num: 8, den: 10 }));
    assert_eq!(Share::parse(".25"), Ok(Share { num: 25, den: 100 }));
    assert_eq!(Share::parse("1.0"), Ok(Share { num: 10, den: 10 }));
    assert_eq!(Share::parse("0"), Ok(Share { num: 0, den: 1 }));
    for bad in ["", ".", "1.5", "-0.1", "0.1234567890", "1e-3", "0,8", "NaN"] {
        assert!(Share::parse(bad).is_err(), "{bad}");
    }
    // 7 of 10 is exactly 0.7 (in floats 7/10 = 0.7 too, but 0.1 + 0.6 is not).
    let s = Share::parse("0.7").unwrap();
    assert!(s.reached_by(7, 10) && !s.reached_by(6_999_999, 10_000_000));
    assert!(Share::parse("0.000000001").unwrap().reached_by(1, 1_000_000_000));
    assert!(!Share::parse("0.000000001").unwrap().reached_by(1, 1_000_000_001));
    // Totals past 2^53 (where floats lose whole numbers) stay exact.
    let half = Share::parse("0.5").unwrap();
    assert!(!half.reached_by((1u64 << 60) - 1, 1u64 << 61) && half.reached_by(1u64 << 60, 1u64 << 61));
}

/// On every real log, each pair of consecutive steps of a draft is in the
/// order most customers who meet both meet them (first meetings, counted
/// here from the journeys).
#[test]
fn drafts_follow_the_dominant_order_on_real_logs() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    let complaints = ReadOptions {
        encoding: cjm_events::Encoding::Latin1,
        columns: cjm_events::ColumnMap {
            case: Some("CustomerID".into()),
            time: Some("ContactDate".into()),
            activity: Some("ComplaintTopic_EN".into()),
            channel: Some("ContactChannelID".into()),
            ..Default::default()
        },
        ..ReadOptions::default()
    };
    for name in ["bpic2012.xes.gz", "bpic2016_complaints.csv", "helpdesk.xes.gz", "receipt.parquet", "sepsis.csv"] {
        let opts = if name.starts_with("bpic2016") { complaints.clone() } else { ReadOptions::default() };
        let log = read_path(&data.join(name), &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let opts = cjm_mine::discover::DiscoverOptions { title: name.into(), source: name.into(), max_steps: 12 };
        let text = cjm_mine::discover::discover(&log, &opts);
        if name == "bpic2012.xes.gz" {
            assert!(
                text.contains("%% 97694 start (and other non-complete) events left out"),
                "the draft says what the lifecycle choice left out"
            );
        }
        let map = cjm_model::check(&text).journey;
        let steps: Vec<String> = map.steps().map(|s| s.name.clone()).collect();
        assert!(steps.len() >= 2, "{name}: {steps:?}");
        let j = cjm_mine::journeys::build(&log);
        let first_at = |c: usize, t: &str| j.acts[j.range(c)].iter().position(|&a| log.activities.get(a) == t);
        for w in steps.windows(2) {
            let (mut forward, mut backward) = (0, 0);
            for c in 0..j.slots() {
                if let (Some(x), Some(y)) = (first_at(c, &w[0]), first_at(c, &w[1])) {
                    if x < y {
                        forward += 1;
                    } else {
                        backward += 1;
                    }
                }
            }
            assert!(forward >= backward, "{name}: {} before {}: {forward} customers, after: {backward}", w[0], w[1]);
        }
    }
}

/// Volume over time, counted by hand from the four customers of `LOG`
/// (A and B on 1 January 2024, C on the 2nd, D on the 3rd; a Monday week).
#[test]
fn trends_count_events_active_and_new_customers_per_bucket() {
    use cjm_mine::trend::{trend, Interval};
    let log = small_log(&format!("{LOG}A,2024-01-03T08:00:00Z,help,phone,\n"));
    let j = cjm_mine::journeys::build(&log);
    let days = trend(&j, Interval::Day).unwrap();
    let got: Vec<(&str, u64, u64, u64)> =
        days.iter().map(|b| (b.start.as_str(), b.events, b.customers, b.new_customers)).collect();
    assert_eq!(got, [("2024-01-01", 5, 2, 2), ("2024-01-02", 2, 1, 1), ("2024-01-03", 2, 2, 1)]);
    let weeks = trend(&j, Interval::Week).unwrap();
    assert_eq!((weeks.len(), weeks[0].start.as_str(), weeks[0].customers, weeks[0].events), (1, "2024-01-01", 4, 9));
    let wide = small_log("customer_id,timestamp,touchpoint\nA,1990-01-01T00:00:00Z,x\nA,2024-01-01T00:00:00Z,y\n");
    let e = trend(&cjm_mine::journeys::build(&wide), Interval::Day).unwrap_err();
    assert!(e.to_string().contains("choose a longer interval"), "{e}");
    assert_eq!(trend(&cjm_mine::journeys::build(&wide), Interval::Month).unwrap().len(), 409);
}

/// The transition times alone equal the analysis's, on every real log.
#[test]
fn transition_times_alone_equal_the_analysis() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs");
    for name in ["receipt.parquet", "helpdesk.xes.gz", "sepsis.csv"] {
        let log = read_path(&data.join(name), &ReadOptions::default()).unwrap();
        let j = cjm_mine::journeys::build(&log);
        let full = cjm_mine::analysis::analyse(&log, &j, None, 1, &[]).edge_times;
        let alone = cjm_mine::analysis::transition_times(&log, &j);
        assert_eq!(format!("{alone:?}"), format!("{full:?}"), "{name}");
        assert!(!alone.is_empty(), "{name}");
    }
}

/// A mean score is the exact sum rounded once over the count: ten scores
/// of 0.1 mean 0.1 in any row order (a row-order f64 fold gives
/// 0.09999999999999999), in the summary and in a measured map.
#[test]
fn mean_scores_are_exact_and_do_not_depend_on_row_order() {
    let rows: Vec<String> = (0..10).map(|i| format!("c{i},2026-01-01T10:00:0{i}Z,a,web,0.1")).collect();
    let extra = ["c0,2026-01-01T11:00:00Z,a,web,1e16", "c1,2026-01-01T11:00:00Z,a,web,-1e16"];
    let forward: Vec<&str> = rows.iter().map(String::as_str).chain(extra).collect();
    let mut backward = forward.clone();
    backward.reverse();
    let mut means = Vec::new();
    for order in [&forward, &backward] {
        let log = small_log(&format!("customer_id,timestamp,touchpoint,channel,score\n{}\n", order.join("\n")));
        let s = cjm_mine::summarize(&log, &[], 5);
        means.push(s.touchpoints[0].mean_score.unwrap());
    }
    assert_eq!(means[0].to_bits(), means[1].to_bits());
    assert_eq!(means[0], 1.0 / 12.0, "(0.1 × 10 + 1e16 − 1e16) / 12, the sum exact");
    let naive: f64 = forward.iter().map(|r| r.rsplit(',').next().unwrap().parse::<f64>().unwrap()).sum::<f64>() / 12.0;
    assert_ne!(naive, means[0], "a row-order fold loses the 0.1s to the 1e16");
}
