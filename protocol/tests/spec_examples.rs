//! docs/PROTOCOL.md §6: every JSON example, read from the document, parsed
//! into the wire type of its path (errors into `ErrorBody`; every type
//! refuses unknown fields) and written back unchanged; and every device
//! signature an example carries verified with §11.1's key, against the bytes
//! the code signs. Requester signatures are written as placeholders in the
//! document (the requester's private key is not published) and are counted,
//! not verified.

#[path = "spec/doc.rs"]
mod doc;

use akuersi_protocol::approval::{ApprovalStatement, Evidence, PakeBinding};
use akuersi_protocol::crypto::{device_id_for, verify_p256};
use akuersi_protocol::endpoint::{endpoints, Endpoint};
use akuersi_protocol::wire::{
    Activate, ChannelCheck, CreateRequest, Decide, DeviceSigned, ErrorBody, PendingQuery,
    PendingRequest, PendingResponse, PinPurpose, PinStart, PinStartResponse, PollRequest,
    PollResponse, RequesterSigned,
};
use doc::{section, unhex};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// How the document writes a requester signature it does not give.
const PLACEHOLDER: &str = "\"<64 bytes, base64url>\"";

/// One JSON value of a §6 example, with what it is.
#[derive(Debug, Clone)]
struct Example {
    /// The §6 subsection it is under.
    heading: String,
    /// The path it is sent to or answers, if the document names one.
    path: Option<String>,
    /// `None` for a request or a fragment, else the answer's HTTP status.
    status: Option<u16>,
    /// The JSON text as written.
    json: String,
    /// Whether a `POST /path` or status line introduces it; if not, it is a
    /// part of a message shown on its own (an envelope, a body, a list item).
    marked: bool,
}

/// The path a heading names (`### 6.1 `POST /v1/requests/create` …`).
fn heading_path(heading: &str) -> Option<String> {
    let rest = heading.split("`POST ").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

/// Every JSON value in a ```json block of §6, split at the `POST /path` and
/// status lines the examples use.
fn examples() -> Vec<Example> {
    let messages = section("## 6. ");
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut in_block = false;
    let mut path: Option<String> = None;
    let mut status: Option<u16> = None;
    let mut json = String::new();
    let mut flush =
        |heading: &str, path: &Option<String>, status: Option<u16>, json: &mut String| {
            if !json.trim().is_empty() {
                out.push(Example {
                    heading: heading.to_owned(),
                    path: path.clone().or_else(|| heading_path(heading)),
                    status,
                    json: std::mem::take(json),
                    marked: path.is_some() || status.is_some(),
                });
            }
            json.clear();
        };
    for line in messages.lines() {
        if !in_block {
            if line.starts_with("###") {
                heading = line.to_owned();
            }
            if line.trim_end() == "```json" {
                in_block = true;
                path = None;
                status = None;
            }
            continue;
        }
        let t = line.trim();
        if t == "```" {
            flush(&heading, &path, status, &mut json);
            in_block = false;
        } else if let Some(p) = t.strip_prefix("POST ") {
            flush(&heading, &path, status, &mut json);
            path = Some(p.to_owned());
            status = None;
        } else if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
            flush(&heading, &path, status, &mut json);
            status = Some(t.parse().unwrap());
        } else {
            json.push_str(line);
            json.push('\n');
        }
    }
    assert!(!in_block, "an unclosed ```json block in §6");
    out
}

/// The example as JSON (a `"body": {…}` fragment is read as its object;
/// placeholders become 64 zero bytes).
fn value(e: &Example) -> Value {
    let text = e
        .json
        .replace(PLACEHOLDER, &format!("\"{}\"", "A".repeat(86)));
    let text = text.trim();
    if let Some(body) = text.strip_prefix("\"body\":") {
        return serde_json::from_str(body)
            .unwrap_or_else(|err| panic!("{}: {err}\n{text}", e.heading));
    }
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{}: {err}\n{text}", e.heading))
}

/// Parse into `T` (which refuses unknown fields) and check that `T` writes
/// the very same JSON back: no field is lost, renamed or defaulted.
fn typed<T: Serialize + DeserializeOwned>(e: &Example) -> T {
    let v = value(e);
    let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|err| {
        panic!(
            "{} ({:?}, {:?}): does not parse as {}: {err}\n{}",
            e.heading,
            e.path,
            e.status,
            std::any::type_name::<T>(),
            e.json
        )
    });
    let mut written = serde_json::to_value(&t).unwrap();
    drop_omitted(&mut written, &v);
    assert_eq!(
        written,
        v,
        "{}: {} does not write the example back",
        e.heading,
        std::any::type_name::<T>()
    );
    t
}

