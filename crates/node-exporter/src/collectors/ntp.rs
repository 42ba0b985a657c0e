//! node_ntp_*: one SNTP query (RFC 4330) to a local NTP server per scrape,
//! and a sanity verdict from RFC 5905's heuristics. Deprecated upstream,
//! still accepted.

use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;

#[derive(clap::Args, Debug, Clone)]
pub struct NtpArgs {
    /// NTP server to use for ntp collector
    #[arg(
        long = "collector.ntp.server",
        value_name = "ADDRESS",
        default_value = "127.0.0.1"
    )]
    pub ntp_server: String,
    /// UDP port number to connect to on NTP server
    #[arg(
        long = "collector.ntp.server-port",
        value_name = "PORT",
        default_value_t = 123
    )]
    pub ntp_server_port: i64,
    /// NTP protocol version
    #[arg(
        long = "collector.ntp.protocol-version",
        value_name = "N",
        default_value_t = 4
    )]
    pub ntp_protocol_version: i64,
    /// Certify that collector.ntp.server address is not a public ntp server
    #[arg(long = "collector.ntp.server-is-local")]
    pub ntp_server_is_local: bool,
    /// IP TTL to use while sending NTP query
    #[arg(long = "collector.ntp.ip-ttl", value_name = "TTL", default_value_t = 1)]
    pub ntp_ip_ttl: u32,
    /// Max accumulated distance to the root
    #[arg(
        long = "collector.ntp.max-distance",
        value_name = "DURATION",
        default_value = "3.46608s",
        value_parser = exporter_kit::duration::parse_go
    )]
    pub ntp_max_distance: Duration,
    /// Offset between local clock and local ntpd time to tolerate
    #[arg(
        long = "collector.ntp.local-offset-tolerance",
        value_name = "DURATION",
        default_value = "1ms",
        value_parser = exporter_kit::duration::parse_go
    )]
    pub ntp_offset_tolerance: Duration,
}

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_TO_UNIX: u64 = 2_208_988_800;
const NANOS: u64 = 1_000_000_000;
const DAY: i64 = 86_400;

/// A 64-bit NTP timestamp (32.32 fixed point seconds) -> nanoseconds,
/// rounded as beevik/ntp (upstream's client) rounds.
fn ntp_nanos(t: u64) -> u64 {
    let sec = (t >> 32) * NANOS;
    let frac = (t & 0xffff_ffff) * NANOS;
    let mut nsec = frac >> 32;
    if frac as u32 >= 0x8000_0000 {
        nsec += 1;
    }
    sec + nsec
}

/// A 32-bit NTP short (16.16) -> nanoseconds.
fn short_nanos(t: u32) -> i64 {
    let sec = u64::from(t >> 16) * NANOS;
    let frac = u64::from(t & 0xffff) * NANOS;
    let mut nsec = frac >> 16;
    if frac as u16 >= 0x8000 {
        nsec += 1;
    }
    (sec + nsec) as i64
}

/// Unix time -> NTP timestamp (era 0), rounded to the nearest fraction.
fn to_ntp(since_unix: Duration) -> u64 {
    let sec = since_unix.as_secs() + NTP_TO_UNIX;
    let nsec = u64::from(since_unix.subsec_nanos()) << 32;
    let mut frac = nsec / NANOS;
    if nsec % NANOS >= NANOS / 2 {
        frac += 1;
    }
    (sec << 32) | frac
}

/// An NTP timestamp as Unix nanoseconds: era 1 (2036+) when the raw value
/// would be before 1970, as the client library reads it.
fn unix_nanos(t: u64) -> i128 {
    const T1970: u64 = 0x83aa_7e80_0000_0000;
    let era = if t < T1970 { 1i128 << 32 } else { 0 };
    (era + i128::from(ntp_nanos(t) / NANOS) - i128::from(NTP_TO_UNIX)) * i128::from(NANOS)
        + i128::from(ntp_nanos(t) % NANOS)
}

/// Go's Duration.Seconds(): whole seconds plus the rest over 1e9.
fn seconds(nanos: i64) -> f64 {
    (nanos / NANOS as i64) as f64 + (nanos % NANOS as i64) as f64 / 1e9
}

