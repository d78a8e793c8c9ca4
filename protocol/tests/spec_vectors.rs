//! docs/PROTOCOL.md §11: every test vector, read from the document and
//! recomputed (or, for randomized ECDSA signatures, verified) with the
//! protocol crate, so that the document and the code cannot drift apart.

#[path = "spec/doc.rs"]
mod doc;

use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::crypto::{device_id_for, sha256, verify_p256};
use akuersi_protocol::encoding::b64_encode;
use akuersi_protocol::pin::{derive_pake_secrets, pbkdf2_hmac_sha256, Pin};
use akuersi_protocol::request::{validate_account, validate_texts, Action, Amount, LocalizedText};
use akuersi_protocol::spake2plus::{
    registration_record, secrets_from_kdf_output, verifier_respond_with_scalar, PakeContext,
    PakeScalar, Prover,
};
use akuersi_protocol::wire::{
    operation_pake_context, pake_context, qr_value, Activate, ChannelCheck, DeviceSigned,
    PendingQuery, PinPurpose, PinStart, PollRequest, RequesterSigned, VerifierRegistration,
};
use doc::{assert_dump, between, blocks, joined_hex, labelled, section, table_rows, unhex};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use zeroize::Zeroizing;

/// The uncompressed public key of a private scalar.
fn public_of(d: &[u8]) -> Vec<u8> {
    p256::SecretKey::from_slice(d)
        .unwrap()
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

/// The `text` blocks of a §11 subsection.
fn text_blocks(heading: &str) -> Vec<(String, String)> {
    blocks(section(heading), "text")
}

/// §11.1's key, and the device id the other vectors use.
struct Device {
    public_key: Vec<u8>,
    id: String,
}

fn device() -> Device {
    let b = &text_blocks("### 11.1 ")[0].1;
    let d = unhex(&labelled(b, "private key d"));
    Device {
        public_key: public_of(&d),
        id: labelled(b, "device_id"),
    }
}

/// §11.2's table: (iterations, w0s, w1s, w0, w1, L) per column.
fn kdf_columns() -> Vec<(u32, [String; 5])> {
    let rows = table_rows(section("### 11.2 "));
    assert_eq!(rows.len(), 5, "§11.2: w0s, w1s, w0, w1, L");
    let header = section("### 11.2 ")
        .lines()
        .find(|l| l.starts_with("| iterations"))
        .unwrap();
    let iterations: Vec<u32> = header
        .trim_matches('|')
        .split('|')
        .skip(1)
        .map(|c| c.trim().replace(',', "").parse().unwrap())
        .collect();
    assert_eq!(iterations.len(), 2);
    iterations
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let col = |r: usize| rows[r][i + 1].clone();
            (*it, [col(0), col(1), col(2), col(3), col(4)])
        })
        .collect()
}

fn pin_secret() -> Vec<u8> {
    (0u8..32).collect()
}

/// The 1,000-iteration w0, w1 of §11.2 as scalars.
fn pake_secrets() -> (PakeScalar, PakeScalar) {
    let col = &kdf_columns()[0];
    assert_eq!(col.0, 1_000);
    (
        PakeScalar::from_bytes(&unhex(&col.1[2])).unwrap(),
        PakeScalar::from_bytes(&unhex(&col.1[3])).unwrap(),
    )
}

#[test]
fn v11_1_device_key_and_id() {
    let b = &text_blocks("### 11.1 ")[0].1;
    let d = unhex(&labelled(b, "private key d"));
    let public = public_of(&d);
    assert_eq!(hex::encode(&public), labelled(b, "public key"));
    let hash = labelled(b, "SHA-256(\"akuersi/v1/device-id\" ‖ public key)");
    assert_eq!(
        hex::encode(sha256(&[b"akuersi/v1/device-id", &public])),
        hash
    );
    let id = labelled(b, "device_id");
    assert_eq!(device_id_for(&public), id);
    assert_eq!(&hash[..32], id);
}

