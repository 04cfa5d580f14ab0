#!/usr/bin/env bash
# The journey summary on a real Apache Spark, byte for byte against the
# peers and the in-memory engine. Each log is exported with `cjm export`
# (the canonical layout) and then, through cjm's own Spark Connect client
# (cargo feature `spark`): `cjm mine LOG --spark sc://… --format
# summary-json` must give the embedded engine's bytes, and cjm-spark's
# ignored test compares the summary and the analysis' transition times
# (median and p90 picked by rank) log by log. The logs: the peers' 1e5
# and ties logs, an edge-case log (scripts/spark-edge-log.py) and the real
# receipt log, split into row groups on the cluster.
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
venv="${CJM_SPARK_VENV:-$HOME/.cache/cjm-spark-venv}"
port="${CJM_SPARK_PORT:-15002}"

fail() { echo "spark parity FAILED: $*"; exit 1; }
command -v java >/dev/null 2>&1 || fail "java is not installed (Spark needs Java 17)"
command -v protoc >/dev/null 2>&1 || fail "protoc is not installed (apt-get install protobuf-compiler; scripts/test.sh does)"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pyspark[connect]==4.3.0' 'pandas<3'
fi
export SPARK_HOME
SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
unset SPARK_DAEMON_MEMORY # it would cap the Connect server's heap too

work="$(mktemp -d)"
pids=()
stop_all() {
  # Newest first: the driver, then the workers (their executors with them), then the master.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

# Waits up to $3 s for $2 in file $1 while process $4 lives.
wait_for() {
  for _ in $(seq 1 "$3"); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || { tail -20 "$1"; fail "a Spark process stopped ($1)"; }
    sleep 1
  done
  tail -20 "$1"
  fail "no \"$2\" in $3 s ($1)"
}

# Starts the Connect server (the driver) with master $1 and extra confs.
start_connect() {
  local master="$1"; shift
  # spark-submit execs java, so $! is the JVM.
  SPARK_LOCAL_IP=127.0.0.1 "$SPARK_HOME/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer --master "$master" \
    --conf spark.sql.shuffle.partitions=4 --conf spark.sql.session.timeZone=UTC --conf spark.ui.enabled=false \
    --conf spark.connect.grpc.binding.address=127.0.0.1 --conf "spark.connect.grpc.binding.port=$port" \
    "$@" spark-internal > "$work/connect.log" 2>&1 &
  pids+=($!)
  wait_for "$work/connect.log" "Spark Connect server started" 120 "${pids[-1]}"
}

start_cluster() {
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 \
    > "$work/master.log" 2>&1 &
  pids+=($!)
  wait_for "$work/master.log" "I have been elected leader" 60 "${pids[-1]}"
  for n in 2 3; do
    mkdir -p "$work/worker$n/work" "$work/worker$n/local"
    SPARK_LOCAL_IP="127.0.0.$n" SPARK_WORKER_DIR="$work/worker$n/work" SPARK_LOCAL_DIRS="$work/worker$n/local" \
      "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host "127.0.0.$n" --cores 1 --memory 1g \
      spark://127.0.0.1:7077 > "$work/worker$n.log" 2>&1 &
    pids+=($!)
  done
  wait_for "$work/worker2.log" "Successfully registered with master" 60 "${pids[-2]}"
  wait_for "$work/worker3.log" "Successfully registered with master" 60 "${pids[-1]}"
  start_connect spark://127.0.0.1:7077 --driver-memory 768m --conf spark.executor.memory=640m --conf spark.cores.max=2 \
    --conf spark.locality.wait=0s --conf spark.sql.adaptive.coalescePartitions.enabled=false \
    --conf spark.sql.files.maxPartitionBytes=131072
}

cargo build -q -p cjm --features spark
cargo test -q --no-run -p cjm-spark --features client --test tests 2>/dev/null
cjm="$target/debug/cjm"
peers=crates/cjm-mine/tests/peers
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

# One round on the running server: each log through `cjm mine --spark`
# (bytes compared), then the parts test over all of them.
round() {
  local list="$work/logs-$1.tsv"
  shift
  : > "$list"
  local started; started=$(date +%s) count=$#
  for spec in "$@"; do
    set -- $spec
    local expected="$PWD/$peers/${1%_10rg}.expected.json" funnel="$peer_funnel"
    case "$2" in
      receipt) expected="$work/receipt.expected.json"; funnel="$receipt_funnel" ;;
      edge) expected="$work/edge.expected.json"; funnel="$edge_funnel" ;;
    esac
    "$cjm" mine "$work/$1.parquet" --spark "sc://127.0.0.1:$port" --funnel "$funnel" --format summary-json \
      > "$work/$1.spark.json" 2> "$work/$1.client.log" || { tail -5 "$work/$1.client.log"; fail "cjm mine --spark failed on $1"; }
    cmp -s "$work/$1.spark.json" "$expected" || fail "$1: the summary on Spark differs from $expected ($round_name)"
    printf '%s\t%s\t%s\t%s\n' "$1" "$funnel" "$expected" "$work/$1.parquet" >> "$list"
  done
  echo "cjm mine --spark: $count logs byte-identical ($round_name, $(( $(date +%s) - started )) s)"
  CJM_SPARK_URL="sc://127.0.0.1:$port" CJM_SPARK_LOGS="$list" \
    cargo test -q -p cjm-spark --features client --test tests -- --ignored > "$work/compare.log" 2>&1 \
    || { tail -20 "$work/compare.log"; fail "the parts differ ($round_name)"; }
}

round_name="local mode"
start_connect 'local[2]' --driver-memory 1g
round local "events_1e5 peers" "ties_2e4 peers" "receipt receipt" "edge edge"
stop_all

round_name="2-worker cluster"
start_cluster
round cluster "events_1e5_10rg peers" "ties_2e4 peers" "receipt_10rg receipt" "edge edge"
# Shuffle blocks crossed between the workers' executors.
remote=$(grep -rhoE 'and [0-9]+ \([^)]*\) remote blocks' "$work"/worker*/work 2>/dev/null | grep -vc 'and 0 (' || true)
stop_all
[ "$remote" -gt 0 ] || fail "no shuffle block was fetched remotely on the cluster"
echo "shuffle fetches with remote blocks on the cluster: $remote"
echo "spark parity ok"
