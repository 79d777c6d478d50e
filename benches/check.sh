#!/usr/bin/env bash
# `purse check` wall time and peak RSS: the demo's 12 months in one range, and two months at
# --scale 20, each the median of RUNS runs. With OLD=path/to/another/purse the same commands run
# interleaved with that binary too (before/after figures for a change).
#
#   benches/check.sh                      # this build
#   OLD=/tmp/purse-before benches/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
BENCH="${BENCH:-$CARGO_TARGET_DIR/bench-data}"
RUNS="${RUNS:-5}"
cargo build --release --quiet
NEW="$CARGO_TARGET_DIR/release/purse"
mkdir -p "$BENCH"

load() { # DIR SCALE
    if [ ! -e "$1/purse.db" ]; then
        echo "== generating and loading --scale $2 into $1 (once)"
        "$NEW" gen --scale "$2" --out "$1-extracts" >/dev/null
        "$NEW" init --data-dir "$1" --region-code 990100 --region-name 示范市 >/dev/null
        "$NEW" ingest -q --data-dir "$1" "$1-extracts"
    fi
}
load "$BENCH/demo" 1
load "$BENCH/scale20" 20

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # LABEL DIR PERIOD
    local bins=("$NEW") names=(new)
    if [ -n "${OLD:-}" ]; then bins+=("$OLD"); names+=(old); fi
    local out; out=$(mktemp)
    for _ in $(seq "$RUNS"); do
        for i in "${!bins[@]}"; do
            /usr/bin/time -f "${names[$i]} %e %M" "${bins[$i]}" check --dry-run \
                --data-dir "$2" --period "$3" 2>>"$out" >/dev/null
        done
    done
    for n in "${names[@]}"; do
        local t rss
        t=$(grep "^$n " "$out" | awk '{print $2}' | median)
        rss=$(grep "^$n " "$out" | awk '{print $3}' | sort -n | tail -1)
        printf '%-28s %-4s median %6.2f s   peak RSS %5d MB\n' "$1" "$n" "$t" $((rss / 1024))
    done
    rm -f "$out"
}

measure "demo 2025-01..2025-12" "$BENCH/demo" 2025-01..2025-12
measure "scale 20, 2025-06" "$BENCH/scale20" 2025-06
measure "scale 20, 2025-12" "$BENCH/scale20" 2025-12
