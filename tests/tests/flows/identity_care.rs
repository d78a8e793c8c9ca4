//! Backup devices, freeze, notifications, user ID and the activity log, all on
//! the test clock.

use akuersi_core::Error;
use akuersi_protocol::wire::{AdditionStatus, Channel};
use akuersi_protocol::wire::{ErrorCode, RequestStatus};
use akuersi_server::notify::DeviceLabel;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";
const PHONE: &str = "+299551234";
const EMAIL: &str = "aviaja@example.gl";
const HOUR: i64 = 3600;

fn code_of(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Service { code, .. } => Some(*code),
        _ => None,
    }
}

/// Events in the outbox for a channel (and address, for SMS/e-mail).
fn events(w: &World, channel: &str, address: &str) -> Vec<String> {
    w.service
        .outbox(None, 0)
        .unwrap()
        .into_iter()
        .filter(|n| n.channel.as_str() == channel && n.address == address)
        .map(|n| n.event)
        .collect()
}

/// True when `event` reached the app, SMS and e-mail.
fn told_everywhere(w: &World, event: &str) -> bool {
    events(w, "app", "").iter().any(|e| e == event)
        && events(w, "sms", PHONE).iter().any(|e| e == event)
        && events(w, "email", EMAIL).iter().any(|e| e == event)
}

fn world_with_phone() -> (World, App) {
    let w = World::new();
    let phone = w.app(USER, "Aviaja's phone");
    w.service
        .operator_set_contact(USER, Some(PHONE), Some(EMAIL))
        .unwrap();
    (w, phone)
}

#[test]
fn full_backup_flow() {
    let (w, phone) = world_with_phone();
    let add = phone.start_addition_with_pin();
    assert_eq!(add.status, AdditionStatus::Waiting);
    assert_eq!(add.wait_until_ms, now(&w) + HOUR * 1000);
    assert!(told_everywhere(&w, "device_addition_started"));
    // The phone itself sees the addition (and could veto it).
    let st = phone.app.identity_status(phone.id()).unwrap();
    assert_eq!(st.additions.len(), 1);
    // No pairing code before the wait ends.
    w.clock.advance_secs(HOUR - 1);
    let e = phone
        .app
        .pairing_code(phone.id(), add.addition_id.clone())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::AdditionNotReady));
    w.clock.advance_secs(1);
    let code = phone
        .app
        .pairing_code(phone.id(), add.addition_id.clone())
        .unwrap();
    assert!(code.payload.starts_with("AKUERSI-PAIR:1:"));
    assert_eq!(code.expires_at_ms, now(&w) + 180_000);

    let tablet = w.installation(":memory:");
    let p = tablet
        .activate_with_pairing_code(code.payload.clone(), "730518".into(), "Tablet".into())
        .unwrap();
    assert_eq!(p.user_id, USER);
    assert_eq!(p.identity_id, phone.profile.identity_id);
    assert!(told_everywhere(&w, "device_addition_completed"));

    let list = tablet.devices(&p.profile_id).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|d| d.this_device).count(), 1);
    assert!(list.iter().any(|d| d.this_device && d.name == "Tablet"));

    // The new device works with its own PIN.
    let req = w.request(USER);
    tablet.refresh(&p.profile_id).unwrap();
    assert_eq!(
        tablet.approve(&p.profile_id, &req.request_id, PIN.into()),
        Err(Error::WrongPin { attempts_left: 9 })
    );
    tablet
        .approve(&p.profile_id, &req.request_id, "730518".into())
        .unwrap();
    // The addition is closed.
    assert!(phone
        .app
        .identity_status(phone.id())
        .unwrap()
        .additions
        .is_empty());
}

#[test]
fn veto_during_the_wait() {
    let (w, phone) = world_with_phone();
    let laptop = w.app(USER, "laptop");
    let add = phone.start_addition_with_pin();
    w.clock.advance_secs(60);
    let seen = laptop.app.identity_status(laptop.id()).unwrap();
    assert_eq!(seen.additions[0].addition_id, add.addition_id);
    laptop
        .app
        .veto_device_addition(laptop.id(), add.addition_id.clone())
        .unwrap();
    assert!(told_everywhere(&w, "device_addition_vetoed"));
    w.clock.advance_secs(HOUR);
    let e = phone
        .app
        .pairing_code(phone.id(), add.addition_id)
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::PairingInvalid));
}

