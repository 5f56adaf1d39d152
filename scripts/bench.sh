#!/usr/bin/env bash
# The side-by-side benchmark of issue #7 (docs/performance.md):
#   scripts/bench.sh [ROWS_PER_CAISSE] [ROUNDS]
# Builds parangon and the scan-floor example in release, generates (once, cached under
# bench-data/, git-ignored) 12 caisses × 2 years × ROWS_PER_CAISSE claims (default 50000) with
# the other tables proportionate, then runs scripts/bench.py: parangon, the scan floor and DuckDB
# (pip package duckdb) interleaved ROUNDS times (default 3), with wall, CPU and peak memory.
#   scripts/bench.sh 2083334 3    # 50 million claims
set -euo pipefail
rows=${1:-50000}
rounds=${2:-3}
cd "$(dirname "$0")/.."
# Without the S3 client: the benchmark reads local files, and the release build stays short.
cargo build --quiet --release --no-default-features --bin parangon --example scan_floor
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb
bin=target/release/parangon
data=bench-data/r$rows
if [ ! -f "$data/generator.json" ]; then
  rm -rf "$data"
  /usr/bin/time -f "generate: %e s wall, %U s user, %M KiB peak" \
    "$bin" -q generate --output "$data" --caisses 12 --years 2023,2024 --rows-per-caisse "$rows" \
      --seed 7 --invalid-rate 0 >/dev/null
fi
echo "dataset: $data, $(du -sh "$data" | cut -f1), $(find "$data" -name '*.parquet' | wc -l) files"
python3 scripts/bench.py "$data" "$bin" target/release/examples/scan_floor "$rounds"
