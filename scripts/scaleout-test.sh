#!/usr/bin/env bash
# The scale-out test: one small `lrtool compare` run three ways, checked equal.
#
#   1. unsharded, `--jobs 2`, in one process;
#   2. as a Slurm job array (a localhost Slurm from scripts/slurm-localhost.sh): one
#      `--shard I/N` per array task, then `--merge` as a job that depends on the array;
#   3. with GNU parallel: one `--shard {}/N` per job slot, then `--merge`.
#
# The merged folders must equal the unsharded one: the same files; results.csv the same apart
# from its last column (wall_seconds); each run's summary.json the same apart from its train_s and
# samples_per_s; timing.json files are wall-clock measurements only and are not compared; every
# other file (report.md, report.html, summary.json, the SVGs, each run's epochs.csv, steps.csv,
# weights, plots, manifests) byte for byte.
#
#   LRTOOL=target/release/lrtool bash scripts/scaleout-test.sh
#
# Where Slurm or GNU parallel is not installed or Slurm does not start, that part prints
# "SKIPPED …" and the test goes on (LRTOOL_SCALEOUT_REQUIRE=1 makes a skip a failure). Exit
# status: 0 pass (or skipped), 1 a check failed or a run failed. Settings: SHARDS (default 3),
# WORK (default a new temporary folder, removed at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