#[test]
fn the_pairing_code_cannot_be_used_twice_late_early_or_by_another_identity() {
    let (w, phone) = world_with_phone();
    let add = phone.start_addition_with_pin();
    // Before the wait ends: a code made up with the real addition id is refused.
    let early = w.installation(":memory:");
    let forged = format!("AKUERSI-PAIR:1:{}:AAAAAAAAAAAAAAAAAAAAAA", add.addition_id);
    let e = early
        .activate_with_pairing_code(forged, "730518".into(), "early".into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::AdditionNotReady));
    assert!(early.profiles().unwrap().is_empty());

    w.clock.advance_secs(HOUR);
    // Late: 3 minutes after it was shown.
    let code = phone
        .app
        .pairing_code(phone.id(), add.addition_id.clone())
        .unwrap();
    w.clock.advance_secs(180);
    let late = w.installation(":memory:");
    let e = late
        .activate_with_pairing_code(code.payload, "730518".into(), "late".into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::PairingInvalid));

    // Another identity's flow: its addition id with our secret.
    let other = w.app("Malik-Sisimiut", "Malik's phone");
    let other_add = other.start_addition_with_pin();
    w.clock.advance_secs(HOUR);
    let ours = phone
        .app
        .pairing_code(phone.id(), add.addition_id.clone())
        .unwrap();
    let secret = ours.payload.rsplit(':').next().unwrap();
    let mixed = format!("AKUERSI-PAIR:1:{}:{secret}", other_add.addition_id);
    let thief = w.installation(":memory:");
    let e = thief
        .activate_with_pairing_code(mixed, "730518".into(), "thief".into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::PairingInvalid));

    // Used once, then never again.
    let first = w.installation(":memory:");
    first
        .activate_with_pairing_code(ours.payload.clone(), "730518".into(), "tablet".into())
        .unwrap();
    let second = w.installation(":memory:");
    let e = second
        .activate_with_pairing_code(ours.payload, "275194".into(), "again".into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::PairingInvalid));
    assert!(second.profiles().unwrap().is_empty());
}

#[test]
fn a_fourth_device_is_refused() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    w.app(USER, "tablet");
    w.app(USER, "laptop");
    let e = phone
        .app
        .start_device_addition(phone.id(), PIN.into())
        .unwrap_err();
    assert_eq!(e, Error::DeviceLimit);
    // The refusal came after a right PIN: it must not stay counted.
    assert_eq!(w.pin_failures(&phone.profile.device_id), 0);
    let fourth = w.installation(":memory:");
    let e = fourth
        .activate(USER.into(), w.code(USER), PIN.into(), "fourth".into())
        .unwrap_err();
    assert_eq!(e, Error::DeviceLimit);
}

#[test]
fn a_new_device_sees_notices_from_when_it_joined() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    phone.app.freeze(phone.id()).unwrap();
    w.service.operator_freeze(USER, false).unwrap();
    w.clock.advance_secs(60);
    let tablet = w.app(USER, "tablet");
    let seen: Vec<String> = tablet
        .app
        .notifications(tablet.id())
        .unwrap()
        .into_iter()
        .map(|n| n.event)
        .collect();
    assert!(!seen.contains(&"identity_frozen".to_string()), "{seen:?}");
    assert!(
        seen.contains(&"activation_code_used".to_string()),
        "{seen:?}"
    );
}