#[test]
fn v11_2_kdf_salt_and_both_iteration_counts() {
    let dev = device();
    let salt_block = &text_blocks("### 11.2 ")[0].1;
    let mut salt = akuersi_protocol::encoding::CanonicalWriter::new("akuersi/v1/pin-kdf");
    salt.bytes(&pin_secret())
        .str(&dev.id)
        .bytes(akuersi_protocol::pin::PAKE_VERIFIER_ID);
    let salt = salt.finish();
    assert_dump(salt_block, &salt, "§11.2 salt");
    assert!(salt_block.starts_with("salt (116 bytes):"));
    assert_eq!(salt.len(), 116);
    let pin = Pin::new("482916".into()).unwrap();
    let columns = kdf_columns();
    assert_eq!(
        columns.iter().map(|c| c.0).collect::<Vec<_>>(),
        [1_000, 600_000]
    );
    for (iterations, [w0s, w1s, w0, w1, l]) in columns {
        // The document's salt and PBKDF2 give the documented okm ...
        let mut okm = Zeroizing::new([0u8; 80]);
        pbkdf2_hmac_sha256(b"482916", &salt, iterations, &mut okm);
        assert_eq!(hex::encode(&okm[..40]), w0s, "w0s at {iterations}");
        assert_eq!(hex::encode(&okm[40..]), w1s, "w1s at {iterations}");
        let (a0, a1) = secrets_from_kdf_output(&okm);
        // ... and the app's derivation (its own salt) the documented w0, w1, L.
        let (s0, s1) = derive_pake_secrets(&pin, &pin_secret(), &dev.id, iterations);
        assert_eq!(hex::encode(*s0.to_bytes()), w0, "w0 at {iterations}");
        assert_eq!(hex::encode(*s1.to_bytes()), w1, "w1 at {iterations}");
        assert_eq!(*a0.to_bytes(), *s0.to_bytes());
        assert_eq!(*a1.to_bytes(), *s1.to_bytes());
        assert_eq!(
            hex::encode(registration_record(&s0, &s1).l),
            l,
            "L at {iterations}"
        );
    }
}

/// §11.3's request id and nonce, as the prose gives them.
fn request_id_and_nonce() -> (String, Vec<u8>) {
    let s = section("### 11.3 ");
    assert!(s.contains("Request id `0123456789abcdef0123456789abcdef`, nonce `a0a1a2…bf`"));
    let nonce: Vec<u8> = (0u8..32).map(|i| 0xa0 ^ i).collect();
    ("0123456789abcdef0123456789abcdef".into(), nonce)
}

/// §11.3's exchange, recomputed: (share_p, share_v, confirm_v, confirm_p, k_shared).
type Exchange = ([u8; 65], [u8; 65], [u8; 32], [u8; 32], [u8; 32]);

fn exchange() -> Exchange {
    let b = &text_blocks("### 11.3 ")[1].1;
    let dev = device();
    let (request_id, nonce) = request_id_and_nonce();
    let context = pake_context(&request_id, &nonce);
    let (id_prover, id_verifier) = (labelled(b, "idProver"), labelled(b, "idVerifier"));
    let ctx = PakeContext {
        context: &context,
        id_prover: id_prover.as_bytes(),
        id_verifier: id_verifier.as_bytes(),
    };
    assert_eq!(ctx.id_prover, dev.id.as_bytes());
    assert_eq!(ctx.id_verifier, akuersi_protocol::pin::PAKE_VERIFIER_ID);
    let (w0, w1) = pake_secrets();
    let (prover, share_p) =
        Prover::start_with_scalar(&ctx, &w0, &w1, &unhex(&labelled(b, "x"))).unwrap();
    let record = registration_record(&w0, &w1);
    let v =
        verifier_respond_with_scalar(&ctx, &record, &share_p, &unhex(&labelled(b, "y"))).unwrap();
    let fin = prover.finish(&v.share_v, &v.confirm_v).unwrap();
    assert_eq!(fin.confirm_p, v.expected_confirm_p);
    assert_eq!(*fin.shared_key, *v.shared_key);
    (
        share_p,
        v.share_v,
        v.confirm_v,
        fin.confirm_p,
        *fin.shared_key,
    )
}

#[test]
fn v11_3_pake_context_and_exchange() {
    let blocks = text_blocks("### 11.3 ");
    let (request_id, nonce) = request_id_and_nonce();
    let context = pake_context(&request_id, &nonce);
    assert!(blocks[0].1.starts_with("Context (99 bytes) ="));
    assert_eq!(context.len(), 99);
    assert_dump(
        &between(&blocks[0].1, "Context (99 bytes) =", "\u{0}"),
        &context,
        "§11.3 context",
    );

    let b = &blocks[1].1;
    let (share_p, share_v, confirm_v, confirm_p, k) = exchange();
    assert_eq!(hex::encode(share_p), labelled(b, "shareP"));
    assert_eq!(hex::encode(share_v), labelled(b, "shareV"));
    assert_eq!(hex::encode(confirm_v), labelled(b, "confirmV"));
    assert_eq!(hex::encode(confirm_p), labelled(b, "confirmP"));
    assert_eq!(hex::encode(k), labelled(b, "K_shared"));

    // "With PIN `482917` instead (wrong), the device's check of `confirmV` fails."
    assert!(section("### 11.3 ").contains("With PIN `482917` instead (wrong)"));
    let wrong = Pin::new("482917".into()).unwrap();
    let dev = device();
    let (x0, x1) = derive_pake_secrets(&wrong, &pin_secret(), &dev.id, 1_000);
    let ctx = PakeContext {
        context: &context,
        id_prover: dev.id.as_bytes(),
        id_verifier: akuersi_protocol::pin::PAKE_VERIFIER_ID,
    };
    let (prover, _) = Prover::start_with_scalar(&ctx, &x0, &x1, &unhex(&labelled(b, "x"))).unwrap();
    assert!(prover.finish(&share_v, &confirm_v).is_err());
}

