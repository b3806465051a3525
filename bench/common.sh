# What the bench scripts share; sourced from the project root (each script cds there first).
#   BUILD_DIR: the build measured (build); BIN: its mailcase, made absolute (BIN=… another
#   build); GEN: its corpus generator; OUT: where corpora and results go (bench/out).
# bench_need [FILE…]: stops with "build first" unless BIN, GEN and each FILE are executables.
# bench_machine: the machine line every result starts with (cores, memory, load, the file
# system OUT is on, kernel), so that a figure is read with the load it was measured under.
BUILD_DIR=${BUILD_DIR:-build}
BIN=${BIN:-$BUILD_DIR/mailcase}
GEN=$BUILD_DIR/bench/gen_corpus
OUT=bench/out
mkdir -p "$OUT"

bench_need() {
  local f
  for f in "$BIN" "$GEN" "$@"; do
    [ -x "$f" ] || { echo "build first: scripts/build ($f is missing)" >&2; exit 1; }
  done
  BIN=$(realpath "$BIN")
}

bench_machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), $(df -T "$OUT" | awk 'NR==2 {print $2}') on" \
    "$(df "$OUT" | awk 'NR==2 {print $1}'), kernel $(uname -r)"
}