/// Fields the document lets a sender leave out, which the type writes
/// anyway: §6.12 `registered_at_ms` ("ignored when registering; may be
/// omitted").
const OMITTABLE: &[&str] = &["registered_at_ms"];

/// Remove from `written` the [`OMITTABLE`] fields the example leaves out.
fn drop_omitted(written: &mut Value, example: &Value) {
    match (written, example) {
        (Value::Object(w), Value::Object(x)) => {
            w.retain(|k, _| x.contains_key(k) || !OMITTABLE.contains(&k.as_str()));
            for (k, wv) in w.iter_mut() {
                if let Some(xv) = x.get(k) {
                    drop_omitted(wv, xv);
                }
            }
        }
        (Value::Array(w), Value::Array(x)) => {
            for (wv, xv) in w.iter_mut().zip(x) {
                drop_omitted(wv, xv);
            }
        }
        _ => {}
    }
}

/// Request (status `None`) or success answer of endpoint `E`.
fn endpoint<E: Endpoint>(e: &Example) {
    match e.status {
        None => {
            typed::<E::Request>(e);
        }
        Some(_) => {
            typed::<E::Response>(e);
        }
    }
}

/// Parse one example as what it is; returns a label for counting.
fn check_type(e: &Example) -> &'static str {
    if matches!(e.status, Some(s) if s != 200) {
        let body: ErrorBody = typed(e);
        let code = serde_json::to_value(body.code).unwrap();
        let code = code.as_str().unwrap();
        let table = doc::table_rows(section("### HTTP status of each error code"));
        let row = table
            .iter()
            .find(|r| r[0] == code)
            .unwrap_or_else(|| panic!("{}: {code} is not in §2's table", e.heading));
        assert_eq!(
            row[1],
            e.status.unwrap().to_string(),
            "{}: §2 answers {code} with another status",
            e.heading
        );
        return "error";
    }
    if !e.marked {
        if e.heading.starts_with("### 6.0 ") {
            // The envelope around a poll body.
            typed::<RequesterSigned<PollRequest>>(e);
            return "envelope";
        }
        if e.heading.starts_with("### 6.1 ") && e.json.trim_start().starts_with("\"body\":") {
            // The body of a payment request.
            typed::<CreateRequest>(e);
            return "body";
        }
        if e.heading.starts_with("### 6.6 ") {
            // One more pending request, as the list shows it.
            typed::<PendingRequest>(e);
            return "list item";
        }
        panic!(
            "{}: an example this test does not know:\n{}",
            e.heading, e.json
        );
    }
    match e.path.as_deref() {
        Some(path) => {
            macro_rules! dispatch {
                ($($name:ident),*) => {
                    match path {
                        $(p if p == endpoints::$name::PATH => endpoint::<endpoints::$name>(e),)*
                        other => panic!("{}: an example for {other}, which this test does not know", e.heading),
                    }
                };
            }
            dispatch!(
                CreateRequest,
                PollRequest,
                CancelRequest,
                Activate,
                Pending,
                PinStart,
                ChannelCheck,
                PinFailed,
                Decide,
                OperatorCreateIdentity,
                OperatorIssueCode,
                OperatorRegisterRequester
            );
            if e.status.is_some() {
                "answer"
            } else {
                "request"
            }
        }
        None => panic!("{}: an example without a path:\n{}", e.heading, e.json),
    }
}

#[test]
fn every_section_6_example_parses_as_its_wire_type() {
    let all = examples();
    let mut counts = std::collections::BTreeMap::new();
    for e in &all {
        *counts.entry(check_type(e)).or_insert(0) += 1;
    }
    // So that an example the parser stops finding fails the test.
    let blocks = doc::blocks(section("## 6. "), "json").len();
    assert_eq!(blocks, 21, "```json blocks in §6");
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [
            ("answer", 14),
            ("body", 1),
            ("envelope", 1),
            ("error", 10),
            ("list item", 1),
            ("request", 14)
        ],
        "examples by kind"
    );
}

/// §11.1's public key: the device of every §6 example.
fn device_key() -> Vec<u8> {
    let b = &doc::blocks(section("### 11.1 "), "text")[0].1;
    let mut hex = String::new();
    let mut on = false;
    for line in b.lines() {
        if let Some(rest) = line.strip_prefix("public key") {
            hex.push_str(rest.trim().trim_start_matches('=').trim());
            on = true;
        } else if on && line.starts_with(' ') {
            hex.push_str(line.trim());
        } else {
            on = false;
        }
    }
    unhex(&hex)
}

/// The examples of one path and status (`None`: requests).
fn of(all: &[Example], path: &str, status: Option<u16>) -> Vec<Example> {
    all.iter()
        .filter(|e| e.marked && e.path.as_deref() == Some(path) && e.status == status)
        .cloned()
        .collect()
}

