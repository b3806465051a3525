#!/usr/bin/env bash
# Whether an import keeps its rate as the store grows: the same 10,000 new mails imported
# into a fresh store and into a copy of a large one, alternating, ROUNDS times each.
#   bench/large_store_bench.sh [SIZE=300000] [ROUNDS=3]
# The large store is made once (an import of gen_corpus's SIZE mails, kept in
# $OUT/store-SIZE/ and made again by another build); the new mails are a corpus of
# another seed (4242), so none is a duplicate. Each round copies the large store's database
# (its spool stays behind, empty in the copy: the mails already in the store are not read)
# and times `mailcase import` into it and into a fresh store, both with storage.import_batch
# as BATCH says (default: the configured one). Prints each time, the medians' rates and their
# ratio (issue 17: the last 10,000 of an import of 300,000 within 20% of the first 10,000),
# and the peak RSS of the imports. Whole processes, so each time counts its start and its
# close (the close empties the WAL); a fresh store's and a large one's the same.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-300000}
ROUNDS=${2:-3}
BATCH=${BATCH:-}
. bench/common.sh
bench_need
big_corpus=$OUT/corpus-$SIZE.mbox
new_corpus=$OUT/corpus-new-10000.mbox
[ -f "$big_corpus" ] || "$GEN" --count "$SIZE" --out "$big_corpus" >/dev/null
[ -f "$new_corpus" ] || "$GEN" --count 10000 --seed 4242 --out "$new_corpus" >/dev/null
store=$OUT/store-$SIZE
work=$(mktemp -d "${TMPDIR:-/tmp}/large-store.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A store with one routing address, import_batch as BATCH says.
fresh_store() {
  "$BIN" --data "$1" init >/dev/null
  [ -z "$BATCH" ] || sed -i "s/^import_batch = .*/import_batch = $BATCH/" "$1/mailcase.toml"
  "$BIN" --data "$1" address add support@corp.example --queue Support >/dev/null
}
# Made by this build (the program's size and time), else made again.
made_by="$(stat -c '%s %Y' "$BIN")"
if [ ! -f "$store/mailcase.db" ] || [ "$(cat "$store/made-by" 2>/dev/null)" != "$made_by" ]; then
  rm -rf "$store"
  fresh_store "$store"
  echo "making the large store: $SIZE mails…" >&2
  "$BIN" --data "$store" import "$big_corpus" >/dev/null 2>&1
  echo "$made_by" > "$store/made-by"
  # Its gigabytes go on being written back to the disk a while: measured before that is
  # over, the first rounds come out slower (the imports' syncs wait behind it).
  sync
fi
[ -z "$BATCH" ] || sed -i "s/^import_batch = .*/import_batch = $BATCH/" "$store/mailcase.toml"

# Seconds and peak RSS (KB) of one import of the new mails into $1.
timed_import() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$BIN" --data "$1" import "$new_corpus" >/dev/null 2>&1
  cat "$work/time"
}
bench_machine
echo "large store: $SIZE mails, $(du -h "$store/mailcase.db" | cut -f1) database; new mails: 10000; import_batch: $(sed -n 's/^import_batch = //p' "$store/mailcase.toml")"
fresh_times=()
large_times=()
for round in $(seq "$ROUNDS"); do
  rm -rf "$work/fresh" "$work/large"
  fresh_store "$work/fresh"
  sync
  fresh_times+=("$(timed_import "$work/fresh")")
  mkdir -m 700 -p "$work/large/spool"
  cp "$store/mailcase.db" "$store/mailcase.toml" "$store/secret.key" "$work/large/"
  cp -r "$store/templates" "$work/large/"
  sync
  large_times+=("$(timed_import "$work/large")")
  echo "round $round: fresh ${fresh_times[-1]%% *} s, large ${large_times[-1]%% *} s"
done
python3 - "${fresh_times[@]}" -- "${large_times[@]}" <<'PY'
import statistics, sys
args = sys.argv[1:]
cut = args.index("--")
fresh = [a.split() for a in args[:cut]]
large = [a.split() for a in args[cut + 1:]]
f = statistics.median(float(t) for t, _ in fresh)
l = statistics.median(float(t) for t, _ in large)
rss = max(int(m) for _, m in fresh + large) / 1024
print(f"medians: into a fresh store {10000 / f:.0f} mails/s, into the large one {10000 / l:.0f} mails/s: "
      f"ratio {f / l:.2f} (goal >= 0.80); peak RSS {rss:.1f} MB")
PY
