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
        (true, true) => Err(format!(
            "tls_server_config: missing one of {what} or {what}_file"
        )),
        (false, true) => {
            let path = base.join(file);
            std::fs::read(&path).map_err(|e| {
                // Go's wording ("no such file or directory"), which is what
                // people search upstream's issues for.
                let reason = e.to_string();
                let mut chars = reason.chars();
                let reason = chars
                    .next()
                    .map(|c| c.to_lowercase().chain(chars).collect::<String>())
                    .unwrap_or_default();
                format!(
                    "tls_server_config: failed to read {what}_file ({}): {reason}",
                    path.display()
                )
            })
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
            "tls_server_config: unknown TLS version: {other} (TLS10, TLS11, TLS12, TLS13)"
        )),
    }
}

/// What a Go cipher suite name means here.
#[derive(Clone, Copy, PartialEq)]
enum Suite {
    /// A TLS 1.3 suite: listing it restricts nothing, as in Go.
    Tls13,
    Tls12(rustls::CipherSuite),
    /// A suite Go offers and rustls does not (CBC): accepted, not offered.
    NotOffered,
}

/// Every name Go's `tls.CipherSuites()` lists, which is what
/// exporter-toolkit accepts.
const GO_CIPHER_SUITES: &[(&str, Suite)] = {
    use rustls::CipherSuite as C;
    &[
        ("TLS_AES_128_GCM_SHA256", Suite::Tls13),
        ("TLS_AES_256_GCM_SHA384", Suite::Tls13),
        ("TLS_CHACHA20_POLY1305_SHA256", Suite::Tls13),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Suite::NotOffered),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Suite::NotOffered),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Suite::NotOffered),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Suite::NotOffered),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Suite::Tls12(C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Suite::Tls12(C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            Suite::Tls12(C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            Suite::Tls12(C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Suite::Tls12(C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
        (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Suite::Tls12(C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
    ]
};

/// The suites HTTP/2 requires (RFC 7540 9.2.2); Go refuses a TLS 1.2
/// cipher list without one when HTTP/2 is on.
const HTTP2_REQUIRED: [&str; 2] = [
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
];

fn filter_suites(
    provider: &mut CryptoProvider,
    names: &[String],
    min_version: u8,
    http2: bool,
) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    let mut tls12 = Vec::new();
    let mut not_offered = Vec::new();
    for name in names {
        match GO_CIPHER_SUITES.iter().find(|(n, _)| n == name) {
            None => return Err(format!("tls_server_config: unknown cipher: {name}")),
            Some((_, Suite::Tls12(suite))) => tls12.push(*suite),
            Some((_, Suite::NotOffered)) => not_offered.push(name.as_str()),
            Some((_, Suite::Tls13)) => {}
        }
    }
    if http2 && min_version < 13 && !names.iter().any(|n| HTTP2_REQUIRED.contains(&n.as_str())) {
        return Err(format!(
            "tls_server_config: TLSConfig.CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher (need at least one of {})",
            HTTP2_REQUIRED.join(" or ")
        ));
    }
    if !not_offered.is_empty() {
        tracing::warn!(
            suites = not_offered.join(","),
            "tls_server_config: these CBC cipher suites are accepted but not offered: the TLS library (rustls) does not implement them"
        );
    }
    provider.cipher_suites.retain(|s| match s {
        rustls::SupportedCipherSuite::Tls13(_) => true,
        rustls::SupportedCipherSuite::Tls12(_) => tls12.contains(&s.suite()),
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
            "CurveP521" => {
                tracing::warn!(
                    "tls_server_config: curve_preferences: CurveP521 is accepted but not offered: the crypto provider (ring) does not implement it"
                );
                continue;
            }
            other => return Err(format!("tls_server_config: unknown curve: {other}")),
        };
        groups.push(group);
    }
    if groups.is_empty() {
        return Err(
            "tls_server_config: curve_preferences: none of these curves can be offered (CurveP521 is not implemented by the crypto provider)"
                .into(),
        );
    }
    provider.kx_groups = groups;
    Ok(())
}

/// The system trust store (`SSL_CERT_FILE`/`SSL_CERT_DIR` honoured), read
/// once by the kit's TLS client helper, for client certificates when no
/// `client_ca_file` is set, as exporter-toolkit does.
fn system_roots() -> Result<rustls::RootCertStore, String> {
    crate::tls_client::system_roots()
        .map(|store| (*store).clone())
        .map_err(|e| {
            format!("tls_server_config: client_auth_type verifies client certificates and no client_ca_file is set: {e}")
        })
}

/// `client_allowed_sans`: after the certificate is verified, one of its
/// subject alternative names (DNS, e-mail, IP, URI, as Go lists them) must
/// be an allowed one.
#[derive(Debug)]
struct AllowedSans {
    inner: Arc<dyn ClientCertVerifier>,
    allowed: Vec<String>,
}

fn subject_alt_names(der: &[u8]) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                Some((*s).to_string())
            }
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes)
                    .ok()
                    .map(|b| std::net::IpAddr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(*bytes)
                    .ok()
                    .map(|b| std::net::IpAddr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

impl ClientCertVerifier for AllowedSans {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let names = subject_alt_names(end_entity);
        if names.iter().any(|n| self.allowed.contains(n)) {
            Ok(verified)
        } else {
            tracing::debug!(found = ?names, "client certificate refused: none of its SANs is in client_allowed_sans");
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
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
    pub fn build(cfg: &TlsServerConfig, base: &Path, http2: bool) -> Result<TlsAcceptor, String> {
        let certs = certificates(&read_pem(base, &cfg.cert_file, &cfg.cert, "cert")?, "cert")?;
        let key_pem = read_pem(base, &cfg.key_file, &cfg.key, "key")?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| format!("tls_server_config: key: {e}"))?;

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
        let mut provider = provider::default_provider();
        filter_suites(&mut provider, &cfg.cipher_suites, min, http2)?;
        if min == 12
            && max == 12
            && !provider
                .cipher_suites
                .iter()
                .any(|s| matches!(s, rustls::SupportedCipherSuite::Tls12(_)))
        {
            return Err("tls_server_config: cipher_suites: none of these TLS 1.2 suites can be offered (the CBC suites are not implemented by rustls)".into());
        }
        filter_curves(&mut provider, &cfg.curve_preferences)?;
        let algorithms = provider.signature_verification_algorithms;
        let provider = Arc::new(provider);
        let versions: Vec<&'static rustls::SupportedProtocolVersion> =
            [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
                .into_iter()
                .filter(|(v, _)| (min..=max).contains(v))
                .map(|(_, p)| p)
                .collect();

        let has_ca = !cfg.client_ca_file.is_empty() || !cfg.client_ca.is_empty();
        let client_ca = || -> Result<rustls::RootCertStore, String> {
            if !has_ca {
                return system_roots();
            }
            let pem = read_pem(base, &cfg.client_ca_file, &cfg.client_ca, "client_ca")?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(&pem, "client_ca")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("tls_server_config: client_ca: {e}"))?;
            }
            Ok(roots)
        };
        let verifier: Option<Arc<dyn ClientCertVerifier>> = match cfg.client_auth_type.as_str() {
            "" | "NoClientCert" => {
                if has_ca {
                    return Err("tls_server_config: client CA's have been configured without a Client Auth Policy (set client_auth_type)".into());
                }
                None
            }
            "RequestClientCert" => Some(Arc::new(AnyClientCert {
                required: false,
                algorithms,
            })),
            // RequireClientCert: upstream's older name, still accepted there.
            "RequireAnyClientCert" | "RequireClientCert" => Some(Arc::new(AnyClientCert {
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
                    "tls_server_config: invalid ClientAuth: {other} (client_auth_type: NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)"
                ));
            }
        };
        let verifier = match (verifier, cfg.client_allowed_sans.is_empty()) {
            (verifier, true) => verifier,
            (Some(inner), false) => Some(Arc::new(AllowedSans {
                inner,
                allowed: cfg.client_allowed_sans.clone(),
            }) as Arc<dyn ClientCertVerifier>),
            (None, false) => {
                return Err("tls_server_config: client_allowed_sans needs a client_auth_type that asks for a client certificate".into());
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
            .map_err(|e| format!("tls_server_config: failed to load X509KeyPair: {e}"))?;
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(TlsAcceptor(tokio_rustls::TlsAcceptor::from(Arc::new(
            config,
        ))))
    }
}
