//! What the app does, one module per concern. The JSON API
//! ([`crate::api`]) and the pages ([`crate::pages`]) are thin layers over
//! these: they take a request apart, call a service, and shape the answer.
//! The services combine [`crate::store`] calls inside the database's
//! read and write closures, and run heavy work on the blocking pool.

pub mod accounts;
pub mod check;
pub mod comments;
pub mod diff;
pub mod drawings;
pub mod evidence;
pub mod maps;
pub mod shares;
