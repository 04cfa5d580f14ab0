//! Templates are what new users copy: they must be clean, canonical and full.

use cjm_model::{check, templates, Journey};
use cjm_syntax::{format, parse};

#[test]
fn there_are_the_five_promised_templates() {
    let names: Vec<&str> = templates::ALL.iter().map(|t| t.name).collect();
    assert_eq!(names, ["ecommerce", "five-as", "service", "saas-onboarding", "support"]);
}

#[test]
fn templates_check_without_any_diagnostic() {
    for t in templates::ALL {
        let lowered = check(t.text);
        let messages: Vec<String> = lowered.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
        assert!(messages.is_empty(), "{}: {messages:?}", t.name);
    }
}

#[test]
fn templates_are_already_formatted() {
    for t in templates::ALL {
        assert_eq!(format(t.text, &parse(t.text).document), t.text, "{} is not in canonical layout", t.name);
    }
}

/// How many of the map's lanes hold something.
fn lanes_used(map: &Journey) -> Vec<&'static str> {
    let any = |f: &dyn Fn(&cjm_model::Step) -> bool| map.steps().any(f);
    let mut lanes = Vec::new();
    let checks: [(&str, bool); 16] = [
        ("personas", !map.personas.is_empty()),
        ("persona goals", map.personas.iter().any(|p| !p.goals.is_empty())),
        ("stage goals", map.stages.iter().any(|s| s.goal.is_some())),
        ("scores", any(&|s| s.score.is_some())),
        ("channels", any(&|s| !s.channels.is_empty())),
        ("touchpoints", any(&|s| !s.touchpoints.is_empty())),
        ("doing", any(&|s| s.doing.is_some())),
        ("thinking", any(&|s| s.thinking.is_some())),
        ("feeling", any(&|s| s.feeling.is_some())),
        ("pains", any(&|s| !s.pains.is_empty())),
        ("opportunities", any(&|s| !s.opportunities.is_empty())),
        ("backstage", any(&|s| !s.backstage.is_empty())),
        ("systems", any(&|s| !s.systems.is_empty())),
        ("owners", any(&|s| s.owner.is_some())),
        ("metrics", !map.metrics.is_empty() || any(&|s| !s.metrics.is_empty())),
        ("evidence", any(&|s| s.evidence.is_some())),
    ];
    for (name, used) in checks {
        if used {
            lanes.push(name);
        }
    }
    lanes
}

#[test]
fn templates_use_most_lanes() {
    for t in templates::ALL {
        let map = check(t.text).journey;
        let used = lanes_used(&map);
        assert!(used.len() >= 15, "{} uses only {:?}", t.name, used);
        assert!(map.stages.len() >= 3 && map.steps().count() >= 6, "{} is too small to learn from", t.name);
        assert!(map.state.is_some() && map.title.is_some() && map.description.is_some(), "{} lacks a header", t.name);
    }
}

/// The examples in docs/format.md are maps: each must read without errors.
#[test]
fn format_reference_examples_are_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/format.md");
    let doc = std::fs::read_to_string(path).expect("docs/format.md exists");
    let mut examples = 0;
    for (i, block) in doc.split("```").enumerate() {
        // Odd pieces are inside fences; skip the info string line.
        if i % 2 == 0 {
            continue;
        }
        let body = block.split_once('\n').map_or("", |(_, rest)| rest);
        // Whole maps, and fragments of a journey's header or a section.
        let body = if body.trim_start().starts_with("journey") {
            body.to_string()
        } else if body.starts_with("  ") && !body.starts_with("   ") {
            format!("journey\n{body}")
        } else {
            continue;
        };
        let body = body.as_str();
        examples += 1;
        // The files the `use` example names.
        let resolve = |path: &str| match path {
            "personas.cjm" => Ok("journey\n  persona Sam\n  persona Dana\n".to_string()),
            "team/personas.cjm" => Ok("journey\n  persona Lee\n  persona Kim\n  persona Ola\n".to_string()),
            "shared files/personas.cjm" => Ok("journey\n  persona Ana\n".to_string()),
            _ => Err("no such file".to_string()),
        };
        let lowered = cjm_model::check_with(body, &resolve);
        let errors: Vec<String> =
            lowered.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code, d.message)).collect();
        assert!(errors.is_empty(), "example {examples} in docs/format.md has errors: {errors:?}\n{body}");
    }
    assert!(examples >= 5, "found only {examples} examples");
}
