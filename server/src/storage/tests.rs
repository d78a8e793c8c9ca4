//! Unit tests of the storage operations: each row type goes in and comes
//! back out unchanged, the queries the service's rules rest on select what
//! they say, the schema is made on an empty database, and a refused
//! transaction leaves nothing behind.

use akuersi_protocol::request::{Action, Amount, LocalizedText};
use akuersi_protocol::wire::{ChannelBindingKind, NotificationItem, RequestStatus};

use super::codes::LiveCode;
use super::devices::{DeviceInfoRow, DeviceListRow};
use super::diagnostics::STATE_TABLES;
use super::identities::{Contact, IdentityOverview};
use super::migrations::MIGRATIONS;
use super::pin_sessions::PinSessionShares;
use super::*;
use crate::error::{Result, ServiceError};

const ID: &str = "identity-aviaja";
const OTHER: &str = "identity-malik";
const DEV: &str = "device-1";
const DEV2: &str = "device-2";

fn db() -> Db {
    Db::open(":memory:", true).expect("an in-memory database opens")
}

/// Run `f` in one write transaction that commits.
fn write<T>(db: &Db, f: impl FnOnce(&Store<'_>) -> Result<T>) -> T {
    db.write(|tx| Ok(Outcome::Done(f(tx)?)))
        .expect("the transaction commits")
}

/// Whether a write transaction running `f` fails (and so commits nothing).
fn write_fails(db: &Db, f: impl FnOnce(&Store<'_>) -> Result<()>) -> bool {
    let r: Result<()> = db.write(|tx| Ok(Outcome::Done(f(tx)?)));
    r.is_err()
}

/// A database with identity [`ID`] (user key "aviaja") and what `more`
/// adds, made in one transaction.
fn db_with_identity<T>(more: impl FnOnce(&Store<'_>) -> Result<T>) -> Db {
    let db = db();
    write(&db, |tx| {
        add_identity(tx, ID, "aviaja")?;
        more(tx)
    });
    db
}

/// Run `f` on a read lock.
fn read<T>(db: &Db, f: impl FnOnce(&Store<'_>) -> Result<T>) -> T {
    let conn = db.conn().expect("read lock");
    f(&conn.store()).expect("the read succeeds")
}

fn add_identity(tx: &Store<'_>, identity_id: &str, user_key: &str) -> Result<()> {
    tx.insert_identity(&NewIdentity {
        identity_id,
        user_id: user_key,
        user_key,
        created_at_ms: 1_000,
    })
}

const W0: [u8; 32] = [7; 32];
const L: [u8; 65] = [9; 65];

fn add_device(tx: &Store<'_>, device_id: &str, identity_id: &str, now_ms: i64) -> Result<()> {
    tx.insert_device(&NewDevice {
        device_id,
        identity_id,
        public_key: &[4; 65],
        name: "Aviaja's phone",
        platform: "android",
        verifier: NewVerifier {
            w0: &W0,
            l: &L,
            kdf_iterations: 100_000,
        },
        now_ms,
    })
}

fn texts() -> Vec<LocalizedText> {
    vec![LocalizedText {
        lang: "kl".into(),
        header: "Iserneq".into(),
        body: "Demo Bank – æøå".into(),
    }]
}

/// A request of `user_key`, pending from 10_000 to 70_000.
fn new_request<'a>(
    request_id: &'a str,
    user_key: &'a str,
    identity_id: Option<&'a str>,
    handle_hash: &'a [u8],
    texts_json: &'a str,
) -> NewRequest<'a> {
    NewRequest {
        request_id,
        user_key,
        identity_id,
        nonce: &[5; 32],
        requester_id: "demo-bank",
        requester_name: "Demo Bank",
        action: Action::LogOn,
        texts_json,
        created_at_ms: 10_000,
        expires_at_ms: 70_000,
        poll_handle_hash: handle_hash,
        channel_kind: None,
        channel_code: None,
        channel_secret: None,
        amount: None,
        account: None,
    }
}

// ------------------------------------------------------------ migrations

#[test]
fn an_empty_database_gets_every_table_and_the_schema_version() {
    let db = db();
    let conn = db.conn().unwrap();
    let version: usize = conn
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len());
    // Every state table, and the key rotations'.
    for table in STATE_TABLES.into_iter().chain(["key_rotations"]) {
        let n: i64 = conn
            .connection()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("table {table} is missing: {e}"));
        assert_eq!(n, 0, "{table} starts empty");
    }
    // No table for private keys any more (migration 2).
    assert!(conn
        .connection()
        .query_row("SELECT count(*) FROM service_key", [], |r| r
            .get::<_, i64>(0))
        .is_err());
}

#[test]
fn reopening_keeps_the_data_and_runs_no_migration_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.db");
    let path = path.to_str().unwrap();
    {
        let db = Db::open(path, false).unwrap();
        write(&db, |tx| add_identity(tx, ID, "aviaja"));
    }
    // A second run of migration 1 would fail ("table exists").
    let db = Db::open(path, false).expect("a migrated database opens again");
    assert_eq!(
        read(&db, |tx| tx.identity_by_user_key("aviaja")),
        Some(ID.to_owned())
    );
}

