//! Records the seed corpora in fuzz/corpus/<target>/ from a real flow: an
//! operator creates an identity, an app installation activates, approves,
//! rejects and reports requests (with channel binding by code and by QR),
//! looks at its devices, log and notifications, changes contact data, freezes
//! and unfreezes, adds a second device by pairing and removes it, while every
//! message and answer is captured.
//!
//! Run from fuzz/: `cargo run --example record_seeds` (stable, no sanitizer).
//! It replaces the seed files it writes; other files in the corpora stay.

use std::path::Path;
use std::sync::{Arc, Mutex};

use akuersi_core::transport::{Transport, TransportError, TransportResponse};
use akuersi_fuzz::{log_on, service, OWNER, PATHS, PIN, TOKEN};
use akuersi_protocol::clock::TestClock;
use akuersi_protocol::request::{Amount, LocalizedText};
use akuersi_protocol::wire::*;
use akuersi_server::InProcessTransport;

/// (path, request body, status, answer body) of every call.
type Log = Vec<(String, Vec<u8>, u16, Vec<u8>)>;

struct Recorder {
    inner: InProcessTransport,
    log: Mutex<Log>,
    /// The service's clock: Demo Bank signs its calls at its time.
    clock: Arc<TestClock>,
}

impl Transport for Recorder {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        let answer = self.inner.post(path, body.clone())?;
        self.log
            .lock()
            .unwrap()
            .push((path.to_owned(), body, answer.status, answer.body.clone()));
        Ok(answer)
    }
}

impl Recorder {
    fn post_json<T: serde::Serialize>(&self, path: &str, body: &T) -> TransportResponse {
        self.post(path, serde_json::to_vec(body).unwrap()).unwrap()
    }
    fn call<T: serde::Serialize, R: serde::de::DeserializeOwned>(&self, path: &str, body: &T) -> R {
        let r = self.post_json(path, body);
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        serde_json::from_slice(&r.body).unwrap()
    }
    /// `body` signed by Demo Bank (the test kit's key, registered by
    /// `service`) at the service's time.
    fn signed<T: RequesterBody>(&self, body: T) -> RequesterSigned<T> {
        akuersi_testkit::signed(body, akuersi_protocol::clock::Clock::now_ms(&*self.clock))
    }
    /// Demo Bank creates a request.
    fn create(&self, req: CreateRequest) -> CreateRequestResponse {
        self.call(paths::CREATE_REQUEST, &self.signed(req))
    }
    /// Poll the request `created` started.
    fn poll(&self, created: &CreateRequestResponse) -> PollResponse {
        self.call(
            paths::POLL_REQUEST,
            &self.signed(PollRequest {
                poll_handle: created.poll_handle.clone(),
            }),
        )
    }
    /// First successful request (or answer, with `answer`) on `path`.
    fn find(&self, path: &str, answer: bool, nth: usize) -> Vec<u8> {
        let log = self.log.lock().unwrap();
        let hit = log
            .iter()
            .filter(|(p, _, s, _)| p == path && *s == 200)
            .nth(nth)
            .unwrap_or_else(|| panic!("no call to {path}"));
        if answer {
            hit.3.clone()
        } else {
            hit.1.clone()
        }
    }
    fn error_body(&self) -> Vec<u8> {
        let log = self.log.lock().unwrap();
        log.iter()
            .find(|e| e.2 != 200)
            .expect("an error answer")
            .3
            .clone()
    }
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn with_selector(selector: usize, body: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(selector).unwrap()];
    v.extend_from_slice(body);
    v
}

/// The body of a requester envelope, as JSON.
fn body_of(envelope: &[u8]) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(envelope).unwrap();
    serde_json::to_vec(&v["body"]).unwrap()
}

fn path_index(path: &str) -> usize {
    PATHS.iter().position(|p| *p == path).unwrap()
}

