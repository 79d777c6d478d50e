#!/usr/bin/env bash
# How long an edit takes to rebuild (issue #27: "consider a workspace split if it shortens
# rebuilds: measure it"). Touches one file of a floor at a time (a comment appended, then taken
# back) and times `cargo build` and `cargo test --no-run` after it, with cargo's per-unit
# timings, so a split can be judged by what it would leave out: a web-only edit relinks every
# test binary today, though only a few import the web.
#
#   benches/rebuild.sh            # debug profile, the shared target directory
#
# Run it on an otherwise idle machine, after a full `cargo test --no-run`; it leaves the tree as
# it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/purse-target}"
git diff --quiet || { echo "commit or stash first: this script edits and restores files" >&2; exit 2; }
cargo test --no-run -q 2>/dev/null
units() {
    python3 - "$(ls -t "$CARGO_TARGET_DIR"/cargo-timings/*.html | head -1)" <<'PY'
import json, re, sys
s = open(sys.argv[1]).read()
d = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", s, re.S).group(1))
busy = [(u["duration"], f'{u["name"]} {u["target"]}'.strip()) for u in d if u["duration"] > 0]
print(f"    {len(busy)} units rebuilt, {sum(t for t, _ in busy):.1f} s of CPU; slowest: "
      + ", ".join(f"{n} {t:.1f}" for t, n in sorted(busy, reverse=True)[:3]))
PY
}
for f in src/web/pages/alerts.rs src/app/mod.rs src/rules/mod.rs src/common/period.rs; do
    for what in build "test --no-run"; do
        echo "// rebuild.sh" >>"$f"
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        cargo $what -q --timings >/dev/null 2>&1
        end=$(date +%s.%N)
        git checkout -q -- "$f"
        printf "%-26s cargo %-14s %5.1f s\n" "$f" "$what" "$(echo "$end - $start" | bc)"
        units
    done
done
cargo test --no-run -q 2>/dev/null
# A test binary that includes tests/common (whose `web` helpers start the app) links the web too.
direct=$(grep -l 'purse::web\|purse::app' tests/*.rs | wc -l)
via=$(grep -l '^mod common' tests/*.rs | wc -l)
echo "integration test binaries: $(ls tests/*.rs | wc -l); importing purse::web or purse::app: $direct directly, $via through tests/common"
