//! The probers, one file per upstream prober, and what they share:
//! the probe log (`debug=true`), target resolution with upstream's
//! `preferred_ip_protocol` / `ip_protocol_fallback`, and TLS facts.

pub mod client;
pub mod dns;
pub mod grpc;
pub mod http;
pub mod icmp;
pub mod query_response;
pub mod tcp;
pub mod tls;
pub mod unix;
pub mod websocket;

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use exporter_kit::{Desc, Emitter};

use crate::policy::TargetPolicy;

/// What every prober gets besides its module.
pub struct ProbeCtx<'a> {
    pub policy: &'a TargetPolicy,
    /// The `hostname` URL parameter.
    pub hostname: Option<&'a str>,
    pub max_redirects: u32,
    pub deadline: tokio::time::Instant,
    /// oauth2 tokens, kept across probes until they expire.
    pub tokens: &'a client::TokenCache,
}

/// The probe's log lines: kept for `debug=true` and `/logs`, and logged
/// (with the module and target) when at or above `--log.prober`, as
/// upstream's scrape logger. Routine steps are debug lines, as upstream's,
/// so a good probe logs nothing at the default `info`.
#[derive(Debug, Default)]
pub struct ProbeLog {
    lines: Vec<String>,
    /// `None`: keep every line, log nothing (unit tests).
    scope: Option<LogScope>,
}

#[derive(Debug)]
struct LogScope {
    min_level: tracing::Level,
    module: String,
    target: String,
}

/// `--log.prober`'s spellings.
pub fn parse_level(level: &str) -> Option<tracing::Level> {
    match level {
        "debug" => Some(tracing::Level::DEBUG),
        "info" => Some(tracing::Level::INFO),
        "warn" => Some(tracing::Level::WARN),
        "error" => Some(tracing::Level::ERROR),
        _ => None,
    }
}

impl ProbeLog {
    pub fn new(min_level: tracing::Level, module: &str, target: &str) -> ProbeLog {
        ProbeLog {
            lines: Vec::new(),
            scope: Some(LogScope {
                min_level,
                module: module.to_string(),
                target: target.to_string(),
            }),
        }
    }
    pub fn warn(&mut self, msg: impl AsRef<str>) {
        self.line(tracing::Level::WARN, msg.as_ref());
    }
    pub fn error(&mut self, msg: impl AsRef<str>) {
        self.line(tracing::Level::ERROR, msg.as_ref());
    }
    pub fn debug(&mut self, msg: impl AsRef<str>) {
        self.line(tracing::Level::DEBUG, msg.as_ref());
    }
    fn line(&mut self, level: tracing::Level, msg: &str) {
        if let Some(scope) = &self.scope {
            // tracing's order: ERROR < WARN < INFO < DEBUG
            if level > scope.min_level {
                return;
            }
            let (module, target) = (scope.module.as_str(), scope.target.as_str());
            match level {
                tracing::Level::ERROR => tracing::error!(module, target, "{msg}"),
                tracing::Level::WARN => tracing::warn!(module, target, "{msg}"),
                tracing::Level::INFO => tracing::info!(module, target, "{msg}"),
                _ => tracing::debug!(module, target, "{msg}"),
            }
        }
        let ts = httpdate::fmt_http_date(std::time::SystemTime::now());
        let level = level.as_str().to_ascii_lowercase();
        self.lines
            .push(format!("ts={ts:?} level={level} msg={msg:?}"));
    }
    pub fn text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            let _ = writeln!(s, "{l}");
        }
        s
    }
}

pub struct CommonDescs {
    pub dns_lookup: Desc,
    pub ip_protocol: Desc,
    pub ip_hash: Desc,
    pub failed_regex: Desc,
    pub ssl_earliest: Desc,
    pub ssl_last_chain_expiry: Desc,
    pub ssl_last_chain_info: Desc,
    pub tls_version: Desc,
    pub tls_cipher: Desc,
}

