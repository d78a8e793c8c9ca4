#!/usr/bin/env bash
# The licence, ban and source check (scripts/tests.d/07-cargo-deny.sh) needs
# cargo-deny, built from crates.io with its own lock file (several minutes cold on 2 cores).
set -euo pipefail
if cargo deny --version >/dev/null 2>&1; then
  echo "cargo-deny already installed: $(cargo deny --version)"
else
  cargo install --locked cargo-deny
fi
