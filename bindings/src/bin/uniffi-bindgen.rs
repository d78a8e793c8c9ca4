//! The workspace's own `uniffi-bindgen`, built with exactly the uniffi version
//! the library uses (a mismatched generator produces bindings that fail their
//! checksum checks at load time). `scripts/gen-bindings` runs it; by hand:
//! `cargo run -p akuersi-ffi --features cli --bin uniffi-bindgen -- generate …`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