#[test]
fn a_schema_newer_than_the_service_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.db");
    let path = path.to_str().unwrap();
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", MIGRATIONS.len() + 1))
            .unwrap();
    }
    let e = Db::open(path, false).err().expect("refused");
    assert!(e.message.contains("newer"), "{e}");
}

// ------------------------------------------------------------ transactions

#[test]
fn a_failed_transaction_leaves_nothing() {
    let db = db_with_identity(|_| Ok(()));
    let before = read(&db, |tx| tx.dump_state());
    let refused: Result<()> = db.write(|tx| {
        add_identity(tx, OTHER, "malik")?;
        add_device(tx, DEV, ID, 5)?;
        tx.set_frozen(ID, true)?;
        Err(ServiceError::internal("refused on purpose"))
    });
    assert!(refused.is_err());
    assert_eq!(read(&db, |tx| tx.dump_state()), before);
    assert_eq!(read(&db, |tx| tx.identity_by_user_key("malik")), None);
    assert!(!read(&db, |tx| tx.is_frozen(ID)));
}

#[test]
fn a_refusal_that_must_leave_a_trace_commits_what_came_before() {
    let db = db();
    let refused: Result<()> = db.write(|tx| {
        add_identity(tx, ID, "aviaja")?;
        Ok(Outcome::Refuse(ServiceError::internal(
            "counted, then refused",
        )))
    });
    assert!(refused.is_err());
    assert_eq!(
        read(&db, |tx| tx.identity_by_user_key("aviaja")),
        Some(ID.to_owned())
    );
}

#[test]
fn the_state_dump_sees_every_change() {
    let db = db_with_identity(|_| Ok(()));
    let before = read(&db, |tx| tx.dump_state());
    write(&db, |tx| tx.set_notify_every_use(ID, true));
    assert_ne!(read(&db, |tx| tx.dump_state()), before);
}

// ------------------------------------------------------------ identities

#[test]
fn identities_round_trip() {
    let db = db_with_identity(|_| Ok(()));
    read(&db, |tx| {
        assert!(tx.user_key_taken("aviaja")?);
        assert!(!tx.user_key_taken("malik")?);
        assert!(!tx.user_key_taken_by_other("aviaja", ID)?);
        assert!(tx.user_key_taken_by_other("aviaja", OTHER)?);
        assert_eq!(
            tx.identity_overview(ID)?,
            IdentityOverview {
                user_id: "aviaja".into(),
                frozen: false,
                phone: None,
                email: None,
                notify_every_use: false,
            }
        );
        Ok(())
    });
    write(&db, |tx| {
        tx.set_user_id(ID, "Aviaja2", "aviaja2")?;
        tx.set_contact_addresses(ID, Some("+299123456"), Some("a@example.gl"))?;
        tx.set_notify_every_use(ID, true)?;
        tx.set_frozen(ID, true)
    });
    read(&db, |tx| {
        assert_eq!(tx.identity_by_user_key("aviaja")?, None);
        assert_eq!(tx.identity_by_user_key("aviaja2")?, Some(ID.into()));
        // Frozen: requesters are told nothing of it.
        assert_eq!(tx.unfrozen_identity_language("aviaja2")?, None);
        assert!(tx.is_frozen(ID)?);
        assert!(tx.notify_every_use(ID)?);
        assert_eq!(
            tx.contact_addresses(ID)?,
            (Some("+299123456".into()), Some("a@example.gl".into()))
        );
        assert_eq!(
            tx.contact(ID)?,
            Contact {
                phone: Some("+299123456".into()),
                email: Some("a@example.gl".into()),
                language: "en".into(),
            }
        );
        assert_eq!(
            tx.identity_overview(ID)?,
            IdentityOverview {
                user_id: "Aviaja2".into(),
                frozen: true,
                phone: Some("+299123456".into()),
                email: Some("a@example.gl".into()),
                notify_every_use: true,
            }
        );
        Ok(())
    });
    write(&db, |tx| tx.set_frozen(ID, false));
    assert_eq!(
        read(&db, |tx| tx.unfrozen_identity_language("aviaja2")),
        Some((ID.into(), "en".into()))
    );
}

#[test]
fn a_user_key_is_unique_and_an_unknown_identity_is_an_error() {
    let db = db_with_identity(|_| Ok(()));
    assert!(write_fails(&db, |tx| add_identity(tx, OTHER, "aviaja")));
    let conn = db.conn().unwrap();
    assert!(conn.store().is_frozen("nobody").is_err());
}

// ------------------------------------------------------------ devices

