//! A reference model of requests, devices, PIN counters, device additions and
//! freeze, run against the real service (in process, on a test clock) with
//! random operation sequences (proptest, with shrinking).
//!
//! Every operation goes through the service's JSON front with messages built
//! by hand from the core's protocol types (`RawDevice`), so devices can do
//! what an honest app never would: decide other identities' requests, finish
//! a PIN proof after the request was decided, approve a request they never
//! listed (signing the wrong nonce), keep trying while suspended or blocked.
//! After every step the result (success or the exact error code) is compared
//! with the model's prediction, every request is polled and every device is
//! read back, and these invariants are checked on what the service says:
//!
//! * a request is decided at most once: its status leaves `pending` once,
//!   and its evidence (decider, signed statement) never changes afterwards;
//! * nothing is decided after expiry, on a frozen identity, by a removed,
//!   blocked or foreign device; an **approval** always rests on a PIN proof
//!   whose pin-start was accepted while the device was neither suspended nor
//!   blocked (pin-start refuses both). The real rules, which the model
//!   encodes: a *suspended* device may still reject or report (declining
//!   needs no PIN); a message finishing a PIN proof started before the
//!   suspension or block has that proof checked (the tenth attempt can
//!   succeed, for an approval as for adding or removing a device);
//! * a device's PIN-failure count never decreases, except to 0 on a correct
//!   PIN proof or a re-activation with an activation code; the model also
//!   keeps every attempt, so the failure budget that a correct proof does not
//!   refill (24-hour floor, 20 in 30 days, 15 per identity in 24 hours) and
//!   the cancelling of pending requests at a freeze are predicted too;
//! * `decide` answers nothing about state before the signature is checked;
//! * an identity never has more than 3 active devices.
//!
//! Default: 64 cases of up to 80 operations (some expand into several), about
//! 10 s in a debug build.
//! Longer: `PROPTEST_CASES=5000 cargo test -p akuersi-tests --test model`
//! (figures in docs/THREAT_MODEL.md, "Evidence").

use std::collections::{HashMap, HashSet};

use akuersi_protocol::approval::{Decision, PakeBinding};
use akuersi_protocol::clock::Clock;
use akuersi_protocol::wire::*;
use akuersi_server::lockout::Lock;
use akuersi_testkit::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Two identities and one user ID that has none.
const USERS: [&str; 3] = ["Aviaja-Nuuk", "Malik-Sisimiut", "Nobody-Here"];
const TTL_MS: i64 = 300_000;
/// Requests per user ID per hour (lowered from 10 so sequences reach it).
const CAP: usize = 3;
const SESSION_MS: i64 = 120_000;
const WAIT_MS: i64 = 3_600_000;
const WINDOW_MS: i64 = 24 * 3_600_000;
const PAIRING_MS: i64 = 180_000;
/// The failure budget's short window (the long one is 30 of them).
const DAY_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    /// The payload shown last.
    Latest,
    /// The first payload shown (stale once a second one was asked for).
    First,
    /// A made-up secret.
    Forged,
}

/// Which device acts on a request: one of the request's identity (if it
/// has any), or any device at all (often a foreign one).
#[derive(Debug, Clone, Copy)]
enum Dev {
    Own(usize),
    Any(usize),
}

