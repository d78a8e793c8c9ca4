#!/usr/bin/env bash
# The feature check (scripts/tests.d/05-cargo-hack.sh) needs cargo-hack, built
# from crates.io with its own lock file (3.5 minutes cold on
# 2 shared cores, measured while another build ran).
set -euo pipefail
if cargo hack --version >/dev/null 2>&1; then
  echo "cargo-hack already installed: $(cargo hack --version)"
else
  cargo install --locked cargo-hack
fi
