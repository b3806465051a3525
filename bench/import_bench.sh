#!/usr/bin/env bash
# `mailcase import` against the raw-SQLite ceiling measured in the same rounds on the same
# disk: a loaded, shared machine moves both, so the ratio is the figure to compare.
#   bench/import_bench.sh [COUNT=10000] [ROUNDS=3]
# Each round: the ceiling (the corpus's mails inserted by one Python process, 100 per
# transaction, WAL + synchronous=FULL, each mail's bytes in a row: the durable batch
# ceiling of issue 17), then `mailcase import` of the same mbox into a fresh store
# (storage.sync = "full", import_batch as configured) under /usr/bin/time -v: mails/s,
# CPU (user+sys, in cores busy on average) and peak RSS. BIN=… measures another build;
# BIN2=… a second build in the same rounds (before/after). CALLGRIND=N counts the
# instructions of an import of the first N mails instead (all threads; repeatable under load).
# The search index is always on (every case indexed, once per commit: migration 28).
# RULES=100: the store gets the 100 assignment rules of bench/rules_100.sh (10 of them
# match some mails) before the import, as issue 17 measures. RATES=N: also the rate of the
# first N and of the last N mails of each import, from its progress lines (stamped as they
# come, about one a second), e.g. RATES=10000 bench/import_bench.sh 300000 1 (a long
# import keeps its rate when the last is within 20% of the first); the per-state row counts
# are then left out (listing every message of a big store would cost more than the run).
# BATCH=N (BATCH2=N for BIN2): the stores' storage.import_batch instead of the default.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
ROUNDS=${2:-3}
BIN2=${BIN2:-}
RULES=${RULES:-0}
RATES=${RATES:-}
BATCH=${BATCH:-}
BATCH2=${BATCH2:-}
. bench/common.sh
. bench/rules_100.sh
bench_need
corpus=$OUT/corpus-$COUNT.mbox
[ -f "$corpus" ] || "$GEN" --count "$COUNT" --out "$corpus" >/dev/null
echo "search index: on (always); assignment rules: $RULES"
bench_machine
echo "corpus: $COUNT mails, $(du -h "$corpus" | cut -f1)"

# new_store BIN [IMPORT_BATCH]
new_store() {
  local d
  d=$(mktemp -d "$OUT/import-data.XXXXXX")
  "$1" --data "$d" init >/dev/null
  if [ -n "${2:-}" ]; then
    sed -i "s/^import_batch = .*/import_batch = $2/" "$d/mailcase.toml"
    grep -q "^import_batch = $2\$" "$d/mailcase.toml" || { echo "import_batch not set in $d/mailcase.toml" >&2; exit 2; }
  fi
  "$1" --data "$d" address add support@corp.example --queue Support >/dev/null
  if [ "$RULES" = 100 ]; then
    add_100_rules "$1" "$d"
  elif [ "$RULES" != 0 ]; then
    echo "RULES is 0 or 100" >&2
    exit 2
  fi
  echo "$d"
}

if [ -n "${CALLGRIND:-}" ]; then
  small=$OUT/corpus-$COUNT-first-$CALLGRIND.mbox
  python3 - "$corpus" "$small" "$CALLGRIND" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = 0
with open(src, 'rb') as f, open(dst, 'wb') as out:
    for line in f:
        if line.startswith(b'From '):
            seen += 1
            if seen > n:
                break
        out.write(line)
PY
  for b in "$BIN" ${BIN2:+"$BIN2"}; do
    d=$(new_store "$b")
    rm -f "$OUT"/import.callgrind*
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$OUT/import.callgrind" \
      "$b" --data "$d" import "$small" 2>"$OUT/import-callgrind.log" >/dev/null
    # One file per thread: the busiest bounds the rate two cores can reach.
    per_thread=$(for f in "$OUT"/import.callgrind*; do awk '/^(summary|totals):/ {print $2; exit}' "$f"; done | sort -rn)
    total=$(echo "$per_thread" | awk '{s += $1} END {print s}')
    busiest=$(echo "$per_thread" | head -1)
    echo "$b: $CALLGRIND mails: $(awk -v i="$total" -v n="$CALLGRIND" 'BEGIN {printf "%.2f", i/n/1e6}') million instructions per mail in all," \
      "the busiest thread $(awk -v i="$busiest" -v n="$CALLGRIND" 'BEGIN {printf "%.2f", i/n/1e6}') million;" \
      "threads: $(echo "$per_thread" | awk -v n="$CALLGRIND" '{printf "%s%.2f", (NR > 1 ? " + " : ""), $1/n/1e6}')"
    rm -rf "$d"
  done
  exit 0
fi

# The ceiling: the mbox's mails, 100 per transaction, WAL + FULL.
sqlite_rate() {
  local dir
  dir=$(mktemp -d "$OUT/ceiling.XXXXXX")
  python3 - "$dir/raw.db" "$corpus" <<'PY'
import sqlite3, sys, time
db, corpus = sys.argv[1], sys.argv[2]
mails, cur = [], []
with open(corpus, 'rb') as f:
    for line in f:
        if line.startswith(b'From ') and cur:
            mails.append(b''.join(cur))
            cur = []
        cur.append(line)
if cur:
    mails.append(b''.join(cur))
con = sqlite3.connect(db, isolation_level=None)
con.execute('PRAGMA journal_mode=WAL')
con.execute('PRAGMA synchronous=FULL')
con.execute('CREATE TABLE mails (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)')
t = time.perf_counter()
for i in range(0, len(mails), 100):
    con.execute('BEGIN IMMEDIATE')
    con.executemany('INSERT INTO mails (raw) VALUES (?)', ((m,) for m in mails[i:i + 100]))
    con.execute('COMMIT')
dt = time.perf_counter() - t
print(f'{len(mails) / dt:.0f}')
PY
  rm -rf "$dir"
}

