//! Scenes 7 and 8: a payment bound to the screen that started it, and a
//! fraud report that leads to a freeze in one step, with support's hours.

use akuersi_core::transport::{call, Transport};
use akuersi_core::Error;
use akuersi_protocol::clock::Clock;
use akuersi_protocol::request::{Action, Amount};
use akuersi_protocol::wire::{
    paths, ChannelBindingKind, CreateRequest, CreateRequestResponse, RequestStatus,
};

use super::scenes::Cast;
use super::{must, short, show_screen, World, PIN_A, REQUESTER_ID, USER_ID};
use crate::bank::{payment_texts, PAYMENT_ACCOUNT, PAYMENT_MINOR_UNITS};
use crate::error::SimError;
use crate::output::Printer;

/// Scene 7: Demo Bank asks for a payment with a 4-digit code on its screen.
/// The app will not approve without the code; a wrong code leaves 2 tries;
/// the right code and the PIN approve; the signed evidence holds both the
/// code and the amount. The card is shown in kl, da and en.
pub(super) fn channel_binding(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(7, "A payment bound to the screen that started it")?;
    let a = cast.phone.profile_id.as_str();
    w.advance(p, 2 * 3_600_000, "two hours later")?;
    let amount = Amount {
        minor_units: PAYMENT_MINOR_UNITS,
        currency: "DKK".into(),
    };
    let req = w.signed(CreateRequest {
        user_id: USER_ID.into(),
        action: Action::Approve,
        texts: payment_texts("R7K4"),
        ttl_seconds: None,
        channel_binding: Some(ChannelBindingKind::Code),
        amount: Some(amount.clone()),
        account: Some(PAYMENT_ACCOUNT.into()),
    })?;
    let transport: &dyn Transport = w.requester.as_ref();
    let answer: CreateRequestResponse = must(
        "Demo Bank could not start the payment",
        call(transport, paths::CREATE_REQUEST, &req),
    )?;
    let code = answer.channel_code.clone().unwrap_or_default();
    p.line(format!(
        "Demo Bank -> service: \"approve\" a payment of 9.000,00 DKK to {PAYMENT_ACCOUNT}, \
         with a code on the screen -> request {}",
        short(&answer.request_id)
    ))?;
    p.line(format!(
        "Demo Bank's page shows, large: {code}  (\"type this code in the app\")"
    ))?;
    p.check(
        code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()),
        "the service gave the bank's screen a 4-digit code",
    )?;

    for lang in ["kl", "da", "en"] {
        w.phone.app.set_language(a, lang.into())?;
        let views = w.phone.app.refresh(a)?;
        p.line(format!("Phone A, language {lang}:"))?;
        show_screen(p, &views)?;
    }
    let views = w.phone.app.pending(a)?;
    let view = views
        .iter()
        .find(|v| v.request_id == answer.request_id)
        .ok_or_else(|| SimError::Demo("phone A does not show the payment".into()))?;
    p.check(
        view.amount
            .as_deref()
            .is_some_and(|s| s.contains("9,000.00"))
            || view
                .amount
                .as_deref()
                .is_some_and(|s| s.contains("9.000,00")),
        format!(
            "the app renders the amount itself: {}",
            view.amount.clone().unwrap_or_default()
        ),
    )?;
    p.check(
        view.channel_binding == Some(ChannelBindingKind::Code) && !view.channel_confirmed,
        "the card says it needs the 4-digit code from the screen",
    )?;

    if w.phone.app.needs_security_rules(a)? {
        p.line("Before the first approval the app shows the five security rules:")?;
        for (i, r) in w.phone.app.security_rules(a)?.iter().enumerate() {
            p.detail(format!("{}. {}: {}", i + 1, r.title, r.body))?;
        }
        w.phone.app.acknowledge_security_rules(a)?;
    }

    p.line("Aviaja taps Approve at once, without the code:")?;
    let r = w.phone.app.approve(a, &answer.request_id, PIN_A.to_owned());
    p.line(format!("  -> {}", describe_err(&r)))?;
    p.check(
        matches!(r, Err(Error::ChannelBindingRequired)),
        "the app refuses to approve without the code (it does not even ask for the PIN)",
    )?;

    let wrong = if code == "1234" { "4321" } else { "1234" };
    p.line(format!("She types {wrong} (misread):"))?;
    let r = type_code(p, w, a, &answer.request_id, wrong)?;
    p.check(
        matches!(r, Err(Error::WrongChannelCode { attempts_left: 2 })),
        "a wrong code is refused: 2 tries left before the request is cancelled",
    )?;

    p.line(format!("She types {code}, as shown on the bank's screen:"))?;
    let r = type_code(p, w, a, &answer.request_id, &code)?;
    p.check(r.is_ok(), "the right code is accepted")?;

    let outcome = must(
        "phone A could not approve the payment",
        w.phone.app.approve(a, &answer.request_id, PIN_A.into()),
    )?;
    p.line(format!(
        "She approves with her PIN: {}",
        outcome.status.as_str()
    ))?;
    p.check(
        outcome.status == RequestStatus::Approved,
        "the payment is approved",
    )?;

    let poll = w.poll(&answer)?;
    let statement = poll
        .evidence
        .as_ref()
        .and_then(|e| e.verify(REQUESTER_ID).ok());
    match &statement {
        Some(s) => p.detail(format!(
            "signed statement: amount {:?} {}, account {:?}, channel binding {:?}",
            s.amount.as_ref().map(|a| a.minor_units),
            s.amount.as_ref().map(|a| a.currency.as_str()).unwrap_or(""),
            s.account,
            s.channel_binding
        ))?,
        None => p.detail("no verifiable evidence came with the approval")?,
    }
    p.check(
        statement.as_ref().is_some_and(|s| {
            s.channel_binding.as_deref() == Some(code.as_str())
                && s.amount.as_ref() == Some(&amount)
                && s.account.as_deref() == Some(PAYMENT_ACCOUNT)
        }),
        "Demo Bank's evidence holds the code, the amount and the account, under the device's signature",
    )?;
    w.phone.app.set_language(a, "en".into())?;
    Ok(())
}

