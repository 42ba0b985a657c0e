//! node_network_{receive,transmit}_*_total: by default from the kernel's
//! link statistics over rtnetlink (RTM_GETLINK), as node_exporter 1.12;
//! with --no-collector.netdev.netlink from /proc/net/dev's sixteen columns
//! alone, named as upstream's procfs path names them (its `legacy()` names,
//! or with --collector.netdev.enable-detailed-metrics the procfs ones).

use std::net::IpAddr;
use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::netdev::{self, RECEIVE, TRANSMIT};
use crate::parse::rtnetlink;
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
    /// Use netlink to gather stats instead of /proc/net/dev (default;
    /// `--no-collector.netdev.netlink` reads /proc/net/dev).
    #[arg(long = "collector.netdev.netlink", default_value_t = true)]
    pub netdev_netlink: bool,
}

/// Detailed names (as upstream's netlink keys) and their sysfs statistics files.
pub(crate) const DETAILED: [(&str, &str); 24] = [
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

/// The families of netlink statistics without
/// --collector.netdev.enable-detailed-metrics: /proc/net/dev's names, the
/// detailed error counters folded into them as upstream's `legacy()` does.
/// Indices are those of [`LinkStats`].
const LEGACY: [(&str, &[usize]); 17] = [
    ("receive_packets", &[0]),
    ("transmit_packets", &[1]),
    ("receive_bytes", &[2]),
    ("transmit_bytes", &[3]),
    ("receive_errs", &[4]),
    ("transmit_errs", &[5]),
    ("receive_drop", &[6, 15]),
    ("transmit_drop", &[7]),
    ("receive_multicast", &[8]),
    ("transmit_colls", &[9]),
    ("receive_frame", &[13, 10, 11, 12]),
    ("receive_fifo", &[14]),
    ("transmit_carrier", &[17, 16, 19, 20]),
    ("transmit_fifo", &[18]),
    ("receive_compressed", &[21]),
    ("transmit_compressed", &[22]),
    ("receive_nohandler", &[23]),
];

/// /proc/net/dev's column names as upstream's procfs path exports them:
/// "errs"/"drop" are procfs's "errors"/"dropped" with
/// --collector.netdev.enable-detailed-metrics (upstream then skips its
/// `legacy()` renaming); the other columns keep one name.
fn proc_names(columns: [&'static str; 8], detailed: bool) -> impl Iterator<Item = &'static str> {
    columns.into_iter().map(move |c| match (c, detailed) {
        ("errs", true) => "errors",
        ("drop", true) => "dropped",
        (c, _) => c,
    })
}

pub struct Netdev {
    /// Statistics over rtnetlink: one descriptor per exported family and
    /// the LinkStats counters summed into it.
    netlink: Option<Vec<(Desc, &'static [usize])>>,
    path: PathBuf,
    sys_net: PathBuf,
    filter: Filter,
    receive: Vec<Desc>,
    transmit: Vec<Desc>,
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
    let netlink = a.netdev_netlink.then(|| {
        if a.netdev_detailed {
            const INDICES: [usize; 24] = [
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                23,
            ];
            DETAILED
                .iter()
                .zip(INDICES.chunks(1))
                .map(|((name, _), index)| {
                    (
                        Desc::counter(
                            &format!("node_network_{name}_total"),
                            &format!("Network device statistic {name}."),
                            labels,
                        ),
                        index,
                    )
                })
                .collect()
        } else {
            LEGACY
                .iter()
                .map(|(name, indices)| {
                    (
                        Desc::counter(
                            &format!("node_network_{name}_total"),
                            &format!("Network device statistic {name}."),
                            labels,
                        ),
                        *indices,
                    )
                })
                .collect()
        }
    });
    Ok(AnyCollector::blocking(Netdev {
        netlink,
        path: args.proc("net/dev"),
        sys_net: args.sys("class/net"),
        filter: Filter::exclusive(
            "collector.netdev.device",
            a.netdev_device_include.as_deref(),
            a.netdev_device_exclude.as_deref(),
        )?,
        receive: proc_names(RECEIVE, a.netdev_detailed)
            .map(|w| desc("receive", w))
            .collect(),
        transmit: proc_names(TRANSMIT, a.netdev_detailed)
            .map(|w| desc("transmit", w))
            .collect(),
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

impl Netdev {
    /// The label values of a device: its name, and with
    /// --collector.netdev.label-ifalias its sysfs ifalias ("" when unset).
    fn labels(&self, name: &str) -> Vec<String> {
        let mut labels = vec![name.to_string()];
        if self.label_ifalias {
            labels.push(
                std::fs::read_to_string(self.sys_net.join(name).join("ifalias"))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
            );
        }
        labels
    }

    fn collect_netlink(
        &self,
        families: &[(Desc, &'static [usize])],
        out: &mut Emitter,
    ) -> Result<(), CollectError> {
        let messages = crate::netlink::dump(
            libc::NETLINK_ROUTE,
            rtnetlink::RTM_GETLINK,
            &[0u8; 16],
            std::time::Duration::from_secs(5),
        )
        .map_err(|e| CollectError::backend(format!("couldn't get netstats: {e}")))?;
        for (name, stats) in messages
            .iter()
            .filter_map(|m| rtnetlink::parse_link_stats(&m.payload))
        {
            let Some(stats) = stats.filter(|_| !self.filter.ignored(&name)) else {
                continue;
            };
            let labels = self.labels(&name);
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            for (desc, indices) in families {
                // Go's uint64 sums wrap; so do these.
                let value = indices
                    .iter()
                    .fold(0u64, |sum, &i| sum.wrapping_add(stats[i]));
                out.counter(desc, &labels, value as f64);
            }
        }
        Ok(())
    }
}

impl Collector for Netdev {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        if let Some(families) = &self.netlink {
            self.collect_netlink(families, out)?;
        } else {
            self.collect_proc_net_dev(out)?;
        }
        self.address_info(out);
        Ok(())
    }
}

impl Netdev {
    fn collect_proc_net_dev(&self, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let ifaces = netdev::parse(&text).logged("net/dev");
        for i in ifaces.iter().filter(|i| !self.filter.ignored(i.name)) {
            let labels = self.labels(i.name);
            let dev: Vec<&str> = labels.iter().map(String::as_str).collect();
            let dev = dev.as_slice();
            for (d, v) in self.receive.iter().zip(i.receive) {
                out.counter(d, dev, v);
            }
            for (d, v) in self.transmit.iter().zip(i.transmit) {
                out.counter(d, dev, v);
            }
        }
        Ok(())
    }

    fn address_info(&self, out: &mut Emitter) {
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
