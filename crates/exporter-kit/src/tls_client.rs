//! TLS for exporters that dial out (probes, Redis): one rustls client
//! configuration from what upstream's Go `tls.Config` options say, with
//! ring as the only crypto provider. PEM is read with rustls-pki-types;
//! trust roots come from the given CA or else from the system store,
//! which honours `SSL_CERT_FILE` and `SSL_CERT_DIR` as Go's
//! `crypto/x509` does.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion,
};

/// Why a TLS client configuration could not be made. The messages name
/// the file or option at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsClientError {
    #[error("unable to load {what} {file}: {reason}")]
    Load {
        what: &'static str,
        file: String,
        reason: String,
    },
    #[error("unable to parse {what}: {reason}")]
    Parse { what: &'static str, reason: String },
    #[error("no certificates in {0}")]
    NoCertificates(&'static str),
    #[error("bad CA certificate: {0}")]
    BadCa(String),
    #[error("unable to load client key: {0}")]
    Key(String),
    #[error("bad client certificate or key: {0}")]
    ClientAuth(String),
    #[error("client cert and key must both be set")]
    CertWithoutKey,
    #[error("unknown TLS version {0:?} (TLS10, TLS11, TLS12, TLS13)")]
    UnknownVersion(String),
    #[error("no TLS version left between min_version and max_version")]
    NoVersion,
    #[error(
        "the system trust store is empty: no CA certificate found (set SSL_CERT_FILE or SSL_CERT_DIR, or configure a CA){0}"
    )]
    EmptyTrustStore(String),
    #[error("invalid TLS server name {name:?}: {reason}")]
    ServerName { name: String, reason: String },
    #[error("{0}")]
    Rustls(String),
}

/// PEM given inline (a config value) or as a file to read.
#[derive(Debug, Clone, Copy)]
pub enum Pem<'a> {
    Inline(&'a str),
    File(&'a Path),
}

impl<'a> Pem<'a> {
    /// Upstream's `x` / `x_file` pair: inline wins, an empty pair is none.
    pub fn from_pair(inline: &'a str, file: &'a str) -> Option<Pem<'a>> {
        if !inline.is_empty() {
            Some(Pem::Inline(inline))
        } else if !file.is_empty() {
            Some(Pem::File(Path::new(file)))
        } else {
            None
        }
    }
}

/// What the client verifies and presents.
#[derive(Debug, Clone, Default)]
pub struct TlsClientOptions<'a> {
    /// Trust these instead of the system store.
    pub ca: Option<Pem<'a>>,
    pub cert: Option<Pem<'a>>,
    pub key: Option<Pem<'a>>,
    pub insecure_skip_verify: bool,
    /// Upstream's names: `TLS10` .. `TLS13`, empty for the default.
    pub min_version: &'a str,
    pub max_version: &'a str,
    pub alpn: &'a [&'a [u8]],
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Go's TLS version names, ranked. rustls speaks TLS 1.2 and 1.3 only:
/// an older minimum is met by 1.2, and an older maximum still allows it
/// (a Go client capped at 1.1 would fail against a 1.2-only server; here
/// it succeeds rather than failing on a version rustls cannot offer).
fn version_rank(name: &str) -> Result<Option<u8>, TlsClientError> {
    match name {
        "" => Ok(None),
        "TLS10" | "TLS11" | "TLS12" => Ok(Some(12)),
        "TLS13" => Ok(Some(13)),
        other => Err(TlsClientError::UnknownVersion(other.to_string())),
    }
}

/// The protocol versions between upstream-named `min` and `max` (empty:
/// TLS 1.2 and TLS 1.3).
pub fn protocol_versions(
    min: &str,
    max: &str,
) -> Result<Vec<&'static SupportedProtocolVersion>, TlsClientError> {
    let min = version_rank(min)?.unwrap_or(12);
    let max = version_rank(max)?.unwrap_or(13);
    let versions: Vec<_> = [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
        .into_iter()
        .filter(|(v, _)| (min..=max).contains(v))
        .map(|(_, p)| p)
        .collect();
    if versions.is_empty() {
        return Err(TlsClientError::NoVersion);
    }
    Ok(versions)
}

