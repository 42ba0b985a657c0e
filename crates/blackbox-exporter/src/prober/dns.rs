//! The dns prober: one query (UDP or TCP) to the target server, built and
//! parsed here (RFC 1035), with upstream's rcode and RR validations. RRs
//! are matched in the text form upstream uses (miekg/dns `RR.String()`:
//! `name.\tttl\tclass\ttype\trdata`).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::LazyLock;
use std::time::Instant;

use exporter_kit::net::{INVALID_PORT, split_host_port, unbracket};
use exporter_kit::{Desc, Emitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ProbeCtx, ProbeLog, Resolution, resolve, secs};
use crate::config::{DnsProbe, RrValidator};

struct Descs {
    duration: Desc,
    answer: Desc,
    authority: Desc,
    additional: Desc,
    succeeded: Desc,
    serial: Desc,
}

static D: LazyLock<Descs> = LazyLock::new(|| Descs {
    duration: Desc::gauge(
        "probe_dns_duration_seconds",
        "Duration of DNS request by phase",
        &["phase"],
    ),
    answer: Desc::gauge(
        "probe_dns_answer_rrs",
        "Returns number of entries in the answer resource record list",
        &[],
    ),
    authority: Desc::gauge(
        "probe_dns_authority_rrs",
        "Returns number of entries in the authority resource record list",
        &[],
    ),
    additional: Desc::gauge(
        "probe_dns_additional_rrs",
        "Returns number of entries in the additional resource record list",
        &[],
    ),
    succeeded: Desc::gauge(
        "probe_dns_query_succeeded",
        "Displays whether or not the query was executed successfully",
        &[],
    ),
    serial: Desc::gauge(
        "probe_dns_serial",
        "Returns the serial number of the zone",
        &[],
    ),
});

#[derive(Debug, Default)]
pub struct DnsMetrics {
    pub resolution: Resolution,
    pub resolve: f64,
    pub connect: f64,
    pub request: f64,
    pub answer: f64,
    pub authority: f64,
    pub additional: f64,
    pub succeeded: f64,
    pub serial: Option<f64>,
}

impl DnsMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        for (p, v) in [
            ("resolve", self.resolve),
            ("connect", self.connect),
            ("request", self.request),
        ] {
            out.gauge(&D.duration, &[p], v);
        }
        out.gauge(&D.answer, &[], self.answer);
        out.gauge(&D.authority, &[], self.authority);
        out.gauge(&D.additional, &[], self.additional);
        out.gauge(&D.succeeded, &[], self.succeeded);
        if let Some(s) = self.serial {
            out.gauge(&D.serial, &[], s);
        }
    }
}

const TYPES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("PTR", 12),
    ("HINFO", 13),
    ("MX", 15),
    ("TXT", 16),
    ("AAAA", 28),
    ("SRV", 33),
    ("NAPTR", 35),
    ("DS", 43),
    ("RRSIG", 46),
    ("NSEC", 47),
    ("DNSKEY", 48),
    ("TLSA", 52),
    ("HTTPS", 65),
    ("SVCB", 64),
    ("AXFR", 252),
    ("ANY", 255),
    ("CAA", 257),
];
const CLASSES: &[(&str, u16)] = &[("IN", 1), ("CH", 3), ("HS", 4), ("NONE", 254), ("ANY", 255)];
const RCODES: &[(&str, u16)] = &[
    ("NOERROR", 0),
    ("FORMERR", 1),
    ("SERVFAIL", 2),
    ("NXDOMAIN", 3),
    ("NOTIMP", 4),
    ("REFUSED", 5),
    ("YXDOMAIN", 6),
    ("YXRRSET", 7),
    ("NXRRSET", 8),
    ("NOTAUTH", 9),
    ("NOTZONE", 10),
];

fn lookup(table: &[(&str, u16)], name: &str) -> Option<u16> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}
fn name_of(table: &[(&str, u16)], v: u16, prefix: &str) -> String {
    table
        .iter()
        .find(|(_, x)| *x == v)
        .map_or_else(|| format!("{prefix}{v}"), |(n, _)| (*n).to_string())
}

