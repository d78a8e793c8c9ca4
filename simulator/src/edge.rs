//! The service's edge in the simulator's commands: `serve`'s HTTP limits and
//! its certificate (given, or a self-signed development certificate kept in
//! its data folder), and
//! how `app`, `operator` and `load` trust the service (a pinned SHA-256
//! fingerprint, a CA file, or by default the development certificate found
//! in the data folder they share with `serve`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use akuersi_core::http::HttpTransportConfig;
use akuersi_server::http::{HttpConfig, TrustedProxy};
use akuersi_server::tls::{self, ServerTls};

use crate::error::SimError;

/// The development certificate `serve` makes in its data folder (PEM).
pub const DEV_CERT_FILE: &str = "tls-cert.pem";
/// Its private key (PKCS#8 PEM, mode 0600).
pub const DEV_KEY_FILE: &str = "tls-key.pem";

/// `serve`'s TLS options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeTlsArgs {
    /// The service's certificate chain (PEM, leaf first). Default: a
    /// self-signed development certificate in DIR/tls-cert.pem, made on
    /// first start; its SHA-256 is printed for clients to pin.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS. Only on a loopback address.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub insecure_http: bool,
}

/// `serve`'s HTTP limits (PROTOCOL §2); the defaults are the service's.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeLimitArgs {
    /// Most connections open at once (default 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Most connections open at once from one address (default 64).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: Option<u32>,
    /// A load balancer whose client-address header is believed (only for
    /// connections from this address).
    #[arg(long, value_name = "IP", requires = "client_addr_header")]
    pub trusted_proxy: Option<IpAddr>,
    /// The header the trusted proxy puts the client's address in, such as
    /// x-forwarded-for (its last entry counts).
    #[arg(long, value_name = "NAME", requires = "trusted_proxy")]
    pub client_addr_header: Option<String>,
}

impl ServeLimitArgs {
    /// Apply the options to `config`. Fails on a header name that is not one.
    pub fn apply(&self, config: &mut HttpConfig) -> Result<(), SimError> {
        if let Some(n) = self.max_connections {
            config.max_connections = n as usize;
        }
        if let Some(n) = self.max_connections_per_address {
            config.max_connections_per_address = n as usize;
        }
        if let (Some(addr), Some(header)) = (self.trusted_proxy, &self.client_addr_header) {
            let header = axum::http::HeaderName::from_bytes(header.trim().as_bytes())
                .map_err(|_| SimError::Demo(format!("{header:?} is not an HTTP header name")))?;
            config.trusted_proxy = Some(TrustedProxy { addr, header });
        }
        Ok(())
    }
}

/// How `serve` speaks.
#[derive(Debug)]
pub enum ServeTls {
    /// Plain HTTP on loopback (`--insecure-http`).
    Plain,
    /// HTTPS with this certificate; `dev` names the development certificate
    /// file when `serve` made or reused one.
    Https {
        /// The certificate and key.
        tls: ServerTls,
        /// The development certificate's file, if it is one.
        dev: Option<PathBuf>,
    },
}

impl ServeTlsArgs {
    /// Resolve the options for a service on `addr` with data folder `data`:
    /// load the given files, or load (or make, 0600) the development
    /// certificate. Refuses `--insecure-http` beyond loopback. Reads and may
    /// write files.
    pub fn resolve(&self, data: &Path, addr: SocketAddr) -> Result<ServeTls, SimError> {
        if self.insecure_http {
            if !addr.ip().is_loopback() {
                return Err(SimError::Demo(format!(
                    "--insecure-http serves plain HTTP, which is allowed only on a loopback \
                     address (127.0.0.1, ::1), not on {addr}; drop the flag to serve HTTPS"
                )));
            }
            return Ok(ServeTls::Plain);
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            let tls = ServerTls::from_pem_files(cert, key).map_err(tls_error)?;
            return Ok(ServeTls::Https { tls, dev: None });
        }
        let (tls, cert) = dev_certificate(data, addr.ip())?;
        Ok(ServeTls::Https {
            tls,
            dev: Some(cert),
        })
    }
}

fn tls_error(e: tls::TlsError) -> SimError {
    SimError::Demo(e.to_string())
}

/// Load the development certificate from `data`, or make one for
/// `localhost`, the loopback addresses and `ip` (unless unspecified).
fn dev_certificate(data: &Path, ip: IpAddr) -> Result<(ServerTls, PathBuf), SimError> {
    let cert_file = data.join(DEV_CERT_FILE);
    let key_file = data.join(DEV_KEY_FILE);
    if cert_file.exists() && key_file.exists() {
        let tls = ServerTls::from_pem_files(&cert_file, &key_file).map_err(tls_error)?;
        return Ok((tls, cert_file));
    }
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
        names.push(ip.to_string());
    }
    let dev = tls::generate_dev_certificate(&names).map_err(tls_error)?;
    // The key first, so a certificate never lies about without its key.
    crate::profile::replace_private_file(&key_file, dev.key_pem.as_bytes())?;
    crate::profile::replace_private_file(&cert_file, dev.cert_pem.as_bytes())?;
    let tls =
        ServerTls::from_pem(dev.cert_pem.as_bytes(), dev.key_pem.as_bytes()).map_err(tls_error)?;
    Ok((tls, cert_file))
}

