#!/usr/bin/env bash
# purse against DuckDB on the same work, side by side in one run (issue #13):
#
#   1. ingest: one month of UTF-8 payments at --scale 20 (≈ 160 MiB, 778 k rows) into Parquet
#      (purse: `purse ingest`, validated, hashed, zstd Parquet, manifest; DuckDB: read_csv →
#      COPY … TO zstd Parquet), best of RUNS, wall time and peak RSS of each. Two ratios: the
#      whole processes (DuckDB's includes starting Python and importing duckdb), and the strict
#      one (issue #26): purse's whole process against DuckDB's COPY timed inside its own
#      process, with nothing of Python's start-up counted;
#   2. the whole --scale 20 region (106 extracts, 2.1 GB) loaded by `purse ingest`: wall against
#      CPU (user + sys), i.e. how much of the second core it uses;
#   3. the rule pack for 2025-12 at --scale 20 on both engines over the same Parquet
#      (tests/portability.py --repeat RUNS, which also checks the findings are identical).
#
#   benches/peer.sh            # RUNS=3 by default
#   PURSE=/other/purse benches/peer.sh   # measure another build ("before")
#
# Needs python3 with duckdb (pip install duckdb) and GNU time (/usr/bin/time). Data is generated
# once under $CARGO_TARGET_DIR/purse-bench/peer (about 2 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
RUNS="${RUNS:-3}"
BENCH="$CARGO_TARGET_DIR/purse-bench/peer"
if [ -z "${PURSE:-}" ]; then
    cargo build --release --quiet
    PURSE="$CARGO_TARGET_DIR/release/purse"
fi
python3 -c "import duckdb" 2>/dev/null || { echo "duckdb is needed: pip install duckdb" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }
mkdir -p "$BENCH"
IN="$BENCH/extracts"
if [ ! -e "$IN/anomalies.toml" ]; then
    echo "== generating --scale 20 (once)"
    "$PURSE" gen --scale 20 --out "$IN" >/dev/null
fi
CSV="$IN/payments/2025-01.csv"
echo "== ingest one month of payments: $(du -h "$CSV" | cut -f1), $(($(wc -l <"$CSV") - 1)) rows; best of $RUNS"

# "SECONDS MAXRSS_KB USER SYS" of a command, from GNU time.
measure() {
    /usr/bin/time -o "$BENCH/time.txt" -f "%e %M %U %S" "$@" >/dev/null 2>"$BENCH/stderr.txt" \
        || { cat "$BENCH/stderr.txt" >&2; exit 1; }
    tail -1 "$BENCH/time.txt"
}
best() { sort -n | head -1; }

P_T=(); P_M=(); D_T=(); D_M=(); D_IN=()
for i in $(seq "$RUNS"); do
    rm -rf "$BENCH/one" && "$PURSE" init --data-dir "$BENCH/one" --region-code 990100 --region-name 示范市 >/dev/null
    read -r t m _ _ < <(measure "$PURSE" ingest -q --data-dir "$BENCH/one" "$CSV")
    P_T+=("$t"); P_M+=("$m")
    rm -f "$BENCH/duck.parquet"
    read -r t m _ _ < <(measure python3 -c "
import time, duckdb
con = duckdb.connect()
start = time.perf_counter()
con.execute(\"COPY (SELECT * FROM read_csv('$CSV')) TO '$BENCH/duck.parquet' (FORMAT parquet, COMPRESSION zstd)\")
open('$BENCH/duck_in.txt', 'w').write(f'{time.perf_counter() - start:.3f}')
")
    D_T+=("$t"); D_M+=("$m"); D_IN+=("$(cat "$BENCH/duck_in.txt")")
done
pt=$(printf '%s\n' "${P_T[@]}" | best); dt=$(printf '%s\n' "${D_T[@]}" | best)
di=$(printf '%s\n' "${D_IN[@]}" | best)
pm=$(printf '%s\n' "${P_M[@]}" | sort -n | tail -1); dm=$(printf '%s\n' "${D_M[@]}" | sort -n | tail -1)
printf 'purse  %6.2f s  peak RSS %5d MB\n' "$pt" $((pm / 1024))
printf 'duckdb %6.2f s  peak RSS %5d MB (the COPY alone, timed inside its process: %.2f s)\n' "$dt" $((dm / 1024)) "$di"
python3 -c "print(f'ingest ratio purse/duckdb {$pt/$dt:.2f} (whole processes)')"
python3 -c "print(f'ingest ratio purse/duckdb {$pt/$di:.2f} (strict: DuckDB timed inside its own process)')"
python3 -c "print(f'peak RSS / file size: purse {$pm*1024/$(stat -c %s "$CSV"):.1f}x, duckdb {$dm*1024/$(stat -c %s "$CSV"):.1f}x')"

echo "== one month of budget execution as bureaus send it (GBK, title rows, 万元, code hierarchy checked, 累计 continued from last month): purse alone"
EX="$IN/budget_execution"
E_T=(); E_M=()
for i in $(seq "$RUNS"); do
    rm -rf "$BENCH/ex" && "$PURSE" init --data-dir "$BENCH/ex" --region-code 990100 --region-name 示范市 >/dev/null
    "$PURSE" ingest -q --data-dir "$BENCH/ex" "$EX/2025-01.csv" >/dev/null
    read -r t m _ _ < <(measure "$PURSE" ingest -q --data-dir "$BENCH/ex" "$EX/2025-02.csv")
    E_T+=("$t"); E_M+=("$m")
done
et=$(printf '%s\n' "${E_T[@]}" | best); em=$(printf '%s\n' "${E_M[@]}" | sort -n | tail -1)
es=$(stat -c %s "$EX/2025-02.csv")
python3 -c "print(f'purse  {$et:6.2f} s  peak RSS {$em//1024:5d} MB for a {$es/1048576:.0f} MB file ({$em*1024/$es:.1f}x), {$es/1048576/$et:.0f} MB/s')"

echo "== the whole --scale 20 region: purse ingest of $(du -sh "$IN" | cut -f1) in $(find "$IN" -type f ! -name '*.toml' | wc -l) files"
rm -rf "$BENCH/all" && "$PURSE" init --data-dir "$BENCH/all" --region-code 990100 --region-name 示范市 >/dev/null
read -r t m u s < <(measure "$PURSE" ingest -q --data-dir "$BENCH/all" "$IN")
python3 -c "print(f'wall {$t:.1f} s, CPU {$u+$s:.1f} s (wall/CPU {$t/($u+$s):.2f}; 0.50 = both cores busy), peak RSS {$m//1024} MB')"

echo "== the rule pack for 2025-12 at --scale 20, best of $RUNS, findings compared"
python3 tests/portability.py "$PURSE" --data-dir "$BENCH/all" --periods 2025-12 --repeat "$RUNS" | tail -4
