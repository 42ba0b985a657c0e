//! node_network_{receive,transmit}_*_total from /proc/net/dev, plus
//! receive_nohandler from sysfs (the counter upstream gets over netlink).

use std::net::IpAddr;
use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::netdev::{self, RECEIVE, TRANSMIT};
use crate::sysfs::Filter;

#[derive(clap::Args, Debug, Clone)]
pub struct NetdevArgs {
    /// Regexp of net devices to include (mutually exclusive to device-exclude).
    #[arg(
        long = "collector.netdev.device-include",
        alias = "collector.netdev.device-whitelist",
        value_name = "REGEX"
    )]
    pub netdev_device_include: Option<String>,
    /// Regexp of net devices to exclude (mutually exclusive to device-include).
    #[arg(
        long = "collector.netdev.device-exclude",
        alias = "collector.netdev.device-blacklist",
        value_name = "REGEX"
    )]
    pub netdev_device_exclude: Option<String>,
    /// Use (incompatible) metric names that provide more detailed stats on Linux.
    #[arg(long = "collector.netdev.enable-detailed-metrics")]
    pub netdev_detailed: bool,
    /// Collect address-info for every device.
    #[arg(long = "collector.netdev.address-info")]
    pub netdev_address_info: bool,
    /// Add ifAlias label.
    #[arg(long = "collector.netdev.label-ifalias")]
    pub netdev_label_ifalias: bool,
    /// Accepted for compatibility: statistics always come from /proc/net/dev and sysfs.
    #[arg(long = "collector.netdev.netlink", hide = true)]
    pub netdev_netlink: bool,
}

/// Detailed names (as upstream's netlink keys) and their sysfs statistics files.
const DETAILED: [(&str, &str); 24] = [
    ("receive_packets", "rx_packets"),
    ("transmit_packets", "tx_packets"),
    ("receive_bytes", "rx_bytes"),
    ("transmit_bytes", "tx_bytes"),
    ("receive_errors", "rx_errors"),
    ("transmit_errors", "tx_errors"),
    ("receive_dropped", "rx_dropped"),
    ("transmit_dropped", "tx_dropped"),
    ("multicast", "multicast"),
    ("collisions", "collisions"),
    ("receive_length_errors", "rx_length_errors"),
    ("receive_over_errors", "rx_over_errors"),
    ("receive_crc_errors", "rx_crc_errors"),
    ("receive_frame_errors", "rx_frame_errors"),
    ("receive_fifo_errors", "rx_fifo_errors"),
    ("receive_missed_errors", "rx_missed_errors"),
    ("transmit_aborted_errors", "tx_aborted_errors"),
    ("transmit_carrier_errors", "tx_carrier_errors"),
    ("transmit_fifo_errors", "tx_fifo_errors"),
    ("transmit_heartbeat_errors", "tx_heartbeat_errors"),
    ("transmit_window_errors", "tx_window_errors"),
    ("receive_compressed", "rx_compressed"),
    ("transmit_compressed", "tx_compressed"),
    ("receive_nohandler", "rx_nohandler"),
];

