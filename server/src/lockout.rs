//! PIN lock-out, counted per device by the service.
//!
//! The count is raised when a PIN proof *starts* (so it is committed before the
//! proof can be checked, and an abandoned proof counts as a failure) and reset
//! by a successful proof. Whether a device is suspended or blocked follows
//! from the count and the time of the last attempt alone.
//!
//! On top of that consecutive count there is a failure budget that a correct
//! proof does not refill: every attempt that did not end in a correct proof
//! stays counted for a rolling window. A new attempt starts from the larger
//! of the consecutive count and the device's count in the last 24 hours, so
//! approvals between guesses do not launder them; 20 in 30 days block the
//! device; 15 on all of an identity's devices in 24 hours suspend every one
//! of them until the oldest leaves the window. See docs/THREAT_MODEL.md §4.4
//! for the reasoning behind the numbers.

/// The lock-out schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures after which each further failure suspends the device.
    pub suspend_after: u32,
    /// Consecutive failures after which the device is blocked until re-activated.
    pub block_after: u32,
    /// Suspension lengths in milliseconds: the first for `suspend_after`
    /// failures, the next for one more, …; the last repeats.
    pub suspensions_ms: Vec<i64>,
    /// The short rolling window, in milliseconds: the device's counted
    /// failures in it are a floor for the consecutive count.
    pub window_ms: i64,
    /// The long rolling window, in milliseconds.
    pub long_window_ms: i64,
    /// Counted failures of one device in the long window that block it.
    pub device_long_limit: u32,
    /// Counted failures on all of an identity's devices in the short window
    /// that suspend every one of them until the oldest leaves the window.
    pub identity_window_limit: u32,
}

impl Default for LockoutPolicy {
    /// 5 failures: 1 minute; 6: 5 minutes; 7: 15 minutes; 8 and 9: 60 minutes;
    /// 10: blocked. Windows: 24 hours per device (a floor for that count),
    /// 20 per device in 30 days (blocked), 15 per identity in 24 hours
    /// (suspended).
    fn default() -> Self {
        Self {
            suspend_after: 5,
            block_after: 10,
            suspensions_ms: vec![60_000, 300_000, 900_000, 3_600_000],
            window_ms: 24 * 3_600_000,
            long_window_ms: 30 * 24 * 3_600_000,
            device_long_limit: 20,
            identity_window_limit: 15,
        }
    }
}

/// A device's lock-out state at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The device may try a PIN.
    Open,
    /// The device may try again at `until_ms`.
    Suspended {
        /// End of the suspension.
        until_ms: i64,
    },
    /// The device needs a new activation.
    Blocked,
}

impl LockoutPolicy {
    /// The state after `failures` consecutive failures, the last at `last_attempt_ms`.
    pub fn state(&self, failures: u32, last_attempt_ms: i64, now_ms: i64) -> Lock {
        if failures >= self.block_after {
            return Lock::Blocked;
        }
        if failures < self.suspend_after || self.suspensions_ms.is_empty() {
            return Lock::Open;
        }
        let i = ((failures - self.suspend_after) as usize).min(self.suspensions_ms.len() - 1);
        let until_ms = last_attempt_ms.saturating_add(self.suspensions_ms[i]);
        if now_ms < until_ms {
            Lock::Suspended { until_ms }
        } else {
            Lock::Open
        }
    }

    /// The count a new attempt sets, committed at pin-start: one more than the
    /// larger of the consecutive count and the device's counted failures in
    /// the short window (`in_window`), or the block when the attempt makes
    /// `device_long_limit` in the long window (`in_long_window` before it).
    pub fn count_at_start(&self, consecutive: u32, in_window: u32, in_long_window: u32) -> u32 {
        let count = consecutive.max(in_window).saturating_add(1);
        if in_long_window.saturating_add(1) >= self.device_long_limit {
            count.max(self.block_after)
        } else {
            count
        }
    }

    /// Whether the identity's budget lets any of its devices start a PIN
    /// attempt: `in_window` counted failures on all its devices in the short
    /// window, the oldest started at `oldest_ms`.
    pub fn identity_state(&self, in_window: u32, oldest_ms: Option<i64>, now_ms: i64) -> Lock {
        match oldest_ms {
            Some(oldest) if in_window >= self.identity_window_limit => {
                let until_ms = oldest.saturating_add(self.window_ms);
                if now_ms < until_ms {
                    Lock::Suspended { until_ms }
                } else {
                    Lock::Open
                }
            }
            _ => Lock::Open,
        }
    }

    /// Attempts left before the block, after `failures` failures.
    pub fn attempts_left(&self, failures: u32) -> u32 {
        self.block_after.saturating_sub(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule() {
        let p = LockoutPolicy::default();
        assert_eq!(p.state(4, 0, 1), Lock::Open);
        assert_eq!(p.state(5, 0, 1), Lock::Suspended { until_ms: 60_000 });
        assert_eq!(p.state(5, 0, 60_000), Lock::Open);
        assert_eq!(p.state(6, 0, 1), Lock::Suspended { until_ms: 300_000 });
        assert_eq!(p.state(7, 0, 1), Lock::Suspended { until_ms: 900_000 });
        assert_eq!(
            p.state(8, 0, 1),
            Lock::Suspended {
                until_ms: 3_600_000
            }
        );
        assert_eq!(
            p.state(9, 0, 1),
            Lock::Suspended {
                until_ms: 3_600_000
            }
        );
        assert_eq!(p.state(10, 0, i64::MAX), Lock::Blocked);
        assert_eq!(p.attempts_left(3), 7);
        assert_eq!(p.attempts_left(12), 0);
    }

    #[test]
    fn the_window_is_a_floor_that_success_does_not_lower() {
        let p = LockoutPolicy::default();
        // 4 failures, then a right PIN reset the consecutive count: the next
        // attempt is still the 5th in the window.
        assert_eq!(p.count_at_start(0, 4, 4), 5);
        assert_eq!(p.count_at_start(7, 4, 4), 8);
        // The 20th counted failure in 30 days blocks, whatever the rest.
        assert_eq!(p.count_at_start(0, 0, 18), 1);
        assert_eq!(p.count_at_start(0, 0, 19), 10);
        assert_eq!(p.state(p.count_at_start(0, 0, 19), 0, 1), Lock::Blocked);
    }

    #[test]
    fn the_identity_budget_suspends_until_the_oldest_leaves() {
        let p = LockoutPolicy::default();
        assert_eq!(p.identity_state(14, Some(1_000), 2_000), Lock::Open);
        assert_eq!(
            p.identity_state(15, Some(1_000), 2_000),
            Lock::Suspended {
                until_ms: 1_000 + 24 * 3_600_000
            }
        );
        assert_eq!(
            p.identity_state(15, Some(1_000), 1_000 + 24 * 3_600_000),
            Lock::Open
        );
        assert_eq!(p.identity_state(15, None, 0), Lock::Open);
    }
}
