#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target in fuzz/ for a few seconds, starting
# from its committed seed corpus (fuzz/corpus/<target>/). New corpus entries
# go to a scratch directory, so the seeds stay as committed; a crash fails
# the suite and leaves its reproducer in fuzz/artifacts/<target>/.
# Needs cargo-fuzz (scripts/setup.d/50-cargo-fuzz.sh) and no nightly:
# RUSTC_BOOTSTRAP=1 lets the stable compiler take cargo fuzz's -Z flags.
# FUZZ_SECONDS (default 4) sets the time per target.
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: run scripts/setup" >&2; exit 1; }
export RUSTC_BOOTSTRAP=1
# Keep the sanitizer build apart from the workspace's (CI sets CARGO_TARGET_DIR).
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR%/}-fuzz"
fi
seconds="${FUZZ_SECONDS:-4}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# cargo fuzz has no --locked: check fuzz/Cargo.lock is up to date (and fetch
# what it names) first, so the build below resolves nothing anew.
cargo fetch --locked
cargo fuzz build
mapfile -t targets < <(cargo fuzz list)
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  start=$(date +%s)
  # Leak detection is off: the stateful targets keep a service between runs,
  # which LeakSanitizer would scan after nearly every input.
  if cargo fuzz run "$t" "$scratch/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -runs=100000000 -detect_leaks=0 -print_final_stats=1 \
      >"$scratch/$t.log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz $t: ok, $execs runs in $(( $(date +%s) - start )) s"
    passed=$((passed + 1))
  else
    echo "fuzz $t: FAILED" >&2
    tail -40 "$scratch/$t.log" >&2
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
