#!/usr/bin/env bash
# Every crate builds with each of its features alone, with none, and with its
# defaults (`cargo hack --each-feature`), so a feature that leans on another
# one, or code that needs a feature without asking for it, fails here instead
# of in the one build that happens to have it. Libraries and binaries only:
# with resolver 2 their features are not unified with the dev-dependencies',
# so no `--no-dev-deps` (which would rewrite Cargo.toml while it runs) is
# needed. Needs cargo-hack (scripts/setup.d/55-cargo-hack.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-hack >/dev/null || { echo "cargo-hack is missing: run scripts/setup" >&2; exit 1; }
# --optional-deps: an optional dependency without `dep:` (the core's `uniffi`)
# is a feature too.
cargo hack check --locked --workspace --each-feature --optional-deps
