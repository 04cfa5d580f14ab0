//! The `cjm` binary as a user meets it: exit codes, stdout vs stderr, files
//! written or left alone, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cjm() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cjm"));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn run(args: &[&str]) -> Output {
    cjm().args(args).output().expect("cjm runs")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    cjm().current_dir(dir).args(args).output().expect("cjm runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child =
        cjm().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    child.wait_with_output().expect("cjm runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn template(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cjm-model/templates").join(format!("{name}.cjm"))
}

fn golden(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cjm-model/tests/golden").join(rel).display().to_string()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn help_is_complete_with_examples() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    for word in ["check", "fmt", "convert", "new", "schema", "Examples:"] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    for sub in ["check", "fmt", "convert", "new", "schema"] {
        let o = run(&[sub, "--help"]);
        assert_eq!(code(&o), 0, "{sub} --help");
        assert!(stdout(&o).contains("Example"), "{sub} --help has no example:\n{}", stdout(&o));
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&run(&[])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
    assert_eq!(code(&run(&["convert", "x.cjm"])), 2, "missing --to");
    assert_eq!(code(&run(&["check", "--deny", "everything", "x.cjm"])), 2);
}

#[test]
fn check_clean_map_exits_0_with_summary_on_stderr() {
    let o = run(&["check", template("ecommerce").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "human diagnostics go to stderr");
    assert!(stderr(&o).contains("0 errors, 0 warnings"));
}

#[test]
fn check_reports_file_line_col_code_and_hint() {
    let o = run(&["check", &golden("bad/unknown-keys.cjm")]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("error[E014]: unknown key `chanel` in a step"), "{err}");
    assert!(err.contains("unknown-keys.cjm:8:7"), "{err}");
    assert!(err.contains("hint: did you mean `channel`?"), "{err}");
    assert!(err.contains("^^^^^^"), "the span is underlined: {err}");
}

#[test]
fn warnings_fail_only_when_denied() {
    let quirks = golden("mermaid/quirks.mmd");
    assert_eq!(code(&run(&["check", &quirks])), 0);
    assert_eq!(code(&run(&["check", "--deny", "warnings", &quirks])), 1);
}

#[test]
fn check_json_is_machine_readable_on_stdout() {
    let o = run(&["check", "--format", "json", &golden("bad/unknown-keys.cjm"), template("support").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let records: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON array");
    let first = &records[0];
    assert_eq!(first["code"], "E014");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 4);
    assert_eq!(first["column"], 5);
    assert!(first["file"].as_str().unwrap().ends_with("unknown-keys.cjm"));
    assert!(first["hint"].as_str().unwrap().contains("goal"));
}

#[test]
fn check_explains_codes() {
    let o = run(&["check", "--explain", "w014"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("hash-cuts-line"));
    assert_eq!(code(&run(&["check", "--explain", "E999"])), 2);
}

#[test]
fn missing_file_and_directory_are_io_errors() {
    let o = run(&["check", "no/such/file.cjm"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read `no/such/file.cjm`: no such file"), "{}", stderr(&o));
    let dir = tmp();
    let o = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

#[test]
fn invalid_utf8_is_an_input_error_with_position() {
    let o = run(&["check", &golden("bad/latin1.cjm")]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("latin1.cjm:2:20"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not valid UTF-8"));
}

#[test]
fn empty_file_and_stdin() {
    let o = run(&["check", &golden("bad/empty.cjm")]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("the file is empty"));
    let o = run_stdin(&["check", "-"], b"journey\n  section S\n    Step: 3\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("<stdin>") || stderr(&o).contains("0 errors"));
}

#[test]
fn fmt_rewrites_in_place_and_check_mode_reports() {
    let dir = tmp();
    let path = dir.path().join("m.cjm");
    std::fs::write(&path, "%% keep me\njourney\ntitle   T\nsection S\nStep:3:Me\n").unwrap();
    let p = path.to_str().unwrap();
    let o = run(&["fmt", "--check", p]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("would reformat"));
    assert_eq!(code(&run(&["fmt", p])), 0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "%% keep me\njourney\n  title T\n  section S\n    Step: 3: Me\n");
    assert_eq!(code(&run(&["fmt", "--check", p])), 0);
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name() != "m.cjm").collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn fmt_refuses_files_with_errors_and_leaves_them_untouched() {
    let dir = tmp();
    let path = dir.path().join("bad.cjm");
    let original = "journey\n  section S\n    Step: 3\n      chanel: web\n";
    std::fs::write(&path, original).unwrap();
    let o = run(&["fmt", path.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("not formatted"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn fmt_formats_journey_blocks_inside_markdown_only() {
    let dir = tmp();
    let path = dir.path().join("doc.md");
    let md =
        "# Doc\n\n```mermaid\njourney\ntitle T\nsection S\nA:3:Me\n```\n\n```mermaid\nflowchart LR\n  a-->b\n```\n";
    std::fs::write(&path, md).unwrap();
    assert_eq!(code(&run(&["fmt", path.to_str().unwrap()])), 0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "# Doc\n\n```mermaid\njourney\n  title T\n  section S\n    A: 3: Me\n```\n\n```mermaid\nflowchart LR\n  a-->b\n```\n");
}

#[test]
fn fmt_stdin_writes_stdout() {
    let o = run_stdin(&["fmt", "-"], b"journey\r\n\ttitle T\r\n");
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "journey\n  title T\n");
}

#[test]
fn convert_cjm_json_cjm_is_lossless() {
    let dir = tmp();
    for name in ["ecommerce", "five-as", "service", "saas-onboarding", "support"] {
        let json = dir.path().join(format!("{name}.json"));
        let back = dir.path().join(format!("{name}.cjm"));
        let again = dir.path().join(format!("{name}-2.json"));
        let src = template(name);
        assert_eq!(code(&run(&["convert", src.to_str().unwrap(), "--to", "json", "-o", json.to_str().unwrap()])), 0);
        assert_eq!(code(&run(&["convert", json.to_str().unwrap(), "--to", "cjm", "-o", back.to_str().unwrap()])), 0);
        assert_eq!(code(&run(&["convert", back.to_str().unwrap(), "--to", "json", "-o", again.to_str().unwrap()])), 0);
        assert_eq!(std::fs::read_to_string(&json).unwrap(), std::fs::read_to_string(&again).unwrap(), "{name}");
        let o = run(&["check", "--deny", "warnings", back.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
    }
}

#[test]
fn convert_to_mermaid_says_what_was_dropped() {
    let o = run(&["convert", template("ecommerce").to_str().unwrap(), "--to", "mermaid"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.starts_with("journey\n  title Buy a laptop online\n  section Discover\n    See an Instagram ad: 3: Sam\n"),
        "{out}"
    );
    let err = stderr(&o);
    assert!(err.contains("dropped (Mermaid cannot show it): 1 persona card(s): Sam"), "{err}");
    assert!(err.contains("pain point(s)"), "{err}");
    // The export is a valid map again, with no errors.
    let dir = tmp();
    let mmd = dir.path().join("x.mmd");
    std::fs::write(&mmd, &out).unwrap();
    assert_eq!(code(&run(&["check", mmd.to_str().unwrap()])), 0);
}

#[test]
fn convert_reads_markdown_blocks() {
    let dir = tmp();
    let md = dir.path().join("doc.md");
    std::fs::write(&md, "Intro\n\n```mermaid\njourney\n  title First\n  section A\n    X: 3\n```\n\n~~~mermaid\njourney\n  title Second\n  section B\n    Y: 4\n~~~\n").unwrap();
    let p = md.to_str().unwrap();
    let o = run(&["convert", p, "--to", "json"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("\"title\": \"First\""));
    assert!(stderr(&o).contains("2 journey blocks"));
    let o = run(&["convert", p, "--block", "2", "--to", "cjm"]);
    assert_eq!(stdout(&o), "journey\n  title Second\n  section B\n    Y: 4\n");
    assert_eq!(code(&run(&["convert", p, "--block", "3", "--to", "cjm"])), 2);
    let none = dir.path().join("none.md");
    std::fs::write(&none, "# nothing here\n").unwrap();
    let o = run(&["convert", none.to_str().unwrap(), "--to", "json"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no Mermaid journey found"));
}

#[test]
fn convert_with_errors_writes_nothing() {
    let dir = tmp();
    let out = dir.path().join("out.json");
    let o = run(&["convert", &golden("bad/model-errors.cjm"), "--to", "json", "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(!out.exists(), "no output file for a map with errors");
}

#[test]
fn bad_json_points_at_line_and_column() {
    let dir = tmp();
    let path = dir.path().join("m.json");
    std::fs::write(&path, "{\n  \"title\": \"x\",\n  \"stages\": [\n    {\"id\": \"a\", \"name\": \"A\", \"steps\": [{\"id\": \"s\", \"name\": \"S\", \"score\": 3, \"actors\": [\"Bob\"]}]}\n  ],\n  \"personas\": [{\"id\": \"sam\", \"name\": \"Sam\"}]\n}\n").unwrap();
    let o = run(&["check", path.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("stages[0].steps[0].actors[0]: `Bob` is not a declared persona"), "{}", stderr(&o));
    assert!(stderr(&o).contains("m.json:4:"), "{}", stderr(&o));
    std::fs::write(&path, "{\"title\": \"x\",}").unwrap();
    let o = run(&["check", path.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("invalid JSON"), "{}", stderr(&o));
}

#[test]
fn new_lists_writes_and_never_overwrites() {
    let o = run(&["new", "--list"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).lines().count(), 5);
    let dir = tmp();
    let o = run_in(dir.path(), &["new", "--template", "support", "-o", "map.cjm"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run_in(dir.path(), &["check", "--deny", "warnings", "map.cjm"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run_in(dir.path(), &["new", "-o", "map.cjm"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("already exists"));
    assert_eq!(code(&run_in(dir.path(), &["new", "-o", "map.cjm", "--force"])), 0);
    let o = run(&["new", "--template", "ecomerce"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean `ecommerce`?"), "{}", stderr(&o));
}

#[test]
fn schema_is_printed() {
    let o = run(&["schema"]);
    assert_eq!(code(&o), 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(schema["title"], "Journey");
}

#[test]
fn output_to_a_directory_or_missing_folder_fails_cleanly() {
    let dir = tmp();
    let o =
        run(&["convert", template("ecommerce").to_str().unwrap(), "--to", "json", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is a directory"));
    let missing = dir.path().join("no/such/dir/out.json");
    let o = run(&["convert", template("ecommerce").to_str().unwrap(), "--to", "json", "-o", missing.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
}

#[test]
fn huge_file_is_checked() {
    let dir = tmp();
    let path = dir.path().join("big.cjm");
    let mut text = String::from("journey\n  title Big\n");
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "  section S{i}\n    Step {i}: 3\n      doing: padding padding padding padding padding padding padding\n"
        ));
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let o = run(&["check", path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn render_writes_each_format_by_extension() {
    let dir = tmp();
    let src = template("support");
    for (ext, magic) in
        [("svg", &b"<svg"[..]), ("png", &b"\x89PNG"[..]), ("pdf", &b"%PDF"[..]), ("html", &b"<!doctype html>"[..])]
    {
        let out = dir.path().join(format!("map.{ext}"));
        let o = run(&["render", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{ext}: {}", stderr(&o));
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(magic), "{ext} output starts with {:?}", &bytes[..8.min(bytes.len())]);
    }
    let o = run(&["render", src.to_str().unwrap(), "--format", "svg"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("<svg"));
}

#[test]
fn render_options_are_checked() {
    let src = template("five-as");
    let s = src.to_str().unwrap();
    let o = run(&["render", s, "-o", "x.gif"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot tell the format"), "{}", stderr(&o));
    let o = run(&["render", s, "--format", "svg", "--lanes", "steps,emotoin"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean `emotion`?"), "{}", stderr(&o));
    let o = run(&["render", s, "--format", "svg", "--persona", "Tim"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean `Tom`?"), "{}", stderr(&o));
    let o = run(&["render", s, "--format", "svg", "--width", "5"]);
    assert_eq!(code(&o), 2);
    let o = run(&["render", s]);
    assert_eq!(code(&o), 2, "no output and no format");
    let o = run(&[
        "render",
        s,
        "--format",
        "svg",
        "--persona",
        "Tom",
        "--lanes",
        "steps,emotion",
        "--theme",
        "dark",
        "--width",
        "1200",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains(r#"data-persona="Tom""#));
}

#[test]
fn render_refuses_maps_with_errors_and_leaves_no_file() {
    let dir = tmp();
    let out = dir.path().join("bad.png");
    let o = run(&["render", &golden("bad/unknown-keys.cjm"), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(!out.exists());
}

#[test]
fn render_embeds_a_persona_image_or_warns() {
    let dir = tmp();
    let map = dir.path().join("m.cjm");
    std::fs::write(&map, "journey\n  persona Ann\n    image: ann.png\n  section S\n    Step: 3: Ann\n").unwrap();
    let o = run(&["render", map.to_str().unwrap(), "--format", "svg"]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("cannot read") && stderr(&o).contains("initials"), "{}", stderr(&o));
    // A real PNG next to the map is embedded.
    let png = dir.path().join("ann.png");
    let o = run(&[
        "render",
        template("service").to_str().unwrap(),
        "-o",
        png.to_str().unwrap(),
        "--lanes",
        "steps",
        "--scale",
        "0.2",
    ]);
    assert_eq!(code(&o), 0);
    let o = run(&["render", map.to_str().unwrap(), "--format", "svg"]);
    assert!(stdout(&o).contains("data:image/png;base64,"), "{}", stderr(&o));
}

#[test]
fn outputs_are_readable_by_others() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tmp();
        let out = dir.path().join("m.json");
        assert_eq!(
            code(&run(&[
                "convert",
                template("support").to_str().unwrap(),
                "--to",
                "json",
                "-o",
                out.to_str().unwrap()
            ])),
            0
        );
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o644);
    }
}

fn peers_log(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cjm-mine/tests/peers").join(name).display().to_string()
}

#[test]
fn mine_summary_json_equals_the_peers() {
    let expected = std::fs::read_to_string(peers_log("events_1e5.expected.json")).unwrap();
    let o = run(&[
        "mine",
        &peers_log("events_1e5.csv"),
        "--format",
        "summary-json",
        "--funnel",
        "product_page,add_to_cart,checkout_start,payment,app_login,review_posted",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o) == expected, "summary-json differs from the peers");
    let o = run(&["mine", &peers_log("ties_2e4.parquet")]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Top variants"));
}

#[test]
fn mine_explains_bad_logs() {
    let dir = tmp();
    let p = dir.path().join("x.csv");
    std::fs::write(&p, "who,when,what\n1,soon,3\n").unwrap();
    // A log whose contents have errors is input with errors: exit 1.
    let o = run(&["mine", p.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("no customer (case) id column found") && stderr(&o).contains("--case"),
        "{}",
        stderr(&o)
    );
    let o = run(&["mine", p.to_str().unwrap(), "--case", "who", "--time", "when", "--activity", "what"]);
    assert_eq!(code(&o), 1, "every row has a bad time");
    assert!(stderr(&o).contains("cannot read the time `soon`"), "{}", stderr(&o));
    let o = run(&["mine", "no/such.parquet"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no such file"));
}

#[test]
fn discover_then_measure_then_render_with_events() {
    let dir = tmp();
    let draft = dir.path().join("draft.cjm");
    let log = peers_log("events_1e5.parquet");
    let o = run(&["discover", &log, "-o", draft.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&run(&["check", "--deny", "warnings", draft.to_str().unwrap()])), 0);
    let o = run(&["measure", draft.to_str().unwrap(), &log, "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(m["customers"], 19191);
    let svg = dir.path().join("m.svg");
    let o = run(&["render", draft.to_str().unwrap(), "--events", &log, "-o", svg.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Measured: 19,191 customers in events_1e5.parquet") && text.contains("curve-measured"));
    let o = run(&["measure", template("support").to_str().unwrap(), &log]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("matches no event"), "{}", stderr(&o));
}

#[test]
fn measure_reads_the_log_named_by_the_data_block() {
    let dir = tmp();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs/bpic2016_complaints.csv");
    std::fs::copy(&data, dir.path().join("complaints.csv")).unwrap();
    let map = dir.path().join("m.cjm");
    std::fs::write(
        &map,
        "journey\n  data complaints.csv\n    case: CustomerID\n    time: ContactDate\n    activity: ComplaintTopic_EN\n    encoding: latin1\n  section S\n    Website down: 2\n      evidence: touchpoint = \"Website not available\"\n",
    )
    .unwrap();
    let o = run(&["measure", map.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(m["customers"], 226);
    assert_eq!(m["steps"][0]["reached"], 11);
    std::fs::write(&map, "journey\n  section S\n    X: 3\n      evidence: touchpoint = \"x\"\n").unwrap();
    let o = run(&["measure", map.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("add `data LOG`"), "{}", stderr(&o));
}

/// The demo map's formulas on its own log: in the text report with the
/// verdict in words, in the JSON, and on the rendered map's metric chips.
#[test]
fn measure_and_render_show_each_kpi_against_its_target() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cjm-server/assets/demo");
    let dir = tmp();
    for f in ["permit.cjm", "receipt.parquet"] {
        std::fs::copy(demo.join(f), dir.path().join(f)).unwrap();
    }
    let map = dir.path().join("permit.cjm");
    let o = run(&["measure", map.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Journey KPIs (measured, target, met or missed)"), "{text}");
    let line = text.lines().find(|l| l.contains("Applications confirmed within 5 days")).unwrap();
    assert!(line.contains("target at least 90.0%") && line.contains("✗ missed"), "{line}");
    let o = run(&["measure", map.to_str().unwrap(), "--format", "json"]);
    let m: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let k = &m["kpis"][0];
    assert_eq!(k["customers"], 1434);
    assert_eq!(k["met"], false);
    let v = k["value"].as_f64().unwrap();
    assert!(v > 0.0 && v < 90.0, "{v}");
    let svg = dir.path().join("permit.svg");
    let o = run(&[
        "render",
        map.to_str().unwrap(),
        "--events",
        dir.path().join("receipt.parquet").to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.contains(&format!("✗ missed: Applications confirmed within 5 days {v:.1}% (target at least 90.0%)")),
        "the chip says it"
    );
    assert!(drawn.contains("✓ met: Time to the go-ahead"));
}

#[test]
fn serve_refuses_bad_settings_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let o = run(&["serve", "--data", data, "--max-upload", "0"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--max-upload 0: expected 1 to 4096 (MB)"), "{}", stderr(&o));
    let o = run(&["serve", "--data", data, "--public-url", "cjm.example.com"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("expected an address starting with http:// or https://"), "{}", stderr(&o));
    let o = run(&["serve", "--data", data, "--addr", "not-an-address"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot listen on not-an-address"), "{}", stderr(&o));
    // A file where the data directory should be.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = run(&["serve", "--data", file.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot create the data directory"), "{}", stderr(&o));
    // A log folder that is not one.
    let o = run(&["serve", "--data", data, "--logs", file.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a folder; give the folder that holds the logs"), "{}", stderr(&o));
}

#[test]
fn mine_breaks_every_figure_down_by_a_customer_attribute() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs/receipt.xes.gz");
    let o = run(&[
        "mine",
        log.to_str().unwrap(),
        "--by",
        "channel",
        "--format",
        "json",
        "--funnel",
        "Confirmation of receipt,T02 Check confirmation of receipt",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let parts = v["breakdown"].as_object().unwrap();
    assert_eq!(parts.keys().collect::<Vec<_>>(), ["Desk", "Intern", "Internet", "Post", "e-mail"]);
    let mut customers = 0;
    for (value, part) in parts {
        let summary = &part["summary"];
        let analysis = &part["analysis"];
        for key in [
            "channel_reach",
            "channel_switches",
            "edge_times",
            "eventually_follows",
            "funnel",
            "next_times",
            "variant_coverage",
        ] {
            assert!(!analysis[key].is_null(), "{value}: no {key}");
        }
        customers += summary["n_customers"].as_u64().unwrap();
    }
    // Receipt's channel is a case attribute: the parts split the customers.
    assert_eq!(customers, v["summary"]["n_customers"].as_u64().unwrap());
}

mod limits;

/// `cjm mine --chart`: the funnel and the variants drawn for a deck carry
/// the very figures `--format json` reports, in every format; a funnel
/// chart without steps, or a file the format cannot be told from, is a
/// usage error that writes nothing.
#[test]
fn mine_charts_carry_the_reports_figures() {
    let dir = tempfile::tempdir().unwrap();
    let log = peers_log("ties_2e4.csv");
    let funnel = "product_page,add_to_cart,checkout_start";
    let json = run(&["mine", &log, "--where", "channel=web", "--funnel", funnel, "--format", "json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let svg_path = dir.path().join("funnel.svg");
    let o = run(&[
        "mine",
        &log,
        "--where",
        "channel=web",
        "--funnel",
        funnel,
        "--chart",
        "funnel",
        "-o",
        svg_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "the chart goes to the file, not stdout");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let group = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for step in v["analysis"]["funnel"]["steps"].as_array().unwrap() {
        let reached = step["reached"].as_u64().unwrap();
        let conversion = format!("{:.1}%", step["conversion"].as_f64().unwrap() * 100.0);
        assert!(svg.contains(&format!(">{}</text>", group(reached))), "reached {reached} drawn");
        assert!(svg.contains(&format!(">{conversion}</text>")), "conversion {conversion} drawn");
    }
    assert!(svg.contains("34.8%"), "step 1 of the web customers only (962 of 2,768)");
    let v_path = dir.path().join("variants.png");
    let o = run(&["mine", &log, "--chart", "variants", "--top", "5", "-o", v_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::read(&v_path).unwrap().starts_with(b"\x89PNG"));
    let pdf_path = dir.path().join("funnel.pdf");
    let o = run(&["mine", &log, "--funnel", funnel, "--chart", "funnel", "-o", pdf_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::read(&pdf_path).unwrap().starts_with(b"%PDF"));
    let t_path = dir.path().join("trend.svg");
    let o = run(&["mine", &log, "--chart", "trend", "--interval", "month", "-o", t_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let trend = std::fs::read_to_string(&t_path).unwrap();
    let events: u64 = v["summary"]["n_events"].as_u64().unwrap();
    assert!(trend.contains("class=\"trend-bucket\""), "a bar per month");
    let all = run(&["mine", &log, "--format", "json"]);
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert!(
        trend.contains(&format!("{} events in all", group(all["summary"]["n_events"].as_u64().unwrap()))),
        "every event in some month"
    );
    assert!(events > 0);
    // Paths and the process map: the chart's flows are the JSON's.
    let from = all["summary"]["start_touchpoints"][0]["touchpoint"].as_str().unwrap().to_string();
    let p_path = dir.path().join("paths.svg");
    let o =
        run(&["mine", &log, "--chart", "paths", "--paths-from", &from, "--depth", "2", "-o", p_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let paths_svg = std::fs::read_to_string(&p_path).unwrap();
    let pj = run(&["mine", &log, "--format", "json", "--paths-from", &from, "--depth", "2"]);
    let pj: serde_json::Value = serde_json::from_slice(&pj.stdout).unwrap();
    let links = pj["paths"]["links"].as_array().unwrap();
    assert!(!links.is_empty());
    assert_eq!(paths_svg.matches("class=\"flow\"").count(), links.len(), "a band per flow");
    for l in links {
        let n = l["customers"].as_u64().unwrap();
        assert!(paths_svg.contains(&format!(": {} customers (", group(n))), "flow of {n} drawn");
    }
    let m_path = dir.path().join("process.svg");
    let o = run(&["mine", &log, "--chart", "process", "--simplify", "0.8", "-o", m_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let process_svg = std::fs::read_to_string(&m_path).unwrap();
    let mj = run(&["mine", &log, "--format", "json", "--simplify", "0.8"]);
    let mj: serde_json::Value = serde_json::from_slice(&mj.stdout).unwrap();
    // The chart draws the most frequent of the main flow's transitions, at
    // most as many as lay out quickly (by count, ties by name).
    let mut kept = mj["main_flow"].as_array().unwrap().clone();
    kept.sort_by(|a, b| {
        let key =
            |e: &serde_json::Value| (e["from"].as_str().unwrap().to_string(), e["to"].as_str().unwrap().to_string());
        b["count"].as_u64().cmp(&a["count"].as_u64()).then_with(|| key(a).cmp(&key(b)))
    });
    kept.truncate(cjm_render::charts::PROCESS_MAX_EDGES);
    assert!(process_svg.matches("class=\"transition\"").count() >= kept.len());
    if kept.len() == cjm_render::charts::PROCESS_MAX_EDGES {
        assert!(process_svg.contains("most frequent of"), "the chart says it shows the most frequent");
    }
    for e in &kept {
        let tip = format!(
            "{} → {}: {} times directly after",
            e["from"].as_str().unwrap(),
            e["to"].as_str().unwrap(),
            group(e["count"].as_u64().unwrap())
        );
        assert!(process_svg.contains(&tip), "{tip}");
    }
    for (args, says) in [
        (vec!["--chart", "trend", "--interval", "year", "-o", "x.svg"], "expected day, week or month"),
        (vec!["--chart", "funnel", "-o", "x.svg"], "--funnel: choose the funnel's steps"),
        (vec!["--chart", "paths", "--depth", "11", "-o", "x.svg"], "--depth: choose a depth from 1 to 10"),
        (vec!["--chart", "paths", "--paths-from", "nowhere", "-o", "x.svg"], "the log has no touchpoint `nowhere`"),
        (vec!["--funnel", funnel, "--chart", "funnel", "-o", "x.docx"], "use .svg, .png or .pdf"),
        (vec!["--chart", "variants"], "--chart needs a file to write"),
    ] {
        let mut all = vec!["mine", log.as_str()];
        all.extend(args);
        let o = run_in(dir.path(), &all);
        assert_eq!(code(&o), 2, "{all:?}");
        assert!(stderr(&o).contains(says), "{all:?}: {}", stderr(&o));
        assert!(!dir.path().join("x.svg").exists() && !dir.path().join("x.docx").exists());
    }
}

/// `cjm opportunities`: the ranked list on stdout, the matrix and the CSV
/// by -o's extension, filters, and the errors of a bad map or flag.
#[test]
fn opportunities_rank_draw_and_export_across_maps() {
    let (a, b) = (golden("portfolio/checkout.cjm"), golden("portfolio/onboarding.cjm"));
    let o = run(&["opportunities", &a, &b]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("9 opportunities in 2 maps: 4 quick wins, 1 big bet, 2 fill-ins, 1 money pit, 1 not rated"),
        "{text}"
    );
    let first = text.lines().nth(3).unwrap_or("");
    assert!(first.starts_with("1  Sign up with Google") && first.contains("quick win"), "{first}");
    let o = run(&["opportunities", &a, "--owner", "Marketing", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ranks: Vec<i64> = v["opportunities"].as_array().unwrap().iter().map(|i| i["rank"].as_i64().unwrap()).collect();
    assert_eq!(ranks, [1, 3], "filters keep the ranks of the whole portfolio");
    let dir = tmp();
    for file in ["matrix.svg", "matrix.png", "matrix.pdf", "backlog.csv"] {
        let out = dir.path().join(file);
        let o = run(&["opportunities", &a, &b, "-o", out.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{file}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "-o alone keeps stdout empty");
        let bytes = std::fs::read(&out).unwrap();
        let magic: &[u8] = match file {
            "matrix.svg" => b"<svg",
            "matrix.png" => b"\x89PNG",
            "matrix.pdf" => b"%PDF",
            _ => b"Summary,Description,Priority,Status,Assignee,Labels",
        };
        assert!(bytes.starts_with(magic), "{file}");
    }
    let svg = std::fs::read_to_string(dir.path().join("matrix.svg")).unwrap();
    assert!(
        svg.contains("Quick wins · 4") && svg.contains("Sign up with Google"),
        "the matrix names its quadrants and chips"
    );
    assert_eq!(code(&run(&["opportunities", &a, "-o", "x.docx"])), 2);
    assert_eq!(code(&run(&["opportunities", &a, "--status", "someday"])), 2);
    assert_eq!(code(&run(&["opportunities", &a, "--min-severity", "9"])), 2);
    assert_eq!(code(&run(&["opportunities", &golden("bad/bad-values.cjm")])), 1, "a map with errors");
}

/// `cjm render CURRENT --compare FUTURE`: the board in each format, and the
/// flags that do not apply refused.
#[test]
fn render_compare_draws_the_board() {
    let dir = tmp();
    let future = dir.path().join("future.cjm");
    let text = std::fs::read_to_string(template("support")).unwrap().replace("state current", "state future");
    std::fs::write(&future, text.replacen(": 1: Dana", ": 3: Dana", 1)).unwrap();
    let current = template("support");
    for file in ["board.svg", "board.png", "board.pdf", "board.html", "board.pptx"] {
        let out = dir.path().join(file);
        let o = run(&[
            "render",
            current.to_str().unwrap(),
            "--compare",
            future.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{file}: {}", stderr(&o));
        let bytes = std::fs::read(&out).unwrap();
        assert!(!bytes.is_empty(), "{file}");
    }
    let svg = std::fs::read_to_string(dir.path().join("board.svg")).unwrap();
    assert!(svg.contains("1 changed") && svg.contains("1 → 3 ▲ +2"), "one step's score rose by 2");
    let o = run(&[
        "render",
        current.to_str().unwrap(),
        "--compare",
        future.to_str().unwrap(),
        "--persona",
        "Dana",
        "-o",
        "x.svg",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--persona does not apply with --compare"));
}

/// `use` reads personas from a file beside the map: check, render (with
/// the file's portraits, relative to it), measure, opportunities and
/// convert follow it, fmt keeps it, and a missing file or persona is an
/// error on the `use` line.
#[test]
fn use_takes_personas_from_another_file() {
    let dir = tmp();
    let team = dir.path().join("team");
    std::fs::create_dir_all(team.join("img")).unwrap();
    std::fs::write(
        team.join("personas.cjm"),
        "journey\n  title Team personas\n  persona Sam\n    goal: Be quick\n    image: img/nope.png\n  persona Dana\n",
    )
    .unwrap();
    let map = "journey\n  title Buy\n  use Sam from team/personas.cjm\n  section Find\n    Search: 3: Sam\n      evidence: touchpoint = \"search\"\n      opportunity: Faster search [impact high, effort low]\n";
    std::fs::write(dir.path().join("map.cjm"), map).unwrap();
    std::fs::write(dir.path().join("log.csv"), "customer_id,timestamp,touchpoint\nc1,2026-01-01T10:00:00Z,search\n")
        .unwrap();
    let o = run_in(dir.path(), &["check", "map.cjm"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json = run_in(dir.path(), &["convert", "map.cjm", "--to", "json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let text = stdout(&json);
    assert!(text.contains("\"source\": \"team/personas.cjm\"") && text.contains("\"Be quick\""), "{text}");
    assert!(text.contains("\"image\": \"team/img/nope.png\""), "portraits are relative to the file: {text}");
    let png = run_in(dir.path(), &["render", "map.cjm", "-o", "map.png"]);
    assert_eq!(code(&png), 0, "{}", stderr(&png));
    assert!(stderr(&png).contains("team/img/nope.png"), "the missing portrait is named: {}", stderr(&png));
    let m = run_in(dir.path(), &["measure", "map.cjm", "log.csv", "--format", "json"]);
    assert_eq!(code(&m), 0, "{}", stderr(&m));
    let op = run_in(dir.path(), &["opportunities", "map.cjm", "--format", "csv"]);
    assert_eq!(code(&op), 0, "{}", stderr(&op));
    let f = run_in(dir.path(), &["fmt", "--check", "map.cjm"]);
    assert_eq!(code(&f), 0, "{}", stderr(&f));
    assert_eq!(std::fs::read_to_string(dir.path().join("map.cjm")).unwrap(), map);

    std::fs::write(dir.path().join("bad.cjm"), "journey\n  use Sam, Dan from team/personas.cjm\n  use gone.cjm\n")
        .unwrap();
    let o = run_in(dir.path(), &["check", "bad.cjm"]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(
        err.contains("error[E110]: `team/personas.cjm` declares no persona `Dan`") && err.contains("bad.cjm:2:12"),
        "{err}"
    );
    assert!(err.contains("did you mean `Dana`?"), "{err}");
    assert!(err.contains("error[E108]: cannot read `gone.cjm`: no such file") && err.contains("bad.cjm:3:7"), "{err}");
    // From standard input, paths are relative to the working directory.
    let o = cjm()
        .current_dir(dir.path())
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut o = o;
    use std::io::Write;
    o.stdin.take().unwrap().write_all(map.as_bytes()).unwrap();
    let o = o.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

fn shared_log(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/logs").join(name).display().to_string()
}

/// `cjm mine --format json` without what describes the input file (its
/// name and the rows the reader met), which an exported copy changes.
fn analysis_without_input(o: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let obj = v.as_object_mut().unwrap();
    obj.remove("log");
    obj.remove("read");
    v
}

/// `cjm export --to parquet` writes the canonical layout, and every real
/// log read back from it gives the same summary, byte for byte, and the
/// same analysis (a CSV, an XES with start/complete lifecycle, a Parquet
/// with nanosecond times and customer attributes).
#[test]
fn an_exported_log_reads_back_to_the_same_outputs() {
    let dir = tmp();
    for name in ["sepsis.csv", "helpdesk.xes.gz", "receipt.parquet", "bpic2012.xes.gz"] {
        let (log, out) = (shared_log(name), dir.path().join(format!("{name}.parquet")));
        let o = run(&["export", &log, "--to", "parquet", "-o", out.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(&format!("wrote {} (", out.display())), "{}", stderr(&o));
        let out = out.to_str().unwrap();
        let (a, b) =
            (run(&["mine", &log, "--format", "summary-json"]), run(&["mine", out, "--format", "summary-json"]));
        assert_eq!(code(&b), 0, "{}", stderr(&b));
        assert!(a.stdout == b.stdout && !a.stdout.is_empty(), "{name}: the summaries differ");
        let (a, b) = (run(&["mine", &log, "--format", "json"]), run(&["mine", out, "--format", "json"]));
        assert_eq!(analysis_without_input(&a), analysis_without_input(&b), "{name}: the analyses differ");
    }
    // The layout: its columns in order, the marker, cjm_row counting from 0.
    let file = std::fs::File::open(dir.path().join("receipt.parquet.parquet")).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
    let meta = parquet::file::reader::FileReader::metadata(&reader);
    let kv = meta.file_metadata().key_value_metadata().unwrap();
    assert!(kv.iter().any(|k| k.key == "cjm.layout" && k.value.as_deref() == Some("events/1")));
    let cols: Vec<String> =
        meta.file_metadata().schema_descr().columns().iter().map(|c| c.name().to_string()).collect();
    assert_eq!(&cols[..6], ["cjm_row", "cjm_customer", "cjm_time", "cjm_touchpoint", "cjm_channel", "cjm_score"]);
    assert!(cols.iter().any(|c| c.starts_with("case:")), "customer attributes as case:NAME: {cols:?}");
    // Its attributes are the log's, not the row number.
    let o = run(&["mine", dir.path().join("receipt.parquet.parquet").to_str().unwrap(), "--by", "cjm_row"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("the log has no attribute `cjm_row`"), "{}", stderr(&o));
    // A file is never overwritten without --force, nor half written.
    let again = run(&[
        "export",
        &shared_log("sepsis.csv"),
        "--to",
        "parquet",
        "-o",
        dir.path().join("sepsis.csv.parquet").to_str().unwrap(),
    ]);
    assert_eq!(code(&again), 2);
    assert!(stderr(&again).contains("already exists; add --force"), "{}", stderr(&again));
}

/// Unknown times (an XES event without a timestamp) are nulls in the
/// layout and unknown again when read back: the journeys are the same.
#[test]
fn unknown_times_survive_the_canonical_layout() {
    let dir = tmp();
    let xes = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="b"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>
    <event><string key="concept:name" value="a"/></event>
    <event><string key="concept:name" value="c"/><date key="time:timestamp" value="2024-01-01T09:00:00Z"/></event>
  </trace>
  <trace><string key="concept:name" value="c2"/>
    <event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>
    <event><string key="concept:name" value="b"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>
  </trace>
</log>"#;
    let log = dir.path().join("unknown.xes");
    std::fs::write(&log, xes).unwrap();
    let out = dir.path().join("unknown.parquet");
    let o = run(&["export", log.to_str().unwrap(), "--to", "parquet", "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (a, b) = (
        run(&["mine", log.to_str().unwrap(), "--format", "summary-json"]),
        run(&["mine", out.to_str().unwrap(), "--format", "summary-json"]),
    );
    assert_eq!(code(&b), 0, "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
    assert!(stdout(&b).contains("\"n_events\": 5"), "no event lost: {}", stdout(&b));
}

/// `--explain` prints the Spark SQL without a server; flags the Spark plans
/// lack are refused by name; a build without the `spark` feature says how
/// to get one; a bad address or a server nobody runs is a usage error.
/// `cjm measure --spark`: `--explain` prints the plan of the map's rules
/// without a server (values as parameters), and what Spark cannot take is
/// refused by name.
#[test]
fn measure_on_spark_explains_and_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("m.cjm");
    std::fs::write(
        &map,
        "journey\n  metric Paid [unit %]\n    measure: conversion from cart to pay within 2d\n  section Buy\n    Cart: 3\n      id: cart\n      evidence: touchpoint = \"cart\" and channel in (\"web\", \"app\")\n    Pay: 4\n      id: pay\n      evidence: touchpoint = \"pay\" and amount > 10\n",
    )
    .unwrap();
    let map = map.to_str().unwrap();
    let o = run(&["measure", map, "--explain"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sql = stdout(&o);
    for part in [
        "SELECT DISTINCT `amount` AS v FROM cjm_src",
        "coalesce(`cjm_touchpoint` = :p0, false)",
        "array_contains(:p1, `cjm_channel`)",
        "-- :p1 = [\"web\",\"app\"]\n",
        "-- :within = 172800000000\n",
        "-- kpi_0\n",
    ] {
        assert!(sql.contains(part), "no {part:?} in {sql}");
    }
    let statements: String = sql.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(!statements.contains("cart") && !statements.contains("web"), "values are parameters: {sql}");
    // The flags a cluster's Parquet reading has no use for, refused before connecting.
    let o = run(&["measure", map, "x.parquet", "--spark", "sc://127.0.0.1:1", "--time-format", "%Y"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--time-format: with --spark the cluster reads Parquet files and tables"),
        "{}",
        stderr(&o)
    );
    let o = run(&["measure", map, "--table", "events"]);
    assert!(stderr(&o).contains("give --spark sc://HOST:PORT too"), "{}", stderr(&o));
    let o = run(&["measure", map, "x.parquet", "--spark", "sc://127.0.0.1:1"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("built without Spark") || e.contains("no Spark Connect server answered at"), "{e}");
}

#[test]
fn mine_on_spark_explains_and_refuses_clearly() {
    let o = run(&["mine", "--explain", "--funnel", "a,b"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sql = stdout(&o);
    assert!(sql.starts_with("-- setup\nCREATE OR REPLACE TEMP VIEW cjm_ev AS"), "{sql}");
    assert!(sql.contains("-- :steps = [\"a\",\"b\"]") && !sql.contains("'a'"), "values are parameters: {sql}");
    // The analysis' plan: filters and sessions in the events view, the
    // funnel's fold, each value a parameter.
    let o = run(&[
        "mine",
        "--explain",
        "--format",
        "json",
        "--funnel",
        "a,b",
        "--funnel-strict",
        "--window",
        "2h",
        "--gap",
        "30m",
        "--from",
        "2024-03-01",
        "--where",
        "channel=web,app",
        "--export-dropped",
        "d.csv",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sql = stdout(&o);
    for part in [
        "-- :from = 1709251200000000\n",
        "-- :gap = 1800000000\n",
        "-- :values = [\"web\",\"app\"]\n",
        "array_contains(:values, `cjm_channel`)",
        "-- :window = 7200000000\n",
        "CACHE TABLE cjm_funnel AS",
        "-- funnel_dropped\n",
        "-- follows\n",
    ] {
        assert!(sql.contains(part), "no {part:?} in {sql}");
    }
    let statements: String = sql.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(!statements.contains("web") && !statements.contains("7200"), "values are parameters: {sql}");
    // Charts and paths: the question is checked before the cluster is
    // asked (nothing listens on port 1), and the plan has what it draws.
    let spark = ["mine", "x.parquet", "--spark", "sc://127.0.0.1:1"];
    for (flags, said) in [
        (&["--chart", "funnel", "-o", "f.svg"][..], "--funnel: choose the funnel's steps"),
        (&["--chart", "paths", "-o", "p.txt"], "cannot tell the chart's format from `p.txt`"),
        (&["--chart", "paths", "--depth", "11", "-o", "p.svg"], "--depth: choose a depth from 1 to 10"),
        (&["--format", "json", "--paths-from", "a", "--depth", "0"], "--depth: choose a depth from 1 to 10"),
        (&["--chart", "trend", "--interval", "hour", "-o", "t.svg"], "--interval:"),
    ] {
        let o = run(&[&spark[..], flags].concat());
        assert_eq!(code(&o), 2, "{flags:?}");
        assert!(stderr(&o).contains(said), "{flags:?}: {}", stderr(&o));
    }
    let o = run(&["mine", "--explain", "--chart", "paths", "--paths-into", "pay", "--depth", "4"]);
    let sql = stdout(&o);
    assert!(sql.contains("CACHE TABLE cjm_paths AS") && sql.contains("-- :anchor = \"pay\"\n"), "{sql}");
    assert!(!sql.contains("-- follows\n") && !sql.contains("cjm_funnel"), "a chart's plan has what it draws: {sql}");
    let o = run(&["mine", "--explain", "--format", "json", "--paths-from", "a"]);
    assert!(stdout(&o).contains("-- paths_links\n") && stdout(&o).contains("-- edges\n"), "{}", stdout(&o));
    // `--cover` is an exact fraction on Spark as here: its stage compares integers.
    let o = run(&["mine", "--explain", "--cover", "0.8"]);
    assert!(stdout(&o).contains("-- :cover_num = 8\n-- :cover_den = 10\n"), "{}", stdout(&o));
    let o = run(&["mine", "x.parquet", "--cover", "0.8.1"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("expected a share from 0 to 1 with at most nine decimals"), "{}", stderr(&o));
    let o = run(&["mine", "--explain", "--format", "json", "--by", "segment"]);
    let sql = stdout(&o);
    assert!(sql.contains("-- --by segment: then, over the segments of its column"), "{sql}");
    assert!(
        sql.contains("SELECT DISTINCT c, bv AS g") && sql.contains("GROUP BY g, pa, a"),
        "one plan, per segment: {sql}"
    );
    let o = run(&["mine", "x.parquet", "--spark", "sc://127.0.0.1:1", "--follows", "51"]);
    assert!(stderr(&o).contains("--follows 51: on Spark at most 50 steps apart"), "{}", stderr(&o));
    for flag in [&["--encoding", "latin1"][..], &["--max-inflated", "10"], &["--input-format", "csv"]] {
        let mut args = vec!["mine", "x.parquet", "--spark", "sc://127.0.0.1:1", "--format", "summary-json"];
        args.extend(flag);
        let o = run(&args);
        assert_eq!(code(&o), 2);
        let said = format!("{}: with --spark the cluster reads Parquet files and tables", flag[0]);
        assert!(stderr(&o).contains(&said), "{}", stderr(&o));
    }
    let o = run(&["mine", "--table", "events"]);
    assert!(stderr(&o).contains("give --spark sc://HOST:PORT too"), "{}", stderr(&o));
    let o = run(&["mine", "x.parquet", "--spark", "sc://127.0.0.1:1", "--format", "summary-json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("built without Spark: build it with `cargo build --release -p cjm --features spark`")
            || e.contains("no Spark Connect server answered at sc://127.0.0.1:1 within 10 s"),
        "{e}"
    );
}
