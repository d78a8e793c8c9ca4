//! akuersi-ffi: the Akuersi core as Android and iOS apps consume it, through
//! [uniffi](https://mozilla.github.io/uniffi-rs/) (proc-macros, no UDL).
//!
//! * [`Akuersi`]: one app installation, the facade every shell talks to:
//!   activation and PIN, the security rules, requests (refresh, pending,
//!   channel binding, call warning, approve, reject, report), devices and backup-device enrollment, freeze, notifications,
//!   the device's and the identity's activity logs, user ID and settings;
//! * [`KeyStore`], [`SecretVault`], [`Transport`]: traits the platform may
//!   implement (Android Keystore / Secure Enclave, the platform's HTTP stack);
//!   without a key store or vault the core's software ones apply;
//! * [`AkuersiError`]: the one error type (`AkuersiException` in Kotlin,
//!   `AkuersiError` in Swift);
//! * the plain records and enums ([`Profile`], [`RequestView`],
//!   [`DecisionOutcome`], [`ActivityEntry`], [`Action`], [`RequestStatus`],
//!   …) are the core's own types, which carry uniffi derives behind the core's
//!   `uniffi` feature: nothing is copied here.
//!
//! Threading: every exported object is `Send + Sync`. Every call that touches
//! storage, the key store or the network blocks the calling thread; shells
//! call them off the main thread (the Kotlin and Swift wrappers in
//! `android-shim/` and `ios-shim/` do). No panic crosses the boundary: each
//! exported call catches one and answers [`AkuersiError::Internal`].
//!
//! The `test-service` feature (tests only, never in a release build) adds
//! `TestService`, the reference service in process on a test clock, so the
//! Kotlin tests can drive the whole flow.

uniffi::setup_scaffolding!("akuersi");

mod app;
mod error;
mod foreign;
#[cfg(feature = "test-service")]
mod test_service;

pub use akuersi_core::app::{
    ActivityEntry, DecisionOutcome, InstallationConfig, Profile, RequestView,
};
pub use akuersi_core::device::{ActivityPage, DeviceView, IdentityStatusView, UnfreezeOutcome};
pub use akuersi_core::display::i18n::SecurityRule;
pub use akuersi_core::display::support::{SupportContact, SupportStatus};
pub use akuersi_core::transport::TransportResponse;
pub use akuersi_protocol::activity::LogEntry;
pub use akuersi_protocol::approval::Decision;
pub use akuersi_protocol::request::{Action, LocalizedText};
pub use akuersi_protocol::wire::{
    AdditionView, CodeChannel, NotificationItem, PairingPayloadResponse, RequestStatus,
};
pub use app::{
    default_config, default_kdf_iterations, library_version, support_contact, support_status,
    Akuersi,
};
pub use error::AkuersiError;
pub use foreign::{KeyStore, SecretVault, Transport};
#[cfg(feature = "test-service")]
pub use test_service::{TestRequest, TestService};

/// Every object that crosses the boundary may be used from any thread.
#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync + ?Sized>() {}
    check::<Akuersi>();
    check::<dyn KeyStore>();
    check::<dyn SecretVault>();
    check::<dyn Transport>();
    #[cfg(feature = "test-service")]
    check::<TestService>();
}
