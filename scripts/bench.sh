#!/usr/bin/env bash
# Times `parangon run` on a generated dataset and prints rows/s, wall and CPU time, peak memory.
#   scripts/bench.sh [ROWS_PER_CAISSE] [PROFILE]
# ROWS_PER_CAISSE: claims per caisse and year (default 50000; 12 caisses, 2 years; the other
# tables are proportionate). PROFILE: release (default) or dev. The dataset is cached under
# bench-data/ (git-ignored) and reused for the same size; each run is repeated 3 times.
set -euo pipefail
rows=${1:-50000}
profile=${2:-release}
cd "$(dirname "$0")/.."
flag=$([ "$profile" = release ] && echo --release || echo)
cargo build --quiet $flag
bin=target/$([ "$profile" = release ] && echo release || echo debug)/parangon
data=bench-data/r$rows
if [ ! -f "$data/generator.json" ]; then
  rm -rf "$data"
  /usr/bin/time -f "generate: %e s wall, %M KiB peak" \
    "$bin" -q generate --output "$data" --caisses 12 --years 2023,2024 --rows-per-caisse "$rows" --seed 7 >/dev/null
fi
total=$(python3 -c "import json;print(sum(json.load(open('$data/generator.json'))['rows'].values()))")
bytes=$(du -sb "$data" | cut -f1)
echo "dataset: $data, $total rows, $((bytes / 1048576)) MiB; profile: $profile; $(nproc) cores"
printf "%-6s %10s %10s %10s %12s\n" run wall_s cpu_s peak_MiB rows_per_s
for i in 1 2 3; do
  out=$(mktemp -d)/out
  stats=$( { /usr/bin/time -f "%e %U %S %M" "$bin" -q run --input "$data" --output "$out" >/dev/null; } 2>&1 | tail -1)
  read -r wall user sys peak <<<"$stats"
  python3 - "$i" "$wall" "$user" "$sys" "$peak" "$total" <<'PY'
import sys
i, wall, user, sys_, peak, total = sys.argv[1:]
wall, cpu = float(wall), float(user) + float(sys_)
print(f"{i:<6} {wall:10.2f} {cpu:10.2f} {int(peak)/1024:10.0f} {int(total)/wall:12,.0f}")
PY
  rm -rf "$(dirname "$out")"
done