#[derive(Debug, Clone)]
enum Op {
    /// A requester starts a log-on for `USERS[user]`; with `list`, the
    /// owner's first active device then lists its requests (the owner
    /// opens the app).
    Create {
        user: usize,
        list: bool,
    },
    /// The requester withdraws a request.
    Cancel {
        req: usize,
    },
    /// A device lists its pending requests.
    List {
        dev: usize,
    },
    /// PIN proof and approval in one go; a wrong PIN is either sent anyway
    /// (a hostile device) or reported with pin-failed (the honest app).
    Approve {
        dev: Dev,
        req: usize,
        right: bool,
        report: bool,
    },
    /// Start a PIN proof and keep the session for later.
    StartPin {
        dev: Dev,
        req: usize,
        right: bool,
    },
    /// Start a PIN proof (for adding a device) and walk away: it counts.
    Abandon {
        dev: usize,
    },
    /// `times` abandoned proofs on one device, each suspension waited out to
    /// the millisecond (a thief guessing as fast as the service allows).
    Hammer {
        dev: usize,
        times: usize,
    },
    /// Approve with the session kept by `StartPin`.
    FinishPin {
        dev: usize,
    },
    /// Reject or report.
    Decline {
        dev: Dev,
        req: usize,
        report: bool,
    },
    /// Move the clock.
    Advance {
        ms: i64,
    },
    /// Start adding a device, with the PIN.
    StartAddition {
        dev: usize,
        right: bool,
    },
    Veto {
        dev: usize,
        add: usize,
    },
    /// Ask for the pairing payload.
    Offer {
        dev: Dev,
        add: usize,
    },
    /// A new device joins with a payload.
    Complete {
        add: usize,
        how: Pairing,
    },
    /// The whole backup flow from `dev`: start with the PIN, wait the hour,
    /// show the payload, a new device scans it.
    Backup {
        dev: usize,
    },
    /// Remove a device, with the PIN.
    Remove {
        dev: usize,
        target: usize,
        right: bool,
    },
    Freeze {
        dev: usize,
    },
    /// Support freezes or unfreezes an identity.
    Support {
        user: usize,
        frozen: bool,
    },
    /// A new device with a fresh activation code.
    Enroll {
        user: usize,
    },
    /// A device activated again with a fresh code (resets its count).
    Reactivate {
        dev: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // Indices are taken modulo the number of devices, requests or additions
    // so far; requests and additions count back from the newest, mostly
    // the newest one or two.
    let i = || 0..16usize;
    let recent = || prop_oneof![3 => 0..2usize, 1 => 0..16usize];
    let dev = || {
        prop_oneof![
            3 => (0..16usize).prop_map(Dev::Own),
            1 => (0..16usize).prop_map(Dev::Any),
        ]
    };
    let user = prop::sample::select(vec![0usize, 0, 0, 1, 1, 2]);
    prop_oneof![
        5 => (user, prop::bool::weighted(0.7)).prop_map(|(user, list)| Op::Create { user, list }),
        1 => recent().prop_map(|req| Op::Cancel { req }),
        6 => i().prop_map(|dev| Op::List { dev }),
        8 => (dev(), recent(), prop::bool::weighted(0.6), any::<bool>())
            .prop_map(|(dev, req, right, report)| Op::Approve { dev, req, right, report }),
        3 => (dev(), recent(), prop::bool::weighted(0.7))
            .prop_map(|(dev, req, right)| Op::StartPin { dev, req, right }),
        2 => i().prop_map(|dev| Op::FinishPin { dev }),
        3 => i().prop_map(|dev| Op::Abandon { dev }),
        1 => (i(), 1..11usize).prop_map(|(dev, times)| Op::Hammer { dev, times }),
        3 => (dev(), recent(), any::<bool>())
            .prop_map(|(dev, req, report)| Op::Decline { dev, req, report }),
        5 => prop::sample::select(vec![
            1_000i64, 30_000, 61_000, 120_001, 300_000, 960_000, 3_600_001, 25 * 3_600_000
        ])
        .prop_map(|ms| Op::Advance { ms }),
        2 => (i(), any::<bool>()).prop_map(|(dev, right)| Op::StartAddition { dev, right }),
        1 => (i(), recent()).prop_map(|(dev, add)| Op::Veto { dev, add }),
        2 => (dev(), recent()).prop_map(|(dev, add)| Op::Offer { dev, add }),
        2 => (recent(), prop::sample::select(vec![Pairing::Latest, Pairing::First, Pairing::Forged]))
            .prop_map(|(add, how)| Op::Complete { add, how }),
        1 => i().prop_map(|dev| Op::Backup { dev }),
        1 => (i(), i(), any::<bool>())
            .prop_map(|(dev, target, right)| Op::Remove { dev, target, right }),
        1 => i().prop_map(|dev| Op::Freeze { dev }),
        3 => (0..2usize, prop::bool::weighted(0.1))
            .prop_map(|(user, frozen)| Op::Support { user, frozen }),
        1 => (0..2usize).prop_map(|user| Op::Enroll { user }),
        1 => i().prop_map(|dev| Op::Reactivate { dev }),
    ]
}

// ------------------------------------------------------------------ model

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Pending,
    Approved,
    Rejected,
    Reported,
    Cancelled,
}

#[derive(Debug, Clone)]
struct MDevice {
    identity: usize,
    active: bool,
    failures: u32,
    last_attempt: i64,
    /// Every pin-start: (when, still counted in the failure budget).
    attempts: Vec<(i64, bool)>,
}

#[derive(Debug, Clone)]
struct MRequest {
    user: usize,
    /// `None` for an unknown user ID or a frozen identity.
    identity: Option<usize>,
    created: i64,
    expires: i64,
    st: St,
    decided_by: Option<usize>,
}

#[derive(Debug, Clone)]
struct MSession {
    req: usize,
    expires: i64,
    /// The device will send a correct confirmation.
    valid: bool,
    /// The lock state when pin-start accepted it (always Open: checked).
    opened_while: Lock,
    /// Its attempt in the device's `attempts`.
    attempt: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AStatus {
    Waiting,
    Vetoed,
    Completed,
    Failed,
}

#[derive(Debug, Clone)]
struct MAddition {
    identity: usize,
    started_by: usize,
    wait_until: i64,
    status: AStatus,
    offers: usize,
    /// A payload is live (shown and not yet used, vetoed or failed).
    secret_live: bool,
    pairing_expires: i64,
    failures: u32,
}

impl MAddition {
    fn status_at(&self, now: i64) -> &'static str {
        match self.status {
            AStatus::Waiting if now < self.wait_until => "waiting",
            AStatus::Waiting if now < self.wait_until + WINDOW_MS => "ready",
            AStatus::Waiting => "lapsed",
            AStatus::Vetoed => "vetoed",
            AStatus::Completed => "completed",
            AStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Default)]
struct Model {
    now: i64,
    frozen: [bool; 2],
    devices: Vec<MDevice>,
    requests: Vec<MRequest>,
    additions: Vec<MAddition>,
    /// Requests some device has listed (the harness knows their nonce).
    seen: HashSet<usize>,
    /// Sessions kept by `StartPin`, by device.
    sessions: HashMap<usize, MSession>,
    /// Devices whose count may legitimately drop to 0 in this step.
    resets: HashSet<usize>,
}

/// The lock-out schedule, written out independently of the service's code.
fn lock(failures: u32, last: i64, now: i64) -> Lock {
    if failures >= 10 {
        return Lock::Blocked;
    }
    if failures < 5 {
        return Lock::Open;
    }
    let minutes = [1, 5, 15, 60][((failures - 5) as usize).min(3)];
    let until = last + minutes * 60_000;
    if now < until {
        Lock::Suspended { until_ms: until }
    } else {
        Lock::Open
    }
}

type Outcome = Result<(), ErrorCode>;
use ErrorCode as E;

impl Model {
    fn lock(&self, d: usize) -> Lock {
        let m = &self.devices[d];
        lock(m.failures, m.last_attempt, self.now)
    }

