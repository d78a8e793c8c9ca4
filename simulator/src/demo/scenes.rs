//! Scenes 1 to 6 (7 and 8 are in `extra.rs`). Each one narrates what happens, shows what the phone
//! screen and the requester see, and checks its own outcome.

use std::sync::Barrier;

use akuersi_core::app::{DecisionOutcome, Profile, RequestView};
use akuersi_core::transport::{call, Transport};
use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::Clock;
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{
    paths, Activate, CodeChannel, CreateIdentity, CreateIdentityResponse, CreateRequestResponse,
    IssueActivationCode, IssueActivationCodeResponse, PollResponse, RequestStatus,
};
use akuersi_server::lockout::{Lock, LockoutPolicy};

use super::{
    files_with, log_on_texts, messages_with, must, screen_line, short, show_screen, Device, World,
    PIN_A, PIN_B, REQUESTER_ID, REQUESTER_NAME, USER_ID, WRONG_PIN_A,
};
use crate::error::SimError;
use crate::output::Printer;

/// The identity and its two activated devices.
pub(super) struct Cast {
    pub(super) identity_id: String,
    pub(super) phone: Profile,
    pub(super) tablet: Profile,
}

impl Cast {
    /// Phone A's and tablet B's profile ids.
    fn profile_ids(&self) -> (&str, &str) {
        (&self.phone.profile_id, &self.tablet.profile_id)
    }
}

/// "approved", or "Error::RequestExpired: the request has expired".
fn describe(r: &Result<DecisionOutcome, Error>) -> String {
    match r {
        Ok(o) => o.status.as_str().to_owned(),
        Err(e) => format!("Error::{e:?}: {e}"),
    }
}

fn demo_err(what: impl Into<String>) -> SimError {
    SimError::Demo(what.into())
}

// ------------------------------------------------------------------ scene 1

/// Scene 1: the operator creates the identity and issues two paper codes;
/// each device activates with its code and its own PIN.
pub(super) fn activation(p: &mut Printer, w: &World) -> Result<Cast, SimError> {
    p.scene(1, "An identity and two devices")?;
    let op: &dyn Transport = w.operator.as_ref();
    let created: CreateIdentityResponse = must(
        "the operator could not create the identity",
        call(
            op,
            paths::OPERATOR_CREATE_IDENTITY,
            &CreateIdentity {
                token: w.operator_token.clone(),
                user_id: USER_ID.into(),
            },
        ),
    )?;
    p.line(format!(
        "Operator (citizen service centre) creates the identity \"{USER_ID}\" -> identity {}",
        short(&created.identity_id)
    ))?;

    let phone = activate_device(p, w, op, &w.phone)?;
    let tablet = activate_device(p, w, op, &w.tablet)?;

    let sent = w.phone.wire.sent();
    let msg = sent
        .iter()
        .find(|m| m.path == paths::ACTIVATE)
        .ok_or_else(|| demo_err("phone A sent no activation message"))?;
    let fields: serde_json::Value = serde_json::from_slice(&msg.body)
        .map_err(|e| demo_err(format!("phone A's activation message is not JSON: {e}")))?;
    let names: Vec<String> = fields
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let act: Activate = serde_json::from_slice(&msg.body)
        .map_err(|e| demo_err(format!("phone A's activation message does not parse: {e}")))?;
    p.line("What phone A sent to activate, every field:")?;
    p.detail(format!(
        "user_id \"{}\", activation_code \"{}\", device_name \"{}\", platform \"{}\"",
        act.user_id, act.activation_code, act.device_name, act.platform
    ))?;
    p.detail(format!(
        "device_id {}, device_public_key {} bytes, signature {} bytes (proof it holds the key)",
        short(&act.device_id),
        act.device_public_key.len(),
        act.signature.len()
    ))?;
    p.detail(format!(
        "verifier: w0 {} bytes, L {} bytes, kdf_iterations {}",
        act.verifier.w0.len(),
        act.verifier.l.len(),
        act.verifier.kdf_iterations
    ))?;
    p.line(
        "The service stores only (w0, L), a SPAKE2+ verifier (RFC 9383); without the secret \
         that never leaves the device it is no use for guessing the PIN.",
    )?;
    p.check(
        !names.iter().any(|n| n.to_lowercase().contains("pin")),
        format!(
            "the activation message has no PIN field ({})",
            names.join(", ")
        ),
    )?;
    let device_msgs = [w.phone.wire.sent(), w.tablet.wire.sent()].concat();
    p.check(
        messages_with(&device_msgs, &[PIN_A, PIN_B]) == 0,
        format!(
            "the PIN is never sent: neither PIN's digits occur in the {} messages the devices sent",
            device_msgs.len()
        ),
    )?;
    pin_not_stored(p, w)?;
    for (dev, profile) in [(&w.phone, &phone), (&w.tablet, &tablet)] {
        let info = w.service.device_info(&profile.device_id)?;
        p.check(
            info.status == "active"
                && info.identity_id == created.identity_id
                && info.pin_failures == 0,
            format!(
                "the service lists {} as an active device of {USER_ID}",
                dev.label
            ),
        )?;
    }
    Ok(Cast {
        identity_id: created.identity_id,
        phone,
        tablet,
    })
}

