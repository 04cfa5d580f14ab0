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
# Unit, integration and binary tests (the crates have no doc-tests).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee "$log"
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
echo
echo "all tests: $passed passed, $failed failed"
