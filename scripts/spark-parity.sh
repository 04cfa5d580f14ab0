#!/usr/bin/env bash
# The journey summary, the analysis and measured maps on a real Apache
# Spark, byte for byte against the peers and the in-memory engine. Each log is exported
# with `cjm export` (the canonical layout) and then, through cjm's own
# Spark Connect client (cargo feature `spark`), cjm-spark's ignored test
# compares the summary's bytes and the analysis part by part (`round`),
# and `cjm mine --spark` must print the embedded engine's bytes
# (`same`), and so must `cjm measure --spark` (`measured`: the maps of
# crates/cjm-spark/tests/maps and the demo map, every kind of rule and
# journey metric). The logs: the peers' 1e5 and ties logs, an edge-case log
# (scripts/spark-edge-log.py) and the real receipt log, split into row
# groups on the cluster.
#
# Two rounds: Spark's local mode (one JVM), then a standalone cluster on
# loopback — a master on 127.0.0.1, two workers on 127.0.0.2 and
# 127.0.0.3 with one core each, the Connect server as the driver — with
# settings that spread the work (no locality wait, no partition
# coalescing, 128 KiB splits of a 10-row-group log), and the executors'
# logs must show shuffle blocks fetched from the other worker.
#
# Installs pyspark 4.3.0 (for the server's jars) into a cached virtualenv
# (~900 MB, ~40 s once); needs Java 17 and protoc (the client's build).
# Stops every JVM it started by PID (the workers' executors
# are their children). Prints `spark parity ok` or `spark parity FAILED`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

fail() { echo "spark parity FAILED: $*"; exit 1; }
# A failed test's panic message and what follows it (not the backtrace's tail).
panics() { awk '/panicked at/ { n = 16 } n > 0 { print; n-- }' "$1" | head -80; tail -3 "$1"; }
command -v protoc >/dev/null 2>&1 || fail "protoc is not installed (apt-get install protobuf-compiler; scripts/test.sh does)"
work="$(mktemp -d)"
source scripts/spark-lib.sh
trap 'stop_all; rm -rf "$work"' EXIT

cargo build -q -p cjm --features spark
cargo test -q --no-run -p cjm-spark --features client --test tests 2>/dev/null
cargo test -q --no-run -p cjm-server --features spark --test tests 2>/dev/null
cjm="$target/debug/cjm"
peers=crates/cjm-mine/tests/peers
maps=crates/cjm-spark/tests/maps
peer_funnel="product_page,add_to_cart,checkout_start,payment,app_login,review_posted"
receipt=../shared/data/logs/receipt.parquet
receipt_funnel="Confirmation of receipt,T02 Check confirmation of receipt,T04 Determine confirmation of receipt"
edge_funnel="a,ab,pay"
python3 scripts/spark-edge-log.py > "$work/edge.csv"
"$cjm" mine "$receipt" --funnel "$receipt_funnel" --format summary-json > "$work/receipt.expected.json"
"$cjm" mine "$work/edge.csv" --funnel "$edge_funnel" --format summary-json > "$work/edge.expected.json" 2>/dev/null
# The logs in the canonical layout; the 1e5 and receipt logs also cut into ten row groups.
"$cjm" export "$peers/events_1e5.parquet" --to parquet -o "$work/events_1e5.parquet" 2>/dev/null
"$cjm" export "$peers/events_1e5.parquet" --to parquet --row-group-rows 10000 -o "$work/events_1e5_10rg.parquet" 2>/dev/null
"$cjm" export "$peers/ties_2e4.csv" --to parquet -o "$work/ties_2e4.parquet" 2>/dev/null
"$cjm" export "$receipt" --to parquet -o "$work/receipt.parquet" 2>/dev/null
"$cjm" export "$receipt" --to parquet --row-group-rows 900 -o "$work/receipt_10rg.parquet" 2>/dev/null
"$cjm" export "$work/edge.csv" --to parquet --row-group-rows 300 -o "$work/edge.parquet" 2>/dev/null
# Foreign logs (not in the canonical layout), read on Spark by cjm's
# reader rules compiled into SQL: the receipt file itself and cut into ten
# row groups, and the logs of scripts/spark-foreign-logs.py.
mkdir -p "$work/foreign"
"$venv/bin/python" scripts/spark-foreign-logs.py "$work/foreign" "$receipt"
cp "$receipt" "$work/foreign/receipt.parquet"
fedge_funnel="a,pay"
"$cjm" mine "$work/foreign/edge.parquet" --funnel "$fedge_funnel" --format summary-json \
  > "$work/foreign/edge.expected.json" 2>/dev/null

