//! The icmp prober: echo request(s) over a raw ICMP socket (as root) or an
//! unprivileged ping (datagram) socket. Beyond upstream: `packets: N`
//! sends N echo requests per probe (smokeping-style) and reports loss and
//! RTT min/avg/max/stddev.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use exporter_kit::{Desc, Emitter};
use rustix::net::sockopt::{Ipv4PathMtuDiscovery, Ipv6PathMtuDiscovery};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::{ProbeCtx, ProbeLog, Resolution, resolve, secs};
use crate::config::IcmpProbe;

struct Descs {
    duration: Desc,
    hop_limit: Desc,
    sent: Desc,
    received: Desc,
    loss: Desc,
    rtt: Desc,
}

static D: LazyLock<Descs> = LazyLock::new(|| Descs {
    duration: Desc::gauge(
        "probe_icmp_duration_seconds",
        "Duration of icmp request by phase",
        &["phase"],
    ),
    hop_limit: Desc::gauge(
        "probe_icmp_reply_hop_limit",
        "Replied packet hop limit (TTL for ipv4)",
        &[],
    ),
    sent: Desc::gauge(
        "probe_icmp_packets_sent",
        "Echo requests sent by this probe (module option packets)",
        &[],
    ),
    received: Desc::gauge(
        "probe_icmp_packets_received",
        "Echo replies received by this probe",
        &[],
    ),
    loss: Desc::gauge(
        "probe_icmp_packet_loss_ratio",
        "Share of echo requests of this probe without a reply (0..1)",
        &[],
    ),
    rtt: Desc::gauge(
        "probe_icmp_rtt_seconds",
        "Round-trip time statistics over the replies of this probe",
        &["stat"],
    ),
});

#[derive(Debug, Default)]
pub struct IcmpMetrics {
    pub resolution: Resolution,
    pub resolve: f64,
    pub setup: f64,
    pub rtt: f64,
    pub hop_limit: Option<f64>,
    /// Set when the module asks for more than one packet.
    pub multi: Option<Multi>,
}

#[derive(Debug, Default, Clone)]
pub struct Multi {
    pub sent: u32,
    pub rtts: Vec<f64>,
}

impl IcmpMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        for (p, v) in [
            ("resolve", self.resolve),
            ("setup", self.setup),
            ("rtt", self.rtt),
        ] {
            out.gauge(&D.duration, &[p], v);
        }
        if let Some(h) = self.hop_limit {
            out.gauge(&D.hop_limit, &[], h);
        }
        if let Some(m) = &self.multi {
            out.gauge(&D.sent, &[], f64::from(m.sent));
            out.gauge(&D.received, &[], m.rtts.len() as f64);
            let loss = if m.sent == 0 {
                1.0
            } else {
                1.0 - m.rtts.len() as f64 / f64::from(m.sent)
            };
            out.gauge(&D.loss, &[], loss);
            if !m.rtts.is_empty() {
                let n = m.rtts.len() as f64;
                let min = m.rtts.iter().copied().fold(f64::INFINITY, f64::min);
                let max = m.rtts.iter().copied().fold(0.0, f64::max);
                let avg = m.rtts.iter().sum::<f64>() / n;
                let var = m.rtts.iter().map(|r| (r - avg) * (r - avg)).sum::<f64>() / n;
                for (s, v) in [
                    ("min", min),
                    ("avg", avg),
                    ("max", max),
                    ("stddev", var.sqrt()),
                ] {
                    out.gauge(&D.rtt, &[s], v);
                }
            }
        }
    }
}

