//! Channel binding, spoof-proof text, amounts in the owner's locale, rate
//! limits, push-fatigue and phone-call warnings.

use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::request::Amount;
use akuersi_protocol::wire::{paths, ChannelBindingKind, ErrorCode, RequestStatus};
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";

fn with_channel(kind: ChannelBindingKind) -> akuersi_protocol::wire::CreateRequest {
    let mut r = log_on(USER);
    r.channel_binding = Some(kind);
    r
}

/// A fresh world with one phone and a log-on request bound to the screen by `kind`.
fn phone_and_channel_request(
    kind: ChannelBindingKind,
) -> (World, App, akuersi_protocol::wire::CreateRequestResponse) {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let req = w.service.bank_create(with_channel(kind)).unwrap();
    (w, phone, req)
}

#[test]
fn channel_binding_by_code_must_reach_the_app_before_approval() {
    let (w, phone, req) = phone_and_channel_request(ChannelBindingKind::Code);
    let code = req.channel_code.clone().expect("the screen gets a code");
    assert_eq!(code.len(), 4);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        w.poll(&req.poll_handle).channel_code.as_deref(),
        Some(code.as_str())
    );

    let v = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(v[0].channel_binding, Some(ChannelBindingKind::Code));
    assert!(!v[0].channel_confirmed);
    // No approval before the code, and nothing is sent for it.
    let calls = w.tap.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        phone.app.approve(phone.id(), &req.request_id, PIN.into()),
        Err(Error::ChannelBindingRequired)
    );
    assert_eq!(w.tap.calls.load(std::sync::atomic::Ordering::SeqCst), calls);
    let wrong = if code == "0000" { "0001" } else { "0000" };
    assert_eq!(
        phone
            .app
            .confirm_channel(phone.id(), &req.request_id, wrong.into()),
        Err(Error::WrongChannelCode { attempts_left: 2 })
    );
    phone
        .app
        .confirm_channel(phone.id(), &req.request_id, code.clone())
        .unwrap();
    assert!(phone.app.pending(phone.id()).unwrap()[0].channel_confirmed);
    phone.approve_with_pin(&req.request_id);
    let st = w
        .poll(&req.poll_handle)
        .evidence
        .unwrap()
        .verify("demo-bank")
        .unwrap();
    assert_eq!(
        st.channel_binding.as_deref(),
        Some(code.as_str()),
        "the answer is signed"
    );
    // The code is no longer shown once decided.
    assert_eq!(w.poll(&req.poll_handle).channel_code, None);
}

#[test]
fn three_wrong_codes_cancel_the_request() {
    let (w, phone, req) = phone_and_channel_request(ChannelBindingKind::Code);
    let code = req.channel_code.clone().unwrap();
    phone.app.refresh(phone.id()).unwrap();
    let wrong: Vec<String> = (0..10)
        .map(|i| format!("{i}{i}{i}{i}"))
        .filter(|c| *c != code)
        .take(3)
        .collect();
    let r: Vec<_> = wrong
        .iter()
        .map(|c| {
            phone
                .app
                .confirm_channel(phone.id(), &req.request_id, c.clone())
        })
        .collect();
    assert_eq!(r[0], Err(Error::WrongChannelCode { attempts_left: 2 }));
    assert_eq!(r[1], Err(Error::WrongChannelCode { attempts_left: 1 }));
    assert_eq!(r[2], Err(Error::WrongChannelCode { attempts_left: 0 }));
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Cancelled);
    assert_eq!(
        phone.app.confirm_channel(phone.id(), &req.request_id, code),
        Err(Error::RequestCancelled)
    );
    // A request cancelled by wrong codes is one the owner did not accept:
    // the requester's next one says so (push-fatigue count).
    w.clock.advance_secs(1);
    let next = w.request(USER);
    let views = phone.app.refresh(phone.id()).unwrap();
    let view = views
        .iter()
        .find(|v| v.request_id == next.request_id)
        .expect("the next request is shown");
    assert_eq!(view.recent_declined, 1);
}

