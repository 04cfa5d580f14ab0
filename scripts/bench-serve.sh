#!/usr/bin/env bash
# Load on the web app from a second process on loopback: the demo map's page
# and its SVG, signed in, with wrk (Debian). Prints requests/s and latency
# percentiles for each. Not a test: run it by hand.
#   bash scripts/bench-serve.sh            (10 s per URL, 64 connections)
#   DURATION=30s CONNECTIONS=128 bash scripts/bench-serve.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "installing wrk (apt)" >&2; sudo -n true 2>/dev/null && SUDO=sudo || SUDO=; $SUDO apt-get install -y wrk >/dev/null; }
cargo build --release -p cjm --locked -q
BIN="${CARGO_TARGET_DIR:-target}/release/cjm"
data=$(mktemp -d)
log="$data/serve.log"
PORT=${PORT:-18181}
"$BIN" serve --data "$data/db" --addr "127.0.0.1:$PORT" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do grep -q "/setup/" "$log" 2>/dev/null && break; sleep 0.1; done
setup=$(grep -o "http://[^ ]*/setup/[^ ]*" "$log")
jar="$data/jar"
form=$(curl -s -c "$jar" -b "$jar" "$setup" | grep -o 'name="_csrf" value="[^"]*"' | cut -d'"' -f4)
curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: http://127.0.0.1:$PORT" \
  --data-urlencode "_csrf=$form" --data-urlencode "name=Bench" --data-urlencode "email=bench@example.com" \
  --data-urlencode "password=load test password" "$setup"
session=$(awk '$6 == "cjm_session" {print $7}' "$jar")
map=$(curl -s -b "cjm_session=$session" "http://127.0.0.1:$PORT/api/workspaces/1/maps?q=permit" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
base="http://127.0.0.1:$PORT/m/$map"
# Warm the caches (the measured SVG reads the demo log once).
curl -s -o /dev/null -b "cjm_session=$session" "$base"
echo "machine: $(nproc) cores; server and wrk share them. wrk -t2 -c$CONNECTIONS -d$DURATION"
for url in "$base" "$base/map.svg"; do
  echo
  echo "== GET ${url#http://127.0.0.1:$PORT} ($(curl -s -o /dev/null -w '%{size_download}' -b "cjm_session=$session" "$url") bytes)"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: cjm_session=$session" "$url" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors"
done