/// How `app`, `operator` and `load` trust an `https://` service.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClientTlsArgs {
    /// Trust the service's certificate only if its SHA-256 is this, as
    /// `serve` prints it (sha256:HEX). Default: the development certificate
    /// in the data folder, if there is one; else the CA given with
    /// --ca-file, or the system's web PKI roots.
    #[arg(long, value_name = "sha256:HEX", conflicts_with = "ca_file")]
    pub server_fingerprint: Option<String>,
    /// Trust the service if its certificate chains to a CA in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

impl ClientTlsArgs {
    /// The transport settings for `service_url`: the given pin or CA file,
    /// else (for `https://`) a pin of the development certificate in `data`
    /// when `serve` left one there. Reads files.
    pub fn transport_config(
        &self,
        service_url: &str,
        data: &Path,
    ) -> Result<HttpTransportConfig, SimError> {
        let mut config = HttpTransportConfig::new(service_url);
        if let Some(pin) = &self.server_fingerprint {
            config.server_fingerprint = Some(pin.clone());
        } else if let Some(file) = &self.ca_file {
            let pem = std::fs::read_to_string(file)
                .map_err(|e| SimError::Demo(format!("cannot read {}: {e}", file.display())))?;
            config.ca_pem = Some(pem);
        } else if service_url.starts_with("https://") {
            if let Ok(pem) = std::fs::read(data.join(DEV_CERT_FILE)) {
                let digest = tls::certificate_fingerprint(&pem).map_err(tls_error)?;
                config.server_fingerprint = Some(tls::fingerprint_string(&digest));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_flags_reach_the_http_config() {
        let mut config = HttpConfig::default();
        ServeLimitArgs {
            max_connections: Some(10),
            max_connections_per_address: Some(2),
            trusted_proxy: Some("10.0.0.1".parse().unwrap()),
            client_addr_header: Some("X-Forwarded-For".into()),
        }
        .apply(&mut config)
        .unwrap();
        assert_eq!(config.max_connections, 10);
        assert_eq!(config.max_connections_per_address, 2);
        let proxy = config.trusted_proxy.unwrap();
        assert_eq!(proxy.addr, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(proxy.header.as_str(), "x-forwarded-for");
        let bad = ServeLimitArgs {
            trusted_proxy: Some("10.0.0.1".parse().unwrap()),
            client_addr_header: Some("not a header".into()),
            ..ServeLimitArgs::default()
        };
        assert!(bad.apply(&mut HttpConfig::default()).is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let dir = akuersi_testkit::TempDir::new("sim-tls-plain");
        let args = ServeTlsArgs {
            insecure_http: true,
            ..ServeTlsArgs::default()
        };
        assert!(matches!(
            args.resolve(&dir.0, "127.0.0.1:8400".parse().unwrap()),
            Ok(ServeTls::Plain)
        ));
        assert!(matches!(
            args.resolve(&dir.0, "[::1]:8400".parse().unwrap()),
            Ok(ServeTls::Plain)
        ));
        let err = args
            .resolve(&dir.0, "0.0.0.0:8400".parse().unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(args
            .resolve(&dir.0, "192.0.2.1:8400".parse().unwrap())
            .is_err());
    }

    #[test]
    fn the_dev_certificate_is_made_once_and_pinned_from_the_data_folder() {
        let dir = akuersi_testkit::TempDir::new("sim-tls-dev");
        let addr = "127.0.0.1:8400".parse().unwrap();
        let ServeTls::Https { tls: first, .. } =
            ServeTlsArgs::default().resolve(&dir.0, addr).unwrap()
        else {
            panic!("HTTPS by default")
        };
        let ServeTls::Https { tls: again, .. } =
            ServeTlsArgs::default().resolve(&dir.0, addr).unwrap()
        else {
            panic!("HTTPS by default")
        };
        assert_eq!(first.fingerprint(), again.fingerprint(), "reused");
        #[cfg(unix)]
        for file in [DEV_CERT_FILE, DEV_KEY_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.0.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let client = ClientTlsArgs::default()
            .transport_config("https://127.0.0.1:8400", &dir.0)
            .unwrap();
        assert_eq!(client.server_fingerprint, Some(first.fingerprint_string()));
        // An explicit pin wins; plain HTTP pins nothing.
        let explicit = ClientTlsArgs {
            server_fingerprint: Some("sha256:00".into()),
            ca_file: None,
        };
        assert_eq!(
            explicit
                .transport_config("https://127.0.0.1:8400", &dir.0)
                .unwrap()
                .server_fingerprint
                .as_deref(),
            Some("sha256:00")
        );
        let plain = ClientTlsArgs::default()
            .transport_config("http://127.0.0.1:8400", &dir.0)
            .unwrap();
        assert_eq!(plain.server_fingerprint, None);
    }
}