#[test]
fn animated_qr_changes_every_second_and_stale_or_forged_values_fail() {
    let (w, phone, req) = phone_and_channel_request(ChannelBindingKind::Qr);
    assert_eq!(req.channel_code, None);
    let first = w
        .poll(&req.poll_handle)
        .qr_value
        .expect("the screen gets a QR value");
    w.clock.advance_ms(1000);
    let second = w.poll(&req.poll_handle).qr_value.unwrap();
    assert_ne!(first, second, "renewed every second");
    assert!(
        first.contains(".a.") && second.contains(".b."),
        "two alternating halves"
    );
    phone.app.refresh(phone.id()).unwrap();
    // Forged: right shape, wrong MAC.
    let mut forged = second.clone();
    forged.replace_range(forged.len() - 2.., "AA");
    assert!(matches!(
        phone
            .app
            .confirm_channel(phone.id(), &req.request_id, forged),
        Err(Error::WrongChannelCode { .. })
    ));
    // Stale: scanned 11 seconds ago.
    w.clock.advance_ms(11_000);
    assert!(matches!(
        phone
            .app
            .confirm_channel(phone.id(), &req.request_id, second),
        Err(Error::WrongChannelCode { attempts_left: 1 })
    ));
    // A fresh value works (on a new request, once the first has lapsed).
    w.clock.advance_secs(300);
    let req = w
        .service
        .bank_create(with_channel(ChannelBindingKind::Qr))
        .unwrap();
    w.clock.advance_ms(2500);
    let fresh = w.poll(&req.poll_handle).qr_value.unwrap();
    w.clock.advance_ms(3000);
    phone.app.refresh(phone.id()).unwrap();
    phone
        .app
        .confirm_channel(phone.id(), &req.request_id, fresh)
        .unwrap();
    phone.approve_with_pin(&req.request_id);
}

#[test]
fn a_device_that_skips_channel_binding_is_refused_by_the_service() {
    let w = World::new();
    let mut dev = RawDevice::enroll(&w, USER);
    let req = w
        .service
        .bank_create(with_channel(ChannelBindingKind::Code))
        .unwrap();
    let p = dev.pending(&w).unwrap().requests.remove(0);
    let before = w.digest();
    let (b, proof, _) = dev.pin_proof(&w, &p, PIN).unwrap();
    let mut st = dev.statement(&p, Decision::Approve, Some(b));
    // Even with the right code signed in, it was never checked by the service.
    st.channel_binding = req.channel_code.clone();
    let mut msg = dev.decide_msg(&st, Some(proof));
    msg.channel_binding = req.channel_code.clone();
    let r: akuersi_core::Result<akuersi_protocol::wire::DecideResponse> =
        w.send(paths::DECIDE, &msg);
    assert_eq!(r.unwrap_err(), Error::ChannelBindingRequired);
    assert_ne!(w.digest(), before, "only the counted PIN attempt changed");
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
    // Declining needs no code.
    dev.decline(&w, &p, Decision::Report).unwrap();
}

#[test]
fn amounts_and_accounts_are_rendered_by_the_core_and_signed() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let mut r = log_on(USER);
    r.action = akuersi_protocol::request::Action::Approve;
    r.amount = Some(Amount {
        minor_units: 900_000,
        currency: "DKK".into(),
    });
    r.account = Some("GL89 6471 0001 0002 06".into());
    let req = w.service.bank_create(r).unwrap();
    phone.app.set_language(phone.id(), "da".into()).unwrap();
    let v = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(v[0].amount.as_deref(), Some("9.000,00 kr."));
    assert_eq!(v[0].account.as_deref(), Some("GL89 6471 0001 0002 06"));
    phone.app.set_language(phone.id(), "en".into()).unwrap();
    let v = phone.app.pending(phone.id()).unwrap();
    assert_eq!(v[0].amount.as_deref(), Some("DKK 9,000.00"));
    phone.approve_with_pin(&req.request_id);
    let st = w
        .poll(&req.poll_handle)
        .evidence
        .unwrap()
        .verify("demo-bank")
        .unwrap();
    assert_eq!(st.amount.unwrap().minor_units, 900_000);
    assert_eq!(st.account.as_deref(), Some("GL8964710001000206"));

    let mut bad = log_on(USER);
    bad.amount = Some(Amount {
        minor_units: -5,
        currency: "DKK".into(),
    });
    assert_eq!(
        w.service.bank_create(bad).unwrap_err().code,
        ErrorCode::InvalidText
    );
}

#[test]
fn spoofing_texts_are_refused_and_look_alikes_in_names_too() {
    let w = World::new();
    w.identity(USER);
    let before = w.digest();
    type Trick = fn(&mut akuersi_protocol::wire::CreateRequest);
    let cases: Vec<(&str, Trick)> = vec![
        ("right-to-left override", |r| {
            r.texts[0].body = "Pay \u{202e}00.009".into()
        }),
        ("isolate", |r| {
            r.texts[0].body = "Pay \u{2067}9000\u{2069}".into()
        }),
        ("zero-width space", |r| {
            r.texts[1].header = "Log\u{200b} på".into()
        }),
        ("control character", |r| {
            r.texts[2].body = "line\rbreak".into()
        }),
    ];
    for (what, f) in cases {
        let mut r = log_on(USER);
        f(&mut r);
        let e = w.service.bank_create(r).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidText, "{what}");
    }
    // The name comes from the registry, and the registry takes no tricks.
    for (what, name) in [
        ("Cyrillic e in the name", "D\u{0435}mo Bank"),
        ("Greek o in the name", "Dem\u{03bf} Bank"),
        ("zero-width joiner in the name", "Demo\u{200d}Bank"),
        ("right-to-left override in the name", "Demo Bank\u{202e}"),
    ] {
        let r = registration("spoof-bank", name, demo_bank_key().public_key());
        let e = w.service.register_requester(r).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequester, "{what}");
    }
    assert_eq!(w.digest(), before);
    // Decomposed text is stored and signed in NFC.
    let phone = w.app(USER, "phone");
    let mut r = log_on(USER);
    r.texts[1].body = "Tilla\u{030a}d betaling".into();
    w.service.bank_create(r).unwrap();
    phone.app.set_language(phone.id(), "da".into()).unwrap();
    assert_eq!(
        phone.app.refresh(phone.id()).unwrap()[0].body,
        "Till\u{e5}d betaling"
    );
}

