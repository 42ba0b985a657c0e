//! /proc/net/ip_vs_stats and /proc/net/ip_vs.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IpvsStats {
    pub connections: u64,
    pub incoming_packets: u64,
    pub outgoing_packets: u64,
    pub incoming_bytes: u64,
    pub outgoing_bytes: u64,
}

/// The totals line (third line, hexadecimal).
pub fn parse_stats(text: &str) -> Result<IpvsStats, ParseError> {
    let line = text
        .lines()
        .nth(2)
        .ok_or_else(|| ParseError::new(3, "missing totals line"))?;
    let v: Result<Vec<u64>, _> = line
        .split_whitespace()
        .map(|f| u64::from_str_radix(f, 16))
        .collect();
    let v = v.map_err(|e| ParseError::new(3, e.to_string()))?;
    if v.len() < 5 {
        return Err(ParseError::new(3, "expected 5 fields"));
    }
    Ok(IpvsStats {
        connections: v[0],
        incoming_packets: v[1],
        outgoing_packets: v[2],
        incoming_bytes: v[3],
        outgoing_bytes: v[4],
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backend {
    pub local_address: String,
    pub local_port: u16,
    pub local_mark: String,
    pub proto: String,
    pub remote_address: String,
    pub remote_port: u16,
    pub weight: u64,
    pub active: u64,
    pub inactive: u64,
}

/// `C0A80016:0CEA` or `[2620:0000:...:0001]:0050` -> (address, port).
fn addr_port(s: &str) -> Option<(String, u16)> {
    let (addr, port) = s.rsplit_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if let Some(v6) = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
        return Some((v6.parse::<Ipv6Addr>().ok()?.to_string(), port));
    }
    let v4 = u32::from_str_radix(addr, 16).ok()?;
    Some((Ipv4Addr::from(v4).to_string(), port))
}

/// Backends of every virtual service. A line that cannot be read is
/// reported and skipped (a bad service line skips its backends too).
pub fn parse_backends(text: &str) -> (Vec<Backend>, Vec<ParseError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    // (proto, local address, local port, mark) of the current service.
    let mut service: Option<(String, String, u16, String)> = None;
    for (i, line) in text.lines().enumerate().skip(3) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        match f[0] {
            "TCP" | "UDP" | "SCTP" if f.len() >= 2 => {
                service = addr_port(f[1]).map(|(a, p)| (f[0].to_string(), a, p, String::new()));
                if service.is_none() {
                    errors.push(ParseError::new(i + 1, format!("bad address {:?}", f[1])));
                }
            }
            "FWM" if f.len() >= 2 => {
                service = Some(("FWM".into(), String::new(), 0, f[1].to_string()));
            }
            "->" if f.len() >= 6 => {
                let Some((proto, la, lp, mark)) = &service else {
                    continue;
                };
                let parsed = (
                    addr_port(f[1]),
                    f[3].parse::<u64>(),
                    f[4].parse::<u64>(),
                    f[5].parse::<u64>(),
                );
                match parsed {
                    (Some((ra, rp)), Ok(weight), Ok(active), Ok(inactive)) => out.push(Backend {
                        local_address: la.clone(),
                        local_port: *lp,
                        local_mark: mark.clone(),
                        proto: proto.clone(),
                        remote_address: ra,
                        remote_port: rp,
                        weight,
                        active,
                        inactive,
                    }),
                    _ => errors.push(ParseError::new(i + 1, format!("bad backend line {line:?}"))),
                }
            }
            _ => errors.push(ParseError::new(i + 1, format!("unexpected line {line:?}"))),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        let s = parse_stats(
            "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n 16AA370 E33656E5        0    51D8C8883AB3        0\n",
        )
        .unwrap();
        assert_eq!(s.connections, 23765872);
        assert_eq!(s.incoming_bytes, 89991519156915);
        assert!(parse_stats("x\ny\nzz qq\n").is_err());
    }

    #[test]
    fn backends() {
        let text = "IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C0A80016:0CEA wlc
  -> C0A85216:0CEA      Tunnel  100    248        2
  -> C0A8521Z:0CEA      Tunnel  100    248        2
TCP  [2620:0000:0000:0000:0000:0000:0000:0001]:0050 sed
  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0050      Route   1      0          1
FWM  10001000 wlc
  -> C0A8321A:0CEA      Route   0      0          1
";
        let (b, errs) = parse_backends(text);
        assert_eq!(b.len(), 3);
        assert_eq!(errs.len(), 1);
        assert_eq!(b[0].local_address, "192.168.0.22");
        assert_eq!(b[0].local_port, 3306);
        assert_eq!(b[0].remote_address, "192.168.82.22");
        assert_eq!((b[0].weight, b[0].active, b[0].inactive), (100, 248, 2));
        assert_eq!(b[1].remote_address, "2620::2");
        assert_eq!(
            (b[2].proto.as_str(), b[2].local_mark.as_str()),
            ("FWM", "10001000")
        );
    }
}
