use cjm_model::{check, json::to_json};
use cjm_syntax::diag::render::human as render_human;
use std::path::{Path, PathBuf};

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every golden input, sorted.
pub fn inputs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["mermaid", "cjm", "bad"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir().join(dir))
            .expect("golden folder exists")
            .map(|e| e.expect("readable entry").path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("cjm" | "mmd")))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// Reads a golden input the way the CLI does (invalid UTF-8 is a diagnostic).
pub fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).expect("golden input readable");
    match cjm_syntax::parse_bytes(&bytes) {
        Ok(_) => Ok(String::from_utf8(bytes).expect("checked")),
        Err(d) => Err(render_human(&name(path), &String::from_utf8_lossy(&bytes), &[d], false)),
    }
}

fn name(path: &Path) -> String {
    path.strip_prefix(golden_dir()).unwrap_or(path).display().to_string()
}

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).expect("golden file writable");
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{} differs (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
            name(path)
        )),
        Err(_) => failures.push(format!("{} is missing (UPDATE_GOLDEN=1 to create it)", name(path))),
    }
}

#[test]
fn golden_models_and_diagnostics() {
    let mut failures = Vec::new();
    let inputs = inputs();
    assert!(inputs.len() >= 25, "expected the golden corpus, found {} files", inputs.len());
    for input in &inputs {
        let (json, diag) = match read(input) {
            Ok(text) => {
                // `use` lines read files beside the input, as the CLI does.
                let dir = input.parent().expect("a golden file is in a folder").to_path_buf();
                let resolve =
                    move |path: &str| std::fs::read_to_string(dir.join(path)).map_err(|_| "no such file".to_string());
                let lowered = cjm_model::check_with(&text, &resolve);
                let diag = render_human(&name(input), &text, &lowered.diagnostics, false);
                (to_json(&lowered.journey), diag)
            }
            Err(diag) => ("null\n".to_string(), diag),
        };
        let diag = if diag.is_empty() { "no diagnostics\n".to_string() } else { diag };
        compare(&input.with_extension("json"), &json, &mut failures);
        compare(&input.with_extension("diag"), &diag, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The files under `mermaid/` are Mermaid inputs: none may have an error,
/// since Mermaid accepts each of them.
#[test]
fn mermaid_conformance_inputs_have_no_errors() {
    for input in inputs().iter().filter(|p| p.parent().is_some_and(|d| d.ends_with("mermaid"))) {
        let text = read(input).expect("UTF-8");
        let lowered = check(&text);
        let errors: Vec<_> = lowered.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", input.display());
    }
}

/// The Mermaid export writes `:`, `#`, `;`, `,` (in actors) and `\` in
/// names as entity codes, so it reads back the same: names, sections,
/// title and actors, character for character.
#[test]
fn mermaid_exports_read_back_with_their_punctuation() {
    let source = "journey\n  title Orders \\#1; \\: \"quoted\"\n  persona Ops\\, Legal\n  section Buy \\: online\n    Check \\: then pay \\#2; C\\\\temp: 3: Ops\\, Legal\n    Literal #58; text: 4\n";
    let map = check(source);
    assert!(!map.has_errors(), "{:?}", map.diagnostics);
    let exported = cjm_model::mermaid::to_mermaid(&map.journey);
    assert!(exported.text.contains("Check #58; then pay #35;2#59; C#92;temp: 3: Ops#44; Legal"), "{}", exported.text);
    let back = check(&exported.text);
    assert!(!back.has_errors(), "{}\n{:?}", exported.text, back.diagnostics);
    let (a, b) = (&map.journey, &back.journey);
    assert_eq!(a.title, b.title);
    let names = |j: &cjm_model::Journey| {
        j.stages
            .iter()
            .map(|s| (s.name.clone(), s.steps.iter().map(|t| (t.name.clone(), t.actors.clone())).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(a), names(b), "{}", exported.text);
    assert_eq!(a.stages[0].steps[1].name, "Literal : text", "cjm reads the code as Mermaid does");
}