/// Checks the names in a dns block (at config load).
pub fn validate(p: &DnsProbe) -> Result<(), String> {
    lookup(TYPES, &p.query_type)
        .ok_or_else(|| format!("query type '{}' is not valid", p.query_type))?;
    lookup(CLASSES, &p.query_class)
        .ok_or_else(|| format!("query class '{}' is not valid", p.query_class))?;
    for r in &p.valid_rcodes {
        lookup(RCODES, r).ok_or_else(|| format!("rcode '{r}' is not valid"))?;
    }
    Ok(())
}

/// A query message for `name`.
pub fn build_query(
    id: u16,
    name: &str,
    qtype: u16,
    qclass: u16,
    rd: bool,
) -> Result<Vec<u8>, String> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&(if rd { 0x0100u16 } else { 0 }).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        if label.len() > 63 {
            return Err(format!("label too long in {name:?}"));
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&qclass.to_be_bytes());
    Ok(m)
}

/// A parsed response: rcode and the three sections as text RRs.
#[derive(Debug, Default)]
pub struct Response {
    pub id: u16,
    pub rcode: u16,
    pub answer: Vec<String>,
    pub authority: Vec<String>,
    pub additional: Vec<String>,
    pub soa_serial: Option<u32>,
}

fn u16_at(m: &[u8], i: usize) -> Result<u16, String> {
    m.get(i..i + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| "truncated message".to_string())
}
fn u32_at(m: &[u8], i: usize) -> Result<u32, String> {
    m.get(i..i + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "truncated message".to_string())
}

/// Reads a (possibly compressed) name at `i`; returns it and the offset after it.
fn read_name(m: &[u8], mut i: usize) -> Result<(String, usize), String> {
    let mut name = String::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *m.get(i).ok_or("truncated name")? as usize;
        if len == 0 {
            let after = end.unwrap_or(i + 1);
            if name.is_empty() {
                name.push('.');
            }
            return Ok((name, after));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = (u16_at(m, i)? & 0x3fff) as usize;
            end.get_or_insert(i + 2);
            i = ptr;
            continue;
        }
        let label = m.get(i + 1..i + 1 + len).ok_or("truncated label")?;
        for &c in label {
            if c == b'.' || c == b'\\' {
                name.push('\\');
                name.push(c as char);
            } else if c.is_ascii_graphic() {
                name.push(c as char);
            } else {
                let _ = write!(name, "\\{c:03}");
            }
        }
        name.push('.');
        i += 1 + len;
    }
    Err("name compression loop".into())
}

fn rdata_text(
    m: &[u8],
    start: usize,
    len: usize,
    rtype: u16,
) -> Result<(String, Option<u32>), String> {
    let rd = m.get(start..start + len).ok_or("truncated rdata")?;
    let name_at = |off: usize| read_name(m, start + off).map(|(n, _)| n);
    Ok(match rtype {
        1 if len == 4 => (Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]).to_string(), None),
        28 if len == 16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(rd);
            (Ipv6Addr::from(o).to_string(), None)
        }
        2 | 5 | 12 => (name_at(0)?, None),
        15 => (format!("{} {}", u16_at(m, start)?, name_at(2)?), None),
        6 => {
            let (mname, after) = read_name(m, start)?;
            let (rname, after) = read_name(m, after)?;
            let nums: Result<Vec<u32>, String> = (0..5).map(|k| u32_at(m, after + 4 * k)).collect();
            let nums = nums?;
            (
                format!(
                    "{mname} {rname} {} {} {} {} {}",
                    nums[0], nums[1], nums[2], nums[3], nums[4]
                ),
                Some(nums[0]),
            )
        }
        16 => {
            let mut parts = Vec::new();
            let mut k = 0;
            while k < rd.len() {
                let l = rd[k] as usize;
                let s = rd.get(k + 1..k + 1 + l).ok_or("truncated TXT")?;
                parts.push(format!("{:?}", String::from_utf8_lossy(s)));
                k += 1 + l;
            }
            (parts.join(" "), None)
        }
        33 => (
            format!(
                "{} {} {} {}",
                u16_at(m, start)?,
                u16_at(m, start + 2)?,
                u16_at(m, start + 4)?,
                name_at(6)?
            ),
            None,
        ),
        _ => {
            let mut hex = String::new();
            for b in rd {
                let _ = write!(hex, "{b:02x}");
            }
            (format!("\\# {len} {hex}"), None)
        }
    })
}

