//! node_arp_entries{device} from /proc/net/arp.

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
    /// Accepted for compatibility: entries always come from /proc/net/arp.
    #[arg(long = "collector.arp.netlink", hide = true)]
    pub arp_netlink: bool,
}

pub struct Arp {
    path: PathBuf,
    filter: Filter,
    entries: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Arp {
        path: args.proc("net/arp"),
        filter: Filter::exclusive(
            "collector.arp.device",
            args.arp.arp_device_include.as_deref(),
            args.arp.arp_device_exclude.as_deref(),
        )?,
        entries: Desc::gauge("node_arp_entries", "ARP entries by device.", &["device"]),
    }))
}

impl Collector for Arp {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for (dev, n) in arp::parse(&crate::sysfs::read_source(&self.path)?).logged("arp") {
            if !self.filter.ignored(&dev) {
                out.gauge(&self.entries, &[&dev], n);
            }
        }
        Ok(())
    }
}
