#!/usr/bin/env bash
# The licence, ban and source check (scripts/tests.d/07-cargo-deny.sh) needs
# cargo-deny, built from crates.io with its own lock file (25 minutes cold on
# 2 shared cores, measured while other builds ran).
set -euo pipefail
if cargo deny --version >/dev/null 2>&1; then
  echo "cargo-deny already installed: $(cargo deny --version)"
else
  cargo install --locked cargo-deny
fi
