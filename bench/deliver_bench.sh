#!/usr/bin/env bash
# Pipe-delivery benchmark: `mailcase deliver`, one process per mail as Postfix's pipe(8)
# runs it, with 1 and 2 feeders, against the raw-SQLite ceiling measured in the same run on
# the same disk (one transaction per mail, WAL + synchronous=FULL, the mail's bytes in a
# row). Prints mails/s, each as a ratio to that ceiling, so that a loaded machine's noise
# falls on both alike; then what the load does not move: sync syscalls per mail (strace)
# and peak RSS of one delivery (/usr/bin/time -v).
#
# The corpus comes from bench/gen_corpus (plain, Latin-1/2, HTML, attachments, replies
# threading by In-Reply-To), with a seed of its own, split into one file per mail.
#   bench/deliver_bench.sh [COUNT=300] [ROUNDS=3]
#   BIN=/path/to/mailcase bench/deliver_bench.sh   # measure another build (the code before)
# Deliveries run DELIVER_BIN: the build's mailcase-deliver (the delivery-only program, as
# Postfix's pipe runs it) when BIN is the build's mailcase and it exists, else BIN itself
# (`BIN deliver`); DELIVER_BIN=/path/to/mailcase measures `mailcase deliver` of a build.
# Then the start-up of one delivery: shared libraries loaded and the dynamic loader's
# relocations (LD_DEBUG=statistics); with CALLGRIND=1 also the instructions of one plain
# delivery (valgrind).
# SERVE=1: each round also delivers into a store with `serve --roles ingest` running on it,
# so the deliveries are handed over on DATA_DIR/deliver.sock and committed by serve
# together; the sync calls per mail are then serve's (strace -f -p on serve), and
# CALLGRIND=1 counts the instructions of one handed-over delivery (the client alone).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-300}
ROUNDS=${2:-3}
. bench/common.sh
bench_need
if [ -z "${DELIVER_BIN:-}" ]; then
  DELIVER_BIN=$BIN
  [ -x "$(dirname "$BIN")/mailcase-deliver" ] && DELIVER_BIN=$(dirname "$BIN")/mailcase-deliver
fi
DELIVER_BIN=$(realpath "$DELIVER_BIN")

bench_machine
echo "binary: $BIN; deliveries: $DELIVER_BIN"

corpus="$OUT/deliver-corpus-$COUNT"
if [ ! -d "$corpus" ]; then
  "$GEN" --count "$COUNT" --seed 17 --out "$OUT/deliver-corpus-$COUNT.mbox" >/dev/null
  python3 - "$OUT/deliver-corpus-$COUNT.mbox" "$corpus" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
mails, cur = [], None
for line in open(src, 'rb'):
    if line.startswith(b'From '):
        cur = []
        mails.append(cur)
        continue
    if cur is not None:
        cur.append(line[1:] if line.startswith(b'>From ') else line)
for i, m in enumerate(mails):
    with open(os.path.join(dst, f'{i:06d}.eml'), 'wb') as f:
        f.write(b''.join(m))
PY
fi
echo "corpus: $(ls "$corpus" | wc -l) mails, $(du -sh "$corpus" | cut -f1)"

new_store() {
  local data
  data=$(mktemp -d "$OUT/deliver.XXXXXX")
  "$BIN" --data "$data" init >/dev/null
  "$BIN" --data "$data" address add support@corp.example --queue Support >/dev/null
  echo "$data"
}

# Delivers every mail of the corpus with F feeders (each a loop of one process per mail);
# prints mails/s. Fails on any delivery that is not recorded.
deliver_rate() {
  local data=$1 feeders=$2
  python3 - "$DELIVER_BIN" "$data" "$corpus" "$feeders" <<'PY'
import os, subprocess, sys, threading, time
bin_, data, corpus, feeders = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
errors = []
def feed(part):
    for path in part:
        with open(path, 'rb') as f:
            r = subprocess.run([bin_, '--data', data, 'deliver', '--recipient', 'support@corp.example'],
                               stdin=f, capture_output=True)
        if r.returncode != 0 or b'"outcome"' not in r.stdout:
            errors.append(f'{path}: exit {r.returncode}: {r.stderr.decode()[:200]}')
t = time.perf_counter()
threads = [threading.Thread(target=feed, args=(files[i::feeders],)) for i in range(feeders)]
for th in threads: th.start()
for th in threads: th.join()
dt = time.perf_counter() - t
if errors:
    sys.exit('\n'.join(errors[:5]))
print(f'{len(files) / dt:.1f}')
PY
}

