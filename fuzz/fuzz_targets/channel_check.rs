//! Channel-binding answers (the 4-digit code or the scanned QR value),
//! through `api::handle` on `/v1/device/channel-check`, signed by an
//! enrolled device for a pending request of its identity.
//!
//! Input: a mode byte (bit 0: QR instead of code; bit 1: replace every `#`
//! in the answer by the right answer; bits 2–4: seconds to move the clock),
//! then the answer. The service must accept exactly the right answer (after
//! trimming): the code, or a QR value it showed at most 10 seconds ago; every
//! other answer is `wrong_channel_code` with the attempts left counting down.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use akuersi_fuzz::{check_answer, log_on, service, text, DemoBankCalls, Device, OWNER};
use akuersi_protocol::clock::{Clock, TestClock};
use akuersi_protocol::wire::{
    paths, qr_counter, ChannelBindingKind, ChannelCheck, ErrorCode, RequestStatus,
};
use akuersi_server::api::handle;
use akuersi_server::channel::QR_MAX_AGE_SECS;
use akuersi_server::Service;
use libfuzzer_sys::fuzz_target;

struct Current {
    request_id: String,
    poll_handle: String,
    kind: ChannelBindingKind,
    created_ms: i64,
    code: Option<String>,
    /// QR values seen by polling, with their counters.
    qr_seen: HashMap<String, u64>,
    failures: u32,
}

struct Fixture {
    clock: Arc<TestClock>,
    service: Service,
    device: Device,
    current: Option<Current>,
    runs: u32,
}

const RUNS_PER_SERVICE: u32 = 5_000;
static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

fn fresh() -> Fixture {
    let (clock, service) = service(false);
    let device = Device::enroll(&service);
    Fixture {
        clock,
        service,
        device,
        current: None,
        runs: 0,
    }
}

impl Fixture {
    fn new_request(&mut self, kind: ChannelBindingKind) {
        if let Some(old) = self.current.take() {
            let _ = self.service.bank_cancel(&old.poll_handle);
        }
        let mut req = log_on(OWNER);
        req.channel_binding = Some(kind);
        let r = self.service.bank_create(req).expect("create request");
        self.current = Some(Current {
            request_id: r.request_id,
            poll_handle: r.poll_handle,
            kind,
            created_ms: r.server_time_ms,
            code: r.channel_code,
            qr_seen: HashMap::new(),
            failures: 0,
        });
    }

    /// Make sure a pending request of `kind` exists; remember its QR value now.
    fn ready(&mut self, kind: ChannelBindingKind) {
        for _ in 0..2 {
            let usable = self.current.as_ref().is_some_and(|c| {
                c.kind == kind
                    && self.service.bank_poll(&c.poll_handle).expect("poll").status
                        == RequestStatus::Pending
            });
            if !usable {
                self.new_request(kind);
            }
            let c = self.current.as_mut().expect("request");
            let p = self.service.bank_poll(&c.poll_handle).expect("poll");
            if p.status != RequestStatus::Pending {
                continue;
            }
            if let Some(v) = p.qr_value {
                let counter = qr_counter(&v, &c.request_id).expect("own QR value");
                c.qr_seen.insert(v, counter);
            }
            return;
        }
        panic!("no pending request");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let kind = if mode & 1 == 1 {
        ChannelBindingKind::Qr
    } else {
        ChannelBindingKind::Code
    };
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    if guard.as_ref().is_none_or(|f| f.runs >= RUNS_PER_SERVICE) {
        *guard = Some(fresh());
    }
    let fx = guard.as_mut().expect("fixture");
    fx.runs += 1;
    fx.clock.advance_secs(i64::from((mode >> 2) & 7));
    let now = fx.clock.now_ms();
    fx.ready(kind);
    let current = fx.current.as_ref().expect("request");

    let template = text(rest);
    let latest_qr = current
        .qr_seen
        .iter()
        .max_by_key(|(_, c)| **c)
        .map(|(v, _)| v.clone());
    let right = match kind {
        ChannelBindingKind::Code => current.code.clone().expect("code"),
        ChannelBindingKind::Qr => latest_qr.expect("a QR value"),
    };
    let answer = if mode & 2 == 2 {
        template.replace('#', &right)
    } else {
        template
    };
    let trimmed = answer.trim();
    let counter_now = u64::try_from((now - current.created_ms) / 1000).unwrap_or(0);
    let expected_ok = match kind {
        ChannelBindingKind::Code => Some(trimmed) == current.code.as_deref(),
        ChannelBindingKind::Qr => current
            .qr_seen
            .get(trimmed)
            .is_some_and(|c| *c <= counter_now && counter_now - c <= QR_MAX_AGE_SECS),
    };
    let request_id = current.request_id.clone();

    let msg = fx.device.envelope(ChannelCheck {
        request_id,
        answer: answer.clone(),
    });
    let body = serde_json::to_vec(&msg).expect("serializes");
    let resp = handle(&fx.service, paths::CHANNEL_CHECK, &body);
    let refusal = check_answer(paths::CHANNEL_CHECK, &body, &resp);
    let current = fx.current.as_mut().expect("request");
    match refusal {
        None => assert!(expected_ok, "accepted a wrong answer {answer:?} ({kind:?})"),
        Some(err) => {
            assert!(!expected_ok, "refused the right answer {answer:?}: {err:?}");
            assert_eq!(err.code, ErrorCode::WrongChannelCode, "{err:?}");
            current.failures += 1;
            assert_eq!(
                err.attempts_left,
                Some(3u32.saturating_sub(current.failures))
            );
        }
    }
});
