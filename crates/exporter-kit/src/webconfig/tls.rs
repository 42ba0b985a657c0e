//! `tls_server_config`: a rustls server configuration (ring provider) with
//! exporter-toolkit's settings and names.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring as provider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use super::TlsServerConfig;

#[derive(Clone)]
pub struct TlsAcceptor(pub tokio_rustls::TlsAcceptor);

fn read_pem<'a>(
    base: &Path,
    file: &'a str,
    inline: &'a str,
    what: &str,
) -> Result<Vec<u8>, String> {
    match (file.is_empty(), inline.is_empty()) {
        (false, false) => Err(format!(
            "tls_server_config: set {what}_file or {what}, not both"
        )),
        (true, true) => Err(format!("tls_server_config: missing {what}_file")),
        (false, true) => {
            let path = base.join(file);
            std::fs::read(&path)
                .map_err(|e| format!("tls_server_config: reading {}: {e}", path.display()))
        }
        (true, false) => Ok(inline.as_bytes().to_vec()),
    }
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("tls_server_config: {what}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "tls_server_config: {what} holds no PEM certificate"
        ));
    }
    Ok(certs)
}

fn tls_version(name: &str) -> Result<u8, String> {
    // rustls speaks TLS 1.2 and 1.3 only; older minimums are met by 1.2.
    match name {
        "" => Ok(0),
        "TLS10" | "TLS11" | "TLS12" => Ok(12),
        "TLS13" => Ok(13),
        other => Err(format!(
            "tls_server_config: unknown TLS version {other:?} (TLS10, TLS11, TLS12, TLS13)"
        )),
    }
}

fn suite_name(suite: &rustls::SupportedCipherSuite) -> String {
    format!("{:?}", suite.suite())
}

/// Go's names for the TLS 1.2 suites that rustls implements. TLS 1.3 suites
/// are not configurable, as in Go.
fn filter_suites(provider: &mut CryptoProvider, names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    for name in names {
        let canonical = name
            .strip_suffix("_SHA256")
            .filter(|n| n.ends_with("CHACHA20_POLY1305"))
            .unwrap_or(name);
        let known = provider.cipher_suites.iter().any(|s| {
            let ours = suite_name(s);
            ours == *name || ours.strip_suffix("_SHA256") == Some(canonical)
        });
        if !known {
            return Err(format!(
                "tls_server_config: cipher suite {name:?} is unknown or not supported"
            ));
        }
    }
    provider.cipher_suites.retain(|s| {
        matches!(s, rustls::SupportedCipherSuite::Tls13(_))
            || names.iter().any(|n| {
                let ours = suite_name(s);
                ours == *n || ours.strip_suffix("_SHA256") == Some(n.as_str())
            })
    });
    Ok(())
}

fn filter_curves(provider: &mut CryptoProvider, names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    let mut groups = Vec::new();
    for name in names {
        let group = match name.as_str() {
            "X25519" => provider::kx_group::X25519,
            "CurveP256" => provider::kx_group::SECP256R1,
            "CurveP384" => provider::kx_group::SECP384R1,
            other => {
                return Err(format!(
                    "tls_server_config: curve {other:?} is unknown or not supported"
                ));
            }
        };
        groups.push(group);
    }
    provider.kx_groups = groups;
    Ok(())
}

/// RequestClientCert and RequireAnyClientCert: a certificate is asked for
/// (or required) but not verified against a CA, as in Go; the handshake
/// signature is still checked.
#[derive(Debug)]
struct AnyClientCert {
    required: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl TlsAcceptor {
    pub fn build(cfg: &TlsServerConfig, base: &Path) -> Result<TlsAcceptor, String> {
        let certs = certificates(&read_pem(base, &cfg.cert_file, &cfg.cert, "cert")?, "cert")?;
        let key_pem = read_pem(base, &cfg.key_file, &cfg.key, "key")?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| format!("tls_server_config: key: {e}"))?;

        let mut provider = provider::default_provider();
        filter_suites(&mut provider, &cfg.cipher_suites)?;
        filter_curves(&mut provider, &cfg.curve_preferences)?;
        let algorithms = provider.signature_verification_algorithms;
        let provider = Arc::new(provider);

        let min = match tls_version(&cfg.min_version)? {
            0 => 12,
            v => v,
        };
        let max = match tls_version(&cfg.max_version)? {
            0 => 13,
            v => v,
        };
        if min > max {
            return Err("tls_server_config: min_version is above max_version".into());
        }
        let versions: Vec<&'static rustls::SupportedProtocolVersion> =
            [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
                .into_iter()
                .filter(|(v, _)| (min..=max).contains(v))
                .map(|(_, p)| p)
                .collect();

        let client_ca = || -> Result<rustls::RootCertStore, String> {
            let pem = match (cfg.client_ca_file.is_empty(), cfg.client_ca.is_empty()) {
                (true, true) => {
                    return Err(format!(
                        "tls_server_config: client_auth_type {} needs client_ca_file",
                        cfg.client_auth_type
                    ));
                }
                _ => read_pem(base, &cfg.client_ca_file, &cfg.client_ca, "client_ca")?,
            };
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(&pem, "client_ca")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("tls_server_config: client_ca: {e}"))?;
            }
            Ok(roots)
        };
        if !cfg.client_allowed_sans.is_empty() {
            return Err("tls_server_config: client_allowed_sans is not supported yet".into());
        }
        let verifier: Option<Arc<dyn ClientCertVerifier>> = match cfg.client_auth_type.as_str() {
            "" | "NoClientCert" => {
                if !cfg.client_ca_file.is_empty() || !cfg.client_ca.is_empty() {
                    return Err("tls_server_config: client_ca_file is set but client_auth_type is NoClientCert".into());
                }
                None
            }
            "RequestClientCert" => Some(Arc::new(AnyClientCert {
                required: false,
                algorithms,
            })),
            "RequireAnyClientCert" => Some(Arc::new(AnyClientCert {
                required: true,
                algorithms,
            })),
            "VerifyClientCertIfGiven" => Some(
                WebPkiClientVerifier::builder_with_provider(
                    Arc::new(client_ca()?),
                    provider.clone(),
                )
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("tls_server_config: client_ca: {e}"))?,
            ),
            "RequireAndVerifyClientCert" => Some(
                WebPkiClientVerifier::builder_with_provider(
                    Arc::new(client_ca()?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| format!("tls_server_config: client_ca: {e}"))?,
            ),
            other => {
                return Err(format!(
                    "tls_server_config: unknown client_auth_type {other:?}"
                ));
            }
        };

        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|e| format!("tls_server_config: {e}"))?;
        let builder = match verifier {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| format!("tls_server_config: cert and key: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor(tokio_rustls::TlsAcceptor::from(Arc::new(
            config,
        ))))
    }
}
