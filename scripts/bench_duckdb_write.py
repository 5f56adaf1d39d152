#!/usr/bin/env python3
"""DuckDB writing the files `parangon generate` writes: the other tool's write floor (issue #7,
docs/performance.md « Generation »).

    python3 scripts/bench_duckdb_write.py DATA_DIR [ROUNDS]

Loads every table of a generated dataset into DuckDB's memory (not timed), then, ROUNDS times,
writes each table to one Parquet file with the generator's settings (Snappy, row groups of
131 072 rows) on two threads, and prints the wall and CPU seconds of the writing alone.
`parangon generate` draws the same rows *and* writes them: compare its time on the same options.
"""
import glob
import os
import resource
import shutil
import sys
import tempfile
import time

import duckdb


def main() -> None:
    data = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    con = duckdb.connect()
    con.execute("SET threads = 2")
    tables = sorted(
        t for t in os.listdir(data) if glob.glob(f"{data}/{t}/**/*.parquet", recursive=True)
    )
    rows = 0
    for t in tables:
        con.execute(
            f"CREATE TABLE {t} AS SELECT * FROM "
            f"read_parquet('{data}/{t}/**/*.parquet', hive_partitioning = false)"
        )
        rows += con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    out = tempfile.mkdtemp(prefix="duckdb-write-")
    try:
        for r in range(1, rounds + 1):
            for f in glob.glob(f"{out}/*"):
                os.remove(f)
            start, cpu = time.time(), resource.getrusage(resource.RUSAGE_SELF)
            for t in tables:
                con.execute(
                    f"COPY {t} TO '{out}/{t}.parquet' "
                    "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 131072)"
                )
            end = resource.getrusage(resource.RUSAGE_SELF)
            used = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
            size = sum(os.path.getsize(f) for f in glob.glob(f"{out}/*"))
            print(
                f"round {r}: {rows} rows, {len(tables)} tables, {size} bytes: "
                f"{time.time() - start:.2f} s wall, {used:.2f} s CPU"
            )
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