#[test]
fn a_blocked_device_is_reactivated_with_an_activation_code() {
    let (w, phone) = world_with_phone();
    // Ten wrong PINs, waiting out each suspension, block the device.
    let mut failures = 0;
    for _ in 0..40 {
        let views = match phone.app.refresh(phone.id()) {
            Ok(v) => v,
            Err(Error::DeviceBlocked) => break,
            Err(e) => panic!("{e:?}"),
        };
        let id = match views.first() {
            Some(v) => v.request_id.clone(),
            None => {
                let r = w.request(USER);
                phone.app.refresh(phone.id()).unwrap();
                r.request_id
            }
        };
        match phone.app.approve(phone.id(), &id, WRONG_PIN.into()) {
            Err(Error::WrongPin { .. }) => failures += 1,
            Err(Error::DeviceSuspended { until_ms }) => w.clock.set_ms(until_ms),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(failures, 10);
    assert_eq!(phone.app.refresh(phone.id()), Err(Error::DeviceBlocked));
    assert!(told_everywhere(&w, "device_blocked"));
    phone
        .app
        .reactivate(phone.id(), w.code(USER), "275194".into())
        .unwrap();
    assert!(told_everywhere(&w, "device_reactivated"));
    assert!(told_everywhere(&w, "activation_code_used"));
    let views = phone.app.refresh(phone.id()).unwrap();
    let id = match views.first() {
        Some(v) => v.request_id.clone(),
        None => {
            let r = w.request(USER);
            phone.app.refresh(phone.id()).unwrap();
            r.request_id
        }
    };
    phone.app.approve(phone.id(), &id, "275194".into()).unwrap();
}

#[test]
fn freeze_by_a_device_refuses_every_decision_and_hides_the_identity() {
    let (w, phone) = world_with_phone();
    let tablet = w.app(USER, "tablet");
    let before = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    tablet.app.freeze(tablet.id()).unwrap();
    assert!(told_everywhere(&w, "identity_frozen"));
    // The request made before the freeze cannot be decided.
    assert_eq!(
        code_of(
            &phone
                .app
                .approve(phone.id(), &before.request_id, PIN.into())
                .unwrap_err()
        ),
        Some(ErrorCode::IdentityFrozen)
    );
    assert_eq!(
        code_of(
            &phone
                .app
                .reject(phone.id(), &before.request_id)
                .unwrap_err()
        ),
        Some(ErrorCode::IdentityFrozen)
    );
    // A new request looks exactly like one for an unknown user ID.
    w.clock.advance_secs(300);
    let frozen = w.raw(
        akuersi_protocol::wire::paths::CREATE_REQUEST,
        &signed_json(log_on(USER), now(&w)),
    );
    let unknown = w.raw(
        akuersi_protocol::wire::paths::CREATE_REQUEST,
        &signed_json(log_on("Nobody-Here"), now(&w)),
    );
    assert_eq!(frozen.status, 200);
    assert_eq!(frozen.status, unknown.status);
    let a: serde_json::Value = serde_json::from_slice(&frozen.body).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&unknown.body).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    // It never reaches the app.
    assert!(phone.app.refresh(phone.id()).unwrap().is_empty());
    assert!(phone.app.identity_status(phone.id()).unwrap().frozen);
}

#[test]
fn freeze_by_the_operator() {
    let (w, phone) = world_with_phone();
    w.service.operator_freeze(USER, true).unwrap();
    assert!(told_everywhere(&w, "identity_frozen"));
    assert!(phone.app.identity_status(phone.id()).unwrap().frozen);
    let e = phone
        .app
        .start_device_addition(phone.id(), PIN.into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::IdentityFrozen));
    w.service.operator_freeze(USER, false).unwrap();
    assert!(told_everywhere(&w, "identity_unfrozen"));
    assert!(!phone.app.identity_status(phone.id()).unwrap().frozen);
}

#[test]
fn unfreezing_needs_the_pin_and_a_second_proof() {
    let (w, phone) = world_with_phone();
    let tablet = w.app(USER, "tablet");
    phone.app.freeze(phone.id()).unwrap();
    // A wrong PIN is no proof at all.
    assert!(matches!(
        phone.app.unfreeze(phone.id(), WRONG_PIN.into(), None),
        Err(Error::WrongPin { .. })
    ));
    // One device's PIN alone is not enough, however often.
    for _ in 0..2 {
        let o = phone.app.unfreeze(phone.id(), PIN.into(), None).unwrap();
        assert!(!o.unfrozen && o.waiting_for_second_proof);
    }
    assert!(phone.app.identity_status(phone.id()).unwrap().frozen);
    // A second device's PIN completes it.
    let o = tablet.app.unfreeze(tablet.id(), PIN.into(), None).unwrap();
    assert!(o.unfrozen);
    assert!(told_everywhere(&w, "identity_unfrozen"));

    // Or the PIN plus an activation code.
    phone.app.freeze(phone.id()).unwrap();
    let bad = phone
        .app
        .unfreeze(phone.id(), PIN.into(), Some("AAAA-BBBB-CCCC".into()));
    assert_eq!(bad, Err(Error::InvalidActivationCode));
    let o = phone
        .app
        .unfreeze(phone.id(), PIN.into(), Some(w.code(USER)))
        .unwrap();
    assert!(o.unfrozen);

    // A proof older than 15 minutes does not count.
    phone.app.freeze(phone.id()).unwrap();
    phone.app.unfreeze(phone.id(), PIN.into(), None).unwrap();
    w.clock.advance_secs(15 * 60 + 1);
    let o = tablet.app.unfreeze(tablet.id(), PIN.into(), None).unwrap();
    assert!(!o.unfrozen);
}