/// Scene 8: a request Aviaja did not start. She reports it; the app offers a
/// freeze in one step; afterwards a requester gets the same answer as for an
/// unknown user ID. Support's hours are shown in Greenland time.
pub(super) fn fraud_report(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(8, "\"I did not start this\": report, freeze, support")?;
    let a = cast.phone.profile_id.as_str();
    w.advance(p, 600_000, "ten minutes later")?;
    p.line("Someone who knows Aviaja's user ID starts a log-on at Demo Bank and phones her.")?;
    let req = w.create_request(p)?;
    let views = w.phone.app.refresh(a)?;
    show_screen(p, &views)?;
    let outcome = must(
        "phone A could not report",
        w.phone.app.report(a, &req.request_id),
    )?;
    p.line(format!(
        "Aviaja taps \"I did not start this\": {}",
        outcome.status.as_str()
    ))?;
    p.check(
        outcome.status == RequestStatus::Reported,
        "the request is refused and recorded as reported",
    )?;
    p.line("The app asks: \"Freeze your identity now? (y/n)\" She answers y:")?;
    must("phone A could not freeze", w.phone.app.freeze(a))?;
    let status = w.phone.app.identity_status(a)?;
    p.check(status.frozen, "one step: the identity is frozen")?;

    let again = w.create_request(p);
    let unknown: Result<CreateRequestResponse, Error> = call(
        w.requester.as_ref() as &dyn Transport,
        paths::CREATE_REQUEST,
        &w.signed(CreateRequest {
            user_id: "Nobody-Here".into(),
            action: Action::LogOn,
            texts: super::log_on_texts(),
            ttl_seconds: None,
            channel_binding: None,
            amount: None,
            account: None,
        })?,
    );
    p.line(format!(
        "The caller tries again; for comparison, a user ID that does not exist: {} / {}",
        if again.is_ok() {
            "request created"
        } else {
            "refused"
        },
        if unknown.is_ok() {
            "request created"
        } else {
            "refused"
        }
    ))?;
    p.check(
        again.is_ok() && unknown.is_ok(),
        "the requester gets the same answer as for an unknown user ID (nothing to learn)",
    )?;
    let shown = w.phone.app.refresh(a).map(|v| v.len()).unwrap_or(0);
    p.check(shown == 0, "nothing reaches the frozen identity's app")?;

    let support = crate::app::support::support();
    let contact = support.contact("en");
    let now = w.clock.now_ms();
    let st = support.status(now, "en");
    p.line("The app shows how to reach support:")?;
    p.detail(format!(
        "Phone {} {} · {}",
        contact.phone,
        crate::app::support::PHONE_LABEL,
        contact.web_form
    ))?;
    p.detail(contact.language_note.clone())?;
    p.detail(contact.hours_text.clone())?;
    p.detail(format!("Right now: {}", st.text))?;
    let lower = st.text.to_lowercase();
    p.check(
        (st.open && lower.contains("until")) || (!st.open && lower.contains("opens")),
        format!("support says \"{}\" (America/Nuuk)", st.text),
    )?;
    let da = support.status(now, "da");
    let kl = support.status(now, "kl");
    p.detail(format!("da: {} · kl: {}", da.text, kl.text))?;
    Ok(())
}

/// Phone A answers the request's channel binding with `code`; the answer is
/// shown and returned.
fn type_code(
    p: &mut Printer,
    w: &World,
    profile_id: &str,
    request_id: &str,
    code: &str,
) -> Result<Result<(), Error>, SimError> {
    let r = w
        .phone
        .app
        .confirm_channel(profile_id, request_id, code.into());
    p.line(format!("  -> {}", describe_err(&r)))?;
    Ok(r)
}

fn describe_err<T>(r: &Result<T, Error>) -> String {
    match r {
        Ok(_) => "accepted".into(),
        Err(e) => format!("Error::{e:?}: {e}"),
    }
}
