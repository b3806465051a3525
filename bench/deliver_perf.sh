#!/usr/bin/env bash
# CPU time (perf stat, task-clock) of mailcase-deliver: its start-up alone (`--help`) and one
# delivery of a new plain mail, for one build or two alternating in the same rounds, so that
# the machine's load falls on both alike.
#   bench/deliver_perf.sh [RUNS=50] [ROUNDS=2]
#   BIN2=bench/out/mailcase-deliver-before bench/deliver_perf.sh   # against an older build
# BIN is the build's mailcase-deliver; MAILCASE (the build's mailcase) makes the stores. Each
# delivery run reads a mail of its own (a counter picks the next file), never stdin reused,
# so none is a duplicate; the small shell that picks it is measured apart (`/bin/true` in its
# place) and is in every delivery figure.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
ROUNDS=${2:-2}
BUILD_DIR=${BUILD_DIR:-build}
BIN=$(realpath "${BIN:-$BUILD_DIR/mailcase-deliver}")
MAILCASE=$(realpath "${MAILCASE:-$BUILD_DIR/mailcase}")
command -v perf >/dev/null || { echo "perf missing" >&2; exit 1; }
OUT=bench/out
mkdir -p "$OUT"
work=$(mktemp -d "$OUT/deliver-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir "$work/mails"
for i in $(seq 0 $((RUNS * ROUNDS * 2 + 10))); do
  printf 'From: Ann %d <ann%d@example.org>\r\nTo: support@corp.example\r\nSubject: Printer %d\r\nMessage-ID: <perf%d@example.org>\r\n\r\nIt does not print.\r\n' \
    "$i" "$i" "$i" "$i" >"$work/mails/$i.eml"
done

# task-clock in ms of RUNS runs of the command (perf's mean).
task_ms() {
  perf stat -r "$RUNS" -x, -e task-clock -- "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%.2f", $1}'
}

# One delivery: the next mail of the counter, into the store of this program.
one() {
  local bin=$1 data=$2
  # shellcheck disable=SC2016
  task_ms sh -c 'n=$(cat "$0/counter"); echo $((n + 1)) >"$0/counter"; exec "$1" --data "$2" deliver --recipient support@corp.example <"$0/mails/$n.eml"' \
    "$work" "$bin" "$data"
}

programs=("$BIN")
[ -n "${BIN2:-}" ] && programs+=("$(realpath "$BIN2")")
echo 0 >"$work/counter"
declare -A help deliver
for p in "${programs[@]}"; do
  "$MAILCASE" --data "$work/data-$(basename "$p")" init >/dev/null
  "$MAILCASE" --data "$work/data-$(basename "$p")" address add support@corp.example --queue Support >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for p in "${programs[@]}"; do
    help[$p]+="$(task_ms "$p" --help) "
    deliver[$p]+="$(one "$p" "$work/data-$(basename "$p")") "
  done
done
shell=$(task_ms sh -c 'n=$(cat "$0/counter"); exec /bin/true <"$0/mails/$n.eml"' "$work")
echo "task-clock, ms, mean of $RUNS runs, each round in turn ($ROUNDS rounds):"
for p in "${programs[@]}"; do
  echo "  $p"
  echo "    --help:                         ${help[$p]}"
  echo "    one delivery (with the shell):  ${deliver[$p]}"
done
echo "  the shell that picks the mail, with /bin/true: $shell"