#[test]
fn the_hourly_cap_holds_for_known_and_unknown_user_ids() {
    let w = World::new();
    w.identity(USER);
    for user in [USER, "Nobody-Here"] {
        for i in 0..10 {
            w.service.bank_create(log_on(user)).unwrap();
            if i < 9 {
                w.clock.advance_secs(300); // let it lapse so the next is allowed
            }
        }
        w.clock.advance_secs(300);
        let e = w.service.bank_create(log_on(user)).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited, "{user}");
    }
    w.clock.advance_secs(3600);
    w.service.bank_create(log_on(USER)).unwrap();
}

#[test]
fn repeated_declines_from_one_requester_raise_a_push_fatigue_warning() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let r1 = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.app.reject(phone.id(), &r1.request_id).unwrap();
    w.request(USER);
    w.clock.advance_secs(300); // lapses unanswered
    w.request(USER);
    let v = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(v[0].recent_declined, 2);
    // Another requester starts clean.
    w.clock.advance_secs(300);
    let (shop, _) = akuersi_protocol::requester_key::RequesterKey::generate("other-shop").unwrap();
    w.service
        .register_requester(registration("other-shop", "Other Shop", shop.public_key()))
        .unwrap();
    w.service
        .create_request(shop.sign(log_on(USER), now(&w)).unwrap())
        .unwrap();
    let v = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(v[0].requester_name, "Other Shop");
    assert_eq!(v[0].recent_declined, 0);
}

#[test]
fn a_phone_call_in_progress_needs_an_extra_confirmation() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    let req = w.request(USER);
    phone.app.set_call_active(true);
    let v = phone.app.refresh(phone.id()).unwrap();
    assert!(v[0].call_warning);
    assert_eq!(
        phone.app.approve(phone.id(), &req.request_id, PIN.into()),
        Err(Error::CallInProgress)
    );
    // Declining is never held up.
    phone
        .app
        .confirm_despite_call(phone.id(), &req.request_id)
        .unwrap();
    phone.approve_with_pin(&req.request_id);
    phone.app.set_call_active(false);
    w.request(USER);
    assert!(!phone.app.refresh(phone.id()).unwrap()[0].call_warning);
}

#[test]
fn reporting_leads_straight_to_a_freeze() {
    let (w, phone, req) = World::with_fetched_request(USER);
    let out = phone.app.report(phone.id(), &req.request_id).unwrap();
    assert_eq!(out.status, RequestStatus::Reported);
    phone.app.freeze(phone.id()).unwrap();
    assert!(phone.app.identity_status(phone.id()).unwrap().frozen);
    let kinds = w.activity_kinds(&phone.profile.identity_id);
    let rep = kinds.iter().position(|k| k == "request_reported").unwrap();
    let frz = kinds.iter().position(|k| k == "identity_frozen").unwrap();
    assert!(rep < frz);
}

#[test]
fn security_rules_are_due_until_read_and_cards_speak_the_owners_language() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    assert!(phone.app.needs_security_rules(phone.id()).unwrap());
    let rules = phone.app.security_rules(phone.id()).unwrap();
    assert_eq!(rules.len(), 5);
    phone.app.acknowledge_security_rules(phone.id()).unwrap();
    assert!(!phone.app.needs_security_rules(phone.id()).unwrap());

    phone.app.set_language(phone.id(), "da".into()).unwrap();
    w.request(USER);
    let v = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(v[0].language, "da");
    assert!(!v[0].rules_reminder.is_empty());
    assert_ne!(
        v[0].action_title,
        akuersi_core::display::i18n::action_title("en", v[0].action)
    );
    assert!(v[0].fatigue_warning.is_none());
    let da_rules = phone.app.security_rules(phone.id()).unwrap();
    assert_ne!(da_rules[0].title, rules[0].title, "kl and da differ");
}

#[test]
fn creating_and_cancelling_cannot_use_up_the_hourly_cap() {
    let w = World::new();
    let phone = w.app(USER, "phone");
    for _ in 0..30 {
        let r = w.request(USER);
        w.service.bank_cancel(&r.poll_handle).unwrap();
    }
    let r = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.approve_with_pin(&r.request_id);
}