#[test]
fn every_event_reaches_the_right_channels() {
    let (w, phone) = world_with_phone();
    let tablet = w.app(USER, "tablet");
    assert!(told_everywhere(&w, "activation_code_used"));
    // Device removed (PIN needed).
    assert!(matches!(
        phone.app.remove_device(
            phone.id(),
            tablet.profile.device_id.clone(),
            WRONG_PIN.into(),
            false
        ),
        Err(Error::WrongPin { .. })
    ));
    phone
        .app
        .remove_device(
            phone.id(),
            tablet.profile.device_id.clone(),
            PIN.into(),
            false,
        )
        .unwrap();
    assert!(told_everywhere(&w, "device_removed"));
    assert_eq!(phone.app.devices(phone.id()).unwrap().len(), 1);
    // Suspended after 5 wrong PINs.
    let req = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    for _ in 0..5 {
        let _ = phone
            .app
            .approve(phone.id(), &req.request_id, WRONG_PIN.into());
    }
    assert!(told_everywhere(&w, "device_suspended"));
    w.clock.advance_secs(60);
    // PIN changed.
    phone
        .app
        .change_pin(phone.id(), PIN.into(), "275194".into())
        .unwrap();
    assert!(told_everywhere(&w, "pin_changed"));
    // User ID changed.
    phone
        .app
        .change_user_id(phone.id(), "Aviaja-Ilulissat".into(), "275194".into())
        .unwrap();
    assert!(told_everywhere(&w, "user_id_changed"));
    // Contact data changed: the old and the new addresses are told.
    phone
        .app
        .change_contact(
            phone.id(),
            Some("+299559999".into()),
            Some("new@example.gl".into()),
            "275194".into(),
        )
        .unwrap();
    assert!(events(&w, "sms", PHONE).contains(&"contact_changed".to_string()));
    assert!(events(&w, "email", EMAIL).contains(&"contact_changed".to_string()));
    assert!(events(&w, "sms", "+299559999").contains(&"contact_changed".to_string()));
    assert!(events(&w, "email", "new@example.gl").contains(&"contact_changed".to_string()));
    // The app channel shows them when the app is opened, then not again.
    let first = phone.app.notifications(phone.id()).unwrap();
    assert!(first.iter().any(|n| n.event == "contact_changed"));
    assert!(first.iter().all(|n| n.channel == Channel::App));
    assert!(phone.app.notifications(phone.id()).unwrap().is_empty());
    // Texts are rendered with their parameters; a device is named by the
    // label made from its id, never by the name a device set.
    let tablet_label = DeviceLabel::of(&tablet.profile.device_id);
    assert!(first.iter().any(|n| n.event == "device_removed"
        && n.text.contains(&format!("\"{}\"", tablet_label.as_str()))
        && !n.text.contains("tablet")));
}

#[test]
fn warns_when_fewer_than_two_channels_are_set_up() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let st = phone.app.identity_status(phone.id()).unwrap();
    assert_eq!(st.channels, vec![Channel::App]);
    assert_eq!(st.warnings.len(), 1);
    w.service
        .operator_set_contact(USER, None, Some(EMAIL))
        .unwrap();
    let st = phone.app.identity_status(phone.id()).unwrap();
    assert_eq!(st.channels, vec![Channel::App, Channel::Email]);
    assert!(st.warnings.is_empty());
    assert_eq!(
        w.service
            .operator_set_contact(USER, Some("12345"), None)
            .unwrap_err()
            .code,
        ErrorCode::InvalidContact
    );
}

#[test]
fn opt_in_notice_on_every_use() {
    let (w, phone) = world_with_phone();
    let req = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.approve_with_pin(&req.request_id);
    assert!(!told_everywhere(&w, "identity_used"), "off by default");
    phone
        .app
        .set_notify_every_use(phone.id(), true, PIN.into())
        .unwrap();
    assert!(phone.notify_every_use());
    let req = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.approve_with_pin(&req.request_id);
    assert!(told_everywhere(&w, "identity_used"));
    let n = w.service.outbox(Some(USER), 0).unwrap();
    let used = n.iter().find(|n| n.event == "identity_used").unwrap();
    // The requester's name came from an unauthenticated caller: it is not
    // repeated on the service's behalf. The device is named by its label.
    assert!(!used.text.contains("Demo Bank"), "{}", used.text);
    assert!(
        used.text
            .contains(DeviceLabel::of(&phone.profile.device_id).as_str()),
        "{}",
        used.text
    );
}

