//! The service's keys on a PKCS#11 token: SoftHSM2 (Debian's `softhsm2`,
//! installed by scripts/setup.d/60-softhsm2.sh). Skipped, with a message,
//! only when the SoftHSM2 module is not installed.

use std::sync::Arc;

use akuersi_protocol::activity::verify_chain;
use akuersi_protocol::clock::TestClock;
use akuersi_protocol::crypto::verify_p256;
use akuersi_server::keys::{KeyProvider, KeySource, Pkcs11Config, Pkcs11Keys};
use akuersi_server::{Service, ServiceConfig};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

const MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

#[test]
fn keys_on_a_softhsm2_token_sign_heads_and_codes_and_rotate() {
    let Some(module) = MODULES.iter().find(|m| std::path::Path::new(m).exists()) else {
        eprintln!(
            "SKIPPED: the SoftHSM2 module is not installed (apt-get install softhsm2); \
             CI installs it with scripts/setup.d/60-softhsm2.sh"
        );
        return;
    };
    // A private token store for this test (the only test in this binary,
    // so setting the variable races with nothing).
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::env::set_var("SOFTHSM2_CONF", &conf);

    // Initialise a token and its user PIN.
    {
        let ctx = Pkcs11::new(module).unwrap();
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .unwrap();
        let slot = ctx.get_slots_with_token().unwrap().remove(0);
        let so = AuthPin::new("so-secret-1".into());
        ctx.init_token(slot, &so, "akuersi-test").unwrap();
        let s = ctx.open_rw_session(slot).unwrap();
        s.login(UserType::So, Some(&so)).unwrap();
        s.init_pin(&AuthPin::new("user-1234".into())).unwrap();
        s.logout().unwrap();
        drop(s);
        ctx.finalize().unwrap();
    }
    let config = Pkcs11Config {
        module: module.into(),
        token_label: "akuersi-test".into(),
        pin: Zeroizing::new("user-1234".into()),
        key_label: "akuersi".into(),
    };

    // The provider on its own: keys are generated on first use, then found.
    let keys = Pkcs11Keys::open(&config).unwrap();
    let first = keys.signing_keys().unwrap();
    assert_eq!(first.len(), 1);
    let sig = keys.sign(&first[0].key_id, b"message").unwrap();
    verify_p256(&first[0].public_key, b"message", &sig).unwrap();
    let mac = keys.code_mac(b"code").unwrap();
    assert_ne!(mac, keys.code_mac(b"other").unwrap());
    drop(keys);
    let again = Pkcs11Keys::open(&config).unwrap();
    assert_eq!(again.signing_keys().unwrap(), first);
    assert_eq!(again.code_mac(b"code").unwrap(), mac, "the same token key");
    drop(again);
    // A wrong PIN is refused.
    let wrong = Pkcs11Config {
        pin: Zeroizing::new("0000".into()),
        ..config.clone()
    };
    assert!(Pkcs11Keys::open(&wrong).is_err());

    // A service on the token: heads verify, and rotation adds a token key.
    let clock = Arc::new(TestClock::new(1_000_000));
    let db = dir.path().join("service.sqlite");
    let service = Service::open(
        db.to_str().unwrap(),
        clock.clone(),
        ServiceConfig {
            keys: KeySource::Pkcs11(config.clone()),
            ..ServiceConfig::default()
        },
    )
    .unwrap();
    assert_eq!(service.current_key(), first[0]);
    assert!(!std::path::Path::new(&format!("{}.keys", db.display())).exists());
    let identity = service.create_identity("Aviaja-Nuuk").unwrap();
    let (entries, head) = service.signed_log(&identity).unwrap();
    verify_chain(&identity, &entries, &head, &first[0].public_key).unwrap();
    let rotation = service.rotate_key().unwrap();
    akuersi_protocol::service_key::verify_rotation(&first[0].public_key, &rotation).unwrap();
    let (entries, head) = service.signed_log(&identity).unwrap();
    verify_chain(&identity, &entries, &head, &rotation.new_public_key).unwrap();
    drop(service);
    let keys = Pkcs11Keys::open(&config).unwrap();
    assert_eq!(keys.signing_keys().unwrap().len(), 2);
}
