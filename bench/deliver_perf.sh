#!/usr/bin/env bash
# CPU time (perf stat, task-clock) of mailcase-deliver: its start-up alone (`--help`) and one
# delivery of a new plain mail, for one build or two in pairs, so that the machine's load
# falls on both alike.
#   bench/deliver_perf.sh [RUNS=30]
#   BIN2=bench/out/mailcase-deliver-before bench/deliver_perf.sh   # against an older build
# BIN is the build's mailcase-deliver; MAILCASE (the build's mailcase) makes the store. Each
# run copies one store (made once: init, a routing address, 20 mails, its WAL checkpointed)
# for each program and has each deliver the same new mail into its copy, from a file (never
# stdin reused), the programs' order alternating; so every delivery starts from the same
# store and WAL. Prints the medians and, with BIN2, the median of the per-run ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
BUILD_DIR=${BUILD_DIR:-build}
BIN=$(realpath "${BIN:-$BUILD_DIR/mailcase-deliver}")
MAILCASE=$(realpath "${MAILCASE:-$BUILD_DIR/mailcase}")
command -v perf >/dev/null || { echo "perf missing" >&2; exit 1; }
OUT=bench/out
mkdir -p "$OUT"
work=$(mktemp -d "$OUT/deliver-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
mail() {
  printf 'From: Ann %s <ann%s@example.org>\r\nTo: support@corp.example\r\nSubject: Printer %s\r\nMessage-ID: <perf%s@example.org>\r\n\r\nIt does not print.\r\n' \
    "$1" "$1" "$1" "$1"
}
"$MAILCASE" --data "$work/base" init >/dev/null
"$MAILCASE" --data "$work/base" address add support@corp.example --queue Support >/dev/null
for i in $(seq 1 20); do mail "base$i" | "$BIN" --data "$work/base" deliver --recipient support@corp.example >/dev/null; done
python3 -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" \
  "$work/base/mailcase.db"

# task-clock in ms of one run of the command, stdin from the file given first.
task_ms() {
  local in=$1
  shift
  perf stat -x, -e task-clock -- "$@" <"$in" 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%.2f", $1}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

programs=("$BIN")
[ -n "${BIN2:-}" ] && programs+=("$(realpath "$BIN2")")
: >"$work/help-0"; : >"$work/help-1"; : >"$work/one-0"; : >"$work/one-1"; : >"$work/ratio-help"; : >"$work/ratio-one"
for run in $(seq 1 "$RUNS"); do
  mail "run$run" >"$work/mail.eml"
  order=(0 1)
  [ $((run % 2)) = 0 ] && order=(1 0)
  declare -A h=() d=()
  for k in "${order[@]}"; do
    [ "$k" -lt "${#programs[@]}" ] || continue
    rm -rf "$work/copy-$k"
    cp -a "$work/base" "$work/copy-$k"
    h[$k]=$(task_ms /dev/null "${programs[$k]}" --help)
    d[$k]=$(task_ms "$work/mail.eml" "${programs[$k]}" --data "$work/copy-$k" deliver --recipient support@corp.example)
    echo "${h[$k]}" >>"$work/help-$k"
    echo "${d[$k]}" >>"$work/one-$k"
  done
  if [ "${#programs[@]}" = 2 ]; then
    awk -v a="${h[0]}" -v b="${h[1]}" 'BEGIN {printf "%.4f\n", a/b}' >>"$work/ratio-help"
    awk -v a="${d[0]}" -v b="${d[1]}" 'BEGIN {printf "%.4f\n", a/b}' >>"$work/ratio-one"
  fi
done
echo "task-clock, ms, median of $RUNS runs:"
for k in "${!programs[@]}"; do
  echo "  ${programs[$k]}: --help $(median <"$work/help-$k"), one delivery $(median <"$work/one-$k")"
done
if [ "${#programs[@]}" = 2 ]; then
  echo "  BIN / BIN2, median of the runs' ratios: --help $(median <"$work/ratio-help"), one delivery $(median <"$work/ratio-one")"
fi
