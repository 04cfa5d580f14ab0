//! What a burst of live edits means: the live text checked once on the
//! server after a burst settles (debounced), so that
//!
//! - everybody watching gets the same diagnostics and drawing pushed to
//!   them (cjm's message 103) instead of each browser posting the whole
//!   text to `/api/preview` after every keystroke, and
//! - the people whose updates made the burst are credited with the map
//!   items it changed ("changed step “Pay”"), for the summary of who
//!   changed what that the next save is offered with.
//!
//! One analysis runs at a time per document, and at most [`RENDERS`] across
//! the server, so a viewer (or a thousand) cannot make it draw more: the
//! rate is set by the editors' bursts, never by the watchers.

use crate::service::personas::Library;
use cjm_live::wire;
use cjm_model::Journey;
use std::sync::Arc;
use std::time::Duration;

/// A burst is analysed this long after its last change…
pub(crate) const QUIET: Duration = Duration::from_millis(250);
/// …or this long after its first, when people keep typing.
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(2000);
/// With nobody watching the preview, an analysis only credits authors:
/// 2 s after the last change, at most 10 s after the first (two people
/// typing within those seconds are both credited with what changed).
pub(crate) const QUIET_UNWATCHED: Duration = Duration::from_secs(2);
pub(crate) const MAX_WAIT_UNWATCHED: Duration = Duration::from_secs(10);
/// Analyses running at once across the server (each takes one core).
pub(crate) const RENDERS: usize = 1;
/// Items credited to one person between two saves, at most.
pub(crate) const MAX_ITEMS: usize = 500;

/// The result of one analysis of the live text at revision `rev`.
pub(crate) struct Analysis {
    pub(crate) rev: u64,
    /// The map, when the text has no errors.
    pub(crate) model: Option<Arc<Journey>>,
    /// The items changed since the previous model (`step:pay`, `stage:buy`,
    /// `map:`), when both exist.
    pub(crate) touched: Vec<String>,
    /// The preview frame, when somebody watches.
    pub(crate) frame: Option<Vec<u8>>,
    /// The people whose updates this analysis covers.
    pub(crate) authors: Vec<i64>,
}

/// The key of a change's item: what it is and its id.
pub(crate) fn key(change: &cjm_model::diff::Change) -> String {
    format!("{}:{}", change.what, change.id)
}

/// What an analysis is of: the text at revision `rev`, the model it had
/// before, whether to draw it, and who changed it since.
pub(crate) struct Job {
    pub(crate) rev: u64,
    pub(crate) text: String,
    pub(crate) before: Option<Arc<Journey>>,
    pub(crate) draw: bool,
    pub(crate) authors: Vec<i64>,
}

/// Portraits by `image:` key.
pub(crate) type ImageMap = std::collections::HashMap<String, Vec<u8>>;

/// Checks the text (its `use` lines read from `library`; drawn, when
/// `draw`, with the portraits `images` finds), and lists what changed
/// since `before`. Runs on the blocking pool.
pub(crate) fn analyse(job: Job, library: &Library, images: impl Fn(&Journey) -> ImageMap) -> Analysis {
    let Job { rev, text, before, draw, authors } = job;
    let before = before.as_deref();
    let Ok((checked, map)) = crate::service::check::checked(&text, library) else {
        // Larger than a map may be: the document's own limit refuses
        // such edits first, so there is nothing to show or credit.
        return Analysis { rev, model: None, touched: Vec::new(), frame: None, authors };
    };
    let ok = checked.errors == 0;
    let touched = match (before, ok) {
        (Some(before), true) => {
            let mut keys: Vec<String> = cjm_model::diff::diff(before, &map).iter().map(key).collect();
            keys.dedup();
            keys
        }
        _ => Vec::new(),
    };
    let frame = draw.then(|| {
        let svg = ok.then(|| {
            cjm_render::svg(
                &map,
                &cjm_render::Options { images: images(&map), embed_font: false, ..Default::default() },
            )
        });
        let body = crate::api::Preview { checked, svg, map: ok.then(|| map.clone()) };
        let mut json = serde_json::to_value(&body).unwrap_or_default();
        if let Some(o) = json.as_object_mut() {
            o.insert("rev".into(), rev.into());
        }
        wire::notice(wire::Notice::Preview, &json.to_string())
    });
    Analysis { rev, model: ok.then(|| Arc::new(map)), touched, frame, authors }
}

