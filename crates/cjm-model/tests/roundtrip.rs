//! Formatting and conversion never change what a map says.

use crate::golden::{inputs, read};
use cjm_model::json::{from_json, to_json};
use cjm_model::{check, templates, to_cjm, Journey};
use cjm_syntax::{format, parse};
use proptest::prelude::*;

/// Every valid map: golden inputs without errors, and the templates.
fn valid_maps() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        templates::ALL.iter().map(|t| (t.name.to_string(), t.text.to_string())).collect();
    for path in inputs() {
        if let Ok(text) = read(&path) {
            if !check(&text).has_errors() {
                out.push((path.display().to_string(), text));
            }
        }
    }
    assert!(out.len() >= 15, "too few valid maps: {}", out.len());
    out
}

fn fmt(text: &str) -> String {
    format(text, &parse(text).document)
}

fn assert_same_map(name: &str, how: &str, a: &Journey, b: &Journey) {
    assert!(a == b, "{name}: {how} changed the map\n--- before\n{}\n--- after\n{}", to_json(a), to_json(b));
}

#[test]
fn fmt_is_idempotent_and_keeps_the_model() {
    for (name, text) in valid_maps() {
        let once = fmt(&text);
        assert_eq!(fmt(&once), once, "{name}: fmt is not idempotent");
        let after = check(&once);
        assert!(!after.has_errors(), "{name}: formatted text has errors: {:?}", after.diagnostics);
        assert_same_map(&name, "fmt", &check(&text).journey, &after.journey);
    }
}

#[test]
fn cjm_to_json_to_cjm_is_lossless() {
    for (name, text) in valid_maps() {
        let map = check(&text).journey;
        let json = to_json(&map);
        let back = from_json(&json).unwrap_or_else(|d| panic!("{name}: {}", d.message)).journey;
        assert_same_map(&name, "JSON round trip", &map, &back);
        let printed = to_cjm(&back);
        let reread = check(&printed);
        assert!(!reread.has_errors(), "{name}: printed map has errors: {:?}\n{printed}", reread.diagnostics);
        assert_same_map(&name, "printing to .cjm", &map, &reread.journey);
        assert_eq!(to_json(&reread.journey), json, "{name}: JSON differs after cjm round trip");
    }
}

#[test]
fn hostile_names_survive_printing() {
    let names = [
        "a: b # c",
        "50%% off",
        r"back\slash\",
        "comma, list",
        "| pipe",
        "ends [bracket]",
        "%%starts",
        "title-like",
        "注文する",
        "émoji 🎉",
        "tab\there",
        "<![CDATA[ ]]> <!-- -->",
        "open [ only",
        "a ] b, c",
    ];
    let mut map = check("journey\n  section S\n    x: 3\n").journey;
    for (i, name) in names.iter().enumerate() {
        let mut step = map.stages[0].steps[0].clone();
        step.name = name.to_string();
        step.id = cjm_model::ids::slug(name);
        step.actors = vec![name.to_string()];
        step.channels = vec![name.to_string()];
        step.notes = vec![name.to_string()];
        step.pains = vec![cjm_model::Pain { text: name.to_string(), severity: Some(2) }];
        // Attribute values end at `,` and `]` and must not open a list with `[`.
        step.opportunities = vec![cjm_model::Opportunity {
            text: name.to_string(),
            owner: Some(name.to_string()),
            ..Default::default()
        }];
        step.doing = Some(format!("{name}\n  second line {i}"));
        map.stages[0].steps.push(step);
    }
    map.stages[0].steps.remove(0);
    // Re-derive ids the way lowering does, so the comparison is about text.
    let first = check(&to_cjm(&map));
    assert!(!first.has_errors(), "{:?}\n{}", first.diagnostics, to_cjm(&map));
    assert_eq!(first.journey.stages[0].steps.len(), names.len());
    let owners: Vec<Option<&str>> = first.journey.steps().map(|s| s.opportunities[0].owner.as_deref()).collect();
    assert_eq!(owners, names.iter().map(|n| Some(n.trim())).collect::<Vec<_>>(), "owners survive");
    let map = first.journey;
    let printed = to_cjm(&map);
    let reread = check(&printed);
    assert!(!reread.has_errors(), "{:?}\n{printed}", reread.diagnostics);
    assert_same_map("hostile names", "printing", &map, &reread.journey);
    for (step, name) in map.stages[0].steps.iter().zip(names) {
        assert_eq!(step.name, name.trim());
    }
}

/// Random edits of valid maps: never a panic; when the result still reads
/// without errors, formatting it is idempotent and keeps its model.
fn mutate(text: &str, ops: &[(u8, usize, char)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for &(op, at, c) in ops {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = at % lines.len();
        match op % 6 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => lines[i].insert(0, ' '),
            3 => {
                let l = &mut lines[i];
                let pos = l.char_indices().map(|(p, _)| p).nth(at % (l.chars().count() + 1)).unwrap_or(l.len());
                l.insert(pos, c);
            }
            4 => lines[i] = lines[i].trim_start().to_string(),
            _ => {
                let n = lines.len();
                lines.swap(i, (i + 1) % n);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_maps_never_panic(
        which in 0usize..100,
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), prop_oneof![
            Just(':'), Just('#'), Just('%'), Just('\\'), Just('['), Just(']'), Just('|'), Just(','), Just('\t'),
            Just('"'), Just('é'), any::<char>()
        ]), 1..8),
    ) {
        let maps = valid_maps();
        let (_, text) = &maps[which % maps.len()];
        let mutated = mutate(text, &ops);
        let lowered = check(&mutated);
        if !lowered.has_errors() {
            let once = fmt(&mutated);
            prop_assert_eq!(fmt(&once), once.clone(), "fmt is not idempotent on\n{}", mutated);
            let again = check(&once);
            prop_assert!(!again.has_errors(), "formatting introduced errors: {:?}\n{}", again.diagnostics, once);
            prop_assert!(again.journey == lowered.journey, "fmt changed the map of\n{}\ninto\n{}", mutated, once);
            let printed = to_cjm(&lowered.journey);
            let reread = check(&printed);
            prop_assert!(reread.journey == lowered.journey, "to_cjm changed the map of\n{}\ninto\n{}", mutated, printed);
        }
    }
}

/// A fixed seed keeps CI deterministic; a long run (`PROPTEST_CASES`) explores
/// new cases each time.
fn seed() -> proptest::test_runner::RngSeed {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        proptest::test_runner::RngSeed::Random
    } else {
        proptest::test_runner::RngSeed::Fixed(0x636a_6d00)
    }
}

/// Cases per property: the given default, or `PROPTEST_CASES` for long runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// JSON nested a hundred thousand deep is a located error, never a stack
/// overflow (serde_json stops at 128 levels), and a long flat JSON map reads.
#[test]
fn deep_json_is_refused_and_long_json_reads() {
    let deep = format!("{{\"stages\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let Err(e) = from_json(&deep) else { panic!("100,000 levels of JSON were read") };
    assert!(e.message.contains("recursion limit"), "{}", e.message);
    let steps: Vec<String> =
        (0..20_000).map(|i| format!("{{\"id\": \"s{i}\", \"name\": \"Step {i}\", \"score\": 3}}")).collect();
    let long = format!("{{\"stages\": [{{\"id\": \"s\", \"name\": \"S\", \"steps\": [{}]}}]}}", steps.join(","));
    let read = from_json(&long).unwrap_or_else(|d| panic!("{}", d.message));
    assert_eq!(read.journey.steps().count(), 20_000);
}
