//! Requester authentication and the registry: every refusal is typed,
//! stores nothing and uses no budget; the owner reads the registry's name.

use akuersi_protocol::request::Action;
use akuersi_protocol::requester_key::RequesterKey;
use akuersi_protocol::wire::{
    CancelRequest, ChannelBindingKind, ChannelMode, CreateRequest, ErrorCode, PendingQuery,
    PollRequest, RequesterInfo, RequesterNames, RequesterSigned, REQUESTER_WINDOW_MS,
};
use akuersi_testkit::log_on;

use super::test_support::{enroll, Signs};
use crate::{Service, ServiceConfig};

/// A service with a budget of one request per user ID per hour.
fn strict_service() -> Service {
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(akuersi_testkit::T0));
    let config = ServiceConfig {
        synchronous_full: true,
        max_requests_per_hour: 1,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..Default::default()
    };
    Service::open(":memory:", clock, config).unwrap()
}

/// "Fjord Bank": log-on only, no channel binding, one create a minute.
fn fjord(public_key: Vec<u8>) -> RequesterInfo {
    RequesterInfo {
        requester_id: "fjord-bank".into(),
        names: RequesterNames {
            kl: "Kangerluk Aningaaserivik".into(),
            da: "Fjordbanken".into(),
            en: "Fjord Bank".into(),
        },
        actions: vec![Action::LogOn],
        channel_modes: vec![ChannelMode::None],
        max_per_minute: 1,
        max_per_hour: 10,
        public_key,
        registered_at_ms: 0,
        revoked_at_ms: None,
    }
}

fn key(id: &str) -> RequesterKey {
    RequesterKey::generate(id).unwrap().0
}

fn code<T: std::fmt::Debug>(r: crate::error::Result<T>) -> ErrorCode {
    r.unwrap_err().code
}

#[test]
fn refused_requester_calls_store_nothing_and_use_no_budget() {
    let service = strict_service();
    let bank = key("fjord-bank");
    service
        .register_requester(fjord(bank.public_key()))
        .unwrap();
    let gone = key("gone-bank");
    let mut info = fjord(gone.public_key());
    info.requester_id = "gone-bank".into();
    service.register_requester(info).unwrap();
    service.revoke_requester("gone-bank").unwrap();
    service.create_identity("Aviaja-Nuuk").unwrap();
    let now = service.now_ms();
    let before = service.state_digest().unwrap();

    let create = |m: RequesterSigned<CreateRequest>| code(service.create_request(m));
    // Unknown, revoked.
    assert_eq!(
        create(key("nobody-bank").sign(log_on("Aviaja-Nuuk"), now).unwrap()),
        ErrorCode::UnknownRequester
    );
    assert_eq!(
        create(gone.sign(log_on("Aviaja-Nuuk"), now).unwrap()),
        ErrorCode::RequesterRevoked
    );
    // Signed by another key, a flipped byte, no signature at all.
    let mut forged = key("fjord-bank").sign(log_on("Aviaja-Nuuk"), now).unwrap();
    assert_eq!(create(forged.clone()), ErrorCode::BadSignature);
    forged = bank.sign(log_on("Aviaja-Nuuk"), now).unwrap();
    forged.body.user_id = "Nuka-Sisimiut".into();
    assert_eq!(create(forged.clone()), ErrorCode::BadSignature);
    forged.signature.clear();
    assert_eq!(create(forged), ErrorCode::BadSignature);
    // Outside the window, either way.
    for skew in [-REQUESTER_WINDOW_MS - 1, REQUESTER_WINDOW_MS + 1] {
        assert_eq!(
            create(bank.sign(log_on("Aviaja-Nuuk"), now + skew).unwrap()),
            ErrorCode::StaleTimestamp
        );
    }
    // An action or a channel-binding mode it is not registered for.
    let mut sign = log_on("Aviaja-Nuuk");
    sign.action = Action::Sign;
    assert_eq!(
        create(bank.sign(sign, now).unwrap()),
        ErrorCode::ActionNotAllowed
    );
    let mut bound = log_on("Aviaja-Nuuk");
    bound.channel_binding = Some(ChannelBindingKind::Code);
    assert_eq!(
        create(bank.sign(bound, now).unwrap()),
        ErrorCode::ChannelBindingNotAllowed
    );
    // Poll and cancel are refused alike.
    let poll = PollRequest {
        poll_handle: "AAAA".into(),
    };
    assert_eq!(
        code(service.poll(gone.sign(poll.clone(), now).unwrap())),
        ErrorCode::RequesterRevoked
    );
    let cancel = CancelRequest {
        poll_handle: "AAAA".into(),
    };
    assert_eq!(
        code(service.cancel(key("nobody-bank").sign(cancel, now).unwrap())),
        ErrorCode::UnknownRequester
    );
    // Nothing was stored: no request, no nonce, no counter.
    assert_eq!(service.state_digest().unwrap(), before);

    // …and no budget was used: the one request allowed per user ID per
    // hour, and the requester's one a minute, are both still there.
    let honest = bank.sign(log_on("Aviaja-Nuuk"), now).unwrap();
    let created = service.create_request(honest.clone()).unwrap();
    // The very same message again is a replay, and stores nothing.
    let after_one = service.state_digest().unwrap();
    assert_eq!(create(honest), ErrorCode::Replayed);
    assert_eq!(service.state_digest().unwrap(), after_one);
    // The requester's own limit: a second create within the minute, for
    // another user ID, is refused and stores nothing.
    assert_eq!(
        create(bank.sign(log_on("Nuka-Sisimiut"), now).unwrap()),
        ErrorCode::RateLimited
    );
    assert_eq!(service.state_digest().unwrap(), after_one);
    // A poll of its own request works and is a read: the same signed poll
    // again (a transport's retry) gets the same answer and stores nothing.
    let poll = bank
        .sign(
            PollRequest {
                poll_handle: created.poll_handle.clone(),
            },
            now,
        )
        .unwrap();
    let first = service.poll(poll.clone()).unwrap();
    assert_eq!(first.request_id, created.request_id);
    assert_eq!(service.poll(poll).unwrap(), first);
    assert_eq!(service.state_digest().unwrap(), after_one);
    // A cancel is not a read: the same signed cancel twice is a replay.
    let cancel = bank
        .sign(
            CancelRequest {
                poll_handle: created.poll_handle,
            },
            now,
        )
        .unwrap();
    service.cancel(cancel.clone()).unwrap();
    let cancelled = service.state_digest().unwrap();
    assert_eq!(code(service.cancel(cancel)), ErrorCode::Replayed);
    assert_eq!(service.state_digest().unwrap(), cancelled);
}

