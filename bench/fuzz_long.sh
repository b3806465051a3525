#!/usr/bin/env bash
# Long fuzzing, not run in CI: every fuzz target for 600 s (or SECONDS) each, on a
# build-fuzz tree of its own (clang, -O2, ASan/UBSan, -DMAILCASE_FUZZ=ON, no tests; the
# test command's build-san makes the same targets at -O1 beside the tests).
#   bench/fuzz_long.sh [SECONDS=600] [TARGET...]
# New inputs libFuzzer finds stay in build-fuzz/fuzz-work/<target>/; copy small ones
# that raise coverage into fuzz/corpus/<target>/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
SECONDS_EACH=${1:-600}
shift $(($# < 1 ? $# : 1))
if [ ! -d "$BUILD_DIR/fuzz" ]; then
  CC=clang CXX=clang++ BUILD_DIR="$BUILD_DIR" bash scripts/build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMAILCASE_FUZZ=ON -DMAILCASE_SANITIZE=ON -DMAILCASE_TESTS=OFF -DMAILCASE_BENCH=OFF
fi
exec bash fuzz/run "$BUILD_DIR" "$SECONDS_EACH" "$@"
