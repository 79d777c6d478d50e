#!/usr/bin/env bash
# Cached pages against the framework's own speed: 64 concurrent connections, one run.
#
#   benches/web_load.sh [demo|scale20|DATA_DIR] [DURATION]
#   PURSE=/path/to/other/purse benches/web_load.sh demo     # measure another build ("before")
#
# Uses the release binary (or $PURSE) and wrk (Debian's `wrk`). `demo` prepares the demo region
# with `purse demo --no-serve` (seconds); `scale20` (the default) uses the warehouse the criterion
# benches build ($CARGO_TARGET_DIR/purse-bench/scale20-data), generating and loading it first when
# absent (about 4 minutes). Prints the cold first request, then for the static stylesheet (what
# axum itself costs), the cached cockpit JSON and the cached cockpit page: requests per second,
# p50 and p99, and the ratio of each cached page's rate to the static file's.
# Goal (issue #11): ratio ≥ 0.5 and p99 < 50 ms for the cockpit JSON.
# wrk and the server share this machine's cores, so the figures are conservative.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
BENCH="$CARGO_TARGET_DIR/purse-bench"
WHICH="${1:-scale20}"
DURATION="${2:-15s}"
PERIOD=2025-12
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
if [ -z "${PURSE:-}" ]; then
    cargo build --release --quiet
    PURSE="$CARGO_TARGET_DIR/release/purse"
fi

case "$WHICH" in
demo)
    DATA="$BENCH/demo-data"
    [ -e "$DATA/purse.db" ] || "$PURSE" demo --no-serve --data-dir "$DATA" >/dev/null
    ;;
scale20)
    DATA="$BENCH/scale20-data"
    if [ ! -e "$DATA/purse.db" ]; then
        echo "== generating and loading --scale 20 into $DATA (once)"
        "$PURSE" gen --scale 20 --out "$BENCH/scale20"
        "$PURSE" init --data-dir "$DATA" --region-code 990100 --region-name 示范市
        "$PURSE" ingest -q --data-dir "$DATA" "$BENCH/scale20"
    fi
    ;;
*) DATA="$WHICH" ;;
esac
echo "== $PURSE on $DATA"
echo "== checking $PERIOD so the cockpit has its alerts"
"$PURSE" check --data-dir "$DATA" --period "$PERIOD" >/dev/null
"$PURSE" user add load --role viewer --password load-test-pw --data-dir "$DATA" >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PURSE" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.1; done

COOKIE=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d '{"user":"load","password":"load-test-pw"}' "http://127.0.0.1:$PORT/api/login" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(purse_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "login failed" >&2; exit 1; }

BASE="http://127.0.0.1:$PORT"
echo "== cold: first cockpit request (computes every figure from Parquet)"
curl -s -o /dev/null -H "Cookie: $COOKIE" -w "status %{http_code}, %{time_total} s, %{size_download} bytes\n" "$BASE/cockpit?period=$PERIOD"
curl -s -o /dev/null -H "Cookie: $COOKIE" "$BASE/api/cockpit?period=$PERIOD"

# One wrk run; prints "RATE P50 P99" (req/s, ms, ms).
load() {
    wrk -t2 -c64 -d"$DURATION" --latency -H "Cookie: $COOKIE" "$1" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\b", t, re.M)
    v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
p50, p99 = ms("50%"), ms("99%")
print(f"{rate:.0f} {p50:.2f} {p99:.2f} {errors.group(1) if errors else 0}")'
}

echo "== wrk: 64 connections, 2 threads, $DURATION each"
read -r S_RATE S_P50 S_P99 S_ERR < <(load "$BASE/static/purse.css")
read -r J_RATE J_P50 J_P99 J_ERR < <(load "$BASE/api/cockpit?period=$PERIOD")
read -r H_RATE H_P50 H_P99 H_ERR < <(load "$BASE/cockpit?period=$PERIOD")
python3 - "$S_RATE $S_P50 $S_P99 $S_ERR" "$J_RATE $J_P50 $J_P99 $J_ERR" "$H_RATE $H_P50 $H_P99 $H_ERR" <<'EOF'
import sys
rows = [("static stylesheet", sys.argv[1]), ("cockpit JSON (cached)", sys.argv[2]), ("cockpit page (cached)", sys.argv[3])]
base = float(sys.argv[1].split()[0])
print(f"{'':24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}")
for name, r in rows:
    rate, p50, p99, err = r.split()
    print(f"{name:24}{float(rate):>10.0f}{float(p50):>9.2f}{float(p99):>9.2f}{int(err):>8}{float(rate)/base:>8.2f}")
EOF
