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
    /// The journey metrics with a `measure:` formula, in map order.
    pub kpis: Vec<KpiFigure>,
}

/// A journey metric's formula, measured: its value against its target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KpiFigure {
    pub metric: String,
    /// The value as shown (`62.3%`, `5.2 h`); `None` when it could not be measured.
    pub value: Option<String>,
    /// The target with its direction (`at least 60.0%`).
    pub target: Option<String>,
    /// Met or missed; `None` without a target or a value.
    pub met: Option<bool>,
    /// The formula and its customers, or why it has no value.
    pub explain: String,
}

impl KpiFigure {
    /// `met`, `missed`, or nothing: said in words, never by colour alone.
    pub fn verdict(&self) -> Option<&'static str> {
        self.met.map(|m| if m { "✓ met" } else { "✗ missed" })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepFigures {
    /// Customers with at least one event matching the step ([`Figure::Reach`]).
    pub reached: u64,
    /// `reached` ÷ every customer of the log.
    pub reach_share: f64,
    /// Customers who did the map's funnel steps up to this one in map order
    /// ([`Figure::Funnel`]); `None` for an optional step, which the funnel
    /// leaves out.
    pub funnel: Option<u64>,
    /// `funnel` ÷ the previous funnel step's ([`Figure::Conversion`]); `None`
    /// at the first funnel step.
    pub conversion: Option<f64>,
    /// Of this step's funnel customers, the share who do not reach the next
    /// funnel step ([`Figure::DropOff`]); `None` at the last.
    pub drop_off: Option<f64>,
    /// Median seconds since the previous measured step ([`Figure::Time`]).
    pub median_seconds_since_previous: Option<f64>,
    /// Mean rating, mapped onto the map's scale ([`Figure::Score`]).
    pub mean_score: Option<f64>,
    /// The step is marked `optional: yes`.
    pub optional: bool,
}

/// A measured figure, for its label and the sentence that says how it was
/// computed (the same words in the SVG's tooltips, the HTML export, the
/// web app and the CLI report).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Reach,
    Funnel,
    Conversion,
    DropOff,
    Time,
    Score,
}

impl Figure {
    pub const ALL: [Figure; 6] =
        [Figure::Reach, Figure::Funnel, Figure::Conversion, Figure::DropOff, Figure::Time, Figure::Score];

    pub fn label(self) -> &'static str {
        match self {
            Figure::Reach => "Reach",
            Figure::Funnel => "In funnel",
            Figure::Conversion => "Conversion",
            Figure::DropOff => "Drop-off",
            Figure::Time => "Median time",
            Figure::Score => "Measured score",
        }
    }

    /// How the figure is computed, in one sentence.
    pub fn explain(self) -> &'static str {
        match self {
            Figure::Reach => {
                "Customers with at least one event that matches the step's evidence rule, in any order, and their share of all customers in the log."
            }
            Figure::Funnel => {
                "Customers who did every funnel step of the map up to this one, in map order (each step's event after the previous step's). Optional steps are not funnel steps."
            }
            Figure::Conversion => {
                "Of the customers at the previous funnel step, the share who went on to this step."
            }
            Figure::DropOff => {
                "Of the customers at this funnel step, the share who did not go on to the next funnel step."
            }
            Figure::Time => {
                "Median time from the previous measured step's first matching event to this step's, for customers who did both in that order."
            }
            Figure::Score => {
                "Mean score of the events that match the step, mapped onto the map's scale when the log's scores lie outside it."
            }
        }
    }
}
