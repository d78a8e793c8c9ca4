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

use akuersi_protocol::activity::{entry_hash, GENESIS};
use akuersi_protocol::clock::Clock;
use akuersi_protocol::crypto::sha256;
use akuersi_protocol::wire::ErrorCode;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::error::{Result, ServiceError};
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
    /// Signs activity-log heads. Generated on first open and kept in the database.
    pub(crate) key: EcdsaKeyPair,
    /// Keys the stored hashes of activation codes (derived from the service key).
    code_key: [u8; 32],
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

/// Load or create the service's signing key (one transaction).
fn load_or_create_key(db: &Db) -> Result<(EcdsaKeyPair, [u8; 32])> {
    let rng = SystemRandom::new();
    let pkcs8: Vec<u8> = db.write(|tx| {
        if let Some(k) = tx.service_key()? {
            return Ok(Outcome::Done(k));
        }
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| ServiceError::internal("key generation failed"))?;
        let k = doc.as_ref().to_vec();
        tx.insert_service_key(&k)?;
        Ok(Outcome::Done(k))
    })?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
        .map_err(|_| ServiceError::internal("stored service key is damaged"))?;
    Ok((pair, sha256(&[b"akuersi/v1/code-key", &pkcs8])))
}

impl Service {
    /// Open (or create) the service's database at `path` (`":memory:"` for a
    /// private in-memory one) and run migrations.
    pub fn open(path: &str, clock: Arc<dyn Clock>, config: ServiceConfig) -> Result<Self> {
        let db = Db::open(path, config.synchronous_full)?;
        let (key, code_key) = load_or_create_key(&db)?;
        Ok(Self {
            db,
            clock,
            config,
            key,
            code_key,
            verified: Verified::default(),
        })
    }

    /// The service's public key (uncompressed P-256), which signs activity-log heads.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
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
