#!/usr/bin/env bash
# LMTP benchmark: `mailcase serve --lmtp` (storage.sync = "full", the default) against
# Dovecot's own LMTP delivery into Maildir (the throw-away Dovecot of the test fixture)
# and the raw-SQLite ceiling, all in one run on one disk, each LMTP server fed the same
# mails by the same C++ client (bench/lmtp_client, CONNECTIONS connections on as many
# threads). First the client against a sink that answers at once (its own --sink, and
# Postfix's smtp-sink when installed): what the client itself can send, so that it is
# shown not to be the limit. Prints mails/s, p50/p99 of one mail's latency, the ratios
# to the ceiling and to Dovecot, and the peak RSS and CPU of serve.
#
#   bench/lmtp_bench.sh [COUNT=10000] [CONNECTIONS=4] [ROUNDS=1]
#   BIN=/path/to/mailcase BIN2=/path/to/other/mailcase bench/lmtp_bench.sh
#       (BIN2: a second build, run right after BIN in every round: a ratio between builds
#       that the load of a shared machine falls on alike)
#   PIPELINING=1: the client sends MAIL, RCPT and DATA in one write
#   CALLGRIND=N: instead, the instructions serve executes for the first N mails of the
#       corpus (valgrind --tool=callgrind; repeatable under load), for BIN and BIN2
# The corpus comes from bench/gen_corpus (plain, Latin-1/2, HTML, attachments, a third
# replies threading by In-Reply-To/References), with a seed of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
CONNECTIONS=${2:-4}
ROUNDS=${3:-1}
BIN2=${BIN2:-}
[ -n "$BIN2" ] && BIN2=$(realpath "$BIN2")
FIXTURE=tests/fixtures/dovecot/dovecot-fixture
. bench/common.sh
bench_need "$BUILD_DIR/bench/lmtp_client"
CLIENT=$(realpath "$BUILD_DIR/bench/lmtp_client")
PIPE_FLAG=()
[ "${PIPELINING:-0}" = 1 ] && PIPE_FLAG=(--pipelining)

bench_machine
echo "binary: $BIN${BIN2:+; second build: $BIN2}; $CONNECTIONS connections${PIPE_FLAG:+, pipelining}"

corpus="$OUT/lmtp-corpus-$COUNT.mbox"
[ -f "$corpus" ] || "$GEN" --count "$COUNT" --seed 29 --out "$corpus" >/dev/null
echo "corpus: $COUNT mails, $(du -h "$corpus" | cut -f1)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(600):
    if socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0:
        sys.exit(0)
    time.sleep(0.05)
sys.exit("port never opened")
PY
}
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# client PORT RCPT: one run of the client; prints its line.
client() {
  "$CLIENT" --port "$1" --rcpt "$2" --mbox "$corpus" --connections "$CONNECTIONS" "${PIPE_FLAG[@]}"
}

# The raw-SQLite ceiling on the same disk: the same mails' bytes inserted, WAL +
# synchronous=FULL, one transaction per mail and 100 per transaction.
sqlite_rate() {
  local dir
  dir=$(mktemp -d "$OUT/ceiling.XXXXXX")
  python3 - "$dir/raw.db" "$corpus" "$1" <<'PY'
import sqlite3, sys, time
db, corpus, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
mails, cur = [], None
for line in open(corpus, 'rb'):
    if line.startswith(b'From '):
        cur = []
        mails.append(cur)
    elif cur is not None:
        cur.append(line)
mails = [b''.join(m) for m in mails]
con = sqlite3.connect(db, isolation_level=None)
con.execute('PRAGMA journal_mode=WAL')
con.execute('PRAGMA synchronous=FULL')
con.execute('CREATE TABLE mails (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)')
t = time.perf_counter()
for i in range(0, len(mails), per):
    con.execute('BEGIN IMMEDIATE')
    for m in mails[i:i + per]:
        con.execute('INSERT INTO mails (raw) VALUES (?)', (m,))
    con.execute('COMMIT')
print(f'{len(mails) / (time.perf_counter() - t):.1f}')
PY
  rm -rf "$dir"
}

# rate_against PORT CMD…: the client's line against a sink CMD… starts on PORT (an instant
# answerer: what the client itself can send), the sink stopped after it.
rate_against() {
  local port=$1 pid line
  shift
  "$@" >/dev/null &
  pid=$!
  wait_port "$port"
  line=$(client "$port" sink@example.org)
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$line"
}
smtp_sink_user=()
[ "$(id -u)" -eq 0 ] && smtp_sink_user=(-u nobody)  # smtp-sink refuses to run as root

dovecot_rate() {
  local dir line
  dir=$(mktemp -d "$OUT/dovecot.XXXXXX")
  "$FIXTURE" start "$dir/dc" >/dev/null
  line=$(client "$(sed -n 's/^LMTP_PORT=//p' "$dir/dc/ports.env")" alice@localhost || true)
  "$FIXTURE" stop "$dir/dc" >/dev/null
  rm -rf "$dir"
  echo "$line"
}

