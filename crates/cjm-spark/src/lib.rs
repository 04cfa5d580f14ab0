//! The journey summary on Apache Spark, reached through Spark Connect.
//!
//! - [`sql`] — the plan: Spark SQL with named parameters that computes only
//!   exact parts (counts, `DECIMAL` sums, names), over the log in the
//!   canonical layout (`cjm export`) as the view `cjm_src`.
//! - [`decode`] — the answers (Arrow record batches, read from IPC bytes
//!   with cjm's own arrow) into cjm-mine's `SummaryParts`, which
//!   `cjm_mine::parts::finish` makes the summary of, as it does the
//!   in-memory engine's.
//! - [`foreign`] — a log not in the canonical layout, read in SQL by cjm's
//!   reader rules (its own row index for the order) into the same view.
//!
//! - `client` (feature `client`) — the plan run on a Spark Connect
//!   server with the official Rust client, answers read back as Arrow IPC.
//!
//! The plan and its decoding are tested without a server; the client
//! against a real one by `scripts/spark-parity.sh`.

#![warn(unreachable_pub)]
#[cfg(feature = "client")]
pub mod client;
pub mod decode;
pub mod foreign;
pub mod measure;
pub mod sql;

/// The summary of the log behind `results` (the answers of
/// [`sql::summary_plan`] for `funnel` and `top`).
pub fn summary(
    results: &decode::Results,
    funnel: &[String],
    top: usize,
) -> Result<cjm_mine::Summary, decode::DecodeError> {
    let parts = decode::summary_parts(results, funnel.len())?;
    Ok(cjm_mine::parts::finish(parts, funnel, top))
}