# One round on the running server: cjm-spark's ignored test runs one plan
# a log (and the other funnel matchers on the edge log) over one session,
# comparing the summary's bytes and the analysis part by part; then the
# command line itself: `cjm mine --spark` against the embedded `cjm mine`
# on the same file, byte for byte, for journey-summary/1 and for the
# `--format json` report and dropped customers with filters, sessions and
# windows.
round() {
  local list="$work/logs-$1.tsv" peers_log="$2" receipt_log="$3"
  shift 3
  : > "$list"
  local started count=$#; started=$(date +%s)
  for spec in "$@"; do
    set -- $spec
    local expected="$PWD/$peers/${1%_10rg}.expected.json" funnel="$peer_funnel"
    case "$2" in
      receipt) expected="$work/receipt.expected.json"; funnel="$receipt_funnel" ;;
      edge) expected="$work/edge.expected.json"; funnel="$edge_funnel" ;;
      fedge) expected="$work/foreign/edge.expected.json"; funnel="$fedge_funnel" ;;
    esac
    printf '%s\t%s\t%s\t%s\n' "$1" "$funnel" "$expected" "$work/$1.parquet" >> "$list"
  done
  CJM_SPARK_URL="sc://127.0.0.1:$port" CJM_SPARK_LOGS="$list" CJM_SPARK_MATCHERS="$matchers" \
    cargo test -q -p cjm-spark --features client --test tests -- --ignored > "$work/compare.log" 2>&1 \
    || { panics "$work/compare.log"; fail "the parts differ ($round_name)"; }
  echo "summary and analysis on Spark equal the engine's: $count logs ($round_name, $(( $(date +%s) - started )) s)"
  started=$(date +%s)
  if [ "$matchers" = all ]; then
    same "$peers_log" --funnel "$peer_funnel" --format summary-json
    cmp -s "$work/out.spark" "$PWD/$peers/events_1e5.expected.json" || fail "$peers_log: the summary differs from the peers'"
  fi
  if [ "$matchers" = all ]; then
    same edge --funnel "$edge_funnel" --format json --funnel-strict --window 2h --gap 30m --by channel --export-dropped
    same events_1e5 --format summary-json --cover 0.8
    same edge --format json --gap 30m --cover 0.55 --by channel
  fi
  same "$receipt_log" --funnel "$receipt_funnel" --format json --funnel-any-order --window 1d \
    --where "org:group=Group 1,Group 4" --from 2011-10-12 --paths-into "T02 Check confirmation of receipt" \
    --depth 4 --export-dropped
  if [ "$matchers" = all ]; then
    charted "$receipt_log" --chart paths --paths-from "Confirmation of receipt" --depth 5 --where "org:group=Group 1"
  fi
  same "$receipt_log" --funnel "$receipt_funnel" --format json --cover 0.9 --where "org:group=Group 1,Group 4"
  echo "cjm mine --spark: its runs byte-identical to the embedded engine's ($round_name, $(( $(date +%s) - started )) s)"
  started=$(date +%s)
  measured "$maps/receipt.cjm" "$receipt_log"
  if [ "$matchers" = all ]; then
    measured "$maps/edge.cjm" edge
    measured crates/cjm-server/assets/demo/permit.cjm receipt
  fi
  echo "cjm measure --spark: the embedded engine's JSON, byte for byte ($round_name, $(( $(date +%s) - started )) s)"
  if [ "$matchers" = all ]; then
    started=$(date +%s)
    foreign
    echo "foreign Parquet on Spark: cjm's reader rules, byte for byte ($round_name, $(( $(date +%s) - started )) s)"
  fi
  if [ "$matchers" = all ]; then
    started=$(date +%s)
    served
    echo "cjm serve --spark: the measured map and the log pages equal the upload's ($round_name, $(( $(date +%s) - started )) s)"
  fi
}

