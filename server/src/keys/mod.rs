//! The service's secret keys, held outside its database.
//!
//! Two keys: the P-256 key that signs activity-log heads and key-rotation
//! statements (there may be several, the newest current), and the HMAC-SHA256
//! key under which activation codes are stored. The service reaches them only
//! through [`KeyProvider`]: a key file ([`FileKeys`]), memory
//! ([`FileKeys::ephemeral`], for demos and tests) or a PKCS#11 token
//! ([`pkcs11::Pkcs11Keys`]). The database never holds private key material.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use akuersi_protocol::crypto::sha256;
use akuersi_protocol::encoding::{b64_decode, b64_encode};
use akuersi_protocol::service_key::service_key_id;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use zeroize::Zeroizing;

use crate::error::{Result, ServiceError};

pub mod pkcs11;

pub use pkcs11::{Pkcs11Config, Pkcs11Keys};

/// Where the service's keys come from.
#[derive(Debug, Clone, Default)]
pub enum KeySource {
    /// A key file beside the database: `<database>.keys`; generated (0600) on
    /// first open. An in-memory database gets in-memory keys. The default.
    #[default]
    BesideDatabase,
    /// This key file; generated (0600) if it does not exist.
    File(PathBuf),
    /// Fresh keys in memory, gone when the process ends (demos, tests).
    Ephemeral,
    /// Keys on a PKCS#11 token.
    Pkcs11(Pkcs11Config),
}

/// One of the service's signing keys, public part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// Its id ([`service_key_id`]).
    pub key_id: String,
    /// Uncompressed P-256 public key.
    pub public_key: Vec<u8>,
}

/// The service's secret keys. Implementations keep the private parts to
/// themselves; every call may block (file or token I/O).
pub trait KeyProvider: Send + Sync {
    /// Every signing key, oldest first; the last one is current.
    fn signing_keys(&self) -> Result<Vec<PublicKeyInfo>>;
    /// Sign `message` (ECDSA P-256 / SHA-256, fixed r ‖ s) with the signing key `key_id`.
    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>>;
    /// HMAC-SHA256 of `message` under the activation-code key.
    fn code_mac(&self, message: &[u8]) -> Result<[u8; 32]>;
    /// Make a new signing key and make it current; the old ones stay usable
    /// for signing the rotation statement. Writes the key store.
    fn add_signing_key(&self) -> Result<PublicKeyInfo>;
}

/// Open the keys `source` names for the database at `db_path`. `legacy` is
/// a PKCS#8 signing key found in an old database: it is written to the key
/// file (with the code key it implied) before the database forgets it.
pub(crate) fn open(
    source: &KeySource,
    db_path: &str,
    legacy: Option<Zeroizing<Vec<u8>>>,
) -> Result<Box<dyn KeyProvider>> {
    let file = match source {
        KeySource::BesideDatabase if db_path == ":memory:" => None,
        KeySource::BesideDatabase => Some(PathBuf::from(format!("{db_path}.keys"))),
        KeySource::File(p) => Some(p.clone()),
        KeySource::Ephemeral => None,
        KeySource::Pkcs11(c) => {
            if legacy.is_some() {
                return Err(legacy_elsewhere());
            }
            return Ok(Box::new(pkcs11::Pkcs11Keys::open(c)?));
        }
    };
    match file {
        Some(path) => Ok(Box::new(FileKeys::open_or_create(&path, legacy)?)),
        None if legacy.is_some() => Err(legacy_elsewhere()),
        None => Ok(Box::new(FileKeys::ephemeral()?)),
    }
}

fn legacy_elsewhere() -> ServiceError {
    ServiceError::internal(
        "this database still holds its service key; open it once with a key file \
         to move the key out",
    )
}

/// The code key an old database implied: SHA-256("akuersi/v1/code-key" ‖ PKCS#8).
fn legacy_code_key(pkcs8: &[u8]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(sha256(&[b"akuersi/v1/code-key", pkcs8]))
}

struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: EcdsaKeyPair,
    info: PublicKeyInfo,
}

