# Sourced by scripts/spark-parity.sh and scripts/bench-spark.sh: a Spark
# Connect server in local mode or as the driver of a standalone cluster on
# loopback, every JVM stopped by its PID.
#
# Needs, before sourcing: `fail MESSAGE` (exits), `work` (a scratch
# folder), and optionally CJM_SPARK_VENV, CJM_SPARK_PORT, and
# WORKER_MEMORY / EXECUTOR_MEMORY / DRIVER_MEMORY for the cluster.
# Installs pyspark 4.3.0 (for the server's jars) into a cached virtualenv
# (~900 MB, ~40 s once); needs Java 17.

venv="${CJM_SPARK_VENV:-$HOME/.cache/cjm-spark-venv}"
port="${CJM_SPARK_PORT:-15002}"
command -v java >/dev/null 2>&1 || fail "java is not installed (Spark needs Java 17)"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'pyspark[connect]==4.3.0' 'pandas<3'
fi
export SPARK_HOME
SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
unset SPARK_DAEMON_MEMORY # it would cap the Connect server's heap too

pids=()
stop_all() {
  # Newest first: the driver, then the workers (their executors with them), then the master.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  pids=()
}

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

# A master on 127.0.0.1, two one-core workers on 127.0.0.2 and .3, and the
# Connect server as the driver; extra confs for the driver in "$@".
start_cluster() {
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 \
    > "$work/master.log" 2>&1 &
  pids+=($!)
  wait_for "$work/master.log" "I have been elected leader" 60 "${pids[-1]}"
  for n in 2 3; do
    mkdir -p "$work/worker$n/work" "$work/worker$n/local"
    SPARK_LOCAL_IP="127.0.0.$n" SPARK_WORKER_DIR="$work/worker$n/work" SPARK_LOCAL_DIRS="$work/worker$n/local" \
      "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host "127.0.0.$n" --cores 1 \
      --memory "${WORKER_MEMORY:-1g}" spark://127.0.0.1:7077 > "$work/worker$n.log" 2>&1 &
    pids+=($!)
  done
  wait_for "$work/worker2.log" "Successfully registered with master" 60 "${pids[-2]}"
  wait_for "$work/worker3.log" "Successfully registered with master" 60 "${pids[-1]}"
  start_connect spark://127.0.0.1:7077 --driver-memory "${DRIVER_MEMORY:-768m}" \
    --conf "spark.executor.memory=${EXECUTOR_MEMORY:-640m}" --conf spark.cores.max=2 "$@"
}
