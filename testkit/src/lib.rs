//! akuersi-testkit: the fixtures every test, benchmark and fuzzer of Akuersi
//! shares, each defined once.
//!
//! * Constants: [`PIN`], [`WRONG_PIN`], [`NEW_PIN`], [`T0`], [`TOKEN`],
//!   [`APPROVAL_PATHS`].
//! * The Demo Bank request: [`log_on`]; Demo Bank as a registered requester:
//!   [`demo_bank`], [`signed`], [`DemoBankCalls`].
//! * The one installation builder: [`installation`].
//! * Hand-built devices: [`HandDevice`] (nothing unwraps) and [`RawDevice`]
//!   (tests that replay, tamper and race).
//! * The in-process world of the end-to-end tests: [`World`], [`App`], [`Tap`].
//! * Scratch folders: [`TempDir`].
//! * Benchmark fixtures: [`bench`](mod@bench).
//!
//! Not for shipped code: it enables the server's `bench` feature.

pub mod bench;
mod device;
mod installation;
mod requester;
mod temp;
mod world;

use akuersi_protocol::request::{Action, LocalizedText};
use akuersi_protocol::wire::{paths, CreateRequest, ErrorCode};

pub use device::{HandDevice, RawDevice};
pub use installation::{installation, InstallationBuilder};
pub use requester::{
    demo_bank, demo_bank_key, register_demo_bank, registration, signed, signed_json, DemoBankCalls,
    DEMO_BANK,
};
pub use temp::TempDir;
pub use world::{fast_kdf_config, new_identity_code, now, service_on_test_clock, App, Tap, World};

/// A PIN that passes the blocklist; every test and benchmark device uses it.
pub const PIN: &str = "482916";
/// Another good PIN, used as the wrong one.
pub const WRONG_PIN: &str = "730518";
/// A third good PIN, for PIN changes.
pub const NEW_PIN: &str = "915273";
/// 2026-12-01T00:00:00Z: where every test clock starts.
pub const T0: i64 = 1_796_083_200_000;
/// Operator token of the in-process test services ([`World`], the bindings'
/// test service).
pub const TOKEN: &str = "test-operator-token";

/// The endpoints of the first version of the protocol: requester, device
/// approval and operator set-up.
pub const APPROVAL_PATHS: [&str; 9] = [
    paths::CREATE_REQUEST,
    paths::POLL_REQUEST,
    paths::CANCEL_REQUEST,
    paths::ACTIVATE,
    paths::PENDING,
    paths::PIN_START,
    paths::DECIDE,
    paths::OPERATOR_CREATE_IDENTITY,
    paths::OPERATOR_ISSUE_CODE,
];

/// How many requests the service database behind `conn` logged more than one
/// decision for (a crash or a race must never make it more than 0).
pub fn requests_decided_twice(conn: &rusqlite::Connection) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM (SELECT request_id FROM activity
               WHERE kind LIKE 'request_%' GROUP BY request_id HAVING count(*) > 1)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// A localized text.
pub fn text(lang: &str, header: &str, body: &str) -> LocalizedText {
    LocalizedText {
        lang: lang.into(),
        header: header.into(),
        body: body.into(),
    }
}

/// A Demo Bank log-on request in three languages (Greenlandic, Danish,
/// English), with the default lifetime and no channel binding.
pub fn log_on(user_id: &str) -> CreateRequest {
    CreateRequest {
        user_id: user_id.into(),
        action: Action::LogOn,
        texts: vec![
            text(
                "kl",
                "Demo Bank-imut iserneq",
                "Demo Bank-imut iserniarputit",
            ),
            text("da", "Log på Demo Bank", "Du er ved at logge på Demo Bank"),
            text(
                "en",
                "Log on to Demo Bank",
                "You are logging on to Demo Bank",
            ),
        ],
        ttl_seconds: None,
        channel_binding: None,
        amount: None,
        account: None,
    }
}

/// The error code of a refused call (`None` for success or a non-service error).
pub fn code_of<T>(r: &akuersi_core::Result<T>) -> Option<ErrorCode> {
    match r {
        Err(e) => error_code(e),
        Ok(_) => None,
    }
}

/// The service's error code behind a core error (`None` for local errors).
pub fn error_code(e: &akuersi_core::Error) -> Option<ErrorCode> {
    use akuersi_core::Error as E;
    Some(match e {
        E::Service { code, .. } => *code,
        E::WrongPin { .. } => ErrorCode::WrongPin,
        E::DeviceSuspended { .. } => ErrorCode::DeviceSuspended,
        E::DeviceBlocked => ErrorCode::DeviceBlocked,
        E::RequestExpired => ErrorCode::RequestExpired,
        E::AlreadyDecided => ErrorCode::AlreadyDecided,
        E::RequestCancelled => ErrorCode::RequestCancelled,
        E::RequestNotFound => ErrorCode::RequestNotFound,
        E::InvalidActivationCode => ErrorCode::InvalidActivationCode,
        E::ActivationCodeBlocked => ErrorCode::ActivationCodeBlocked,
        E::DeviceLimit => ErrorCode::DeviceLimit,
        E::ChannelBindingRequired => ErrorCode::ChannelBindingRequired,
        E::WrongChannelCode { .. } => ErrorCode::WrongChannelCode,
        E::RateLimited => ErrorCode::RateLimited,
        _ => return None,
    })
}

/// Median of `samples` (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Demo Bank request on the wire: what the HTTP tests and the
    /// seeds of the fuzzers send.
    #[test]
    fn log_on_is_the_json_a_requester_sends() {
        let expected = serde_json::json!({
            "user_id": "Aviaja-Nuuk",
            "action": "log_on",
            "texts": [
                {"lang": "kl", "header": "Demo Bank-imut iserneq", "body": "Demo Bank-imut iserniarputit"},
                {"lang": "da", "header": "Log på Demo Bank", "body": "Du er ved at logge på Demo Bank"},
                {"lang": "en", "header": "Log on to Demo Bank", "body": "You are logging on to Demo Bank"}
            ]
        });
        assert_eq!(
            serde_json::to_value(log_on("Aviaja-Nuuk")).unwrap(),
            expected
        );
    }
}
