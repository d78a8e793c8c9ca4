//! Requesters in the simulator: Demo Bank's key in the data folder and its
//! registration with the service (so `serve` and `demo` stay a two-command
//! experience), and the key files of `operator register-requester`.

use std::path::Path;

use akuersi_protocol::request::Action;
use akuersi_protocol::requester_key::{pem_encode, RequesterKey};
use akuersi_protocol::wire::{ChannelMode, ErrorCode, RequesterInfo};
use akuersi_server::Service;
use zeroize::Zeroizing;

use crate::bank::{requester_names, REQUESTER_ID};
use crate::error::SimError;

/// Demo Bank's private key (PKCS#8 PEM, 0600) in the `serve` data folder.
pub const DEMO_BANK_KEY_FILE: &str = "demo-bank-key.pem";

/// Demo Bank's registration with `public_key`: log-on and approve, every
/// channel-binding mode, 120 creates a minute and 2,000 an hour.
pub fn demo_bank_registration(public_key: Vec<u8>) -> RequesterInfo {
    RequesterInfo {
        requester_id: REQUESTER_ID.into(),
        names: requester_names(),
        actions: vec![Action::LogOn, Action::Approve],
        channel_modes: vec![ChannelMode::None, ChannelMode::Code, ChannelMode::Qr],
        max_per_minute: 120,
        max_per_hour: 2_000,
        public_key,
        registered_at_ms: 0,
        revoked_at_ms: None,
    }
}

/// A fresh key for `requester_id`, its PKCS#8 PEM written to `path` (0600,
/// never over an existing file). Writes a file.
pub fn generate_key_file(requester_id: &str, path: &Path) -> Result<RequesterKey, SimError> {
    let (key, pkcs8) =
        RequesterKey::generate(requester_id).map_err(|e| SimError::Demo(e.to_string()))?;
    let pem = Zeroizing::new(pem_encode("PRIVATE KEY", &pkcs8));
    crate::profile::create_private_file(path, pem.as_bytes())?;
    Ok(key)
}

/// The key for `requester_id` in the PKCS#8 PEM file `path`. Reads a file.
pub fn read_key_file(requester_id: &str, path: &Path) -> Result<RequesterKey, SimError> {
    let pem = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| SimError::Demo(format!("cannot read {}: {e}", path.display())))?,
    );
    RequesterKey::from_pem(requester_id, &pem)
        .map_err(|e| SimError::Demo(format!("{}: {e}", path.display())))
}

/// Demo Bank's key from `data` (made on first use), registered with
/// `service` unless it already is. Writes the key file and the service's
/// database the first time.
pub fn demo_bank(service: &Service, data: &Path) -> Result<RequesterKey, SimError> {
    let path = data.join(DEMO_BANK_KEY_FILE);
    let key = if path.exists() {
        read_key_file(REQUESTER_ID, &path)?
    } else {
        generate_key_file(REQUESTER_ID, &path)?
    };
    register(service, demo_bank_registration(key.public_key()))?;
    Ok(key)
}

/// Register `info` with `service`; an identical earlier registration of
/// the same key is fine, another key under the same id is an error.
pub fn register(service: &Service, info: RequesterInfo) -> Result<(), SimError> {
    match service.register_requester(info.clone()) {
        Ok(_) => Ok(()),
        Err(e) if e.code == ErrorCode::RequesterExists => {
            let known = service
                .list_requesters()?
                .into_iter()
                .find(|r| r.requester_id == info.requester_id);
            match known {
                Some(r) if r.public_key == info.public_key && r.revoked_at_ms.is_none() => Ok(()),
                _ => Err(SimError::Demo(format!(
                    "the service already has a requester {:?} with another key, or revoked; \
                     use a fresh data folder",
                    info.requester_id
                ))),
            }
        }
        Err(e) => Err(e.into()),
    }
}
