//! uniffi's Swift generator (sources, C headers and a combined modulemap for
//! an XCFramework), built with the library's uniffi version. Used by
//! `scripts/gen-bindings` and `ios-shim/build-xcframework.sh`.

fn main() {
    uniffi::uniffi_bindgen_swift()
}
