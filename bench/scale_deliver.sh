#!/usr/bin/env bash
# Scale benchmark: what one `mailcase deliver` costs in a store of N cases against an empty
# store. The big store is filled by SQL in one transaction (fast) with rows in the
# proportions a real one has: per case about 2 raw mails, 3 comments, 3 message ids, 2
# outbox mails, 1 participant and 2 history rows (events), one contact per 3 cases. Then M deliveries
# into each store, alternately a new mail and a reply threading by In-Reply-To to the mail
# before it; prints the median time of one delivery in each store and their ratio.
#   bench/scale_deliver.sh [N=300000] [M=40]
#   BIN=/path/to/mailcase bench/scale_deliver.sh   # measure another build (e.g. the code before)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
M=${2:-40}
BUILD_DIR=${BUILD_DIR:-build}
BIN=${BIN:-$BUILD_DIR/mailcase}
OUT=bench/out
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "build first: scripts/build" >&2; exit 1; }
BIN=$(realpath "$BIN")

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "binary: $BIN"

new_store() {
  local data
  data=$(mktemp -d "$OUT/scale.XXXXXX")
  "$BIN" --data "$data" init >/dev/null
  "$BIN" --data "$data" address add support@corp.example --queue Support >/dev/null
  echo "$data"
}

empty=$(new_store)
big=$(new_store)
trap 'rm -rf "$empty" "$big"' EXIT

start=$(date +%s.%N)
python3 - "$big/mailcase.db" "$N" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
cols = lambda t: {r[1] for r in con.execute(f"PRAGMA table_info({t})")}
has_to_key = "to_key" in cols("outbox")
has_participants = con.execute(
    "SELECT count(*) FROM sqlite_master WHERE name = 'case_participants'").fetchone()[0] == 1
con.execute("BEGIN")
con.execute("CREATE TEMP TABLE seq(i INTEGER PRIMARY KEY)")
con.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO seq SELECT i FROM s", (n,))
T = "'2026-01-01T00:00:00Z'"
nc = (n + 2) // 3
con.execute(f"INSERT INTO contacts (id, name, created_at) SELECT i, 'Customer ' || i, {T} FROM seq WHERE i <= ?", (nc,))
con.execute("INSERT INTO contact_emails (email, contact_id) SELECT 'customer' || i || '@example.net', i "
            "FROM seq WHERE i <= ?", (nc,))
con.execute("INSERT INTO cases (id, number, subject, description, status, priority, queue, contact_id, "
            "routing_address, created_at, updated_at) "
            f"SELECT i, printf('CS%07d', i), 'Question ' || i, 'Some words about question ' || i, "
            "CASE WHEN i % 4 = 0 THEN 'open' ELSE 'closed' END, 'normal', 'Support', (i - 1) % ? + 1, "
            f"'support@corp.example', {T}, {T} FROM seq", (nc,))
# Two mails per case: the first one and a reply.
con.execute("INSERT INTO raw_messages (id, sha256, size, source, recipients, state, outcome, message_id, "
            "from_addr, subject, case_id, received_at, spool_location) "
            "SELECT i, printf('%064x', i), 2000, 'lmtp', 'support@corp.example', 'processed', "
            "CASE WHEN i % 2 = 1 THEN 'created' ELSE 'updated' END, '<m' || i || '@example.net>', "
            "'customer' || (((i + 1) / 2 - 1) % ? + 1) || '@example.net', 'Question', (i + 1) / 2, "
            f"{T}, 'seg-' || (i / 1000) || ':' || i FROM (SELECT i FROM seq UNION ALL SELECT i + ? FROM seq) "
            "WHERE i <= 2 * ?", (nc, n, n))
con.execute("INSERT INTO comments (case_id, direction, author, body, visibility, raw_message_id, created_at) "
            f"SELECT (i + 2) / 3, CASE i % 3 WHEN 2 THEN 'outbound' ELSE 'inbound' END, 'someone', "
            f"'A comment of a few words, as comments go, number ' || i, 'public', NULL, {T} "
            "FROM (SELECT i FROM seq UNION ALL SELECT i + ? FROM seq UNION ALL SELECT i + 2 * ? FROM seq)",
            (n, n))
con.execute("INSERT INTO message_ids (message_id, case_id, direction) "
            "SELECT '<m' || i || '@example.net>', (i + 1) / 2, 'inbound' FROM "
            "(SELECT i FROM seq UNION ALL SELECT i + ? FROM seq)", (n,))
