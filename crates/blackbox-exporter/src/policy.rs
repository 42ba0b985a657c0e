//! Which targets may be probed: beyond upstream, see the README.
//!
//! Checked on the host name before resolving and on every address a probe
//! connects to, including each hop of an HTTP redirect chain, so that a
//! public name resolving (or redirecting) to a metadata address is refused.
//!
//! The unspecified address (`0.0.0.0`, `::`, and the spellings that resolve
//! to them such as `0`, `0x0` or `::ffff:0.0.0.0`) is not "no host": the
//! kernel connects it to the local host. It is therefore judged as the
//! loopback addresses it reaches, so denying loopback also denies it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

#[derive(Debug, Clone)]
enum Pattern {
    Net(IpNet),
    /// Lower-case host name; a leading `*.` matches any subdomain.
    Host(String),
}

impl Pattern {
    fn parse(s: &str) -> Result<Pattern, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Pattern::Net(net));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Pattern::Net(IpNet::from(ip)));
        }
        if s.is_empty() || s.contains(['/', ':', ' ']) {
            return Err(format!("not a CIDR, IP or host pattern: {s:?}"));
        }
        Ok(Pattern::Host(s.to_ascii_lowercase()))
    }

    fn matches_host(&self, host: &str) -> bool {
        match self {
            Pattern::Host(p) => {
                let host = host.trim_end_matches('.').to_ascii_lowercase();
                match p.strip_prefix("*.") {
                    Some(suffix) => {
                        host.len() > suffix.len() && host.ends_with(&format!(".{suffix}"))
                    }
                    None => host == *p,
                }
            }
            Pattern::Net(_) => false,
        }
    }

    fn matches_ip(&self, ip: IpAddr) -> bool {
        match self {
            Pattern::Net(net) => net.contains(&ip) || net.contains(&canonical(ip)),
            Pattern::Host(_) => false,
        }
    }
}

/// The address an IPv6 form stands for when it embeds an IPv4 one
/// (`::ffff:169.254.169.254`, NAT64 `64:ff9b::a9fe:a9fe`).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let o = v6.octets();
                return IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// The addresses a connection to `ip` really reaches. Linux sends a connect
/// to `0.0.0.0` to 127.0.0.1 and one to `::` to ::1; both families are
/// listed for either spelling so that no stack detail opens a bypass.
fn reached(ip: IpAddr) -> Vec<IpAddr> {
    let ip = canonical(ip);
    if ip.is_unspecified() {
        vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
    } else {
        vec![ip]
    }
}

/// Link-local and cloud metadata addresses.
pub fn is_metadata(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    pub block_metadata: bool,
    allow: Vec<Pattern>,
    deny: Vec<Pattern>,
}

impl TargetPolicy {
    pub fn new(
        block_metadata: bool,
        allow: &[String],
        deny: &[String],
    ) -> Result<TargetPolicy, String> {
        Ok(TargetPolicy {
            block_metadata,
            allow: allow
                .iter()
                .map(|s| Pattern::parse(s))
                .collect::<Result<_, _>>()?,
            deny: deny
                .iter()
                .map(|s| Pattern::parse(s))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Before resolving: the host name alone (an IP literal is checked as
    /// an address).
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.check_addr(None, ip);
        }
        if self.deny.iter().any(|p| p.matches_host(host)) {
            return Err(format!(
                "target host {host:?} is denied by --probe.deny-target"
            ));
        }
        Ok(())
    }

    /// The address a probe is about to connect to, with the name it came from.
    pub fn check_addr(&self, host: Option<&str>, ip: IpAddr) -> Result<(), String> {
        if self.block_metadata && is_metadata(ip) {
            return Err(format!(
                "target address {ip} is link-local or cloud metadata; refused (--probe.block-metadata)"
            ));
        }
        let host_match = |p: &Pattern| host.is_some_and(|h| p.matches_host(h));
        let reached = reached(ip);
        let denied = |p: &Pattern| {
            p.matches_ip(ip) || reached.iter().any(|r| p.matches_ip(*r)) || host_match(p)
        };
        if self.deny.iter().any(denied) {
            return Err(format!(
                "target address {ip} is denied by --probe.deny-target"
            ));
        }
        // An unspecified address is allowed only when every address it may
        // reach is (or when it is listed itself).
        let allowed = |r: &IpAddr| self.allow.iter().any(|p| p.matches_ip(*r) || host_match(p));
        if !self.allow.is_empty() && !allowed(&ip) && !reached.iter().all(allowed) {
            return Err(format!(
                "target address {ip} is not allowed by --probe.allow-target"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn metadata_addresses_in_every_spelling() {
        for a in [
            "169.254.169.254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "fd00:ec2::254",
            "fe80::1",
        ] {
            assert!(is_metadata(ip(a)), "{a}");
        }
        for a in ["127.0.0.1", "::1", "10.0.0.1", "::ffff:10.0.0.1"] {
            assert!(!is_metadata(ip(a)), "{a}");
        }
    }

    #[test]
    fn allow_and_deny() {
        let p = TargetPolicy::new(
            true,
            &["127.0.0.0/8".into(), "*.example.com".into()],
            &["127.0.0.2".into(), "bad.example.com".into()],
        )
        .expect("valid patterns");
        assert!(p.check_addr(None, ip("127.0.0.1")).is_ok());
        assert!(p.check_addr(None, ip("::ffff:127.0.0.1")).is_ok());
        assert!(p.check_addr(None, ip("127.0.0.2")).is_err());
        assert!(p.check_addr(None, ip("10.1.1.1")).is_err());
        assert!(
            p.check_addr(Some("www.example.com"), ip("10.1.1.1"))
                .is_ok()
        );
        assert!(p.check_host("bad.example.com").is_err());
        assert!(p.check_host("[::ffff:169.254.169.254]").is_err());
        assert!(
            TargetPolicy::new(false, &[], &[])
                .expect("empty")
                .check_addr(None, ip("169.254.169.254"))
                .is_ok()
        );
        assert!(TargetPolicy::new(false, &["a b".into()], &[]).is_err());
    }

    #[test]
    fn unspecified_addresses_count_as_the_loopback_they_reach() {
        let deny_loopback = TargetPolicy::new(false, &[], &["127.0.0.0/8".into(), "::1".into()])
            .expect("valid patterns");
        for a in [
            "0.0.0.0",
            "::",
            "::ffff:0.0.0.0",
            "::ffff:127.0.0.1",
            "127.1.2.3",
        ] {
            assert!(deny_loopback.check_addr(None, ip(a)).is_err(), "{a}");
        }
        for a in ["[::]", "0.0.0.0", "[::ffff:0.0.0.0]"] {
            assert!(deny_loopback.check_host(a).is_err(), "{a}");
        }
        assert!(deny_loopback.check_addr(None, ip("10.0.0.1")).is_ok());
        // Denying only one loopback family still covers both unspecified spellings.
        let deny_v6 = TargetPolicy::new(false, &[], &["::1".into()]).expect("valid");
        assert!(deny_v6.check_addr(None, ip("0.0.0.0")).is_err());
        // Allowing one loopback family does not allow the unspecified address.
        let allow_v4 = TargetPolicy::new(false, &["127.0.0.0/8".into()], &[]).expect("valid");
        assert!(allow_v4.check_addr(None, ip("0.0.0.0")).is_err());
        let allow_both =
            TargetPolicy::new(false, &["127.0.0.0/8".into(), "::1".into()], &[]).expect("valid");
        assert!(allow_both.check_addr(None, ip("::")).is_ok());
    }
}
