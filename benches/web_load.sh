#!/usr/bin/env bash
# Cockpit latency under load: 64 concurrent connections on the --scale 20 region.
#
#   benches/web_load.sh [DATA_DIR] [DURATION]
#
# Uses the release binary and wrk (Debian's `wrk`). DATA_DIR defaults to the scale-20 warehouse
# the criterion benches build ($CARGO_TARGET_DIR/purse-bench/scale20-data); without one, it is
# generated and loaded here first (about 4 minutes). Prints the cold first request, then wrk's
# latency distribution (p50, p99) and requests per second for the cockpit page and its JSON twin.
# wrk and the server share this machine's cores, so the figures are conservative.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
BENCH="$CARGO_TARGET_DIR/purse-bench"
DATA="${1:-$BENCH/scale20-data}"
DURATION="${2:-30s}"
PERIOD=2025-12
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet
PURSE="$CARGO_TARGET_DIR/release/purse"

if [ ! -e "$DATA/purse.db" ]; then
    echo "== generating and loading --scale 20 into $DATA (once)"
    "$PURSE" gen --scale 20 --out "$BENCH/scale20"
    "$PURSE" init --data-dir "$DATA" --region-code 990100 --region-name 示范市
    "$PURSE" ingest -q --data-dir "$DATA" "$BENCH/scale20"
fi
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

URL="http://127.0.0.1:$PORT/cockpit?period=$PERIOD"
echo "== cold: first cockpit request (computes every figure from Parquet)"
curl -s -o /dev/null -H "Cookie: $COOKIE" -w "status %{http_code}, %{time_total} s, %{size_download} bytes\n" "$URL"
echo "== warm: the same page again (figures cached for this data version)"
curl -s -o /dev/null -H "Cookie: $COOKIE" -w "status %{http_code}, %{time_total} s\n" "$URL"

echo "== wrk: /cockpit, 64 connections, 2 threads, $DURATION"
wrk -t2 -c64 -d"$DURATION" --latency -H "Cookie: $COOKIE" "$URL"
echo "== wrk: /api/cockpit, 64 connections, 2 threads, $DURATION"
wrk -t2 -c64 -d"$DURATION" --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/cockpit?period=$PERIOD"
