//! `serve`'s options for the service's keys and its retention policy, and
//! the background job runner it starts (kept apart from `serve.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use akuersi_server::jobs::JobRunner;
use akuersi_server::keys::{KeySource, Pkcs11Config};
use akuersi_server::service::retention::{RetentionJob, RetentionPolicy};
use akuersi_server::{Service, ServiceConfig};
use zeroize::Zeroizing;

use crate::error::SimError;

/// The key file `serve` keeps in its data folder (mode 0600).
pub const KEY_FILE: &str = "service.keys";

const DAY_S: u64 = 24 * 3600;

/// Where the service's keys are, key rotation, and what it forgets when.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyRetentionArgs {
    /// Key file with the service's signing and activation-code keys (0600).
    /// Made on first run; a database from before keys left it has its key
    /// moved here once. Default: DIR/service.keys.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// Keep the keys on a PKCS#11 token instead: path of the module (for
    /// SoftHSM2, /usr/lib/softhsm/libsofthsm2.so). Needs --pkcs11-token and
    /// the user PIN in AKUERSI_PKCS11_PIN.
    #[arg(
        long,
        value_name = "LIB",
        requires = "pkcs11_token",
        conflicts_with = "keys"
    )]
    pub pkcs11_module: Option<PathBuf>,
    /// Label of the PKCS#11 token.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pub pkcs11_token: Option<String>,
    /// The token's user PIN (from the environment only, never a flag).
    #[arg(skip)]
    pub pkcs11_pin: Option<String>,
    /// Rotate the signing key before serving: a new key, announced to apps by
    /// a statement the old key signs.
    #[arg(long)]
    pub rotate_key: bool,
    /// Keep requests (and their evidence) this many days after they end.
    /// At least 1.
    #[arg(long, value_name = "DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub retain_requests_days: u64,
    /// Keep notifications this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub retain_notifications_days: u64,
    /// Keep PIN-proof sessions this many minutes after they expire.
    #[arg(long, value_name = "MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(0..=10_080))]
    pub retain_pin_sessions_minutes: u64,
    /// Rows deleted per transaction by the retention job.
    #[arg(long, value_name = "ROWS", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub retention_batch: u32,
    /// Seconds between retention rounds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub retention_every: u64,
}

impl KeyRetentionArgs {
    /// Put the key source and the retention policy into `config`.
    pub fn apply(&self, data: &Path, config: &mut ServiceConfig) -> Result<(), SimError> {
        config.keys = match (&self.pkcs11_module, &self.pkcs11_token) {
            (Some(module), Some(token)) => {
                let pin = self
                    .pkcs11_pin
                    .clone()
                    .or_else(|| std::env::var("AKUERSI_PKCS11_PIN").ok())
                    .ok_or_else(|| {
                        SimError::Demo("set the token's user PIN in AKUERSI_PKCS11_PIN".into())
                    })?;
                KeySource::Pkcs11(Pkcs11Config {
                    module: module.clone(),
                    token_label: token.clone(),
                    pin: Zeroizing::new(pin),
                    key_label: "akuersi".into(),
                })
            }
            _ => KeySource::File(self.keys.clone().unwrap_or_else(|| data.join(KEY_FILE))),
        };
        let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
        config.retention = RetentionPolicy {
            request_ms: ms(self.retain_requests_days * DAY_S),
            notification_ms: ms(self.retain_notifications_days * DAY_S),
            pin_session_ms: ms(self.retain_pin_sessions_minutes * 60),
            batch: self.retention_batch,
            every_ms: ms(self.retention_every),
        };
        Ok(())
    }

    /// After the service opened: rotate its key if asked, and say which key
    /// signs and where it is kept. Writes the key store when rotating.
    pub fn after_open(&self, service: &Service) -> Result<(), SimError> {
        if self.rotate_key {
            let r = service.rotate_key()?;
            println!(
                "Rotated the service key: {} -> {}",
                r.old_key_id,
                service.current_key().key_id
            );
        }
        let where_ = match &service.config().keys {
            KeySource::File(p) => format!("key file {}", p.display()),
            KeySource::Pkcs11(c) => format!("PKCS#11 token {:?}", c.token_label),
            KeySource::BesideDatabase | KeySource::Ephemeral => "memory".into(),
        };
        println!(
            "Service signing key {} ({where_}).",
            service.current_key().key_id
        );
        Ok(())
    }
}

/// Start the background job runner (retention first) on the current tokio
/// runtime; it stops with the runtime.
pub fn spawn_jobs(service: &Arc<Service>) {
    let mut runner = JobRunner::new(service.clone());
    runner.register(Box::new(RetentionJob::for_service(service)));
    tokio::spawn(runner.run(std::future::pending()));
}