/// The contributions since the last save, told for people: each person with
/// the changes of `changes` (the live text against the saved version) on
/// items they touched.
pub(crate) fn who_changed_what(
    changes: &[cjm_model::diff::Change],
    people: &[crate::store::Contribution],
) -> Vec<PersonChanges> {
    people
        .iter()
        .map(|p| {
            let mut mine: Vec<String> = Vec::new();
            for c in changes.iter().filter(|c| p.items.iter().any(|k| *k == key(c))) {
                // A step changed in three lanes is one "changed step".
                let said = label(c);
                if !mine.contains(&said) {
                    mine.push(said);
                }
            }
            PersonChanges { name: p.name.clone(), updates: p.updates, last_at: p.last_at, changes: mine }
        })
        .collect()
}

/// One change as a short phrase: "changed step “Pay”", "added persona Sam".
pub(crate) fn label(c: &cjm_model::diff::Change) -> String {
    match c.what {
        "map" if c.kind == "changed" => {
            let field = c.detail.split(':').next().unwrap_or("");
            format!("changed the map's {field}")
        }
        "map" => format!("{} {}", c.kind, c.detail),
        _ if c.kind == "renamed" => format!("renamed {} {}", c.what, c.detail),
        _ => {
            let name =
                c.detail.find('“').and_then(|a| c.detail[a..].find('”').map(|b| &c.detail[a..a + b + '”'.len_utf8()]));
            format!("{} {} {}", c.kind, c.what, name.unwrap_or(c.id.as_str()))
        }
    }
}

/// One person's part in the unsaved live edits.
#[derive(serde::Serialize, schemars::JsonSchema, Clone, Debug)]
pub(crate) struct PersonChanges {
    pub(crate) name: String,
    /// Updates they sent since the last save.
    pub(crate) updates: i64,
    /// When their last one was stored (seconds since the epoch).
    pub(crate) last_at: i64,
    /// The changes since the last save on items they touched, e.g.
    /// "changed step “Pay”".
    pub(crate) changes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Journey {
        let checked = cjm_model::check(text);
        assert!(!checked.has_errors(), "{text}");
        checked.journey
    }

    #[test]
    fn an_analysis_credits_the_items_a_burst_changed() {
        let before = model("journey\n  section Buy\n    Pay: 3: Me\n    Ship: 4: Me\n");
        let text = "journey\n  section Buy\n    Pay: 1: Me\n    Ship: 4: Me\n    Track: 5: Me\n".to_string();
        let job = Job { rev: 7, text, before: Some(Arc::new(before)), draw: false, authors: vec![3] };
        let a = analyse(job, &Library::default(), |_| ImageMap::new());
        assert_eq!(a.rev, 7);
        assert_eq!(a.authors, [3]);
        assert!(a.model.is_some() && a.frame.is_none());
        assert_eq!(a.touched, ["step:pay", "step:track"]);
    }

    #[test]
    fn a_text_with_errors_credits_nothing_and_previews_its_diagnostics() {
        let before = model("journey\n  section Buy\n    Pay: 3: Me\n");
        let text = "journey\n  bogus line here\n  section Buy\n    Pay: 3: Me\n".to_string();
        let job = Job { rev: 1, text, before: Some(Arc::new(before)), draw: true, authors: vec![] };
        let a = analyse(job, &Library::default(), |_| ImageMap::new());
        assert!(a.model.is_none() && a.touched.is_empty());
        let frame = a.frame.expect("a preview frame");
        let Ok(messages) = wire::decode(&frame) else { panic!("the frame decodes") };
        let wire::Incoming::Notice(103, json) = &messages[0] else { panic!("a preview notice: {messages:?}") };
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["rev"], 1);
        assert!(v["errors"].as_u64().unwrap() > 0);
        assert!(v["svg"].is_null());
    }

    #[test]
    fn each_person_is_told_the_net_changes_on_the_items_they_touched() {
        let saved = model("journey\n  section Buy\n    Pay: 3: Me\n    Ship: 4: Me\n");
        let live = model("journey\n  section Buy\n    Pay: 1: Me\n    Ship: 4: Me\n    Track: 5: Me\n");
        let changes = cjm_model::diff::diff(&saved, &live);
        let people = [
            crate::store::Contribution { name: "Ada".into(), updates: 12, last_at: 5, items: vec!["step:pay".into()] },
            // Bea touched Ship and put it back: nothing of hers remains.
            crate::store::Contribution {
                name: "Bea".into(),
                updates: 3,
                last_at: 6,
                items: vec!["step:ship".into(), "step:track".into()],
            },
        ];
        let told = who_changed_what(&changes, &people);
        assert_eq!(told[0].changes, ["changed step “Pay”"]);
        assert_eq!(told[1].changes, ["added step “Track”"]);
    }
}