    fn active_count(&self, identity: usize) -> usize {
        self.devices
            .iter()
            .filter(|d| d.active && d.identity == identity)
            .count()
    }

    fn req_status(&self, r: usize) -> &'static str {
        let q = &self.requests[r];
        match q.st {
            St::Pending if self.now >= q.expires => "expired",
            St::Pending => "pending",
            St::Approved => "approved",
            St::Rejected => "rejected",
            St::Reported => "reported",
            St::Cancelled => "cancelled",
        }
    }

    /// A live request's refusal, as `require_pending` gives it.
    fn gone(&self, r: usize) -> Option<ErrorCode> {
        match self.req_status(r) {
            "pending" => None,
            "expired" => Some(E::RequestExpired),
            "cancelled" => Some(E::RequestCancelled),
            _ => Some(E::AlreadyDecided),
        }
    }

    /// A signed envelope's checks: active device, not blocked.
    fn authenticate(&self, d: usize) -> Outcome {
        if !self.devices[d].active {
            return Err(E::UnknownDevice);
        }
        if self.lock(d) == Lock::Blocked {
            return Err(E::DeviceBlocked);
        }
        Ok(())
    }

    /// The envelope checks of a message that carries a PIN proof: a blocked
    /// device is let through when the proof's session is open (the attempt
    /// that blocked it may be the right PIN). The operations here always
    /// send the session they just opened, so only removal is refused.
    fn authenticate_proving(&self, d: usize) -> Outcome {
        if !self.devices[d].active {
            return Err(E::UnknownDevice);
        }
        Ok(())
    }

    /// pin-start: counted once it passes the checks. `req` is `None` for an
    /// operation (add or remove a device).
    fn pin_start(&mut self, d: usize, req: Option<usize>) -> Result<(i64, Lock), ErrorCode> {
        self.authenticate(d)?;
        if let Lock::Suspended { .. } = self.lock(d) {
            return Err(E::DeviceSuspended);
        }
        let identity = self.devices[d].identity;
        // The identity's budget: 15 counted in 24 hours on all its devices.
        let day = self.now - DAY_MS;
        let in_identity: Vec<i64> = self
            .devices
            .iter()
            .filter(|m| m.identity == identity)
            .flat_map(|m| m.attempts.iter())
            .filter(|(at, counted)| *counted && *at >= day)
            .map(|(at, _)| *at)
            .collect();
        if in_identity.len() >= 15 {
            return Err(E::DeviceSuspended);
        }
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        let mut expires = self.now + SESSION_MS;
        if let Some(r) = req {
            if self.requests[r].identity != Some(identity) {
                return Err(E::RequestNotFound);
            }
            if let Some(e) = self.gone(r) {
                return Err(e);
            }
            expires = expires.min(self.requests[r].expires);
        }
        let opened_while = self.lock(d);
        let now = self.now;
        let dev = &mut self.devices[d];
        let since = |ms: i64| {
            dev.attempts
                .iter()
                .filter(|(at, counted)| *counted && *at >= now - ms)
                .count() as u32
        };
        // A right PIN resets the consecutive count, not the window's.
        let (in_day, in_month) = (since(DAY_MS), since(30 * DAY_MS));
        dev.failures = dev.failures.max(in_day) + 1;
        if in_month + 1 >= 20 {
            dev.failures = dev.failures.max(10);
        }
        dev.last_attempt = now;
        dev.attempts.push((now, true));
        Ok((expires, opened_while))
    }

    /// Use up a proof (of `attempt`, or the device's latest): a correct one
    /// resets the count and leaves the failure budget.
    fn consume(&mut self, d: usize, valid: bool, attempt: Option<usize>) -> Outcome {
        if valid {
            let dev = &mut self.devices[d];
            let i = attempt.unwrap_or(dev.attempts.len().saturating_sub(1));
            if let Some(a) = dev.attempts.get_mut(i) {
                a.1 = false;
            }
            dev.failures = 0;
            self.resets.insert(d);
            Ok(())
        } else {
            Err(E::WrongPin)
        }
    }

    /// The decide endpoint. `proof`: the session (for approvals).
    fn decide(
        &mut self,
        d: usize,
        r: usize,
        decision: Decision,
        proof: Option<&MSession>,
    ) -> Outcome {
        if !self.devices[d].active {
            return Err(E::UnknownDevice);
        }
        let identity = self.devices[d].identity;
        if self.requests[r].identity != Some(identity) {
            return Err(E::RequestNotFound);
        }
        // The session must be for this request (a kept one may not be).
        let session = proof.filter(|s| s.req == r);
        if decision == Decision::Approve {
            if proof.is_none() {
                return Err(E::PinRequired);
            }
            if session.is_none() {
                return Err(E::PinSessionInvalid);
            }
        }
        // The signature is checked before anything about the state is told.
        if !self.seen.contains(&r) {
            return Err(E::BadSignature);
        }
        let proving = decision == Decision::Approve && proof.is_some();
        if self.lock(d) == Lock::Blocked && !proving {
            return Err(E::DeviceBlocked);
        }
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        if let Some(gone) = self.gone(r) {
            // Lost the race or lapsed: a proof for this request is still
            // checked, so a right PIN does not stay counted.
            if let Some(s) = session {
                return Err(self
                    .consume(d, s.valid, Some(s.attempt))
                    .err()
                    .unwrap_or(gone));
            }
            return Err(gone);
        }
        if decision == Decision::Approve {
            let Some(s) = session.filter(|s| s.expires > self.now) else {
                return Err(E::PinSessionInvalid);
            };
            self.consume(d, s.valid, Some(s.attempt))?;
            // Invariant: an approval rests on a pin-start accepted while
            // the device was open.
            assert_eq!(s.opened_while, Lock::Open);
        }
        // Invariant: what may be decided.
        let q = &self.requests[r];
        assert!(q.st == St::Pending && self.now < q.expires);
        assert!(!self.frozen[identity] && self.devices[d].active);
        assert!(decision == Decision::Approve || self.lock(d) != Lock::Blocked);
        let q = &mut self.requests[r];
        q.st = match decision {
            Decision::Approve => St::Approved,
            Decision::Reject => St::Rejected,
            Decision::Report => St::Reported,
        };
        q.decided_by = Some(d);
        Ok(())
    }

