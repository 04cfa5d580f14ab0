#!/usr/bin/env bash
# The hostile-load test (not in CI): a release `cjm serve` on loopback, a
# normal user browsing, saving and commenting while every attack of the
# security audit runs in a loop (e2e/soak.mjs). Stops the server by its PID.
#   bash scripts/soak.sh              # 10 minutes
#   SOAK_SECONDS=60 bash scripts/soak.sh
# Bounds: SOAK_P99_MS (100), SOAK_RSS_MB (1536: the 512 MB of caches plus
# the working memory of the attacks running at once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cjm-target}"
cargo build --workspace --release --locked
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
CJM_BIN="$CARGO_TARGET_DIR/release/cjm" node e2e/soak.mjs
