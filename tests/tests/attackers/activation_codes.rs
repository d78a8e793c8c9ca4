//! Activation codes and the remote guesser (docs/THREAT_MODEL.md §4.1,
//! PROTOCOL.md §13 item 4): a wrong code must not tell whether the user ID
//! has (blocked) codes, neither by the answer nor by the work done.

use std::time::Instant;

use akuersi_protocol::wire::ErrorCode;
use akuersi_testkit::*;

const WRONG: &str = "ABCD-EFGH-JKMN";

/// The answer to an activation with `code` for `user`.
fn answer(w: &World, user: &str, code: &str) -> Result<(), ErrorCode> {
    let d = RawDevice::new();
    w.service
        .activate(d.activation(user, code, PIN))
        .map(|_| ())
        .map_err(|e| e.code)
}

#[test]
fn wrong_codes_answer_alike_for_live_blocked_and_unknown_identities() {
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let code = w.code("Aviaja-Nuuk");
    // Many wrong tries: the third blocks her code, but every answer is the
    // one an unknown user ID gets.
    for i in 0..6 {
        assert_eq!(
            answer(&w, "Aviaja-Nuuk", WRONG),
            Err(ErrorCode::InvalidActivationCode),
            "try {i}"
        );
        assert_eq!(
            answer(&w, "Nobody-Here", WRONG),
            Err(ErrorCode::InvalidActivationCode)
        );
    }
    // Only the holder of the blocked code learns that it is blocked.
    assert_eq!(
        answer(&w, "Aviaja-Nuuk", &code),
        Err(ErrorCode::ActivationCodeBlocked)
    );
    // A new code works.
    let fresh = w.code("Aviaja-Nuuk");
    assert_eq!(answer(&w, "Aviaja-Nuuk", &fresh), Ok(()));
}

/// Timing harness for docs/BENCHMARKS.md (run with `--ignored --nocapture`;
/// it prints and asserts nothing about durations): the median time of a
/// wrong activation code for a user ID with a live code and for an unknown
/// one, 200 tries each, interleaved, on a service database file with
/// `synchronous=FULL`, over three runs.
#[test]
#[ignore = "a timing harness; run by hand for docs/BENCHMARKS.md"]
fn wrong_code_timing_with_and_without_a_live_code() {
    const N: usize = 200;
    for run in 1..=3 {
        let dir = std::env::temp_dir().join(format!("akuersi-code-timing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let w = World::with_service_path(dir.join("service.sqlite").to_str().unwrap());
        let user = |kind: &str, i: usize| format!("{kind}-user-{i:03}");
        for i in 0..N {
            w.identity(&user("live", i));
            w.code(&user("live", i));
        }
        let d = RawDevice::new();
        let (mut live, mut unknown) = (Vec::new(), Vec::new());
        for i in 0..N {
            for k in 0..2 {
                let (kind, times) = if (k + i) % 2 == 0 {
                    ("live", &mut live)
                } else {
                    ("unknown", &mut unknown)
                };
                let m = d.activation(&user(kind, i), WRONG, PIN);
                let s = Instant::now();
                let e = w.service.activate(m).unwrap_err();
                times.push(s.elapsed().as_secs_f64());
                assert_eq!(e.code, ErrorCode::InvalidActivationCode);
            }
        }
        println!(
            "run {run}: wrong code, live code {:.3} ms, unknown user ID {:.3} ms (medians of {N})",
            median(&mut live) * 1e3,
            median(&mut unknown) * 1e3
        );
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
