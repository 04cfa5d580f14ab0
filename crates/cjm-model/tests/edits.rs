//! Golden files for every form edit: `tests/edits/*.edit` hold a line that
//! says what the case shows, the edit as JSON, the text before and the text
//! after (or the error the person editing reads). `UPDATE_GOLDEN=1`
//! rewrites the `after` part; review the diff.

use cjm_model::edit::{apply, Edit};
use std::path::{Path, PathBuf};

const BEFORE: &str = "=== before\n";
const AFTER: &str = "=== after\n";

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/edits");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/edits exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "edit"))
        .collect();
    files.sort();
    files
}

/// The parts of a case: its head (description and edit) and text before.
fn read(path: &Path) -> (String, Edit, String, String) {
    let text = std::fs::read_to_string(path).expect("case readable");
    let (head, rest) = text.split_once(BEFORE).unwrap_or_else(|| panic!("{}: no `{BEFORE}`", path.display()));
    let (before, after) = rest.split_once(AFTER).unwrap_or_else(|| panic!("{}: no `{AFTER}`", path.display()));
    let json = head.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("{}: no edit", path.display()));
    let edit = serde_json::from_str(json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (head.to_string(), edit, before.to_string(), after.to_string())
}

#[test]
fn every_edit_reads_like_its_golden_file() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 70, "expected the edit cases, found {}", cases.len());
    for path in &cases {
        let (head, edit, before, expected) = read(path);
        let actual = match apply(&before, &edit, &cjm_model::uses::no_files) {
            Ok(after) => {
                let checked = cjm_model::check(&after);
                if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
                    failures.push(format!("{}: the result has an error: {}", path.display(), d.message));
                }
                after
            }
            Err(e) => format!("error: {e}\n"),
        };
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, format!("{head}{BEFORE}{before}{AFTER}{actual}")).expect("case writable");
        } else if actual != expected {
            failures.push(format!(
                "{} differs (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every edit the format has is exercised by at least one golden case.
#[test]
fn every_edit_and_key_has_a_case() {
    let mut ops = std::collections::BTreeSet::new();
    let mut keys = std::collections::BTreeSet::new();
    for path in cases() {
        let (_, edit, _, _) = read(&path);
        let json = serde_json::to_value(&edit).expect("edit serialises");
        ops.insert(json["op"].as_str().unwrap_or_default().to_string());
        if let Some(k) = json["key"].as_str() {
            let k = if k.starts_with("score ") { "score" } else { k };
            keys.insert((json["owner"]["kind"].as_str().unwrap_or("header").to_string(), k.to_string()));
        }
    }
    let schema = serde_json::to_value(schemars::schema_for!(Edit)).expect("schema");
    let all: Vec<String> = schema["oneOf"]
        .as_array()
        .expect("one of the ops")
        .iter()
        .filter_map(|v| v["properties"]["op"]["const"].as_str().or(v["properties"]["op"]["enum"][0].as_str()))
        .map(str::to_string)
        .collect();
    assert!(all.len() >= 20, "{all:?}");
    for op in &all {
        assert!(ops.contains(op), "no golden case for `{op}`");
    }
    use cjm_syntax::keys::Context;
    for (ctx, kind) in
        [(Context::Step, "step"), (Context::Stage, "stage"), (Context::Persona, "persona"), (Context::Data, "data")]
    {
        for key in ctx.keys() {
            let covered = keys.contains(&(kind.to_string(), key.to_string()))
                || (*key == "pain" || *key == "opportunity" || *key == "channel" || *key == "metric") && kind == "step";
            assert!(covered, "no golden case sets `{key}` on {}", ctx.describe());
        }
    }
    for key in ["title", "state", "version", "date", "scale", "accTitle", "accDescr"] {
        assert!(keys.contains(&("header".to_string(), key.to_string())), "no golden case for the header's `{key}`");
    }
}
