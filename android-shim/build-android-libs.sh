#!/usr/bin/env bash
# Builds libakuersi_ffi.so for the Android ABIs into src/main/jniLibs/<abi>/
# and the matching Kotlin bindings into bindings/generated/kotlin. Needs the
# Android NDK (ANDROID_NDK_HOME) and cargo-ndk; not available on the project's
# CI machine, which tests the Kotlin code on the host JVM instead.
#
#   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   cargo install cargo-ndk
#   android-shim/build-android-libs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo ndk --platform 26 \
  -t arm64-v8a -t armeabi-v7a -t x86_64 \
  -o android-shim/src/main/jniLibs \
  build -p akuersi-ffi --lib --release
# Kotlin sources from the host build of the same crate and features.
scripts/gen-bindings --release
ls -l android-shim/src/main/jniLibs/*/libakuersi_ffi.so