#[test]
fn devices_round_trip() {
    let db = db_with_identity(|tx| {
        add_device(tx, DEV, ID, 2_000)?;
        add_device(tx, DEV2, ID, 3_000)
    });
    read(&db, |tx| {
        assert_eq!(
            tx.device(DEV)?,
            Some(DeviceRow {
                identity_id: ID.into(),
                public_key: vec![4; 65],
                name: "Aviaja's phone".into(),
                status: "active".into(),
                last_seq: 0,
                pin_failures: 0,
                last_pin_attempt_ms: 0,
                w0: W0.to_vec(),
                l: L.to_vec(),
            })
        );
        assert_eq!(tx.device("nope")?, None);
        assert!(tx.device_exists(DEV)?);
        assert!(!tx.device_exists("nope")?);
        assert_eq!(tx.device_owner(DEV)?, Some((ID.into(), "active".into())));
        assert_eq!(tx.device_public_key(DEV)?, vec![4; 65]);
        assert!(tx.device_public_key("nope").is_err());
        assert_eq!(tx.device_enrolled_at(DEV2)?, 3_000);
        assert_eq!(tx.count_active_devices(ID)?, 2);
        assert_eq!(
            tx.active_device_name(DEV, ID)?,
            Some("Aviaja's phone".into())
        );
        assert_eq!(tx.active_device_name(DEV, OTHER)?, None);
        let list = tx.active_devices(ID)?;
        assert_eq!(
            list.iter()
                .map(|d| d.device_id.as_str())
                .collect::<Vec<_>>(),
            [DEV, DEV2],
            "oldest first"
        );
        assert_eq!(
            list[0],
            DeviceListRow {
                device_id: DEV.into(),
                name: "Aviaja's phone".into(),
                platform: "android".into(),
                pin_failures: 0,
                last_pin_attempt_ms: 0,
                enrolled_at_ms: 2_000,
                last_used_at_ms: 2_000,
            }
        );
        Ok(())
    });
    write(&db, |tx| {
        tx.count_pin_attempt(DEV, 4, 5_000)?;
        tx.touch_device(DEV, 6_000)?;
        assert!(tx.rename_device(DEV, ID, "Old phone")?);
        assert!(!tx.rename_device(DEV, OTHER, "Stolen")?);
        tx.set_verifier(
            DEV2,
            NewVerifier {
                w0: &[1; 32],
                l: &[2; 65],
                kdf_iterations: 200_000,
            },
        )?;
        tx.remove_device(DEV2)
    });
    read(&db, |tx| {
        assert_eq!(
            tx.device_info(DEV)?,
            Some(DeviceInfoRow {
                device_id: DEV.into(),
                identity_id: ID.into(),
                name: "Old phone".into(),
                status: "active".into(),
                pin_failures: 4,
                last_pin_attempt_ms: 5_000,
                last_used_at_ms: 6_000,
            })
        );
        let removed = tx.device(DEV2)?.expect("a removed device is still stored");
        assert_eq!(removed.status, "removed");
        assert_eq!((removed.w0, removed.l), (vec![1; 32], vec![2; 65]));
        assert_eq!(tx.count_active_devices(ID)?, 1);
        assert!(
            !tx.rename_device(DEV2, ID, "Back")?,
            "removed devices stay removed"
        );
        Ok(())
    });
    write(&db, |tx| {
        tx.reactivate_device(
            DEV,
            NewVerifier {
                w0: &[3; 32],
                l: &[6; 65],
                kdf_iterations: 150_000,
            },
            "New PIN phone",
            9_000,
        )
    });
    let d = read(&db, |tx| tx.device(DEV)).unwrap();
    assert_eq!((d.pin_failures, d.last_pin_attempt_ms), (0, 0));
    assert_eq!(
        (d.w0, d.l, d.name),
        (vec![3; 32], vec![6; 65], "New PIN phone".into())
    );
    write(&db, |tx| tx.reset_pin_failures(DEV));
}

#[test]
fn a_device_must_belong_to_an_identity_and_its_id_is_unique() {
    let db = db();
    assert!(
        write_fails(&db, |tx| add_device(tx, DEV, ID, 1)),
        "foreign keys are on"
    );
    write(&db, |tx| {
        add_identity(tx, ID, "aviaja")?;
        add_device(tx, DEV, ID, 1)
    });
    assert!(write_fails(&db, |tx| add_device(tx, DEV, ID, 2)));
}

#[test]
fn sequence_numbers_are_stored_as_given() {
    let db = db_with_identity(|tx| add_device(tx, DEV, ID, 1));
    for (seq, at) in [(1, 10), (2, 20), (7, 30)] {
        write(&db, |tx| tx.advance_seq(DEV, seq, at));
        let d = read(&db, |tx| tx.device_info(DEV)).unwrap();
        assert_eq!(read(&db, |tx| tx.device(DEV)).unwrap().last_seq, seq);
        assert_eq!(d.last_used_at_ms, at);
    }
}

// ------------------------------------------------------------ activation codes

