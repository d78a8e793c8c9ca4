//! One profile used by two processes (an app and its widget or background
//! job), and a store restored from a backup: neither may wedge on sequence
//! numbers another run used (PROTOCOL §9.3, the `last_seq` of `replayed`).

use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::keystore::{SecretVault, SoftwareVault};
use akuersi_protocol::wire::paths;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";

fn open_on(w: &World, db: &str, vault: &Arc<dyn SecretVault>) -> Arc<Installation> {
    installation(db)
        .vault(vault.clone())
        .open(w.tap.clone(), w.clock.clone())
}

/// How many `pending` calls went out (the tap records what was sent, not
/// what came back): a refusal and its retry are two.
fn pending_calls(w: &World) -> usize {
    w.tap
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == paths::PENDING)
        .count()
}

#[test]
fn two_processes_on_one_profile_do_not_wedge_each_other() {
    let dir = TempDir::new("shared-profile");
    let db = dir.file("app.sqlite");
    let w = World::new();
    w.identity(USER);
    let vault: Arc<dyn SecretVault> = Arc::new(SoftwareVault::ephemeral().unwrap());
    let app = open_on(&w, &db, &vault);
    let profile = w.activate(&app, USER, "phone").profile_id;
    app.refresh(&profile).unwrap();
    // A second process opens the same file and sends: it leases numbers
    // above the first one's lease, so the service's mark jumps past it.
    let widget = open_on(&w, &db, &vault);
    widget.refresh(&profile).unwrap();
    // The first process's next number is below that mark. It is refused
    // once as a replay, moves past the mark and goes through.
    let before = pending_calls(&w);
    app.refresh(&profile).unwrap();
    assert_eq!(pending_calls(&w) - before, 2, "one refusal, one retry");
    // From then on each process sends once per call, taking turns.
    for _ in 0..3 {
        let before = pending_calls(&w);
        widget.refresh(&profile).unwrap();
        app.refresh(&profile).unwrap();
        assert!(pending_calls(&w) - before <= 4);
    }
    // And a request still gets approved from either.
    let r = w.request(USER);
    widget.refresh(&profile).unwrap();
    let views = app.refresh(&profile).unwrap();
    assert_eq!(views[0].request_id, r.request_id);
    app.approve(&profile, &r.request_id, PIN.into()).unwrap();
}

#[test]
fn a_store_restored_from_a_backup_moves_past_the_numbers_it_forgot() {
    let dir = TempDir::new("restored-profile");
    let db = dir.file("app.sqlite");
    let backup = dir.file("backup.sqlite");
    let w = World::new();
    w.identity(USER);
    let vault: Arc<dyn SecretVault> = Arc::new(SoftwareVault::ephemeral().unwrap());
    let profile = {
        let app = open_on(&w, &db, &vault);
        let profile = w.activate(&app, USER, "phone").profile_id;
        app.refresh(&profile).unwrap();
        // The backup is taken here.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("VACUUM INTO ?1", [&backup]).unwrap();
        // Life goes on past the backup: more leases, higher numbers.
        for _ in 0..40 {
            app.refresh(&profile).unwrap();
        }
        profile
    };
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    std::fs::copy(&backup, &db).unwrap();
    let restored = open_on(&w, &db, &vault);
    let r = w.request(USER);
    let views = restored.refresh(&profile).unwrap();
    assert_eq!(views[0].request_id, r.request_id);
    restored
        .approve(&profile, &r.request_id, PIN.into())
        .unwrap();
}

#[test]
fn a_replay_of_the_very_message_is_not_sent_again() {
    // The service names a last number equal to the refused one when that
    // message itself arrived before: nothing is retried then.
    let w = World::new();
    let phone = w.app(USER, "phone");
    phone.app.refresh(phone.id()).unwrap();
    let captured = w.tap.last(paths::PENDING).unwrap();
    let answer = w.raw(paths::PENDING, &captured);
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["code"], "replayed");
    let sent: serde_json::Value = serde_json::from_slice(&captured).unwrap();
    assert_eq!(
        body["last_seq"], sent["seq"],
        "the last number accepted is told"
    );
}
