#!/usr/bin/env bash
# The simulator's end-to-end suite (scripts/tests.d/40-simulator-e2e.sh) drives
# a real browser and a real terminal: Debian's Chromium with its WebDriver
# (chromedriver) for the Demo Bank page, and tmux for the terminal app.
# Installs only what is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v tmux >/dev/null || missing+=(tmux)
if [ ${#missing[@]} -eq 0 ]; then
  echo "chromium, chromedriver and tmux already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
