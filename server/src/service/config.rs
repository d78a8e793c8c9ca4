//! The service's settings.

use crate::keys::KeySource;
use crate::lockout::LockoutPolicy;
use crate::service::retention::RetentionPolicy;

/// The default floor for PIN KDF iterations ([`ServiceConfig::min_kdf_iterations`]).
pub const DEFAULT_MIN_KDF_ITERATIONS: u32 = akuersi_protocol::pin::DEFAULT_KDF_ITERATIONS;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Token that guards the operator API; `None` turns the operator API off.
    pub operator_token: Option<String>,
    /// Most active devices per identity.
    pub max_active_devices: u32,
    /// PIN lock-out schedule.
    pub lockout: LockoutPolicy,
    /// `PRAGMA synchronous=FULL` (true, the default) or `NORMAL`.
    pub synchronous_full: bool,
    /// How long a PIN-proof session may stay open, in milliseconds.
    pub pin_session_ttl_ms: i64,
    /// Waiting period before a new device can be added, in milliseconds (1 hour).
    pub addition_wait_ms: i64,
    /// Most requests per user ID per hour (flooding and push-fatigue defence).
    pub max_requests_per_hour: u32,
    /// Most device renames per identity per hour: the one PIN-less call that
    /// can write to the activity log again and again.
    pub max_renames_per_hour: u32,
    /// Where the signing and activation-code keys come from (default: a key
    /// file beside the database, in memory for an in-memory database).
    pub keys: KeySource,
    /// What the retention job purges, and when (`retention::RetentionPolicy`).
    pub retention: RetentionPolicy,
    /// Fewest PBKDF2 iterations a device may register its PIN verifier with
    /// (activation, addition, PIN change): 600,000 by default (OWASP's figure
    /// for PBKDF2-HMAC-SHA256, and the app's default). Tests, benchmarks and
    /// the simulator set it lower, explicitly, to run fast; it is never below
    /// the protocol's `MIN_KDF_ITERATIONS`.
    pub min_kdf_iterations: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            operator_token: None,
            max_active_devices: 3,
            lockout: LockoutPolicy::default(),
            synchronous_full: true,
            pin_session_ttl_ms: 120_000,
            addition_wait_ms: 3_600_000,
            max_requests_per_hour: 10,
            max_renames_per_hour: 10,
            keys: KeySource::default(),
            retention: RetentionPolicy::default(),
            min_kdf_iterations: DEFAULT_MIN_KDF_ITERATIONS,
        }
    }
}