pub struct Netdev {
    path: PathBuf,
    detailed: Option<Vec<(Desc, &'static str)>>,
    sys_net: PathBuf,
    filter: Filter,
    receive: Vec<Desc>,
    transmit: Vec<Desc>,
    nohandler: Desc,
    /// `--collector.netdev.label-ifalias`: series also carry `ifalias`.
    label_ifalias: bool,
    /// `--collector.netdev.address-info`: node_network_address_info.
    address_info: Option<Desc>,
}

/// Go's classification of an interface address for the `scope` label of
/// node_network_address_info (net.IP's IsLoopback, IsLinkLocalUnicast, ...).
pub fn address_scope(ip: IpAddr) -> &'static str {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let link_local_multicast = o[0] == 224 && o[1] == 0 && o[2] == 0;
            if v4.is_loopback() || v4.is_link_local() || link_local_multicast {
                "link-local"
            } else if v4.is_broadcast() || v4.is_unspecified() || v4.is_multicast() {
                ""
            } else {
                "global"
            }
        }
        IpAddr::V6(v6) => {
            let seg0 = v6.segments()[0];
            let link_local_unicast = seg0 & 0xffc0 == 0xfe80;
            let multicast_scope = (seg0 >> 8 == 0xff).then_some(seg0 & 0x000f);
            if v6.is_loopback() || link_local_unicast || multicast_scope == Some(2) {
                "link-local"
            } else if multicast_scope == Some(1) {
                "interface-local"
            } else if v6.is_unspecified() || multicast_scope.is_some() {
                ""
            } else {
                "global"
            }
        }
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.netdev;
    let labels: &[&str] = if a.netdev_label_ifalias {
        &["device", "ifalias"]
    } else {
        &["device"]
    };
    let desc = |dir: &str, what: &str| {
        Desc::counter(
            &format!("node_network_{dir}_{what}_total"),
            &format!("Network device statistic {dir}_{what}."),
            labels,
        )
    };
    Ok(AnyCollector::blocking(Netdev {
        path: args.proc("net/dev"),
        detailed: a.netdev_detailed.then(|| {
            DETAILED
                .iter()
                .map(|(name, file)| {
                    (
                        Desc::counter(
                            &format!("node_network_{name}_total"),
                            &format!("Network device statistic {name}."),
                            &["device"],
                        ),
                        *file,
                    )
                })
                .collect()
        }),
        sys_net: args.sys("class/net"),
        filter: Filter::exclusive(
            "collector.netdev.device",
            a.netdev_device_include.as_deref(),
            a.netdev_device_exclude.as_deref(),
        )?,
        receive: RECEIVE.iter().map(|w| desc("receive", w)).collect(),
        transmit: TRANSMIT.iter().map(|w| desc("transmit", w)).collect(),
        nohandler: desc("receive", "nohandler"),
        label_ifalias: a.netdev_label_ifalias,
        address_info: a.netdev_address_info.then(|| {
            Desc::gauge(
                "node_network_address_info",
                "node network address by device",
                &["device", "address", "netmask", "scope"],
            )
        }),
    }))
}

impl Collector for Netdev {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let ifaces = netdev::parse(&text).logged("net/dev");
        for i in ifaces.iter().filter(|i| !self.filter.ignored(i.name)) {
            // With --collector.netdev.label-ifalias: sysfs ifalias, "" when unset.
            let alias;
            let dev: &[&str] = if self.label_ifalias {
                alias = std::fs::read_to_string(self.sys_net.join(i.name).join("ifalias"))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default();
                &[i.name, alias.as_str()]
            } else {
                &[i.name]
            };
            if let Some(detailed) = &self.detailed {
                let stats = self.sys_net.join(i.name).join("statistics");
                for (desc, file) in detailed {
                    if let Some(v) = crate::sysfs::read_string(&stats.join(file))
                        .ok()
                        .and_then(|s| s.trim().parse::<f64>().ok())
                    {
                        out.counter(desc, dev, v);
                    }
                }
                continue;
            }
            for (d, v) in self.receive.iter().zip(i.receive) {
                out.counter(d, dev, v);
            }
            for (d, v) in self.transmit.iter().zip(i.transmit) {
                out.counter(d, dev, v);
            }
            let nohandler = crate::sysfs::read_string(&crate::sysfs::join2(
                &self.sys_net,
                i.name,
                "statistics/rx_nohandler",
            ))
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok());
            if let Some(v) = nohandler {
                out.counter(&self.nohandler, dev, v);
            }
        }
        if let Some(desc) = &self.address_info {
            // Every interface of the exporter's namespace, whatever the
            // device filter, as upstream; a failure costs only this family.
            match crate::sys::interface_addresses() {
                Ok(addrs) => {
                    for a in addrs {
                        out.gauge(
                            desc,
                            &[
                                &a.device,
                                &a.address.to_string(),
                                &a.prefix_len.to_string(),
                                address_scope(a.address),
                            ],
                            1.0,
                        );
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not get network interfaces"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::address_scope;

    #[test]
    fn scopes_as_go_classifies_addresses() {
        let scope = |s: &str| address_scope(s.parse().expect("address"));
        assert_eq!(scope("127.0.0.1"), "link-local");
        assert_eq!(scope("169.254.3.4"), "link-local");
        assert_eq!(scope("10.1.2.3"), "global");
        assert_eq!(scope("192.0.2.7"), "global");
        assert_eq!(scope("0.0.0.0"), "");
        assert_eq!(scope("::1"), "link-local");
        assert_eq!(scope("fe80::1"), "link-local");
        assert_eq!(scope("ff02::1"), "link-local");
        assert_eq!(scope("ff01::1"), "interface-local");
        assert_eq!(scope("ff05::2"), "");
        assert_eq!(scope("2001:db8::1"), "global");
        assert_eq!(scope("fd00::1"), "global");
        assert_eq!(scope("::ffff:10.0.0.1"), "global");
    }
}
