#!/usr/bin/env bash
# Which of the store's b-trees (tables, indexes, the search index's) an import writes, in
# pages per mail: what a commit costs in WAL frames, and what grows with the store.
#   bench/wal_pages.sh STORE_DIR MBOX [BIN]
# Imports MBOX into a copy of STORE_DIR (a data directory of `mailcase`, its WAL
# checkpointed first; the copy gets an empty spool: the mails already in the store are not
# read) while a reader holds the snapshot of the start, so that no checkpoint copies
# anything and every frame the import committed stays in the WAL; then reads the WAL's
# frames: per commit, the distinct pages written, each put to the b-tree that held it
# before the import (SQLite's dbstat) or counted as new (past the file's end, or free).
# Pages per mail of each b-tree, summed over the commits, is what the WAL took per mail.
# E.g. a fresh store against one of 300,000 mails, the same 10,000 new mails:
#   bench/wal_pages.sh /tmp/fresh new.mbox; bench/wal_pages.sh /tmp/big new.mbox
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:?store directory}
MBOX=${2:?mbox}
BIN=${3:-build/mailcase}
work=$(mktemp -d "${TMPDIR:-/tmp}/wal-pages.XXXXXX")
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT
sqlite3 "$SRC/mailcase.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
mkdir -p "$work/data/spool"
cp "$SRC/mailcase.db" "$SRC/mailcase.toml" "$SRC/secret.key" "$work/data/"
cp -r "$SRC/templates" "$work/data/"
[ -d "$SRC/blobs" ] && cp -r "$SRC/blobs" "$work/data/"
chmod 700 "$work/data"
sqlite3 -separator ' ' "$work/data/mailcase.db" "SELECT pageno, name FROM dbstat" >"$work/pages.txt"
pages=$(sqlite3 "$work/data/mailcase.db" "PRAGMA page_count")
# The reader: a read transaction on the snapshot before the import, held until killed.
python3 - "$work/data/mailcase.db" "$work/held" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute('BEGIN')
con.execute('SELECT count(*) FROM sqlite_schema').fetchall()
open(sys.argv[2], 'w').close()
time.sleep(3600)
PY
holder=$!
while [ ! -e "$work/held" ]; do sleep 0.1; done
mails=$(grep -c '^From ' "$MBOX" || true)
"$BIN" --data "$work/data" import "$MBOX" 2>&1 >/dev/null | tail -1
python3 - "$work/data/mailcase.db-wal" "$work/pages.txt" "$pages" "$mails" <<'PY'
import collections, struct, sys
wal_file, map_file, page_count, mails = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
owner = {}
for line in open(map_file):
    p, name = line.split()
    owner[int(p)] = name
wal = open(wal_file, 'rb').read()
size = struct.unpack('>I', wal[8:12])[0]
off, frames, commits = 32, 0, 0
per_tree, pending = collections.Counter(), set()
while off + 24 + size <= len(wal):
    page, db_size = struct.unpack('>II', wal[off:off + 8])
    frames += 1
    pending.add(page)
    off += 24 + size
    if db_size:  # a commit's last frame
        commits += 1
        for p in pending:
            per_tree[owner.get(p, 'new pages' if p > page_count else 'free pages')] += 1
        pending = set()
print(f'{mails} mails, {commits} commits, {frames} WAL frames: {frames / max(mails, 1):.2f} pages per mail')
for name, n in per_tree.most_common(25):
    print(f'  {name:40s} {n:8d}  {n / max(mails, 1):.2f} per mail')
PY
