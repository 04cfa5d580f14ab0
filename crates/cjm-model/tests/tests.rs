//! cjm-model's integration tests: golden files that read like the spec,
//! templates, the JSON Schema and the round trips.
//!
//! Golden files: every `.cjm`/`.mmd` under `tests/golden/` has beside it a
//! `.json` (the model) and a `.diag` (the diagnostics, as `cjm check`
//! prints them without colour). Run with `UPDATE_GOLDEN=1` to rewrite them,
//! then review the diff.

mod golden;
mod roundtrip;
mod schema;
mod templates;