static SEQ: AtomicU16 = AtomicU16::new(1);

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = if chunk.len() == 2 {
            u16::from_be_bytes([chunk[0], chunk[1]])
        } else {
            u16::from(chunk[0]) << 8
        };
        sum += u32::from(word);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn echo_request(v6: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// The ICMP socket driven through tokio's datagram socket type: sendto and
/// recvfrom are all the prober needs, and they work on raw and ping sockets.
struct Sock {
    fd: tokio::net::UdpSocket,
    raw: bool,
}

fn open(ip: IpAddr, module: &IcmpProbe) -> Result<Sock, String> {
    let (domain, proto) = if ip.is_ipv4() {
        (Domain::IPV4, Protocol::ICMPV4)
    } else {
        (Domain::IPV6, Protocol::ICMPV6)
    };
    let (socket, raw) = match Socket::new(domain, Type::RAW, Some(proto)) {
        Ok(s) => (s, true),
        Err(raw_err) => match Socket::new(domain, Type::DGRAM, Some(proto)) {
            Ok(s) => (s, false),
            Err(e) => {
                return Err(format!(
                    "Error listening to socket err=\"raw: {raw_err}; unprivileged: {e}\""
                ));
            }
        },
    };
    if !module.source_ip_address.is_empty() {
        let src: IpAddr = module
            .source_ip_address
            .parse()
            .map_err(|_| format!("invalid source_ip_address {:?}", module.source_ip_address))?;
        socket
            .bind(&SockAddr::from(SocketAddr::new(src, 0)))
            .map_err(|e| format!("cannot bind {src}: {e}"))?;
    }
    let ttl = module.ttl as u32;
    if ip.is_ipv4() {
        socket
            .set_ttl_v4(ttl)
            .map_err(|e| format!("cannot set TTL: {e}"))?;
    } else {
        socket
            .set_unicast_hops_v6(ttl)
            .map_err(|e| format!("cannot set hop limit: {e}"))?;
    }
    if module.dont_fragment {
        // The kernel then sets DF on every packet (IPv4) and never
        // fragments locally: an echo larger than the path MTU fails
        // instead of arriving in pieces.
        if ip.is_ipv4() {
            rustix::net::sockopt::set_ip_mtu_discover(&socket, Ipv4PathMtuDiscovery::DO)
        } else {
            rustix::net::sockopt::set_ipv6_mtu_discover(&socket, Ipv6PathMtuDiscovery::DO)
        }
        .map_err(|e| format!("cannot set dont_fragment: {e}"))?;
    }
    socket.set_nonblocking(true).map_err(|e| e.to_string())?;
    let fd = tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(socket))
        .map_err(|e| e.to_string())?;
    Ok(Sock { fd, raw })
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &IcmpProbe,
    m: &mut IcmpMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    let ip = resolve(
        target,
        &module.preferred_ip_protocol,
        module.ip_protocol_fallback,
        ctx.policy,
        &mut m.resolution,
        log,
    )
    .await?;
    m.resolve = m.resolution.lookup_seconds;
    let t = Instant::now();
    let sock = open(ip, module)?;
    m.setup = secs(t.elapsed());
    let mut payload = vec![0u8; module.payload_size];
    let text = b"Prometheus Blackbox Exporter";
    if payload.is_empty() {
        payload = text.to_vec();
    } else {
        let n = payload.len().min(text.len());
        payload[..n].copy_from_slice(&text[..n]);
    }
    let id = (std::process::id() & 0xffff) as u16;
    let packets = module.packets.max(1);
    let interval = module
        .interval
        .map(|d| d.0)
        .unwrap_or(Duration::from_secs(1));
    let dest = SocketAddr::new(ip, 0);
    if packets > 1 {
        m.multi = Some(Multi::default());
    }
    let mut any = false;
    for k in 0..packets {
        if k > 0 {
            let wait = interval.min(
                ctx.deadline
                    .saturating_duration_since(tokio::time::Instant::now())
                    / (packets - k + 1),
            );
            tokio::time::sleep(wait).await;
        }
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let request = echo_request(ip.is_ipv6(), id, seq, &payload);
        log.debug(format!("Creating ICMP packet seq={seq} id={id}"));
        let sent_at = Instant::now();
        sock.fd
            .send_to(&request, dest)
            .await
            .map_err(|e| format!("Error writing to socket err={e}"))?;
        if let Some(multi) = &mut m.multi {
            multi.sent += 1;
        }
        // The last packet may use what is left of the deadline; earlier
        // ones wait at most until the next is due (plus a second).
        let wait_until = if k + 1 == packets {
            ctx.deadline
        } else {
            tokio::time::Instant::now() + interval + Duration::from_secs(1)
        };
        match tokio::time::timeout_at(
            wait_until.min(ctx.deadline),
            wait_reply(&sock, ip, id, seq, &payload),
        )
        .await
        {
            Ok(Ok(hop)) => {
                let rtt = secs(sent_at.elapsed());
                any = true;
                m.rtt = rtt;
                if hop.is_some() {
                    m.hop_limit = hop;
                }
                if let Some(multi) = &mut m.multi {
                    multi.rtts.push(rtt);
                }
                log.debug(format!(
                    "Found matching reply packet seq={seq} rtt_seconds={rtt}"
                ));
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => log.debug(format!("No reply before the deadline seq={seq}")),
        }
    }
    if let Some(multi) = &m.multi
        && !multi.rtts.is_empty()
    {
        m.rtt = multi.rtts.iter().sum::<f64>() / multi.rtts.len() as f64;
    }
    Ok(any)
}

/// Waits for the echo reply to (id, seq) from `ip`; returns the reply's
/// TTL when the socket shows the IP header (raw IPv4).
async fn wait_reply(
    sock: &Sock,
    ip: IpAddr,
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Result<Option<f64>, String> {
    let mut buf = vec![0u8; 65536];
    loop {
        let n = sock
            .fd
            .recv(&mut buf)
            .await
            .map_err(|e| format!("Error reading from socket err={e}"))?;
        let pkt = &buf[..n];
        // raw IPv4 sockets deliver the IP header; everything else does not
        let (icmp, ttl, src) = if ip.is_ipv4() && sock.raw {
            if pkt.len() < 20 {
                continue;
            }
            let ihl = usize::from(pkt[0] & 0x0f) * 4;
            let src = IpAddr::from([pkt[12], pkt[13], pkt[14], pkt[15]]);
            match pkt.get(ihl..) {
                Some(rest) => (rest, Some(f64::from(pkt[8])), Some(src)),
                None => continue,
            }
        } else {
            (pkt, None, None)
        };
        if icmp.len() < 8 {
            continue;
        }
        let reply_type = if ip.is_ipv4() { 0 } else { 129 };
        let rid = u16::from_be_bytes([icmp[4], icmp[5]]);
        let rseq = u16::from_be_bytes([icmp[6], icmp[7]]);
        // datagram sockets rewrite the id to their port
        if icmp[0] != reply_type || rseq != seq || (sock.raw && rid != id) || &icmp[8..] != payload
        {
            continue;
        }
        if let Some(src) = src
            && src != ip
        {
            continue;
        }
        return Ok(ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dont_fragment_sets_path_mtu_discovery_on_the_socket() {
        let mut module: IcmpProbe = serde_norway::from_str("{}").expect("defaults");
        let plain = open("127.0.0.1".parse().expect("ip"), &module).expect("socket");
        assert_ne!(
            rustix::net::sockopt::ip_mtu_discover(&plain.fd).expect("getsockopt"),
            Ipv4PathMtuDiscovery::DO
        );
        module.dont_fragment = true;
        let v4 = open("127.0.0.1".parse().expect("ip"), &module).expect("socket");
        assert_eq!(
            rustix::net::sockopt::ip_mtu_discover(&v4.fd).expect("getsockopt"),
            Ipv4PathMtuDiscovery::DO
        );
        let v6 = open("::1".parse().expect("ip"), &module).expect("socket");
        assert_eq!(
            rustix::net::sockopt::ipv6_mtu_discover(&v6.fd).expect("getsockopt"),
            Ipv6PathMtuDiscovery::DO
        );
    }

    #[test]
    fn loss_and_rtt_statistics() {
        let m = IcmpMetrics {
            multi: Some(Multi {
                sent: 4,
                rtts: vec![0.001, 0.003],
            }),
            ..IcmpMetrics::default()
        };
        let mut out = Emitter::new();
        m.emit(&mut out);
        let mut text = Vec::new();
        exporter_kit::encode::encode_text(
            &exporter_kit::runner::merge(out.into_families()),
            &mut text,
        );
        let text = String::from_utf8_lossy(&text);
        for line in [
            "probe_icmp_packets_sent 4",
            "probe_icmp_packets_received 2",
            "probe_icmp_packet_loss_ratio 0.5",
            "probe_icmp_rtt_seconds{stat=\"min\"} 0.001",
            "probe_icmp_rtt_seconds{stat=\"max\"} 0.003",
            "probe_icmp_rtt_seconds{stat=\"avg\"} 0.002",
            "probe_icmp_rtt_seconds{stat=\"stddev\"} 0.001",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert_eq!(checksum(&[0x08, 0, 0, 0, 0, 1, 0, 1]), !0x0802u16);
    }
}
