#!/usr/bin/env bash
# Runs every test of the workspace. Installs what the tests need first, so a
# fresh machine with a Rust toolchain needs nothing else:
#   - Debian's chromium (browser tests; playwright-core cannot fetch a browser here)
#   - poppler-utils (the tests read the PDFs cjm writes)
#   - LibreOffice Impress (the deck test converts cjm's .pptx to PDF) and,
#     by scripts/deck-test.sh, python-pptx in a cached virtualenv
#   - the npm packages in e2e/package-lock.json
#   - cargo-fuzz (the fuzz smoke run; RUSTC_BOOTSTRAP lets stable build it)
#   - protobuf-compiler and libprotobuf-dev (cjm's Spark Connect client is
#     built with protoc and the well-known .proto files) and
#     pyspark 4.3.0 in a cached virtualenv, by scripts/spark-parity.sh (a
#     Spark Connect server for the summary's parity; Java 17 is needed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== setup"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-impress)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
# The well-known types (google/protobuf/any.proto) the Spark Connect
# protos import: only recommended by protobuf-compiler, so named here.
[ -f /usr/include/google/protobuf/any.proto ] || missing+=(libprotobuf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)

echo "== build"
cargo build --workspace --all-targets --locked

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== docs"
# Broken intra-doc links and other rustdoc warnings fail the run (private
# items too: the server and the binary are mostly private).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items --locked -q

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== tests"
# Unit, integration and binary tests (the crates have no doc-tests).
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee "$log"
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')

echo "== browser tests"
export CJM_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/cjm"
(cd e2e && npm test) 2>&1 | tee "$log"
passed=$((passed + $(grep -Eo '^# pass [0-9]+' "$log" | awk '{s += $3} END {print s + 0}')))
failed=$((failed + $(grep -Eo '^# fail [0-9]+' "$log" | awk '{s += $3} END {print s + 0}')))

echo "== decks (python-pptx and LibreOffice open what cjm writes)"
bash scripts/deck-test.sh 2>&1 | tee "$log" || true
passed=$((passed + $(grep -ac '^deck .* ok$' "$log" || true)))
failed=$((failed + $(grep -ac '^deck .*FAILED' "$log" || true)))
if [ "$(grep -ac '^deck ' "$log" || true)" -eq 0 ]; then failed=$((failed + 1)); fi

echo "== Spark (the summary on a Spark Connect server, byte for byte)"
bash scripts/spark-parity.sh 2>&1 | tee "$log" || true
if grep -aq '^spark parity ok$' "$log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== fuzz smoke (20 s a target)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}" 2>&1 | tee "$log" || true
passed=$((passed + $(grep -ac '^fuzz .*no crash$' "$log" || true)))
failed=$((failed + $(grep -ac '^fuzz .*CRASH' "$log" || true)))
# A fuzz run that reported nothing (it did not build) counts as a failure.
if [ "$(grep -ac '^fuzz ' "$log" || true)" -eq 0 ]; then failed=$((failed + 1)); fi

echo
echo "all tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