#[test]
fn another_requester_cannot_poll_or_cancel_a_request() {
    let service = strict_service();
    let bank = key("fjord-bank");
    service
        .register_requester(fjord(bank.public_key()))
        .unwrap();
    let other = key("other-bank");
    let mut info = fjord(other.public_key());
    info.requester_id = "other-bank".into();
    service.register_requester(info).unwrap();
    let now = service.now_ms();
    let created = service
        .create_request(bank.sign(log_on("Aviaja-Nuuk"), now).unwrap())
        .unwrap();
    let before = service.state_digest().unwrap();
    let handle = created.poll_handle;
    let poll = PollRequest {
        poll_handle: handle.clone(),
    };
    let cancel = CancelRequest {
        poll_handle: handle,
    };
    assert_eq!(
        code(service.poll(other.sign(poll, now).unwrap())),
        ErrorCode::RequestNotFound
    );
    assert_eq!(
        code(service.cancel(other.sign(cancel.clone(), now).unwrap())),
        ErrorCode::RequestNotFound
    );
    assert_eq!(service.state_digest().unwrap(), before);
    assert!(service.cancel(bank.sign(cancel, now).unwrap()).is_ok());
}

#[test]
fn the_owner_reads_the_registry_name_in_the_owners_language() {
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(akuersi_testkit::T0));
    let config = ServiceConfig {
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..ServiceConfig::default()
    };
    let service = Service::open(":memory:", clock.clone(), config).unwrap();
    let bank = key("fjord-bank");
    service
        .register_requester(fjord(bank.public_key()))
        .unwrap();
    let mut device = enroll(&service, "Aviaja-Nuuk");
    let shown = |service: &Service, device: &mut akuersi_testkit::HandDevice| {
        let now = service.now_ms();
        let created = service
            .create_request(bank.sign(log_on("Aviaja-Nuuk"), now).unwrap())
            .unwrap();
        let pending = service.pending(device.signed(PendingQuery {})).unwrap();
        let name = pending.requests[0].requester_name.clone();
        service
            .cancel(
                bank.sign(
                    CancelRequest {
                        poll_handle: created.poll_handle,
                    },
                    now,
                )
                .unwrap(),
            )
            .unwrap();
        name
    };
    assert_eq!(shown(&service, &mut device), "Fjord Bank");
    let identity = service.identity_by_user_id("Aviaja-Nuuk").unwrap();
    for (language, name) in [("da", "Fjordbanken"), ("kl", "Kangerluk Aningaaserivik")] {
        service
            .db
            .write(|tx| {
                tx.set_identity_language(&identity, language)?;
                Ok(crate::storage::Outcome::Done(()))
            })
            .unwrap();
        // One create a minute for this requester.
        clock.advance_ms(61_000);
        assert_eq!(shown(&service, &mut device), name);
    }
}

