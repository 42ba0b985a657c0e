//! TLS for the probers: rustls client configs from upstream's `tls_config`
//! (ring only) and the certificate facts upstream reports.

use std::sync::Arc;

use exporter_kit::Emitter;
use exporter_kit::tls_client::{self, Pem, TlsClientOptions};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;

use super::DESCS;
use crate::config::TlsConfig;

/// A client config for upstream's `tls_config` with the given ALPN
/// protocols.
pub fn client_config(tls: &TlsConfig, alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, String> {
    tls_client::client_config(&TlsClientOptions {
        ca: Pem::from_pair(&tls.ca, &tls.ca_file),
        cert: Pem::from_pair(&tls.cert, &tls.cert_file),
        key: Pem::from_pair(&tls.key.0, &tls.key_file),
        insecure_skip_verify: tls.insecure_skip_verify,
        min_version: &tls.min_version,
        max_version: &tls.max_version,
        alpn,
    })
    .map_err(|e| e.to_string())
}

pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    tls_client::server_name(name).map_err(|e| e.to_string())
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
