//! A key store that calls back into the installation for the profile whose
//! signed call it is serving: refused with `Error::Reentrant`, never a
//! deadlock on the profile's send lane (core/src/reentry.rs). The bindings'
//! own per-profile turn is tested in bindings/tests/foreign_traits.rs.

use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use akuersi_core::app::Installation;
use akuersi_core::keystore::{KeyStore, SoftwareVault};
use akuersi_core::Error;
use akuersi_testkit::*;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

const USER: &str = "Aviaja-Nuuk";

/// Software P-256 keys; when armed, `sign` first calls `refresh` for the
/// armed profile on the installation and records the result.
#[derive(Default)]
struct CallsBack {
    keys: Mutex<Vec<(String, Vec<u8>)>>,
    armed: Mutex<Option<(Weak<Installation>, String)>>,
    inner: Mutex<Vec<Result<usize, Error>>>,
}

impl CallsBack {
    fn pair(&self, alias: &str) -> akuersi_core::Result<EcdsaKeyPair> {
        let keys = self.keys.lock().unwrap();
        let (_, pkcs8) = keys
            .iter()
            .find(|(a, _)| a == alias)
            .ok_or_else(|| Error::KeyStore("no such key".into()))?;
        EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| Error::KeyStore("bad key".into()))
    }
}

impl KeyStore for CallsBack {
    fn generate(&self, alias: &str) -> akuersi_core::Result<Vec<u8>> {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        self.keys
            .lock()
            .unwrap()
            .push((alias.to_owned(), pkcs8.as_ref().to_vec()));
        self.public_key(alias)
    }

    fn public_key(&self, alias: &str) -> akuersi_core::Result<Vec<u8>> {
        Ok(self.pair(alias)?.public_key().as_ref().to_vec())
    }

    fn sign(&self, alias: &str, message: &[u8]) -> akuersi_core::Result<Vec<u8>> {
        let armed = self.armed.lock().unwrap().take();
        if let Some((app, profile)) = armed {
            let app = app.upgrade().expect("the installation is alive");
            let r = app.refresh(&profile).map(|v| v.len());
            self.inner.lock().unwrap().push(r.clone());
            r?;
        }
        let sig = self
            .pair(alias)?
            .sign(&SystemRandom::new(), message)
            .map_err(|_| Error::KeyStore("signing failed".into()))?;
        Ok(sig.as_ref().to_vec())
    }

    fn delete(&self, alias: &str) -> akuersi_core::Result<()> {
        self.keys.lock().unwrap().retain(|(a, _)| a != alias);
        Ok(())
    }
}

#[test]
fn a_key_store_calling_back_in_for_the_same_profile_is_refused_not_deadlocked() {
    let w = World::new();
    w.identity(USER);
    let keys = Arc::new(CallsBack::default());
    let app = Installation::open(
        installation(":memory:").config(),
        w.tap.clone(),
        w.clock.clone(),
        Arc::new(SoftwareVault::ephemeral().unwrap()),
        Some(keys.clone()),
    )
    .unwrap();
    let profile = w.activate(&app, USER, "phone").profile_id;
    w.request(USER);
    *keys.armed.lock().unwrap() = Some((Arc::downgrade(&app), profile.clone()));
    // On another thread, with a guard: without the check this never returns.
    let (tx, rx) = mpsc::channel();
    {
        let (app, profile) = (app.clone(), profile.clone());
        std::thread::spawn(move || {
            let _ = tx.send(app.refresh(&profile).map(|v| v.len()));
        });
    }
    let outer = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the call deadlocked on its own send lane");
    assert_eq!(*keys.inner.lock().unwrap(), vec![Err(Error::Reentrant)]);
    assert_eq!(outer, Err(Error::Reentrant));
    // The lane is free again.
    assert_eq!(app.refresh(&profile).unwrap().len(), 1);
}