#[test]
fn activation_codes_round_trip_and_lapse() {
    let db = db_with_identity(|tx| {
        tx.insert_activation_code(&NewActivationCode {
            identity_id: ID,
            code_hash: &[1; 32],
            channel: "paper",
            issued_at_ms: 0,
            expires_at_ms: 100,
        })?;
        tx.insert_activation_code(&NewActivationCode {
            identity_id: ID,
            code_hash: &[2; 32],
            channel: "sms",
            issued_at_ms: 0,
            expires_at_ms: 50,
        })
    });
    let codes = read(&db, |tx| tx.unused_codes(ID, 10));
    assert_eq!(codes.len(), 2);
    assert_eq!(
        codes[0],
        LiveCode {
            code_id: codes[0].code_id,
            code_hash: vec![1; 32],
            failures: 0,
        }
    );
    assert_eq!(
        read(&db, |tx| tx.unused_codes(ID, 50)).len(),
        1,
        "lapsed at 50"
    );
    assert!(read(&db, |tx| tx.unused_codes(OTHER, 10)).is_empty());
    let first = codes[0].code_id;
    write(&db, |tx| {
        tx.count_code_failure(first)?;
        tx.count_code_failure(first)
    });
    let after = read(&db, |tx| tx.unused_codes(ID, 10));
    assert_eq!(
        after.iter().find(|c| c.code_id == first).unwrap().failures,
        2
    );
    write(&db, |tx| tx.use_code(first, 20));
    let left = read(&db, |tx| tx.unused_codes(ID, 10));
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].code_hash, vec![2; 32]);
}

// ------------------------------------------------------------ requests

#[test]
fn requests_round_trip_with_every_field() {
    let db = db();
    let texts = texts();
    let texts_json = serde_json::to_string(&texts).unwrap();
    let amount = Amount {
        minor_units: 12_345,
        currency: "DKK".into(),
    };
    write(&db, |tx| {
        add_identity(tx, ID, "aviaja")?;
        tx.insert_request(&NewRequest {
            action: Action::Approve,
            channel_kind: Some(ChannelBindingKind::Qr),
            channel_secret: Some(&[8; 32]),
            amount: Some(&amount),
            account: Some("DK50 0040 0440 1162 43"),
            ..new_request("r1", "aviaja", Some(ID), &[1; 32], &texts_json)
        })?;
        tx.insert_request(&NewRequest {
            channel_kind: Some(ChannelBindingKind::Code),
            channel_code: Some("0042"),
            ..new_request("r2", "ghost", None, &[2; 32], &texts_json)
        })
    });
    let r1 = read(&db, |tx| tx.request("r1")).expect("stored");
    assert_eq!(
        r1,
        RequestRow {
            request_id: "r1".into(),
            identity_id: Some(ID.into()),
            nonce: vec![5; 32],
            requester_id: "demo-bank".into(),
            requester_name: "Demo Bank".into(),
            action: Action::Approve,
            texts: texts.clone(),
            created_at_ms: 10_000,
            expires_at_ms: 70_000,
            status: RequestStatus::Pending,
            decided_by: None,
            statement: None,
            signature: None,
            channel_kind: Some(ChannelBindingKind::Qr),
            channel_code: None,
            channel_secret: Some(vec![8; 32]),
            channel_failures: 0,
            channel_ok_device: None,
            channel_ok_answer: None,
            amount: Some(amount.clone()),
            account: Some("DK50 0040 0440 1162 43".into()),
        }
    );
    assert_eq!(
        read(&db, |tx| tx.request_by_handle_hash(&[1; 32])),
        Some(r1)
    );
    let r2 = read(&db, |tx| tx.request_by_handle_hash(&[2; 32])).expect("stored");
    assert_eq!(
        r2.identity_id, None,
        "an unknown user ID's request has no identity"
    );
    assert_eq!(r2.channel_kind, Some(ChannelBindingKind::Code));
    assert_eq!(r2.channel_code.as_deref(), Some("0042"));
    assert_eq!((r2.amount, r2.account), (None, None));
    assert_eq!(read(&db, |tx| tx.request_by_handle_hash(&[3; 32])), None);
    assert_eq!(read(&db, |tx| tx.request("r3")), None);
}

#[test]
fn a_poll_handle_hash_is_unique() {
    let db = db();
    write(&db, |tx| {
        tx.insert_request(&new_request("r1", "aviaja", None, &[1; 32], "[]"))
    });
    assert!(write_fails(&db, |tx| {
        tx.insert_request(&new_request("r2", "malik", None, &[1; 32], "[]"))
    }));
}

#[test]
fn a_damaged_stored_request_is_an_error_not_a_guess() {
    let db = db();
    write(&db, |tx| {
        tx.insert_request(&new_request("r1", "aviaja", None, &[1; 32], "not json"))
    });
    let conn = db.conn().unwrap();
    assert!(conn.store().request("r1").is_err());
}

