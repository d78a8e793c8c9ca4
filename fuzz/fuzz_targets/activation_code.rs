//! Activation codes as typed, through `api::handle` on `/v1/device/activate`
//! with a correctly signed activation message, against a reference model of
//! the rules: case does not matter, spaces and dashes are ignored, O reads as
//! 0 and I, L as 1 (Crockford); anything else that is not 12 characters of
//! the alphabet is refused without being counted; a well-formed wrong code is
//! counted and the third blocks it; the right code enrolls the device.
//! (`normalize_code` itself is private to the server: it is fuzzed here
//! through the service, differentially against the model.)
//!
//! Input: a mode byte (bit 0: replace every `#` by the real code; bit 1: in
//! lower case; bit 2: without dashes; bit 3: with 0 written O and 1 written
//! l), then the code as typed.
#![no_main]

use std::sync::Mutex;

use akuersi_fuzz::{check_answer, service, text, Device, OWNER};
use akuersi_protocol::wire::{paths, CodeChannel, ErrorCode, VerifierRegistration};
use akuersi_server::api::handle;
use akuersi_server::Service;
use libfuzzer_sys::fuzz_target;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The rules, written out independently of the service.
fn model_normalize(typed: &str) -> Option<String> {
    let mut out = String::new();
    for c in typed.chars() {
        if c == '-' || c == ' ' {
            continue;
        }
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !ALPHABET.contains(c) {
            return None;
        }
        out.push(c);
    }
    (out.chars().count() == 12).then_some(out)
}

struct Fixture {
    _clock: std::sync::Arc<akuersi_protocol::clock::TestClock>,
    service: Service,
    device: Device,
    verifier: VerifierRegistration,
    /// The live code as issued ("XXXX-XXXX-XXXX").
    code: String,
    wrong: u32,
    runs: u32,
}

const RUNS_PER_SERVICE: u32 = 5_000;
static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

fn issue(service: &Service) -> String {
    service
        .issue_activation_code(OWNER, CodeChannel::Paper)
        .expect("issue code")
        .code
}

fn fresh() -> Fixture {
    let (clock, service) = service(false);
    service.create_identity(OWNER).expect("identity");
    let device = Device::new();
    let verifier = device.verifier();
    let code = issue(&service);
    Fixture {
        _clock: clock,
        service,
        device,
        verifier,
        code,
        wrong: 0,
        runs: 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    if guard.as_ref().is_none_or(|f| f.runs >= RUNS_PER_SERVICE) {
        *guard = Some(fresh());
    }
    let fx = guard.as_mut().expect("fixture");
    fx.runs += 1;

    let mut real = fx.code.clone();
    if mode & 2 != 0 {
        real = real.to_lowercase();
    }
    if mode & 4 != 0 {
        real = real.replace('-', "");
    }
    if mode & 8 != 0 {
        real = real.replace('0', "O").replace('1', "l");
    }
    let typed = if mode & 1 != 0 {
        text(rest).replace('#', &real)
    } else {
        text(rest)
    };

    let msg = fx.device.activation(OWNER, &typed, &fx.verifier);
    let body = serde_json::to_vec(&msg).expect("serializes");
    let resp = handle(&fx.service, paths::ACTIVATE, &body);
    let refusal = check_answer(paths::ACTIVATE, &body, &resp);

    let issued = model_normalize(&fx.code).expect("issued codes are well-formed");
    let expected = match model_normalize(&typed) {
        None => Err(ErrorCode::InvalidActivationCode),
        Some(n) if n == issued => Ok(()),
        Some(_) => {
            // The third wrong try blocks the code, but a wrong code's
            // answer never tells (PROTOCOL.md §9.7).
            fx.wrong += 1;
            Err(ErrorCode::InvalidActivationCode)
        }
    };
    let got = match &refusal {
        None => Ok(()),
        Some(err) => Err(err.code),
    };
    assert_eq!(
        got, expected,
        "code typed as {typed:?} (issued {:?})",
        fx.code
    );
    // A used or blocked code is replaced by a new one.
    if got.is_ok() || fx.wrong >= 3 {
        fx.code = issue(&fx.service);
        fx.wrong = 0;
    }
});