LRTOOL=${LRTOOL:-target/release/lrtool}
case "$LRTOOL" in
*/*) LRTOOL=$(cd "$(dirname "$LRTOOL")" && pwd)/$(basename "$LRTOOL") ;;
*) LRTOOL=$(command -v "$LRTOOL") ;;
esac
[ -x "$LRTOOL" ] || { echo "scaleout-test: no lrtool binary at $LRTOOL" >&2 && exit 1; }
SHARDS=${SHARDS:-3}
KEEP=${KEEP:-}
WORK=${WORK:-$(mktemp -d /tmp/lrtool-scaleout.XXXXXX)}
mkdir -p "$WORK"
# the experiment: configs/compare-digits.json's 4 arms, 2 seeds of 3 epochs (8 runs, seconds)
EXPERIMENT=(compare --config "$ROOT/configs/compare-digits.json" --epochs 3 --seeds 2)

SLURM_STARTED=0
cleanup() {
    if [ "$SLURM_STARTED" = 1 ]; then
        bash "$ROOT/scripts/slurm-localhost.sh" stop >/dev/null || true
    fi
    if [ -z "$KEEP" ]; then rm -rf "$WORK"; else echo "scaleout-test: kept $WORK"; fi
}
trap cleanup EXIT

fail() {
    echo "scaleout-test: FAILED: $*" >&2
    exit 1
}
skip() {
    if [ -n "${LRTOOL_SCALEOUT_REQUIRE:-}" ]; then fail "$* (LRTOOL_SCALEOUT_REQUIRE is set)"; fi
    echo "scaleout-test: SKIPPED $*"
}

# same_results REF DIR: DIR holds what REF holds, wall times aside
same_results() {
    local ref=$1 dir=$2 f n_cmp=0 n_rows
    (cd "$ref" && find . -type f | LC_ALL=C sort) >"$WORK/files-ref"
    (cd "$dir" && find . -type f | LC_ALL=C sort) >"$WORK/files-dir"
    diff "$WORK/files-ref" "$WORK/files-dir" >&2 ||
        fail "$dir does not hold the files of $ref (< only in the unsharded run, > only in the merge)"
    [ "$(head -n 1 "$ref/results.csv" | awk -F, '{print $NF}')" = wall_seconds ] ||
        fail "results.csv's last column is not wall_seconds"
    while read -r f; do
        f=${f#./}
        case "$f" in
        timing.json | runs/*/timing.json) continue ;;
        results.csv)
            diff <(sed 's/,[^,]*$//' "$ref/$f") <(sed 's/,[^,]*$//' "$dir/$f") >&2 ||
                fail "$dir/results.csv differs from the unsharded one (wall_seconds aside)"
            ;;
        runs/*/summary.json)
            diff <(grep -v -E '^  "(train_s|samples_per_s)": ' "$ref/$f") \
                <(grep -v -E '^  "(train_s|samples_per_s)": ' "$dir/$f") >&2 ||
                fail "$dir/$f differs from the unsharded one (train_s, samples_per_s aside)"
            ;;
        *) cmp "$ref/$f" "$dir/$f" >&2 || fail "$dir/$f differs from the unsharded one" ;;
        esac
        n_cmp=$((n_cmp + 1))
    done <"$WORK/files-ref"
    n_rows=$(($(wc -l <"$ref/results.csv") - 1))
    echo "scaleout-test: $dir equals the unsharded run: $n_cmp files compared ($n_rows results.csv" \
        "rows without wall_seconds, run summaries without train_s/samples_per_s, the rest byte for" \
        "byte; timing.json not compared)"
}

elapsed() { echo "$(($(date +%s%N) / 1000000 - $1))" | awk '{printf "%.1f s", $1 / 1000}'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. the reference
mkdir -p "$WORK/unsharded"
t=$(now_ms)
(cd "$WORK/unsharded" && "$LRTOOL" "${EXPERIMENT[@]}" --jobs 2 --quiet --out compare) ||
    fail "the unsharded compare failed"
echo "scaleout-test: unsharded compare ($(($(wc -l <"$WORK/unsharded/compare/results.csv") - 1)) runs): $(elapsed "$t")"

# 2. Slurm
# slurm_states JOBID: one line per job (or array task) of JOBID, "<state> <exit code>"
slurm_states() {
    scontrol -o show job "$1" 2>/dev/null |
        sed -n 's/.*JobState=\([A-Z_]*\).* ExitCode=\([0-9:]*\).*/\1 \2/p'
}
# slurm_wait JOBID: until no job of JOBID is pending or running (at most 300 s)
slurm_wait() {
    local i states
    for i in $(seq 1 1500); do
        states=$(slurm_states "$1")
        [ -n "$states" ] || fail "Slurm does not know job $1 any more"
        grep -q -E '^(PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|RESIZING|SUSPENDED)' \
            <<<"$states" || return 0
        sleep 0.2
    done
    scancel "$1" 2>/dev/null || true
    fail "Slurm job $1 still not done after 300 s"
}
slurm_part() {
    local out=$WORK/slurm jobid merge_id bad cmd
    if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1; then
        skip "the Slurm part: Slurm is not installed (Debian: apt-get install slurm-wlm munge)"
        return 0
    fi
    # one scale-out test at a time on this machine's Slurm: another one ending would stop the
    # daemons under this one's jobs
    exec 9>"${LRTOOL_SLURM_DIR:-/tmp/lrtool-slurm}.test.lock"
    flock -w 600 9 || fail "another scale-out test has held the Slurm lock for 600 s"
    # started here (not running before): stopped at the end, also when something fails
    bash scripts/slurm-localhost.sh status >/dev/null 2>&1 || SLURM_STARTED=1
    # 9>&-: the daemons it starts must not hold this test's lock
    if ! bash scripts/slurm-localhost.sh start >"$WORK/slurm-start.log" 2>&1 9>&-; then
        cat "$WORK/slurm-start.log"
        skip "the Slurm part: scripts/slurm-localhost.sh could not start a localhost Slurm (above)"
        return 0
    fi
    export SLURM_CONF=${LRTOOL_SLURM_DIR:-/tmp/lrtool-slurm}/slurm.conf
    mkdir -p "$out"
    cmd=$(printf '%q ' "$LRTOOL" "${EXPERIMENT[@]}")
    # the job script, as docs/compare.md shows it (one CPU per task here: 2 cores)
    cat >"$out/compare.sbatch" <<EOF
#!/bin/bash
#SBATCH --job-name=lr-compare
#SBATCH --array=0-$((SHARDS - 1))
#SBATCH --cpus-per-task=1
#SBATCH --output=slurm-%A_%a.out
${cmd% } \\
    --shard \$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT \\
    --jobs \$SLURM_CPUS_PER_TASK --quiet --out shard-\$SLURM_ARRAY_TASK_ID
EOF
    t=$(now_ms)
    jobid=$(cd "$out" && sbatch --parsable compare.sbatch) || fail "sbatch refused the array job"
    merge_id=$(cd "$out" && sbatch --parsable --job-name=lr-merge --output=slurm-merge-%j.out \
        --dependency="afterok:$jobid" \
        --wrap "$(printf '%q' "$LRTOOL") compare --merge shard-* --out compare --quiet") ||
        fail "sbatch refused the merge job"
    slurm_wait "$jobid"
    bad=$(slurm_states "$jobid" | grep -v '^COMPLETED 0:0$' || true)
    if [ -n "$bad" ]; then
        scancel "$merge_id" 2>/dev/null || true
        tail -n 20 "$out"/slurm-*.out >&2 || true
        fail "array job $jobid: not every task completed with exit 0 ($bad)"
    fi
    slurm_wait "$merge_id"
    [ "$(slurm_states "$merge_id")" = "COMPLETED 0:0" ] ||
        { cat "$out"/slurm-merge-*.out >&2 || true; fail "merge job $merge_id: $(slurm_states "$merge_id")"; }
    echo "scaleout-test: Slurm array job $jobid ($SHARDS tasks) and merge job $merge_id: $(elapsed "$t")"
    same_results "$WORK/unsharded/compare" "$out/compare"
    if [ "$SLURM_STARTED" = 1 ]; then
        bash scripts/slurm-localhost.sh stop >/dev/null || true
        SLURM_STARTED=0
    fi
    exec 9>&-
}
slurm_part

# 3. GNU parallel
parallel_part() {
    local out=$WORK/parallel i shards=()
    if ! command -v parallel >/dev/null 2>&1 || ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
        skip "the GNU parallel part: GNU parallel is not installed (Debian: apt-get install parallel)"
        return 0
    fi
    mkdir -p "$out"
    for i in $(seq 0 $((SHARDS - 1))); do shards+=("$i"); done
    t=$(now_ms)
    (cd "$out" && parallel --will-cite --jobs 2 --halt now,fail=1 \
        "$LRTOOL" "${EXPERIMENT[@]}" --shard "{}/$SHARDS" --jobs 1 --quiet --out "shard-{}" \
        ::: "${shards[@]}") || fail "a shard failed under GNU parallel"
    (cd "$out" && "$LRTOOL" compare --merge shard-* --out compare --quiet) ||
        fail "the merge of the parallel shards failed"
    echo "scaleout-test: GNU parallel ($SHARDS shards, 2 at a time) and merge: $(elapsed "$t")"
    same_results "$WORK/unsharded/compare" "$out/compare"
}
parallel_part
echo "scaleout-test: done"
