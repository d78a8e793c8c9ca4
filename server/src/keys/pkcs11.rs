//! The service's keys on a PKCS#11 token (an HSM; SoftHSM2 in the tests).
//!
//! Signing keys are EC P-256 key pairs labelled `<label>-signing`, ordered by
//! their `CKA_ID` (a big-endian counter); they sign with `CKM_ECDSA` over the
//! SHA-256 of the message. The activation-code key is a generic secret
//! labelled `<label>-code` used with `CKM_SHA256_HMAC`. Private keys are
//! created sensitive and not extractable. Keys missing on first use are
//! generated on the token.

use std::path::PathBuf;
use std::sync::Mutex;

use akuersi_protocol::crypto::sha256;
use akuersi_protocol::service_key::service_key_id;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use super::{KeyProvider, PublicKeyInfo};
use crate::error::{Result, ServiceError};

/// DER of the P-256 curve's OID (secp256r1), for `CKA_EC_PARAMS`.
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

/// Which token and keys to use.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// Path of the PKCS#11 module (for SoftHSM2 on Debian:
    /// `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// Label of the token.
    pub token_label: String,
    /// The token's user PIN.
    pub pin: Zeroizing<String>,
    /// Label prefix of the service's keys (`akuersi` by default).
    pub key_label: String,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<hidden>")
            .field("key_label", &self.key_label)
            .finish()
    }
}

struct TokenKey {
    id: Vec<u8>,
    private: ObjectHandle,
    info: PublicKeyInfo,
}

struct TokenState {
    session: Session,
    signing: Vec<TokenKey>,
    code: ObjectHandle,
}

/// Keys on a PKCS#11 token, used through one logged-in session.
pub struct Pkcs11Keys {
    state: Mutex<TokenState>,
    label: String,
    // Kept so the library stays loaded while the session lives.
    _context: Pkcs11,
}

fn token_err(what: &str) -> impl Fn(cryptoki::error::Error) -> ServiceError + '_ {
    move |e| ServiceError::internal(format!("PKCS#11 {what}: {e}"))
}

impl Pkcs11Keys {
    /// Load the module, log in to the token, and find (or generate) the keys.
    /// Blocks on the token.
    pub fn open(config: &Pkcs11Config) -> Result<Self> {
        let context = Pkcs11::new(&config.module).map_err(token_err("load the module"))?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::CryptokiAlreadyInitialized,
                _,
            )) => {}
            Err(e) => return Err(token_err("initialize")(e)),
        }
        let slot = context
            .get_slots_with_token()
            .map_err(token_err("list slots"))?
            .into_iter()
            .find(|s| {
                context
                    .get_token_info(*s)
                    .is_ok_and(|t| t.label().trim_end() == config.token_label)
            })
            .ok_or_else(|| ServiceError::internal("PKCS#11: no token with that label"))?;
        let session = context
            .open_rw_session(slot)
            .map_err(token_err("open a session"))?;
        let pin = AuthPin::new(config.pin.as_str().into());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) => {}
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            Err(e) => return Err(token_err("log in")(e)),
        }
        let label = config.key_label.clone();
        let mut signing = find_signing_keys(&session, &label)?;
        if signing.is_empty() {
            signing.push(generate_signing_key(&session, &label, 1)?);
        }
        let code = match session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(format!("{label}-code").into_bytes()),
            ])
            .map_err(token_err("find the code key"))?
            .first()
        {
            Some(h) => *h,
            None => session
                .generate_key(
                    &Mechanism::GenericSecretKeyGen,
                    &[
                        Attribute::Token(true),
                        Attribute::Private(true),
                        Attribute::Sensitive(true),
                        Attribute::Extractable(false),
                        Attribute::Sign(true),
                        Attribute::Verify(true),
                        Attribute::KeyType(KeyType::GENERIC_SECRET),
                        Attribute::ValueLen(32.into()),
                        Attribute::Label(format!("{label}-code").into_bytes()),
                    ],
                )
                .map_err(token_err("generate the code key"))?,
        };
        Ok(Self {
            state: Mutex::new(TokenState {
                session,
                signing,
                code,
            }),
            label,
            _context: context,
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, TokenState>> {
        self.state
            .lock()
            .map_err(|_| ServiceError::internal("token state poisoned"))
    }
}

fn find_signing_keys(session: &Session, label: &str) -> Result<Vec<TokenKey>> {
    let label = format!("{label}-signing").into_bytes();
    let privates = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.clone()),
        ])
        .map_err(token_err("find signing keys"))?;
    let mut keys = Vec::new();
    for private in privates {
        let id = match session
            .get_attributes(private, &[AttributeType::Id])
            .map_err(token_err("read a key id"))?
            .pop()
        {
            Some(Attribute::Id(id)) => id,
            _ => return Err(ServiceError::internal("PKCS#11: a signing key has no id")),
        };
        let public = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Label(label.clone()),
                Attribute::Id(id.clone()),
            ])
            .map_err(token_err("find a public key"))?
            .first()
            .copied()
            .ok_or_else(|| ServiceError::internal("PKCS#11: a signing key has no public key"))?;
        let info = public_info(session, public)?;
        keys.push(TokenKey { id, private, info });
    }
    // Ids are big-endian counters: the longest, then largest, is the newest.
    keys.sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
    Ok(keys)
}

