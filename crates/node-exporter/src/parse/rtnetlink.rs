//! RTM_NEWROUTE messages (struct rtmsg + attributes) as network_route
//! reports them.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::netlink::attributes;

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_MULTIPATH: u16 = 9;
const RTN_UNICAST: u8 = 1;

/// One route, or one next hop of a multipath route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub ifindex: u32,
    pub src: String,
    pub dest: String,
    pub gw: String,
    pub priority: u32,
    pub proto: &'static str,
    /// Next-hop weight (hops + 1) for multipath routes, empty otherwise.
    pub weight: String,
}

fn ip(family: u8, data: &[u8]) -> String {
    match (family, data.len()) {
        (2, 4) => Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_string(),
        (10, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(data);
            Ipv6Addr::from(b).to_string()
        }
        _ => String::new(),
    }
}

fn u32_of(data: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(data.get(..4)?.try_into().ok()?))
}

/// The kernel's route protocol names (include/uapi/linux/rtnetlink.h).
pub fn protocol_name(p: u8) -> &'static str {
    match p {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        17 => "mrouted",
        42 => "babel",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => "unknown",
    }
}

/// The unicast routes of one RTM_NEWROUTE payload (none for other types
/// or a short message).
pub fn parse_route(payload: &[u8]) -> Vec<Route> {
    if payload.len() < 12 {
        return Vec::new();
    }
    let family = payload[0];
    let dst_len = payload[1];
    let protocol = payload[5];
    let kind = payload[7];
    if kind != RTN_UNICAST {
        return Vec::new();
    }
    let attrs = attributes(&payload[12..]);
    let get = |t: u16| attrs.iter().find(|(k, _)| *k == t).map(|(_, d)| *d);
    let dest = if dst_len == 0 {
        "default".to_string()
    } else {
        format!("{}/{}", ip(family, get(RTA_DST).unwrap_or(&[])), dst_len)
    };
    let src = get(RTA_PREFSRC).map(|d| ip(family, d)).unwrap_or_default();
    let priority = get(RTA_PRIORITY).and_then(u32_of).unwrap_or(0);
    let proto = protocol_name(protocol);
    if let Some(mut mp) = get(RTA_MULTIPATH) {
        let mut out = Vec::new();
        // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } + attributes
        while mp.len() >= 8 {
            let len = u16::from_ne_bytes([mp[0], mp[1]]) as usize;
            if len < 8 || len > mp.len() {
                break;
            }
            let hops = mp[3];
            let ifindex = u32_of(&mp[4..8]).unwrap_or(0);
            let gw = attributes(&mp[8..len])
                .into_iter()
                .find(|(k, _)| *k == RTA_GATEWAY)
                .map(|(_, d)| ip(family, d))
                .unwrap_or_default();
            out.push(Route {
                ifindex,
                src: src.clone(),
                dest: dest.clone(),
                gw,
                priority,
                proto,
                weight: (u32::from(hops) + 1).to_string(),
            });
            let next = crate::netlink::align(len).min(mp.len());
            mp = &mp[next..];
        }
        return out;
    }
    vec![Route {
        ifindex: get(RTA_OIF).and_then(u32_of).unwrap_or(0),
        src,
        dest,
        gw: get(RTA_GATEWAY).map(|d| ip(family, d)).unwrap_or_default(),
        priority,
        proto,
        weight: String::new(),
    }]
}

/// RTM_GETLINK: the request that dumps every link as RTM_NEWLINK.
pub const RTM_GETLINK: u16 = 18;
const IFLA_IFNAME: u16 = 3;
const IFLA_PROP_LIST: u16 = 52;
const IFLA_ALT_IFNAME: u16 = 53;
/// NLA_F_NESTED and NLA_F_NET_BYTEORDER ride in the attribute type.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// A NUL-terminated string attribute.
fn c_string(d: &[u8]) -> String {
    let end = d.iter().position(|b| *b == 0).unwrap_or(d.len());
    String::from_utf8_lossy(&d[..end]).into_owned()
}

