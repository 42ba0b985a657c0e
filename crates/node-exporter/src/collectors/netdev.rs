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
    #[arg(long = "collector.netdev.device-include", value_name = "REGEX")]
    pub netdev_device_include: Option<String>,
    /// Regexp of net devices to exclude (mutually exclusive to device-include).
    #[arg(long = "collector.netdev.device-exclude", value_name = "REGEX")]
    pub netdev_device_exclude: Option<String>,
}

pub struct Netdev {
    path: PathBuf,
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
            for (d, v) in self.receive.iter().zip(i.receive) {
                out.counter(d, &dev, v);
            }
            for (d, v) in self.transmit.iter().zip(i.transmit) {
                out.counter(d, &dev, v);
            }
            let nohandler =
                std::fs::read_to_string(self.sys_net.join(&i.name).join("statistics/rx_nohandler"))
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok());
            if let Some(v) = nohandler {
                out.counter(&self.nohandler, &dev, v);
            }
        }
        Ok(())
    }
}
