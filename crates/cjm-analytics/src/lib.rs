//! Questions about an event log, answered as figures and as charts: the
//! filters ([`Filters`]) and the views an analyst opens — funnel, paths,
//! process map, variants, trends. `cjm mine --chart` and the web app's log
//! pages both go through here, so a chart in a deck and the same chart in
//! the browser are the same figures.
//!
//! The figures come from `cjm-mine` (the contract's definitions); this
//! crate chooses, groups and words them, and builds `cjm-render` charts.
//! Errors are data ([`QueryError`]) naming the field of the question;
//! callers word them in their own terms (a CLI flag, a form field).

#![warn(unreachable_pub)]
mod filters;
mod views;

pub use filters::{parse_duration, parse_interval, parse_time, Filters};
pub use views::*;

/// A question that cannot be answered as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// The field at fault: `from`, `to`, `where`, `channel`, `segment`,
    /// `variant`, `steps`, `window`, `by`, `interval`, `depth`, `simplify`,
    /// `anchor`.
    pub field: &'static str,
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> QueryError {
        QueryError { field, message: message.into() }
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}
