//! Animated QR values for channel binding, `AKQR1.<request>.<half>.<counter>.<mac>`:
//! `qr_counter` never panics, finds a counter only in a value for the given
//! request, and reads back the counter of every value `qr_value` makes.
//! Input: request id, a newline, the scanned value.
#![no_main]

use akuersi_fuzz::text;
use akuersi_protocol::wire::{qr_counter, qr_value, QR_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let (request_id, value) = input.split_once('\n').unwrap_or(("", input.as_str()));
    if let Some(counter) = qr_counter(value, request_id) {
        let head = format!("{QR_PREFIX}.{request_id}.");
        assert!(value.starts_with(&head), "counter {counter} from {value:?}");
    }
    // Every value the service makes reads back, for any id without a dot
    // (the service's ids are hex) and any counter.
    if !request_id.contains('.') {
        let counter = value.len() as u64 * 7919 + data.first().copied().unwrap_or(0) as u64;
        for c in [counter, 0, u64::MAX] {
            let v = qr_value(request_id, data, c);
            assert_eq!(qr_counter(&v, request_id), Some(c), "{v:?}");
            if !request_id.is_empty() {
                let other = format!("{request_id}x");
                assert_eq!(qr_counter(&v, &other), None);
            }
        }
    }
});
