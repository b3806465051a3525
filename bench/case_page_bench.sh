#!/usr/bin/env bash
# The console's case page at scale: a data directory of N cases (filled by SQL in one
# transaction, in the proportions bench/scale_deliver.sh uses: per case 3 comments, 2 raw
# mails, 1 participant, 2 history rows; one contact per 3 cases; statuses and queues
# mixed), served by `mailcase serve --roles http`; an agent logs in and R case pages of
# random numbers are fetched one after the other over one kept-alive connection, then the
# queues page and the first page of the case list. Prints p50/p99 of each (milliseconds,
# the whole HTTP answer as a browser waits for it).
#   bench/case_page_bench.sh [N=1000000] [R=300]
#   KEEP=1 bench/case_page_bench.sh   # keep the data directory (printed) for another run
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
R=${2:-300}
BUILD_DIR=${BUILD_DIR:-build}
BIN=${BIN:-$BUILD_DIR/mailcase}
OUT=bench/out
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "build first: scripts/build" >&2; exit 1; }
BIN=$(realpath "$BIN")

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
data=$(mktemp -d "$OUT/casepage.XXXXXX")
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$data"
}
trap cleanup EXIT
"$BIN" --data "$data" init >/dev/null
"$BIN" --data "$data" address add support@corp.example --queue Support >/dev/null
"$BIN" --data "$data" agent add --name Bench --email bench@corp.example --role admin >/dev/null
echo "bench-password-1234" | "$BIN" --data "$data" agent password bench@corp.example >/dev/null

start=$(date +%s.%N)
python3 - "$data/mailcase.db" "$N" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
con.execute("BEGIN")
con.execute("CREATE TEMP TABLE seq(i INTEGER PRIMARY KEY)")
con.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO seq SELECT i FROM s", (n,))
T = "'2026-01-01T00:00:00Z'"
nc = (n + 2) // 3
con.execute(f"INSERT INTO contacts (id, name, created_at) SELECT i, 'Customer ' || i, {T} FROM seq WHERE i <= ?", (nc,))
con.execute("INSERT INTO contact_emails (email, contact_id) SELECT 'customer' || i || '@example.net', i "
            "FROM seq WHERE i <= ?", (nc,))
con.execute("INSERT INTO cases (id, number, subject, description, status, priority, queue, owner, contact_id, "
            "routing_address, created_at, updated_at) "
            "SELECT i, printf('CS%07d', i), 'Question ' || i, 'Some words about question ' || i, "
            "CASE i % 8 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'solution proposed' ELSE 'closed' END, "
            "'normal', CASE i % 5 WHEN 0 THEN 'Support' WHEN 1 THEN 'Sales' WHEN 2 THEN 'Billing' "
            "WHEN 3 THEN 'Hardware' ELSE 'Unrouted' END, "
            "CASE WHEN i % 3 = 0 THEN 'bench@corp.example' ELSE '' END, (i - 1) % ? + 1, "
            "'support@corp.example', printf('2026-01-01T%02d:%02d:%02dZ', i / 3600 % 24, i / 60 % 60, i % 60), "
            "printf('2026-02-01T%02d:%02d:%02dZ', i / 3600 % 24, i / 60 % 60, i % 60) FROM seq", (nc,))
con.execute("INSERT INTO raw_messages (id, sha256, size, source, recipients, state, outcome, message_id, "
            "from_addr, subject, case_id, received_at, spool_location) "
            "SELECT i, printf('%064x', i), 2000, 'lmtp', 'support@corp.example', 'processed', "
            "CASE WHEN i % 2 = 1 THEN 'created' ELSE 'updated' END, '<m' || i || '@example.net>', "
            "'customer' || (((i + 1) / 2 - 1) % ? + 1) || '@example.net', 'Question', (i + 1) / 2, "
            f"{T}, 'seg-' || (i / 1000) || ':' || i FROM (SELECT i FROM seq UNION ALL SELECT i + ? FROM seq) "
            "WHERE i <= 2 * ?", (nc, n, n))
