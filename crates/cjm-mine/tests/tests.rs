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
            let log = read_path(&peers().join(format!("{name}.{ext}")), &ReadOptions::default()).unwrap();
            let actual = cjm_mine::summary_json(&cjm_mine::summarize(&log, &funnel, 20));
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