pub static DESCS: LazyLock<CommonDescs> = LazyLock::new(|| CommonDescs {
    dns_lookup: Desc::gauge(
        "probe_dns_lookup_time_seconds",
        "Returns the time taken for probe dns lookup in seconds",
        &[],
    ),
    ip_protocol: Desc::gauge(
        "probe_ip_protocol",
        "Specifies whether probe ip protocol is IP4 or IP6",
        &[],
    ),
    ip_hash: Desc::gauge(
        "probe_ip_addr_hash",
        "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
        &[],
    ),
    failed_regex: Desc::gauge(
        "probe_failed_due_to_regex",
        "Indicates if probe failed due to regex",
        &[],
    ),
    ssl_earliest: Desc::gauge(
        "probe_ssl_earliest_cert_expiry",
        "Returns last SSL chain expiry in unixtime",
        &[],
    ),
    ssl_last_chain_expiry: Desc::gauge(
        "probe_ssl_last_chain_expiry_timestamp_seconds",
        "Returns last SSL chain expiry in timestamp",
        &[],
    ),
    ssl_last_chain_info: Desc::gauge(
        "probe_ssl_last_chain_info",
        "Contains SSL leaf certificate information",
        &[
            "fingerprint_sha256",
            "subject",
            "issuer",
            "subjectalternative",
            "serialnumber",
        ],
    ),
    tls_version: Desc::gauge(
        "probe_tls_version_info",
        "Returns the TLS version used or NaN when unknown",
        &["version"],
    ),
    tls_cipher: Desc::gauge(
        "probe_tls_cipher_info",
        "Returns the TLS cipher negotiated during handshake",
        &["cipher"],
    ),
});

/// The outcome of upstream's `chooseProtocol`: emitted once resolution ran.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resolution {
    pub ran: bool,
    pub lookup_seconds: f64,
    pub ip: Option<IpAddr>,
}

impl Resolution {
    pub fn emit(&self, out: &mut Emitter) {
        if !self.ran {
            return;
        }
        let d = &*DESCS;
        out.gauge(&d.dns_lookup, &[], self.lookup_seconds);
        let (proto, hash) = match self.ip {
            Some(ip) => (if ip.is_ipv4() { 4.0 } else { 6.0 }, f64::from(ip_hash(ip))),
            None => (0.0, 0.0),
        };
        out.gauge(&d.ip_protocol, &[], proto);
        out.gauge(&d.ip_hash, &[], hash);
    }
}

/// FNV-1a (32 bit) of the address's bytes (4 for IPv4, also when
/// IPv4-mapped; 16 for IPv6), as upstream computes it.
pub fn ip_hash(ip: IpAddr) -> u32 {
    let bytes: Vec<u8> = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets().to_vec(),
        },
        IpAddr::V4(v4) => v4.octets().to_vec(),
    };
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Resolves `host` the way upstream's `chooseProtocol` does: the preferred
/// family first (ip6 unless `ip4`), the other one only with fallback.
/// The policy is checked on the chosen address.
pub async fn resolve(
    host: &str,
    preferred: &str,
    fallback: bool,
    policy: &TargetPolicy,
    res: &mut Resolution,
    log: &mut ProbeLog,
) -> Result<IpAddr, String> {
    let bare = exporter_kit::net::unbracket(host);
    policy.check_host(bare)?;
    let want_v4 = preferred == "ip4";
    log.debug(format!(
        "Resolving target address target={bare} ip_protocol={}",
        if want_v4 { "ip4" } else { "ip6" }
    ));
    let start = Instant::now();
    res.ran = true;
    let result = async {
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(ip);
        }
        let addrs: Vec<IpAddr> = tokio::net::lookup_host((bare, 0))
            .await
            .map_err(|e| format!("Resolution with IP protocol failed: {e}"))?
            .map(|a| a.ip())
            .collect();
        let preferred_ip = addrs.iter().find(|a| a.is_ipv4() == want_v4).copied();
        match preferred_ip {
            Some(ip) => Ok(ip),
            None if fallback => addrs
                .first()
                .copied()
                .ok_or_else(|| "Resolution with IP protocol failed: no addresses".to_string()),
            None => Err(format!(
                "Resolution with IP protocol failed: no {} address",
                if want_v4 { "ip4" } else { "ip6" }
            )),
        }
    }
    .await;
    res.lookup_seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(ip) => {
            res.ip = Some(ip);
            log.debug(format!("Resolved target address target={bare} ip={ip}"));
            policy.check_addr(Some(bare), ip)?;
            Ok(ip)
        }
        Err(e) => {
            log.error(&e);
            Err(e)
        }
    }
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hash_matches_upstream() {
        // upstream's value for 127.0.0.1 (Debian 0.23 scrape)
        assert_eq!(ip_hash("127.0.0.1".parse().expect("ip")), 3_668_918_509);
        // IPv4-mapped hashes as the IPv4 address, as Go's To4() does
        assert_eq!(
            ip_hash("::ffff:127.0.0.1".parse().expect("ip")),
            3_668_918_509
        );
        assert_ne!(
            ip_hash("::1".parse().expect("ip")),
            ip_hash("127.0.0.1".parse().expect("ip"))
        );
    }
}
