#!/usr/bin/env bash
# Generation against a run on the files it wrote (issue #7, docs/performance.md « Generation »):
#   scripts/bench_generate.sh [ROWS_PER_CAISSE] [ROUNDS] [BASELINE_BINARY]
# Each round, interleaved: `parangon generate` (and BASELINE_BINARY generate, if given, on the
# same options), `parangon run` on the files just written, and the write floor
# (examples/write_floor.rs: the Parquet writer alone on those files). Prints wall seconds and
# the ratio generation ÷ run of each round. The host is noisy: compare within a round.
#   scripts/bench_generate.sh 694444 5     # 12.5 M claims, five rounds
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
printf "%-6s %10s %10s %10s %12s %12s\n" round baseline generate run write-floor "gen ÷ run"
for round in $(seq "$rounds"); do
  base=-
  if [ -n "$baseline" ]; then base=$(generate "$baseline"); fi
  gen=$(generate "$bin")
  rm -rf "$out/out"
  sync
  run=$(wall "$bin" -q run --input "$data" --output "$out/out")
  floor=$(target/release/examples/write_floor "$data" |
    sed -n 's/.*rows, \([0-9.]*\) s of writing.*/\1/p')
  ratio=$(python3 -c "print(f'{$gen / $run:.2f}')")
  printf "%-6s %10s %10s %10s %12s %12s\n" "$round" "$base" "$gen" "$run" "$floor" "$ratio"
done