# mailcase_rate BIN: a new data directory, serve --lmtp, the client; its line plus the
# server's peak RSS (MB), CPU (s) and the mails the store holds as processed.
mailcase_rate() {
  local bin=$1 data port pid line rss cpu n
  data=$(mktemp -d "$OUT/lmtp.XXXXXX")
  "$bin" --data "$data" init >/dev/null
  "$bin" --data "$data" address add support@corp.example --queue Support >/dev/null
  port=$(free_port)
  "$bin" --data "$data" serve --lmtp "127.0.0.1:$port" >/dev/null 2>"$data/serve.log" &
  pid=$!
  wait_port "$port"
  line=$(client "$port" support@corp.example || true)
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  cpu=$(awk -v t="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.1f", ($12 + $13) / t}' "/proc/$pid/stat")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  n=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM raw_messages WHERE state IN (\"processed\",\"duplicate\")").fetchone()[0])' "$data/mailcase.db")
  rm -rf "$data"
  echo "$line rss_mb $rss cpu_s $cpu stored $n"
}

# callgrind_serve BIN N: instructions of serve --lmtp for N mails over CONNECTIONS connections.
callgrind_serve() {
  local bin=$1 n=$2 data port pid
  data=$(mktemp -d "$OUT/lmtp-cg.XXXXXX")
  "$bin" --data "$data" init >/dev/null
  "$bin" --data "$data" address add support@corp.example --queue Support >/dev/null
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$data/cg.out" "$bin" --data "$data" serve \
    --lmtp "127.0.0.1:$port" >/dev/null 2>"$data/cg.txt" &
  pid=$!
  wait_port "$port"
  "$CLIENT" --port "$port" --mbox "$corpus" --count "$n" --connections "$CONNECTIONS" >/dev/null
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  grep -o 'Collected : [0-9]*' "$data/cg.txt" |
    awk -v n="$n" '{printf "%.1f million instructions, %.2f million per mail\n", $3/1e6, $3/1e6/n}'
  rm -rf "$data"
}
if [ -n "${CALLGRIND:-}" ]; then
  echo "  $BIN: $(callgrind_serve "$BIN" "$CALLGRIND")"
  [ -n "$BIN2" ] && echo "  $BIN2: $(callgrind_serve "$BIN2" "$CALLGRIND")"
  exit 0
fi

: >"$OUT/lmtp-results.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  {
    port=$(free_port)
    echo "sink $(rate_against "$port" "$CLIENT" --sink "$port")"
    if command -v smtp-sink >/dev/null; then
      port=$(free_port)
      echo "smtp-sink $(rate_against "$port" smtp-sink "${smtp_sink_user[@]}" -L -c "127.0.0.1:$port" 256)"
    fi
    echo "ceiling1 rate $(sqlite_rate 1)"
    echo "ceiling100 rate $(sqlite_rate 100)"
    echo "dovecot $(dovecot_rate)"
    echo "mailcase $(mailcase_rate "$BIN")"
    if [ -n "$BIN2" ]; then echo "mailcase2 $(mailcase_rate "$BIN2")"; fi
  } | tee -a "$OUT/lmtp-results.txt" | sed 's/^/  /'
done

med() { awk -v w="$1" '$1 == w' "$OUT/lmtp-results.txt" | field "$2" | median; }
c1=$(med ceiling1 rate)
c100=$(med ceiling100 rate)
dc=$(med dovecot rate)
echo "medians of $ROUNDS round(s) of $COUNT mails, $CONNECTIONS connections:"
echo "  client against its own sink: $(med sink rate) mails/s"
command -v smtp-sink >/dev/null && echo "  client against Postfix's smtp-sink: $(med smtp-sink rate) mails/s"
echo "  raw SQLite, WAL+FULL, 1 mail per transaction: $c1 mails/s; 100 per transaction: $c100 mails/s"
echo "  Dovecot LMTP into Maildir: $dc mails/s (p50 $(med dovecot p50_ms) ms, p99 $(med dovecot p99_ms) ms)," \
  "ratio to the 1-per-transaction ceiling $(ratio "$dc" "$c1")"
for w in mailcase mailcase2; do
  awk -v w="$w" '$1 == w' "$OUT/lmtp-results.txt" | grep -q . || continue
  r=$(med "$w" rate)
  echo "  $w serve --lmtp: $r mails/s (p50 $(med "$w" p50_ms) ms, p99 $(med "$w" p99_ms) ms), errors" \
    "$(med "$w" errors), stored $(med "$w" stored); ratio to the ceiling $(ratio "$r" "$c1")" \
    "(to 100 per transaction $(ratio "$r" "$c100")), to Dovecot $(ratio "$r" "$dc");" \
    "peak RSS $(med "$w" rss_mb) MB, CPU $(med "$w" cpu_s) s"
done
if [ -n "$BIN2" ]; then
  echo "  BIN2 / BIN: $(ratio "$(med mailcase2 rate)" "$(med mailcase rate)")"
fi
