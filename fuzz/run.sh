#!/usr/bin/env bash
# Run one cargo-fuzz target: ./fuzz/run.sh TARGET [SECONDS [LIBFUZZER FLAGS…]]
# (targets: csv idx config weights manifest summary; e.g. ./fuzz/run.sh config 600 -max_len=4096 -len_control=0)
# New inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET (both ignored by git);
# the committed seeds are in fuzz/seeds/TARGET. The stable toolchain works with RUSTC_BOOTSTRAP=1
# (cargo-fuzz passes -Z flags such as -Zsanitizer=address).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: fuzz/run.sh csv|idx|config|weights|manifest|summary [seconds]}"
seconds="${2:-600}"
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "$here/corpus/$target"
dict=()
if [[ -f "$here/dict/$target.dict" ]]; then
    dict=("-dict=$here/dict/$target.dict")
fi
cd "$here"
RUSTC_BOOTSTRAP=1 exec nice -n 19 cargo fuzz run "$target" "$here/corpus/$target" "$here/seeds/$target" -- \
    "${dict[@]}" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "$@"
