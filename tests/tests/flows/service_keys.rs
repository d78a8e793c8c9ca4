//! The service's signing key: kept in a private key file, named by every
//! head, and rotated by a statement the old key signs (PROTOCOL §12.6).

use akuersi_core::Error;
use akuersi_protocol::service_key::service_key_id;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";

#[test]
fn a_rotated_key_reaches_apps_through_the_key_they_trust() {
    let dir = std::env::temp_dir().join(format!("akuersi-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("service.sqlite");
    let db = db.to_str().unwrap();
    let w = World::with_service_path(db);
    let phone = w.app(USER, "phone");
    let tablet = w.app(USER, "tablet");
    phone.app.activity_log(phone.id(), 0, 10).unwrap();

    // The keys are in a private file beside the database, not in it.
    let key_file = format!("{db}.keys");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let old = w.service.current_key();

    w.clock.advance_secs(60);
    let rotation = w.service.rotate_key().unwrap();
    let new = w.service.current_key();
    assert_ne!(new.key_id, old.key_id);
    assert_eq!(rotation.old_key_id, old.key_id);
    assert_eq!(service_key_id(&rotation.new_public_key), new.key_id);

    // The phone follows the statement and now trusts the new key.
    w.clock.advance_secs(60);
    phone.app.activity_log(phone.id(), 0, 10).unwrap();

    // A statement that does not verify is refused by an app that still
    // trusts the old key (the tablet) ...
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "UPDATE key_rotations SET rotated_at_ms = rotated_at_ms + 1",
        [],
    )
    .unwrap();
    assert!(matches!(
        tablet.app.activity_log(tablet.id(), 0, 10),
        Err(Error::Protocol(m)) if m.contains("new key")
    ));
    // ... while the phone, which stored the new key, no longer needs it.
    phone.app.activity_log(phone.id(), 0, 10).unwrap();
    conn.execute(
        "UPDATE key_rotations SET rotated_at_ms = rotated_at_ms - 1",
        [],
    )
    .unwrap();
    tablet.app.activity_log(tablet.id(), 0, 10).unwrap();
    drop(w);

    // Reopened, the service keeps both keys and signs with the new one.
    let again = World::with_service_path(db);
    assert_eq!(again.service.current_key(), new);
    assert_eq!(again.service.key_rotations().unwrap(), vec![rotation]);
    drop(again);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_app_refuses_heads_of_an_unknown_or_retired_key() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    w.service.rotate_key().unwrap();
    w.clock.advance_secs(1);
    // Heads claim the old key's id after the rotation: refused.
    let old_id = w.service.key_rotations().unwrap()[0].old_key_id.clone();
    *w.tap.rewrite.lock().unwrap() = Some(Box::new(move |path: &str, body: Vec<u8>| {
        if !path.ends_with("/activity") {
            return body;
        }
        let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["head"]["key_id"] = serde_json::Value::String(old_id.clone());
        serde_json::to_vec(&v).unwrap()
    }));
    assert!(matches!(
        phone.app.activity_log(phone.id(), 0, 10),
        Err(Error::Protocol(m)) if m.contains("retired")
    ));
    // And a made-up key id.
    *w.tap.rewrite.lock().unwrap() = Some(Box::new(|path: &str, body: Vec<u8>| {
        if !path.ends_with("/activity") {
            return body;
        }
        let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["head"]["key_id"] = serde_json::Value::String("0000000000000000".into());
        serde_json::to_vec(&v).unwrap()
    }));
    assert!(matches!(
        phone.app.activity_log(phone.id(), 0, 10),
        Err(Error::Protocol(m)) if m.contains("does not know")
    ));
}