fn activate_device(
    p: &mut Printer,
    w: &World,
    op: &dyn Transport,
    dev: &Device,
) -> Result<Profile, SimError> {
    let code: IssueActivationCodeResponse = must(
        "the operator could not issue an activation code",
        call(
            op,
            paths::OPERATOR_ISSUE_CODE,
            &IssueActivationCode {
                token: w.operator_token.clone(),
                user_id: USER_ID.into(),
                channel: CodeChannel::Paper,
            },
        ),
    )?;
    p.line(format!(
        "Operator prints a paper activation code for {}: {} (valid until {})",
        dev.label,
        code.code,
        w.at(code.expires_at_ms)
    ))?;
    let (profile, ms) = dev.activate_timed(code.code)?;
    p.line(format!(
        "{} activates with it; Aviaja chooses PIN {} on it ({ms} ms)",
        dev.who(),
        dev.pin
    ))?;
    p.detail(format!("device id {}", profile.device_id))?;
    Ok(profile)
}

/// Check, byte by byte, that no file in the data folder holds a PIN.
fn pin_not_stored(p: &mut Printer, w: &World) -> Result<(), SimError> {
    let (hits, read) = files_with(&w.dir, &[PIN_A, PIN_B])?;
    p.check(
        hits.is_empty(),
        format!(
            "the PIN is never stored: no file in the data folder holds either PIN's digits \
             ({read} files read{}{})",
            if hits.is_empty() { "" } else { "; found in " },
            hits.join(", ")
        ),
    )?;
    Ok(())
}

// ------------------------------------------------------------------ scene 2

/// What a requester expects of a decision's evidence.
struct Expected<'a> {
    request: &'a CreateRequestResponse,
    decision: Decision,
    device_id: &'a str,
}

