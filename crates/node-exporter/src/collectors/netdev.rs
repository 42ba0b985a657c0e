//! node_network_{receive,transmit}_*_total from /proc/net/dev, plus
//! receive_nohandler from sysfs (the counter upstream gets over netlink).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use super::DeviceFilter;
use crate::args::Args;
use crate::parse::netdev::{self, RECEIVE, TRANSMIT};

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
    /// Accepted for compatibility: statistics always come from /proc/net/dev and sysfs.
    #[arg(long = "collector.netdev.netlink", hide = true)]
    pub netdev_netlink: bool,
    /// Accepted for compatibility (see --collector.netdev.netlink).
    #[arg(long = "no-collector.netdev.netlink", hide = true)]
    pub no_netdev_netlink: bool,
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
    filter: DeviceFilter,
    receive: Vec<Desc>,
    transmit: Vec<Desc>,
    nohandler: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.netdev;
    let desc = |dir: &str, what: &str| {
        Desc::counter(
            &format!("node_network_{dir}_{what}_total"),
            &format!("Network device statistic {dir}_{what}."),
            &["device"],
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
        filter: DeviceFilter::new(
            "netdev",
            a.netdev_device_include.as_deref(),
            a.netdev_device_exclude.as_deref(),
        )?,
        receive: RECEIVE.iter().map(|w| desc("receive", w)).collect(),
        transmit: TRANSMIT.iter().map(|w| desc("transmit", w)).collect(),
        nohandler: desc("receive", "nohandler"),
    }))
}

impl Collector for Netdev {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let ifaces = netdev::parse(&super::read(&self.path)?).logged("net/dev");
        for i in ifaces.iter().filter(|i| !self.filter.ignored(&i.name)) {
            let dev = [i.name.as_str()];
            if let Some(detailed) = &self.detailed {
                let stats = self.sys_net.join(&i.name).join("statistics");
                for (desc, file) in detailed {
                    if let Some(v) = super::read_string(&stats.join(file))
                        .ok()
                        .and_then(|s| s.trim().parse::<f64>().ok())
                    {
                        out.counter(desc, &dev, v);
                    }
                }
                continue;
            }
            for (d, v) in self.receive.iter().zip(i.receive) {
                out.counter(d, &dev, v);
            }
            for (d, v) in self.transmit.iter().zip(i.transmit) {
                out.counter(d, &dev, v);
            }
            let nohandler =
                super::read_string(&self.sys_net.join(&i.name).join("statistics/rx_nohandler"))
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok());
            if let Some(v) = nohandler {
                out.counter(&self.nohandler, &dev, v);
            }
        }
        Ok(())
    }
}
