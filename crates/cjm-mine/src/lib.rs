//! The evidence engine: journeys mined from an event log.
//!
//! - [`contract`] — what each output means (the `journey-summary/1`
//!   definitions), separate from how it is computed, so another backend can
//!   implement the same contract and be tested against this one.
//! - [`journeys`] — customers' events in contract order.
//! - [`parts`] — the backend boundary: the exact parts a backend computes
//!   and the one `finish` that makes the summary of them.
//! - [`exact`] — exact sums of f64 scores, in any order, rounded once.
//! - [`summary`] — the in-memory engine, parallel over customers.
//! - [`pyjson`] — the summary JSON, byte-identical to the peers' layout.
//! - [`rules`] — evidence rules compiled against a log.
//! - [`measure`] — a map measured against a log, step by step.
//! - [`discover`] — a draft map from a log.
//! - [`trend`] — events and customers per day, week or month.
//! - [`paths`] — the flows from (or into) a touchpoint, for a Sankey.
//! - [`analysis`] — time statistics, eventually-follows, coverage, funnels
//!   with options, channels, breakdowns, sessions and filters.

#![warn(unreachable_pub)]
pub mod analysis;
pub mod contract;
pub mod discover;
pub mod exact;
pub mod journeys;
pub mod measure;
pub mod parts;
pub mod paths;
pub mod pyjson;
pub mod rules;
pub mod summary;
pub mod trend;

pub use contract::Summary;

/// The schema name of the summary JSON.
pub const SCHEMA: &str = "journey-summary/1";

/// The summary of a log in one call.
pub fn summarize(log: &cjm_events::EventLog, funnel: &[String], top: usize) -> Summary {
    let j = journeys::build(log);
    summary::summarize(log, &j, funnel, top)
}

/// `journey-summary/1` JSON, as the peers write it.
pub fn summary_json(s: &Summary) -> String {
    use serde_json::{json, Value};
    let f = |x: f64| if x.is_nan() { Value::Null } else { json!(pyjson::round6(x)) };
    let value = json!({
        "schema": SCHEMA,
        "n_events": s.n_events,
        "n_customers": s.n_customers,
        "dfg": s.dfg.iter().map(|e| json!({"from": e.from, "to": e.to, "count": e.count})).collect::<Vec<_>>(),
        "start_touchpoints": s.start_touchpoints.iter().map(|c| json!({"touchpoint": c.touchpoint, "count": c.count})).collect::<Vec<_>>(),
        "end_touchpoints": s.end_touchpoints.iter().map(|c| json!({"touchpoint": c.touchpoint, "count": c.count})).collect::<Vec<_>>(),
        "variants": {
            "n_variants": s.n_variants,
            "top": s.top_variants.iter().enumerate().map(|(i, v)| json!({"rank": i + 1, "count": v.count, "sequence": v.sequence})).collect::<Vec<_>>(),
        },
        "touchpoints": s.touchpoints.iter().map(|t| json!({"touchpoint": t.touchpoint, "events": t.events, "customers": t.customers, "mean_score": t.mean_score.map_or(Value::Null, f)})).collect::<Vec<_>>(),
        "performance_dfg": s.performance_dfg.iter().map(|e| json!({"from": e.from, "to": e.to, "mean_seconds": f(e.mean_seconds)})).collect::<Vec<_>>(),
        "funnel": {"steps": s.funnel.steps, "reached": s.funnel.reached},
    });
    pyjson::dump(&value)
}