# The web app with a Spark log: cjm-server's ignored test uploads the
# receipt log and attaches the same file on Spark, then compares the
# measured map and the pages Spark computes (overview, variants, process
# map, funnels (two broken down), trends by day, week and month, paths
# from and into a touchpoint), with filters and a variant (each line a page's question,
# encoded as in its address); then the receipt file as pandas wrote it
# (foreign), its measured map and first pages.
served() {
  local ask="?from=2011-10-12&where=org:group=Group%201,Group%204
variants?top=10&channel=Internet
process?simplify=80&measure=performance&from=2011-10-12
funnel?step=Confirmation%20of%20receipt&step=T02%20Check%20confirmation%20of%20receipt&step=T04%20Determine%20confirmation%20of%20receipt&order=any&window=1d
funnel?step=Confirmation%20of%20receipt&step=T04%20Determine%20confirmation%20of%20receipt&order=strict&where=org:group=Group%201
trends?interval=week&step=Confirmation%20of%20receipt&step=T04%20Determine%20confirmation%20of%20receipt&window=2d
trends?interval=month&channel=Internet
trends?interval=day&from=2011-10-12
funnel?step=Confirmation%20of%20receipt&step=T04%20Determine%20confirmation%20of%20receipt&by=org:group
funnel?step=Confirmation%20of%20receipt&step=T02%20Check%20confirmation%20of%20receipt&by=channel&order=any&from=2011-10-12
paths?anchor=into&at=T04%20Determine%20confirmation%20of%20receipt&depth=4&where=org:group=Group%201,Group%204
paths?anchor=from&at=Confirmation%20of%20receipt&depth=6&from=2011-10-12
process?variant=Confirmation%20of%20receipt%20%E2%86%92%20T06%20Determine%20necessity%20of%20stop%20advice%20%E2%86%92%20T10%20Determine%20necessity%20to%20stop%20indication%20%E2%86%92%20T02%20Check%20confirmation%20of%20receipt%20%E2%86%92%20T04%20Determine%20confirmation%20of%20receipt%20%E2%86%92%20T05%20Print%20and%20send%20confirmation%20of%20receipt"
  CJM_SPARK_URL="sc://127.0.0.1:$port" CJM_SPARK_SERVER_LOG="$work/receipt.parquet" \
    CJM_SPARK_SERVER_MAP="$PWD/$maps/receipt.cjm" CJM_SPARK_SERVER_ASK="$ask" \
    CJM_SPARK_SERVER_FOREIGN="$work/foreign/receipt.parquet" \
    cargo test -q -p cjm-server --features spark --test tests -- --ignored spark:: > "$work/served.log" 2>&1 \
    || { panics "$work/served.log"; fail "cjm serve --spark differs from the upload ($round_name)"; }
}

# Logs not in the canonical layout, read on Spark by the reader's rules:
# trimming, bad rows, lifecycle choices, customer attributes, local times
# in --tz, dates, nanoseconds, a boolean channel; and the reads that stop
# (strict, an infinite score) or are refused (times as text) say so.
foreign() {
  same foreign/edge --format json --by channel
  same foreign/edge --funnel "$fedge_funnel" --format json --lifecycle all --where "tier=T1,T2" \
    --paths-from a --depth 3 --export-dropped
  same foreign/edge --format json --lifecycle complete --by tier
  same foreign/local --format json --tz +05:30 --gap 30m
  same foreign/dates --format json --tz=-03:00 --by channel
  same foreign/receipt --funnel "$receipt_funnel" --format json --funnel-any-order --window 1d \
    --where "org:group=Group 1,Group 4" --from 2011-10-12 --by group
  stops foreign/edge --strict
  stops foreign/inf
  "$cjm" mine "$work/foreign/text_time.parquet" --spark "sc://127.0.0.1:$port" 2> "$work/client.log" > /dev/null \
    && fail "times as text were read on Spark"
  grep -q 'the timestamp column `time` is string' "$work/client.log" || { cat "$work/client.log"; fail "times as text: not named"; }
  measured "$maps/receipt.cjm" foreign/receipt
}

# A read that stops (exit 1) embedded and on Spark with the same words
# after the log's name.
stops() {
  local log="$work/$1.parquet"
  shift
  "$cjm" mine "$log" "$@" > /dev/null 2> "$work/stop.embedded" && fail "$log $*: the embedded read did not stop"
  "$cjm" mine "$log" --spark "sc://127.0.0.1:$port" "$@" > /dev/null 2> "$work/stop.spark" \
    && fail "$log $*: the read on Spark did not stop"
  local here spark
  here=$(tail -1 "$work/stop.embedded"); spark=$(tail -1 "$work/stop.spark")
  [ "${spark#*.parquet\`}" = "${here#*.parquet}" ] || fail "$log $*: Spark stops with \"$spark\", not \"$here\""
}

