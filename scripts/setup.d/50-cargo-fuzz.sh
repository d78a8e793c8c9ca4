#!/usr/bin/env bash
# The fuzz smoke run (scripts/tests.d/50-fuzz-smoke.sh) needs cargo-fuzz,
# built from crates.io; a C++ compiler for libFuzzer comes with the machine.
set -euo pipefail
if cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz already installed: $(cargo fuzz --version)"
else
  cargo install --locked cargo-fuzz
fi
