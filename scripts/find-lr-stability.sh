#!/usr/bin/env bash
# How far find-lr's consensus moves when --min drops from 1e-6 to 1e-10 (issue 15): for every
# dataset and seed, one range test at each --min, the two consensus LRs, and the move in
# decades; then the mean, the largest, and how many moved more than 0.15 decades.
#
#   cargo build --release
#   scripts/find-lr-stability.sh                          # Adam (find-lr's default), seeds 1-10
#   EXTRA="--optimizer sgd --momentum 0.9" SEEDS="1 2 3" scripts/find-lr-stability.sh
#   EXTRA="--warmup-from 0" scripts/find-lr-stability.sh  # the plain sweep, for comparison
#
# LRTOOL (default target/release/lrtool), DATASETS, SEEDS, EXTRA (more find-lr flags), LOW (the
# lower --min, default 1e-10). Needs bash and awk (jq if present). Exit 0; the figures are the
# output.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
LRTOOL=${LRTOOL:-$here/target/release/lrtool}
DATASETS=${DATASETS:-"$here/datasets/examples/noisy.csv iris wine moons breast-cancer digits circles spirals xor blobs sine"}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8 9 10"}
EXTRA=${EXTRA:-}
LOW=${LOW:-1e-10}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# consensus DIR: the consensus LR in DIR/summary.json ("nan" when there is none)
consensus() {
    if command -v jq >/dev/null 2>&1; then
        jq -r '.consensus.lr // "nan"' "$1/summary.json"
    else
        awk '/"consensus": \{/ { inside = 1 }
             inside && /"lr":/ { v = $2; gsub(/[",]/, "", v); print v; found = 1; exit }
             END { if (!found) print "nan" }' "$1/summary.json"
    fi
}

printf '%-16s %4s  %10s  %10s  %s\n' dataset seed "min 1e-6" "min $LOW" decades
for ds in $DATASETS; do
    name=$(basename "$ds" .csv)
    for seed in $SEEDS; do
        for m in 1e-6 "$LOW"; do
            # shellcheck disable=SC2086 # EXTRA is a list of flags
            "$LRTOOL" find-lr --dataset "$ds" --seed "$seed" --min "$m" $EXTRA \
                --out "$WORK/$m" --force --quiet --no-report
        done
        a=$(consensus "$WORK/1e-6")
        b=$(consensus "$WORK/$LOW")
        awk -v n="$name" -v s="$seed" -v a="$a" -v b="$b" 'BEGIN {
            if (a == "nan" || b == "nan" || a <= 0 || b <= 0) d = "-"
            else { d = log(b / a) / log(10); if (d < 0) d = -d; d = sprintf("%.3f", d) }
            printf "%-16s %4s  %10.3e  %10.3e  %s\n", n, s, a, b, d }'
    done
done | tee "$WORK/table"
awk '$5 != "-" { n++; sum += $5; if ($5 > max) max = $5; if ($5 > 0.15) over++ }
     END { printf "%d pairs: mean move %.3f decades, largest %.3f, over 0.15: %d\n",
           n, sum / n, max, over + 0 }' "$WORK/table"