#[test]
fn every_device_signature_in_section_6_verifies() {
    let all = examples();
    let key = device_key();
    let device_id = device_id_for(&key);
    let mut verified = 0;

    // Activation: the proof of possession, the key and the §11.2 verifier.
    for e in of(&all, endpoints::Activate::PATH, None) {
        let a: Activate = typed(&e);
        assert_eq!(a.device_public_key, key);
        assert_eq!(a.device_id, device_id);
        verify_p256(&key, &a.signed_bytes(), &a.signature).expect("§6.4 activation signature");
        let kdf = section("### 11.2 ");
        assert!(
            kdf.contains(&hex::encode(&*a.verifier.w0)),
            "§6.4 w0 is §11.2's"
        );
        assert!(
            kdf.contains(&hex::encode(&*a.verifier.l)),
            "§6.4 L is §11.2's"
        );
        verified += 1;
    }

    // Device envelopes.
    fn envelope<B: akuersi_protocol::wire::SignedBody + Serialize + DeserializeOwned>(
        e: &Example,
        key: &[u8],
        device_id: &str,
    ) -> DeviceSigned<B> {
        let m: DeviceSigned<B> = typed(e);
        assert_eq!(m.device_id, device_id);
        let bytes = DeviceSigned::signed_bytes(&m.device_id, m.seq, &m.body);
        verify_p256(key, &bytes, &m.signature)
            .unwrap_or_else(|_| panic!("{}: the signature does not verify", e.heading));
        m
    }
    for e in of(&all, endpoints::Pending::PATH, None) {
        envelope::<PendingQuery>(&e, &key, &device_id);
        verified += 1;
    }
    let mut pin_starts = Vec::new();
    for e in of(&all, endpoints::PinStart::PATH, None) {
        pin_starts.push(envelope::<PinStart>(&e, &key, &device_id).body);
        verified += 1;
    }
    for e in of(&all, endpoints::ChannelCheck::PATH, None) {
        envelope::<ChannelCheck>(&e, &key, &device_id);
        verified += 1;
    }

    // Decisions: the statement rebuilt from the pending request the device
    // was shown and the PIN proof it ran, when the examples give both.
    let mut pending: Vec<PendingRequest> = of(&all, endpoints::Pending::PATH, Some(200))
        .iter()
        .flat_map(|e| typed::<PendingResponse>(e).requests)
        .collect();
    pending.extend(
        all.iter()
            .filter(|e| !e.marked && e.heading.starts_with("### 6.6 "))
            .map(typed::<PendingRequest>),
    );
    pending.dedup_by(|a, b| a.request_id == b.request_id);
    let sessions: Vec<PinStartResponse> = of(&all, endpoints::PinStart::PATH, Some(200))
        .iter()
        .map(typed)
        .collect();
    let mut statements = Vec::new();
    let mut without_session = Vec::new();
    for e in of(&all, endpoints::Decide::PATH, None) {
        let d: Decide = typed(&e);
        let request = pending
            .iter()
            .find(|r| r.request_id == d.request_id)
            .unwrap_or_else(|| panic!("§6.9 decides {}, which §6.6 does not list", d.request_id));
        let proof = d.pake.as_ref().expect("the examples approve");
        let Some(session) = sessions.iter().find(|s| s.session_id == proof.session_id) else {
            without_session.push(d.signature.clone());
            continue;
        };
        let start = pin_starts
            .iter()
            .find(|p| matches!(&p.purpose, PinPurpose::Request { request_id } if *request_id == d.request_id))
            .expect("the pin-start of that session");
        let (binding, _) = session.binding_and_proof(&start.share_p, proof.confirm_p.clone());
        let statement = ApprovalStatement::for_request(
            request,
            d.decision,
            &d.device_id,
            Some(PakeBinding { ..binding }),
            d.channel_binding.clone(),
        )
        .encode();
        verify_p256(&key, &statement, &d.signature).expect("§6.9 decision signature");
        statements.push((d.request_id.clone(), statement, d.signature.clone()));
        verified += 1;
    }
    // Two approvals of the channel-bound request run a PIN proof whose
    // pin-start the document does not show: their statement cannot be
    // rebuilt. Counted, so that a change here is seen.
    assert_eq!(
        without_session.len(),
        2,
        "decisions whose PIN proof §6 does not show"
    );

    // Evidence handed to the requester: the device's statement and signature.
    for e in of(&all, endpoints::PollRequest::PATH, Some(200)) {
        let poll: PollResponse = typed(&e);
        let Some(evidence) = poll.evidence else {
            continue;
        };
        let evidence: Evidence = evidence;
        evidence
            .verify("demo-bank")
            .expect("§6.2 evidence verifies");
        assert_eq!(evidence.device_public_key, key);
        let (_, statement, signature) = statements
            .iter()
            .find(|(id, ..)| *id == poll.request_id)
            .expect("the evidence is of a decision shown in §6.9");
        assert_eq!(
            &evidence.statement, statement,
            "§6.2 evidence is §6.9's statement"
        );
        assert_eq!(
            &evidence.signature, signature,
            "§6.2 evidence is §6.9's signature"
        );
        verified += 1;
    }

    // activate 1, pending 1, pin-start 1, channel-check 2, decide 1, evidence 1.
    assert_eq!(verified, 7, "device signatures verified");
    let placeholders = section("## 6. ").matches(PLACEHOLDER).count();
    assert_eq!(
        placeholders, 4,
        "requester signatures the document leaves out"
    );
}

