#!/usr/bin/env bash
# macOS only (Xcode command-line tools and rustup): builds the Rust library
# for iOS devices, the iOS simulator and macOS, generates the Swift bindings
# and C headers, and assembles ios-shim/AkuersiFFI.xcframework plus
# ios-shim/Sources/Akuersi/Generated/*.swift for Package.swift.
#
#   ios-shim/build-xcframework.sh                 # release: what apps ship
#   ios-shim/build-xcframework.sh --test-service  # adds TestService for `swift test`
#   cd ios-shim && swift test                     # after --test-service
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS and Xcode" >&2; exit 1; }

features=()
[ "${1:-}" = "--test-service" ] && features=(--features test-service)

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo build -p akuersi-ffi --lib --release --target "$t" "${features[@]}"
done

target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=ios-shim/build
rm -rf "$work" ios-shim/AkuersiFFI.xcframework ios-shim/Sources/Akuersi/Generated
mkdir -p "$work/include" "$work/ios" "$work/sim" "$work/macos" ios-shim/Sources/Akuersi/Generated

lib=libakuersi_ffi.a
cp "$target_dir/aarch64-apple-ios/release/$lib" "$work/ios/$lib"
lipo -create "$target_dir/aarch64-apple-ios-sim/release/$lib" "$target_dir/x86_64-apple-ios/release/$lib" \
  -output "$work/sim/$lib"
lipo -create "$target_dir/aarch64-apple-darwin/release/$lib" "$target_dir/x86_64-apple-darwin/release/$lib" \
  -output "$work/macos/$lib"

# Swift sources, C headers and the module map, from the library itself.
cargo build -p akuersi-ffi --features cli --bin uniffi-bindgen-swift
"$target_dir/debug/uniffi-bindgen-swift" --swift-sources --headers --modulemap --xcframework \
  --module-name AkuersiFFI --modulemap-filename module.modulemap \
  --config uniffi.toml "$target_dir/aarch64-apple-darwin/release/$lib" "$work/include"
mv "$work"/include/*.swift ios-shim/Sources/Akuersi/Generated/

xcodebuild -create-xcframework \
  -library "$work/ios/$lib" -headers "$work/include" \
  -library "$work/sim/$lib" -headers "$work/include" \
  -library "$work/macos/$lib" -headers "$work/include" \
  -output ios-shim/AkuersiFFI.xcframework
echo "built ios-shim/AkuersiFFI.xcframework"
