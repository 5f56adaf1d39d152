#!/usr/bin/env python3
"""DuckDB side of the issue #7 benchmark: the claims indicators of the catalogue written as a
statistician would write them, on the same Parquet files parangon reads.

    python3 scripts/bench_duckdb.py DATA_DIR per-indicator   # one SQL query per indicator
    python3 scripts/bench_duckdb.py DATA_DIR fused           # one hand-fused query for the table
    python3 scripts/bench_duckdb.py DATA_DIR check OUT_DIR   # compare with parangon's values

Every query produces what parangon publishes for these indicators: caisse, organism and
national values, per month and per year (GROUPING SETS). Definitions from
docs/indicators.md: delay = paid_date - received_date in calendar days, by payment
month; unpaid claims out; P90 = 90th percentile (DuckDB's quantile_disc); share paid within
7 days. DuckDB does no row validation: parangon checks every row against the contract as well.
Prints the wall time of the queries (the caller measures CPU and memory around the process).
"""
import sys
import time

import duckdb

INDICATORS = {
    # id: (filter, aggregate over `delay`)
    "claims_fse_delay_mean": ("kind = 'FSE'", "avg(delay)"),
    "claims_fsp_delay_mean": ("kind = 'FSP'", "avg(delay)"),
    "claims_fse_delay_p90": ("kind = 'FSE'", "quantile_disc(delay, 0.9)"),
    "claims_fsp_delay_p90": ("kind = 'FSP'", "quantile_disc(delay, 0.9)"),
    "claims_fse_paid_within_7d": ("kind = 'FSE'", "100.0 * avg(CASE WHEN delay <= 7 THEN 1 ELSE 0 END)"),
    "claims_ij_delay_mean": ("kind = 'IJ'", "avg(delay)"),
}

GROUPING = """GROUP BY GROUPING SETS (
    (caisse_id, organism, y, m), (organism, y, m), (y, m),
    (caisse_id, organism, y), (organism, y), (y))"""


def connect(data):
    con = duckdb.connect()
    con.execute(
        f"""CREATE VIEW claims AS
        SELECT c.caisse_id, r.organism, c.kind, c.paid_date - c.received_date AS delay,
               year(c.paid_date) AS y, month(c.paid_date) AS m
        FROM read_parquet('{data}/claims/**/*.parquet') c
        JOIN read_csv('{data}/reference/caisses.csv', header = true) r USING (caisse_id)
        WHERE c.paid_date IS NOT NULL"""
    )
    return con


def per_indicator(con):
    out = {}
    for ind, (where, agg) in INDICATORS.items():
        out[ind] = con.execute(
            f"SELECT caisse_id, organism, y, m, {agg} AS value, count(*) AS n "
            f"FROM claims WHERE {where} {GROUPING}"
        ).fetchall()
    return out


def fused(con):
    columns = ", ".join(
        f"{agg} FILTER (WHERE {where}) AS {ind}"
        for ind, (where, agg) in INDICATORS.items()
    )
    return con.execute(f"SELECT caisse_id, organism, y, m, {columns} FROM claims {GROUPING}").fetchall()


def check(con, out_dir):
    """Caisse × month values of the means and the share against parangon's indicator_values."""
    worst = 0.0
    compared = 0
    for ind in ["claims_fse_delay_mean", "claims_fsp_delay_mean", "claims_ij_delay_mean", "claims_fse_paid_within_7d"]:
        where, agg = INDICATORS[ind]
        rows = con.execute(
            f"""WITH d AS (SELECT caisse_id, y, m, {agg} AS v FROM claims WHERE {where} GROUP BY ALL),
            p AS (SELECT caisse_id, year AS y, month AS m, value FROM read_parquet('{out_dir}/indicator_values/*/*.parquet')
                  WHERE indicator_id = '{ind}' AND definition = 'bench' AND level = 'caisse'
                    AND month IS NOT NULL AND dimension IS NULL)
            SELECT count(*), max(abs(d.v - p.value)), count(*) FILTER (WHERE p.value IS NULL OR d.v IS NULL)
            FROM d FULL JOIN p USING (caisse_id, y, m)"""
        ).fetchone()
        n, diff, unmatched = rows
        compared += n
        worst = max(worst, diff or 0.0)
        print(f"{ind:<28} {n:>6} caisse-months, max |difference| {diff:.3g}, unmatched {unmatched}")
    return worst


def main():
    data, mode = sys.argv[1], sys.argv[2]
    con = connect(data)
    started = time.perf_counter()
    if mode == "per-indicator":
        result = per_indicator(con)
        cells = sum(len(v) for v in result.values())
    elif mode == "fused":
        cells = len(fused(con))
    elif mode == "check":
        worst = check(con, sys.argv[3])
        sys.exit(0 if worst < 1e-9 else 1)
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"duckdb {duckdb.__version__} {mode}: {cells} result rows in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