/// The examples are one run: what a requester sent is what the device is
/// shown, the ids and expiries of the answers agree, and the channel code
/// shown is the one the device confirms and signs.
#[test]
fn the_section_6_examples_tell_one_story() {
    use akuersi_protocol::request::{validate_account, validate_texts};
    use akuersi_protocol::wire::{ActivateResponse, CreateIdentityResponse, CreateRequestResponse};

    let all = examples();
    let creates: Vec<CreateRequest> = of(&all, endpoints::CreateRequest::PATH, None)
        .iter()
        .map(|e| typed::<RequesterSigned<CreateRequest>>(e).body)
        .chain(
            all.iter()
                .filter(|e| !e.marked && e.heading.starts_with("### 6.1 "))
                .map(typed::<CreateRequest>),
        )
        .collect();
    let created: Vec<CreateRequestResponse> = of(&all, endpoints::CreateRequest::PATH, Some(200))
        .iter()
        .map(typed)
        .collect();
    let mut shown: Vec<PendingRequest> = of(&all, endpoints::Pending::PATH, Some(200))
        .iter()
        .flat_map(|e| typed::<PendingResponse>(e).requests)
        .collect();
    shown.extend(
        all.iter()
            .filter(|e| !e.marked && e.heading.starts_with("### 6.6 "))
            .map(typed::<PendingRequest>),
    );
    assert_eq!((creates.len(), created.len(), shown.len()), (2, 2, 2));
    for ((sent, answer), item) in creates.iter().zip(&created).zip(&shown) {
        assert_eq!(item.request_id, answer.request_id);
        assert_eq!(item.expires_at_ms, answer.expires_at_ms);
        assert_eq!(item.created_at_ms, answer.server_time_ms);
        assert_eq!(item.action, sent.action);
        assert_eq!(
            item.texts,
            validate_texts(sent.texts.clone()).unwrap(),
            "texts as shown"
        );
        assert_eq!(item.amount, sent.amount);
        assert_eq!(
            item.account,
            sent.account
                .as_deref()
                .map(|a| validate_account(a).unwrap())
        );
        assert_eq!(item.channel_binding, sent.channel_binding);
        assert_eq!(item.requester_id, "demo-bank");
    }

    // The channel code the requester shows is the answer the device has
    // accepted and signs.
    let code = created[1].channel_code.clone().expect("§6.1 channel code");
    let checks: Vec<DeviceSigned<ChannelCheck>> = of(&all, endpoints::ChannelCheck::PATH, None)
        .iter()
        .map(typed)
        .collect();
    assert_eq!(checks.last().unwrap().body.answer, code);
    assert!(checks[..checks.len() - 1]
        .iter()
        .all(|c| c.body.answer != code));
    let bound: Vec<Decide> = of(&all, endpoints::Decide::PATH, None)
        .iter()
        .map(typed)
        .filter(|d: &Decide| d.channel_binding.is_some())
        .collect();
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].channel_binding.as_deref(), Some(code.as_str()));

    // Polls report the requests created.
    for e in of(&all, endpoints::PollRequest::PATH, Some(200)) {
        let poll: PollResponse = typed(&e);
        if let Some(c) = created.iter().find(|c| c.request_id == poll.request_id) {
            assert_eq!(poll.expires_at_ms, c.expires_at_ms);
            assert_eq!(
                poll.channel_code,
                c.channel_code.clone().filter(|_| poll.evidence.is_none())
            );
        }
    }

    // The identity the operator created is the one the device joined.
    let identity: CreateIdentityResponse =
        typed(&of(&all, endpoints::OperatorCreateIdentity::PATH, Some(200))[0]);
    let joined: ActivateResponse = typed(&of(&all, endpoints::Activate::PATH, Some(200))[0]);
    assert_eq!(identity.identity_id, joined.identity_id);
    assert_eq!(joined.device_id, device_id_for(&device_key()));
}
