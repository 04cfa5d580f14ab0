//! The live document of a map, for co-editing: what the server holds of
//! a map while people edit it together, with no IO.
//!
//! - [`doc`] — the map's text as a Yjs `Y.Text` (yrs): seeded once, loaded
//!   from a snapshot and the updates after it, updates applied under size
//!   limits, text replaced by minimal edits.
//! - [`edits`] — the smallest edits between two texts (lines, then
//!   characters).
//! - [`wire`] — the y-websocket protocol's frames and cjm's own messages.
//! - [`presence`] — awareness states with identities the server gives.
//!
//! The server (`cjm-server/src/live/`) owns the sockets, the document
//! actors and SQLite; this crate is what they share with the tests.

pub mod doc;
pub mod edits;
pub mod presence;
pub mod wire;

pub use doc::{Limits, LiveDoc, LiveError};
