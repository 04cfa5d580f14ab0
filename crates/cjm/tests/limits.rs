//! Adversarial inputs at scale: every command stays within its bounds and
//! answers with a clear error, never a crash.

use super::*;

/// A map whose one step has an evidence rule of `terms` comparisons joined by `op`.
fn map_with_rule(terms: usize, op: &str) -> String {
    // Numbers and texts alternate, so both ways of compiling a comparison run.
    let term = |i: usize| if i.is_multiple_of(2) { format!("t = {}", i % 10) } else { format!("t = \"{}\"", i % 10) };
    let rule = (0..terms).map(term).collect::<Vec<_>>().join(&format!(" {op} "));
    format!("journey\n  title Long rule\n  section S\n    Step: 3\n      evidence: {rule}\n")
}

#[test]
fn a_rule_of_200000_terms_is_checked_formatted_converted_and_measured() {
    let dir = tmp();
    let log = dir.path().join("log.csv");
    std::fs::write(
        &log,
        "customer_id,timestamp,touchpoint,t\nc1,2026-01-01T10:00:00Z,a,3\nc2,2026-01-01T10:00:00Z,a,11\n",
    )
    .unwrap();
    for op in ["and", "or"] {
        let map = dir.path().join(format!("{op}.cjm"));
        std::fs::write(&map, map_with_rule(200_000, op)).unwrap();
        let map = map.to_str().unwrap();
        let o = run(&["check", map]);
        assert_eq!(code(&o), 0, "check {op}: {}", stderr(&o));
        let o = run(&["fmt", "--check", map]);
        assert_eq!(code(&o), 0, "fmt {op}: {}", stderr(&o));
        let o = run(&["convert", map, "--to", "json"]);
        assert_eq!(code(&o), 0, "convert {op}: {}", stderr(&o));
        let o = run(&["measure", map, log.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code(&o), 0, "measure {op}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // `t = 0 and t = 1 …` matches nobody; `t = 0 or … or t = 9` matches c1 (t = 3).
        assert_eq!(v["steps"][0]["reached"], if op == "and" { 0 } else { 1 }, "measure {op}");
    }
}

#[test]
fn deeply_nested_rules_are_refused_with_a_located_error() {
    let dir = tmp();
    for (name, rule) in [
        ("parens", format!("{}t = 1{}", "(".repeat(100_000), ")".repeat(100_000))),
        ("nots", "not ".repeat(100_000) + "t = 1"),
    ] {
        let map = dir.path().join(format!("{name}.cjm"));
        std::fs::write(&map, format!("journey\n  section S\n    Step: 3\n      evidence: {rule}\n")).unwrap();
        let o = run(&["check", map.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains("nests deeper than"), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(":4:"), "{name}: the error has its line: {}", stderr(&o));
    }
}

#[test]
fn a_gzip_bomb_stops_at_the_inflated_limit_with_exit_1() {
    let dir = tmp();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, b"customer_id,timestamp,touchpoint\n").unwrap();
    std::io::Write::write_all(&mut gz, &vec![b'0'; 64 << 20]).unwrap();
    let path = dir.path().join("bomb.csv.gz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let o = run(&["mine", path.to_str().unwrap(), "--max-inflated", "8"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("inflates to more than 8 MiB") && stderr(&o).contains("--max-inflated"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).len() < 500, "{}", stderr(&o));
}

#[test]
fn the_report_cuts_a_huge_field_to_a_readable_length() {
    let dir = tmp();
    let huge = "x".repeat(4 << 20);
    let mut csv = String::from("customer_id,timestamp,touchpoint,channel\n");
    for i in 0..3 {
        csv.push_str(&format!(
            "c{i},2026-01-01T10:00:0{i}Z,{huge},{huge}\nc{i},2026-01-01T10:00:0{}Z,pay,web\n",
            i + 1
        ));
    }
    let path = dir.path().join("huge.csv");
    std::fs::write(&path, csv).unwrap();
    let o = run(&["mine", path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.len() < 16 * 1024, "the report is {} bytes", o.stdout.len());
    assert!(stdout(&o).contains("xxxxxxxx…"), "{}", stdout(&o));
}
