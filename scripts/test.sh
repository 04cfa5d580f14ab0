#!/usr/bin/env bash
# Runs every test of the workspace. Installs what the tests need first, so a
# fresh machine with a Rust toolchain needs nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The tests need nothing beyond cargo and the crates in Cargo.lock so far.
# (Later issues add chromium and playwright-core here.)

echo "== build"
cargo build --workspace --all-targets --locked

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked
