//! PIN lock-out, counted per device by the service.
//!
//! The count is raised when a PIN proof *starts* (so it is committed before the
//! proof can be checked, and an abandoned proof counts as a failure) and reset
//! by a successful proof. Whether a device is suspended or blocked follows
//! from the count and the time of the last attempt alone.

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
}

impl Default for LockoutPolicy {
    /// 5 failures: 1 minute; 6: 5 minutes; 7: 15 minutes; 8 and 9: 60 minutes;
    /// 10: blocked.
    fn default() -> Self {
        Self {
            suspend_after: 5,
            block_after: 10,
            suspensions_ms: vec![60_000, 300_000, 900_000, 3_600_000],
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
}
