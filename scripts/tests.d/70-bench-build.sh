#!/usr/bin/env bash
# Compiles every criterion benchmark (core/benches, server/benches) without
# running them (issue 7). `cargo bench` would build with the bench profile,
# which inherits release (LTO, one codegen unit): a second full optimized
# build of the workspace for no extra checking. `--profile test` compiles the
# very same bench targets in bench mode and reuses what `cargo test
# --workspace --all-targets` (scripts/test-all) has just built, so this stays
# fast. (That test run also executes each benchmark once as a smoke test.)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench --workspace --no-run --profile test
