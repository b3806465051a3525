#!/usr/bin/env bash
# Peak memory and time of an import of mails of megabytes of text: the issue 17 bound of
# 64 MB peak RSS for an import of any size, with the mails at their worst for the batch,
# the read-ahead and the search index.
#   bench/big_text_bench.sh [ROUNDS=2]
# Two mboxes, made once in bench/out: "repeated", 300 mails of 1.2 MB of one word each
# (the batch's and the read-ahead's share: few distinct terms); "distinct", 100 mails of
# 2.6 MB of hexadecimal tokens, nearly all distinct (a log dump: the search index's share,
# which holds every distinct term of the text it indexes). Each round imports each mbox
# into a fresh store under /usr/bin/time: seconds and peak RSS. BIN2=… runs a second build
# in the same rounds, alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
BIN2=${BIN2:-}
. bench/common.sh
bench_need
[ -n "$BIN2" ] && BIN2=$(realpath "$BIN2")
repeated=$OUT/big-text-repeated.mbox
distinct=$OUT/big-text-distinct.mbox
[ -f "$repeated" ] || python3 - "$repeated" repeated <<'PY'
import sys
path, kind = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    for i in range(300):
        f.write(f"From x@y Mon Jan  1 00:00:00 2024\nFrom: u{i}@example.com\nTo: support@corp.example\n"
                f"Subject: big {i}\nMessage-ID: <big{i}@example.com>\n\n")
        f.write((f"word{i} " * 12 + "\n") * 16000 + "\n")
PY
[ -f "$distinct" ] || python3 - "$distinct" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    for i in range(100):
        f.write(f"From x@y Mon Jan  1 00:00:00 2024\nFrom: u{i}@example.com\nTo: support@corp.example\n"
                f"Subject: log dump {i}\nMessage-ID: <w{i}@example.com>\n\n")
        n, lines = 0, []
        while n < 2_600_000:
            line = " ".join("%x" % random.getrandbits(random.choice([16, 24, 32])) for _ in range(10))
            lines.append(line)
            n += len(line) + 1
        f.write("\n".join(lines) + "\n\n")
PY
bench_machine
one() {  # one BIN MBOX: "<seconds> s, peak RSS <MB> MB"
  local data
  data=$(mktemp -d "$OUT/data.XXXXXX")
  "$1" --data "$data" init >/dev/null
  "$1" --data "$data" address add support@corp.example --queue Support >/dev/null
  /usr/bin/time -f "%e %M" -o "$OUT/big-text-time.txt" "$1" --data "$data" import "$2" >/dev/null 2>&1
  rm -rf "$data"
  awk '{printf "%.1f s, peak RSS %.1f MB", $1, $2 / 1024}' "$OUT/big-text-time.txt"
}
for round in $(seq 1 "$ROUNDS"); do
  for mbox in "$repeated" "$distinct"; do
    line="round $round, $(basename "$mbox" .mbox): $(one "$BIN" "$mbox")"
    [ -n "$BIN2" ] && line+="; BIN2 $(one "$BIN2" "$mbox")"
    echo "$line"
  done
done
