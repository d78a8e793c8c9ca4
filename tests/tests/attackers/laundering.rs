//! Issue 14 item 1 and item 5: a copy of an installation's files (the SQLite
//! file and the software vault's key beside it) guesses a few PINs between
//! the owner's approvals, and the owner's approvals do not launder them;
//! and what a thief can write without the PIN never reaches an official
//! message (docs/THREAT_MODEL.md §4.4).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::keystore::SoftwareVault;
use akuersi_core::Error;
use akuersi_server::notify::DeviceLabel;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";
const PHONE: &str = "+299551234";
const EMAIL: &str = "aviaja@example.gl";

/// A fresh folder for one test's files.
fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("akuersi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The installation in `dir` (app.sqlite, sealed by vault.key beside it).
fn open_in(w: &World, dir: &Path) -> Arc<Installation> {
    let vault = Arc::new(SoftwareVault::from_key_file(&dir.join("vault.key")).unwrap());
    installation(dir.join("app.sqlite").to_str().unwrap())
        .vault(vault)
        .open(w.tap.clone(), w.clock.clone())
}

/// Copy every file of the installation in `from` into `to`.
fn copy_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Run `call` again while the service answers `replayed`. The copy and the
/// original lease sequence numbers from the same stored high-water mark, so
/// each sees the other's numbers as replays until its lease passes them
/// (every refused number is used up).
fn again_on_replay<T>(mut call: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    loop {
        match call() {
            Err(Error::Service {
                code: akuersi_protocol::wire::ErrorCode::Replayed,
                ..
            }) => {}
            other => return other,
        }
    }
}

/// The id of the live request of `user`, creating one when there is none.
fn live_request(w: &World, app: &Installation, profile: &str) -> Result<String, Error> {
    if let Some(v) = again_on_replay(|| app.refresh(profile))?.into_iter().next() {
        return Ok(v.request_id);
    }
    w.request(USER);
    Ok(again_on_replay(|| app.refresh(profile))?[0]
        .request_id
        .clone())
}

/// The events told to the owner on `channel` (address `address`).
fn told(w: &World, channel: &str, address: &str) -> Vec<String> {
    w.service
        .outbox(Some(USER), 0)
        .unwrap()
        .into_iter()
        .filter(|n| n.channel.as_str() == channel && n.address == address)
        .map(|n| n.event)
        .collect()
}

#[test]
fn approvals_between_rounds_of_guesses_do_not_launder_them() {
    let w = World::new();
    w.identity(USER);
    w.service
        .operator_set_contact(USER, Some(PHONE), Some(EMAIL))
        .unwrap();
    let owner_dir = test_dir("launder-owner");
    let copy_dir = test_dir("launder-copy");
    let owner = open_in(&w, &owner_dir);
    let p = w.activate(&owner, USER, "phone");
    let id = p.profile_id.clone();
    // The copy is taken while the app is closed (a backup, a synced folder).
    drop(owner);
    copy_files(&owner_dir, &copy_dir);
    let owner = open_in(&w, &owner_dir);
    let thief = open_in(&w, &copy_dir);

    // Three rounds of 4 wrong guesses from the copy, the owner approving once
    // after each; a patient thief waits out every suspension.
    let mut wrong = 0;
    let mut shown = Vec::new();
    let mut blocked = false;
    'rounds: for _round in 0..3 {
        let mut guesses = 0;
        while guesses < 4 {
            let req = match live_request(&w, &thief, &id) {
                Ok(r) => r,
                Err(Error::DeviceBlocked) => {
                    blocked = true;
                    break 'rounds;
                }
                Err(e) => panic!("{e:?}"),
            };
            match again_on_replay(|| thief.approve(&id, &req, WRONG_PIN.into())) {
                Err(Error::WrongPin { .. }) => {
                    wrong += 1;
                    guesses += 1;
                }
                Err(Error::DeviceSuspended { until_ms }) => w.clock.set_ms(until_ms),
                Err(Error::DeviceBlocked) => {
                    blocked = true;
                    break 'rounds;
                }
                other => panic!("{other:?}"),
            }
        }
        // The owner opens the app: before approving it sees how many PIN
        // attempts failed since its last approval, then approves (after
        // waiting out a suspension, as the owner would have to).
        loop {
            let req = live_request(&w, &owner, &id).unwrap();
            let view = owner.pending(&id).unwrap().remove(0);
            match again_on_replay(|| owner.approve(&id, &req, PIN.into())) {
                Ok(_) => {
                    shown.push(view.failed_pin_attempts);
                    assert!(view.failed_pins_warning.is_some());
                    break;
                }
                Err(Error::DeviceSuspended { until_ms }) => w.clock.set_ms(until_ms),
                Err(Error::DeviceBlocked) => {
                    blocked = true;
                    break 'rounds;
                }
                other => panic!("{other:?}"),
            }
        }
    }

    // Today's answer was 12 wrong guesses, the count back at 0, the device
    // active and nothing told. Now: the budget of 10 in 24 hours holds
    // across the approvals, and the device ends blocked.
    assert!(
        blocked,
        "the copy was never stopped ({wrong} wrong guesses)"
    );
    assert_eq!(wrong, 10, "wrong guesses the copy got");
    assert_eq!(
        shown,
        [4, 4],
        "what the owner was shown before each approval"
    );
    assert_eq!(
        again_on_replay(|| thief.refresh(&id)),
        Err(Error::DeviceBlocked)
    );
    // Every wrong guess reached the owner on every channel, and so did the
    // suspensions and the block.
    for (channel, address) in [("app", ""), ("sms", PHONE), ("email", EMAIL)] {
        let events = told(&w, channel, address);
        let count = |e: &str| events.iter().filter(|x| *x == e).count();
        assert_eq!(count("wrong_pin"), 10, "{channel}: {events:?}");
        assert!(count("device_suspended") >= 4, "{channel}: {events:?}");
        assert_eq!(count("device_blocked"), 1, "{channel}: {events:?}");
    }
    drop((owner, thief));
    let _ = std::fs::remove_dir_all(&owner_dir);
    let _ = std::fs::remove_dir_all(&copy_dir);
}

#[test]
fn a_name_set_without_the_pin_never_reaches_an_official_message() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    w.service
        .operator_set_contact(USER, Some(PHONE), Some(EMAIL))
        .unwrap();
    let lure = "Call support +299 123456";
    // A thief holding the unlocked phone renames it (no PIN), then freezes.
    phone
        .app
        .rename_device(phone.id(), phone.profile.device_id.clone(), lure.into())
        .unwrap();
    phone.app.freeze(phone.id()).unwrap();
    let out = w.service.outbox(Some(USER), 0).unwrap();
    let frozen: Vec<_> = out
        .iter()
        .filter(|n| n.event == "identity_frozen")
        .collect();
    assert_eq!(frozen.len(), 3, "app, SMS and e-mail");
    let label = DeviceLabel::of(&phone.profile.device_id);
    for n in &frozen {
        assert!(n.text.contains(label.as_str()), "{}", n.text);
    }
    for n in &out {
        assert!(
            !n.text.contains("299 123456") && !n.text.contains("Call support"),
            "{} {}",
            n.event,
            n.text
        );
    }
}
