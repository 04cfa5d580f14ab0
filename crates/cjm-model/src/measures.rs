//! Figures measured from an event log, step by step: what the evidence
//! engine (cjm-mine) fills and the renderer (cjm-render) draws, kept here
//! so that neither depends on the other and the binary and the server need
//! neither's internals to pass them along.

use std::collections::HashMap;

/// Figures measured from an event log, by step id (the evidence engine
/// fills them; the renderer draws them in the metrics and emotion lanes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measures {
    /// Customers in the log.
    pub customers: u64,
    /// Where the figures come from, e.g. the log's file name.
    pub source: Option<String>,
    pub steps: HashMap<String, StepFigures>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepFigures {
    /// Customers who reached the step.
    pub reached: u64,
    /// Reached ÷ reached at the previous step.
    pub share_of_previous: Option<f64>,
    /// Share of the customers at this step who went no further.
    pub drop_off: Option<f64>,
    /// Median seconds since the previous step.
    pub median_seconds_since_previous: Option<f64>,
    /// Mean rating, mapped onto the map's scale.
    pub mean_score: Option<f64>,
}
