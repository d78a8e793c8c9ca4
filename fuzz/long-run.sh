#!/usr/bin/env bash
# The longer fuzz run whose figures are in docs/THREAT_MODEL.md ("Fuzzing"):
# every target for SECONDS (default 90) from its seed corpus, one after the
# other, keeping the grown corpora in fuzz/corpus-run/<target>/ (git-ignored)
# and libFuzzer's output in fuzz/target/long-run/<target>.log. Prints one
# line per target: runs, seconds, corpus entries, crashes.
set -uo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
seconds="${1:-${SECONDS_PER_TARGET:-90}}"
mkdir -p target/long-run
cargo fuzz build || exit 1
for t in $(cargo fuzz list); do
  mkdir -p "corpus-run/$t"
  log="target/long-run/$t.log"
  cargo fuzz run "$t" "corpus-run/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -detect_leaks=0 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  time=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  entries=$(find "corpus-run/$t" "corpus/$t" -type f | wc -l)
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  echo "$t: exit $rc, ${runs:-?} runs, ${time:-?} runs/s, corpus $entries files, artifacts $crashes"
done
