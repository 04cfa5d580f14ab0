//! Prints the summary plan as JSON, for a runner outside Rust
//! (`scripts/spark-parity.py`): `cargo run -p cjm-spark --example plan -- STEP,STEP TOP`.

fn main() {
    let mut args = std::env::args().skip(1);
    let funnel: Vec<String> =
        args.next().unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(String::from).collect();
    let top = args.next().and_then(|t| t.parse().ok()).unwrap_or(20);
    println!("{}", cjm_spark::sql::summary_plan(&funnel, top).to_json());
}
