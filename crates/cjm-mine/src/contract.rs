//! The journey summary contract: what each output means, independent of how
//! it is computed. The in-memory engine ([`crate::summary`]) implements it;
//! any other backend (a cluster engine, a database) must produce the same
//! [`Summary`] for the same log, and is tested against this engine. A
//! backend computes only the exact parts of [`crate::parts`]; the one
//! [`crate::parts::finish`] makes the summary of them.
//!
//! Definitions (they match `journey-summary/1` of `../shared/peers`):
//!
//! - **Journey.** A customer's events ordered by timestamp, ties broken by
//!   the event's row number in the input (0-based). A log's row order is the
//!   order its reader produced rows in (file order for CSV, JSON Lines and
//!   Parquet; document order for XES).
//! - **DFG edge** `a → b`: one count for each pair of consecutive events of a
//!   journey whose touchpoints are `a` then `b` (self-loops included).
//! - **Start / end touchpoint**: the first / last touchpoint of each journey.
//! - **Performance DFG**: for each edge, the mean of (time of `b` − time of
//!   `a`) in seconds over its occurrences.
//! - **Variant**: a journey's full touchpoint sequence. Variants are counted
//!   by customers; the top k are ordered by count (descending), then by the
//!   sequence compared element by element as byte strings, a proper prefix
//!   first.
//! - **Touchpoint statistics**: events, distinct customers, and the mean of
//!   the scores present (none when no event of the touchpoint has a score):
//!   the exact sum of the scores rounded once to the nearest f64 (ties to
//!   even), divided by their count — Python's `math.fsum(s) / len(s)`. It
//!   does not depend on the order of the rows, so any engine can compute it
//!   exactly; for whole scores it is the plain sum over the count. A
//!   measured step's mean score is defined the same way.
//! - **Funnel** `s1, …, sn`: `reached[k]` is the number of customers whose
//!   journey contains `s1 … s(k+1)` in order as a subsequence (not
//!   necessarily consecutive, no time window), matched greedily at the
//!   earliest occurrence, each step strictly after the previous one.
//!
//! Rules every output of the engine keeps (the summary and the analysis):
//!
//! - **Customers** are those with at least one event after the filters
//!   (date range, attribute), sessions and variant cover; in a breakdown,
//!   those of the segment. Every share (funnel conversion at step 1,
//!   variant coverage, a measured step's reach) divides by that count —
//!   never by the customer ids the reader saw.
//! - **Lists hold what exists**: a channel, touchpoint or pair is listed
//!   only when at least one remaining event has it; nothing with zero
//!   counts is listed.
//! - **Ties are broken by name bytes**, everywhere: top variants and the
//!   variant cover by the sequence's names (element by element, a proper
//!   prefix first), everything else by the names it lists.
//! - **Scores are finite**: the readers refuse `inf` and non-numbers where
//!   they read them, so no mean is ever infinite or `null` for that reason.
//! - **The 90th percentile** is the nearest rank ⌈9n/10⌉ of the sorted
//!   values, computed in integers.
//!
//! Output rounding (summary JSON): floats to 6 decimals, as Python's
//! `round(x, 6)`; lists sorted as documented per field.

use serde::Serialize;

/// The five peer outputs, with names resolved to strings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n_events: u64,
    pub n_customers: u64,
    /// Sorted by (from, to).
    pub dfg: Vec<Edge>,
    /// Sorted by touchpoint.
    pub start_touchpoints: Vec<Count>,
    pub end_touchpoints: Vec<Count>,
    pub n_variants: u64,
    /// At most `top`, in contract order.
    pub top_variants: Vec<Variant>,
    /// Sorted by touchpoint.
    pub touchpoints: Vec<TouchpointStats>,
    /// Same keys and order as `dfg`.
    pub performance_dfg: Vec<EdgeTime>,
    pub funnel: Funnel,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Count {
    pub touchpoint: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    pub count: u64,
    pub sequence: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TouchpointStats {
    pub touchpoint: String,
    pub events: u64,
    pub customers: u64,
    pub mean_score: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeTime {
    pub from: String,
    pub to: String,
    pub mean_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Funnel {
    pub steps: Vec<String>,
    pub reached: Vec<u64>,
}