fn public_info(session: &Session, public: ObjectHandle) -> Result<PublicKeyInfo> {
    let point = match session
        .get_attributes(public, &[AttributeType::EcPoint])
        .map_err(token_err("read a public key"))?
        .pop()
    {
        Some(Attribute::EcPoint(p)) => p,
        _ => return Err(ServiceError::internal("PKCS#11: no EC point")),
    };
    // CKA_EC_POINT is the DER OCTET STRING around the uncompressed point.
    let raw = match point.as_slice() {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest.to_vec(),
        p if p.len() == 65 && p[0] == 0x04 => p.to_vec(),
        _ => return Err(ServiceError::internal("PKCS#11: not a P-256 point")),
    };
    Ok(PublicKeyInfo {
        key_id: service_key_id(&raw),
        public_key: raw,
    })
}

fn generate_signing_key(session: &Session, label: &str, counter: u32) -> Result<TokenKey> {
    let label = format!("{label}-signing").into_bytes();
    let id = counter.to_be_bytes().to_vec();
    let (public, private) = session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::KeyType(KeyType::EC),
                Attribute::Verify(true),
                Attribute::EcParams(P256_OID.to_vec()),
                Attribute::Label(label.clone()),
                Attribute::Id(id.clone()),
            ],
            &[
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Sign(true),
                Attribute::Label(label),
                Attribute::Id(id.clone()),
            ],
        )
        .map_err(token_err("generate a signing key"))?;
    let info = public_info(session, public)?;
    Ok(TokenKey { id, private, info })
}

impl KeyProvider for Pkcs11Keys {
    fn signing_keys(&self) -> Result<Vec<PublicKeyInfo>> {
        Ok(self
            .lock()?
            .signing
            .iter()
            .map(|k| k.info.clone())
            .collect())
    }

    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>> {
        let state = self.lock()?;
        let key = state
            .signing
            .iter()
            .find(|k| k.info.key_id == key_id)
            .ok_or_else(|| ServiceError::internal("no such signing key"))?;
        // CKM_ECDSA signs a digest; its output is r ‖ s, 32 bytes each.
        let sig = state
            .session
            .sign(&Mechanism::Ecdsa, key.private, &sha256(&[message]))
            .map_err(token_err("sign"))?;
        if sig.len() != 64 {
            return Err(ServiceError::internal("PKCS#11: unexpected signature size"));
        }
        Ok(sig)
    }

    fn code_mac(&self, message: &[u8]) -> Result<[u8; 32]> {
        let state = self.lock()?;
        let tag = state
            .session
            .sign(&Mechanism::Sha256Hmac, state.code, message)
            .map_err(token_err("HMAC"))?;
        tag.as_slice()
            .try_into()
            .map_err(|_| ServiceError::internal("PKCS#11: unexpected HMAC size"))
    }

    fn add_signing_key(&self) -> Result<PublicKeyInfo> {
        let mut state = self.lock()?;
        let next = state
            .signing
            .last()
            .and_then(|k| <[u8; 4]>::try_from(k.id.as_slice()).ok())
            .map_or(1, |b| u32::from_be_bytes(b).saturating_add(1));
        let key = generate_signing_key(&state.session, &self.label, next)?;
        let info = key.info.clone();
        state.signing.push(key);
        Ok(info)
    }
}