pub fn parse_response(m: &[u8]) -> Result<Response, String> {
    if m.len() < 12 {
        return Err("short DNS message".into());
    }
    let mut r = Response {
        id: u16_at(m, 0)?,
        rcode: u16_at(m, 2)? & 0x000f,
        ..Response::default()
    };
    let qd = u16_at(m, 4)?;
    let counts = [u16_at(m, 6)?, u16_at(m, 8)?, u16_at(m, 10)?];
    let mut i = 12;
    for _ in 0..qd {
        let (_, after) = read_name(m, i)?;
        i = after + 4;
    }
    for (section, &count) in counts.iter().enumerate() {
        for _ in 0..count {
            let (name, after) = read_name(m, i)?;
            let rtype = u16_at(m, after)?;
            let class = u16_at(m, after + 2)?;
            let ttl = u32_at(m, after + 4)?;
            let len = u16_at(m, after + 8)? as usize;
            let start = after + 10;
            if rtype == 41 {
                // OPT pseudo-record: counted, shown as upstream does not matter here.
                i = start + len;
                let text = format!("{name}\t0\tCLASS{class}\tOPT\t");
                push(&mut r, section, text);
                continue;
            }
            let (rdata, serial) = rdata_text(m, start, len, rtype)?;
            if section == 0 && serial.is_some() {
                r.soa_serial = serial;
            }
            let text = format!(
                "{name}\t{ttl}\t{}\t{}\t{rdata}",
                name_of(CLASSES, class, "CLASS"),
                name_of(TYPES, rtype, "TYPE")
            );
            push(&mut r, section, text);
            i = start + len;
        }
    }
    Ok(r)
}

fn push(r: &mut Response, section: usize, text: String) {
    match section {
        0 => r.answer.push(text),
        1 => r.authority.push(text),
        _ => r.additional.push(text),
    }
}

fn rrs_ok(rrs: &[String], v: &RrValidator, log: &mut ProbeLog) -> bool {
    for re in &v.fail_if_matches_regexp {
        if rrs.iter().any(|rr| re.0.is_match(rr.as_bytes())) {
            log.error(format!(
                "At least one RR matched regexp regexp={}",
                re.0.as_str()
            ));
            return false;
        }
    }
    for re in &v.fail_if_all_match_regexp {
        if !rrs.is_empty() && rrs.iter().all(|rr| re.0.is_match(rr.as_bytes())) {
            log.error(format!("All RRs matched regexp regexp={}", re.0.as_str()));
            return false;
        }
    }
    for re in &v.fail_if_not_matches_regexp {
        if rrs.iter().any(|rr| !re.0.is_match(rr.as_bytes())) {
            log.error(format!(
                "At least one RR did not match regexp regexp={}",
                re.0.as_str()
            ));
            return false;
        }
    }
    for re in &v.fail_if_none_matches_regexp {
        if !rrs.iter().any(|rr| re.0.is_match(rr.as_bytes())) {
            log.error(format!(
                "Not a single RR matched regexp regexp={}",
                re.0.as_str()
            ));
            return false;
        }
    }
    true
}

