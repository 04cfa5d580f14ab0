//! The customer journey map model.
//!
//! - [`model`]: the typed map ([`Journey`], [`Stage`], [`Step`], [`Persona`]…)
//!   and its serde JSON form.
//! - [`mod@lower`]: `.cjm` text → model, with validation, as diagnostics.
//! - [`validate`]: checks shared by the `.cjm` and JSON readers.
//! - [`json`]: JSON reading with clear errors, and the JSON Schema.
//! - [`mod@print`]: model → canonical `.cjm` text; [`mermaid`]: model → Mermaid.
//! - [`edit`]: the forms' edits on the text; [`diff`]: two versions compared;
//!   [`measures`]: figures measured from a log, for the renderer;
//!   [`portfolio`]: the opportunities of maps on the impact × effort matrix, ranked.
//!
//! No IO: text in, values out.

#![warn(unreachable_pub)]
pub mod diff;
pub mod edit;
pub mod ids;
pub mod json;
pub mod kpi;
pub mod lower;
pub mod measures;
pub mod mermaid;
pub mod model;
pub mod portfolio;
pub mod print;
pub mod templates;
pub mod uses;
pub mod validate;

pub use lower::{check, check_with, lower, Lowered};
pub use model::*;
pub use print::to_cjm;
pub use uses::Resolve;
