//! Every key the language takes is carried through every stage: a new key
//! in `cjm_syntax::keys` that one of lowering, printing, diffing or the
//! Mermaid export forgets fails here, by name.

use cjm_model::{check, diff::diff, json::to_json, mermaid::to_mermaid, to_cjm, Journey};
use cjm_syntax::keys::{self, Context};

/// A map with one of each owner a key can stand under.
const BASE: &str = "journey
  title Keys
  persona Sam
  metric NPS
  data events.csv
  section Discover
    See an ad: 3: Sam
";

/// The line under which a context's keys go, and their indentation.
fn owner(context: Context) -> (&'static str, &'static str) {
    match context {
        Context::Journey => ("  title Keys", "  "),
        Context::Persona => ("  persona Sam", "    "),
        Context::Metric => ("  metric NPS", "    "),
        Context::Data => ("  data events.csv", "    "),
        Context::Stage => ("  section Discover", "    "),
        Context::Step => ("    See an ad: 3: Sam", "      "),
    }
}

/// A valid value for `key` in `context`, distinct from anything in BASE.
fn value(context: Context, key: &str) -> &'static str {
    match (context, key) {
        (_, "id") => "pinned-id",
        (Context::Persona, "image") => "personas/sam.png",
        (Context::Data, "tz") => "+02:00",
        (Context::Data, "time-format") => "%d.%m.%Y %H:%M",
        (Context::Data, "encoding") => "latin1",
        (Context::Data, "lifecycle") => "complete",
        (Context::Data, "format") => "csv",
        (Context::Data, "window") => "7d",
        (Context::Data, _) => "some_column",
        (Context::Step, "score" | "future score") => "5",
        (Context::Step, "pain") => "Slow page [severity 4]",
        (Context::Step, "opportunity") => "Cache it [impact high, effort low]",
        (Context::Step, "metric") => "Completion [unit %, target 70]",
        (Context::Step, "evidence") => "touchpoint = \"ad_click\"",
        (Context::Step, "feeling") => "curious",
        (Context::Step, "optional") => "yes",
        (Context::Metric, "measure") => "reach \"See an ad\"",
        _ => "Something only this key says",
    }
}

fn contexts() -> [Context; 6] {
    [Context::Journey, Context::Persona, Context::Metric, Context::Data, Context::Stage, Context::Step]
}

/// Every `key: value` line the language takes, with where it goes; the
/// qualified keys once plain and once with a persona.
fn lines() -> Vec<(String, Context, String)> {
    let mut out = Vec::new();
    for context in contexts() {
        for &key in context.keys() {
            let v = value(context, key);
            // A step's score is on its line; `score` as a key names a persona.
            if !(context == Context::Step && key == "score") {
                out.push((key.to_string(), context, format!("{key}: {v}")));
            }
            if context == Context::Step && keys::takes_qualifier(key) {
                out.push((format!("{key} Sam"), context, format!("{key} Sam: {v}")));
            }
        }
    }
    out
}

fn with_line(context: Context, line: &str) -> String {
    let (under, indent) = owner(context);
    assert!(BASE.contains(under));
    BASE.replacen(&format!("{under}\n"), &format!("{under}\n{indent}{line}\n"), 1)
}

fn lowered(name: &str, text: &str) -> Journey {
    let l = check(text);
    assert!(!l.has_errors(), "{name}: the map does not lower\n{text}\n{:#?}", l.diagnostics);
    l.journey
}

#[test]
fn every_key_is_lowered_printed_diffed_and_exported() {
    let base = lowered("the base map", BASE);
    let base_mermaid = to_mermaid(&base);
    let lines = lines();
    assert!(lines.len() >= 40, "{} keys", lines.len());
    for (key, context, line) in lines {
        let name = format!("`{key}` in {}", context.describe());
        let text = with_line(context, &line);
        let map = lowered(&name, &text);
        // Lowering keeps it: the model is not the base's.
        assert_ne!(to_json(&map), to_json(&base), "{name}: lowering dropped it");
        // Printing keeps it: the printed map says the key and reads back
        // as the same model.
        let printed = to_cjm(&map);
        assert!(
            printed.lines().any(|l| l.trim_start().starts_with(&format!("{key}:"))),
            "{name}: the printed map does not say it\n{printed}"
        );
        assert!(lowered(&name, &printed) == map, "{name}: printing changed the map\n{printed}");
        // Diffing sees it, both ways.
        assert!(!diff(&base, &map).is_empty(), "{name}: the diff does not see it added");
        assert!(!diff(&map, &base).is_empty(), "{name}: the diff does not see it removed");
        // The Mermaid export carries it or says it could not: a key of a
        // persona, a metric or the data block goes with its owner, which the
        // export reports dropped as a whole.
        let m = to_mermaid(&map);
        let owner_dropped = match context {
            Context::Persona => Some("persona card"),
            Context::Metric => Some("journey metric"),
            Context::Data => Some("data block"),
            _ => None,
        };
        let accounted = match owner_dropped {
            Some(owner) => m.dropped.iter().any(|d| d.contains(owner)),
            None => m.text != base_mermaid.text || m.dropped != base_mermaid.dropped,
        };
        assert!(accounted, "{name}: the Mermaid export neither carries it nor reports it dropped\n{:?}", m.dropped);
    }
}
