//! docs/format.md is the spec a map author reads: its tables must say what
//! the code does. Each test reads one table and compares it with the code's
//! own table, so neither can change alone.

use cjm_syntax::keys::{self, Context};
use std::collections::BTreeSet;

fn format_md() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/format.md");
    std::fs::read_to_string(path).expect("docs/format.md exists")
}

/// The rows of the first table under the heading `heading`, as cells
/// (without the header row and the `|---|` line).
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let at = doc.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("docs/format.md has no `{heading}`"));
    let rows: Vec<Vec<String>> = doc[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect())
        .collect();
    assert!(rows.len() > 2, "`{heading}` has no table");
    rows[2..].to_vec()
}

fn unquote(cell: &str) -> &str {
    cell.trim_matches('`')
}

/// Every diagnostic code with its name, in the order of `codes::ALL`.
#[test]
fn the_diagnostics_table_is_the_code_table() {
    let documented: Vec<(String, String)> =
        table(&format_md(), "## Diagnostics").into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let coded: Vec<(String, String)> =
        cjm_syntax::codes::ALL.iter().map(|(code, name, _)| (code.to_string(), name.to_string())).collect();
    assert_eq!(documented, coded, "docs/format.md's Diagnostics table and cjm_syntax::codes::ALL differ");
}

/// Every key a step takes, and whether it may be repeated: `no` is a key
/// given once, `once per persona` a key qualified by a persona.
#[test]
fn the_steps_table_is_the_key_table() {
    let rows = table(&format_md(), "## Steps");
    let mut documented = BTreeSet::new();
    for row in &rows {
        let key = unquote(&row[0]).trim_end_matches(" <persona>");
        let repeatable = row[2].as_str();
        let expected = if keys::takes_qualifier(key) && row[0].contains("<persona>") {
            "once per persona"
        } else if keys::single_valued(Context::Step, key) || keys::takes_qualifier(key) {
            "no"
        } else {
            "yes"
        };
        assert_eq!(repeatable, expected, "docs/format.md says `{key}` is repeatable: {repeatable}");
        documented.insert(key.to_string());
    }
    let coded: BTreeSet<String> = Context::Step.keys().iter().map(|k| k.to_string()).collect();
    assert_eq!(documented, coded, "docs/format.md's Steps table and the step keys in keys.rs differ");
}

/// The Data section lists every key of the `data` block and the values
/// each choice key takes.
#[test]
fn the_data_section_lists_the_data_keys() {
    let doc = format_md();
    let at = doc.find("\nThe path after `data` is relative").expect("the Data keys paragraph");
    let paragraph = &doc[at..at + doc[at..].find("\n\n").expect("the paragraph ends")];
    let quoted: Vec<&str> = paragraph.split('`').skip(1).step_by(2).collect();
    for key in Context::Data.keys() {
        assert!(quoted.contains(key), "docs/format.md's Data section does not name `{key}`");
        for choice in cjm_model::data_choices(key).unwrap_or_default() {
            assert!(quoted.contains(choice), "docs/format.md does not list `{choice}` for `{key}`");
        }
    }
}