/// The figures of one server reply, as beevik/ntp computes them.
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub leap: u8,
    pub stratum: u8,
    pub rtt_ns: i64,
    pub offset_ns: i64,
    pub root_delay_ns: i64,
    pub root_dispersion_ns: i64,
    pub min_error_ns: i64,
    /// Unix nanoseconds of the server's reference and transmit times.
    pub reference: i128,
    pub time: i128,
}

/// A 48-byte server reply to a query whose transmit timestamp was
/// `nonce`, sent at `org` and answered at `dst` (NTP timestamps).
pub fn parse_reply(b: &[u8], nonce: u64, org: u64, dst: u64) -> Result<Reply, String> {
    let b = b.get(..48).ok_or("short reply")?;
    let be64 = |i: usize| {
        u64::from_be_bytes([
            b[i],
            b[i + 1],
            b[i + 2],
            b[i + 3],
            b[i + 4],
            b[i + 5],
            b[i + 6],
            b[i + 7],
        ])
    };
    let be32 = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    if b[0] & 0x7 != 4 {
        return Err("invalid mode in response".into());
    }
    let (reference, origin, rec, xmt) = (be64(16), be64(24), be64(32), be64(40));
    if xmt == 0 {
        return Err("invalid transmit time in response".into());
    }
    if origin != nonce {
        return Err("server response didn't match request".into());
    }
    if rec > xmt {
        return Err("server clock ticked backwards".into());
    }
    let rtt = ((dst.wrapping_sub(org) as i64) - (xmt.wrapping_sub(rec) as i64)).max(0);
    let a = rec.wrapping_sub(org) as i64;
    let d = xmt.wrapping_sub(dst) as i64;
    let offset = a + (d - a) / 2;
    let offset_ns = if offset < 0 {
        -(ntp_nanos(offset.unsigned_abs()) as i64)
    } else {
        ntp_nanos(offset as u64) as i64
    };
    let e0 = org.saturating_sub(rec);
    let e1 = xmt.saturating_sub(dst);
    Ok(Reply {
        leap: b[0] >> 6,
        stratum: b[1],
        rtt_ns: ntp_nanos(rtt as u64) as i64,
        offset_ns,
        root_delay_ns: short_nanos(be32(4)),
        root_dispersion_ns: short_nanos(be32(8)),
        min_error_ns: ntp_nanos(e0.max(e1)) as i64,
        reference: unix_nanos(reference),
        time: unix_nanos(xmt),
    })
}

impl Reply {
    /// beevik/ntp's Validate(): a usable stratum, a fresh reference time,
    /// a root distance under 16 s, no time before the reference, in sync.
    fn valid(&self) -> bool {
        let max_poll = (1i128 << 17) * i128::from(NANOS);
        self.stratum != 0
            && self.stratum < 16
            && self.time - self.reference <= max_poll
            && self.root_delay_ns / 2 + self.root_dispersion_ns <= 16 * NANOS as i64
            && self.time >= self.reference
            && self.leap != 3
    }
}

