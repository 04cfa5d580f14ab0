//! One module per subcommand.

pub(crate) mod check;
pub(crate) mod convert;
pub(crate) mod discover;
pub(crate) mod export;
pub(crate) mod fmt;
pub(crate) mod measure;
pub(crate) mod mine;
pub(crate) mod new;
pub(crate) mod opportunities;
pub(crate) mod render;
pub(crate) mod schema;
pub(crate) mod serve;
