#!/usr/bin/env bash
# The Swift side cannot be compiled here (no Swift toolchain): this parses
# every Swift file, hand-written (ios-shim/) and generated (the release
# bindings and the test-service ones), with tree-sitter-swift and fails on any
# syntax error. Compiling and running the XCTests happens on macOS
# (ios-shim/build-xcframework.sh --test-service && swift test).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${XDG_CACHE_HOME:-$HOME/.cache}/akuersi/swift-parse-venv/bin/python"
[ -x "$py" ] || { echo "tree-sitter-swift is missing: run scripts/setup" >&2; exit 1; }
"$py" ios-shim/tools/swift_syntax_check.py --self-test

scripts/gen-bindings
[ -f bindings/generated/test-service/swift/Akuersi.swift ] || scripts/gen-bindings --test-service
mapfile -t files < <(find ios-shim/ -name '*.swift' -not -path '*/.build/*' -not -path '*/Generated/*' | sort)
files+=(bindings/generated/swift/*.swift bindings/generated/test-service/swift/*.swift)
"$py" ios-shim/tools/swift_syntax_check.py "${files[@]}"
