//! State for operators and tests: a device's lock-out state, the activity
//! log as records, WAL syncs, and a digest of every row.

use akuersi_protocol::crypto::sha256;
use akuersi_protocol::wire::ErrorCode;

use super::{err, Service};
use crate::error::Result;
use crate::lockout::Lock;

/// A device as the service sees it, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device id.
    pub device_id: String,
    /// The identity it belongs to.
    pub identity_id: String,
    /// Its name.
    pub name: String,
    /// "active" or "removed".
    pub status: String,
    /// Consecutive PIN failures (attempts in progress count as failures).
    pub pin_failures: u32,
    /// Lock-out state now.
    pub lock: Lock,
    /// Last time the device was used.
    pub last_used_at_ms: i64,
}

/// One line of an identity's activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// When.
    pub at_ms: i64,
    /// What kind of event.
    pub kind: akuersi_protocol::activity::ActivityKind,
    /// The device involved, if any.
    pub device_id: Option<String>,
    /// The request involved, if any.
    pub request_id: Option<String>,
    /// Description.
    pub detail: String,
}

impl Service {
    /// How many times this service has synced its WAL file to disk (group
    /// commit: one sync covers every commit made before it started). 0 for
    /// an in-memory database or with `synchronous_full = false`. For
    /// benchmarks and operators.
    pub fn wal_syncs(&self) -> u64 {
        self.db.syncs()
    }

    /// A device's state, for operators and tests.
    pub fn device_info(&self, device_id: &str) -> Result<DeviceInfo> {
        let now = self.now_ms();
        let conn = self.db.conn()?;
        let row = conn
            .store()
            .device_info(device_id)?
            .ok_or_else(|| err(ErrorCode::UnknownDevice, "this device is not enrolled"))?;
        Ok(DeviceInfo {
            lock: self
                .config
                .lockout
                .state(row.pin_failures, row.last_pin_attempt_ms, now),
            device_id: row.device_id,
            identity_id: row.identity_id,
            name: row.name,
            status: row.status,
            pin_failures: row.pin_failures,
            last_used_at_ms: row.last_used_at_ms,
        })
    }

    /// An identity's activity log, oldest first.
    pub fn activity(&self, identity_id: &str) -> Result<Vec<ActivityRecord>> {
        let conn = self.db.conn()?;
        let entries = conn.store().activity_entries(identity_id)?;
        Ok(entries
            .into_iter()
            .map(|e| ActivityRecord {
                at_ms: e.at_ms,
                kind: e.kind,
                device_id: e.device_id,
                request_id: e.request_id,
                detail: e.detail,
            })
            .collect())
    }

    /// A hash over every row of every table, for tests that check a refused
    /// message changed nothing.
    pub fn state_digest(&self) -> Result<[u8; 32]> {
        let conn = self.db.conn()?;
        let all = conn.store().dump_state()?;
        Ok(sha256(&[&all]))
    }
}