/// Upstream's rule: a target that does not split as `host:port` is a
/// host alone, on the DNS port; a port that is there must be a number.
fn split_target(target: &str) -> Result<(&str, u16), String> {
    match split_host_port(target) {
        Ok((host, port)) => port
            .parse()
            .map(|port| (host, port))
            .map_err(|_| format!("address {target}: {INVALID_PORT}")),
        Err(_) => Ok((unbracket(target), 53)),
    }
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &DnsProbe,
    m: &mut DnsMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    let qtype = lookup(TYPES, &module.query_type).ok_or("invalid query type")?;
    let qclass = lookup(CLASSES, &module.query_class).ok_or("invalid query class")?;
    let (host, port) = split_target(target)?;
    let ip = resolve(
        host,
        &module.preferred_ip_protocol,
        module.ip_protocol_fallback,
        ctx.policy,
        &mut m.resolution,
        log,
    )
    .await?;
    m.resolve = m.resolution.lookup_seconds;
    let addr = SocketAddr::new(ip, port);
    let id: u16 = rand_id();
    let query = build_query(
        id,
        &module.query_name,
        qtype,
        qclass,
        module.recursion_desired,
    )?;
    let tcp = module.transport_protocol == "tcp";
    log.debug(format!(
        "Making DNS query target={addr} dial_protocol={} query={} type={} class={}",
        if tcp { "tcp" } else { "udp" },
        module.query_name,
        module.query_type,
        module.query_class
    ));
    let t = Instant::now();
    let raw = if tcp {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
        m.connect = secs(t.elapsed());
        let t = Instant::now();
        let mut framed = (query.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&query);
        s.write_all(&framed)
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
        let len = s
            .read_u16()
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?
            as usize;
        let mut buf = vec![0; len];
        s.read_exact(&mut buf)
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
        m.request = secs(t.elapsed());
        buf
    } else {
        let bind: SocketAddr = if ip.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .map_err(|_| "bind")?;
        let s = tokio::net::UdpSocket::bind(bind)
            .await
            .map_err(|e| e.to_string())?;
        s.connect(addr)
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
        m.connect = secs(t.elapsed());
        let t = Instant::now();
        s.send(&query)
            .await
            .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
        let mut buf = vec![0; 65535];
        let raw = loop {
            let n = s
                .recv(&mut buf)
                .await
                .map_err(|e| format!("Error while sending a DNS query err={e}"))?;
            if n >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id {
                break buf[..n].to_vec();
            }
        };
        m.request = secs(t.elapsed());
        raw
    };
    let resp =
        parse_response(&raw).map_err(|e| format!("Error while parsing the DNS answer err={e}"))?;
    m.answer = resp.answer.len() as f64;
    m.authority = resp.authority.len() as f64;
    m.additional = resp.additional.len() as f64;
    m.succeeded = 1.0;
    if qtype == 6 {
        m.serial = resp.soa_serial.map(f64::from);
    }
    log.debug(format!(
        "Got response rcode={} answers={}",
        name_of(RCODES, resp.rcode, "RCODE"),
        resp.answer.len()
    ));
    let valid: Vec<u16> = if module.valid_rcodes.is_empty() {
        vec![0]
    } else {
        module
            .valid_rcodes
            .iter()
            .filter_map(|r| lookup(RCODES, r))
            .collect()
    };
    if !valid.contains(&resp.rcode) {
        log.error(format!(
            "Rcode is not one of the valid rcodes rcode={} valid_rcodes={:?}",
            name_of(RCODES, resp.rcode, "RCODE"),
            valid
        ));
        return Ok(false);
    }
    Ok(rrs_ok(&resp.answer, &module.validate_answer_rrs, log)
        && rrs_ok(&resp.authority, &module.validate_authority_rrs, log)
        && rrs_ok(&resp.additional, &module.validate_additional_rrs, log))
}

fn rand_id() -> u16 {
    let mut b = [0u8; 2];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        return (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(7)
            & 0xffff) as u16;
    }
    u16::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_through_the_parser() {
        let q = build_query(0x1234, "example.test", 1, 1, true).expect("query");
        let r = parse_response(&q).expect("parse");
        assert_eq!(r.id, 0x1234);
        assert!(r.answer.is_empty());
        assert!(parse_response(&q[..5]).is_err());
        assert_eq!(split_target("127.0.0.1:5353"), Ok(("127.0.0.1", 5353)));
        assert_eq!(split_target("::1"), Ok(("::1", 53)));
        assert_eq!(split_target("[::1]:54"), Ok(("::1", 54)));
        assert_eq!(split_target("[::1]"), Ok(("::1", 53)));
        assert_eq!(split_target("ns.example"), Ok(("ns.example", 53)));
        // A port that is there is used or refused, never replaced by 53.
        assert!(split_target("ns.example:domain").is_err());
        assert!(split_target("ns.example:").is_err());
    }
}
