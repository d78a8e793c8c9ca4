//! The one installation builder: every test, benchmark and fuzzer opens its
//! app installations through it instead of writing `InstallationConfig`
//! literals by hand.

use std::sync::Arc;

use akuersi_core::app::{Installation, InstallationConfig};
use akuersi_core::keystore::{SecretVault, SoftwareVault};
use akuersi_core::transport::Transport;
use akuersi_protocol::clock::Clock;
use akuersi_protocol::pin::MIN_KDF_ITERATIONS;

/// Settings of a test installation; start with [`installation`].
#[derive(Clone)]
pub struct InstallationBuilder {
    config: InstallationConfig,
    vault: Option<Arc<dyn SecretVault>>,
}

/// A test installation stored at `database_path` (a file, or `":memory:"`):
/// platform `desktop`, PINs derived with [`MIN_KDF_ITERATIONS`], new profiles
/// in Greenlandic (`kl`), sealed by a fresh in-memory software vault. Change
/// any of these with the builder's methods.
pub fn installation(database_path: impl Into<String>) -> InstallationBuilder {
    InstallationBuilder {
        config: InstallationConfig {
            database_path: database_path.into(),
            platform: "desktop".into(),
            kdf_iterations: MIN_KDF_ITERATIONS,
            default_language: "kl".into(),
        },
        vault: None,
    }
}

impl InstallationBuilder {
    /// The platform label sent at activation.
    pub fn platform(mut self, platform: &str) -> Self {
        self.config.platform = platform.into();
        self
    }

    /// PBKDF2 iterations for new PINs.
    pub fn kdf_iterations(mut self, iterations: u32) -> Self {
        self.config.kdf_iterations = iterations;
        self
    }

    /// The language of new profiles ("kl", "da", "en").
    pub fn language(mut self, language: &str) -> Self {
        self.config.default_language = language.into();
        self
    }

    /// Seal the installation's secrets with `vault` (a key file, a fixed key)
    /// instead of a fresh in-memory one.
    pub fn vault(mut self, vault: Arc<dyn SecretVault>) -> Self {
        self.vault = Some(vault);
        self
    }

    /// The configuration, for callers that open the installation themselves
    /// (the bindings' `Akuersi`).
    pub fn config(&self) -> InstallationConfig {
        self.config.clone()
    }

    /// Open the installation over `transport` on `clock`. Panics if it
    /// cannot be opened: a fixture that fails is a broken test.
    pub fn open(self, transport: Arc<dyn Transport>, clock: Arc<dyn Clock>) -> Arc<Installation> {
        let vault = match self.vault {
            Some(v) => v,
            None => Arc::new(SoftwareVault::ephemeral().expect("an in-memory vault")),
        };
        Installation::open(self.config, transport, clock, vault, None)
            .expect("opening the test installation")
    }
}