#[test]
fn one_pending_request_per_user_key() {
    let db = db_with_identity(|tx| {
        tx.insert_request(&new_request("r1", "aviaja", Some(ID), &[1; 32], "[]"))
    });
    read(&db, |tx| {
        // Pending and unexpired until 70_000, for this user key only.
        assert!(tx.pending_request_exists("aviaja", 69_999)?);
        assert!(!tx.pending_request_exists("aviaja", 70_000)?);
        assert!(!tx.pending_request_exists("malik", 20_000)?);
        assert_eq!(tx.count_recent_requests("aviaja", 9_999)?, 1);
        assert_eq!(tx.count_recent_requests("aviaja", 10_000)?, 0);
        Ok(())
    });
    // Decided: no longer pending; the first decision wins.
    let decision = RequestDecision {
        request_id: "r1",
        status: RequestStatus::Rejected,
        decided_at_ms: 20_000,
        decided_by: DEV,
        statement: b"statement",
        signature: b"signature",
    };
    assert!(write(&db, |tx| tx.decide_request(&decision)));
    assert!(!write(&db, |tx| tx.decide_request(&RequestDecision {
        status: RequestStatus::Approved,
        ..decision
    })));
    let r1 = read(&db, |tx| tx.request("r1")).unwrap();
    assert_eq!(r1.status, RequestStatus::Rejected);
    assert_eq!(r1.decided_by.as_deref(), Some(DEV));
    assert_eq!(r1.statement.as_deref(), Some(&b"statement"[..]));
    assert_eq!(r1.signature.as_deref(), Some(&b"signature"[..]));
    assert!(!read(&db, |tx| tx.pending_request_exists("aviaja", 20_000)));
    // A cancelled request neither blocks a new one nor counts towards the limit.
    write(&db, |tx| {
        tx.insert_request(&new_request("r2", "aviaja", Some(ID), &[2; 32], "[]"))?;
        tx.cancel_request("r2", 30_000)
    });
    read(&db, |tx| {
        assert!(!tx.pending_request_exists("aviaja", 30_000)?);
        assert_eq!(tx.count_recent_requests("aviaja", 0)?, 1);
        assert_eq!(
            tx.request("r2")?.map(|r| r.status),
            Some(RequestStatus::Cancelled)
        );
        Ok(())
    });
}

#[test]
fn pending_requests_and_recent_declines_of_an_identity() {
    let db = db_with_identity(|tx| {
        tx.insert_request(&NewRequest {
            created_at_ms: 20_000,
            ..new_request("late", "aviaja", Some(ID), &[1; 32], "[]")
        })?;
        tx.insert_request(&new_request("early", "aviaja", Some(ID), &[2; 32], "[]"))?;
        tx.insert_request(&NewRequest {
            expires_at_ms: 15_000,
            ..new_request("lapsed", "aviaja", Some(ID), &[3; 32], "[]")
        })?;
        tx.insert_request(&new_request("rejected", "aviaja", Some(ID), &[4; 32], "[]"))?;
        tx.decide_request(&RequestDecision {
            request_id: "rejected",
            status: RequestStatus::Rejected,
            decided_at_ms: 11_000,
            decided_by: DEV,
            statement: b"s",
            signature: b"g",
        })
    });
    let pending = read(&db, |tx| tx.pending_requests(ID, 16_000));
    assert_eq!(
        pending
            .iter()
            .map(|r| r.request_id.as_str())
            .collect::<Vec<_>>(),
        ["early", "late"],
        "unexpired pending ones, oldest first"
    );
    read(&db, |tx| {
        // The rejected one and the lapsed one, not the request itself.
        assert_eq!(
            tx.count_recent_declined(ID, "demo-bank", 0, "early", 16_000)?,
            2
        );
        // Before the lapse only the rejection counts.
        assert_eq!(
            tx.count_recent_declined(ID, "demo-bank", 0, "early", 14_000)?,
            1
        );
        assert_eq!(
            tx.count_recent_declined(ID, "other-bank", 0, "early", 16_000)?,
            0
        );
        assert_eq!(
            tx.count_recent_declined(ID, "demo-bank", 10_000, "early", 16_000)?,
            0
        );
        Ok(())
    });
}

#[test]
fn channel_binding_state_round_trips() {
    let db = db();
    write(&db, |tx| {
        tx.insert_request(&new_request("r1", "aviaja", None, &[1; 32], "[]"))?;
        tx.count_channel_failure("r1", 1)?;
        tx.set_channel_ok("r1", DEV, "0042")
    });
    let r = read(&db, |tx| tx.request("r1")).unwrap();
    assert_eq!(r.channel_failures, 1);
    assert_eq!(r.channel_ok_device.as_deref(), Some(DEV));
    assert_eq!(r.channel_ok_answer.as_deref(), Some("0042"));
    assert_eq!(r.status, RequestStatus::Pending);
    write(&db, |tx| tx.cancel_after_channel_failures("r1", 3, 40_000));
    let r = read(&db, |tx| tx.request("r1")).unwrap();
    assert_eq!(
        (r.channel_failures, r.status),
        (3, RequestStatus::Cancelled)
    );
}

// ------------------------------------------------------------ PIN sessions

