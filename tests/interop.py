#!/usr/bin/env python3
"""The warehouse is plain Parquet that advisers open in their own tools.

Loads the demo region with `purse ingest`, then checks, dataset by dataset and period by period,
that DuckDB (read_parquet with hive partitioning) and Polars (scan_parquet with
hive_partitioning=True) see the same rows and the same exact money totals as `purse query`.

usage: python3 tests/interop.py PATH/TO/purse
"""
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

import duckdb
import polars as pl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def purse(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return out.stdout


def main():
    binary = os.path.abspath(sys.argv[1])
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        # fixtures/demo is the demo region's files: its settings first, as `purse demo` does.
        subprocess.run([binary, "init", "--data-dir", data, "--region-code", "990100", "--region-name", "示范市"],
                       check=True, capture_output=True)
        subprocess.run([binary, "ingest", "-q", "--data-dir", data, os.path.join(ROOT, "fixtures", "demo")],
                       check=True, capture_output=True)
        datasets = json.loads(purse(binary, "datasets", "--json", "--data-dir", data))
        con = duckdb.connect()
        for d in datasets:
            name = d["dataset"]
            root = os.path.join(data, "warehouse", name)
            files = os.path.join(root, "*", "*.parquet")
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{files}', "
                "hive_partitioning = true, hive_types = {'period': 'VARCHAR'})"
            )
            money = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[1].startswith("DECIMAL(18,2)")]
            select = ", ".join(["count(*) AS n"] + [f"sum({c}) AS {c}" for c in money])
            sql = f"SELECT period, {select} FROM {name} GROUP BY period ORDER BY period"

            ours = json.loads(purse(binary, "query", "--format", "json", "--data-dir", data, sql), parse_float=Decimal)
            ours = {r["period"]: tuple(Decimal(str(r.get(c) if r.get(c) is not None else 0)) for c in ["n"] + money) for r in ours}

            duck = {r[0]: tuple(Decimal(str(v if v is not None else 0)) for v in r[1:]) for r in con.execute(sql).fetchall()}

            lf = pl.scan_parquet(root + "/", hive_partitioning=True).with_columns(pl.col("period").cast(pl.Utf8))
            agg = lf.group_by("period").agg([pl.len().alias("n")] + [pl.col(c).sum().alias(c) for c in money]).collect()
            polars = {r["period"]: tuple(Decimal(str(r[c] if r[c] is not None else 0)) for c in ["n"] + money)
                      for r in agg.iter_rows(named=True)}

            for engine, theirs in (("duckdb", duck), ("polars", polars)):
                if theirs == ours:
                    passed += 1
                else:
                    failed += 1
                    bad = sorted(p for p in set(ours) | set(theirs) if ours.get(p) != theirs.get(p))[:3]
                    print(f"FAIL {name} via {engine}: periods {bad}: purse {[ours.get(p) for p in bad]} vs {[theirs.get(p) for p in bad]}")
            rows = sum(v[0] for v in ours.values())
            print(f"ok   {name}: {int(rows)} rows in {len(ours)} periods, {len(money)} money columns — purse = duckdb = polars"
                  if (duck == ours and polars == ours) else f"     {name} differs")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
