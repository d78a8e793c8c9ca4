//! What a thief who copies the device's files gets: no PIN, no PIN hash, no
//! SPAKE2+ verifier — nothing a PIN guess can be checked against offline.

use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::keystore::{SecretVault, SoftwareVault};
use akuersi_protocol::pin::{derive_pake_secrets, Pin, MIN_KDF_ITERATIONS};
use akuersi_protocol::spake2plus::registration_record;
use akuersi_testkit::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A fresh folder for one test's files.
fn test_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("akuersi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh folder for one test's files, with the paths of the app's
/// database and its vault key file in it: (folder, database, key file).
fn app_files(name: &str) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let dir = test_dir(name);
    let db = dir.join("app.sqlite");
    let key_file = dir.join("vault.key");
    (dir, db, key_file)
}

/// An installation on a file in `dir`, sealed by a software vault whose key
/// file lies next to it (as on desktop), talking to `w`'s service.
fn file_installation(
    w: &World,
    dir: &std::path::Path,
    vault: Arc<SoftwareVault>,
) -> Arc<Installation> {
    installation(dir.join("app.sqlite").to_str().unwrap())
        .vault(vault)
        .open(w.tap.clone(), w.clock.clone())
}

#[test]
fn the_device_store_holds_nothing_a_pin_guess_can_be_checked_against() {
    let (dir, db, key_file) = app_files("store-test");

    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let vault = Arc::new(SoftwareVault::from_key_file(&key_file).unwrap());
    let app = file_installation(&w, &dir, vault.clone());
    let p = w.activate(&app, "Aviaja-Nuuk", "phone");
    let req = w.request("Aviaja-Nuuk");
    app.refresh(&p.profile_id).unwrap();
    app.approve(&p.profile_id, &req.request_id, PIN.into())
        .unwrap();
    w.request("Aviaja-Nuuk");
    w.clock.advance_secs(1);
    let r = app.refresh(&p.profile_id).unwrap();
    let _ = app.approve(&p.profile_id, &r[0].request_id, WRONG_PIN.into());

    // What the PIN would give an attacker who also has the device secret.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let sealed: Vec<u8> = conn
        .query_row("SELECT sealed_device_secret FROM profiles", [], |r| {
            r.get(0)
        })
        .unwrap();
    let secret = vault
        .open(&format!("device-secret:{}", p.device_id), &sealed)
        .unwrap();
    let pin = Pin::new(PIN.into()).unwrap();
    let (w0, w1) = derive_pake_secrets(&pin, &secret, &p.device_id, MIN_KDF_ITERATIONS);
    let rec = registration_record(&w0, &w1);
    let forbidden: Vec<(&str, Vec<u8>)> = vec![
        ("PIN digits", PIN.as_bytes().to_vec()),
        (
            "PIN as UTF-16",
            PIN.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        ),
        ("w0", w0.to_bytes().to_vec()),
        ("w1", w1.to_bytes().to_vec()),
        ("L", rec.l.to_vec()),
        ("w0 (first 8 bytes)", w0.to_bytes()[..8].to_vec()),
    ];
    // The device secret itself must never be stored in the clear either.
    let mut forbidden = forbidden;
    forbidden.push(("device secret", secret.to_vec()));

    // Structure: only these tables and columns exist, none of them PIN-shaped.
    let mut columns = Vec::new();
    let mut stmt = conn
        .prepare("SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY 1, 2")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}.{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })
        .unwrap();
    for r in rows {
        columns.push(r.unwrap());
    }
    for c in &columns {
        let lc = c.to_lowercase();
        assert!(
            !lc.contains("pin") && !lc.contains("verifier") && !lc.contains("w0"),
            "{c}"
        );
    }
    drop(stmt);
    drop(conn);
    drop(app);

    // Bytes: scan every file of the installation (database, WAL, shared memory).
    let mut scanned = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path == key_file {
            continue; // the platform keystore's stand-in, not app storage
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        for (what, needle) in &forbidden {
            assert!(
                !contains(&bytes, needle),
                "{what} found in {}",
                path.display()
            );
        }
    }
    assert!(scanned >= 1);
    // The scan has teeth: what *is* stored (the sealed secret) is found.
    let all: Vec<u8> = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(contains(&all, &sealed));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_service_stores_only_the_verifier_which_is_useless_without_the_device_secret() {
    let dir = test_dir("svc-test");
    let path = dir.join("service.sqlite");
    let w = World::with_service_path(path.to_str().unwrap());
    let dev = RawDevice::enroll(&w, "Aviaja-Nuuk");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (w0, l): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT verifier_w0, verifier_l FROM devices WHERE device_id = ?1",
            [&dev.device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // An attacker with this row but a *guessed* device secret cannot reproduce
    // w0 even with the right PIN: the device secret is 256 random bits.
    let pin = Pin::new(PIN.into()).unwrap();
    for guess in [[0u8; 32], [0xff; 32]] {
        let (g0, g1) = derive_pake_secrets(&pin, &guess, &dev.device_id, MIN_KDF_ITERATIONS);
        assert_ne!(g0.to_bytes().to_vec(), w0);
        assert_ne!(registration_record(&g0, &g1).l.to_vec(), l);
    }
    // And the PIN itself is nowhere in the service's files.
    drop(conn);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, PIN.as_bytes()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sequence numbers are leased in blocks: one durable commit serves many
/// signed messages, a reopened installation never reuses a number (the
/// service would refuse it as a replay), and what a run left unused is
/// skipped.
#[test]
fn sequence_numbers_are_leased_durably_and_never_reused_after_a_restart() {
    let (dir, db, key_file) = app_files("seq-test");
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let open = || {
        let vault = SoftwareVault::from_key_file(&key_file).unwrap();
        file_installation(&w, &dir, Arc::new(vault))
    };
    let stored = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT next_seq FROM profiles", [], |r| r.get(0))
            .unwrap()
    };
    // The sequence number of the last "list pending" message the app sent
    // (the service refuses any number not above the last it accepted).
    let last_seen = || -> u64 {
        let body = w.tap.last(akuersi_protocol::wire::paths::PENDING).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["seq"].as_u64().unwrap()
    };

    let app = open();
    let p = w.activate(&app, "Aviaja-Nuuk", "phone");
    app.refresh(&p.profile_id).unwrap();
    let leased = stored();
    // Ten more signed messages come out of the same lease: no new commit.
    for _ in 0..10 {
        app.refresh(&p.profile_id).unwrap();
    }
    assert_eq!(stored(), leased, "the lease served them");
    let before_restart = last_seen();
    assert!(before_restart < leased as u64);
    drop(app);

    // A restart leases from the stored mark: above anything already sent.
    let app = open();
    app.refresh(&p.profile_id).unwrap();
    let after_restart = last_seen();
    assert_eq!(
        after_restart, leased as u64,
        "the first number of the new lease"
    );
    assert!(stored() > leased);
    // And the service accepts the new lease's numbers through a whole approval.
    let req = w.request("Aviaja-Nuuk");
    app.refresh(&p.profile_id).unwrap();
    app.approve(&p.profile_id, &req.request_id, PIN.into())
        .unwrap();
    assert!(last_seen() > after_restart);
    let _ = std::fs::remove_dir_all(&dir);
}
