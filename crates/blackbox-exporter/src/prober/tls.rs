//! TLS for the probers: rustls client configs from upstream's `tls_config`
//! (ring only) and the certificate facts upstream reports.

use std::sync::{Arc, OnceLock};

use exporter_kit::Emitter;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::DESCS;
use crate::config::TlsConfig;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's CA bundle, read once.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            for path in [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/cert.pem",
            ] {
                if let Ok(iter) = CertificateDer::pem_file_iter(path) {
                    for cert in iter.flatten() {
                        let _ = store.add(cert);
                    }
                    break;
                }
            }
            Arc::new(store)
        })
        .clone()
}

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
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn read_pem_certs(
    inline: &str,
    file: &str,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = if !inline.is_empty() {
        CertificateDer::pem_slice_iter(inline.as_bytes()).collect()
    } else {
        CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("unable to load {what} {file}: {e}"))?
            .collect()
    };
    let certs = certs.map_err(|e| format!("unable to parse {what}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("no certificates in {what}"));
    }
    Ok(certs)
}

/// A client config for `tls` with the given ALPN protocols.
pub fn client_config(tls: &TlsConfig, alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, String> {
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = {
        let min = version_rank(&tls.min_version)?.unwrap_or(12);
        let max = version_rank(&tls.max_version)?.unwrap_or(13);
        let mut v = Vec::new();
        if min <= 12 && max >= 12 {
            v.push(&rustls::version::TLS12);
        }
        if max >= 13 {
            v.push(&rustls::version::TLS13);
        }
        if v.is_empty() {
            return Err("no TLS version left between min_version and max_version".into());
        }
        v
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?;
    let builder = if tls.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny))
    } else if !tls.ca.is_empty() || !tls.ca_file.is_empty() {
        let mut store = RootCertStore::empty();
        for cert in read_pem_certs(&tls.ca, &tls.ca_file, "CA")? {
            store
                .add(cert)
                .map_err(|e| format!("bad CA certificate: {e}"))?;
        }
        builder.with_root_certificates(store)
    } else {
        builder.with_root_certificates(system_roots())
    };
    let has_cert = !tls.cert.is_empty() || !tls.cert_file.is_empty();
    let has_key = !tls.key.is_empty() || !tls.key_file.is_empty();
    let mut config = match (has_cert, has_key) {
        (true, true) => {
            let certs = read_pem_certs(&tls.cert, &tls.cert_file, "client certificate")?;
            let key = if !tls.key.is_empty() {
                PrivateKeyDer::from_pem_slice(tls.key.0.as_bytes())
            } else {
                PrivateKeyDer::from_pem_file(&tls.key_file)
            }
            .map_err(|e| format!("unable to load client key: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("bad client certificate or key: {e}"))?
        }
        (false, false) => builder.with_no_client_auth(),
        _ => return Err("client cert and key must both be set".into()),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn version_rank(v: &str) -> Result<Option<u8>, String> {
    match v {
        "" => Ok(None),
        "TLS10" | "TLS11" | "TLS12" => Ok(Some(12)),
        "TLS13" => Ok(Some(13)),
        other => Err(format!("unknown TLS version {other:?}")),
    }
}

pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string())
        .map_err(|e| format!("invalid TLS server name {bare:?}: {e}"))
}

/// What a finished handshake tells: reported after the probe.
#[derive(Debug, Clone, Default)]
pub struct TlsFacts {
    pub version: String,
    pub cipher: String,
    pub earliest_expiry: f64,
    pub last_chain_expiry: f64,
    pub fingerprint: String,
    pub subject: String,
    pub issuer: String,
    pub sans: String,
    pub serial: String,
}

impl TlsFacts {
    pub fn from_connection(conn: &rustls::ClientConnection) -> TlsFacts {
        let mut facts = TlsFacts {
            version: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".into(),
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".into(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            },
            cipher: conn
                .negotiated_cipher_suite()
                .map(|s| {
                    let name = format!("{:?}", s.suite());
                    name.replacen("TLS13_", "TLS_", 1)
                })
                .unwrap_or_default(),
            ..TlsFacts::default()
        };
        let certs = conn.peer_certificates().unwrap_or(&[]);
        let mut earliest: Option<i64> = None;
        for (i, der) in certs.iter().enumerate() {
            let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
                continue;
            };
            let not_after = cert.validity().not_after.timestamp();
            earliest = Some(earliest.map_or(not_after, |e| e.min(not_after)));
            if i == 0 {
                facts.fingerprint =
                    hex(ring::digest::digest(&ring::digest::SHA256, der.as_ref()).as_ref());
                facts.subject = go_name(cert.subject());
                facts.issuer = go_name(cert.issuer());
                // as Go prints a big.Int in hex: no leading zero bytes
                let raw = cert.raw_serial();
                let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
                facts.serial = hex(&raw[first..]).trim_start_matches('0').to_string();
                if facts.serial.is_empty() {
                    facts.serial = "0".into();
                }
                if let Ok(Some(san)) = cert.subject_alternative_name() {
                    let names: Vec<String> = san
                        .value
                        .general_names
                        .iter()
                        .filter_map(|g| match g {
                            x509_parser::extensions::GeneralName::DNSName(n) => {
                                Some((*n).to_string())
                            }
                            _ => None,
                        })
                        .collect();
                    facts.sans = names.join(",");
                }
            }
        }
        let e = earliest.unwrap_or(0) as f64;
        facts.earliest_expiry = e;
        facts.last_chain_expiry = e;
        facts
    }

    pub fn emit(&self, out: &mut Emitter) {
        let d = &*DESCS;
        out.gauge(&d.ssl_earliest, &[], self.earliest_expiry);
        out.gauge(&d.ssl_last_chain_expiry, &[], self.last_chain_expiry);
        out.gauge(
            &d.ssl_last_chain_info,
            &[
                &self.fingerprint,
                &self.subject,
                &self.issuer,
                &self.sans,
                &self.serial,
            ],
            1.0,
        );
        out.gauge(&d.tls_version, &[&self.version], 1.0);
        out.gauge(&d.tls_cipher, &[&self.cipher], 1.0);
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A distinguished name the way Go's `pkix.Name.String()` writes it:
/// most specific last-to-first, comma separated, `CN=a,O=b`.
fn go_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter().collect::<Vec<_>>().into_iter().rev() {
        for attr in rdn.iter() {
            let oid = attr.attr_type();
            let key = x509_parser::objects::oid2abbrev(oid, x509_parser::objects::oid_registry())
                .map(str::to_string)
                .unwrap_or_else(|_| oid.to_id_string());
            let value = attr.as_str().map(str::to_string).unwrap_or_default();
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(",")
}