#[test]
fn changing_the_user_id_moves_requests_to_the_new_one() {
    let (w, phone) = world_with_phone();
    assert_eq!(
        phone
            .app
            .change_user_id(phone.id(), "0101901234".into(), PIN.into()),
        Err(Error::UserId(
            akuersi_protocol::identity::UserIdError::LooksLikeCpr
        ))
    );
    w.identity("Taken-Name");
    let e = phone
        .app
        .change_user_id(phone.id(), "taken-name".into(), PIN.into())
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::IdentityExists));
    phone
        .app
        .change_user_id(phone.id(), "Aviaja Nuuk 2".into(), PIN.into())
        .unwrap();
    assert_eq!(
        phone.app.profile(phone.id()).unwrap().user_id,
        "Aviaja Nuuk 2"
    );
    w.request(USER); // now unknown: never reaches the app
    assert!(phone.app.refresh(phone.id()).unwrap().is_empty());
    w.clock.advance_secs(300);
    let r = w.request("AVIAJA NUUK 2");
    assert_eq!(
        phone.app.refresh(phone.id()).unwrap()[0].request_id,
        r.request_id
    );
}

#[test]
fn removing_the_last_device_warns_and_removing_this_one_forgets_it() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let me = phone.profile.device_id.clone();
    let e = phone
        .app
        .remove_device(phone.id(), me.clone(), PIN.into(), false)
        .unwrap_err();
    assert_eq!(code_of(&e), Some(ErrorCode::LastDevice));
    assert_eq!(phone.app.profiles().unwrap().len(), 1);
    phone
        .app
        .remove_device(phone.id(), me, PIN.into(), true)
        .unwrap();
    assert!(phone.app.profiles().unwrap().is_empty());
    // The identity needs a new activation code now; the old device is gone.
    let again = w.installation(":memory:");
    w.activate(&again, USER, "new phone");
}

#[test]
fn devices_can_be_renamed() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let tablet = w.app(USER, "tablet");
    phone
        .app
        .rename_device(
            phone.id(),
            tablet.profile.device_id.clone(),
            "Kitchen tablet".into(),
        )
        .unwrap();
    let names: Vec<String> = tablet
        .app
        .devices(tablet.id())
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(names.contains(&"Kitchen tablet".to_string()));
    assert_eq!(
        phone
            .app
            .rename_device(
                phone.id(),
                tablet.profile.device_id.clone(),
                "x\u{202e}y".into()
            )
            .map_err(|e| code_of(&e)),
        Err(Some(ErrorCode::InvalidText))
    );
}