/// The requester verifies the device's signed evidence by itself. With
/// `verbose`, every field is shown and checked on its own line.
fn verify_evidence(
    p: &mut Printer,
    w: &World,
    cast: &Cast,
    poll: &PollResponse,
    expected: &Expected<'_>,
    verbose: bool,
) -> Result<(), SimError> {
    let Some(evidence) = &poll.evidence else {
        p.check(false, "the answer carries the device's signed evidence")?;
        return Ok(());
    };
    let statement = match evidence.verify(REQUESTER_ID) {
        Ok(s) => s,
        Err(e) => {
            p.check(false, format!("the device's evidence verifies: {e}"))?;
            return Ok(());
        }
    };
    let mut sent_texts = log_on_texts();
    sent_texts.sort_by(|a, b| a.lang.cmp(&b.lang));
    let who = w.label_of(cast, &statement.device_id);
    let same_request = statement.request_id == expected.request.request_id
        && statement.expires_at_ms == expected.request.expires_at_ms;
    let same_decision =
        statement.decision == expected.decision && statement.device_id == expected.device_id;
    let same_texts = statement.texts == sent_texts
        && statement.requester_id == REQUESTER_ID
        && statement.requester_name == REQUESTER_NAME
        && statement.action == Action::LogOn;
    let pin_bound = statement.pake.is_some() == (expected.decision == Decision::Approve);
    if !verbose {
        p.check(
            same_request && same_decision && same_texts && pin_bound,
            format!(
                "Demo Bank verified the evidence: \"{}\" signed by {who} for this request and \
                 these texts",
                statement.decision.as_str()
            ),
        )?;
        return Ok(());
    }
    p.line("Demo Bank verifies the device's signed evidence itself (Evidence::verify):")?;
    let langs: Vec<&str> = statement.texts.iter().map(|t| t.lang.as_str()).collect();
    p.detail(format!("request id  {}", statement.request_id))?;
    p.detail(format!("decision    {}", statement.decision.as_str()))?;
    p.detail(format!("device id   {} ({who})", statement.device_id))?;
    p.detail(format!(
        "requester   {} \"{}\", action {}",
        statement.requester_id,
        statement.requester_name,
        statement.action.as_str()
    ))?;
    p.detail(format!(
        "texts       {} (header and body of each)",
        langs.join(", ")
    ))?;
    p.detail(format!("expires     {}", w.at(statement.expires_at_ms)))?;
    p.detail(match &statement.pake {
        Some(b) => format!(
            "PIN proof   SPAKE2+ session {}, both shares signed",
            short(&b.session_id)
        ),
        None => "PIN proof   none".to_owned(),
    })?;
    p.check(
        true,
        "the ECDSA P-256 signature verifies, and the device id belongs to the signing key",
    )?;
    p.check(
        same_request,
        "it names this request and the expiry Demo Bank was given",
    )?;
    p.check(
        same_decision,
        format!("decision \"{}\" by {who}", expected.decision.as_str()),
    )?;
    p.check(
        same_texts,
        "the signed requester, action and texts (kl, da, en) match what Demo Bank sent",
    )?;
    p.check(
        pin_bound,
        "the approval rests on a PIN proof bound into the signature",
    )?;
    Ok(())
}

