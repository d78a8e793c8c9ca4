//! Traits the platform implements (Android Keystore, Secure Enclave, the
//! platform's HTTP stack), and the small newtypes that bridge each to the
//! core's trait of the same name.

use std::sync::Arc;

use akuersi_core::keystore as core_keys;
use akuersi_core::transport::{self as core_transport, TransportError, TransportResponse};
use zeroize::Zeroizing;

use crate::error::AkuersiError;

/// Generates and holds the device's P-256 signing keys by alias, and signs
/// with them. Implement it over Android Keystore (StrongBox where available)
/// or the Secure Enclave so that the private key never leaves the hardware.
///
/// Every method is called on the thread that called into `Akuersi`
/// (never the main thread, if the shell keeps to the rules) and may block,
/// e.g. for a biometric prompt. Return [`AkuersiError::KeyStore`] on failure;
/// the core then changes nothing and returns that error to the caller.
#[uniffi::export(foreign)]
pub trait KeyStore: Send + Sync {
    /// Create a new key under `alias` and return its public key as a 65-byte
    /// uncompressed SEC1 point (`0x04 ‖ x ‖ y`). Fail if the alias exists.
    fn generate(&self, alias: String) -> Result<Vec<u8>, AkuersiError>;
    /// The public key stored under `alias` (65-byte uncompressed SEC1).
    fn public_key(&self, alias: String) -> Result<Vec<u8>, AkuersiError>;
    /// Sign `message` with ECDSA P-256 / SHA-256 (the implementation hashes)
    /// and return the 64-byte fixed-size signature `r ‖ s` (not DER).
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, AkuersiError>;
    /// Delete the key; no error if it does not exist.
    fn delete(&self, alias: String) -> Result<(), AkuersiError>;
}

/// Seals and opens small secrets (the 32-byte device secret, and the
/// software key when no [`KeyStore`] is given) with a wrapping key the
/// platform protects, e.g. an AES-GCM key in Android Keystore or the Keychain.
///
/// `open` hands the plaintext back to Rust, which wipes its copy after use;
/// the platform should not keep one. Calls may block. Return
/// [`AkuersiError::Vault`] on failure.
#[uniffi::export(foreign)]
pub trait SecretVault: Send + Sync {
    /// Encrypt and authenticate `plaintext`, bound to `label` (use the label
    /// as associated data, so a sealed value cannot be moved to another label).
    fn seal(&self, label: String, plaintext: Vec<u8>) -> Result<Vec<u8>, AkuersiError>;
    /// Decrypt what `seal` produced under the same label; fail if it was
    /// tampered with or sealed under another label.
    fn open(&self, label: String, sealed: Vec<u8>) -> Result<Vec<u8>, AkuersiError>;
}

/// Sends one protocol message to the identity service over the platform's
/// HTTP stack: `POST {base URL}{path}` with `Content-Type: application/json`,
/// and hand back the status and body whatever the status is (the core reads
/// the service's error bodies itself).
///
/// `post` blocks until the answer comes; it is called off the main thread.
/// Return [`AkuersiError::Network`] when the service cannot be reached or does
/// not answer in time (use a timeout of your own, e.g. 30 s). The core
/// changes nothing on a network failure, so the call can simply be retried.
#[uniffi::export(rust, foreign)]
pub trait Transport: Send + Sync {
    /// Send `body` (JSON) to `path` (e.g. `/v1/device/pending`) and return
    /// the answer.
    fn post(&self, path: String, body: Vec<u8>) -> Result<TransportResponse, AkuersiError>;
}

/// A platform [`KeyStore`] seen as the core's key store.
pub(crate) struct KeyStoreBridge(pub(crate) Arc<dyn KeyStore>);

fn key_error(e: AkuersiError) -> akuersi_core::Error {
    match e {
        AkuersiError::KeyStore { reason } => akuersi_core::Error::KeyStore(reason),
        AkuersiError::ReentrantCall => akuersi_core::Error::Reentrant,
        other => akuersi_core::Error::KeyStore(other.to_string()),
    }
}

fn vault_error(e: AkuersiError) -> akuersi_core::Error {
    match e {
        AkuersiError::Vault { reason } => akuersi_core::Error::Vault(reason),
        AkuersiError::ReentrantCall => akuersi_core::Error::Reentrant,
        other => akuersi_core::Error::Vault(other.to_string()),
    }
}

impl core_keys::KeyStore for KeyStoreBridge {
    fn generate(&self, alias: &str) -> akuersi_core::Result<Vec<u8>> {
        let public = self.0.generate(alias.to_owned()).map_err(key_error)?;
        check_public_key(&public)?;
        Ok(public)
    }

    fn public_key(&self, alias: &str) -> akuersi_core::Result<Vec<u8>> {
        let public = self.0.public_key(alias.to_owned()).map_err(key_error)?;
        check_public_key(&public)?;
        Ok(public)
    }

    fn sign(&self, alias: &str, message: &[u8]) -> akuersi_core::Result<Vec<u8>> {
        let sig = self
            .0
            .sign(alias.to_owned(), message.to_vec())
            .map_err(key_error)?;
        if sig.len() != 64 {
            return Err(akuersi_core::Error::KeyStore(format!(
                "the platform key store returned a {}-byte signature; r ‖ s has 64 bytes (convert DER first)",
                sig.len()
            )));
        }
        Ok(sig)
    }

    fn delete(&self, alias: &str) -> akuersi_core::Result<()> {
        self.0.delete(alias.to_owned()).map_err(key_error)
    }
}

fn check_public_key(public: &[u8]) -> akuersi_core::Result<()> {
    if public.len() != 65 || public[0] != 0x04 {
        return Err(akuersi_core::Error::KeyStore(format!(
            "the platform key store returned a {}-byte public key; a P-256 key is 65 bytes, uncompressed (0x04 ‖ x ‖ y)",
            public.len()
        )));
    }
    Ok(())
}

/// A platform [`SecretVault`] seen as the core's vault.
pub(crate) struct VaultBridge(pub(crate) Arc<dyn SecretVault>);

impl core_keys::SecretVault for VaultBridge {
    fn seal(&self, label: &str, plaintext: &[u8]) -> akuersi_core::Result<Vec<u8>> {
        self.0
            .seal(label.to_owned(), plaintext.to_vec())
            .map_err(vault_error)
    }

    fn open(&self, label: &str, sealed: &[u8]) -> akuersi_core::Result<Zeroizing<Vec<u8>>> {
        self.0
            .open(label.to_owned(), sealed.to_vec())
            .map(Zeroizing::new)
            .map_err(vault_error)
    }
}

/// A platform [`Transport`] seen as the core's transport. Any failure of the
/// platform's call is a network failure to the core.
pub(crate) struct TransportBridge(pub(crate) Arc<dyn Transport>);

impl core_transport::Transport for TransportBridge {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        self.0
            .post(path.to_owned(), body)
            .map_err(|e| TransportError {
                reason: match e {
                    AkuersiError::Network { reason } => reason,
                    other => other.to_string(),
                },
            })
    }
}