    fn create(&mut self, user: usize) -> Outcome {
        let now = self.now;
        // Withdrawn requests do not count.
        let recent = self
            .requests
            .iter()
            .filter(|q| q.user == user && q.created > now - 3_600_000 && q.st != St::Cancelled)
            .count();
        if recent >= CAP {
            return Err(E::RateLimited);
        }
        let busy = self
            .requests
            .iter()
            .any(|q| q.user == user && q.st == St::Pending && q.expires > now);
        if busy {
            return Err(E::PendingRequestExists);
        }
        let identity = (user < 2 && !self.frozen[user]).then_some(user);
        self.requests.push(MRequest {
            user,
            identity,
            created: now,
            expires: now + TTL_MS,
            st: St::Pending,
            decided_by: None,
        });
        Ok(())
    }

    fn cancel(&mut self, r: usize) -> Outcome {
        if let Some(e) = self.gone(r) {
            return Err(e);
        }
        self.requests[r].st = St::Cancelled;
        Ok(())
    }

    fn list(&mut self, d: usize) -> Result<Vec<usize>, ErrorCode> {
        self.authenticate(d)?;
        let identity = self.devices[d].identity;
        let now = self.now;
        let ids: Vec<usize> = (0..self.requests.len())
            .filter(|&r| {
                let q = &self.requests[r];
                q.identity == Some(identity) && q.st == St::Pending && q.expires > now
            })
            .collect();
        self.seen.extend(ids.iter().copied());
        Ok(ids)
    }

    fn open_addition(&self, identity: usize) -> bool {
        self.additions
            .iter()
            .any(|a| a.identity == identity && matches!(a.status_at(self.now), "waiting" | "ready"))
    }

    /// The addition message after its PIN proof started (and was counted).
    fn start_addition(&mut self, d: usize, valid: bool) -> Outcome {
        self.authenticate_proving(d)?;
        // The proof is settled first, so a refusal below keeps a right PIN
        // from staying counted.
        self.consume(d, valid, None)?;
        let identity = self.devices[d].identity;
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        if self.open_addition(identity) {
            return Err(E::PairingInvalid);
        }
        if self.active_count(identity) >= 3 {
            return Err(E::DeviceLimit);
        }
        self.additions.push(MAddition {
            identity,
            started_by: d,
            wait_until: self.now + WAIT_MS,
            status: AStatus::Waiting,
            offers: 0,
            secret_live: false,
            pairing_expires: 0,
            failures: 0,
        });
        Ok(())
    }

    fn veto(&mut self, d: usize, a: usize) -> Outcome {
        self.authenticate(d)?;
        let now = self.now;
        let add = &mut self.additions[a];
        if add.identity != self.devices[d].identity {
            return Err(E::PairingInvalid);
        }
        if !matches!(add.status_at(now), "waiting" | "ready") {
            return Err(E::PairingInvalid);
        }
        add.status = AStatus::Vetoed;
        add.secret_live = false;
        Ok(())
    }

    fn offer(&mut self, d: usize, a: usize) -> Outcome {
        self.authenticate(d)?;
        let identity = self.devices[d].identity;
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        let now = self.now;
        let add = &mut self.additions[a];
        if add.identity != identity || add.started_by != d {
            return Err(E::PairingInvalid);
        }
        match add.status_at(now) {
            "ready" => {}
            "waiting" => return Err(E::AdditionNotReady),
            _ => return Err(E::PairingInvalid),
        }
        add.offers += 1;
        add.secret_live = true;
        add.pairing_expires = now + PAIRING_MS;
        Ok(())
    }

    /// A new device joins; `right`: it holds the live secret.
    fn complete(&mut self, a: usize, right: bool) -> Outcome {
        let now = self.now;
        let identity = self.additions[a].identity;
        match self.additions[a].status_at(now) {
            "ready" => {}
            "waiting" => return Err(E::AdditionNotReady),
            _ => return Err(E::PairingInvalid),
        }
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        let add = &mut self.additions[a];
        if !add.secret_live || now >= add.pairing_expires {
            return Err(E::PairingInvalid);
        }
        if !right {
            add.failures += 1;
            if add.failures >= 3 {
                add.status = AStatus::Failed;
                add.secret_live = false;
            }
            return Err(E::PairingInvalid);
        }
        self.join(identity)?;
        let add = &mut self.additions[a];
        add.status = AStatus::Completed;
        add.secret_live = false;
        Ok(())
    }

    /// A new active device for `identity`, unless it has three already.
    fn join(&mut self, identity: usize) -> Outcome {
        if self.active_count(identity) >= 3 {
            return Err(E::DeviceLimit);
        }
        self.devices.push(MDevice {
            identity,
            active: true,
            failures: 0,
            last_attempt: 0,
            attempts: Vec::new(),
        });
        Ok(())
    }

    fn remove(&mut self, d: usize, target: usize, valid: bool) -> Outcome {
        self.authenticate_proving(d)?;
        self.consume(d, valid, None)?;
        let identity = self.devices[d].identity;
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        let t = &self.devices[target];
        if !t.active || t.identity != identity {
            return Err(E::UnknownDevice);
        }
        if self.active_count(identity) <= 1 {
            return Err(E::LastDevice);
        }
        self.devices[target].active = false;
        Ok(())
    }