impl SigningKey {
    fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| ServiceError::internal("a service signing key is damaged"))?;
        let public_key = pair.public_key().as_ref().to_vec();
        Ok(Self {
            info: PublicKeyInfo {
                key_id: service_key_id(&public_key),
                public_key,
            },
            pkcs8,
            pair,
        })
    }

    fn generate() -> Result<Self> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| ServiceError::internal("key generation failed"))?;
        Self::from_pkcs8(Zeroizing::new(doc.as_ref().to_vec()))
    }
}

struct FileState {
    code_key: Zeroizing<[u8; 32]>,
    signing: Vec<SigningKey>,
}

/// Keys in a private key file (or only in memory).
///
/// The file is text: a header line `akuersi-service-keys 1`, one line
/// `code <base64 of 32 bytes>`, and one line `signing <base64 PKCS#8>` per
/// signing key, oldest first. It is written whole to a temporary file (0600)
/// that is synced and renamed over the old one.
pub struct FileKeys {
    path: Option<PathBuf>,
    state: RwLock<FileState>,
}

const HEADER: &str = "akuersi-service-keys 1";

impl FileKeys {
    /// Fresh keys that live in memory only.
    pub fn ephemeral() -> Result<Self> {
        Ok(Self {
            path: None,
            state: RwLock::new(FileState {
                code_key: Zeroizing::new(random32()?),
                signing: vec![SigningKey::generate()?],
            }),
        })
    }