/// An RTM_NEWLINK message (struct ifinfomsg, 16 bytes, + attributes): the
/// interface name and its alternative names (`ip link property add ...
/// altname`, or the ones systemd-udev assigns). `None` without a name.
pub fn parse_link_altnames(payload: &[u8]) -> Option<(String, Vec<String>)> {
    let attrs = attributes(payload.get(16..)?);
    let name = attrs
        .iter()
        .find(|(k, _)| k & NLA_TYPE_MASK == IFLA_IFNAME)
        .map(|(_, d)| c_string(d))?;
    let alt = attrs
        .iter()
        .filter(|(k, _)| k & NLA_TYPE_MASK == IFLA_PROP_LIST)
        .flat_map(|(_, d)| attributes(d))
        .filter(|(k, _)| k & NLA_TYPE_MASK == IFLA_ALT_IFNAME)
        .map(|(_, d)| c_string(d))
        .collect();
    Some((name, alt))
}

const IFLA_STATS: u16 = 7;
const IFLA_STATS64: u16 = 23;

/// The 24 counters of struct rtnl_link_stats64 (and of the older 32-bit
/// struct rtnl_link_stats), in the kernel's order: rx_packets, tx_packets,
/// rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped,
/// multicast, collisions, rx_length_errors, rx_over_errors, rx_crc_errors,
/// rx_frame_errors, rx_fifo_errors, rx_missed_errors, tx_aborted_errors,
/// tx_carrier_errors, tx_fifo_errors, tx_heartbeat_errors,
/// tx_window_errors, rx_compressed, tx_compressed, rx_nohandler.
pub type LinkStats = [u64; 24];