con.execute("INSERT INTO message_ids (message_id, case_id, direction) "
            "SELECT '<out' || i || '@corp.example>', i, 'outbound' FROM seq")
raw = "x" * 1500
to_key = ", to_key" if has_to_key else ""
to_key_v = ", 'customer' || ((i + 1) / 2 % 1000) || '@example.net'" if has_to_key else ""
con.execute(f"INSERT INTO outbox (case_id, kind, to_addr, message_id, raw, automatic, state, created_at, "
            f"sent_at{to_key}) SELECT (i + 1) / 2, CASE i % 2 WHEN 1 THEN 'confirmation' ELSE 'comment' END, "
            f"'customer' || ((i + 1) / 2 % 1000) || '@example.net', '<o' || i || '@corp.example>', ?, i % 2, "
            f"'sent', {T}, {T}{to_key_v} FROM (SELECT i FROM seq UNION ALL SELECT i + ? FROM seq)", (raw, n))
if has_participants:
    con.execute("INSERT INTO case_participants (case_id, email, source, added_at) "
                f"SELECT i, 'cc' || i || '@example.org', 'mail', {T} FROM seq")
# Case history: the events table (migration 10), else the audit table it replaced.
if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
    con.execute("INSERT INTO events (case_id, at, actor_kind, actor, action, details) "
                f"SELECT (i + 1) / 2, {T}, 'system', 'mailcase', 'created', '{{}}' FROM "
                "(SELECT i FROM seq UNION ALL SELECT i + ? FROM seq)", (n,))
else:
    con.execute("INSERT INTO audit (case_id, at, actor, action, detail) "
                f"SELECT (i + 1) / 2, {T}, 'system', 'created', '' FROM "
                "(SELECT i FROM seq UNION ALL SELECT i + ? FROM seq)", (n,))
con.execute("DROP TABLE seq")
con.commit()
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
PY
end=$(date +%s.%N)
echo "big store: $N cases, $(du -h "$big/mailcase.db" | cut -f1), filled in $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", e-s}') s"

# M deliveries into one data directory; prints one time (seconds) a line.
run() {
  local data=$1 tag=$2
  python3 - "$BIN" "$data" "$M" "$tag" <<'PY'
import subprocess, sys, time
bin_, data, m, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for k in range(m):
    base = k - k % 2
    mid = f"bench-{tag}-{k}@customer.example"
    head = (f"From: Client {base} <client{base}-{tag}@customer.example>\r\nTo: support@corp.example\r\n"
            f"Message-ID: <{mid}>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n")
    if k % 2 == 0:
        mail = head + f"Subject: Help with item {k}\r\n\r\nMy item {k} does not work.\r\n"
    else:
        parent = f"bench-{tag}-{base}@customer.example"
        mail = head + (f"Subject: Re: Help with item {base}\r\nIn-Reply-To: <{parent}>\r\n"
                       f"References: <{parent}>\r\n\r\nStill broken, see above.\r\n")
    t = time.perf_counter()
    r = subprocess.run([bin_, "--data", data, "deliver", "--recipient", "support@corp.example"],
                       input=mail.encode(), capture_output=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"deliver failed ({r.returncode}): {r.stderr.decode()}")
    # A reply that did not thread would measure something else.
    want = '"outcome":"created"' if k % 2 == 0 else '"outcome":"updated"'
    if want not in r.stdout.decode():
        sys.exit(f"delivery {k}: expected {want}, got {r.stdout.decode()}")
    print(f"{dt:.6f}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Interleaved so that the load of a shared machine falls on both alike.
: >"$OUT/scale-empty.txt"
: >"$OUT/scale-big.txt"
for round in 1 2; do
  run "$empty" "e$round" >>"$OUT/scale-empty.txt"
  run "$big" "b$round" >>"$OUT/scale-big.txt"
done
e=$(median <"$OUT/scale-empty.txt")
b=$(median <"$OUT/scale-big.txt")
echo "deliveries: $((2 * M)) into each store (half new cases, half replies by In-Reply-To)"
echo "median per delivery: empty store $(awk -v x="$e" 'BEGIN {printf "%.1f", x*1000}') ms," \
  "$N cases $(awk -v x="$b" 'BEGIN {printf "%.1f", x*1000}') ms," \
  "ratio $(awk -v e="$e" -v b="$b" 'BEGIN {printf "%.2f", b/e}') (big / empty)"