/// A service on disk in a fresh temporary folder named after `tag`, with one
/// phone that has rejected three requests: (folder, database, world, phone).
fn world_with_rejections(tag: &str) -> (std::path::PathBuf, std::path::PathBuf, World, App) {
    let dir = std::env::temp_dir().join(format!("akuersi-log-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("service.sqlite");
    let w = World::with_service_path(db.to_str().unwrap());
    let phone = w.app(USER, "phone");
    for _ in 0..3 {
        let r = w.request(USER);
        phone.app.refresh(phone.id()).unwrap();
        phone.app.reject(phone.id(), &r.request_id).unwrap();
    }
    (dir, db, w, phone)
}

/// Rewrite the service's stored log of `identity_id` from `from_seq` on with
/// `edit` applied to each entry, recomputing every hash: what a service that
/// rewrites history (or restores an old backup) would sign.
fn rewrite_service_log(
    conn: &rusqlite::Connection,
    identity_id: &str,
    from_seq: u64,
    edit: impl Fn(&mut akuersi_protocol::activity::LogEntry),
) {
    use akuersi_protocol::activity::{ActivityKind, LogEntry, GENESIS};
    let mut stmt = conn
        .prepare(
            "SELECT seq, at_ms, kind, device_id, request_id, detail FROM activity
             WHERE identity_id = ?1 ORDER BY seq",
        )
        .unwrap();
    let mut entries: Vec<LogEntry> = stmt
        .query_map([identity_id], |r| {
            Ok(LogEntry {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                kind: ActivityKind::from_str_opt(&r.get::<_, String>(2)?).unwrap(),
                device_id: r.get(3)?,
                request_id: r.get(4)?,
                detail: r.get(5)?,
                prev_hash: Vec::new(),
                hash: Vec::new(),
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev = GENESIS.to_vec();
    for e in &mut entries {
        if e.seq >= from_seq {
            edit(e);
        }
        e.prev_hash = prev;
        e.hash = e.expected_hash(identity_id).to_vec();
        prev = e.hash.clone();
        conn.execute(
            "UPDATE activity SET detail = ?3, prev_hash = ?4, hash = ?5
             WHERE identity_id = ?1 AND seq = ?2",
            rusqlite::params![identity_id, e.seq, e.detail, e.prev_hash, e.hash],
        )
        .unwrap();
    }
}

#[test]
fn activity_log_tampering_is_detected() {
    for trick in ["edit", "copy", "remove", "reorder"] {
        let (dir, db, _w, phone) = world_with_rejections(trick);
        let conn = rusqlite::Connection::open(&db).unwrap();
        let id = &phone.profile.identity_id;
        match trick {
            "edit" => conn.execute(
                "UPDATE activity SET detail = 'nothing happened' WHERE identity_id = ?1 AND seq = 3",
                [id],
            ),
            "copy" => conn.execute(
                "UPDATE activity SET detail = (SELECT detail FROM activity WHERE seq = 4 AND identity_id = ?1)
                 WHERE identity_id = ?1 AND seq = 3",
                [id],
            ),
            "remove" => conn.execute(
                "DELETE FROM activity WHERE identity_id = ?1 AND seq = 2",
                [id],
            ),
            _ => conn
                .execute_batch(&format!(
                    "UPDATE activity SET seq = -1 WHERE identity_id = '{id}' AND seq = 2;
                     UPDATE activity SET seq = 2 WHERE identity_id = '{id}' AND seq = 3;
                     UPDATE activity SET seq = 3 WHERE identity_id = '{id}' AND seq = -1;"
                ))
                .map(|()| 0),
        }
        .unwrap();
        let got = phone.app.activity_log(phone.id(), 0, 10);
        match trick {
            "edit" | "copy" => assert!(
                matches!(&got, Err(Error::Protocol(m)) if m.contains("entry 3")),
                "{trick}: {got:?}"
            ),
            _ => assert!(
                matches!(got, Err(Error::Protocol(_))),
                "{trick} not detected"
            ),
        }
        // Nothing of a log that does not check out is kept.
        assert_eq!(
            phone
                .app
                .verified_activity_log(phone.id(), 0, 10)
                .unwrap()
                .total,
            0,
            "{trick}"
        );
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn the_log_is_read_page_by_page_and_kept_once_verified() {
    let (dir, _db, w, phone) = world_with_rejections("pages");
    let page = phone.app.activity_log(phone.id(), 0, 2).unwrap();
    assert!(page.total >= 5, "{}", page.total);
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.entries[0].seq, page.total, "newest first");
    assert_eq!(page.entries[0].kind.as_str(), "request_rejected");
    let rest = phone.app.activity_log(phone.id(), 2, 100).unwrap();
    assert_eq!(rest.entries.len() as u64, page.total - 2);
    // Nothing new: one call, nothing added; one new entry: one added.
    assert_eq!(phone.app.sync_activity_log(phone.id()), Ok(0));
    let r = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.app.reject(phone.id(), &r.request_id).unwrap();
    assert_eq!(phone.app.sync_activity_log(phone.id()), Ok(1));
    // The verified copy reads without the network.
    let offline = phone.app.verified_activity_log(phone.id(), 0, 1).unwrap();
    assert_eq!(offline.total, page.total + 1);
    assert_eq!(offline.entries[0].request_id, Some(r.request_id));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_that_does_not_extend_the_verified_one_is_refused() {
    for trick in ["cut back", "rewritten", "rewritten and grown"] {
        let (dir, db, w, phone) = world_with_rejections(&trick.replace(' ', "-"));
        let before = phone.app.activity_log(phone.id(), 0, 100).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let id = phone.profile.identity_id.clone();
        match trick {
            // A service restored from an older backup signs a shorter log.
            "cut back" => {
                conn.execute(
                    "DELETE FROM activity WHERE identity_id = ?1 AND seq >= ?2",
                    rusqlite::params![id, before.total - 1],
                )
                .unwrap();
            }
            // History rewritten with every hash recomputed, as only the
            // service (with its key) could: each link checks out, but the
            // chain no longer passes through what this app verified.
            "rewritten" => rewrite_service_log(&conn, &id, 2, |e| {
                e.detail = format!("{} (edited)", e.detail);
            }),
            _ => {
                rewrite_service_log(&conn, &id, 2, |e| e.at_ms += 1);
                let r = w.request(USER);
                phone.app.refresh(phone.id()).unwrap();
                phone.app.reject(phone.id(), &r.request_id).unwrap();
            }
        }
        let got = phone.app.activity_log(phone.id(), 0, 100);
        assert!(
            matches!(&got, Err(Error::Protocol(m)) if m.contains("does not extend")),
            "{trick}: {got:?}"
        );
        // The copy verified before stays as it was.
        assert_eq!(
            phone.app.verified_activity_log(phone.id(), 0, 100),
            Ok(before),
            "{trick}"
        );
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_log_of_ten_thousand_entries_is_verified_page_by_page() {
    use akuersi_protocol::activity::{ActivityKind, LogEntry};
    use akuersi_protocol::wire::{paths, MAX_ACTIVITY_PAGE};
    const MANY: u64 = 10_000;
    let (dir, db, w, phone) = world_with_rejections("long");
    let id = phone.profile.identity_id.clone();
    {
        // Append MANY entries the way the service chains them, in one go.
        let mut conn = rusqlite::Connection::open(&db).unwrap();
        let tx = conn.transaction().unwrap();
        let (mut seq, mut prev): (u64, Vec<u8>) = tx
            .query_row(
                "SELECT seq, hash FROM activity WHERE identity_id = ?1 ORDER BY seq DESC LIMIT 1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        for i in 0..MANY {
            seq += 1;
            let mut e = LogEntry {
                seq,
                at_ms: T0 + i as i64,
                kind: ActivityKind::DeviceRenamed,
                device_id: Some(phone.profile.device_id.clone()),
                request_id: None,
                detail: format!("device renamed to \"phone {i}\""),
                prev_hash: prev.clone(),
                hash: Vec::new(),
            };
            e.hash = e.expected_hash(&id).to_vec();
            tx.execute(
                "INSERT INTO activity(identity_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8)",
                rusqlite::params![id, e.seq, e.at_ms, e.kind.as_str(), e.device_id, e.detail, e.prev_hash, e.hash],
            )
            .unwrap();
            prev = e.hash;
        }
        tx.commit().unwrap();
    }
    let activity_calls = || {
        w.tap
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == paths::ACTIVITY)
            .count()
    };
    let total = w.service.activity(&id).unwrap().len() as u64;
    assert!(total > MANY);
    let added = phone.app.sync_activity_log(phone.id()).unwrap();
    assert_eq!(added, total);
    let pages = added.div_ceil(u64::from(MAX_ACTIVITY_PAGE)) as usize;
    assert_eq!(activity_calls(), pages, "one call per page");
    let newest = phone.app.verified_activity_log(phone.id(), 0, 3).unwrap();
    assert_eq!(newest.total, added);
    assert_eq!(newest.entries[0].detail, "device renamed to \"phone 9999\"");
    assert_eq!(newest.entries[0].seq, added);
    // The next look costs one call.
    phone.app.activity_log(phone.id(), 0, 10).unwrap();
    assert_eq!(activity_calls(), pages + 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn notifications_and_the_outbox_are_read_page_by_page() {
    use akuersi_protocol::wire::{paths, MAX_NOTIFICATION_PAGE};
    let (dir, db, w, phone) = world_with_rejections("notices");
    phone.app.notifications(phone.id()).unwrap();
    let id = phone.profile.identity_id.clone();
    let insert = |n: usize, at_ms: i64| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for i in 0..n {
            conn.execute(
                "INSERT INTO notifications(identity_id, at_ms, channel, address, event, text)
                 VALUES (?1, ?2, 'app', '', 'test', ?3)",
                rusqlite::params![id, at_ms, format!("notice {i}")],
            )
            .unwrap();
        }
    };
    let calls = || {
        w.tap
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == paths::NOTIFICATIONS)
            .count()
    };
    let page = MAX_NOTIFICATION_PAGE as usize;
    insert(2 * page + 10, now(&w));
    let before = calls();
    let got = phone.app.notifications(phone.id()).unwrap();
    assert_eq!(got.len(), 2 * page + 10);
    assert_eq!(got.last().unwrap().text, format!("notice {}", 2 * page + 9));
    assert_eq!(calls() - before, 3, "three pages");
    assert!(phone.app.notifications(phone.id()).unwrap().is_empty());
    // The operator's outbox comes in pages of the same size.
    let first = w.service.outbox(Some(USER), 0).unwrap();
    assert_eq!(first.len(), page);
    // A device that joins later sees what came after it, even behind more
    // than a page of older notices.
    w.clock.advance_secs(60);
    let tablet = w.installation(":memory:");
    let t = w.activate(&tablet, USER, "tablet");
    w.clock.advance_secs(60);
    insert(1, now(&w));
    let seen = tablet.notifications(&t.profile_id).unwrap();
    assert!(seen
        .iter()
        .any(|n| n.text == "notice 0" && n.at_ms == now(&w)));
    assert!(seen.iter().all(|n| n.at_ms >= now(&w) - 60_000), "{seen:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn renames_are_limited_per_identity() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let tablet = w.app(USER, "tablet");
    let rename = |app: &App, name: String| {
        app.app
            .rename_device(app.id(), tablet.profile.device_id.clone(), name)
    };
    for i in 0..10 {
        // Two devices of one identity share its budget.
        let app = if i % 2 == 0 { &phone } else { &tablet };
        rename(app, format!("tablet {i}")).unwrap();
    }
    let digest = w.digest();
    assert_eq!(
        rename(&phone, "Call support +299 000000".into()),
        Err(Error::RateLimited)
    );
    assert_eq!(w.digest(), digest, "a refused rename writes nothing");
    let renames = || {
        w.activity_kinds(&phone.profile.identity_id)
            .iter()
            .filter(|k| *k == "device_renamed")
            .count()
    };
    assert_eq!(renames(), 10);
    // Another identity is not held back.
    let other = w.app("Malik-Sisimiut", "phone");
    other
        .app
        .rename_device(other.id(), other.profile.device_id.clone(), "mine".into())
        .unwrap();
    w.clock.advance_secs(HOUR);
    rename(&phone, "tablet again".into()).unwrap();
    assert_eq!(renames(), 11);
}

#[test]
fn two_identities_on_one_installation_are_kept_apart() {
    let w = World::new();
    w.identity(USER);
    w.identity("Malik-Sisimiut");
    let tablet = w.installation(":memory:");
    let a = w.activate(&tablet, USER, "tablet");
    let b = tablet
        .activate(
            "Malik-Sisimiut".into(),
            w.code("Malik-Sisimiut"),
            "730518".into(),
            "tablet".into(),
        )
        .unwrap();
    assert_ne!(a.device_id, b.device_id, "each identity has its own key");
    assert_eq!(tablet.profiles().unwrap().len(), 2);
    // The same user ID cannot be set up twice on one installation.
    assert_eq!(
        tablet.activate(USER.into(), w.code(USER), PIN.into(), "again".into()),
        Err(Error::ProfileExists)
    );
    let ra = w.request(USER);
    let rb = w.request("Malik-Sisimiut");
    let va = tablet.refresh(&a.profile_id).unwrap();
    let vb = tablet.refresh(&b.profile_id).unwrap();
    assert_eq!(va.len(), 1);
    assert_eq!(vb.len(), 1);
    assert_eq!(va[0].request_id, ra.request_id);
    assert_eq!(vb[0].request_id, rb.request_id);
    // One identity's PIN does not open the other.
    assert_eq!(
        tablet.approve(&b.profile_id, &rb.request_id, PIN.into()),
        Err(Error::WrongPin { attempts_left: 9 })
    );
    // Nor can a profile decide the other's request.
    assert_eq!(
        tablet.approve(&a.profile_id, &rb.request_id, PIN.into()),
        Err(Error::RequestNotFound)
    );
    tablet
        .approve(&a.profile_id, &ra.request_id, PIN.into())
        .unwrap();
    tablet
        .approve(&b.profile_id, &rb.request_id, "730518".into())
        .unwrap();
    assert_eq!(w.poll(&ra.poll_handle).status, RequestStatus::Approved);
    assert_eq!(w.poll(&rb.poll_handle).status, RequestStatus::Approved);
    // Removing one profile's device leaves the other intact.
    tablet
        .remove_device(&a.profile_id, a.device_id.clone(), PIN.into(), true)
        .unwrap();
    assert_eq!(tablet.profiles().unwrap().len(), 1);
    assert_eq!(tablet.profiles().unwrap()[0].profile_id, b.profile_id);
}