fn text(lang: &str, header: &str, body: &str) -> LocalizedText {
    LocalizedText {
        lang: lang.into(),
        header: header.into(),
        body: body.into(),
    }
}

/// The approval statement of §11.3 (or §11.6 with its payment fields).
fn statement(
    action: Action,
    texts: Vec<LocalizedText>,
    amount: Option<Amount>,
    account: Option<String>,
    decision: Decision,
    channel_binding: Option<String>,
) -> ApprovalStatement {
    let (request_id, nonce) = request_id_and_nonce();
    let (share_p, share_v, ..) = exchange();
    let approve = decision == Decision::Approve;
    ApprovalStatement {
        request_id,
        nonce,
        requester_id: "demo-bank".into(),
        requester_name: "Demo Bank".into(),
        action,
        texts: validate_texts(texts).unwrap(),
        amount,
        account,
        expires_at_ms: 1_767_225_900_000,
        decision,
        device_id: device().id,
        pake: approve.then(|| PakeBinding {
            session_id: "00112233445566778899aabbccddeeff".into(),
            share_p: share_p.to_vec(),
            share_v: share_v.to_vec(),
        }),
        channel_binding,
    }
}

/// Check a statement against a section's offset dump, its one-string form,
/// its SHA-256 and its (randomized) signature by §11.1's key.
fn check_statement(heading: &str, bytes: &[u8]) {
    let blocks = text_blocks(heading);
    let dump = blocks
        .iter()
        .find(|(_, b)| b.starts_with("off   bytes"))
        .expect("an offset dump");
    assert_dump(&dump.1, bytes, heading);
    let one = blocks
        .iter()
        .find(|(before, _)| before.starts_with("As one string"))
        .expect("the one-string form");
    assert_eq!(
        hex::encode(joined_hex(&one.1)),
        hex::encode(bytes),
        "{heading} one string"
    );
    assert_eq!(
        hex::encode(sha256(&[bytes])),
        labelled(&one.1, "SHA-256(statement)")
    );
    let sig = unhex(&labelled(&one.1, "a signature by d (verifies; randomized)"));
    verify_p256(&device().public_key, bytes, &sig).expect("the documented signature verifies");
    assert_eq!(
        ApprovalStatement::decode(bytes).unwrap().encode(),
        bytes,
        "{heading}: decodes and re-encodes"
    );
}

#[test]
fn v11_3_approval_and_rejection_statements() {
    let texts = vec![
        text("kl", "Iserneq", "Demo Bank-imut iserniarputit"),
        text("da", "Log på", "Log på Demo Bank"),
    ];
    let approve = statement(
        Action::LogOn,
        texts.clone(),
        None,
        None,
        Decision::Approve,
        None,
    );
    let bytes = approve.encode();
    check_statement("### 11.3 ", &bytes);

    let reject = statement(Action::LogOn, texts, None, None, Decision::Reject, None).encode();
    let blocks = text_blocks("### 11.3 ");
    let (before, dump) = blocks
        .iter()
        .find(|(before, _)| before.contains("**rejected**"))
        .unwrap();
    assert!(before.contains("differs from offset `00f2` on"));
    assert_eq!(reject[..0xf2], bytes[..0xf2]);
    assert_dump(dump, &reject[0xf2..], "§11.3 rejection");
    assert!(dump.contains("total 290 bytes"));
    assert_eq!(reject.len(), 290);
}

