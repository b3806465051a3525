#!/usr/bin/env bash
# What assignment rules cost ingest: `mailcase import` of the same generated mbox
# (bench/gen_corpus, as bench/ingest.sh makes it), durable (storage.sync = "full"), into
# a store with no rules and into one with 100 rules: 90 that match no mail (sender
# domains, subject and body patterns, accounts, languages) checked before 10 that match
# some (subject and body patterns; one sets round-robin owners, some --continue). Runs
# alternate (none, 100, none, 100 …) so that a busy machine weighs on both alike.
# Prints each run's mails/s, the median of each and their ratio.
#   bench/rules_import_bench.sh [COUNT=10000] [RUNS=3]
# CALLGRIND=1: instructions of each import (valgrind) instead of mails/s, which a busy
# machine cannot disturb; the ratio is then of instructions (100 rules / none), e.g.
#   CALLGRIND=1 bench/rules_import_bench.sh 1000 1
# NOMATCH=1: 100 rules that match no mail (the 90 below and 10 more like them): what
# checking the rules costs, apart from what matching rules order (events, owners).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
RUNS=${2:-3}
BUILD_DIR=${BUILD_DIR:-build}
BIN=${BIN:-$BUILD_DIR/mailcase}
GEN=$BUILD_DIR/bench/gen_corpus
OUT=bench/out
mkdir -p "$OUT"
[ -x "$BIN" ] && [ -x "$GEN" ] || { echo "build first: scripts/build" >&2; exit 1; }

[ -f "$OUT/corpus-$COUNT.mbox" ] || "$GEN" --count "$COUNT" --out "$OUT/corpus-$COUNT.mbox"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "corpus: $COUNT mails, $(du -h "$OUT/corpus-$COUNT.mbox" | cut -f1)"

# The 100 rules (bench/rules_100.sh), with NOMATCH=1 the 100 that match no mail.
. bench/rules_100.sh

# A data directory ready for the import, with RULES (0 or 100) rules.
prepare() {
  local data=$1 rules=$2
  "$BIN" --data "$data" init >/dev/null
  "$BIN" --data "$data" address add support@corp.example --queue Support >/dev/null
  [ "$rules" -eq 0 ] && return
  add_100_rules "$BIN" "$data"
}

run_import() {
  local rules=$1 data rate start end
  data=$(mktemp -d "$OUT/data.XXXXXX")
  prepare "$data" "$rules"
  if [ -n "${CALLGRIND:-}" ]; then
    # Instructions instead of time: repeatable on a busy machine.
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" --data "$data" import \
      "$OUT/corpus-$COUNT.mbox" >"$OUT/import.log" 2>&1
    rate=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/import.log")
    local hits
    hits=$("$BIN" --data "$data" rule list --json 2>/dev/null |
      python3 -c 'import json,sys; print(sum(r["hits"] for r in json.load(sys.stdin)))' 2>/dev/null || echo 0)
    echo "$rate $hits"
    rm -rf "$data"
    return
  fi
  start=$(date +%s.%N)
  "$BIN" --data "$data" import "$OUT/corpus-$COUNT.mbox" >"$OUT/import.log" 2>&1
  end=$(date +%s.%N)
  rate=$(awk -v n="$COUNT" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", n/(e-s)}')
  local hits=0
  if [ "$rules" -gt 0 ]; then
    hits=$("$BIN" --data "$data" rule list --json | python3 -c 'import json,sys; print(sum(r["hits"] for r in json.load(sys.stdin)))')
  fi
  echo "$rate $hits"
  rm -rf "$data"
}

UNIT="mails/s"
[ -n "${CALLGRIND:-}" ] && UNIT="instructions"
none=()
hundred=()
for run in $(seq 1 "$RUNS"); do
  read -r r0 _ < <(run_import 0)
  read -r r1 h1 < <(run_import 100)
  echo "run $run: no rules $r0 $UNIT; 100 rules $r1 $UNIT ($h1 rule matches)"
  none+=("$r0")
  hundred+=("$r1")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m0=$(median "${none[@]}")
m1=$(median "${hundred[@]}")
echo "median over $RUNS runs: no rules $m0 $UNIT, 100 rules $m1 $UNIT"
awk -v a="$m0" -v b="$m1" 'BEGIN {printf "ratio (100 rules / none): %.3f\n", b/a}'
