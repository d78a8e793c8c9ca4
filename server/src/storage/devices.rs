//! Devices: keys, sequence numbers, PIN verifiers and PIN failure counts.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// What the service checks a device's messages against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceRow {
    /// The identity it belongs to.
    pub(crate) identity_id: String,
    /// Its P-256 public key (uncompressed).
    pub(crate) public_key: Vec<u8>,
    /// Its name.
    pub(crate) name: String,
    /// "active" or "removed".
    pub(crate) status: String,
    /// The highest envelope sequence number received.
    pub(crate) last_seq: i64,
    /// Consecutive PIN failures (attempts in progress count).
    pub(crate) pin_failures: u32,
    /// When the last PIN attempt started.
    pub(crate) last_pin_attempt_ms: i64,
    /// SPAKE2+ verifier record: w0.
    pub(crate) w0: Vec<u8>,
    /// SPAKE2+ verifier record: L.
    pub(crate) l: Vec<u8>,
}

/// A device's PIN verifier as registered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewVerifier<'a> {
    /// SPAKE2+ w0.
    pub(crate) w0: &'a [u8],
    /// SPAKE2+ L.
    pub(crate) l: &'a [u8],
    /// The device's PIN KDF iterations.
    pub(crate) kdf_iterations: u32,
}

/// A device to enroll (active from `now`).
pub(crate) struct NewDevice<'a> {
    /// Its id (derived from its key).
    pub(crate) device_id: &'a str,
    /// The identity it joins.
    pub(crate) identity_id: &'a str,
    /// Its public key.
    pub(crate) public_key: &'a [u8],
    /// Its name.
    pub(crate) name: &'a str,
    /// Its platform.
    pub(crate) platform: &'a str,
    /// Its PIN verifier.
    pub(crate) verifier: NewVerifier<'a>,
    /// Enrolment time (also its last use).
    pub(crate) now_ms: i64,
}

/// A device for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceInfoRow {
    /// The device id.
    pub(crate) device_id: String,
    /// The identity it belongs to.
    pub(crate) identity_id: String,
    /// Its name.
    pub(crate) name: String,
    /// "active" or "removed".
    pub(crate) status: String,
    /// Consecutive PIN failures.
    pub(crate) pin_failures: u32,
    /// When the last PIN attempt started.
    pub(crate) last_pin_attempt_ms: i64,
    /// Last use.
    pub(crate) last_used_at_ms: i64,
}

/// An active device in its identity's device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceListRow {
    /// The device id.
    pub(crate) device_id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its platform.
    pub(crate) platform: String,
    /// Consecutive PIN failures.
    pub(crate) pin_failures: u32,
    /// When the last PIN attempt started.
    pub(crate) last_pin_attempt_ms: i64,
    /// Enrolment time.
    pub(crate) enrolled_at_ms: i64,
    /// Last use.
    pub(crate) last_used_at_ms: i64,
}

