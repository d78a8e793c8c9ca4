#!/usr/bin/env bash
# The Swift parse check (scripts/tests.d/30-swift-parse.sh) needs the
# tree-sitter Python bindings and the Swift grammar, both binary wheels from
# PyPI, in a virtualenv of their own.
set -euo pipefail
venv="${XDG_CACHE_HOME:-$HOME/.cache}/akuersi/swift-parse-venv"
want="tree-sitter==0.26.1 tree-sitter-swift==0.7.4"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
  echo "tree-sitter-swift already installed in $venv"
  exit 0
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends python3 python3-venv python3-pip
fi
rm -rf "$venv"
python3 -m venv "$venv"
# shellcheck disable=SC2086
"$venv/bin/pip" install --quiet --disable-pip-version-check $want
"$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift; print("tree-sitter-swift ready")'
