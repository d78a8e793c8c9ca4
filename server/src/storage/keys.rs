//! Rotation statements of the service's signing key (public data only; the
//! keys themselves live outside the database, see `crate::keys`).

use akuersi_protocol::service_key::KeyRotation;

use super::Store;
use crate::error::Result;

impl Store<'_> {
    /// Every stored rotation statement, oldest first.
    pub(crate) fn key_rotations(&self) -> Result<Vec<KeyRotation>> {
        self.all(
            "SELECT old_key_id, new_public_key, rotated_at_ms, signature
             FROM key_rotations ORDER BY rotated_at_ms, rowid",
            [],
            |r| {
                Ok(KeyRotation {
                    old_key_id: r.get(0)?,
                    new_public_key: r.get(1)?,
                    rotated_at_ms: r.get(2)?,
                    signature: r.get(3)?,
                })
            },
        )
    }

    /// Store a rotation statement (one per retired key; a second one for the
    /// same key fails).
    pub(crate) fn insert_key_rotation(&self, r: &KeyRotation) -> Result<()> {
        self.exec(
            "INSERT INTO key_rotations(old_key_id, new_public_key, rotated_at_ms, signature)
             VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![r.old_key_id, r.new_public_key, r.rotated_at_ms, r.signature],
        )
    }
}