# One import: "mails/s cores rss_mb page_faults rows-or-rates"; page faults cost 15-18 us each on
# the 2-core virtual machines of README's "Speed" (tcmalloc's heap in huge pages: app/huge_page_heap.h).
import_rate() {
  local b=$1 d
  d=$(new_store "$b" "${2:-}")
  # The progress lines on stderr, each with the seconds since the import began, stamped as
  # they come by a Python process started and ready before the import starts: one starting
  # beside it (a pipe into `python3`) took ~0.2 s of CPU from the import's two cores and
  # made a 10,000-mail import read 1.45-1.66 s instead of 1.25-1.37.
  local fifo=$d.progress
  mkfifo "$fifo"
  python3 -u -c '
import sys, time
ready, fifo = sys.argv[1], sys.argv[2]
open(ready, "w").close()
with open(fifo) as progress:
    start = float(progress.readline())
    for line in progress:
        print(f"{time.time() - start:.3f} {line}", end="", flush=True)' "$d.ready" "$fifo" >"$OUT/import.log" &
  local stamper=$!
  while [ ! -e "$d.ready" ]; do sleep 0.01; done
  {
    echo "$EPOCHREALTIME"
    /usr/bin/time -v -o "$OUT/import-time.txt" "$b" --data "$d" import "$corpus" 2>&1 >/dev/null
  } >"$fifo"
  wait "$stamper"
  rm -f "$fifo" "$d.ready"
  local created
  if [ -n "$RATES" ]; then
    created=$(rates "$OUT/import.log")
  else
    created=$("$b" --data "$d" message list --json | grep -o '"state": *"[a-z]*"' | sort | uniq -c |
      awk '{gsub(/"/, "", $NF); printf "%s%s=%s", (NR > 1 ? "," : ""), $NF, $1}')
  fi
  rm -rf "$d"
  awk -v n="$COUNT" -v c="$created" '
    /Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /User time/ { cpu += $NF } /System time/ { cpu += $NF }
    /Maximum resident/ { rss = $NF }
    /Minor \(reclaiming a frame\) page faults/ { faults = $NF }
    END { printf "%.0f %.2f %.1f %d %s\n", n / wall, cpu / wall, rss / 1024, faults, c }' "$OUT/import-time.txt"
}

# "first=R1/s,last=R2/s,last/first=X" of a stamped import log: the first RATES mails from
# the start to the first progress line past them; the last RATES from the last progress
# line before them to the end ("done:").
rates() {
  python3 - "$1" "$RATES" <<'PY'
import re, sys
w = int(sys.argv[2])
points, end = [], None
for line in open(sys.argv[1]):
    m = re.match(r"([0-9.]+) imported ([0-9]+) mails", line)
    if m:
        points.append((float(m.group(1)), int(m.group(2))))
    m = re.match(r"([0-9.]+) done: ([0-9]+) mails", line)
    if m:
        end = (float(m.group(1)), int(m.group(2)))
if not end or not points:
    print("rates=unknown")
    sys.exit(0)
t1, n1 = next((p for p in points if p[1] >= w), end)
first = n1 / t1
ta, na = max((p for p in points if p[1] <= end[1] - w), default=(0.0, 0))
last = (end[1] - na) / (end[0] - ta)
print(f"first{w}={first:.0f}/s,last{w}={last:.0f}/s,last/first={last / first:.2f}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }

: >"$OUT/import-ceiling.txt"
: >"$OUT/import-1.txt"
: >"$OUT/import-2.txt"
label=rows
[ -n "$RATES" ] && label=rates
for round in $(seq 1 "$ROUNDS"); do
  c=$(sqlite_rate)
  echo "$c" >>"$OUT/import-ceiling.txt"
  line="round $round: raw SQLite $c mails/s"
  r=$(import_rate "$BIN" "$BATCH")
  echo "$r" >>"$OUT/import-1.txt"
  set -- $r
  line="$line; import $1 mails/s (ratio $(ratio "$1" "$c"), $2 cores, peak RSS $3 MB, $4 page faults; $label: $5)"
  if [ -n "$BIN2" ]; then
    r=$(import_rate "$BIN2" "$BATCH2")
    echo "$r" >>"$OUT/import-2.txt"
    set -- $r
    line="$line; BIN2 $1 mails/s (ratio $(ratio "$1" "$c"), $2 cores, peak RSS $3 MB, $4 page faults${RATES:+; rates: $5})"
  fi
  echo "$line"
done
ceil=$(cut -d' ' -f1 "$OUT/import-ceiling.txt" | median)
one=$(cut -d' ' -f1 "$OUT/import-1.txt" | median)
echo "medians of $ROUNDS rounds of $COUNT mails:"
echo "  raw SQLite, 100 mails per transaction, WAL+FULL: $ceil mails/s (ratio 1)"
echo "  import ($BIN): $one mails/s, ratio $(ratio "$one" "$ceil"), peak RSS max $(cut -d' ' -f3 "$OUT/import-1.txt" | sort -n | tail -1) MB"
if [ -n "$BIN2" ]; then
  two=$(cut -d' ' -f1 "$OUT/import-2.txt" | median)
  echo "  import ($BIN2): $two mails/s, ratio $(ratio "$two" "$ceil"), peak RSS max $(cut -d' ' -f3 "$OUT/import-2.txt" | sort -n | tail -1) MB"
fi