#[test]
fn pin_sessions_open_only_for_their_device_purpose_and_time() {
    let db = db();
    let session = NewPinSession {
        session_id: "s1",
        device_id: DEV,
        request_id: "",
        share_p: &[1; 65],
        share_v: &[2; 65],
        expected_confirm_p: &[3; 32],
        expires_at_ms: 1_000,
        purpose: "\"change_pin\"",
    };
    write(&db, |tx| tx.insert_pin_session(&session));
    let shares = PinSessionShares {
        share_p: vec![1; 65],
        share_v: vec![2; 65],
        expected_confirm_p: vec![3; 32],
    };
    read(&db, |tx| {
        assert_eq!(
            tx.open_pin_session("s1", DEV, "\"change_pin\"", 999)?,
            Some(shares)
        );
        assert_eq!(
            tx.open_pin_session("s1", DEV, "\"change_pin\"", 1_000)?,
            None
        );
        assert_eq!(tx.open_pin_session("s1", DEV2, "\"change_pin\"", 0)?, None);
        assert_eq!(tx.open_pin_session("s1", DEV, "\"add_device\"", 0)?, None);
        assert_eq!(tx.open_pin_session("s2", DEV, "\"change_pin\"", 0)?, None);
        // Lapsed or not, an unused session can be reported as failed.
        assert_eq!(
            tx.unused_pin_session_request("s1", DEV)?,
            Some(String::new())
        );
        assert_eq!(tx.unused_pin_session_request("s1", DEV2)?, None);
        Ok(())
    });
    write(&db, |tx| tx.close_pin_session("s1"));
    read(&db, |tx| {
        assert_eq!(tx.open_pin_session("s1", DEV, "\"change_pin\"", 0)?, None);
        assert_eq!(tx.unused_pin_session_request("s1", DEV)?, None);
        Ok(())
    });
    assert!(
        write_fails(&db, |tx| tx.insert_pin_session(&session)),
        "a session id is used once"
    );
}

// ------------------------------------------------------------ activity log

#[test]
fn the_activity_log_round_trips_in_order() {
    let db = db();
    assert_eq!(read(&db, |tx| tx.activity_head(ID)), None);
    write(&db, |tx| {
        tx.insert_activity(&NewActivity {
            identity_id: ID,
            seq: 1,
            at_ms: 5,
            kind: "identity_created",
            device_id: None,
            request_id: None,
            detail: "identity created",
            prev_hash: &[0; 32],
            hash: &[1; 32],
        })?;
        tx.insert_activity(&NewActivity {
            identity_id: ID,
            seq: 2,
            at_ms: 6,
            kind: "request_approved",
            device_id: Some(DEV),
            request_id: Some("r1"),
            detail: "Demo Bank – log_on",
            prev_hash: &[1; 32],
            hash: &[2; 32],
        })
    });
    assert_eq!(read(&db, |tx| tx.activity_head(ID)), Some((2, vec![2; 32])));
    assert_eq!(read(&db, |tx| tx.activity_head(OTHER)), None);
    let entries = read(&db, |tx| tx.activity_entries(ID));
    assert_eq!(entries.len(), 2);
    let e = &entries[1];
    assert_eq!(
        (e.seq, e.at_ms, e.kind.as_str()),
        (2, 6, "request_approved")
    );
    assert_eq!(
        (e.device_id.as_deref(), e.request_id.as_deref()),
        (Some(DEV), Some("r1"))
    );
    assert_eq!(
        (e.prev_hash.clone(), e.hash.clone()),
        (vec![1; 32], vec![2; 32])
    );
    assert_eq!(e.detail, "Demo Bank – log_on");
    // A sequence number is taken once per identity.
    assert!(write_fails(&db, |tx| {
        tx.insert_activity(&NewActivity {
            identity_id: ID,
            seq: 2,
            at_ms: 7,
            kind: "x",
            device_id: None,
            request_id: None,
            detail: "x",
            prev_hash: &[2; 32],
            hash: &[3; 32],
        })
    }));
}

// ------------------------------------------------------------ additions

#[test]
fn device_additions_round_trip_through_their_states() {
    let db = db_with_identity(|tx| {
        for (id, at) in [("a2", 200), ("a1", 100)] {
            tx.insert_addition(&NewAddition {
                addition_id: id,
                identity_id: ID,
                started_by: DEV,
                started_at_ms: at,
                wait_until_ms: at + 3_600_000,
            })?;
        }
        Ok(())
    });
    let waiting = read(&db, |tx| tx.waiting_additions(ID));
    assert_eq!(
        waiting
            .iter()
            .map(|a| a.addition_id.as_str())
            .collect::<Vec<_>>(),
        ["a1", "a2"]
    );
    assert_eq!(
        waiting[0],
        AdditionRow {
            addition_id: "a1".into(),
            identity_id: ID.into(),
            started_by: DEV.into(),
            started_at_ms: 100,
            wait_until_ms: 3_600_100,
            status: "waiting".into(),
            pairing_secret: None,
            pairing_expires_at_ms: None,
            pairing_failures: 0,
        }
    );
    write(&db, |tx| {
        tx.set_pairing_secret("a1", &[9; 16], 5_000)?;
        tx.count_pairing_failure("a1", 1)
    });
    let a1 = read(&db, |tx| tx.addition("a1")).unwrap();
    assert_eq!(a1.pairing_secret, Some(vec![9; 16]));
    assert_eq!(
        (a1.pairing_expires_at_ms, a1.pairing_failures),
        (Some(5_000), 1)
    );
    write(&db, |tx| tx.fail_addition("a1", 3, 6_000));
    let a1 = read(&db, |tx| tx.addition("a1")).unwrap();
    assert_eq!((a1.status.as_str(), a1.pairing_failures), ("failed", 3));
    assert_eq!(
        a1.pairing_secret, None,
        "the secret is gone with the addition"
    );
    write(&db, |tx| {
        tx.set_pairing_secret("a2", &[9; 16], 5_000)?;
        tx.complete_addition("a2", DEV2, 7_000)
    });
    let a2 = read(&db, |tx| tx.addition("a2")).unwrap();
    assert_eq!((a2.status.as_str(), a2.pairing_secret), ("completed", None));
    assert!(read(&db, |tx| tx.waiting_additions(ID)).is_empty());
    assert_eq!(read(&db, |tx| tx.addition("a3")), None);
}

