#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for SECONDS each (default 60), with
# libFuzzer through cargo-fuzz, seeded from the golden files, the
# templates and ../shared/data. Prints, per target, the executions and
# whether it found a crash; exits 1 when one did (the input is kept in
# fuzz/artifacts/TARGET/ -- commit it as a unit test).
#   bash scripts/fuzz.sh 20          # CI's smoke run
#   bash scripts/fuzz.sh 1800        # half an hour each
#   FUZZ_TARGETS="cjm_text xes_log" bash scripts/fuzz.sh 600
#   FUZZ_RUNS=10000000 bash scripts/fuzz.sh 1800   # stop at 10M executions or 30 min
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs="${1:-60}"
root="$PWD"
data="$root/../shared/data"
targets=(${FUZZ_TARGETS:-cjm_text evidence_rule json_map csv_log jsonl_log xes_log parquet_log timestamp})

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
# libFuzzer's sanitizer flags need a nightly compiler; stable takes them
# with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/cjm-fuzz-target}"
corpora="${FUZZ_CORPUS:-$HOME/.cache/cjm-fuzz-corpus}"

seed() { # target, files...
  local dir="$corpora/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" 2>/dev/null || true; done
}
golden="$root/crates/cjm-model/tests/golden"
seed cjm_text $(find "$golden" -name '*.cjm' -o -name '*.mmd') "$root"/crates/cjm-model/templates/*.cjm
mkdir -p "$corpora/evidence_rule"
grep -rhoE 'evidence: .*' "$golden" "$root/crates/cjm-model/templates" | sed 's/^evidence: //' | sort -u | head -200 |
  while IFS= read -r rule; do printf '%s' "$rule" > "$corpora/evidence_rule/$(printf '%s' "$rule" | sha1sum | cut -c1-16)"; done
seed json_map $(find "$golden" -name '*.json' -size -64k)
# Small samples of the real logs: libFuzzer mutates small inputs fastest.
mkdir -p "$corpora/csv_log" "$corpora/xes_log" "$corpora/jsonl_log"
head -c 4000 "$data/logs/bpic2016_complaints.csv" > "$corpora/csv_log/complaints-head.csv"
head -c 4000 "$data/logs/sepsis.csv" > "$corpora/csv_log/sepsis-head.csv"
head -c 20000 "$data/logs/sepsis.csv" | gzip -c > "$corpora/csv_log/sepsis-head.csv.gz"
printf 'customer_id\ttimestamp\ttouchpoint\tchannel\tscore\nc1\t2026-01-01T10:00:00Z\tsearch\tweb\t4\nc1\t2026-01-01 10:05\tpay\tapp\t\n' > "$corpora/csv_log/tabs.tsv"
printf '%s\n' '{"customer_id":"c1","timestamp":"2026-01-01T10:00:00Z","touchpoint":"search","channel":"web","score":4,"case:tier":"gold"}' \
  '{"customer_id":"c1","timestamp":1767261900,"touchpoint":"pay","k":[1,2]}' '{"customer_id":"c2","timestamp":"2026/01/02 09:00:00","touchpoint":"search"}' \
  > "$corpora/jsonl_log/small.jsonl"
(zcat "$data/logs/receipt.xes.gz" || true) | head -c 30000 > "$corpora/xes_log/receipt-head.xes"
seed jsonl_log "$root"/testdata/*.jsonl
seed xes_log $(find "$data/xes-testsuite" -type f -size -64k)
seed parquet_log "$data/logs/receipt.parquet" $(find "$root/testdata" -name '*.parquet' -size -1M)
mkdir -p "$corpora/timestamp"
printf '%s' '2026-01-01T10:00:00Z' > "$corpora/timestamp/rfc3339"
printf '%s' '2011/10/01 00:38:44' > "$corpora/timestamp/slashes"
printf '%s\n%s' '%d.%m.%Y %H:%M' '01.10.2011 00:38' > "$corpora/timestamp/pattern"
printf '%s' '1317429524' > "$corpora/timestamp/epoch"
printf '%s' '10/1/2011 0:38' > "$corpora/timestamp/us"

echo "== building the fuzz targets"
(cd fuzz && cargo fuzz build -O --debug-assertions)

failed=0
for t in "${targets[@]}"; do
  log="$(mktemp)"
  started=$SECONDS
  set +e
  (cd fuzz && cargo fuzz run -O --debug-assertions "$t" "$corpora/$t" -- \
    -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -rss_limit_mb=3072 -malloc_limit_mb=3072 -timeout=20 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1)
  code=$?
  set -e
  runs=$(grep -aEo "stat::number_of_executed_units: *[0-9]+" "$log" | grep -Eo "[0-9]+$" | tail -1 || true)
  if [ "$code" -eq 0 ]; then
    echo "fuzz $t: ${runs:-?} executions in $((SECONDS - started))s, no crash"
  else
    failed=1
    echo "fuzz $t: CRASH after ${runs:-?} executions (exit $code):"
    grep -aE "panicked|ERROR:|SUMMARY|Test unit written" "$log" | head -20 || true
  fi
  rm -f "$log"
done
exit "$failed"
