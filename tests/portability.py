#!/usr/bin/env python3
"""Rules are portable standard SQL: every rule file runs on DuckDB over the same Parquet, once its
placeholders are substituted, and finds the same things purse finds on DataFusion.

For each period, runs the whole rule pack on both engines over one warehouse, compares the
findings (alert_key, level) rule by rule, and times the pack on each engine.

usage: python3 tests/portability.py PATH/TO/purse [--data-dir DIR] [--periods 2025-01..2025-12]
       (without --data-dir: loads the demo region into a temporary directory first)
"""
import argparse
import calendar
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def periods(spec):
    if "," in spec:
        return [p for part in spec.split(",") for p in periods(part)]
    if ".." not in spec:
        return [spec]
    a, b = spec.split("..")
    (y, m), end = map(int, a.split("-")), tuple(map(int, b.split("-")))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def literal(v):
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


def substitute(rule, period):
    y, m = map(int, period.split("-"))
    end = f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"
    py, pm = (y - 1, 12) if m == 1 else (y, m - 1)
    back = {"month": 0, "quarter": 2, "year": 11}.get(rule.get("cadence", "month"))
    if back is None:  # standing: every earlier period
        since = "0000-01"
    else:
        sy, sm = divmod(y * 12 + (m - 1) - back, 12)
        since = f"{sy:04d}-{sm + 1:02d}"
    values = {"period": literal(period), "prev_period": literal(f"{py:04d}-{pm:02d}"), "year": str(y),
              "month": str(m), "period_end": f"DATE '{end}'", "since": literal(since)}
    for k, v in rule["params"].items():
        values[k] = literal(v)
    sql = rule["sql"]
    for k in sorted(values, key=len, reverse=True):
        sql = sql.replace("$" + k, values[k])
    return sql


def run_measured(cmd):
    """Runs cmd to completion: (its standard output, its peak RSS in KiB), or raises on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=err.read().decode())
        out.seek(0)
        return out.read().decode(), usage.ru_maxrss


LEVELS = {"红": "红", "red": "红", "橙": "橙", "orange": "橙", "黄": "黄", "yellow": "黄", "蓝": "蓝", "blue": "蓝"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("purse")
    ap.add_argument("--data-dir")
    ap.add_argument("--periods", default="2025-01..2025-12")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=1, help="time each engine N times, keep the best")
    args = ap.parse_args()
    binary = os.path.abspath(args.purse)
    tmp = None
    data = args.data_dir
    if not data:
        tmp = tempfile.TemporaryDirectory()
        data = os.path.join(tmp.name, "data")
        # fixtures/demo is the demo region's files: its settings first, as `purse demo` does.
        subprocess.run([binary, "init", "--data-dir", data, "--region-code", "990100", "--region-name", "示范市"],
                       check=True, capture_output=True)
        subprocess.run([binary, "ingest", "-q", "--data-dir", data, os.path.join(ROOT, "fixtures", "demo")],
                       check=True, capture_output=True)
    rules = json.loads(subprocess.run([binary, "rules", "--json", "--data-dir", data], check=True,
                                      capture_output=True, text=True).stdout)

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    wh = os.path.join(data, "warehouse")
    for d in sorted(os.listdir(wh)):
        files = os.path.join(wh, d, "*", "*.parquet")
        con.execute(f"CREATE VIEW {d} AS SELECT * FROM read_parquet('{files}', hive_partitioning = true, "
                    "hive_types = {'period': 'VARCHAR'})")

    passed = failed = skipped = 0
    t_purse = t_duck = 0.0
    rss_purse = 0
    for p in periods(args.periods):
        best_purse = best_duck = float("inf")
        for attempt in range(args.repeat):
            t0 = time.perf_counter()
            out, rss = run_measured([binary, "check", "--dry-run", "--json", "--period", p, "--data-dir", data])
            best_purse = min(best_purse, time.perf_counter() - t0)
            rss_purse = max(rss_purse, rss)
            ours = {}
            judged = set()
            for run in json.loads(out)["runs"]:
                ours[run["rule_id"]] = sorted((f["alert_key"], f["level"]) for f in run["findings"])
                if run["outcome"]["status"] == "evaluated":
                    judged.add(run["rule_id"])
            elapsed = 0.0
            for r in rules:
                if r["id"] not in judged:
                    # purse did not judge this period (no data, or not one of the rule's months):
                    # nothing to compare.
                    if attempt == 0:
                        skipped += 1
                    continue
                sql = substitute(r, p)
                t0 = time.perf_counter()
                try:
                    cur = con.execute(sql)
                    cols = [c[0] for c in cur.description]
                    rows = cur.fetchall()
                except Exception as e:  # noqa: BLE001 - report any engine error as a failure
                    if attempt == 0:
                        failed += 1
                        print(f"FAIL {p} {r['id']}: DuckDB error: {str(e).splitlines()[0]}")
                    continue
                finally:
                    elapsed += time.perf_counter() - t0
                if attempt > 0:
                    continue
                kis = [cols.index(k) for k in r["key"]]
                li = cols.index("level") if "level" in cols else None
                fixed = r.get("fixed_level")
                theirs = [("|".join("" if row[i] is None else str(row[i]) for i in kis),
                           fixed or LEVELS.get(str(row[li]), str(row[li]))) for row in rows]
                # A rule with evidence rows returns one row per row behind a finding (each
                # payment of a split): the finding is what the rows of a key share.
                theirs = sorted(set(theirs)) if r.get("evidence_columns") else sorted(theirs)
                if theirs == ours.get(r["id"], []):
                    passed += 1
                else:
                    failed += 1
                    a, b = set(ours.get(r["id"], [])), set(theirs)
                    print(f"FAIL {p} {r['id']}: only purse {sorted(a - b)[:3]}, only duckdb {sorted(b - a)[:3]}")
            best_duck = min(best_duck, elapsed)
        t_purse += best_purse
        t_duck += best_duck
    print(f"pack time over {len(periods(args.periods))} periods (best of {args.repeat}): purse {t_purse:.2f} s "
          f"(the whole `purse check` process: start-up, rule validation, every rule), duckdb {t_duck:.2f} s "
          f"(the rules' queries alone), ratio purse/duckdb {t_purse / t_duck if t_duck else float('nan'):.2f}")
    # ru_maxrss is in KiB on Linux. DuckDB's is this Python process's, which holds it (and every view).
    print(f"peak RSS: purse check {rss_purse // 1024} MB, duckdb (in this python process) "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    if "/debug/" in binary:
        print("(a debug build: the timings above say nothing about speed; use target/release/purse)")
    print(f"({skipped} rule-periods not judged by purse for want of data or out of the rule's months: not compared)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