#[test]
fn registrations_are_checked_and_listed_and_revocation_is_final() {
    let service = strict_service();
    let bank = key("fjord-bank");
    let bad = |f: fn(&mut RequesterInfo)| {
        let mut r = fjord(bank.public_key());
        f(&mut r);
        code(service.register_requester(r))
    };
    assert_eq!(
        bad(|r| r.requester_id = "Fjord Bank".into()),
        ErrorCode::InvalidRequester
    );
    assert_eq!(
        bad(|r| r.names.da = String::new()),
        ErrorCode::InvalidRequester
    );
    assert_eq!(
        bad(|r| r.names.kl = "F\u{0458}ord".into()),
        ErrorCode::InvalidRequester
    );
    assert_eq!(bad(|r| r.actions.clear()), ErrorCode::InvalidRequester);
    assert_eq!(
        bad(|r| r.channel_modes.clear()),
        ErrorCode::InvalidRequester
    );
    assert_eq!(bad(|r| r.max_per_hour = 0), ErrorCode::InvalidRequester);
    assert_eq!(bad(|r| r.public_key[10] ^= 1), ErrorCode::InvalidRequester);
    assert_eq!(
        bad(|r| r.public_key.truncate(33)),
        ErrorCode::InvalidRequester
    );
    assert!(service.list_requesters().unwrap().is_empty());

    let mut twice = fjord(bank.public_key());
    twice.actions = vec![Action::LogOn, Action::LogOn];
    let stored = service.register_requester(twice).unwrap();
    assert_eq!(stored.actions, vec![Action::LogOn]);
    assert_eq!(stored.registered_at_ms, service.now_ms());
    assert_eq!(
        code(service.register_requester(fjord(bank.public_key()))),
        ErrorCode::RequesterExists
    );
    assert_eq!(service.list_requesters().unwrap(), vec![stored.clone()]);
    service.revoke_requester("fjord-bank").unwrap();
    assert_eq!(
        code(service.revoke_requester("fjord-bank")),
        ErrorCode::RequesterRevoked
    );
    assert_eq!(
        code(service.revoke_requester("nobody")),
        ErrorCode::UnknownRequester
    );
    let listed = service.list_requesters().unwrap();
    assert_eq!(listed[0].revoked_at_ms, Some(service.now_ms()));
}

#[test]
fn a_nonce_of_the_wrong_length_is_malformed_even_when_signed() {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let service = strict_service();
    let (bank, pkcs8) = RequesterKey::generate("fjord-bank").unwrap();
    service
        .register_requester(fjord(bank.public_key()))
        .unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
    let now = service.now_ms();
    let before = service.state_digest().unwrap();
    for len in [0usize, 8, 32] {
        let nonce = vec![7u8; len];
        let body = log_on("Aviaja-Nuuk");
        let bytes = RequesterSigned::signed_bytes("fjord-bank", now, &nonce, &body);
        let msg = RequesterSigned {
            requester_id: "fjord-bank".into(),
            timestamp_ms: now,
            nonce,
            body,
            signature: pair.sign(&rng, &bytes).unwrap().as_ref().to_vec(),
        };
        assert_eq!(
            code(service.create_request(msg)),
            ErrorCode::Malformed,
            "{len}"
        );
    }
    assert_eq!(service.state_digest().unwrap(), before);
}