    /// Read the key file at `path`, or create it (0600) with fresh keys — or
    /// with `legacy`, a signing key moved out of an old database — if it does
    /// not exist. Writes the file when it creates it.
    pub fn open_or_create(path: &Path, legacy: Option<Zeroizing<Vec<u8>>>) -> Result<Self> {
        match std::fs::read(path) {
            Ok(text) => {
                let state = parse(&Zeroizing::new(text))?;
                if let Some(old) = legacy {
                    // A crash between writing the file and the migration
                    // leaves the same key in both; anything else is a mix-up.
                    let old = SigningKey::from_pkcs8(old)?;
                    if !state.signing.iter().any(|k| k.info == old.info) {
                        return Err(ServiceError::internal(
                            "the database's old service key is not in the key file",
                        ));
                    }
                }
                Ok(Self {
                    path: Some(path.to_owned()),
                    state: RwLock::new(state),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let state = match legacy {
                    Some(pkcs8) => FileState {
                        code_key: legacy_code_key(&pkcs8),
                        signing: vec![SigningKey::from_pkcs8(pkcs8)?],
                    },
                    None => FileState {
                        code_key: Zeroizing::new(random32()?),
                        signing: vec![SigningKey::generate()?],
                    },
                };
                write_file(path, &state)?;
                Ok(Self {
                    path: Some(path.to_owned()),
                    state: RwLock::new(state),
                })
            }
            Err(e) => Err(ServiceError::internal(format!(
                "cannot read the key file: {}",
                e.kind()
            ))),
        }
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, FileState>> {
        self.state
            .read()
            .map_err(|_| ServiceError::internal("key state poisoned"))
    }
}

impl KeyProvider for FileKeys {
    fn signing_keys(&self) -> Result<Vec<PublicKeyInfo>> {
        Ok(self
            .read()?
            .signing
            .iter()
            .map(|k| k.info.clone())
            .collect())
    }

    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>> {
        let state = self.read()?;
        let key = state
            .signing
            .iter()
            .find(|k| k.info.key_id == key_id)
            .ok_or_else(|| ServiceError::internal("no such signing key"))?;
        let sig = key
            .pair
            .sign(&SystemRandom::new(), message)
            .map_err(|_| ServiceError::internal("signing failed"))?;
        Ok(sig.as_ref().to_vec())
    }

    fn code_mac(&self, message: &[u8]) -> Result<[u8; 32]> {
        let state = self.read()?;
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, state.code_key.as_ref());
        let tag = ring::hmac::sign(&key, message);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    fn add_signing_key(&self) -> Result<PublicKeyInfo> {
        let mut state = self
            .state
            .write()
            .map_err(|_| ServiceError::internal("key state poisoned"))?;
        let new = SigningKey::generate()?;
        let info = new.info.clone();
        state.signing.push(new);
        if let Some(path) = &self.path {
            if let Err(e) = write_file(path, &state) {
                state.signing.pop();
                return Err(e);
            }
        }
        Ok(info)
    }
}

fn random32() -> Result<[u8; 32]> {
    akuersi_protocol::crypto::random_array()
        .map_err(|_| ServiceError::internal("no randomness for a new key"))
}

fn parse(text: &[u8]) -> Result<FileState> {
    let bad = || ServiceError::internal("the key file is not an akuersi key file");
    let text = std::str::from_utf8(text).map_err(|_| bad())?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(bad());
    }
    let mut code_key = None;
    let mut signing = Vec::new();
    for line in lines {
        let (kind, value) = line.trim().split_once(' ').ok_or_else(bad)?;
        let bytes = Zeroizing::new(b64_decode(value.trim()).map_err(|_| bad())?);
        match kind {
            "code" if code_key.is_none() => {
                let k: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
                code_key = Some(Zeroizing::new(k));
            }
            "signing" => signing.push(SigningKey::from_pkcs8(bytes)?),
            _ => return Err(bad()),
        }
    }
    match (code_key, signing.is_empty()) {
        (Some(code_key), false) => Ok(FileState { code_key, signing }),
        _ => Err(bad()),
    }
}

fn write_file(path: &Path, state: &FileState) -> Result<()> {
    let mut text = Zeroizing::new(format!("{HEADER}\ncode {}\n", b64_encode(&*state.code_key)));
    for k in &state.signing {
        text.push_str("signing ");
        text.push_str(&Zeroizing::new(b64_encode(&k.pkcs8)));
        text.push('\n');
    }
    write_private_atomic(path, text.as_bytes())
}

/// Write `data` to `path` through a synced temporary file created 0600 and
/// renamed over it, so a crash leaves the old file or the new one.
pub(crate) fn write_private_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |what: &str, e: std::io::Error| {
        ServiceError::internal(format!("cannot write the key file ({what}: {})", e.kind()))
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).map_err(|e| io("create", e))?;
    f.write_all(data).map_err(|e| io("write", e))?;
    f.sync_all().map_err(|e| io("sync", e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use akuersi_protocol::crypto::verify_p256;

    #[test]
    fn a_generated_key_file_is_private_and_reopens_to_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.keys");
        let a = FileKeys::open_or_create(&path, None).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = FileKeys::open_or_create(&path, None).unwrap();
        assert_eq!(a.signing_keys().unwrap(), b.signing_keys().unwrap());
        assert_eq!(a.code_mac(b"x").unwrap(), b.code_mac(b"x").unwrap());
        let k = &b.signing_keys().unwrap()[0];
        let sig = a.sign(&k.key_id, b"message").unwrap();
        verify_p256(&k.public_key, b"message", &sig).unwrap();
    }

    #[test]
    fn a_new_signing_key_is_kept_after_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.keys");
        let a = FileKeys::open_or_create(&path, None).unwrap();
        let mac = a.code_mac(b"code").unwrap();
        let old = a.signing_keys().unwrap();
        let new = a.add_signing_key().unwrap();
        let again = FileKeys::open_or_create(&path, None).unwrap();
        let keys = again.signing_keys().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], old[0]);
        assert_eq!(keys[1], new);
        // The code key does not change with the signing key.
        assert_eq!(again.code_mac(b"code").unwrap(), mac);
        assert!(again.sign(&old[0].key_id, b"m").is_ok());
        assert!(again.sign("0000000000000000", b"m").is_err());
    }

    #[test]
    fn a_damaged_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.keys");
        for text in [
            "",
            "akuersi-service-keys 1\n",
            "akuersi-service-keys 1\ncode AAAA\nsigning AAAA\n",
            "something else\n",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(FileKeys::open_or_create(&path, None).is_err(), "{text:?}");
        }
    }
}
