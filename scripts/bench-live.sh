#!/usr/bin/env bash
# Live co-editing under load, on loopback (not a test): a release
# `cjm serve` and LIVE_MAPS x LIVE_CLIENTS typists (default 50 x 10, 5 updates/s each
# for 20 s). Prints broadcast latency, time to durable, updates/s, the
# server's peak memory, and lost or duplicated tokens (exit 1 if any).
#   bash scripts/bench-live.sh
#   LIVE_MAPS=10 LIVE_CLIENTS=5 LIVE_SECONDS=10 LIVE_RATE=5 bash scripts/bench-live.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cjm-target}"
cargo build --release -p cjm --locked -q
CJM_BIN="$CARGO_TARGET_DIR/release/cjm" cargo bench -p cjm-server --bench live --locked -q