impl Store<'_> {
    /// A device, whatever its status.
    pub(crate) fn device(&self, device_id: &str) -> Result<Option<DeviceRow>> {
        self.maybe(
            "SELECT identity_id, public_key, status, last_seq, pin_failures, last_pin_attempt_ms,
                    verifier_w0, verifier_l, name
             FROM devices WHERE device_id = ?1",
            [device_id],
            row_to!(DeviceRow {
                identity_id,
                public_key,
                status,
                last_seq,
                pin_failures,
                last_pin_attempt_ms,
                w0,
                l,
                name
            }),
        )
    }

    /// Record an envelope's sequence number as the device's last, and the use.
    pub(crate) fn advance_seq(&self, device_id: &str, seq: i64, now_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_seq = ?2, last_used_at_ms = ?3 WHERE device_id = ?1",
            params![device_id, seq, now_ms],
        )
    }

    /// Record a PIN attempt: the new failure count and its time.
    pub(crate) fn count_pin_attempt(
        &self,
        device_id: &str,
        failures: u32,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE devices SET pin_failures = ?2, last_pin_attempt_ms = ?3 WHERE device_id = ?1",
            params![device_id, failures, now_ms],
        )
    }

    /// A right PIN: no failures.
    pub(crate) fn reset_pin_failures(&self, device_id: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET pin_failures = 0 WHERE device_id = ?1",
            [device_id],
        )
    }

    /// Record a use of a device.
    pub(crate) fn touch_device(&self, device_id: &str, now_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_used_at_ms = ?2 WHERE device_id = ?1",
            params![device_id, now_ms],
        )
    }

    /// A device's public key (an error if there is no such device).
    pub(crate) fn device_public_key(&self, device_id: &str) -> Result<Vec<u8>> {
        self.value(
            "SELECT public_key FROM devices WHERE device_id = ?1",
            [device_id],
        )
    }

    /// A device's enrolment time (an error if there is no such device).
    pub(crate) fn device_enrolled_at(&self, device_id: &str) -> Result<i64> {
        self.value(
            "SELECT enrolled_at_ms FROM devices WHERE device_id = ?1",
            [device_id],
        )
    }

    /// A device for operators and tests.
    pub(crate) fn device_info(&self, device_id: &str) -> Result<Option<DeviceInfoRow>> {
        self.maybe(
            "SELECT device_id, identity_id, name, status, pin_failures, last_pin_attempt_ms, last_used_at_ms
             FROM devices WHERE device_id = ?1",
            [device_id],
            row_to!(DeviceInfoRow {
                device_id,
                identity_id,
                name,
                status,
                pin_failures,
                last_pin_attempt_ms,
                last_used_at_ms,
            }),
        )
    }

    /// An identity's active devices, oldest first.
    pub(crate) fn active_devices(&self, identity_id: &str) -> Result<Vec<DeviceListRow>> {
        self.all(
            "SELECT device_id, name, platform, pin_failures, last_pin_attempt_ms, enrolled_at_ms, last_used_at_ms
                 FROM devices WHERE identity_id = ?1 AND status = 'active' ORDER BY enrolled_at_ms, device_id",
            [identity_id],
            row_to!(DeviceListRow {
                device_id,
                name,
                platform,
                pin_failures,
                last_pin_attempt_ms,
                enrolled_at_ms,
                last_used_at_ms,
            }),
        )
    }

    /// How many active devices an identity has.
    pub(crate) fn count_active_devices(&self, identity_id: &str) -> Result<u32> {
        self.value(
            "SELECT count(*) FROM devices WHERE identity_id = ?1 AND status = 'active'",
            [identity_id],
        )
    }

    /// The name of an active device of the identity.
    pub(crate) fn active_device_name(
        &self,
        device_id: &str,
        identity_id: &str,
    ) -> Result<Option<String>> {
        self.maybe_value(
            "SELECT name FROM devices WHERE device_id = ?1 AND identity_id = ?2 AND status = 'active'",
            params![device_id, identity_id],
        )
    }

    /// Rename an active device of the identity; false if there is none.
    pub(crate) fn rename_device(
        &self,
        device_id: &str,
        identity_id: &str,
        name: &str,
    ) -> Result<bool> {
        let n = self.changed(
            "UPDATE devices SET name = ?3 WHERE device_id = ?1 AND identity_id = ?2 AND status = 'active'",
            params![device_id, identity_id, name],
        )?;
        Ok(n == 1)
    }

    /// Mark a device removed.
    pub(crate) fn remove_device(&self, device_id: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET status = 'removed' WHERE device_id = ?1",
            [device_id],
        )
    }

    /// Whether a device with this id was ever enrolled.
    pub(crate) fn device_exists(&self, device_id: &str) -> Result<bool> {
        self.value(
            "SELECT EXISTS(SELECT 1 FROM devices WHERE device_id = ?1)",
            [device_id],
        )
    }

    /// A device's identity and status, if it was ever enrolled.
    pub(crate) fn device_owner(&self, device_id: &str) -> Result<Option<(String, String)>> {
        self.maybe(
            "SELECT identity_id, status FROM devices WHERE device_id = ?1",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Insert a new active device.
    pub(crate) fn insert_device(&self, d: &NewDevice<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO devices(device_id, identity_id, public_key, name, platform, status,
                enrolled_at_ms, last_used_at_ms, verifier_w0, verifier_l, kdf_iterations)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?6, ?7, ?8, ?9)",
            params![
                d.device_id,
                d.identity_id,
                d.public_key,
                d.name,
                d.platform,
                d.now_ms,
                d.verifier.w0,
                d.verifier.l,
                d.verifier.kdf_iterations
            ],
        )
    }

    /// Re-activate a device: no failures, a new verifier and name.
    pub(crate) fn reactivate_device(
        &self,
        device_id: &str,
        verifier: NewVerifier<'_>,
        name: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE devices SET pin_failures = 0, last_pin_attempt_ms = 0, verifier_w0 = ?2,
                        verifier_l = ?3, kdf_iterations = ?4, last_used_at_ms = ?5, name = ?6
                     WHERE device_id = ?1",
            params![
                device_id,
                verifier.w0,
                verifier.l,
                verifier.kdf_iterations,
                now_ms,
                name
            ],
        )
    }

    /// Replace a device's PIN verifier.
    pub(crate) fn set_verifier(&self, device_id: &str, verifier: NewVerifier<'_>) -> Result<()> {
        self.exec(
            "UPDATE devices SET verifier_w0 = ?2, verifier_l = ?3, kdf_iterations = ?4 WHERE device_id = ?1",
            params![device_id, verifier.w0, verifier.l, verifier.kdf_iterations],
        )
    }

    /// Replace a device's public key (tests of what a changed key does).
    #[cfg(test)]
    pub(crate) fn replace_public_key(&self, device_id: &str, public_key: &[u8]) -> Result<()> {
        self.exec(
            "UPDATE devices SET public_key = ?2 WHERE device_id = ?1",
            params![device_id, public_key],
        )
    }
}