/// The certificates of a PEM bundle; none at all is an error.
pub fn certificates(
    pem: Pem<'_>,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsClientError> {
    let certs: Result<Vec<_>, _> = match pem {
        Pem::Inline(text) => CertificateDer::pem_slice_iter(text.as_bytes()).collect(),
        Pem::File(path) => CertificateDer::pem_file_iter(path)
            .map_err(|e| TlsClientError::Load {
                what,
                file: path.display().to_string(),
                reason: e.to_string(),
            })?
            .collect(),
    };
    let certs = certs.map_err(|e| TlsClientError::Parse {
        what,
        reason: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(TlsClientError::NoCertificates(what));
    }
    Ok(certs)
}

/// The first private key of a PEM block or file.
pub fn private_key(pem: Pem<'_>) -> Result<PrivateKeyDer<'static>, TlsClientError> {
    match pem {
        Pem::Inline(text) => PrivateKeyDer::from_pem_slice(text.as_bytes()),
        Pem::File(path) => PrivateKeyDer::from_pem_file(path),
    }
    .map_err(|e| TlsClientError::Key(e.to_string()))
}

/// The system's trust roots (`SSL_CERT_FILE`, `SSL_CERT_DIR`, else the
/// distribution's bundle), read once per process. An empty store is an
/// error: every verified handshake would fail with an unknown issuer.
pub fn system_roots() -> Result<Arc<RootCertStore>, TlsClientError> {
    system_trust().map(|t| t.store.clone())
}

/// The certificates behind [`system_roots`], for a client library that
/// takes certificates rather than a rustls store (mysql_async).
pub fn system_root_certificates() -> Result<&'static [CertificateDer<'static>], TlsClientError> {
    system_trust().map(|t| t.certs.as_slice())
}

struct SystemTrust {
    store: Arc<RootCertStore>,
    certs: Vec<CertificateDer<'static>>,
}

fn system_trust() -> Result<&'static SystemTrust, TlsClientError> {
    static TRUST: OnceLock<Result<SystemTrust, TlsClientError>> = OnceLock::new();
    TRUST
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            // Like Go, one unreadable or odd certificate does not void the
            // rest; only those rustls takes as trust anchors are kept.
            let certs: Vec<_> = found
                .certs
                .into_iter()
                .filter(|cert| store.add(cert.clone()).is_ok())
                .collect();
            if certs.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(TlsClientError::EmptyTrustStore(why));
            }
            Ok(SystemTrust {
                store: Arc::new(store),
                certs,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A server name to verify against: a DNS name or an IP literal
/// (brackets allowed, as in a URL).
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsClientError> {
    let bare = crate::net::unbracket(name);
    ServerName::try_from(bare.to_string()).map_err(|e| TlsClientError::ServerName {
        name: bare.to_string(),
        reason: e.to_string(),
    })
}

/// A client configuration for `opts`.
pub fn client_config(opts: &TlsClientOptions<'_>) -> Result<Arc<ClientConfig>, TlsClientError> {
    let versions = protocol_versions(opts.min_version, opts.max_version)?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&versions)
        .map_err(|e| TlsClientError::Rustls(e.to_string()))?;
    let builder = if opts.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny))
    } else if let Some(ca) = opts.ca {
        let mut store = RootCertStore::empty();
        for cert in certificates(ca, "CA")? {
            store
                .add(cert)
                .map_err(|e| TlsClientError::BadCa(e.to_string()))?;
        }
        builder.with_root_certificates(store)
    } else {
        builder.with_root_certificates(system_roots()?)
    };
    let mut config = match (opts.cert, opts.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(certificates(cert, "client certificate")?, private_key(key)?)
            .map_err(|e| TlsClientError::ClientAuth(e.to_string()))?,
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(TlsClientError::CertWithoutKey),
    };
    config.alpn_protocols = opts.alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// `insecure_skip_verify`: any certificate, any name. Signatures are still
/// checked by rustls' handshake, not here.
#[derive(Debug)]
struct AcceptAny;

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls12_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_upstream_names() {
        assert_eq!(protocol_versions("", "").unwrap().len(), 2);
        assert_eq!(
            protocol_versions("TLS13", "").unwrap(),
            vec![&rustls::version::TLS13]
        );
        assert_eq!(
            protocol_versions("TLS10", "TLS12").unwrap(),
            vec![&rustls::version::TLS12]
        );
        assert_eq!(
            protocol_versions("TLS13", "TLS12"),
            Err(TlsClientError::NoVersion)
        );
        assert_eq!(
            protocol_versions("TLS1.3", "").unwrap_err().to_string(),
            "unknown TLS version \"TLS1.3\" (TLS10, TLS11, TLS12, TLS13)"
        );
    }

    #[test]
    fn pem_without_certificates_is_an_error() {
        assert_eq!(
            certificates(Pem::Inline("not pem"), "CA"),
            Err(TlsClientError::NoCertificates("CA"))
        );
        let missing = certificates(Pem::File(Path::new("/nonexistent/ca.pem")), "CA");
        assert!(
            matches!(&missing, Err(TlsClientError::Load { file, .. }) if file == "/nonexistent/ca.pem"),
            "{missing:?}"
        );
    }

    #[test]
    fn a_cert_needs_its_key() {
        let opts = TlsClientOptions {
            cert: Some(Pem::Inline("x")),
            insecure_skip_verify: true,
            ..TlsClientOptions::default()
        };
        assert_eq!(
            client_config(&opts).unwrap_err(),
            TlsClientError::CertWithoutKey
        );
    }

    /// The system store is read once per process, so each case runs in a
    /// child process of this test binary with its own `SSL_CERT_FILE`.
    #[test]
    fn system_roots_honour_ssl_cert_file_and_refuse_an_empty_store() {
        const CHILD: &str = "EXPORTER_KIT_TLS_ROOTS_CASE";
        match std::env::var(CHILD).as_deref() {
            Ok("empty") => {
                let err = system_roots().unwrap_err().to_string();
                assert!(err.contains("system trust store is empty"), "{err}");
                return;
            }
            Ok("one") => {
                assert_eq!(system_roots().unwrap().len(), 1);
                return;
            }
            _ => {}
        }
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let one = dir.path().join("one.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.test".into()]).unwrap();
        std::fs::write(&one, ca.cert.pem()).unwrap();
        for (case, file) in [("empty", &empty), ("one", &one)] {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "tls_client::tests::system_roots_honour_ssl_cert_file_and_refuse_an_empty_store",
                    "--nocapture",
                ])
                .env(CHILD, case)
                .env("SSL_CERT_FILE", file)
                .env_remove("SSL_CERT_DIR")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{case}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            // The child ran the test rather than matching nothing.
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                "{case}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }

    #[test]
    fn server_names_may_be_bracketed_literals() {
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(
            server_name("example.com"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(server_name("exa mple").is_err());
    }
}
