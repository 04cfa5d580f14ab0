//! Every map cjm writes validates against the JSON Schema cjm publishes.

use crate::golden::{inputs, read};
use cjm_model::json::{schema, to_json};
use cjm_model::{check, templates};

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema is a valid JSON Schema")
}

#[test]
fn templates_and_golden_maps_validate() {
    let validator = validator();
    let mut texts: Vec<(String, String)> =
        templates::ALL.iter().map(|t| (t.name.to_string(), t.text.to_string())).collect();
    texts.extend(inputs().iter().filter_map(|p| read(p).ok().map(|t| (p.display().to_string(), t))));
    for (name, text) in texts {
        let json: serde_json::Value = serde_json::from_str(&to_json(&check(&text).journey)).expect("valid JSON");
        let errors: Vec<String> =
            validator.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn the_schema_rejects_what_the_model_rejects() {
    let validator = validator();
    let bad = [
        r#"{"stages": [{"id": "a", "name": "A", "steps": [{"id": "s", "name": "S", "score": "high"}]}]}"#,
        r#"{"stages": [{"id": "a", "name": "A", "steps": [{"id": "s", "name": "S", "score": 3, "pains": [{"text": "x", "severity": 9}]}]}]}"#,
        r#"{"state": "someday"}"#,
        r#"{"titel": "typo"}"#,
        r#"{"stages": [{"id": "a", "name": "A", "steps": [{"id": "s", "name": "S", "score": 3, "opportunities": [{"text": "x", "impact": "huge"}]}]}]}"#,
    ];
    for text in bad {
        let json: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert!(!validator.is_valid(&json), "schema accepted {text}");
        let rejected = match cjm_model::json::from_json(text) {
            Err(_) => true,
            Ok(read) => read.findings.iter().any(|f| f.severity == cjm_syntax::Severity::Error),
        };
        assert!(rejected, "reader accepted {text}");
    }
}

/// The schema in docs/ is the one the code generates.
#[test]
fn published_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cjm-map.schema.json");
    let current = format!("{}\n", serde_json::to_string_pretty(&schema()).expect("serialises"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &current).expect("docs writable");
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(published == current, "docs/cjm-map.schema.json is stale: run with UPDATE_GOLDEN=1");
}
