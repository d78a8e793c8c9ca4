#!/usr/bin/env bash
# The API documentation of every workspace crate builds without a warning:
# broken intra-doc links, bare URLs, unclosed HTML and the like fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings" cargo doc --locked --workspace --no-deps
