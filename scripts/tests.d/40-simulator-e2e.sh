#!/usr/bin/env bash
# The simulator end to end, as separate processes: `akuersi-sim serve` on a
# free loopback port, `operator` and `app` commands, the Demo Bank page in
# headless Chromium (through chromedriver), and the terminal app driven by
# tmux (simulator/tests/e2e.rs; its tests are #[ignore]d in the plain
# `cargo test` run). Needs chromium, chromedriver and tmux:
# scripts/setup.d/40-chromium-tmux.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in chromium chromedriver tmux; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup first" >&2; exit 1; }
done
# Bounded: every wait inside the tests is bounded too (the longest, a
# request left to expire, is 40 s).
timeout 600 cargo test --locked -p akuersi-sim --test e2e -- --ignored --test-threads=3