/// Scene 2: a log-on, a wrong PIN, the right PIN, and the requester's own
/// check of the evidence.
pub(super) fn approved(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(2, "Demo Bank asks Aviaja to log on: approved")?;
    let a = cast.phone.profile_id.as_str();
    p.line("Aviaja types her user ID on Demo Bank's log-on page; Demo Bank asks the service.")?;
    let req = unseen_request(
        p,
        w,
        a,
        "nothing pops up on phone A: a request is seen only by opening the app",
    )?;
    w.phone.app.set_language(a, "kl".into())?;
    p.line("Aviaja opens the app on phone A (language kl, Greenlandic); it asks the service:")?;
    let views = w.phone.app.refresh(a)?;
    show_screen(p, &views)?;
    p.check(
        views.len() == 1
            && views[0].request_id == req.request_id
            && views[0].language == "kl"
            && views[0].header == "Demo Bank-imut iserneq"
            && views[0].seconds_left == 300,
        "phone A shows this request in Greenlandic, with 5:00 left",
    )?;
    w.advance(p, 20_000, "Aviaja reads the text")?;
    let views = w.phone.app.pending(a)?;
    p.line(format!(
        "Phone A counts down on its own: {}",
        screen_line(&views)
    ))?;
    p.check(
        views.first().is_some_and(|v| v.seconds_left == 280),
        "the countdown reads 4:40",
    )?;

    p.line(format!(
        "She taps Approve and types {WRONG_PIN_A} (two digits swapped):"
    ))?;
    let r = w.phone.app.approve(a, &req.request_id, WRONG_PIN_A.into());
    p.line(format!("  -> {}", describe(&r)))?;
    let expected_left = LockoutPolicy::default().block_after - 1;
    p.check(
        matches!(r, Err(Error::WrongPin { attempts_left }) if attempts_left == expected_left),
        format!("a wrong PIN is refused with WrongPin, {expected_left} attempts left"),
    )?;
    let info = w.service.device_info(&cast.phone.device_id)?;
    p.check(
        info.pin_failures == 1,
        format!(
            "the service counted it: {} PIN failure(s) on phone A",
            info.pin_failures
        ),
    )?;

    w.advance(p, 5_000, "she tries again")?;
    let before = w.phone.wire.count();
    let outcome = must(
        "phone A could not approve with the right PIN",
        w.phone.app.approve(a, &req.request_id, PIN_A.into()),
    )?;
    p.line(format!(
        "She types {PIN_A}: {} at {}",
        outcome.status.as_str(),
        w.at(outcome.decided_at_ms)
    ))?;
    w.phone.show_sent(p, before)?;
    p.detail("pin-start: service checked the device signature and sequence number, counted the")?;
    p.detail("  attempt, answered with its SPAKE2+ share; decide: it checked the SPAKE2+")?;
    p.detail("  confirmation (the PIN proof) and the signature over the statement it rebuilt")?;
    p.detail("  from its own copy of the request")?;
    p.check(
        outcome.status == RequestStatus::Approved,
        "phone A: approved",
    )?;
    let info = w.service.device_info(&cast.phone.device_id)?;
    p.check(
        info.pin_failures == 0,
        "the right PIN reset phone A's failure count to 0",
    )?;

    let poll = w.poll_checked(p, &req, "Demo Bank sees \"approved\"", |poll| {
        poll.status == RequestStatus::Approved
    })?;
    verify_evidence(
        p,
        w,
        cast,
        &poll,
        &Expected {
            request: &req,
            decision: Decision::Approve,
            device_id: &cast.phone.device_id,
        },
        true,
    )
}

/// Demo Bank creates a request; phone A and tablet B open the app. The
/// request and what each shows.
fn request_on_both(
    p: &mut Printer,
    w: &World,
    cast: &Cast,
) -> Result<(CreateRequestResponse, Vec<RequestView>, Vec<RequestView>), SimError> {
    let req = w.create_request(p)?;
    let va = w.phone.app.refresh(&cast.phone.profile_id)?;
    let vb = w.tablet.app.refresh(&cast.tablet.profile_id)?;
    Ok((req, va, vb))
}

/// Demo Bank starts a request, and the check `what` holds if phone A
/// (profile `a`) does not list it before the app is opened.
fn unseen_request(
    p: &mut Printer,
    w: &World,
    a: &str,
    what: &str,
) -> Result<CreateRequestResponse, SimError> {
    let req = w.create_request(p)?;
    let quiet = w.phone.app.pending(a)?;
    p.check(quiet.is_empty(), what)?;
    Ok(req)
}

/// `dev` approves with `pin`; also how many messages it sent doing so.
fn approve_counted(
    dev: &Device,
    profile_id: &str,
    request_id: &str,
    pin: &str,
) -> (Result<DecisionOutcome, Error>, usize) {
    let before = dev.wire.count();
    let r = dev.app.approve(profile_id, request_id, pin.into());
    (r, dev.wire.count() - before)
}

/// Whether `views` starts with `req`.
fn shows_first(views: &[RequestView], req: &CreateRequestResponse) -> bool {
    views
        .first()
        .is_some_and(|v| v.request_id == req.request_id)
}

// ------------------------------------------------------------------ scene 3

