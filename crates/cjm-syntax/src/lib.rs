//! The `.cjm` journey map language.
//!
//! A `.cjm` file is a Mermaid `journey` diagram with extra lines for what a
//! real customer journey map holds (personas, channels, touchpoints, doing,
//! thinking and feeling, pain points, opportunities, backstage, evidence
//! rules). This crate reads the text into a lossless line tree
//! ([`parse`]), formats it ([`format()`]), parses evidence rules
//! ([`evidence`]) and finds Mermaid journeys inside Markdown
//! ([`markdown`]). It does no IO and never panics on any input.

#![warn(unreachable_pub)]
pub mod codes;
pub mod diag;
pub mod escape;
pub mod evidence;
pub mod format;
pub mod keys;
pub mod markdown;
pub mod number;
mod parser;
pub mod tree;

pub use diag::{Diagnostic, Severity, Span};
pub use format::format;
pub use parser::{parse, parse_bytes, Parse, NO_SCORE};
pub use tree::{Document, Node, NodeKind};
