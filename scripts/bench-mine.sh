#!/usr/bin/env bash
# The engine beside the peers: wall time and peak memory of
# `cjm mine LOG.parquet --format summary-json` (the five peer outputs, read
# from shuffled Parquet), then the peers' own benchmark in the same session,
# and whether every output is the same JSON.
#   bash scripts/bench-mine.sh 1e6 1e7        (default: 1e6)
#   PEERS="polars duckdb" to choose peers; SKIP_PEERS=1 for ours only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${*:-1e6}
PEERS_SRC=../shared/peers
source "$PEERS_SRC/env.sh" >/dev/null
FUNNEL=product_page,add_to_cart,checkout_start,payment,app_login,review_posted
cargo build --release -p cjm --locked -q
BIN="${CARGO_TARGET_DIR:-target}/release/cjm"
out=$(mktemp -d)
echo "| size | engine | wall s | peak RSS MB | output sha |"
echo "|---|---|---:|---:|---|"
for size in $SIZES; do
  log="$PEERS_DIR/data/events_${size}.parquet"
  [ -f "$log" ] || (cd "$PEERS_DIR" && "$PY" gen_events.py --events "$size" >&2)
  best=""
  for rep in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$BIN" mine "$log" --format summary-json --funnel "$FUNNEL" -o "$out/cjm_$size.json"
    read -r wall kb < "$out/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best="$wall $kb"; fi
  done
  read -r wall kb <<< "$best"
  printf "| %s | cjm | %s | %d | %s |\n" "$size" "$wall" "$((kb / 1024))" "$(sha256sum "$out/cjm_$size.json" | cut -c1-12)"
done
if [ -z "${SKIP_PEERS:-}" ]; then
  echo
  PEERS=${PEERS:-polars duckdb} FORMATS=parquet bash "$PEERS_SRC/bench.sh" $SIZES
fi