/// An RTM_NEWLINK message: the interface name and its statistics, from
/// IFLA_STATS64 or, when the kernel sends only that, IFLA_STATS. `None`
/// without a name; no statistics when the link has neither attribute.
pub fn parse_link_stats(payload: &[u8]) -> Option<(String, Option<LinkStats>)> {
    let attrs = attributes(payload.get(16..)?);
    let name = attrs
        .iter()
        .find(|(k, _)| k & NLA_TYPE_MASK == IFLA_IFNAME)
        .map(|(_, d)| c_string(d))?;
    let read = |kind: u16, width: usize| -> Option<LinkStats> {
        let (_, d) = attrs.iter().find(|(k, _)| k & NLA_TYPE_MASK == kind)?;
        let mut stats = [0u64; 24];
        for (i, v) in stats.iter_mut().enumerate() {
            // A shorter struct from an older kernel leaves the later
            // counters (rx_nohandler) at zero, as upstream's decoder does.
            let Some(b) = d.get(i * width..(i + 1) * width) else {
                break;
            };
            *v = if width == 8 {
                u64::from_ne_bytes(b.try_into().ok()?)
            } else {
                u64::from(u32::from_ne_bytes(b.try_into().ok()?))
            };
        }
        Some(stats)
    };
    let stats = read(IFLA_STATS64, 8).or_else(|| read(IFLA_STATS, 4));
    Some((name, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::netlink::attribute as attr;

    #[test]
    fn link_statistics_64_bit_preferred_over_32_bit() {
        let mut msg = vec![0u8; 16];
        msg.extend(attr(IFLA_IFNAME, b"eth0\0"));
        let stats32: Vec<u8> = (1..=24u32).flat_map(|v| (v * 10).to_ne_bytes()).collect();
        msg.extend(attr(IFLA_STATS, &stats32));
        let (name, stats) = parse_link_stats(&msg).expect("parses");
        assert_eq!(name, "eth0");
        let stats = stats.expect("32-bit statistics");
        assert_eq!((stats[0], stats[6], stats[23]), (10, 70, 240));
        let stats64: Vec<u8> = (1..=24u64)
            .flat_map(|v| (v + (1 << 40)).to_ne_bytes())
            .collect();
        msg.extend(attr(IFLA_STATS64, &stats64));
        let (_, stats) = parse_link_stats(&msg).expect("parses");
        assert_eq!(stats.expect("64-bit statistics")[2], 3 + (1 << 40));
        let mut bare = vec![0u8; 16];
        bare.extend(attr(IFLA_IFNAME, b"lo\0"));
        assert_eq!(parse_link_stats(&bare), Some(("lo".to_string(), None)));
        assert_eq!(parse_link_stats(&[0u8; 16]), None, "no name");
    }

    #[test]
    fn default_and_connected_routes() {
        // AF_INET, dst_len 0, table main, proto boot, scope universe, unicast
        let mut msg = vec![2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
        msg.extend(attr(RTA_GATEWAY, &[192, 0, 2, 1]));
        msg.extend(attr(RTA_OIF, &2u32.to_ne_bytes()));
        let r = parse_route(&msg);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (
                r[0].dest.as_str(),
                r[0].gw.as_str(),
                r[0].proto,
                r[0].ifindex
            ),
            ("default", "192.0.2.1", "boot", 2)
        );

        let mut msg = vec![2, 24, 0, 0, 254, 2, 253, 1, 0, 0, 0, 0];
        msg.extend(attr(RTA_DST, &[192, 0, 2, 0]));
        msg.extend(attr(RTA_PREFSRC, &[192, 0, 2, 2]));
        msg.extend(attr(RTA_PRIORITY, &100u32.to_ne_bytes()));
        let r = parse_route(&msg);
        assert_eq!(
            (r[0].dest.as_str(), r[0].src.as_str(), r[0].priority),
            ("192.0.2.0/24", "192.0.2.2", 100)
        );

        // local (type 2) routes are not reported; short messages neither
        assert!(parse_route(&[2, 32, 0, 0, 255, 2, 254, 2, 0, 0, 0, 0]).is_empty());
        assert!(parse_route(&[2, 32]).is_empty());
    }

    #[test]
    fn multipath_next_hops() {
        let mut msg = vec![2, 0, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0];
        let mut mp = Vec::new();
        for (hops, ifindex, gw) in [(0u8, 2u32, [10, 0, 0, 1]), (4, 3, [10, 0, 0, 2])] {
            let a = attr(RTA_GATEWAY, &gw);
            mp.extend_from_slice(&((8 + a.len()) as u16).to_ne_bytes());
            mp.push(0);
            mp.push(hops);
            mp.extend_from_slice(&ifindex.to_ne_bytes());
            mp.extend(a);
        }
        msg.extend(attr(RTA_MULTIPATH, &mp));
        let r = parse_route(&msg);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[1].gw.as_str(), r[1].weight.as_str(), r[1].ifindex),
            ("10.0.0.2", "5", 3)
        );
    }

    #[test]
    fn link_names_and_altnames() {
        let mut props = attr(IFLA_ALT_IFNAME, b"enp0s31f6\0");
        props.extend(attr(IFLA_ALT_IFNAME, b"uplink\0"));
        let mut msg = vec![0u8; 16];
        msg.extend(attr(IFLA_IFNAME, b"eth0\0"));
        msg.extend(attr(IFLA_PROP_LIST | 0x8000, &props));
        assert_eq!(
            parse_link_altnames(&msg),
            Some((
                "eth0".to_string(),
                vec!["enp0s31f6".to_string(), "uplink".to_string()]
            ))
        );
        let mut bare = vec![0u8; 16];
        bare.extend(attr(IFLA_IFNAME, b"lo\0"));
        assert_eq!(parse_link_altnames(&bare), Some(("lo".to_string(), vec![])));
        assert_eq!(parse_link_altnames(&[0u8; 8]), None);
        assert_eq!(parse_link_altnames(&[0u8; 16]), None);
    }
}
