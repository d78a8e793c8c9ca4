//! The reference identity service: identities, devices, requests, PIN proofs
//! and decisions. Every state change is one SQLite transaction; a refused
//! message changes nothing, except where the refusal itself must be recorded
//! (a counted PIN attempt, a wrong activation code).
//!
//! By concern:
//! - [`config`]: the service's settings;
//! - `identities`: identities and activation codes (operator calls);
//! - `requests`: a request's life: create, poll, cancel, lapse, list;
//! - `requesters`: the requester registry and signed requester calls;
//! - `envelope`: device envelopes: signature and sequence number;
//! - `pin`: SPAKE2+ PIN proofs and the lock-out count;
//! - `decide`: a device's signed decision;
//! - [`enrollment`], [`devices`], [`freeze`], [`settings`], [`channel`]:
//!   activation, device care, freezing, what the owner changes with the
//!   PIN, channel binding;
//! - `diagnostics`: state for operators and tests;
//! - `precheck`: signature work done before the write transaction.
//!
//! Every SQL statement lives in the crate's `storage` module.

use akuersi_protocol::activity::ActivityKind;
use std::sync::Arc;

use std::sync::RwLock;

use akuersi_protocol::activity::{entry_hash, GENESIS};
use akuersi_protocol::clock::Clock;
use akuersi_protocol::service_key::{rotation_bytes, KeyRotation};
use akuersi_protocol::wire::ErrorCode;
use zeroize::Zeroizing;

use crate::error::{Result, ServiceError};
use crate::keys::{KeyProvider, PublicKeyInfo};
use crate::storage::{Db, NewActivity, Outcome, Store};

pub mod channel;
pub mod config;
mod decide;
pub mod devices;
mod diagnostics;
pub mod enrollment;
mod envelope;
pub mod freeze;
mod identities;
mod pin;
pub(crate) mod precheck;
mod requesters;
mod requests;
pub mod retention;
pub mod settings;

#[cfg(test)]
mod requester_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use config::ServiceConfig;
pub use diagnostics::{ActivityRecord, DeviceInfo};
pub(crate) use identities::{normalize_code, CODE_MAX_FAILURES};

use precheck::Verified;

/// The error for anything a frozen identity cannot do.
pub(crate) fn frozen_error() -> ServiceError {
    err(
        ErrorCode::IdentityFrozen,
        "this identity is frozen; unfreeze it with the PIN and a second proof, or call support",
    )
}

