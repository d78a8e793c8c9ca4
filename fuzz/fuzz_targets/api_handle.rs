//! The service's JSON front, `akuersi_server::api::handle`, on an in-memory
//! service: the first byte picks a path (modulo the number of paths plus one,
//! the last being an unknown path), the rest is the body. It must never
//! panic; every answer is 200 with JSON or a well-formed `ErrorBody` whose
//! HTTP status matches its code, and never an internal error.
#![no_main]

use std::sync::Mutex;

use akuersi_fuzz::{check_answer, service, Device, PATHS};
use akuersi_protocol::clock::TestClock;
use akuersi_server::api::handle;
use akuersi_server::Service;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    _clock: std::sync::Arc<TestClock>,
    service: Service,
    runs: u32,
}

/// Rebuilt every so many runs so the database stays small.
const RUNS_PER_SERVICE: u32 = 5_000;

fn fresh() -> Fixture {
    let (clock, service) = service(false);
    // An identity with one device, so that the user ID in the seeds exists.
    Device::enroll(&service);
    Fixture {
        _clock: clock,
        service,
        runs: 0,
    }
}

static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let path = PATHS
        .get(usize::from(selector) % (PATHS.len() + 1))
        .copied()
        .unwrap_or("/v1/no/such/path");
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    if guard.as_ref().is_none_or(|f| f.runs >= RUNS_PER_SERVICE) {
        *guard = Some(fresh());
    }
    let fixture = guard.as_mut().expect("fixture");
    fixture.runs += 1;
    let resp = handle(&fixture.service, path, body);
    check_answer(path, body, &resp);
});
