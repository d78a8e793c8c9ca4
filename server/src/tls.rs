//! TLS for the HTTP front ([`crate::http`]): the service's certificate and
//! key from PEM, through rustls with the ring provider, and a self-signed
//! development certificate for the simulator.
//!
//! Clients that do not trust a CA for the service pin its certificate by
//! the SHA-256 of its DER encoding ([`ServerTls::fingerprint`], written
//! `sha256:` and 64 hex digits); `akuersi_core::http` checks such a pin.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(String);

/// The service's TLS settings: its certificate chain and private key, ready
/// for rustls. Cheap to clone. Two are equal when they present the same
/// leaf certificate.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    fingerprint: [u8; 32],
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("fingerprint", &fingerprint_string(&self.fingerprint))
            .finish_non_exhaustive()
    }
}

impl PartialEq for ServerTls {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl Eq for ServerTls {}

impl ServerTls {
    /// From a PEM certificate chain (leaf first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1). Fails if either is missing or does not
    /// parse, or if the key does not belong to the certificate.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError(format!("the certificate file does not parse: {e}")))?;
        let leaf = certs
            .first()
            .ok_or_else(|| TlsError("the certificate file holds no certificate".into()))?;
        let fingerprint = sha256(leaf.as_ref());
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| TlsError(format!("the key file holds no usable private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError(format!("certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
        })
    }

    /// [`ServerTls::from_pem`] from two files (reads them; blocks).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_pem = std::fs::read(cert)
            .map_err(|e| TlsError(format!("cannot read {}: {e}", cert.display())))?;
        let key_pem = Zeroizing::new(
            std::fs::read(key)
                .map_err(|e| TlsError(format!("cannot read {}: {e}", key.display())))?,
        );
        Self::from_pem(&cert_pem, &key_pem)
    }

    /// SHA-256 of the leaf certificate's DER encoding.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint as clients are given it: `sha256:` and 64 lowercase
    /// hex digits.
    pub fn fingerprint_string(&self) -> String {
        fingerprint_string(&self.fingerprint)
    }

    /// The rustls server configuration.
    pub fn rustls_config(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }
}

/// SHA-256 of the first certificate in a PEM text (what a client pins).
pub fn certificate_fingerprint(cert_pem: &[u8]) -> Result<[u8; 32], TlsError> {
    let leaf = CertificateDer::pem_slice_iter(cert_pem)
        .next()
        .ok_or_else(|| TlsError("the certificate file holds no certificate".into()))?
        .map_err(|e| TlsError(format!("the certificate file does not parse: {e}")))?;
    Ok(sha256(leaf.as_ref()))
}

/// `sha256:` and the lowercase hex of `digest`.
pub fn fingerprint_string(digest: &[u8; 32]) -> String {
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A self-signed certificate and its key, both PEM.
pub struct DevCertificate {
    /// The certificate (public).
    pub cert_pem: String,
    /// The private key (PKCS#8), wiped from memory when dropped.
    pub key_pem: Zeroizing<String>,
}

impl fmt::Debug for DevCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevCertificate").finish_non_exhaustive()
    }
}

/// Make a self-signed development certificate (ECDSA P-256) for `names`
/// (host names or IP addresses, such as `localhost` and `127.0.0.1`), valid
/// for ten years. For development only: clients trust it by its fingerprint.
pub fn generate_dev_certificate(names: &[String]) -> Result<DevCertificate, TlsError> {
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .map_err(|e| TlsError(format!("bad certificate name: {e}")))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Akuersi development service");
    let now = std::time::SystemTime::now();
    params.not_before = now.into();
    params.not_after = (now + std::time::Duration::from_secs(10 * 365 * 24 * 3600)).into();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| TlsError(format!("cannot make a key: {e}")))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| TlsError(format!("cannot sign the certificate: {e}")))?;
    Ok(DevCertificate {
        cert_pem: cert.pem(),
        key_pem: Zeroizing::new(key.serialize_pem()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dev_certificate_loads_and_its_fingerprint_is_its_der_hash() {
        let dev = generate_dev_certificate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let tls = ServerTls::from_pem(dev.cert_pem.as_bytes(), dev.key_pem.as_bytes()).unwrap();
        let der = CertificateDer::from_pem_slice(dev.cert_pem.as_bytes()).unwrap();
        assert_eq!(tls.fingerprint(), sha256(der.as_ref()));
        let s = tls.fingerprint_string();
        assert!(s.starts_with("sha256:") && s.len() == 71, "{s}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let a = generate_dev_certificate(&["localhost".into()]).unwrap();
        let b = generate_dev_certificate(&["localhost".into()]).unwrap();
        let err = ServerTls::from_pem(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("do not fit"), "{err}");
        assert!(ServerTls::from_pem(b"", a.key_pem.as_bytes()).is_err());
        assert!(ServerTls::from_pem(a.cert_pem.as_bytes(), b"").is_err());
    }
}