/// The reference identity service. `Send + Sync`; calls block on SQLite.
pub struct Service {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ServiceConfig,
    /// The signing keys and the activation-code key, held outside the
    /// database (key file, memory or PKCS#11 token).
    pub(crate) keys: Box<dyn KeyProvider>,
    /// The current signing key's public part (the provider's newest).
    current_key: RwLock<PublicKeyInfo>,
    /// Signatures checked before their write transaction (`precheck`).
    pub(crate) verified: Verified,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

pub(crate) fn err(code: ErrorCode, message: &str) -> ServiceError {
    ServiceError::new(code, message)
}

pub(crate) fn malformed(message: &str) -> ServiceError {
    err(ErrorCode::Malformed, message)
}

/// Append an entry to the identity's hash-chained activity log.
pub(crate) fn log(
    tx: &Store<'_>,
    identity_id: &str,
    at_ms: i64,
    kind: ActivityKind,
    device_id: Option<&str>,
    request_id: Option<&str>,
    detail: &str,
) -> Result<()> {
    let (last_seq, prev): (u64, Vec<u8>) = tx
        .activity_head(identity_id)?
        .unwrap_or((0, GENESIS.to_vec()));
    let seq = last_seq + 1;
    let hash = entry_hash(
        identity_id,
        seq,
        at_ms,
        kind,
        device_id,
        request_id,
        detail,
        &prev,
    );
    tx.insert_activity(&NewActivity {
        identity_id,
        seq,
        at_ms,
        kind: kind.as_str(),
        device_id,
        request_id,
        detail,
        prev_hash: &prev,
        hash: &hash,
    })
}

/// The PKCS#8 signing key an old database kept in its `service_key`
/// table, read before the migration that drops the table (2) runs.
fn legacy_key(path: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    use rusqlite::OptionalExtension;
    if path == ":memory:" || !std::path::Path::new(path).exists() {
        return Ok(None);
    }
    let conn = rusqlite::Connection::open(path)?;
    // By the table, not the schema version, so the check holds whatever
    // number the migration that drops it ends up with.
    let has_table: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'service_key'",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    let key: Option<Vec<u8>> = conn
        .query_row("SELECT pkcs8 FROM service_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(key.map(Zeroizing::new))
}

impl Service {
    /// Open (or create) the service's database at `path` (`":memory:"` for a
    /// private in-memory one) and run migrations.
    pub fn open(path: &str, clock: Arc<dyn Clock>, config: ServiceConfig) -> Result<Self> {
        // An old database's key goes to the key file before the migration
        // that deletes it runs.
        let legacy = legacy_key(path)?;
        let moved = legacy.is_some();
        let keys = crate::keys::open(&config.keys, path, legacy)?;
        Self::open_with_keys(path, clock, config, keys, moved)
    }

    fn open_with_keys(
        path: &str,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
        keys: Box<dyn KeyProvider>,
        moved: bool,
    ) -> Result<Self> {
        let db = Db::open(path, config.synchronous_full)?;
        if moved {
            // The deleted key row's pages were zeroed; leave no WAL frame
            // that still holds them.
            db.checkpoint_truncate()?;
        }
        let current = keys
            .signing_keys()?
            .pop()
            .ok_or_else(|| ServiceError::internal("the key store has no signing key"))?;
        let service = Self {
            db,
            clock,
            config,
            keys,
            current_key: RwLock::new(current),
            verified: Verified::default(),
        };
        service.sign_missing_rotations()?;
        Ok(service)
    }

    /// The service's current public key (uncompressed P-256), which signs
    /// activity-log heads.
    pub fn public_key(&self) -> Vec<u8> {
        self.current_key().public_key
    }

    /// The current signing key's id and public key.
    pub fn current_key(&self) -> PublicKeyInfo {
        match self.current_key.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Every rotation statement of the service key, oldest first.
    pub fn key_rotations(&self) -> Result<Vec<KeyRotation>> {
        self.db.conn()?.store().key_rotations()
    }

    /// Rotate the signing key: the key provider makes a new key, and the key
    /// it replaces signs a rotation statement for it, which apps receive
    /// with the activity log. Writes the key store, then the database (a
    /// crash in between is completed on the next open).
    pub fn rotate_key(&self) -> Result<KeyRotation> {
        let new = self.keys.add_signing_key()?;
        self.sign_missing_rotations()?;
        self.key_rotations()?
            .into_iter()
            .find(|r| r.new_public_key == new.public_key)
            .ok_or_else(|| ServiceError::internal("the rotation was not stored"))
    }

    /// For each signing key the provider holds after the first, make sure
    /// the key before it signed a rotation statement for it; then make the
    /// newest key current. Writes state when a statement is missing.
    fn sign_missing_rotations(&self) -> Result<()> {
        let keys = self.keys.signing_keys()?;
        let now = self.now_ms();
        let stored = self.key_rotations()?;
        for pair in keys.windows(2) {
            let (old, new) = (&pair[0], &pair[1]);
            if stored.iter().any(|r| r.old_key_id == old.key_id) {
                continue;
            }
            let signature = self.keys.sign(
                &old.key_id,
                &rotation_bytes(&old.key_id, &new.public_key, now),
            )?;
            let rotation = KeyRotation {
                old_key_id: old.key_id.clone(),
                new_public_key: new.public_key.clone(),
                rotated_at_ms: now,
                signature,
            };
            self.db.write(|tx| {
                tx.insert_key_rotation(&rotation)?;
                Ok(Outcome::Done(()))
            })?;
        }
        if let Some(newest) = keys.last() {
            let mut current = self
                .current_key
                .write()
                .map_err(|_| ServiceError::internal("key state poisoned"))?;
            *current = newest.clone();
        }
        Ok(())
    }

    /// The service's settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The service's clock now.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn is_frozen(&self, tx: &Store<'_>, identity_id: &str) -> Result<bool> {
        tx.is_frozen(identity_id)
    }
}