pub struct Ntp {
    server: SocketAddr,
    version: u8,
    ttl: u32,
    max_distance: Duration,
    tolerance: Duration,
    /// Midnight (Unix seconds) after a leap second was announced: offsets
    /// near it are tolerated one more second (leap smearing).
    leap_midnight: Mutex<i64>,
    descs: [Desc; 8],
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.ntp;
    let ip: Option<IpAddr> = a.ntp_server.parse().ok();
    if !a.ntp_server_is_local && !ip.is_some_and(|ip| ip.is_loopback()) {
        return Err(BuildError::new(
            "only IP address of local NTP server is valid for --collector.ntp.server",
        ));
    }
    if !(2..=4).contains(&a.ntp_protocol_version) {
        return Err(BuildError::new(format!(
            "invalid NTP protocol version {}; must be 2, 3, or 4",
            a.ntp_protocol_version
        )));
    }
    let port = u16::try_from(a.ntp_server_port)
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| {
            BuildError::new(format!(
                "invalid NTP port number {}; must be between 1 and 65535 inclusive",
                a.ntp_server_port
            ))
        })?;
    let ip = ip.ok_or_else(|| {
        BuildError::new(format!(
            "--collector.ntp.server {:?} is not an IP address",
            a.ntp_server
        ))
    })?;
    tracing::warn!(
        "This collector is deprecated and will be removed in the next major version release."
    );
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_ntp_{n}"), h, &[]);
    Ok(AnyCollector::blocking(Ntp {
        server: SocketAddr::new(ip, port),
        version: a.ntp_protocol_version as u8,
        ttl: a.ntp_ip_ttl,
        max_distance: a.ntp_max_distance,
        tolerance: a.ntp_offset_tolerance,
        leap_midnight: Mutex::new(i64::MIN / 2),
        descs: [
            g("stratum", "NTPD stratum."),
            g("leap", "NTPD leap second indicator, 2 bits."),
            g("rtt_seconds", "RTT to NTPD."),
            g("offset_seconds", "ClockOffset between NTP and local clock."),
            g(
                "reference_timestamp_seconds",
                "NTPD ReferenceTime, UNIX timestamp.",
            ),
            g("root_delay_seconds", "NTPD RootDelay."),
            g("root_dispersion_seconds", "NTPD RootDispersion."),
            g(
                "sanity",
                "NTPD sanity according to RFC5905 heuristics and configured limits.",
            ),
        ],
    }))
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Ntp {
    fn query(&self) -> std::io::Result<(Vec<u8>, u64, u64, u64)> {
        let local: SocketAddr = if self.server.is_ipv4() {
            "0.0.0.0:0".parse().map_err(std::io::Error::other)?
        } else {
            "[::]:0".parse().map_err(std::io::Error::other)?
        };
        let socket = UdpSocket::bind(local)?;
        if self.server.is_ipv4() {
            socket.set_ttl(self.ttl)?;
        }
        socket.set_read_timeout(Some(Duration::from_secs(1)))?;
        socket.connect(self.server)?;
        // A random transmit timestamp, echoed back as the origin: a reply
        // to someone else's query is refused (as the client library does).
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let mut packet = [0u8; 48];
        packet[0] = (self.version << 3) | 3;
        packet[40..48].copy_from_slice(&nonce.to_be_bytes());
        let org = to_ntp(now());
        socket.send(&packet)?;
        let mut buf = [0u8; 1024];
        let n = socket.recv(&mut buf)?;
        let dst = to_ntp(now()).max(org);
        Ok((buf[..n].to_vec(), nonce, org, dst))
    }
}

impl Collector for Ntp {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let (bytes, nonce, org, dst) = self
            .query()
            .map_err(|e| CollectError::backend(format!("couldn't get SNTP reply: {e}")))?;
        let r = parse_reply(&bytes, nonce, org, dst)
            .map_err(|e| CollectError::backend(format!("couldn't get SNTP reply: {e}")))?;
        let reference = if r.reference / i128::from(NANOS) > 0 {
            r.reference as f64 / 1e9
        } else {
            0.0
        };
        let values = [
            f64::from(r.stratum),
            f64::from(r.leap),
            seconds(r.rtt_ns),
            seconds(r.offset_ns),
            reference,
            seconds(r.root_delay_ns),
            seconds(r.root_dispersion_ns),
        ];
        for (desc, v) in self.descs.iter().zip(values) {
            out.gauge(desc, &[], v);
        }
        let mut max_error = self.tolerance.as_nanos() as i64;
        {
            let mut midnight = self.leap_midnight.lock().unwrap_or_else(|p| p.into_inner());
            let time_s = (r.time / i128::from(NANOS)) as i64;
            if r.leap == 1 || r.leap == 2 {
                *midnight = time_s.div_euclid(DAY) * DAY + DAY;
            }
            if *midnight - DAY < time_s && time_s < *midnight + DAY {
                max_error += NANOS as i64;
            }
        }
        let root_distance = (r.rtt_ns + r.root_delay_ns) / 2 + r.root_dispersion_ns;
        let sane = r.valid()
            && root_distance <= self.max_distance.as_nanos() as i64
            && r.min_error_ns <= max_error;
        out.gauge(&self.descs[7], &[], if sane { 1.0 } else { 0.0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_conversions() {
        // 1.5 s in 32.32 and in 16.16
        assert_eq!(ntp_nanos((1 << 32) | 0x8000_0000), 1_500_000_000);
        assert_eq!(short_nanos(0x0001_8000), 1_500_000_000);
        // 1970-01-01 is 2208988800 s after 1900.
        assert_eq!(unix_nanos(NTP_TO_UNIX << 32), 0);
        assert_eq!(
            to_ntp(Duration::from_millis(500)),
            (NTP_TO_UNIX << 32) | 0x8000_0000
        );
        assert_eq!(seconds(-1_500_000_000), -1.5);
    }
}
