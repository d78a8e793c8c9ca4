//! Unfreeze proofs: the first of the two proofs an unfreeze needs.

use rusqlite::params;

use super::Store;
use crate::error::Result;

impl Store<'_> {
    /// Forget every unfreeze proof of an identity.
    pub(crate) fn clear_unfreeze_proofs(&self, identity_id: &str) -> Result<()> {
        self.exec(
            "DELETE FROM unfreeze_proofs WHERE identity_id = ?1",
            [identity_id],
        )
    }

    /// An active device other than `device_id` that gave an unfreeze proof
    /// after `since_ms`.
    pub(crate) fn other_unfreeze_proof(
        &self,
        identity_id: &str,
        device_id: &str,
        since_ms: i64,
    ) -> Result<Option<String>> {
        self.maybe_value(
            "SELECT p.device_id FROM unfreeze_proofs p JOIN devices d ON d.device_id = p.device_id
                     WHERE p.identity_id = ?1 AND p.device_id != ?2 AND p.at_ms > ?3 AND d.status = 'active'",
            params![identity_id, device_id, since_ms],
        )
    }

    /// Record (or renew) a device's unfreeze proof.
    pub(crate) fn put_unfreeze_proof(
        &self,
        identity_id: &str,
        device_id: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO unfreeze_proofs(identity_id, device_id, at_ms) VALUES (?1, ?2, ?3)",
            params![identity_id, device_id, now_ms],
        )
    }
}
