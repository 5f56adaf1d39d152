#!/usr/bin/env bash
# Generation against a run on the files it wrote (issue #7, docs/performance.md « Generation »):
#   scripts/bench_generate.sh [ROWS_PER_CAISSE] [ROUNDS] [BASELINE_BINARY]
# Each round, interleaved: `parangon generate` (and BASELINE_BINARY generate, if given, on the
# same options), `parangon run` on the files just written, and the write floor
# (examples/write_floor.rs: the Parquet writer alone on those files). Prints wall seconds and
# the ratio generation ÷ run of each round. The host is noisy: compare within a round.
# With DUCKDB_WRITE=1, each round also times DuckDB writing the same rows from its memory
# (scripts/bench_duckdb_write.py: the writing alone, loading not timed; needs the duckdb
# Python package and memory for the dataset).
#   scripts/bench_generate.sh 694444 5     # 12.5 M claims, five rounds
#   DUCKDB_WRITE=1 scripts/bench_generate.sh 694444 3
set -euo pipefail
rows=${1:-694444}
rounds=${2:-3}
baseline=${3:-}
cd "$(dirname "$0")/.."
cargo build --quiet --release --no-default-features --bin parangon --example write_floor
bin=target/release/parangon
data=bench-data/generated
out=$(mktemp -d)
trap 'rm -rf "$data" "$out"' EXIT
wall() { # prints the wall seconds of a command, its output discarded
  /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1
}
generate() {
  rm -rf "$data"
  sync
  wall "$1" -q generate --output "$data" --caisses 12 --years 2023,2024 \
    --rows-per-caisse "$rows" --seed 7 --invalid-rate 0
}
printf "%-6s %10s %10s %10s %12s %13s %10s %12s\n" round baseline generate run write-floor duckdb-write "gen ÷ run" "duck ÷ run"
for round in $(seq "$rounds"); do
  base=-
  if [ -n "$baseline" ]; then base=$(generate "$baseline"); fi
  gen=$(generate "$bin")
  rm -rf "$out/out"
  sync
  run=$(wall "$bin" -q run --input "$data" --output "$out/out")
  floor=$(target/release/examples/write_floor "$data" |
    sed -n 's/.*rows, \([0-9.]*\) s of writing.*/\1/p')
  duck=-
  if [ "${DUCKDB_WRITE:-0}" = 1 ]; then
    duck=$(python3 scripts/bench_duckdb_write.py "$data" 1 | sed -n 's/.*bytes: \([0-9.]*\) s wall.*/\1/p')
  fi
  ratio=$(python3 -c "print(f'{$gen / $run:.2f}')")
  duck_ratio=-
  if [ "$duck" != - ]; then duck_ratio=$(python3 -c "print(f'{$duck / $run:.2f}')"); fi
  printf "%-6s %10s %10s %10s %12s %13s %10s %12s\n" "$round" "$base" "$gen" "$run" "$floor" "$duck" \
    "$ratio" "$duck_ratio"
done
