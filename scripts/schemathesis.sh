#!/usr/bin/env bash
# schemathesis against the API of a fresh `cjm serve` (debug build): no 5xx,
# every answer matching /api/openapi.json. Not in CI (it takes minutes).
#   bash scripts/schemathesis.sh [extra schemathesis options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cjm-target}"
venv="${ST_VENV:-$HOME/.cache/cjm-schemathesis}"
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'schemathesis==4.32.5'; }
cargo build --workspace --locked
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
SCHEMATHESIS="$venv/bin/schemathesis" CJM_BIN="$CARGO_TARGET_DIR/debug/cjm" node e2e/schemathesis.mjs "$@"
