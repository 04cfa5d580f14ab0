#!/usr/bin/env bash
# `cjm mine --spark` on a standalone cluster on loopback (two one-core
# workers, the Connect server as driver; see scripts/spark-lib.sh) beside
# the embedded engine, on the peers' synthetic logs in the canonical
# layout: wall time of the summary (`--format summary-json`) and of the
# full analysis (`--format json`, a six-step funnel), best of two, and
# whether the outputs are the same bytes.
#   bash scripts/bench-spark.sh 1e6 1e7        (default: 1e6)
# Needs Java 17 and protoc; builds `cjm --features spark` in release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${*:-1e6}
fail() { echo "bench-spark FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
WORKER_MEMORY=5g EXECUTOR_MEMORY=4g DRIVER_MEMORY=2g
source scripts/spark-lib.sh
trap 'stop_all; rm -rf "$work"' EXIT
PEERS_SRC=../shared/peers
source "$PEERS_SRC/env.sh" >/dev/null
FUNNEL=product_page,add_to_cart,checkout_start,payment,app_login,review_posted
cargo build --release -p cjm --features spark --locked -q
BIN="${CARGO_TARGET_DIR:-target}/release/cjm"
data="${CJM_BENCH_DATA:-$HOME/.cache/cjm-bench}"
mkdir -p "$data"
for size in $SIZES; do
  raw="$PEERS_DIR/data/events_${size}.parquet"
  [ -f "$raw" ] || (cd "$PEERS_DIR" && "$PY" gen_events.py --events "$size" >&2)
  [ -f "$data/events_${size}.parquet" ] || "$BIN" export "$raw" --to parquet -o "$data/events_${size}.parquet" >&2
done
start_cluster --conf spark.sql.shuffle.partitions=8 >&2

# Best wall time of two runs of `cjm mine "$@"` into $out.
best() {
  local b=""
  for _ in 1 2; do
    /usr/bin/time -f "%e" -o "$work/time" "$BIN" mine "$@" -o "$out" 2>> "$work/err" || { tail -3 "$work/err"; fail "cjm mine $*"; }
    local s; s=$(cat "$work/time")
    if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b=$s; fi
  done
  echo "$b"
}

echo "| events | output | embedded s | Spark, 2 workers s | Spark ÷ embedded | same bytes |"
echo "|---:|---|---:|---:|---:|---|"
for size in $SIZES; do
  log="$data/events_${size}.parquet"
  for format in summary-json json; do
    out="$work/embedded.$format"; e=$(best "$log" --funnel "$FUNNEL" --format "$format")
    out="$work/spark.$format"; s=$(best "$log" --spark "sc://127.0.0.1:$port" --funnel "$FUNNEL" --format "$format")
    same=no; cmp -s "$work/embedded.$format" "$work/spark.$format" && same=yes
    printf "| %s | %s | %s | %s | %.0f× | %s |\n" "$size" "$format" "$e" "$s" "$(awk "BEGIN{print $s / $e}")" "$same"
  done
done
