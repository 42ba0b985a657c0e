//! network_route: the routing table (every table, IPv4 and IPv6 unicast
//! routes) from rtnetlink, as upstream reads it.

use std::collections::BTreeMap;
use std::time::Duration;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::netlink;
use crate::parse::rtnetlink::parse_route;

const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;

pub struct NetworkRoute {
    info: Desc,
    routes: Desc,
}

pub fn build(_args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(NetworkRoute {
        info: Desc::gauge(
            "node_network_route_info",
            "network routing table information",
            &["device", "src", "dest", "gw", "priority", "proto", "weight"],
        ),
        routes: Desc::gauge(
            "node_network_routes",
            "network routes by interface",
            &["device"],
        ),
    }))
}

impl Collector for NetworkRoute {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // struct rtmsg, all zero: every family, every table.
        let request = [0u8; 12];
        let timeout = ctx
            .remaining()
            .clamp(Duration::from_millis(10), Duration::from_secs(5));
        let messages = netlink::dump(libc::NETLINK_ROUTE, RTM_GETROUTE, &request, timeout)
            .map_err(|e| CollectError::backend(format!("rtnetlink route dump: {e}")))?;
        let mut names: BTreeMap<u32, String> = BTreeMap::new();
        let mut per_device: BTreeMap<String, f64> = BTreeMap::new();
        for m in messages.iter().filter(|m| m.kind == RTM_NEWROUTE) {
            for r in parse_route(&m.payload) {
                let dev = names
                    .entry(r.ifindex)
                    .or_insert_with(|| netlink::interface_name(r.ifindex).unwrap_or_default())
                    .clone();
                out.gauge(
                    &self.info,
                    &[
                        &dev,
                        &r.src,
                        &r.dest,
                        &r.gw,
                        &r.priority.to_string(),
                        r.proto,
                        &r.weight,
                    ],
                    1.0,
                );
                *per_device.entry(dev).or_default() += 1.0;
            }
        }
        for (dev, n) in &per_device {
            out.gauge(&self.routes, &[dev], *n);
        }
        Ok(())
    }
}
