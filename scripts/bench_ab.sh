#!/usr/bin/env bash
# A/B benchmark of two parangon binaries on the same dataset, interleaved (docs/performance.md):
#   scripts/bench_ab.sh DATA BIN_A BIN_B [ROUNDS]
# Each round runs A then B on the whole catalogue, then A then B on the six claims indicators
# (`--select`), under /usr/bin/time: wall s, CPU s (user + sys), peak MiB. Used to check that a
# change that must not change the cost (a restructuring) does not, beyond the machine's noise.
set -euo pipefail
data=$1; a=$2; b=$3; rounds=${4:-3}
claims=claims_fse_delay_mean,claims_fsp_delay_mean,claims_fse_delay_p90,claims_fsp_delay_p90,claims_fse_paid_within_7d,claims_ij_delay_mean
out=$(mktemp -d)
run() { # label binary extra-args...
  local label=$1 bin=$2; shift 2
  rm -rf "$out/o"
  /usr/bin/time -o "$out/t" -f "%e %U %S %M" "$bin" -q run --force --input "$data" --output "$out/o" "$@" >/dev/null
  read -r wall user sys peak < <(tail -1 "$out/t")
  printf '%-10s %8.2f %8.2f %6d\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" $((peak / 1024))
}
echo "contender  wall_s   cpu_s  peak_MiB"
for r in $(seq "$rounds"); do
  echo "# round $r"
  run A-all "$a"; run B-all "$b"
  run A-claims "$a" --select "$claims"; run B-claims "$b" --select "$claims"
done
rm -rf "$out"
