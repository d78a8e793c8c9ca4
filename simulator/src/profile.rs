//! One app installation of the simulator (`app --profile NAME`): its own
//! SQLite file and vault key file in the data folder, talking HTTP to the
//! service.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use akuersi_core::app::{Installation, InstallationConfig, Profile};
use akuersi_core::http::HttpTransport;
use akuersi_core::keystore::SoftwareVault;
use akuersi_protocol::clock::SystemClock;

use crate::error::SimError;

/// Default data folder of `serve` and `app` (relative to the working folder).
pub const DEFAULT_DATA_DIR: &str = "akuersi-sim-data";
/// Default service URL of `app` and `operator`: the service's default address.
pub const DEFAULT_SERVICE_URL: &str = "https://127.0.0.1:8400";
/// Platform label the simulator's app installations send at activation.
pub const PLATFORM: &str = "desktop";

/// Create `dir` (and any missing parents) for this user alone: 0700 on
/// Unix, whatever the umask, so that no other local user can read a
/// service's or an app's files. An existing folder is left as it is.
pub fn private_dir(dir: &Path, what: &str) -> Result<(), SimError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| SimError::Demo(format!("cannot create {what} {}: {e}", dir.display())))
}

/// Write `data` to a new file only its owner can read: mode 0600 from the
/// start (whatever the umask), synced to disk. An existing file is never
/// overwritten (that is an error). Writes a file; blocks on disk I/O.
pub fn create_private_file(path: &Path, data: &[u8]) -> Result<(), SimError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| SimError::Demo(format!("cannot create {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

/// [`create_private_file`], replacing an older file at `path`: it is
/// removed first, so the new one never inherits a wider mode.
pub fn replace_private_file(path: &Path, data: &[u8]) -> Result<(), SimError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(SimError::Demo(format!(
                "cannot replace {}: {e}",
                path.display()
            )))
        }
    }
    create_private_file(path, data)
}

/// Check a profile name: 1 to 32 of `A–Z a–z 0–9 _ -`, starting with a letter
/// or digit (it names files).
pub fn check_profile_name(name: &str) -> Result<(), SimError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(SimError::Demo(format!(
            "a profile name is 1 to 32 letters, digits, '_' or '-' (got {name:?})"
        )))
    }
}

/// The files of one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFiles {
    /// The installation's SQLite file.
    pub database: PathBuf,
    /// The vault's wrapping key (mode 0600).
    pub vault_key: PathBuf,
}

/// Where profile `name` keeps its files under `data`.
pub fn profile_files(data: &Path, name: &str) -> ProfileFiles {
    let dir = data.join("apps");
    ProfileFiles {
        database: dir.join(format!("{name}.sqlite")),
        vault_key: dir.join(format!("{name}.vault-key")),
    }
}

/// Settings for opening an installation.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Data folder.
    pub data: PathBuf,
    /// Profile name.
    pub name: String,
    /// Service base URL.
    pub service_url: String,
    /// How to trust an `https://` service.
    pub tls: crate::edge::ClientTlsArgs,
    /// PBKDF2 iterations for new PINs.
    pub kdf_iterations: u32,
    /// Language for new identities on this installation.
    pub language: String,
}

/// Open (or create) the installation of a profile.
pub fn open(options: &OpenOptions) -> Result<Arc<Installation>, SimError> {
    check_profile_name(&options.name)?;
    let files = profile_files(&options.data, &options.name);
    if let Some(dir) = files.database.parent() {
        private_dir(dir, "the folder")?;
    }
    let database_path = files
        .database
        .to_str()
        .ok_or_else(|| SimError::Demo("the data folder's path is not valid UTF-8".into()))?
        .to_owned();
    let config = options
        .tls
        .transport_config(&options.service_url, &options.data)?;
    let transport = HttpTransport::with_config(config)
        .map_err(|e| SimError::Demo(format!("bad service URL: {}", e.reason)))?;
    let vault = Arc::new(SoftwareVault::from_key_file(&files.vault_key)?);
    Ok(Installation::open(
        InstallationConfig {
            database_path,
            platform: PLATFORM.into(),
            kdf_iterations: options.kdf_iterations,
            default_language: options.language.clone(),
        },
        Arc::new(transport),
        Arc::new(SystemClock),
        vault,
        None,
    )?)
}

/// The identity to act for: the only one, or the one with `user_id`.
pub fn pick_identity(
    app: &Installation,
    user_id: Option<&str>,
) -> Result<Option<Profile>, SimError> {
    let profiles = app.profiles()?;
    match user_id {
        Some(u) => {
            let key = u.to_lowercase();
            Ok(profiles
                .into_iter()
                .find(|p| p.user_id.to_lowercase() == key))
        }
        None if profiles.len() <= 1 => Ok(profiles.into_iter().next()),
        None => Err(SimError::Demo(format!(
            "this installation holds {} identities; name one with --user-id",
            profiles.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_is_the_services_default_address() {
        assert_eq!(
            DEFAULT_SERVICE_URL,
            format!("https://{}", akuersi_server::http::DEFAULT_ADDR)
        );
    }

    #[test]
    fn profile_names() {
        assert!(check_profile_name("phone").is_ok());
        assert!(check_profile_name("tablet-2_b").is_ok());
        assert!(check_profile_name("").is_err());
        assert!(check_profile_name("../x").is_err());
        assert!(check_profile_name("-x").is_err());
        assert!(check_profile_name(&"a".repeat(33)).is_err());
    }
}