# The ceiling: the same mails inserted by one process, one transaction each, WAL + FULL.
sqlite_rate() {
  local dir
  dir=$(mktemp -d "$OUT/ceiling.XXXXXX")
  python3 - "$dir/raw.db" "$corpus" <<'PY'
import os, sqlite3, sys, time
db, corpus = sys.argv[1], sys.argv[2]
mails = [open(os.path.join(corpus, f), 'rb').read() for f in sorted(os.listdir(corpus))]
con = sqlite3.connect(db, isolation_level=None)
con.execute('PRAGMA journal_mode=WAL')
con.execute('PRAGMA synchronous=FULL')
con.execute('CREATE TABLE mails (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)')
t = time.perf_counter()
for m in mails:
    con.execute('BEGIN IMMEDIATE')
    con.execute('INSERT INTO mails (raw) VALUES (?)', (m,))
    con.execute('COMMIT')
dt = time.perf_counter() - t
print(f'{len(mails) / dt:.1f}')
PY
  rm -rf "$dir"
}

# serve on a store, waited for until it takes deliveries; prints its pid.
SERVE_PID=
start_serve() {
  local data=$1
  "$BIN" --data "$data" serve --roles ingest 2>"$data/serve.log" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    grep -q "deliver: taking deliveries" "$data/serve.log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "serve did not start: $(cat "$data/serve.log")" >&2
  exit 1
}
stop_serve() {
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || true
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", a/b}'; }

# Interleaved rounds: the ceiling and each delivery run side by side in time.
: >"$OUT/deliver-ceiling.txt"
: >"$OUT/deliver-1.txt"
: >"$OUT/deliver-2.txt"
: >"$OUT/deliver-serve-1.txt"
: >"$OUT/deliver-serve-2.txt"
for round in $(seq 1 "$ROUNDS"); do
  sqlite_rate >>"$OUT/deliver-ceiling.txt"
  d=$(new_store)
  deliver_rate "$d" 1 >>"$OUT/deliver-1.txt"
  rm -rf "$d"
  d=$(new_store)
  deliver_rate "$d" 2 >>"$OUT/deliver-2.txt"
  rm -rf "$d"
  if [ "${SERVE:-0}" = 1 ]; then
    for feeders in 1 2; do
      d=$(new_store)
      start_serve "$d"
      deliver_rate "$d" "$feeders" >>"$OUT/deliver-serve-$feeders.txt"
      stop_serve
      rm -rf "$d"
    done
  fi
done
ceil=$(median <"$OUT/deliver-ceiling.txt")
one=$(median <"$OUT/deliver-1.txt")
two=$(median <"$OUT/deliver-2.txt")
echo "medians of $ROUNDS rounds of $COUNT mails:"
echo "  raw SQLite, one transaction per mail, WAL+FULL: $ceil mails/s (ratio 1)"
echo "  deliver, 1 feeder:  $one mails/s, ratio $(ratio "$one" "$ceil")"
echo "  deliver, 2 feeders: $two mails/s, ratio $(ratio "$two" "$ceil")"
if [ "${SERVE:-0}" = 1 ]; then
  s1=$(median <"$OUT/deliver-serve-1.txt")
  s2=$(median <"$OUT/deliver-serve-2.txt")
  echo "  deliver handed to serve, 1 feeder:  $s1 mails/s, ratio $(ratio "$s1" "$ceil")"
  echo "  deliver handed to serve, 2 feeders: $s2 mails/s, ratio $(ratio "$s2" "$ceil")"
  # serve's sync calls per mail, over 50 handed-over deliveries.
  if command -v strace >/dev/null; then
    d=$(new_store)
    start_serve "$d"
    strace -f -c -o "$OUT/deliver-serve-strace.txt" -e trace=fsync,fdatasync,syncfs,sync_file_range,sync \
      -p "$SERVE_PID" 2>/dev/null &
    tracer=$!
    sleep 0.5
    for f in $(ls "$corpus" | head -50); do
      "$DELIVER_BIN" --data "$d" deliver --recipient support@corp.example <"$corpus/$f" >/dev/null
    done
    kill -INT "$tracer"
    wait "$tracer" || true
    for call in fsync fdatasync syncfs; do
      awk -v c="$call" '$NF == c {s += $4} END {printf "  serve, %s per handed-over mail (one feeder): %.2f\n", c, s/50}' \
        "$OUT/deliver-serve-strace.txt"
    done
    if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
      printf 'From: Ann <ann@example.org>\r\nTo: support@corp.example\r\nSubject: Printer\r\nMessage-ID: <cgs1@example.org>\r\n\r\nIt does not print.\r\n' |
        valgrind --tool=callgrind --callgrind-out-file="$OUT/deliver-serve-callgrind.out" "$DELIVER_BIN" --data "$d" \
          deliver --recipient support@corp.example >/dev/null 2>"$OUT/deliver-serve-callgrind.txt"
      echo "  instructions, one handed-over deliver of a plain new mail (the client):" \
        "$(grep -o 'Collected : [0-9]*' "$OUT/deliver-serve-callgrind.txt" | awk '{printf "%.2f million", $3/1e6}')"
    fi
    stop_serve
    rm -rf "$d"
  fi
fi

# Sync syscalls per mail, over the first 50 mails into a store that has seen the rest.
if command -v strace >/dev/null; then
  d=$(new_store)
  n=0
  : >"$OUT/deliver-strace.txt"
  for f in $(ls "$corpus" | head -50); do
    strace -f -c -o "$OUT/deliver-strace-one.txt" -e trace=fsync,fdatasync,syncfs,sync_file_range,sync \
      "$DELIVER_BIN" --data "$d" deliver --recipient support@corp.example <"$corpus/$f" >/dev/null
    cat "$OUT/deliver-strace-one.txt" >>"$OUT/deliver-strace.txt"
    n=$((n + 1))
  done
  for call in fsync fdatasync syncfs sync_file_range sync; do
    awk -v c="$call" -v n="$n" '$NF == c {s += $4} END {printf "  %s per mail: %.2f\n", c, s/n}' \
      "$OUT/deliver-strace.txt"
  done
  rm -rf "$d"
else
  echo "  (strace missing: no sync counts)"
fi

# Peak RSS of one delivery: the corpus's largest mail.
d=$(new_store)
big=$(ls -S "$corpus" | head -1)
/usr/bin/time -v "$DELIVER_BIN" --data "$d" deliver --recipient support@corp.example <"$corpus/$big" \
  >/dev/null 2>"$OUT/deliver-time.txt"
echo "  peak RSS of one deliver ($(du -h "$corpus/$big" | cut -f1) mail):" \
  "$(awk -F: '/Maximum resident/ {printf "%.1f MB", $2/1024}' "$OUT/deliver-time.txt")"
rm -rf "$d"

# Start-up of one delivery: what the dynamic loader maps and relocates (no load moves it).
d=$(new_store)
# mailcase-deliver is static (ldd: none); without serve it runs mailcase-deliver-direct,
# whose libraries and loader figures these are (the environment passes through its exec).
direct_bin=$(dirname "$DELIVER_BIN")/mailcase-deliver-direct
[ -x "$direct_bin" ] || direct_bin=$DELIVER_BIN
echo "  shared libraries loaded by $(basename "$DELIVER_BIN"): $(ldd "$DELIVER_BIN" 2>/dev/null | grep -c '=>\|ld-linux' || true)"
[ "$direct_bin" = "$DELIVER_BIN" ] ||
  echo "  shared libraries loaded by $(basename "$direct_bin"): $(LD_TRACE_LOADED_OBJECTS=1 "$direct_bin" | grep -c '=>\|ld-linux')"
LD_DEBUG=statistics "$DELIVER_BIN" --data "$d" deliver --recipient support@corp.example \
  <"$corpus/$(ls "$corpus" | head -1)" 2>"$OUT/deliver-ld.txt" >/dev/null
# The start-up figures: the "final" ones are printed at exit, which a delivery leaves with
# _exit once its outcome is out (no exit handlers run).
awk -F: '$2 ~ /^[ \t]*number of relocations$/ {r=$NF} /number of relative relocations/ {rr=$NF}
  /total startup time in dynamic loader/ {t=$NF}
  END {printf "  dynamic loader at start-up: %d symbol relocations, %d relative, %s\n", r, rr, t}' "$OUT/deliver-ld.txt"
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
  plain="$OUT/deliver-plain.eml"
  printf 'From: Ann <ann@example.org>\r\nTo: support@corp.example\r\nSubject: Printer\r\nMessage-ID: <cg1@example.org>\r\n\r\nIt does not print.\r\n' >"$plain"
  # Both processes when mailcase-deliver runs mailcase-deliver-direct: their sum.
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$OUT/deliver-callgrind.%p.out" \
    "$DELIVER_BIN" --data "$d" deliver --recipient support@corp.example <"$plain" >/dev/null \
    2>"$OUT/deliver-callgrind.txt"
  echo "  instructions, one deliver of a plain new mail (committing alone):" \
    "$(grep -o 'Collected : [0-9]*' "$OUT/deliver-callgrind.txt" | awk '{s+=$3} END {printf "%.1f million", s/1e6}')"
fi
rm -rf "$d"
