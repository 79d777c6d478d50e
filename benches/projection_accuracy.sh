#!/usr/bin/env bash
# The year-end projection on real history: the national general public budget revenue
# (一般公共预算收入, 2008-01 … 2026-07, ../shared/realdata/cn_macro_monthly_national) turned into a
# budget-execution extract, one line a month, whose "budget" is the year's own outturn (so a
# year-end rate of 100 % is the truth and every error is in % of the outturn), then
# `purse project --accuracy --grain region`: the method's error beside the baselines (even
# pace, last year's share), and how often its band held the outcome at each month.
#
#   benches/projection_accuracy.sh            # this build (debug is fine: it is small)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
SHARED="${PURSE_SHARED:-$(cd .. && pwd)/shared}"
SRC="$SHARED/realdata/cn_macro_monthly_national/fiscal_revenue.csv"
cargo build --quiet
PURSE="$CARGO_TARGET_DIR/debug/purse"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$SRC" "$WORK/extracts" <<'PY'
import csv, os, sys
from decimal import Decimal
src, out = sys.argv[1], sys.argv[2]
ytd = {}
for r in csv.DictReader(open(src, encoding="utf-8")):
    if r["ytd_value"]:
        ytd[(int(r["date"][:4]), int(r["date"][5:7]))] = Decimal(r["ytd_value"]) * 100_000_000
os.makedirs(out)
for (y, m), v in sorted(ytd.items()):
    final = ytd.get((y, 12))
    if final is None:  # the year still running: last year's outturn stands for its budget
        final = ytd.get((y - 1, 12), v)
    with open(f"{out}/budget_execution_{y}-{m:02d}.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["年度", "月份", "财政区划", "区划名称", "预算类型", "预算单位编码", "预算单位名称", "功能分类科目编码",
                    "年初预算数", "调整后预算数", "累计支出"])
        w.writerow([y, m, "100000", "全国", "一般公共预算", "000001", "全国一般公共预算收入",
                    "2010101", f"{final:.2f}", f"{final:.2f}", f"{v:.2f}"])
PY

"$PURSE" init --data-dir "$WORK/d" --region-code 100000 --region-name 全国 >/dev/null
"$PURSE" ingest -q --data-dir "$WORK/d" "$WORK/extracts"
"$PURSE" project --data-dir "$WORK/d" --period 2026-07 --accuracy | grep -E "^(Backtest|grain|region )"