#[test]
fn v11_4_device_envelopes_and_operation_contexts() {
    let dev = device();
    let blocks = text_blocks("### 11.4 ");
    assert_eq!(blocks.len(), 4);
    let (request_id, _) = request_id_and_nonce();
    let (share_p, ..) = exchange();

    assert!(blocks[0].0.contains("`pending` with `seq` 1 (73 bytes)"));
    let pending = DeviceSigned::signed_bytes(&dev.id, 1, &PendingQuery {});
    assert_eq!(pending.len(), 73);
    assert_dump(&blocks[0].1, &pending, "§11.4 pending");

    assert!(blocks[1].0.contains("`pin-start` with `seq` 2"));
    let pin_start = PinStart {
        purpose: PinPurpose::Request {
            request_id: request_id.clone(),
        },
        share_p: share_p.to_vec(),
    };
    assert_dump(
        &blocks[1].1,
        &DeviceSigned::signed_bytes(&dev.id, 2, &pin_start),
        "§11.4 pin-start",
    );

    assert!(blocks[2].0.contains("`channel-check` with `seq` 3") && blocks[2].0.contains("`0736`"));
    let check = ChannelCheck {
        request_id,
        answer: "0736".into(),
    };
    assert_dump(
        &blocks[2].1,
        &DeviceSigned::signed_bytes(&dev.id, 3, &check),
        "§11.4 channel-check",
    );

    let ops = &blocks[3].1;
    let add = operation_pake_context(&dev.id, &PinPurpose::AddDevice);
    assert_dump(
        &between(ops, "add_device:", "remove_device"),
        &add,
        "§11.4 add_device",
    );
    let target = "0f0e0d0c0b0a09080706050403020100";
    let remove = operation_pake_context(
        &dev.id,
        &PinPurpose::RemoveDevice {
            device_id: target.into(),
        },
    );
    assert_dump(
        &between(ops, &format!("remove_device, target {target}:"), "\u{0}"),
        &remove,
        "§11.4 remove_device",
    );
}

#[test]
fn v11_5_activation_signed_bytes() {
    let dev = device();
    let s = section("### 11.5 ");
    assert!(s.contains(
        "User ID `Aviaja.Nuuk-77`, code as typed `ABCD-EFGH-JKMN`, name `Aviaja's phone`, platform `android`"
    ));
    let (w0, w1) = pake_secrets();
    let activate = Activate {
        user_id: "Aviaja.Nuuk-77".into(),
        activation_code: "ABCD-EFGH-JKMN".into(),
        device_id: dev.id.clone(),
        device_public_key: dev.public_key.clone(),
        device_name: "Aviaja's phone".into(),
        platform: "android".into(),
        verifier: VerifierRegistration {
            w0: Zeroizing::new(w0.to_bytes().to_vec()),
            l: Zeroizing::new(registration_record(&w0, &w1).l.to_vec()),
            kdf_iterations: 1_000,
        },
        signature: vec![0; 64],
    };
    let bytes = activate.signed_bytes();
    assert!(s.contains("(309 bytes)"));
    assert_eq!(bytes.len(), 309);
    assert_dump(&text_blocks("### 11.5 ")[0].1, &bytes, "§11.5");
}

#[test]
fn v11_6_payment_approval_with_channel_binding() {
    let s = section("### 11.6 ");
    assert!(s.contains("amount `{\"minor_units\": 900000, \"currency\":\n\"DKK\"}`"));
    let amount = Amount {
        minor_units: 900_000,
        currency: "DKK".into(),
    };
    for (lang, shown) in [
        ("da", "9.000,00 kr."),
        ("kl", "9.000,00 kr."),
        ("en", "DKK 9,000.00"),
    ] {
        assert!(s.contains(&format!("`{shown}`")));
        assert_eq!(amount.render(lang), shown, "{lang}");
    }
    assert!(s.contains("sent as `GL89 6471 0001 0002 06` (signed as `GL8964710001000206`)"));
    let account = validate_account("GL89 6471 0001 0002 06").unwrap();
    assert_eq!(account, "GL8964710001000206");
    let texts = vec![
        text("en", "Payment", "Rent for December"),
        text("da", "Betaling", "Husleje for december"),
    ];
    let bytes = statement(
        Action::Approve,
        texts,
        Some(amount),
        Some(account),
        Decision::Approve,
        Some("0736".into()),
    )
    .encode();
    check_statement("### 11.6 ", &bytes);
}

