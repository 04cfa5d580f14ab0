//! What the app does, one module per concern. The JSON API
//! ([`crate::api`]) and the pages ([`crate::pages`]) are thin layers over
//! these: they take a request apart, call a service, and shape the answer.
//! The services combine [`crate::store`] calls inside the database's
//! read and write closures, and run heavy work on the blocking pool.

pub(crate) mod accounts;
pub(crate) mod analytics;
pub(crate) mod check;
pub(crate) mod comments;
pub(crate) mod diff;
pub(crate) mod drawings;
pub(crate) mod evidence;
pub(crate) mod folder;
pub(crate) mod maps;
pub(crate) mod personas;
pub(crate) mod picks;
pub(crate) mod portfolio;
pub(crate) mod shares;
pub(crate) mod spark;
