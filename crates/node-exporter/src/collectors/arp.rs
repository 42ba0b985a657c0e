//! node_arp_entries{device}: the IPv4 neighbour entries of each device, by
//! default from an rtnetlink RTM_GETNEIGH dump (as node_exporter 1.12),
//! with --no-collector.arp.netlink from /proc/net/arp.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::arp;
use crate::sysfs::Filter;

#[derive(clap::Args, Debug, Clone)]
pub struct ArpArgs {
    /// Regexp of arp devices to include (mutually exclusive to device-exclude).
    #[arg(long = "collector.arp.device-include", value_name = "REGEX")]
    pub arp_device_include: Option<String>,
    /// Regexp of arp devices to exclude (mutually exclusive to device-include).
    #[arg(long = "collector.arp.device-exclude", value_name = "REGEX")]
    pub arp_device_exclude: Option<String>,
    /// Use netlink to gather stats instead of /proc/net/arp (default;
    /// `--no-collector.arp.netlink` reads /proc/net/arp).
    #[arg(long = "collector.arp.netlink", default_value_t = true)]
    pub arp_netlink: bool,
}

pub struct Arp {
    netlink: bool,
    path: PathBuf,
    filter: Filter,
    entries: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Arp {
        netlink: args.arp.arp_netlink,
        path: args.proc("net/arp"),
        filter: Filter::exclusive(
            "collector.arp.device",
            args.arp.arp_device_include.as_deref(),
            args.arp.arp_device_exclude.as_deref(),
        )?,
        entries: Desc::gauge("node_arp_entries", "ARP entries by device.", &["device"]),
    }))
}

const RTM_NEWNEIGH: u16 = 28;
const RTM_GETNEIGH: u16 = 30;
const AF_INET: u8 = 2;
/// A static "no ARP needed" entry: /proc/net/arp does not list these.
const NUD_NOARP: u16 = 0x40;

/// An RTM_NEWNEIGH payload (struct ndmsg: family u8, 3 pad bytes, ifindex
/// i32, state u16, flags u8, type u8) -> the interface index of an IPv4
/// entry that /proc/net/arp would list.
pub fn neighbour_ifindex(payload: &[u8]) -> Option<u32> {
    let header = payload.get(..12)?;
    let ifindex = u32::from_ne_bytes(header[4..8].try_into().ok()?);
    let state = u16::from_ne_bytes(header[8..10].try_into().ok()?);
    (header[0] == AF_INET && state & NUD_NOARP == 0).then_some(ifindex)
}

/// Entries per device from the kernel's IPv4 neighbour table.
fn netlink_entries() -> Result<Vec<(String, f64)>, CollectError> {
    let mut request = [0u8; 12];
    request[0] = AF_INET;
    let messages = crate::netlink::dump(
        libc::NETLINK_ROUTE,
        RTM_GETNEIGH,
        &request,
        std::time::Duration::from_secs(5),
    )
    .map_err(|e| CollectError::backend(format!("could not get ARP entries: {e}")))?;
    let mut counts: Vec<(String, f64)> = Vec::new();
    for index in messages
        .iter()
        .filter(|m| m.kind == RTM_NEWNEIGH)
        .filter_map(|m| neighbour_ifindex(&m.payload))
    {
        let Some(name) = crate::netlink::interface_name(index) else {
            continue;
        };
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1.0,
            None => counts.push((name, 1.0)),
        }
    }
    Ok(counts)
}

impl Collector for Arp {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = if self.netlink {
            netlink_entries()?
        } else {
            arp::parse(&crate::sysfs::read_source(&self.path)?).logged("arp")
        };
        for (dev, n) in entries {
            if !self.filter.ignored(&dev) {
                out.gauge(&self.entries, &[&dev], n);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::neighbour_ifindex;

    fn ndmsg(family: u8, ifindex: u32, state: u16) -> Vec<u8> {
        let mut m = vec![family, 0, 0, 0];
        m.extend_from_slice(&ifindex.to_ne_bytes());
        m.extend_from_slice(&state.to_ne_bytes());
        m.extend_from_slice(&[0, 1]);
        m
    }

    #[test]
    fn ipv4_entries_except_noarp() {
        // NUD_REACHABLE (0x02) counts; NUD_NOARP (0x40) and IPv6 (10) do not.
        assert_eq!(neighbour_ifindex(&ndmsg(2, 3, 0x02)), Some(3));
        assert_eq!(neighbour_ifindex(&ndmsg(2, 3, 0x40)), None);
        assert_eq!(neighbour_ifindex(&ndmsg(10, 3, 0x02)), None);
        assert_eq!(neighbour_ifindex(&ndmsg(2, 3, 0x02)[..8]), None);
    }
}
