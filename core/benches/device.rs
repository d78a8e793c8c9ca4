//! Device-side benchmarks (the performance budgets, docs/BENCHMARKS.md): sign an approval statement, the SPAKE2+
//! prover steps, the PIN-to-secret derivation at the default cost (reported
//! apart), encode and verify the canonical statement, open an installation
//! with 3 identities and 10,000 activity entries, and verify an activity-log
//! chain of 10,000 entries.
//!
//! `cargo bench -p akuersi-core --bench device`.

// criterion_group! defines an undocumented `pub fn`; a bench binary has no API.
#![allow(missing_docs)]

use std::hint::black_box;

use akuersi_protocol::activity::{
    entry_hash, head_bytes, verify_chain, LogEntry, SignedHead, GENESIS,
};
use akuersi_protocol::approval::{ApprovalStatement, Decision, Evidence, PakeBinding};
use akuersi_protocol::crypto::device_id_for;
use akuersi_protocol::pin::{derive_pake_secrets, Pin, DEFAULT_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::spake2plus::{registration_record, verifier_respond, PakeContext, Prover};
use akuersi_testkit::bench::AppFixture;
use akuersi_testkit::{log_on, PIN, T0};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

fn key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

fn statement(device_id: &str) -> ApprovalStatement {
    // The Demo Bank log-on request, as the service hands it out at T0.
    let request = log_on("bench-user");
    ApprovalStatement {
        request_id: "0123456789abcdef0123456789abcdef".into(),
        nonce: vec![7; 32],
        requester_id: akuersi_testkit::DEMO_BANK.into(),
        requester_name: "Demo Bank".into(),
        action: request.action,
        texts: request.texts,
        amount: None,
        account: None,
        expires_at_ms: T0 + 300_000,
        decision: Decision::Approve,
        device_id: device_id.into(),
        pake: Some(PakeBinding {
            session_id: "fedcba9876543210fedcba9876543210".into(),
            share_p: vec![4; 65],
            share_v: vec![4; 65],
        }),
        channel_binding: None,
    }
}

fn statement_benches(c: &mut Criterion) {
    let key = key();
    let rng = SystemRandom::new();
    let public_key = key.public_key().as_ref().to_vec();
    let device_id = device_id_for(&public_key);
    let st = statement(&device_id);
    c.bench_function("statement/encode", |b| b.iter(|| black_box(&st).encode()));
    c.bench_function("statement/sign", |b| {
        b.iter(|| key.sign(&rng, &black_box(&st).encode()).unwrap())
    });
    let bytes = st.encode();
    let evidence = Evidence {
        device_id: device_id.clone(),
        device_public_key: public_key,
        signature: key.sign(&rng, &bytes).unwrap().as_ref().to_vec(),
        statement: bytes,
    };
    c.bench_function("statement/verify_evidence", |b| {
        b.iter(|| black_box(&evidence).verify("demo-bank").unwrap())
    });
}

fn spake2plus_benches(c: &mut Criterion) {
    let pin = Pin::new(PIN.into()).unwrap();
    let secret = [9u8; 32];
    let device_id = "d".repeat(64);
    let (w0, w1) = derive_pake_secrets(&pin, &secret, &device_id, 1_000);
    let record = registration_record(&w0, &w1);
    let ctx = PakeContext {
        context: b"akuersi bench",
        id_prover: device_id.as_bytes(),
        id_verifier: PAKE_VERIFIER_ID,
    };
    c.bench_function("spake2plus/prover_start", |b| {
        b.iter(|| Prover::start(&ctx, &w0, &w1))
    });
    c.bench_function("spake2plus/prover_finish", |b| {
        b.iter_batched(
            || {
                let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
                let v = verifier_respond(&ctx, &record, &share_p).unwrap();
                (prover, v.share_v, v.confirm_v)
            },
            |(prover, share_v, confirm_v)| prover.finish(&share_v, &confirm_v).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let mut g = c.benchmark_group("pin_derivation");
    g.sample_size(10);
    g.bench_function("pbkdf2_sha256_600000", |b| {
        b.iter(|| derive_pake_secrets(&pin, &secret, &device_id, DEFAULT_KDF_ITERATIONS))
    });
    g.finish();
}

fn installation_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let fixture = AppFixture::new(path.to_str().unwrap(), 3, 1_000);
    fixture.add_activity(10_000);
    c.bench_function("installation/cold_start_3_ids_10k_activity", |b| {
        b.iter(|| fixture.cold_start())
    });
}

fn chain_benches(c: &mut Criterion) {
    let key = key();
    let rng = SystemRandom::new();
    let identity = "0123456789abcdef0123456789abcdef";
    let mut entries = Vec::with_capacity(10_000);
    let mut prev = GENESIS.to_vec();
    for seq in 1..=10_000u64 {
        let at_ms = T0 + seq as i64;
        let hash = entry_hash(
            identity,
            seq,
            at_ms,
            akuersi_protocol::activity::ActivityKind::RequestApproved,
            Some("device"),
            Some("request"),
            "Demo Bank – log_on",
            &prev,
        );
        entries.push(LogEntry {
            seq,
            at_ms,
            kind: akuersi_protocol::activity::ActivityKind::RequestApproved,
            device_id: Some("device".into()),
            request_id: Some("request".into()),
            detail: "Demo Bank – log_on".into(),
            prev_hash: prev.clone(),
            hash: hash.to_vec(),
        });
        prev = hash.to_vec();
    }
    let signed_at_ms = 1_796_083_300_000;
    let key_id = akuersi_protocol::service_key::service_key_id(key.public_key().as_ref());
    let head = SignedHead {
        key_id: key_id.clone(),
        seq: 10_000,
        hash: prev.clone(),
        signed_at_ms,
        signature: key
            .sign(
                &rng,
                &head_bytes(identity, &key_id, 10_000, &prev, signed_at_ms),
            )
            .unwrap()
            .as_ref()
            .to_vec(),
    };
    let public_key = key.public_key().as_ref().to_vec();
    let mut g = c.benchmark_group("activity");
    g.sample_size(20);
    g.bench_function("verify_chain_10k", |b| {
        b.iter(|| verify_chain(identity, &entries, &head, &public_key).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    statement_benches,
    spake2plus_benches,
    installation_benches,
    chain_benches
);
criterion_main!(benches);
