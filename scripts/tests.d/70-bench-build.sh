#!/usr/bin/env bash
# Compiles every criterion benchmark (core/benches, server/benches) without
# running them, so they keep building. Plain `cargo bench --no-run` would build with the
# bench profile, which inherits release (LTO, one codegen unit): a second full
# optimized build of the workspace, and with --workspace every lib and bin in
# bench-harness mode too, about 8 minutes here for no extra checking.
# `--profile test` reuses the libraries `cargo test --workspace --all-targets`
# (scripts/test-all) has just built, and `--bench '*'` picks only the
# benches/ targets, so this links two binaries and stays well under a minute.
# (That test run also executes each benchmark once, as a smoke test.)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench --locked --workspace --no-run --profile test --bench '*'
