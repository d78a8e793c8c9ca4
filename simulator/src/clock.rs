//! A device's view of the shared [`TestClock`]: the same time, plus a skew
//! the demo can set to play a device whose clock is wrong.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use akuersi_protocol::clock::{Clock, TestClock};

/// The shared clock as one device reads it.
#[derive(Debug)]
pub struct DeviceClock {
    base: Arc<TestClock>,
    skew_ms: AtomicI64,
}

impl DeviceClock {
    /// A device clock that agrees with `base`.
    pub fn new(base: Arc<TestClock>) -> Self {
        Self {
            base,
            skew_ms: AtomicI64::new(0),
        }
    }

    /// Make this device's clock run `skew_ms` ahead of the shared clock
    /// (behind it, when negative).
    pub fn set_skew_ms(&self, skew_ms: i64) {
        self.skew_ms.store(skew_ms, Ordering::SeqCst);
    }
}

impl Clock for DeviceClock {
    fn now_ms(&self) -> i64 {
        self.base
            .now_ms()
            .saturating_add(self.skew_ms.load(Ordering::SeqCst))
    }
}
