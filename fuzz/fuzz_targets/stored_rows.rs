//! Rows the service reads back from its SQLite file, damaged on disk: a
//! template database (an identity, an enrolled device, a pending request with
//! channel binding, a rejected one with its signed statement, the activity log
//! and notifications) is copied, one column is overwritten with a fuzzed
//! value, and the service is opened on the copy and asked to poll, list,
//! check a channel answer, start a PIN proof, create a request, activate and
//! show devices, status, notifications and the activity log.
//!
//! Nothing may panic; every answer is 200 with JSON or a well-formed
//! `ErrorBody` (an internal error is the right answer to a damaged row); an
//! activity log that comes back is checked with `verify_chain`, which refuses
//! rather than panics.
//!
//! Input: column selector, value kind (null, integer, text, blob, edge
//! integer), whether only the first row changes, then the value's bytes.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use akuersi_fuzz::{
    check_answer_shape, log_on, signed_json, DemoBankCalls, Device, OWNER, STORED_COLUMNS, T0,
    TOKEN,
};
use akuersi_protocol::activity::verify_chain;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::TestClock;
use akuersi_protocol::wire::*;
use akuersi_server::api::handle;
use akuersi_server::{Service, ServiceConfig};
use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value;

struct Template {
    dir: PathBuf,
    file: PathBuf,
    device: Mutex<Device>,
    verifier: VerifierRegistration,
    identity_id: String,
    /// The device's last sequence number in the template.
    seq: u64,
    pending_id: String,
    pending_handle: String,
    decided_handle: String,
}

fn config() -> ServiceConfig {
    ServiceConfig {
        operator_token: Some(TOKEN.into()),
        synchronous_full: false,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..Default::default()
    }
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("akuersi-fuzz-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("template.sqlite");
        let clock = Arc::new(TestClock::new(T0));
        let service = Service::open(file.to_str().expect("utf-8 path"), clock, config())
            .expect("template service");
        akuersi_fuzz::register_demo_bank(&service);
        let mut device = Device::enroll(&service);
        service
            .operator_set_contact(OWNER, Some("+299321000"), Some("owner@example.gl"))
            .expect("contact");
        // A request rejected with a signed statement.
        let decided = service.bank_create(log_on(OWNER)).expect("request");
        let pending = service
            .pending(device.envelope(PendingQuery {}))
            .expect("pending")
            .requests
            .remove(0);
        service
            .decide(device.decline(&pending, Decision::Reject))
            .expect("reject");
        // A pending one with channel binding by code.
        let mut req = log_on(OWNER);
        req.channel_binding = Some(ChannelBindingKind::Code);
        let open = service.bank_create(req).expect("request");
        let identity_id = service
            .device_info(&device.device_id)
            .expect("device info")
            .identity_id;
        drop(service);
        let seq = device.seq;
        Template {
            dir,
            file,
            verifier: device.verifier(),
            identity_id,
            device: Mutex::new(device),
            seq,
            pending_id: open.request_id,
            pending_handle: open.poll_handle,
            decided_handle: decided.poll_handle,
        }
    })
}

fn value(kind: u8, bytes: &[u8]) -> Value {
    let int = |b: &[u8]| {
        let mut a = [0u8; 8];
        for (i, x) in b.iter().take(8).enumerate() {
            a[i] = *x;
        }
        i64::from_le_bytes(a)
    };
    match kind % 5 {
        0 => Value::Null,
        1 => Value::Integer(int(bytes)),
        2 => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        3 => Value::Blob(bytes.to_vec()),
        _ => Value::Integer(
            [
                i64::MIN,
                i64::MIN + 1,
                -1,
                0,
                1,
                i64::MAX - 1,
                i64::MAX,
                u32::MAX as i64 + 1,
            ][bytes.first().map_or(0, |b| usize::from(*b) % 8)],
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let [col, kind, first_only, rest @ ..] = data else {
        return;
    };
    let t = template();
    let work = t.dir.join("work.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", work.display()));
    }
    std::fs::copy(&t.file, &work).expect("copy template");
    {
        let conn = rusqlite::Connection::open(&work).expect("open copy");
        let (table, column) = STORED_COLUMNS[usize::from(*col) % STORED_COLUMNS.len()];
        let filter = if first_only & 1 == 1 {
            format!(" WHERE rowid = (SELECT min(rowid) FROM {table})")
        } else {
            String::new()
        };
        let _ = conn.execute(
            &format!("UPDATE {table} SET {column} = ?1{filter}"),
            [value(*kind, rest)],
        );
    }

    let now = T0 + 1_000;
    let clock = Arc::new(TestClock::new(now));
    let Ok(service) = Service::open(work.to_str().expect("utf-8 path"), clock, config()) else {
        return;
    };
    let mut device = t.device.lock().unwrap_or_else(|e| e.into_inner());
    device.seq = t.seq;
    let mut calls: Vec<(&str, Vec<u8>)> = vec![
        (
            paths::POLL_REQUEST,
            signed_json(
                PollRequest {
                    poll_handle: t.pending_handle.clone(),
                },
                now,
            ),
        ),
        (
            paths::POLL_REQUEST,
            signed_json(
                PollRequest {
                    poll_handle: t.decided_handle.clone(),
                },
                now,
            ),
        ),
    ];
    calls.push((
        paths::PENDING,
        serde_json::to_vec(&device.envelope(PendingQuery {})).unwrap(),
    ));
    calls.push((
        paths::CHANNEL_CHECK,
        serde_json::to_vec(&device.envelope(ChannelCheck {
            request_id: t.pending_id.clone(),
            answer: "0000".into(),
        }))
        .unwrap(),
    ));
    let share_p = device.share_p(b"any context");
    calls.push((
        paths::PIN_START,
        serde_json::to_vec(&device.envelope(PinStart {
            purpose: PinPurpose::Request {
                request_id: t.pending_id.clone(),
            },
            share_p,
        }))
        .unwrap(),
    ));
    calls.push((
        paths::DEVICES,
        serde_json::to_vec(&device.envelope(DeviceListQuery {})).unwrap(),
    ));
    calls.push((
        paths::STATUS,
        serde_json::to_vec(&device.envelope(IdentityStatusQuery {})).unwrap(),
    ));
    calls.push((
        paths::NOTIFICATIONS,
        serde_json::to_vec(&device.envelope(NotificationsQuery { after_id: 0 })).unwrap(),
    ));
    calls.push((
        paths::ACTIVITY,
        serde_json::to_vec(&device.envelope(ActivityQuery { after_seq: 0, limit: 10 })).unwrap(),
    ));
    calls.push((paths::CREATE_REQUEST, signed_json(log_on(OWNER), now)));
    calls.push((
        paths::ACTIVATE,
        serde_json::to_vec(&device.activation(OWNER, "0000-0000-0000", &t.verifier)).unwrap(),
    ));
    calls.push((
        paths::OPERATOR_OUTBOX,
        serde_json::to_vec(&OperatorOutbox {
            token: TOKEN.into(),
            user_id: Some(OWNER.into()),
            after_id: 0,
        })
        .unwrap(),
    ));
    drop(device);

    for (path, body) in &calls {
        let resp = handle(&service, path, body);
        if check_answer_shape(path, &resp).is_none() && *path == paths::ACTIVITY {
            let log: ActivityResponse = serde_json::from_slice(&resp.body).expect("activity");
            let _ = verify_chain(
                &t.identity_id,
                &log.entries,
                &log.head,
                &service.public_key(),
            );
        }
    }
});