con.execute("INSERT INTO comments (case_id, direction, author, body, visibility, raw_message_id, created_at) "
            "SELECT (i + 2) / 3, CASE i % 3 WHEN 2 THEN 'outbound' ELSE 'inbound' END, "
            "CASE i % 3 WHEN 2 THEN 'bench@corp.example' ELSE 'Customer <customer@example.net>' END, "
            "'A comment of a few words, as comments go, number ' || i, 'public', "
            f"CASE i % 3 WHEN 2 THEN NULL ELSE (i + 2) / 3 END, {T} "
            "FROM (SELECT i FROM seq UNION ALL SELECT i + ? FROM seq UNION ALL SELECT i + 2 * ? FROM seq)",
            (n, n))
con.execute("INSERT INTO case_participants (case_id, email, source, added_at) "
            f"SELECT i, 'cc' || i || '@example.org', 'mail', {T} FROM seq")
con.execute("INSERT INTO events (case_id, at, actor_kind, actor, action, details) "
            f"SELECT (i + 1) / 2, {T}, 'system', 'mailcase', 'created', '{{}}' FROM "
            "(SELECT i FROM seq UNION ALL SELECT i + ? FROM seq)", (n,))
con.execute("DROP TABLE seq")
con.commit()
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
PY
end=$(date +%s.%N)
echo "store: $N cases, $(du -h "$data/mailcase.db" | cut -f1), filled in $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", e-s}') s"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$data" serve --roles http --http "127.0.0.1:$port" 2>"$OUT/case_page_serve.log" &
server=$!

python3 - "$port" "$N" "$R" <<'PY'
import http.client, random, re, sys, time
port, n, r = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for _ in range(100):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60); c.request("GET", "/login"); break
    except OSError:
        time.sleep(0.1)
res = c.getresponse(); body = res.read().decode()
nonce = re.search(r"mc_login=([^;]+)", res.getheader("Set-Cookie")).group(1)
token = re.search(r'name="login_csrf" value="([^"]*)"', body).group(1)
from urllib.parse import urlencode
c.request("POST", "/login", urlencode({"email": "bench@corp.example", "password": "bench-password-1234",
          "login_csrf": token, "next": "/"}), {"Cookie": "mc_login=" + nonce,
          "Content-Type": "application/x-www-form-urlencoded"})
res = c.getresponse(); res.read()
session = re.search(r"mc_session=([^;]+)", res.getheader("Set-Cookie")).group(1)
h = {"Cookie": "mc_session=" + session}
def timed(path):
    t = time.perf_counter(); c.request("GET", path, headers=h); res = c.getresponse(); b = res.read()
    dt = (time.perf_counter() - t) * 1000
    if res.status != 200: sys.exit(f"{path}: {res.status}")
    return dt, b
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(-(-p * len(v) // 100)) - 1))]
rng = random.Random(1)
timed("/cases/CS%07d" % 1)  # warm the connection and the statement cache
page = [timed("/cases/CS%07d" % rng.randint(1, n))[0] for _ in range(r)]
_, b = timed("/cases/CS%07d" % n)
assert b"A comment of a few words" in b
queues = [timed("/")[0] for _ in range(max(5, r // 30))]
lists = [timed("/cases")[0] for _ in range(max(5, r // 30))]
print(f"case page: {r} random cases, p50 {pct(page, 50):.1f} ms, p99 {pct(page, 99):.1f} ms, max {max(page):.1f} ms")
print(f"queues page (counts by queue, my open cases): {len(queues)} runs, p50 {pct(queues, 50):.1f} ms, p99 {pct(queues, 99):.1f} ms")
print(f"case list, first page: {len(lists)} runs, p50 {pct(lists, 50):.1f} ms, p99 {pct(lists, 99):.1f} ms")
PY
if [ "${KEEP:-0}" = 1 ]; then echo "data directory kept: $data"; fi
