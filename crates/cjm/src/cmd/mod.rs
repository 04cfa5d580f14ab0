pub mod check;
pub mod convert;
pub mod evidence;
pub mod fmt;
pub mod mine;
pub mod new;
pub mod render;
pub mod schema;
