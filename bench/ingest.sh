#!/usr/bin/env bash
# Ingest benchmark: `mailcase import` of a generated corpus, end to end and durable on
# disk (storage.sync = "full": every batch fsync'ed before it counts). Reports mails/s
# (median of RUNS) and peak RSS; then peak RSS for one mail with a huge attachment.
#   bench/ingest.sh [COUNT=10000] [RUNS=3] [BIG_MB=200]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
RUNS=${2:-3}
BIG_MB=${3:-200}
. bench/common.sh
bench_need

[ -f "$OUT/corpus-$COUNT.mbox" ] || "$GEN" --count "$COUNT" --out "$OUT/corpus-$COUNT.mbox"
bench_machine
echo "corpus: $COUNT mails, $(du -h "$OUT/corpus-$COUNT.mbox" | cut -f1)"

rates=()
for run in $(seq 1 "$RUNS"); do
  data=$(mktemp -d "$OUT/data.XXXXXX")
  "$BIN" --data "$data" init >/dev/null
  "$BIN" --data "$data" address add support@corp.example --queue Support >/dev/null
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/rss" "$BIN" --data "$data" import "$OUT/corpus-$COUNT.mbox" 2>"$OUT/import.log"
  end=$(date +%s.%N)
  rss_kb=$(tail -1 "$OUT/rss")
  rate=$(awk -v n="$COUNT" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", n/(e-s)}')
  cases=$("$BIN" --data "$data" case list --json --limit 1000000 | grep -c '"number"')
  echo "run $run: $rate mails/s, peak RSS $((rss_kb / 1024)) MB, $cases cases; $(tail -1 "$OUT/import.log")"
  rates+=("$rate")
  rm -rf "$data"
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "import median: $median mails/s over $RUNS runs"

if [ "$BIG_MB" -gt 0 ]; then
  data=$(mktemp -d "$OUT/data.XXXXXX")
  "$BIN" --data "$data" init >/dev/null
  # Raise the size limit so that the mail is parsed, not refused.
  printf '[limits]\nmax_message_bytes = 4294967296\n' >"$data/mailcase.toml"
  python3 - "$OUT/big.eml" "$BIG_MB" <<'PY'
import sys, base64
path, mb = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(b"From: big@example.com\r\nTo: support@corp.example\r\nSubject: huge attachment\r\n"
            b"Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    chunk = base64.encodebytes(bytes(range(256)) * 3 * 1024)  # 768 KiB per chunk
    for _ in range(mb * 4 // 3):
        f.write(chunk.replace(b"\n", b"\r\n"))
    f.write(b"\r\n--b--\r\n")
PY
  size=$(du -m "$OUT/big.eml" | cut -f1)
  /usr/bin/time -f "%M" -o "$OUT/rss" "$BIN" --data "$data" deliver <"$OUT/big.eml" >"$OUT/big.json"
  echo "one ${size} MB mail (deliver): peak RSS $(( $(tail -1 "$OUT/rss") / 1024 )) MB, $(cat "$OUT/big.json")"
  rm -rf "$data" "$OUT/big.eml" "$OUT/big.mbox"
fi