# `cjm measure MAP LOG --format json`, embedded and on Spark, on the log
# $2 in the canonical layout: the same bytes.
measured() {
  local log="$work/$2.parquet"
  "$cjm" measure "$1" "$log" --format json -o "$work/measured.embedded" 2>/dev/null \
    || fail "cjm measure $1 failed on $log"
  "$cjm" measure "$1" "$log" --spark "sc://127.0.0.1:$port" --format json -o "$work/measured.spark" \
    2> "$work/client.log" || { tail -5 "$work/client.log"; fail "cjm measure --spark $1 failed on $log"; }
  cmp -s "$work/measured.spark" "$work/measured.embedded" || fail "$1 on $log: cjm measure --spark differs ($round_name)"
}

# `cjm mine LOG --chart …` embedded and on Spark: the same SVG bytes.
charted() {
  local log="$work/$1.parquet"
  shift
  "$cjm" mine "$log" "$@" -o "$work/chart.embedded.svg" 2>/dev/null || fail "cjm mine $* failed on $log"
  "$cjm" mine "$log" --spark "sc://127.0.0.1:$port" "$@" -o "$work/chart.spark.svg" 2> "$work/client.log" \
    || { tail -5 "$work/client.log"; fail "cjm mine --spark $* failed on $log"; }
  cmp -s "$work/chart.spark.svg" "$work/chart.embedded.svg" || fail "$log: cjm mine --spark $* draws another chart"
}

# `cjm mine` on the log $1 in the canonical layout, embedded and on Spark,
# with the rest as flags (`--export-dropped` last, its file added here):
# the outputs (and the dropped customers) must be the same bytes.
same() {
  local log="$work/$1.parquet"
  shift
  local dropped_embedded=() dropped_spark=()
  if [ "${*: -1}" = "--export-dropped" ]; then
    set -- "${@:1:$(($# - 1))}"
    dropped_embedded=(--export-dropped "$work/dropped.embedded.csv")
    dropped_spark=(--export-dropped "$work/dropped.spark.csv")
  fi
  "$cjm" mine "$log" "$@" "${dropped_embedded[@]}" -o "$work/out.embedded" 2>/dev/null \
    || fail "cjm mine $* failed on $log"
  "$cjm" mine "$log" --spark "sc://127.0.0.1:$port" "$@" "${dropped_spark[@]}" -o "$work/out.spark" \
    2> "$work/client.log" || { tail -5 "$work/client.log"; fail "cjm mine --spark $* failed on $log"; }
  cmp -s "$work/out.spark" "$work/out.embedded" || fail "$log: cjm mine --spark $* differs ($round_name)"
  if [ ${#dropped_spark[@]} -gt 0 ]; then
    cmp -s "$work/dropped.spark.csv" "$work/dropped.embedded.csv" \
      || fail "$log: the dropped customers of --spark $* differ ($round_name)"
  fi
}

# Local mode: every funnel matcher and every command-line run; the
# cluster: each log's plan, and a command-line run of each kind on the
# ten-row-group receipt log, whose answers depend on how the work is
# spread (the other runs' folds stay inside one journey's task).
round_name="local mode" matchers=all
start_connect 'local[2]' --driver-memory 1g
round local events_1e5 receipt "events_1e5 peers" "ties_2e4 peers" "receipt receipt" "edge edge" \
  "foreign/receipt receipt" "foreign/edge fedge"
stop_all

round_name="2-worker cluster" matchers=ordered
start_cluster --conf spark.locality.wait=0s --conf spark.sql.adaptive.coalescePartitions.enabled=false \
  --conf spark.sql.files.maxPartitionBytes=131072
round cluster events_1e5_10rg receipt_10rg "events_1e5_10rg peers" "ties_2e4 peers" "receipt_10rg receipt" "edge edge" \
  "foreign/receipt_10rg receipt"
# Shuffle blocks crossed between the workers' executors.
remote=$(grep -rhoE 'and [0-9]+ \([^)]*\) remote blocks' "$work"/worker*/work 2>/dev/null | grep -vc 'and 0 (' || true)
stop_all
[ "$remote" -gt 0 ] || fail "no shuffle block was fetched remotely on the cluster"
echo "shuffle fetches with remote blocks on the cluster: $remote"
echo "spark parity ok"