/// Scene 3: a request nobody decides lapses after 300 s, on the phone and at
/// the service, even for a device whose clock is behind.
pub(super) fn expired(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(3, "A request left to expire")?;
    let (a, b) = cast.profile_ids();
    let (req, va, vb) = request_on_both(p, w, cast)?;
    p.line(format!("Phone A (opened):  {}", screen_line(&va)))?;
    p.line(format!("Tablet B (opened): {}", screen_line(&vb)))?;
    p.check(
        shows_first(&va, &req) && shows_first(&vb, &req),
        "both devices show the request",
    )?;
    p.line(
        "Aviaja puts both away without deciding. Tablet B's own clock slips 5 s behind \
         (someone set it by hand).",
    )?;
    w.tablet.clock.set_skew_ms(-5_000);

    let almost = req.expires_at_ms - 1 - w.clock.now_ms();
    w.advance(p, almost, "1 ms before the request lapses")?;
    let poll = w.poll(&req)?;
    let va = w.phone.app.pending(a)?;
    p.line(format!(
        "Demo Bank polls: \"{}\"; phone A: {}",
        poll.status.as_str(),
        screen_line(&va)
    ))?;
    p.check(
        poll.status == RequestStatus::Pending && va.first().is_some_and(|v| v.seconds_left == 1),
        "at 299.999 s the request is still pending, with 0:01 left",
    )?;

    w.advance(p, 1, "exactly 300 s after Demo Bank asked")?;
    let (r, sent) = approve_counted(&w.phone, a, &req.request_id, PIN_A);
    p.line(format!(
        "The card is still on phone A's screen; Aviaja taps Approve and types her PIN: {}",
        describe(&r)
    ))?;
    p.check(
        matches!(r, Err(Error::RequestExpired)) && sent == 0,
        format!("refused on the phone itself (RequestExpired); {sent} messages sent"),
    )?;
    let va = w.phone.app.pending(a)?;
    p.line(format!("Phone A redraws its list: {}", screen_line(&va)))?;
    p.check(va.is_empty(), "phone A's pending() no longer lists it")?;
    w.poll_checked(
        p,
        &req,
        "Demo Bank sees \"expired\", with no evidence",
        |poll| poll.status == RequestStatus::Expired && poll.evidence.is_none(),
    )?;

    let vb = w.tablet.app.pending(b)?;
    p.line(format!(
        "Tablet B, its clock 5 s behind, still shows: {}",
        screen_line(&vb)
    ))?;
    let failures_before = w.service.device_info(&cast.tablet.device_id)?.pin_failures;
    let (r, sent) = approve_counted(&w.tablet, b, &req.request_id, PIN_B);
    p.line(format!(
        "Aviaja approves on tablet B with its PIN: {}",
        describe(&r)
    ))?;
    p.check(
        !vb.is_empty() && sent == 1 && matches!(r, Err(Error::RequestExpired)),
        "the service refuses at 300 s by its own clock (RequestExpired), whatever the device's says",
    )?;
    let failures_after = w.service.device_info(&cast.tablet.device_id)?.pin_failures;
    p.check(
        failures_after == failures_before,
        "the refusal cost tablet B no PIN attempt",
    )?;
    w.tablet.clock.set_skew_ms(0);
    p.line("Tablet B's clock is set right again.")?;
    Ok(())
}

// ------------------------------------------------------------------ scene 4