#[test]
fn vetoing_and_closing_additions() {
    let db = db_with_identity(|tx| {
        for id in ["a1", "a2"] {
            tx.insert_addition(&NewAddition {
                addition_id: id,
                identity_id: ID,
                started_by: DEV,
                started_at_ms: 0,
                wait_until_ms: 10,
            })?;
        }
        tx.set_pairing_secret("a1", &[9; 16], 5_000)?;
        tx.veto_addition("a1", 20, DEV2)
    });
    let a1 = read(&db, |tx| tx.addition("a1")).unwrap();
    assert_eq!((a1.status.as_str(), a1.pairing_secret), ("vetoed", None));
    assert_eq!(read(&db, |tx| tx.waiting_additions(ID)).len(), 1);
    write(&db, |tx| tx.close_waiting_additions(ID, 30, "support"));
    assert!(read(&db, |tx| tx.waiting_additions(ID)).is_empty());
    assert_eq!(read(&db, |tx| tx.addition("a2")).unwrap().status, "vetoed");
}

// ------------------------------------------------------------ outbox, unfreeze, key

#[test]
fn the_outbox_filters_by_identity_channel_and_position() {
    let db = db();
    write(&db, |tx| {
        for (identity_id, channel, address) in [
            (ID, "app", ""),
            (ID, "sms", "+299123456"),
            (OTHER, "app", ""),
        ] {
            tx.insert_notification(&NewNotification {
                identity_id,
                at_ms: 50,
                channel,
                address,
                event: "identity_frozen",
                text: "frozen",
            })?;
        }
        Ok(())
    });
    let all = read(&db, |tx| tx.outbox(None, None, 0, i64::MIN));
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[1],
        NotificationItem {
            id: all[1].id,
            at_ms: 50,
            channel: akuersi_protocol::wire::Channel::Sms,
            address: "+299123456".into(),
            event: "identity_frozen".into(),
            text: "frozen".into(),
        }
    );
    assert_eq!(
        read(&db, |tx| tx.outbox(Some(ID), None, 0, i64::MIN)).len(),
        2
    );
    assert_eq!(
        read(&db, |tx| tx.outbox(Some(ID), Some("app"), 0, i64::MIN)).len(),
        1
    );
    assert_eq!(
        read(&db, |tx| tx.outbox(None, Some("app"), 0, i64::MIN)).len(),
        2
    );
    assert_eq!(
        read(&db, |tx| tx.outbox(None, None, all[0].id, i64::MIN)).len(),
        2
    );
}

#[test]
fn unfreeze_proofs_count_only_other_active_devices_in_the_window() {
    let db = db_with_identity(|tx| {
        add_device(tx, DEV, ID, 0)?;
        add_device(tx, DEV2, ID, 0)?;
        tx.put_unfreeze_proof(ID, DEV, 100)
    });
    read(&db, |tx| {
        assert_eq!(tx.other_unfreeze_proof(ID, DEV2, 99)?, Some(DEV.into()));
        assert_eq!(tx.other_unfreeze_proof(ID, DEV2, 100)?, None, "too old");
        assert_eq!(
            tx.other_unfreeze_proof(ID, DEV, 0)?,
            None,
            "not the same device"
        );
        Ok(())
    });
    // Renewing replaces; a removed device's proof no longer counts.
    write(&db, |tx| tx.put_unfreeze_proof(ID, DEV, 200));
    assert_eq!(
        read(&db, |tx| tx.other_unfreeze_proof(ID, DEV2, 150)),
        Some(DEV.into())
    );
    write(&db, |tx| tx.remove_device(DEV));
    assert_eq!(read(&db, |tx| tx.other_unfreeze_proof(ID, DEV2, 0)), None);
    write(&db, |tx| {
        tx.put_unfreeze_proof(ID, DEV2, 300)?;
        tx.clear_unfreeze_proofs(ID)
    });
    assert_eq!(read(&db, |tx| tx.other_unfreeze_proof(ID, DEV, 0)), None);
}

