#!/usr/bin/env bash
# CI recipe: find a learning rate on the project's data, train with it, and fail the pipeline when
# validation accuracy drops below a threshold or the suggested LR moved by more than a decade
# from the value recorded when the pipeline was set up. Reads lrtool's --json output with jq, or
# with awk when jq is not installed (or NO_JQ=1). Settings come from the environment:
#
#   LRTOOL=lrtool DATASET=iris OPTIMIZER=adam EPOCHS=20 MIN_VAL_ACC=0.9 RECORDED_LR=6.31e-3 \
#       bash docs/ci-recipe.sh
#
# Exit status: 0 pass, 1 a check failed, anything else lrtool's own failure.
set -euo pipefail

LRTOOL=${LRTOOL:-lrtool}
DATASET=${DATASET:-iris}
OPTIMIZER=${OPTIMIZER:-adam}
EPOCHS=${EPOCHS:-20}
SEED=${SEED:-0}
MIN_VAL_ACC=${MIN_VAL_ACC:-0.9}
# the consensus find-lr gave when this pipeline was set up (iris, adam, seed 0)
RECORDED_LR=${RECORDED_LR:-6.31e-3}
WORK=${WORK:-$(mktemp -d)}

# read_json FILE JQ_PATH OBJECT KEY: the number at JQ_PATH; without jq, the first "KEY" line
# after the line opening "OBJECT" in lrtool's pretty-printed JSON (one key per line)
read_json() {
    if [ -z "${NO_JQ:-}" ] && command -v jq >/dev/null 2>&1; then
        jq -er "$2" "$1"
    else
        awk -v obj="\"$3\": {" -v key="\"$4\":" '
            index($0, obj) { inside = 1 }
            inside && index($0, key) { v = $2; gsub(/[",]/, "", v); print v; found = 1; exit }
            END { exit !found }' "$1"
    fi
}

echo "== find-lr on $DATASET ($OPTIMIZER, seed $SEED)"
"$LRTOOL" find-lr --dataset "$DATASET" --optimizer "$OPTIMIZER" --seed "$SEED" \
    --out "$WORK/find-lr" --force --json > "$WORK/find-lr.json"
LR=$(read_json "$WORK/find-lr.json" '.consensus.lr' consensus lr)
echo "suggested lr $LR (recorded $RECORDED_LR)"

# |log10(LR / RECORDED_LR)| must stay within one decade
if ! awk -v a="$LR" -v b="$RECORDED_LR" 'BEGIN {
        d = log(a / b) / log(10); if (d < 0) d = -d
        printf "moved %.2f decades\n", d; exit !(d <= 1) }'; then
    echo "FAIL: the suggested learning rate moved by more than a decade from $RECORDED_LR" >&2
    exit 1
fi

echo "== train with lr $LR for $EPOCHS epochs"
"$LRTOOL" train --dataset "$DATASET" --optimizer "$OPTIMIZER" --seed "$SEED" --lr "$LR" \
    --epochs "$EPOCHS" --out "$WORK/train" --force --json > "$WORK/train.json"
ACC=$(read_json "$WORK/train.json" '.result.final.val_acc' final val_acc)
echo "validation accuracy $ACC (threshold $MIN_VAL_ACC)"
if ! awk -v a="$ACC" -v t="$MIN_VAL_ACC" 'BEGIN { exit !(a >= t) }'; then
    echo "FAIL: validation accuracy $ACC is below $MIN_VAL_ACC" >&2
    exit 1
fi
echo "PASS (reports: $WORK/find-lr/report.html, $WORK/train/report.html)"