/// Scene 4: one request declined, one reported as "I did not start this".
pub(super) fn rejected_and_reported(
    p: &mut Printer,
    w: &World,
    cast: &Cast,
) -> Result<(), SimError> {
    p.scene(4, "Rejected, and reported")?;
    let a = cast.phone.profile_id.as_str();
    p.line("Aviaja starts a log-on at Demo Bank, then changes her mind.")?;
    let req = w.create_request(p)?;
    let views = w.phone.app.refresh(a)?;
    p.line(format!("Phone A: {}", screen_line(&views)))?;
    let outcome = must(
        "phone A could not reject",
        w.phone.app.reject(a, &req.request_id),
    )?;
    p.line(format!(
        "She taps Reject (no PIN needed): {}",
        outcome.status.as_str()
    ))?;
    let poll = w.poll_checked(p, &req, "Demo Bank sees \"rejected\"", |poll| {
        outcome.status == RequestStatus::Rejected && poll.status == RequestStatus::Rejected
    })?;
    let expected = Expected {
        request: &req,
        decision: Decision::Reject,
        device_id: &cast.phone.device_id,
    };
    verify_evidence(p, w, cast, &poll, &expected, false)?;

    w.advance(p, 60_000, "a minute later")?;
    p.line("Someone who has guessed Aviaja's user ID starts a log-on at Demo Bank.")?;
    let req = unseen_request(
        p,
        w,
        a,
        "nothing appears on phone A: no notification carries the request",
    )?;
    w.advance(p, 90_000, "Aviaja happens to open the app")?;
    let views = w.phone.app.refresh(a)?;
    show_screen(p, &views)?;
    p.line("She did not start this. She taps \"Not me!\" (report):")?;
    let outcome = must(
        "phone A could not report",
        w.phone.app.report(a, &req.request_id),
    )?;
    let poll = w.poll(&req)?;
    p.line(format!(
        "Phone A: {}; Demo Bank polls: \"{}\"",
        outcome.status.as_str(),
        poll.status.as_str()
    ))?;
    p.check(
        outcome.status == RequestStatus::Reported && poll.status == RequestStatus::Reported,
        "Demo Bank sees \"reported\": the owner says she did not start it",
    )?;
    let expected = Expected {
        request: &req,
        decision: Decision::Report,
        device_id: &cast.phone.device_id,
    };
    verify_evidence(p, w, cast, &poll, &expected, false)
}

// ------------------------------------------------------------------ scene 5

