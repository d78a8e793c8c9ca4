#!/usr/bin/env bash
# Licences, bans and sources of every dependency against deny.toml, offline:
# CI has no copy of the RustSec advisory database, so advisories are checked
# by hand (docs/THREAT_MODEL.md, "Dependency advisories, checked by hand"),
# and deny.toml bans the versions those advisories name. Needs cargo-deny
# (scripts/setup.d/56-cargo-deny.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-deny >/dev/null || { echo "cargo-deny is missing: run scripts/setup" >&2; exit 1; }
cargo deny --locked --offline check licenses bans sources
