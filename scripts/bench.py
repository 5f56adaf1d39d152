#!/usr/bin/env python3
"""Side-by-side benchmark of issue #7, called by scripts/bench.sh (which builds and generates).

    python3 scripts/bench.py DATA_DIR PARANGON_BIN SCAN_FLOOR_BIN [ROUNDS]

Runs, on the same files, interleaved, ROUNDS times (default 3):
  parangon-all      `parangon run` on the whole catalogue (every table, all outputs published)
  floor-all         the scan floor: DataFusion reading the catalogue's columns of every table
  parangon-claims   `parangon run --select` the six claims indicators (with their COG variants)
  floor-claims      the scan floor of the claims table alone
  duckdb-per-ind    DuckDB, one SQL query per claims indicator (scripts/bench_duckdb.py)
  duckdb-fused      DuckDB, one hand-fused query for the claims table
Each under /usr/bin/time: wall and CPU seconds, peak resident memory. Prints the medians and
the ratios the issue sets targets for.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

CLAIMS = [
    "claims_fse_delay_mean",
    "claims_fsp_delay_mean",
    "claims_fse_delay_p90",
    "claims_fsp_delay_p90",
    "claims_fse_paid_within_7d",
    "claims_ij_delay_mean",
]


def timed(cmd):
    """(wall s, cpu s, peak MiB) of a command; fails loudly if it fails."""
    fd, stats = tempfile.mkstemp()
    os.close(fd)
    result = subprocess.run(
        ["/usr/bin/time", "-o", stats, "-f", "%e %U %S %M"] + cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    wall, user, sys_, peak = open(stats).read().split()[-4:]
    os.unlink(stats)
    return float(wall), float(user) + float(sys_), int(peak) / 1024


def main():
    data, parangon, floor = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    here = os.path.dirname(os.path.abspath(__file__))
    duck = [sys.executable, os.path.join(here, "bench_duckdb.py"), data]

    def run_parangon(extra):
        out = tempfile.mkdtemp()
        try:
            return timed([parangon, "-q", "run", "--input", data, "--output", out + "/out"] + extra)
        finally:
            shutil.rmtree(out)

    contenders = {
        "parangon-all": lambda: run_parangon([]),
        "floor-all": lambda: timed([floor, data]),
        "parangon-claims": lambda: run_parangon(["--select", ",".join(CLAIMS)]),
        "floor-claims": lambda: timed([floor, data, "claims"]),
        "duckdb-per-ind": lambda: timed(duck + ["per-indicator"]),
        "duckdb-fused": lambda: timed(duck + ["fused"]),
    }
    results = {name: [] for name in contenders}
    for r in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
            w, c, m = results[name][-1]
            print(f"round {r + 1} {name:<16} {w:8.2f} s wall {c:8.2f} s cpu {m:8.0f} MiB", flush=True)
    generator = json.load(open(os.path.join(data, "generator.json")))
    rows = sum(generator["rows"].values())
    print()
    print(f"dataset {data}: {rows:,} rows ({generator['rows'].get('claims', 0):,} claims); "
          f"{os.cpu_count()} cores; medians of {rounds} interleaved rounds")
    print()
    print("| contender | wall s | CPU s | peak MiB |")
    print("|---|---|---|---|")
    med = {}
    for name, runs in results.items():
        med[name] = tuple(statistics.median(x[i] for x in runs) for i in range(3))
        w, c, m = med[name]
        print(f"| {name} | {w:.2f} | {c:.2f} | {m:.0f} |")
    print()

    def ratio(a, b, target):
        value = med[a][0] / med[b][0]
        verdict = "met" if value <= target else "missed"
        print(f"| {a} / {b} | {value:.2f} | ≤ {target} | {verdict} |")

    print("| ratio (wall) | value | target | |")
    print("|---|---|---|---|")
    ratio("parangon-all", "floor-all", 1.5)
    ratio("parangon-claims", "floor-claims", 1.5)
    ratio("parangon-claims", "duckdb-per-ind", 1.0)
    ratio("parangon-claims", "duckdb-fused", 1.2)


if __name__ == "__main__":
    main()
