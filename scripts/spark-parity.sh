#!/usr/bin/env bash
# The journey summary on a real Apache Spark (a Spark Connect server in
# local mode, one JVM), byte for byte against the peers and the in-memory
# engine. Each log is exported with `cjm export` (the canonical layout),
# the plan of cjm-spark runs on the server (scripts/spark-parity.py, the
# PySpark client, until cjm's own Spark Connect client lands), and
# cjm-spark's ignored test decodes the answers, finishes them with
# cjm-mine's `finish` and compares the JSON bytes.
#
# Installs pyspark 4.3.0 into a cached virtualenv (~900 MB, ~40 s once);
# needs Java 17. Starts the server on 127.0.0.1:15002 and stops it by PID.
# Prints `spark parity ok` or `spark parity FAILED`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="${CJM_SPARK_VENV:-$HOME/.cache/cjm-spark-venv}"
port="${CJM_SPARK_PORT:-15002}"

if ! command -v java >/dev/null 2>&1; then
  echo "spark parity FAILED: java is not installed (Spark needs Java 17)"; exit 1
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pyspark[connect]==4.3.0' 'pandas<3'
fi
export SPARK_HOME
SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"

work="$(mktemp -d)"
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT

# spark-submit execs java, so $! is the server's JVM.
SPARK_LOCAL_IP=127.0.0.1 "$SPARK_HOME/bin/spark-submit" \
  --class org.apache.spark.sql.connect.service.SparkConnectServer --master 'local[2]' --driver-memory 1g \
  --conf spark.sql.shuffle.partitions=4 --conf spark.sql.session.timeZone=UTC --conf spark.ui.enabled=false \
  --conf spark.connect.grpc.binding.address=127.0.0.1 --conf "spark.connect.grpc.binding.port=$port" \
  spark-internal > "$work/server.log" 2>&1 &
pid=$!

cargo build -q -p cjm -p cjm-spark --examples
cjm="$target/debug/cjm"
plan="$target/debug/examples/plan"
peers=crates/cjm-mine/tests/peers
peer_funnel="product_page,add_to_cart,checkout_start,payment,app_login,review_posted"
receipt=../shared/data/logs/receipt.parquet
receipt_funnel="Confirmation of receipt,T02 Check confirmation of receipt,T04 Determine confirmation of receipt"
"$cjm" mine "$receipt" --funnel "$receipt_funnel" --format summary-json > "$work/receipt.expected.json"

for i in $(seq 1 90); do
  grep -q "Spark Connect server started" "$work/server.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "spark parity FAILED: the server stopped"; exit 1; }
  sleep 1
done
grep -q "Spark Connect server started" "$work/server.log" || { echo "spark parity FAILED: no server in 90 s"; exit 1; }

: > "$work/manifest.tsv"
run() { # name, log, funnel, expected summary JSON
  "$cjm" export "$2" --to parquet -o "$work/$1.parquet" 2>/dev/null
  "$plan" "$3" 20 > "$work/$1.plan.json"
  "$venv/bin/python" scripts/spark-parity.py "sc://127.0.0.1:$port" "$work/$1.plan.json" "$work/$1.parquet" "$work/answers/$1" 2>"$work/$1.client.log" \
    || { tail -5 "$work/$1.client.log"; return 1; }
  printf '%s\t%s\t20\t%s\n' "$1" "$3" "$4" >> "$work/answers/manifest.tsv"
}
mkdir -p "$work/answers"
started=$(date +%s)
run events_1e5 "$peers/events_1e5.parquet" "$peer_funnel" "$PWD/$peers/events_1e5.expected.json"
run ties_2e4 "$peers/ties_2e4.csv" "$peer_funnel" "$PWD/$peers/ties_2e4.expected.json"
run receipt "$receipt" "$receipt_funnel" "$work/receipt.expected.json"
echo "answers from Spark in $(( $(date +%s) - started )) s"
if CJM_SPARK_ANSWERS="$work/answers" cargo test -q -p cjm-spark --test tests -- --ignored 2>&1 | tail -3 | grep -q "1 passed"; then
  echo "spark parity ok"
else
  CJM_SPARK_ANSWERS="$work/answers" cargo test -q -p cjm-spark --test tests -- --ignored 2>&1 | tail -20
  echo "spark parity FAILED"; exit 1
fi