#[test]
fn v11_7_qr_values() {
    let s = section("### 11.7 ");
    let request_id = "0123456789abcdef0123456789abcdef";
    assert!(s.contains(&format!("Request id `{request_id}`, QR secret `404142…5f`")));
    let secret: Vec<u8> = (0x40u8..=0x5f).collect();
    let input = &text_blocks("### 11.7 ")[0].1;
    let mut w = akuersi_protocol::encoding::CanonicalWriter::new("akuersi/v1/qr");
    w.str(request_id).str("a").u64(0);
    let bytes = w.finish();
    assert_dump(input, &bytes, "§11.7 HMAC input");
    let rows = table_rows(s);
    assert_eq!(rows.len(), 3);
    for row in rows {
        let counter: u64 = row[0].parse().unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        let mut w = akuersi_protocol::encoding::CanonicalWriter::new("akuersi/v1/qr");
        w.str(request_id).str(&row[1]).u64(counter);
        let mac = ring::hmac::sign(&key, &w.finish());
        assert_eq!(hex::encode(mac.as_ref()), row[2], "HMAC at {counter}");
        assert_eq!(
            qr_value(request_id, &secret, counter),
            row[3],
            "QR at {counter}"
        );
        assert!(row[3].ends_with(&b64_encode(&mac.as_ref()[..16])));
    }
}

#[test]
fn v11_8_service_key_rotation_and_log_head() {
    use akuersi_protocol::service_key::{rotation_bytes, service_key_id};
    let b = &text_blocks("### 11.8 ")[0].1;
    let s = section("### 11.8 ");
    assert!(s.contains("d = `22…22`; `rotated_at_ms` = `signed_at_ms` = 1796083200000"));
    let at = 1_796_083_200_000;
    let old = device().public_key;
    let new = public_of(&[0x22; 32]);
    assert_eq!(hex::encode(&old), labelled(b, "old public key"));
    assert_eq!(hex::encode(&new), labelled(b, "new public key"));
    let old_id = labelled(b, "old key_id");
    assert_eq!(service_key_id(&old), old_id);
    assert_eq!(service_key_id(&new), labelled(b, "new key_id"));

    let rotation = rotation_bytes(&old_id, &new, at);
    assert_eq!(rotation.len(), 124);
    assert_dump(
        &between(b, "rotation bytes (124):", "a signature"),
        &rotation,
        "§11.8 rotation",
    );
    let sigs: Vec<Vec<u8>> = b
        .split("a signature by the old key (verifies; randomized)")
        .skip(1)
        .map(|part| unhex(&labelled(&format!("sig{part}"), "sig")))
        .collect();
    assert_eq!(sigs.len(), 2);
    verify_p256(&old, &rotation, &sigs[0]).expect("the rotation signature verifies");

    let head = akuersi_protocol::activity::head_bytes(
        "0123456789abcdef0123456789abcdef",
        &old_id,
        1,
        &[0xab; 32],
        at,
    );
    assert!(b.contains(
        "head bytes for identity 0123456789abcdef0123456789abcdef, key_id 7f3c9bdc4f9bccf4, seq 1,"
    ));
    assert_dump(
        &between(b, "hash = 32 bytes ab:", "a signature"),
        &head,
        "§11.8 head",
    );
    verify_p256(&old, &head, &sigs[1]).expect("the head signature verifies");
}

#[test]
fn v11_9_requester_envelope() {
    let s = section("### 11.9 ");
    assert!(s.contains(
        "A poll by `demo-bank` at `timestamp_ms` 1767225660000 with the nonce `00 01 … 0f`"
    ));
    // The poll handle of §6.1's example answer.
    let create = section("### 6.1 ");
    let handle = create
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"poll_handle\": \""))
        .map(|rest| rest.trim_end_matches([',', '"']).to_owned())
        .expect("§6.1's example poll handle");
    let nonce: Vec<u8> = (0u8..16).collect();
    let body = PollRequest {
        poll_handle: handle.clone(),
    };
    let bytes = RequesterSigned::signed_bytes("demo-bank", 1_767_225_660_000, &nonce, &body);
    assert!(s.contains("117 bytes"));
    assert_eq!(bytes.len(), 117);
    assert_dump(&text_blocks("### 11.9 ")[0].1, &bytes, "§11.9 poll");

    // "The same envelope as a cancel differs only in its tag."
    assert!(s.contains("differs only in its tag (`akuersi/v1/requester/cancel`, length 27)"));
    let cancel = RequesterSigned::signed_bytes(
        "demo-bank",
        1_767_225_660_000,
        &nonce,
        &akuersi_protocol::wire::CancelRequest {
            poll_handle: handle,
        },
    );
    let mut expected =
        akuersi_protocol::encoding::CanonicalWriter::new("akuersi/v1/requester/cancel").finish();
    assert_eq!(&expected[..4], 27u32.to_be_bytes());
    expected.extend_from_slice(&bytes[4 + 25..]);
    assert_eq!(cancel, expected);
}