    fn freeze(&mut self, identity: usize) {
        if !self.frozen[identity] {
            self.frozen[identity] = true;
            // Freezing cancels the identity's live pending requests.
            let now = self.now;
            for q in self.requests.iter_mut() {
                if q.identity == Some(identity) && q.st == St::Pending && now < q.expires {
                    q.st = St::Cancelled;
                }
            }
            for a in self.additions.iter_mut() {
                if a.identity == identity && a.status == AStatus::Waiting {
                    a.status = AStatus::Vetoed;
                    a.secret_live = false;
                }
            }
        }
    }

    /// Activation with a fresh, right code: a new device, or the same one again.
    fn activate(&mut self, identity: usize, existing: Option<usize>) -> Outcome {
        if self.frozen[identity] {
            return Err(E::IdentityFrozen);
        }
        match existing {
            Some(d) if self.devices[d].active => {
                let dev = &mut self.devices[d];
                dev.failures = 0;
                dev.last_attempt = 0;
                // A fresh activation code wipes the device's budget.
                for a in dev.attempts.iter_mut() {
                    a.1 = false;
                }
                self.resets.insert(d);
            }
            Some(_) => return Err(E::DeviceExists),
            None => self.join(identity)?,
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- harness

/// A request as the harness knows it.
struct RRequest {
    created: CreateRequestResponse,
    /// From a device's list, or made up (with a zero nonce) if no device has
    /// listed it yet.
    pending: PendingRequest,
}

struct Kept {
    req: usize,
    binding: PakeBinding,
    proof: PakeProof,
}

struct Harness {
    w: World,
    m: Model,
    devices: Vec<RawDevice>,
    requests: Vec<RRequest>,
    additions: Vec<String>,
    /// Pairing secrets shown per addition, in order.
    secrets: Vec<Vec<Vec<u8>>>,
    kept: HashMap<usize, Kept>,
    /// Last seen evidence (decider, statement) per request.
    evidence: HashMap<usize, (String, Vec<u8>)>,
    failures: Vec<u32>,
}

fn outcome<T>(r: &akuersi_core::Result<T>) -> Outcome {
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(error_code(e).unwrap_or_else(|| panic!("not a service error: {e:?}"))),
    }
}

thread_local! {
    /// How often each operation ended how (printed at the end, to show the
    /// sequences reach the interesting states).
    static SEEN: std::cell::RefCell<std::collections::BTreeMap<String, usize>> =
        Default::default();
}

/// Compare the service's outcome with the model's, and count it.
#[track_caller]
fn same(op: &Op, step: &str, got: Outcome, want: Outcome) {
    assert_eq!(got, want, "{op:?}{step}");
    tally(op, step, got);
}

fn tally(op: &Op, step: &str, result: Outcome) {
    let name = format!("{op:?}");
    let name = name.split([' ', '{']).next().unwrap_or("").to_owned();
    let key = match result {
        Ok(()) => format!("{name}{step}: ok"),
        Err(code) => format!("{name}{step}: {code:?}"),
    };
    SEEN.with(|s| *s.borrow_mut().entry(key).or_default() += 1);
}

impl Harness {
    fn new() -> Self {
        let w = World::with_config(
            ":memory:",
            akuersi_server::ServiceConfig {
                max_requests_per_hour: CAP as u32,
                min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                ..Default::default()
            },
        );
        let mut h = Self {
            w,
            m: Model {
                now: T0,
                ..Model::default()
            },
            devices: Vec::new(),
            requests: Vec::new(),
            additions: Vec::new(),
            secrets: Vec::new(),
            kept: HashMap::new(),
            evidence: HashMap::new(),
            failures: Vec::new(),
        };
        h.w.identity(USERS[0]);
        h.w.identity(USERS[1]);
        for user in [0, 0, 1] {
            h.step(&Op::Enroll { user });
        }
        h
    }

    fn pick(&self, i: usize, n: usize) -> Option<usize> {
        (n > 0).then_some(i % n.max(1))
    }

    /// The acting device for a request.
    fn pick_for(&self, dev: Dev, r: usize) -> Option<usize> {
        match dev {
            Dev::Own(i) => {
                let own: Vec<usize> = (0..self.devices.len())
                    .filter(|&d| Some(self.m.devices[d].identity) == self.m.requests[r].identity)
                    .collect();
                if own.is_empty() {
                    self.pick(i, self.devices.len())
                } else {
                    Some(own[i % own.len()])
                }
            }
            Dev::Any(i) => self.pick(i, self.devices.len()),
        }
    }

    /// Device `d` signs `body` in its next envelope and sends it to `path`
    /// through the tap.
    fn send_signed<T, R>(&mut self, d: usize, path: &str, body: T) -> akuersi_core::Result<R>
    where
        T: SignedBody + serde::Serialize,
        R: serde::de::DeserializeOwned,
    {
        let t = self.w.tap.clone();
        self.devices[d].send_signed(t.as_ref(), path, body)
    }

    /// Counting back from the newest.
    /// Device `d` proves the right PIN or a wrong one for an operation
    /// (`purpose`) on the service and in the model alike and checks that
    /// both agree on the start; the proof when the service started it, else
    /// `None` after checking the whole state.
    fn prove_operation(
        &mut self,
        op: &Op,
        d: usize,
        purpose: PinPurpose,
        right: bool,
    ) -> Option<PakeProof> {
        let t = self.w.tap.clone();
        let pin = if right { PIN } else { WRONG_PIN };
        let proved = self.devices[d].operation_proof(t.as_ref(), purpose, pin);
        let want = self.m.pin_start(d, None);
        same(op, ": pin-start", outcome(&proved), want.map(|_| ()));
        match proved {
            Ok((pake, _)) => Some(pake),
            Err(_) => {
                self.check(op);
                None
            }
        }
    }

    /// Picks one of the `nr` recent requests and a device that may decide
    /// it, then starts a PIN proof for it (with the right PIN or a wrong
    /// one) on the service and in the model alike: (request, device, its
    /// pending view, the service's answer, the model's). `None` when there
    /// is no such request or device.
    #[allow(clippy::type_complexity)]
    fn start_request_proof(
        &mut self,
        dev: Dev,
        req: usize,
        nr: usize,
        right: bool,
    ) -> Option<(
        usize,
        usize,
        PendingRequest,
        akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)>,
        Result<(i64, Lock), ErrorCode>,
    )> {
        let r = self.pick_recent(req, nr)?;
        let d = self.pick_for(dev, r)?;
        let t = self.w.tap.clone();
        let pending = self.requests[r].pending.clone();
        let pin = if right { PIN } else { WRONG_PIN };
        let started = self.devices[d].request_proof(t.as_ref(), &pending, pin);
        let want = self.m.pin_start(d, Some(r));
        Some((r, d, pending, started, want))
    }

    fn pick_recent(&self, i: usize, n: usize) -> Option<usize> {
        (n > 0).then(|| n - 1 - i % n)
    }

    fn made_up(&self, created: &CreateRequestResponse) -> PendingRequest {
        let texts = log_on(USERS[0]).texts;
        PendingRequest {
            request_id: created.request_id.clone(),
            nonce: vec![0; 32],
            requester_id: "demo-bank".into(),
            requester_name: "Demo Bank".into(),
            action: akuersi_protocol::request::Action::LogOn,
            texts,
            created_at_ms: created.server_time_ms,
            expires_at_ms: created.expires_at_ms,
            channel_binding: None,
            amount: None,
            account: None,
            recent_declined: 0,
            failed_pin_attempts: 0,
        }
    }

    fn step(&mut self, op: &Op) {
        self.m.resets.clear();
        let nd = self.devices.len();
        let nr = self.requests.len();
        let na = self.additions.len();
        match *op {
            Op::Create { user, list } => {
                let real = self.w.service.bank_create(log_on(USERS[user]));
                let want = self.m.create(user);
                let got = real.as_ref().map(|_| ()).map_err(|e| e.code);
                same(op, "", got, want);
                if let Ok(created) = real {
                    let pending = self.made_up(&created);
                    self.requests.push(RRequest { created, pending });
                }
                let owner = (0..nd).find(|&d| {
                    let m = &self.m.devices[d];
                    m.active && m.identity == user
                });
                if let (true, Some(dev)) = (list, owner) {
                    self.check(op);
                    return self.step(&Op::List { dev });
                }
            }
            Op::Cancel { req } => {
                let Some(r) = self.pick_recent(req, nr) else {
                    return;
                };
                let real = self
                    .w
                    .service
                    .bank_cancel(&self.requests[r].created.poll_handle);
                let got = real.as_ref().map(|_| ()).map_err(|e| e.code);
                same(op, "", got, self.m.cancel(r));
            }
            Op::List { dev } => {
                let Some(d) = self.pick(dev, nd) else { return };
                let t = self.w.tap.clone();
                let real = self.devices[d].pending_via(t.as_ref());
                let want = self.m.list(d);
                match (&real, &want) {
                    (Ok(got), Ok(ids)) => {
                        let got: Vec<&str> =
                            got.requests.iter().map(|p| p.request_id.as_str()).collect();
                        let ids: Vec<&str> = ids
                            .iter()
                            .map(|&r| self.requests[r].created.request_id.as_str())
                            .collect();
                        assert_eq!(got, ids, "{op:?}");
                        tally(op, "", Ok(()));
                    }
                    _ => same(op, "", outcome(&real), want.map(|_| ())),
                }
                if let Ok(p) = real {
                    for listed in p.requests {
                        let r = self
                            .requests
                            .iter()
                            .position(|q| q.created.request_id == listed.request_id)
                            .unwrap();
                        self.requests[r].pending = listed;
                    }
                }
            }
            Op::Approve {
                dev,
                req,
                right,
                report,
            } => {
                let Some((r, d, pending, started, want_start)) =
                    self.start_request_proof(dev, req, nr, right)
                else {
                    return;
                };
                same(op, ": pin-start", outcome(&started), want_start.map(|_| ()));
                let (Ok((binding, proof, started)), Ok((expires, opened_while))) =
                    (started, want_start)
                else {
                    return self.check(op);
                };
                assert_eq!(started.attempts_left, 10 - self.m.devices[d].failures);
                let valid = right && self.m.seen.contains(&r);
                let session = MSession {
                    req: r,
                    expires,
                    valid,
                    opened_while,
                    attempt: self.m.devices[d].attempts.len() - 1,
                };
                if !valid && report {
                    // The honest app: the device's check failed, it says so.
                    let m = self.devices[d].envelope(PinFailed {
                        session_id: proof.session_id.clone(),
                    });
                    let real: akuersi_core::Result<PinFailedResponse> =
                        self.w.send(paths::PIN_FAILED, &m);
                    same(op, ": pin-failed", outcome(&real), Ok(()));
                } else {
                    let dv = &self.devices[d];
                    let st = dv.statement(&pending, Decision::Approve, Some(binding));
                    let real: akuersi_core::Result<DecideResponse> =
                        self.w.send(paths::DECIDE, &dv.decide_msg(&st, Some(proof)));
                    let want = self.m.decide(d, r, Decision::Approve, Some(&session));
                    same(op, ": decide", outcome(&real), want);
                }
            }
            Op::StartPin { dev, req, right } => {
                let Some((r, d, _, started, want)) = self.start_request_proof(dev, req, nr, right)
                else {
                    return;
                };
                same(op, "", outcome(&started), want.map(|_| ()));
                if let (Ok((binding, proof, _)), Ok((expires, opened_while))) = (started, want) {
                    let valid = right && self.m.seen.contains(&r);
                    self.kept.insert(
                        d,
                        Kept {
                            req: r,
                            binding,
                            proof,
                        },
                    );
                    self.m.sessions.insert(
                        d,
                        MSession {
                            req: r,
                            expires,
                            valid,
                            opened_while,
                            attempt: self.m.devices[d].attempts.len() - 1,
                        },
                    );
                }
            }
            Op::Backup { dev } => {
                let before = self.additions.len();
                self.step(&Op::StartAddition { dev, right: true });
                if self.additions.len() > before {
                    self.step(&Op::Advance { ms: WAIT_MS });
                    self.step(&Op::Offer {
                        dev: Dev::Own(0),
                        add: 0,
                    });
                    self.step(&Op::Complete {
                        add: 0,
                        how: Pairing::Latest,
                    });
                }
                return;
            }
            Op::Hammer { dev, times } => {
                for _ in 0..times {
                    if let Lock::Suspended { until_ms } = self.m.lock(dev % nd.max(1)) {
                        self.step(&Op::Advance {
                            ms: until_ms - self.m.now,
                        });
                    }
                    self.step(&Op::Abandon { dev });
                }
                return;
            }
            Op::Abandon { dev } => {
                let Some(d) = self.pick(dev, nd) else { return };
                let t = self.w.tap.clone();
                let proved =
                    self.devices[d].operation_proof(t.as_ref(), PinPurpose::AddDevice, PIN);
                let want = self.m.pin_start(d, None);
                same(op, "", outcome(&proved), want.map(|_| ()));
            }
            Op::FinishPin { dev } => {
                let mut holders: Vec<usize> = self.kept.keys().copied().collect();
                holders.sort();
                let Some(i) = self.pick(dev, holders.len()) else {
                    return;
                };
                let d = holders[i];
                let (Some(k), Some(s)) = (self.kept.remove(&d), self.m.sessions.remove(&d)) else {
                    return;
                };
                let pending = self.requests[k.req].pending.clone();
                let dv = &self.devices[d];
                let st = dv.statement(&pending, Decision::Approve, Some(k.binding));
                let real: akuersi_core::Result<DecideResponse> = self
                    .w
                    .send(paths::DECIDE, &dv.decide_msg(&st, Some(k.proof)));
                let want = self.m.decide(d, s.req, Decision::Approve, Some(&s));
                same(op, "", outcome(&real), want);
            }
            Op::Decline { dev, req, report } => {
                let Some(r) = self.pick_recent(req, nr) else {
                    return;
                };
                let Some(d) = self.pick_for(dev, r) else {
                    return;
                };
                let decision = if report {
                    Decision::Report
                } else {
                    Decision::Reject
                };
                let t = self.w.tap.clone();
                let real =
                    self.devices[d].decline_via(t.as_ref(), &self.requests[r].pending, decision);
                let want = self.m.decide(d, r, decision, None);
                same(op, "", outcome(&real), want);
            }
            Op::Advance { ms } => {
                self.w.clock.advance_ms(ms);
                self.m.now += ms;
            }
            Op::StartAddition { dev, right } => {
                let Some(d) = self.pick(dev, nd) else { return };
                let Some(pake) = self.prove_operation(op, d, PinPurpose::AddDevice, right) else {
                    return;
                };
                let real: akuersi_core::Result<AdditionView> =
                    self.send_signed(d, paths::ADDITION_START, StartAddition { pake });
                same(op, "", outcome(&real), self.m.start_addition(d, right));
                if let Ok(view) = real {
                    self.additions.push(view.addition_id);
                    self.secrets.push(Vec::new());
                }
            }
            Op::Veto { dev, add } => {
                let (Some(d), Some(a)) = (self.pick(dev, nd), self.pick_recent(add, na)) else {
                    return;
                };
                let real: akuersi_core::Result<Ack> = self.send_signed(
                    d,
                    paths::ADDITION_VETO,
                    VetoAddition {
                        addition_id: self.additions[a].clone(),
                    },
                );
                same(op, "", outcome(&real), self.m.veto(d, a));
            }
            Op::Offer { dev, add } => {
                let Some(a) = self.pick_recent(add, na) else {
                    return;
                };
                // Own: the device that started the addition.
                let d = match dev {
                    Dev::Own(_) => self.m.additions[a].started_by,
                    Dev::Any(i) => i % nd,
                };
                let real: akuersi_core::Result<PairingPayloadResponse> = self.send_signed(
                    d,
                    paths::ADDITION_PAIRING,
                    PairingOffer {
                        addition_id: self.additions[a].clone(),
                    },
                );
                same(op, "", outcome(&real), self.m.offer(d, a));
                if let Ok(p) = real {
                    let (id, secret) = parse_pairing_payload(&p.payload).unwrap();
                    assert_eq!(id, self.additions[a]);
                    self.secrets[a].push(secret.to_vec());
                }
            }
            Op::Complete { add, how } => {
                let Some(a) = self.pick_recent(add, na) else {
                    return;
                };
                let shown = &self.secrets[a];
                let (secret, right) = match (how, shown.first(), shown.last()) {
                    (Pairing::Latest, _, Some(s)) => (s.clone(), true),
                    (Pairing::First, Some(s), _) => (s.clone(), shown.len() == 1),
                    _ => (vec![7u8; 16], false),
                };
                let new = RawDevice::new();
                let msg = new.pairing(&self.additions[a], &secret, PIN);
                let real: akuersi_core::Result<ActivateResponse> =
                    self.w.send(paths::ADDITION_COMPLETE, &msg);
                same(op, "", outcome(&real), self.m.complete(a, right));
                if real.is_ok() {
                    self.devices.push(new);
                }
            }
            Op::Remove { dev, target, right } => {
                let (Some(d), Some(tg)) = (self.pick(dev, nd), self.pick(target, nd)) else {
                    return;
                };
                let target_id = self.devices[tg].device_id.clone();
                let purpose = PinPurpose::RemoveDevice {
                    device_id: target_id.clone(),
                };
                let Some(pake) = self.prove_operation(op, d, purpose, right) else {
                    return;
                };
                let real: akuersi_core::Result<Ack> = self.send_signed(
                    d,
                    paths::REMOVE_DEVICE,
                    RemoveDevice {
                        device_id: target_id,
                        allow_last: false,
                        pake,
                    },
                );
                same(op, "", outcome(&real), self.m.remove(d, tg, right));
            }
            Op::Freeze { dev } => {
                let Some(d) = self.pick(dev, nd) else { return };
                let real: akuersi_core::Result<Ack> = self.send_signed(d, paths::FREEZE, Freeze {});
                let want = self.m.authenticate(d);
                same(op, "", outcome(&real), want);
                if want.is_ok() {
                    let identity = self.m.devices[d].identity;
                    self.m.freeze(identity);
                }
            }
            Op::Support { user, frozen } => {
                self.w.service.operator_freeze(USERS[user], frozen).unwrap();
                if frozen {
                    self.m.freeze(user);
                } else {
                    self.m.frozen[user] = false;
                }
            }
            Op::Enroll { user } => {
                let code = self.w.code(USERS[user]);
                let new = RawDevice::new();
                let real = self
                    .w
                    .service
                    .activate(new.activation(USERS[user], &code, PIN));
                let got = real.as_ref().map(|_| ()).map_err(|e| e.code);
                same(op, "", got, self.m.activate(user, None));
                if real.is_ok() {
                    self.devices.push(new);
                }
            }
            Op::Reactivate { dev } => {
                let Some(d) = self.pick(dev, nd) else { return };
                let user = USERS[self.m.devices[d].identity];
                let code = self.w.code(user);
                let real = self
                    .w
                    .service
                    .activate(self.devices[d].activation(user, &code, PIN));
                let got = real.as_ref().map(|_| ()).map_err(|e| e.code);
                let identity = self.m.devices[d].identity;
                same(op, "", got, self.m.activate(identity, Some(d)));
            }
        }
        self.check(op);
    }

    /// Compare every request and device with the model, and check the
    /// invariants on what the service says.
    fn check(&mut self, op: &Op) {
        assert_eq!(self.w.clock.now_ms(), self.m.now);
        for (r, q) in self.requests.iter().enumerate() {
            let p = self.w.poll(&q.created.poll_handle);
            assert_eq!(
                p.status.as_str(),
                self.m.req_status(r),
                "request {r} after {op:?}"
            );
            match (&p.evidence, self.evidence.get(&r)) {
                (Some(e), None) => {
                    // Decided now, by the device the model says, never before.
                    let d = self.m.requests[r].decided_by.expect("decided in the model");
                    assert_eq!(e.device_id, self.devices[d].device_id);
                    let st = e.verify("demo-bank").expect("evidence verifies");
                    assert_eq!(st.request_id, q.created.request_id);
                    self.evidence
                        .insert(r, (e.device_id.clone(), e.statement.clone()));
                }
                (Some(e), Some((by, statement))) => {
                    assert_eq!(
                        (&e.device_id, &e.statement),
                        (by, statement),
                        "decided twice"
                    );
                }
                (None, None) => assert!(self.m.requests[r].decided_by.is_none()),
                (None, Some(_)) => panic!("request {r} lost its decision after {op:?}"),
            }
        }
        self.failures.resize(self.devices.len(), 0);
        for (d, dev) in self.devices.iter().enumerate() {
            let info = self.w.service.device_info(&dev.device_id).unwrap();
            let m = &self.m.devices[d];
            let status = if m.active { "active" } else { "removed" };
            assert_eq!(info.status, status, "device {d} after {op:?}");
            assert_eq!(info.pin_failures, m.failures, "device {d} after {op:?}");
            assert_eq!(info.lock, self.m.lock(d), "device {d} after {op:?}");
            // The count never goes back, except to 0 on a correct proof or a
            // re-activation in this very step.
            let before = self.failures[d];
            assert!(
                info.pin_failures >= before
                    || (info.pin_failures == 0 && self.m.resets.contains(&d)),
                "device {d}: count went from {before} to {} after {op:?}",
                info.pin_failures
            );
            self.failures[d] = info.pin_failures;
        }
        for identity in 0..2 {
            assert!(self.m.active_count(identity) <= 3);
        }
    }
}

#[test]
fn the_service_follows_the_model() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let started = std::time::Instant::now();
    let steps = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(config);
    runner
        .run(&prop::collection::vec(op(), 1..80), |ops| {
            let mut h = Harness::new();
            for op in &ops {
                h.step(op);
            }
            steps.fetch_add(ops.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    println!(
        "model: {cases} cases, {} operations, {:.1} s; outcomes:",
        steps.into_inner(),
        started.elapsed().as_secs_f64()
    );
    SEEN.with(|s| {
        for (k, n) in s.borrow().iter() {
            println!("  {n:6}  {k}");
        }
    });
}
