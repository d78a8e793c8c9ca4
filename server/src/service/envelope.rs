//! Device envelopes: every signed device message is checked against the
//! device's key and consumes its sequence number (a replay is refused); a
//! device blocked after too many wrong PINs is refused, except for the proof
//! of the very attempt that blocked it.

use akuersi_protocol::crypto::is_hex_id;
use akuersi_protocol::wire::{DeviceSigned, ErrorCode, PakeProof, PinPurpose, SignedBody};

use super::{err, malformed, Service};
use crate::error::{Result, ServiceError};
use crate::lockout::Lock;
use crate::storage::{DeviceRow, Store};

/// The refusal of a device blocked after too many wrong PINs.
pub(crate) fn blocked_error() -> ServiceError {
    err(
        ErrorCode::DeviceBlocked,
        "this device is blocked after too many wrong PINs; activate it again",
    )
}

impl Service {
    /// A device's PIN lockout state at `now`.
    pub(crate) fn lock_of(&self, device: &DeviceRow, now: i64) -> Lock {
        self.config
            .lockout
            .state(device.pin_failures, device.last_pin_attempt_ms, now)
    }

    /// Refuse a signature of the device over `bytes` that does not verify;
    /// `why` is the refusal's message.
    pub(crate) fn check_signature(
        &self,
        device: &DeviceRow,
        bytes: &[u8],
        signature: &[u8],
        why: &str,
    ) -> Result<()> {
        if self.verified.verify(&device.public_key, bytes, signature) {
            Ok(())
        } else {
            Err(err(ErrorCode::BadSignature, why))
        }
    }

    /// An active device (a removed or unknown one is refused alike).
    pub(crate) fn load_device(tx: &Store<'_>, device_id: &str) -> Result<DeviceRow> {
        let unknown = || err(ErrorCode::UnknownDevice, "this device is not enrolled");
        if !is_hex_id(device_id) {
            return Err(unknown());
        }
        tx.device(device_id)?
            .filter(|d| d.status == "active")
            .ok_or_else(unknown)
    }

    /// Check a device envelope's signature before its write transaction,
    /// outside the database lock (see `precheck`); the transaction's own
    /// check then only confirms it. Reads without waiting; writes nothing.
    pub(crate) fn check_envelope_early<T: SignedBody>(&self, msg: &DeviceSigned<T>) {
        let key = match self.db.peek() {
            Ok(conn) => Self::load_device(&conn.store(), &msg.device_id).map(|d| d.public_key),
            Err(e) => Err(e),
        };
        if let Ok(key) = key {
            let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
            self.verified.check_early(&key, &bytes, &msg.signature);
        }
    }

    /// Check a signed device envelope and consume its sequence number.
    pub(crate) fn authenticate_any<T: SignedBody>(
        &self,
        tx: &Store<'_>,
        msg: &DeviceSigned<T>,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = Self::load_device(tx, &msg.device_id)?;
        let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
        self.check_signature(
            &device,
            &bytes,
            &msg.signature,
            "the device signature does not verify",
        )?;
        let seq = i64::try_from(msg.seq)
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| malformed("seq must be from 1 to 2^63 - 1"))?;
        if seq <= device.last_seq {
            // Safe to tell: the signature verified, so only the device's
            // key holder learns its own high-water mark, and a refused
            // envelope changes nothing.
            return Err(ServiceError {
                last_seq: u64::try_from(device.last_seq).ok(),
                ..err(
                    ErrorCode::Replayed,
                    "this message was already received (sequence number not above the last one)",
                )
            });
        }
        tx.advance_seq(&msg.device_id, seq, now)?;
        Ok(device)
    }

    /// Like [`Self::authenticate`], for a message that carries a PIN proof:
    /// a device that reached the block with this very proof's attempt may
    /// still have the proof checked (a right tenth PIN must succeed).
    pub(crate) fn authenticate_with_proof<T: SignedBody>(
        &self,
        tx: &Store<'_>,
        msg: &DeviceSigned<T>,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = self.authenticate_any(tx, msg, now)?;
        let blocked = self.lock_of(&device, now) == Lock::Blocked;
        if blocked && Self::pin_session(tx, &msg.device_id, purpose, proof, now).is_err() {
            return Err(blocked_error());
        }
        Ok(device)
    }

    /// Check a signed device envelope and consume its sequence number;
    /// refuse a device blocked after too many wrong PINs.
    pub(crate) fn authenticate<T: SignedBody>(
        &self,
        tx: &Store<'_>,
        msg: &DeviceSigned<T>,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = self.authenticate_any(tx, msg, now)?;
        if self.lock_of(&device, now) == Lock::Blocked {
            return Err(blocked_error());
        }
        Ok(device)
    }
}