/// Scene 5: both devices approve the same request at once; the first to
/// decide wins.
pub(super) fn race(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(5, "Two devices, one request: a race")?;
    let (a, b) = cast.profile_ids();
    let (req, va, vb) = request_on_both(p, w, cast)?;
    p.line(format!("Phone A: {}", screen_line(&va)))?;
    p.line("Tablet B, in Danish:")?;
    show_screen(p, &vb)?;
    p.check(
        shows_first(&va, &req) && shows_first(&vb, &req),
        "both devices show the same request",
    )?;
    p.line("Aviaja approves on both at the same moment, each with its own PIN (two threads):")?;
    let barrier = Barrier::new(2);
    let rid = req.request_id.as_str();
    let (phone_app, tablet_app) = (&w.phone.app, &w.tablet.app);
    let (ra, rb) = std::thread::scope(|s| {
        let ta = s.spawn(|| {
            barrier.wait();
            phone_app.approve(a, rid, PIN_A.into())
        });
        let tb = s.spawn(|| {
            barrier.wait();
            tablet_app.approve(b, rid, PIN_B.into())
        });
        (ta.join(), tb.join())
    });
    let ra = ra.map_err(|_| demo_err("phone A's thread panicked"))?;
    let rb = rb.map_err(|_| demo_err("tablet B's thread panicked"))?;
    p.line(format!("  phone A:  {}", describe(&ra)))?;
    p.line(format!("  tablet B: {}", describe(&rb)))?;
    let won = |r: &Result<DecisionOutcome, Error>| matches!(r, Ok(o) if o.status == RequestStatus::Approved);
    let lost = |r: &Result<DecisionOutcome, Error>| matches!(r, Err(Error::AlreadyDecided));
    let winner = if won(&ra) && lost(&rb) {
        Some((&w.phone, &cast.phone))
    } else if won(&rb) && lost(&ra) {
        Some((&w.tablet, &cast.tablet))
    } else {
        None
    };
    p.check(
        winner.is_some(),
        "exactly one device won; the other was told AlreadyDecided (already decided)",
    )?;
    let poll = w.poll_checked(p, &req, "Demo Bank sees one approval", |poll| {
        poll.status == RequestStatus::Approved
    })?;
    if let Some((dev, profile)) = winner {
        p.line(format!("Winner: {} (\"{}\")", dev.label, dev.name))?;
        let expected = Expected {
            request: &req,
            decision: Decision::Approve,
            device_id: &profile.device_id,
        };
        verify_evidence(p, w, cast, &poll, &expected, false)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ scene 6

/// Scene 6: the service's activity log and lock-out counters, and a last
/// look for the PIN on the wire and on disk.
pub(super) fn summary(p: &mut Printer, w: &World, cast: &Cast) -> Result<(), SimError> {
    p.scene(6, "What the service recorded")?;
    let log = w.service.activity(&cast.identity_id)?;
    p.line(format!(
        "Activity log of {USER_ID} at the service ({} entries, oldest first):",
        log.len()
    ))?;
    for r in &log {
        let who = r
            .device_id
            .as_deref()
            .map(|d| w.label_of(cast, d))
            .unwrap_or_default();
        let req = r.request_id.as_deref().map(short).unwrap_or_default();
        p.detail(format!(
            "{:<11} {:<22} {:<8} {:<9} {}",
            w.at(r.at_ms),
            r.kind,
            who,
            req,
            r.detail
        ))?;
    }
    let count = |kind: &str| log.iter().filter(|r| r.kind.as_str() == kind).count();
    p.check(
        count("identity_created") == 1
            && count("device_activated") == 2
            && count("wrong_pin") <= 1
            && count("request_approved") == 2
            && count("request_rejected") == 1
            && count("request_reported") == 1,
        "the log holds the identity, 2 activations, 2 approvals, 1 rejection, 1 report",
    )?;
    if count("wrong_pin") == 0 {
        p.line(
            "(The wrong PIN of scene 2 is not in this log: phone A saw the mismatch itself in \
             the service's SPAKE2+ confirmation and sent no decision. The service counted the \
             attempt when the proof started; phone A's own log has it.)",
        )?;
    }
    let own = w.phone.app.activity(&cast.phone.profile_id)?;
    let kinds: Vec<&str> = own.iter().rev().map(|e| e.kind.as_str()).collect();
    p.line(format!(
        "Phone A's own log, which Aviaja can read in the app: {}",
        kinds.join(", ")
    ))?;

    p.line("Lock-out counters at the service:")?;
    let mut counted = false;
    for (dev, profile) in [(&w.phone, &cast.phone), (&w.tablet, &cast.tablet)] {
        let info = w.service.device_info(&profile.device_id)?;
        p.detail(format!(
            "{:<8} \"{}\": {}, {} consecutive PIN failure(s), lock {:?}, last used {}",
            dev.label,
            info.name,
            info.status,
            info.pin_failures,
            info.lock,
            w.at(info.last_used_at_ms)
        ))?;
        counted |= info.pin_failures > 0;
        p.check(
            info.status == "active" && info.lock == Lock::Open,
            format!("{} is active and not locked out", dev.label),
        )?;
    }
    if counted {
        p.line(
            "(A PIN attempt is counted when the proof starts; a device that lost the race \
             after starting one keeps it counted until its next correct PIN.)",
        )?;
    }
    let device_msgs = [w.phone.wire.sent(), w.tablet.wire.sent()].concat();
    p.line(format!(
        "Messages sent: phone A {}, tablet B {}, Demo Bank {}, operator {}",
        w.phone.wire.count(),
        w.tablet.wire.count(),
        w.requester.count(),
        w.operator.count()
    ))?;
    p.check(
        messages_with(&device_msgs, &[PIN_A, PIN_B]) == 0,
        format!(
            "neither PIN's digits occur in any of the {} messages the devices sent",
            device_msgs.len()
        ),
    )?;
    pin_not_stored(p, w)
}