fn main() {
    let (clock, service) = service(true);
    let service = Arc::new(service);
    let rec = Arc::new(Recorder {
        inner: InProcessTransport::new(service.clone()),
        log: Mutex::new(Vec::new()),
        clock: clock.clone(),
    });
    let installation = |clock: &Arc<TestClock>| {
        akuersi_testkit::installation(":memory:").open(rec.clone(), clock.clone())
    };

    // Operator: identity and activation code.
    let _: CreateIdentityResponse = rec.call(
        paths::OPERATOR_CREATE_IDENTITY,
        &CreateIdentity {
            token: TOKEN.into(),
            user_id: OWNER.into(),
        },
    );
    let issue = || -> String {
        let r: IssueActivationCodeResponse = rec.call(
            paths::OPERATOR_ISSUE_CODE,
            &IssueActivationCode {
                token: TOKEN.into(),
                user_id: OWNER.into(),
                channel: CodeChannel::Paper,
            },
        );
        r.code
    };
    let code = issue();
    let app = installation(&clock);
    let profile = app
        .activate(
            OWNER.into(),
            code.clone(),
            PIN.into(),
            "Aviaja's phone".into(),
        )
        .unwrap();
    let pid = profile.profile_id.clone();
    app.acknowledge_security_rules(&pid).unwrap();
    // A wrong activation code, for an error answer.
    let _ = rec.post_json(
        paths::ACTIVATE,
        &serde_json::from_slice::<Activate>(&rec.find(paths::ACTIVATE, false, 0))
            .map(|mut m| {
                m.activation_code = "0000-0000-0000".into();
                m
            })
            .unwrap(),
    );

    // A payment approved with the PIN.
    let mut pay = log_on(OWNER);
    pay.action = akuersi_protocol::request::Action::Approve;
    pay.texts = vec![LocalizedText {
        lang: "da".into(),
        header: "Godkend betaling".into(),
        body: "Overførsel til Nuna Bank A/S".into(),
    }];
    pay.amount = Some(Amount {
        minor_units: 900_000,
        currency: "DKK".into(),
    });
    pay.account = Some("GL89 6471 0001 0002 06".into());
    let created: CreateRequestResponse = rec.create(pay);
    app.refresh(&pid).unwrap();
    app.approve(&pid, &created.request_id, PIN.into()).unwrap();
    let _ = rec.poll(&created);

    // Channel binding by code, approved; by QR, rejected; then a report.
    let mut by_code = log_on(OWNER);
    by_code.channel_binding = Some(ChannelBindingKind::Code);
    let created: CreateRequestResponse = rec.create(by_code);
    app.refresh(&pid).unwrap();
    app.confirm_channel(
        &pid,
        &created.request_id,
        created.channel_code.clone().unwrap(),
    )
    .unwrap();
    app.approve(&pid, &created.request_id, PIN.into()).unwrap();
    let code_poll = rec.poll(&created);

    let mut by_qr = log_on(OWNER);
    by_qr.channel_binding = Some(ChannelBindingKind::Qr);
    let created: CreateRequestResponse = rec.create(by_qr);
    clock.advance_secs(3);
    let shown = rec.poll(&created);
    let qr = shown.qr_value.clone().unwrap();
    app.refresh(&pid).unwrap();
    app.confirm_channel(&pid, &created.request_id, qr.clone())
        .unwrap();
    app.reject(&pid, &created.request_id).unwrap();
    let qr_request_id = created.request_id.clone();
    let rejected = rec.poll(&created);

    let created: CreateRequestResponse = rec.create(log_on(OWNER));
    app.refresh(&pid).unwrap();
    // A wrong PIN first (pin-failed), then the report.
    let _ = app.approve(&pid, &created.request_id, "730518".into());
    app.report(&pid, &created.request_id).unwrap();
    let reported = rec.poll(&created);
    let created: CreateRequestResponse = rec.create(log_on(OWNER));
    let _: PollResponse = rec.call(
        paths::CANCEL_REQUEST,
        &rec.signed(CancelRequest {
            poll_handle: created.poll_handle,
        }),
    );

    // Identity care.
    app.devices(&pid).unwrap();
    app.identity_status(&pid).unwrap();
    app.change_contact(
        &pid,
        Some("+299321000".into()),
        Some("aviaja@example.gl".into()),
        PIN.into(),
    )
    .unwrap();
    app.set_notify_every_use(&pid, true, PIN.into()).unwrap();
    app.notifications(&pid).unwrap();
    app.activity_log(&pid, 0, 50).unwrap();
    app.freeze(&pid).unwrap();
    let second_proof = issue();
    app.unfreeze(&pid, PIN.into(), Some(second_proof)).unwrap();

    // A second device by pairing, a vetoed addition, then removal.
    let addition = app.start_device_addition(&pid, PIN.into()).unwrap();
    clock.advance_secs(3601);
    let pairing = app
        .pairing_code(&pid, addition.addition_id.clone())
        .unwrap();
    let tablet = installation(&clock);
    let tablet_profile = tablet
        .activate_with_pairing_code(pairing.payload.clone(), "615243".into(), "tablet".into())
        .unwrap();
    let vetoed = app.start_device_addition(&pid, PIN.into()).unwrap();
    app.veto_device_addition(&pid, vetoed.addition_id).unwrap();
    app.rename_device(
        &pid,
        tablet_profile.device_id.clone(),
        "Aviaja's tablet".into(),
    )
    .unwrap();
    app.remove_device(&pid, tablet_profile.device_id, PIN.into(), false)
        .unwrap();

    // Operator calls.
    let _: Ack = rec.call(
        paths::OPERATOR_SET_CONTACT,
        &OperatorSetContact {
            token: TOKEN.into(),
            user_id: OWNER.into(),
            phone: Some("+299345678".into()),
            email: None,
        },
    );
    let _: OutboxResponse = rec.call(
        paths::OPERATOR_OUTBOX,
        &OperatorOutbox {
            token: TOKEN.into(),
            user_id: Some(OWNER.into()),
            after_id: 0,
        },
    );
    let _: Ack = rec.call(
        paths::OPERATOR_FREEZE,
        &OperatorFreeze {
            token: TOKEN.into(),
            user_id: OWNER.into(),
            frozen: false,
        },
    );
    let activity: ActivityResponse = {
        let log = rec.log.lock().unwrap();
        let hit = log
            .iter()
            .rev()
            .find(|e| e.0 == paths::ACTIVITY && e.2 == 200);
        serde_json::from_slice(&hit.expect("activity").3).unwrap()
    };

    // ------------------------------------------------------------ seeds
    // wire_messages: selector = index in akuersi_fuzz::WIRE_KINDS.
    let kind = |name: &str| {
        akuersi_fuzz::WIRE_KINDS
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no wire kind {name}"))
    };
    let wire: Vec<(&str, Vec<u8>)> = vec![
        (
            "CreateRequest",
            body_of(&rec.find(paths::CREATE_REQUEST, false, 0)),
        ),
        (
            "RequesterSigned<CreateRequest>",
            rec.find(paths::CREATE_REQUEST, false, 0),
        ),
        (
            "RequesterSigned<PollRequest>",
            rec.find(paths::POLL_REQUEST, false, 0),
        ),
        ("PollResponse", rec.find(paths::POLL_REQUEST, true, 0)),
        ("PendingResponse", rec.find(paths::PENDING, true, 0)),
        (
            "DeviceSigned<PinStart>",
            rec.find(paths::PIN_START, false, 0),
        ),
        ("PinStartResponse", rec.find(paths::PIN_START, true, 0)),
        ("Decide", rec.find(paths::DECIDE, false, 0)),
        ("Activate", rec.find(paths::ACTIVATE, false, 0)),
        (
            "DeviceSigned<ChannelCheck>",
            rec.find(paths::CHANNEL_CHECK, false, 0),
        ),
        (
            "DeviceSigned<Unfreeze>",
            rec.find(paths::UNFREEZE, false, 0),
        ),
        (
            "DeviceSigned<ChangeContact>",
            rec.find(paths::CHANGE_CONTACT, false, 0),
        ),
        (
            "CompletePairing",
            rec.find(paths::ADDITION_COMPLETE, false, 0),
        ),
        ("IdentityStatus", rec.find(paths::STATUS, true, 0)),
        (
            "NotificationsResponse",
            rec.find(paths::NOTIFICATIONS, true, 0),
        ),
        (
            "OperatorSetContact",
            rec.find(paths::OPERATOR_SET_CONTACT, false, 0),
        ),
        ("ErrorBody", rec.error_body()),
    ];
    for (name, body) in &wire {
        let file = name.replace(['<', '>'], "_").to_lowercase();
        write(
            "wire_messages",
            &format!("{file}.json"),
            &with_selector(kind(name), body),
        );
    }

    // api_handle: selector = index in PATHS.
    for (file, path, nth) in [
        ("create", paths::CREATE_REQUEST, 1),
        ("poll", paths::POLL_REQUEST, 0),
        ("activate", paths::ACTIVATE, 0),
        ("pending", paths::PENDING, 0),
        ("pin-start", paths::PIN_START, 0),
        ("channel-check", paths::CHANNEL_CHECK, 0),
        ("decide", paths::DECIDE, 0),
        ("freeze", paths::FREEZE, 0),
        ("addition-complete", paths::ADDITION_COMPLETE, 0),
        (
            "operator-create-identity",
            paths::OPERATOR_CREATE_IDENTITY,
            0,
        ),
        ("operator-issue-code", paths::OPERATOR_ISSUE_CODE, 0),
    ] {
        write(
            "api_handle",
            &format!("{file}.json"),
            &with_selector(path_index(path), &rec.find(path, false, nth)),
        );
    }

    // approval_statement: the statements devices signed.
    for (file, poll) in [
        ("approve-with-code", &code_poll),
        ("reject-with-qr", &rejected),
        ("report", &reported),
    ] {
        let evidence = poll.evidence.as_ref().expect("evidence");
        write(
            "approval_statement",
            &format!("{file}.bin"),
            &evidence.statement,
        );
    }
    let first: PollResponse =
        serde_json::from_slice(&rec.find(paths::POLL_REQUEST, true, 0)).unwrap();
    write(
        "approval_statement",
        "approve-payment.bin",
        &first.evidence.expect("evidence").statement,
    );

    // pairing_payload and qr_value.
    write("pairing_payload", "payload.txt", pairing.payload.as_bytes());
    write(
        "pairing_payload",
        "payload-spaced.txt",
        format!("  {}\n", pairing.payload).as_bytes(),
    );
    write(
        "pairing_payload",
        "other-version.txt",
        pairing.payload.replace(":1:", ":2:").as_bytes(),
    );
    write(
        "qr_value",
        "scanned.txt",
        format!("{qr_request_id}\n{qr}").as_bytes(),
    );
    write(
        "qr_value",
        "other-request.txt",
        format!("{}\n{qr}", "0".repeat(32)).as_bytes(),
    );
    write(
        "qr_value",
        "short.txt",
        format!("{qr_request_id}\nAKQR1.{qr_request_id}.a.7").as_bytes(),
    );

    // activation_code: mode byte, then the code as typed (`#` = the real code).
    for (file, mode, typed) in [
        ("as-issued", 1u8, "#".to_owned()),
        ("lower-no-dashes", 1 | 2 | 4, " # ".to_owned()),
        ("crockford-letters", 1 | 8, "#".to_owned()),
        ("typo", 0, code.replace(&code[..1], "U")),
        ("spaced", 0, "ABCD EFGH JKMN".to_owned()),
    ] {
        let mut v = vec![mode];
        v.extend_from_slice(typed.as_bytes());
        write("activation_code", &format!("{file}.txt"), &v);
    }

    // channel_check: mode byte (bit 0 QR, bit 1 `#` = right answer), answer.
    for (file, mode, answer) in [
        ("code-right", 2u8, "#"),
        ("code-padded", 2, " #\n"),
        ("code-wrong", 0, "0000"),
        ("qr-right", 3, "#"),
        (
            "qr-stale",
            1 | (7 << 2),
            "AKQR1.x.a.1.AAAAAAAAAAAAAAAAAAAAAA",
        ),
    ] {
        let mut v = vec![mode];
        v.extend_from_slice(answer.as_bytes());
        write("channel_check", &format!("{file}.txt"), &v);
    }

    // user_id.
    for (file, id) in [
        ("ascii", "Aviaja.Nuuk-77"),
        ("danish", "Søren_Ærø!"),
        ("greenlandic", "ĸalâleĸ-77"),
        ("cpr-like", "0101901234"),
        ("inner-space", "ab cde"),
    ] {
        write("user_id", &format!("{file}.txt"), id.as_bytes());
    }

    // requester_texts.
    write(
        "requester_texts",
        "payment.json",
        &body_of(&rec.find(paths::CREATE_REQUEST, false, 0)),
    );
    write(
        "requester_texts",
        "bidi.txt",
        "Demo Bank \u{202e}knaB omeD".as_bytes(),
    );
    write(
        "requester_texts",
        "decomposed.txt",
        "Tilla\u{030a}d betaling".as_bytes(),
    );

    // activity_log: identity id, newline, the log as the device got it.
    let mut v = profile.identity_id.clone().into_bytes();
    v.push(b'\n');
    v.extend_from_slice(&serde_json::to_vec(&activity).unwrap());
    write("activity_log", "log.json", &v);
    let mut short = activity.clone();
    short.entries.truncate(2);
    let mut v = profile.identity_id.clone().into_bytes();
    v.push(b'\n');
    v.extend_from_slice(&serde_json::to_vec(&short).unwrap());
    write("activity_log", "log-cut.json", &v);
    let mut v = profile.identity_id.into_bytes();
    v.push(b'\n');
    v.extend_from_slice(&serde_json::to_vec(&activity.entries[0]).unwrap());
    write("activity_log", "entry.json", &v);

    // stored_rows: column, value kind (0 null, 1 integer, 2 text, 3 blob,
    // 4 edge integer), first row only, value.
    let column = |table: &str, col: &str| {
        akuersi_fuzz::STORED_COLUMNS
            .iter()
            .position(|c| *c == (table, col))
            .unwrap_or_else(|| panic!("no column {table}.{col}")) as u8
    };
    for (file, table, col, kind, first, value) in [
        (
            "texts-not-json",
            "requests",
            "texts_json",
            2u8,
            1u8,
            &b"[{\"lang\":"[..],
        ),
        (
            "verifier-l-identity",
            "devices",
            "verifier_l",
            3,
            0,
            &[0u8; 65][..],
        ),
        (
            "last-attempt-max",
            "devices",
            "last_pin_attempt_ms",
            4,
            0,
            &[6u8][..],
        ),
        ("created-min", "requests", "created_at_ms", 4, 0, &[0u8][..]),
        ("hash-cut", "activity", "hash", 3, 1, &b"\x01\x02"[..]),
        ("key-junk", "service_key", "pkcs8", 3, 0, &b"junk"[..]),
    ] {
        let mut v = vec![column(table, col), kind, first];
        v.extend_from_slice(value);
        write("stored_rows", &format!("{file}.bin"), &v);
    }

    eprintln!(
        "recorded {} calls; seeds written under fuzz/corpus/",
        rec.log.lock().unwrap().len()
    );
}
