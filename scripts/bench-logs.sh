#!/usr/bin/env bash
# The log pages through the server, on the peers' synthetic Parquet logs:
# a release `cjm serve --logs` with the peers' data folder, each log
# attached in place to the demo map, then every view asked over loopback
# with curl, signed in. Prints a Markdown table per size: the time to attach
# (attaching reads the log from disk), then p50/p99 of a new question (a `to` filter
# in the far future, so every event is kept but the answer is computed
# afresh, the log in memory; one row narrows the log to a quarter first)
# and of the same question asked again (the answer kept). Not a test: run it by hand.
#   bash scripts/bench-logs.sh 1e6 1e7        (default: 1e6)
#   N=50 bash scripts/bench-logs.sh 1e6       (requests per view and kind)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${*:-1e6}
N=${N:-30}
PEERS_SRC=../shared/peers
source "$PEERS_SRC/env.sh" >/dev/null
for size in $SIZES; do
  [ -f "$PEERS_DIR/data/events_${size}.parquet" ] || (cd "$PEERS_DIR" && "$PY" gen_events.py --events "$size" >&2)
done
cargo build --release -p cjm --locked -q
BIN="${CARGO_TARGET_DIR:-target}/release/cjm"
data=$(mktemp -d)
log="$data/serve.log"
PORT=${PORT:-18182}
"$BIN" serve --data "$data/db" --addr "127.0.0.1:$PORT" --logs "$PEERS_DIR/data" --cache-mb 8192 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "/setup/" "$log" 2>/dev/null && break; sleep 0.1; done
setup=$(grep -o "http://[^ ]*/setup/[^ ]*" "$log")
jar="$data/jar"
base="http://127.0.0.1:$PORT"
form=$(curl -s -c "$jar" -b "$jar" "$setup" | grep -o 'name="_csrf" value="[^"]*"' | cut -d'"' -f4)
curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" \
  --data-urlencode "_csrf=$form" --data-urlencode "name=Bench" --data-urlencode "email=bench@example.com" \
  --data-urlencode "password=load test password" "$setup"
csrf=$(curl -s -b "$jar" "$base/account" | grep -o 'name="csrf-token" content="[^"]*"' | cut -d'"' -f4)
map=$(curl -s -b "$jar" "$base/api/workspaces/1/maps?q=permit" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
steps="step=product_page&step=add_to_cart&step=checkout_start&step=payment&step=app_login&step=review_posted"
views=(
  "overview|"
  "funnel|/funnel?$steps"
  "funnel by channel|/funnel?$steps&by=channel"
  "paths|/paths?depth=4"
  "process|/process"
  "process, 30 % kept|/process?simplify=30"
  "variants|/variants"
  "trends by week|/trends?interval=week&$steps"
  "funnel, one quarter|/funnel?$steps|quarter"
)
# Milliseconds of one GET (fails loudly on anything but 200).
ms() {
  local out
  out=$(curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}' "$1")
  [ "${out%% *}" = 200 ] || { echo "GET $1 answered ${out%% *}" >&2; exit 1; }
  awk -v t="${out#* }" 'BEGIN { printf "%.1f\n", t * 1000 }'
}
# p50 and p99 (nearest rank) of the numbers on stdin.
pct() { sort -n | awk '{ v[NR] = $1 } END { i50 = int((NR * 50 + 99) / 100); i99 = int((NR * 99 + 99) / 100); printf "%s | %s", v[i50], v[i99] }'; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); server and curl share them; $N requests per cell"
for size in $SIZES; do
  took=$(curl -s -o "$data/attach.json" -w '%{time_total}' -b "$jar" -H "x-csrf-token: $csrf" -H "Origin: $base" \
    -H 'content-type: application/json' -d "{\"path\":\"events_${size}.parquet\"}" "$base/api/maps/$map/evidence/folder")
  answer=$(cat "$data/attach.json")
  id=$(echo "$answer" | grep -o '"evidence":{"id":[0-9]*' | grep -o '[0-9]*$')
  [ -n "$id" ] || { echo "attaching events_${size}.parquet: $answer" >&2; exit 1; }
  page="$base/w/1/logs/$id"
  echo
  echo "### events_${size}.parquet"
  echo
  echo "attached in place (the log read from disk, the map measured): $(awk -v t="$took" 'BEGIN { printf "%.0f", t * 1000 }') ms; first overview: $(ms "$page") ms"
  echo
  echo "| view | new question p50 ms | p99 ms | asked again p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|---:|"
  for v in "${views[@]}"; do
    IFS='|' read -r name path kind <<< "$v"
    url="$page$path"
    sep=$([[ "$url" == *\?* ]] && echo '&' || echo '?')
    # A new question each time: dates the server has not answered. Far-future
    # ones keep every event (the view computed on the log in memory); the
    # quarter's keep a quarter (the log narrowed first).
    buster() {
      local ss; ss=$(printf %02d $(($1 % 60)))
      if [ "$kind" = quarter ]; then echo "from=2024-04-01&to=2024-07-01T00:00:${ss}Z"; else echo "to=2100-01-01T00:00:${ss}Z&from=2000-01-01"; fi
    }
    fresh=$(for i in $(seq "$N"); do ms "${url}${sep}$(buster "$i")"; done | pct)
    if [ "$kind" = quarter ]; then url="${url}${sep}from=2024-04-01&to=2024-07-01"; fi
    ms "$url" >/dev/null
    again=$(for _ in $(seq "$N"); do ms "$url"; done | pct)
    echo "| $name | $fresh | $again |"
  done
done