#[test]
fn one_rotation_statement_per_retired_key() {
    use akuersi_protocol::service_key::KeyRotation;
    let db = db();
    assert!(read(&db, |tx| tx.key_rotations()).is_empty());
    let r = |old: &str, at: i64| KeyRotation {
        old_key_id: old.into(),
        new_public_key: vec![4; 65],
        rotated_at_ms: at,
        signature: vec![1; 64],
    };
    write(&db, |tx| tx.insert_key_rotation(&r("b", 20)));
    write(&db, |tx| tx.insert_key_rotation(&r("a", 10)));
    assert!(write_fails(&db, |tx| tx.insert_key_rotation(&r("a", 30))));
    let stored = read(&db, |tx| tx.key_rotations());
    assert_eq!(stored, vec![r("a", 10), r("b", 20)]);
}

// ------------------------------------------------------------ keys out of the database

/// Does any of the database's files (main, -wal, -shm) contain `needle`?
fn db_files_contain(path: &std::path::Path, needle: &[u8]) -> bool {
    ["", "-wal", "-shm"].iter().any(|suffix| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::fs::read(std::path::PathBuf::from(p))
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    })
}

/// The 32-byte private scalar inside a P-256 PKCS#8 document made by ring.
fn private_scalar(pkcs8: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = pkcs8
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("an ECPrivateKey");
    pkcs8[at + marker.len()..at + marker.len() + 32].to_vec()
}

#[test]
fn an_old_database_keeps_its_key_in_a_key_file_and_no_longer_holds_it() {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.sqlite");
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .unwrap()
        .as_ref()
        .to_vec();
    let public = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let scalar = private_scalar(&pkcs8);
    {
        // A database as schema 1 left it, with its key in a row.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
        conn.execute(
            "INSERT INTO service_key(id, pkcs8) VALUES (1, ?1)",
            [&pkcs8],
        )
        .unwrap();
    }
    // The scan can see a key that is there.
    assert!(db_files_contain(&path, &scalar));

    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(1_000));
    let service = crate::Service::open(
        path.to_str().unwrap(),
        clock.clone(),
        crate::ServiceConfig::default(),
    )
    .unwrap();
    // Same signing key, same code key (codes issued before still verify).
    assert_eq!(service.public_key(), public);
    let legacy_code_key = akuersi_protocol::crypto::sha256(&[b"akuersi/v1/code-key", &pkcs8]);
    let expected = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &legacy_code_key),
        b"code",
    );
    assert_eq!(service.keys.code_mac(b"code").unwrap(), expected.as_ref());
    service.create_identity("Aviaja-Nuuk").unwrap();
    drop(service);

    for needle in [&pkcs8[..], &scalar[..]] {
        assert!(
            !db_files_contain(&path, needle),
            "key bytes in the database"
        );
    }
    let key_file = std::fs::read_to_string(dir.path().join("service.sqlite.keys")).unwrap();
    assert!(key_file.contains(&akuersi_protocol::encoding::b64_encode(&pkcs8)));

    // Reopened, it is the same key, from the file.
    let again = crate::Service::open(
        path.to_str().unwrap(),
        clock,
        crate::ServiceConfig::default(),
    )
    .unwrap();
    assert_eq!(again.public_key(), public);
}

#[test]
fn a_new_database_never_holds_the_key_files_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.sqlite");
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(1_000));
    let service = crate::Service::open(
        path.to_str().unwrap(),
        clock,
        crate::ServiceConfig::default(),
    )
    .unwrap();
    service.create_identity("Aviaja-Nuuk").unwrap();
    service.rotate_key().unwrap();
    drop(service);
    let text = std::fs::read_to_string(dir.path().join("service.sqlite.keys")).unwrap();
    let mut secrets = 0;
    for line in text.lines().skip(1) {
        let (_, value) = line.split_once(' ').unwrap();
        let bytes = akuersi_protocol::encoding::b64_decode(value).unwrap();
        let needle = if bytes.len() == 32 {
            bytes
        } else {
            private_scalar(&bytes)
        };
        assert!(!db_files_contain(&path, &needle));
        secrets += 1;
    }
    assert_eq!(secrets, 3, "a code key and two signing keys");
}

#[test]
fn a_rotation_cut_short_after_the_key_file_is_completed_on_the_next_open() {
    use crate::keys::{FileKeys, KeyProvider};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.sqlite");
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(1_000));
    let open = || {
        crate::Service::open(
            path.to_str().unwrap(),
            clock.clone(),
            crate::ServiceConfig::default(),
        )
        .unwrap()
    };
    let old = open().current_key();
    // The new key reached the key file, then the process died before the
    // rotation statement was stored.
    let new = FileKeys::open_or_create(&dir.path().join("service.sqlite.keys"), None)
        .unwrap()
        .add_signing_key()
        .unwrap();
    let service = open();
    assert_eq!(service.current_key(), new);
    let rotations = service.key_rotations().unwrap();
    assert_eq!(rotations.len(), 1);
    akuersi_protocol::service_key::verify_rotation(&old.public_key, &rotations[0]).unwrap();
    assert_eq!(rotations[0].new_public_key, new.public_key);
}
