//! node_udp_queues{ip,queue} from /proc/net/udp and udp6.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::udp_queues;

pub struct UdpQueues {
    v4: PathBuf,
    v6: PathBuf,
    queues: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(UdpQueues {
        v4: args.proc("net/udp"),
        v6: args.proc("net/udp6"),
        queues: Desc::gauge(
            "node_udp_queues",
            "Number of allocated memory in the kernel for UDP datagrams in bytes.",
            &["ip", "queue"],
        ),
    }))
}

impl Collector for UdpQueues {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut any = false;
        for (ip, path) in [("v4", &self.v4), ("v6", &self.v6)] {
            match crate::sysfs::read_source(path) {
                Ok(text) => {
                    let (tx, rx) = udp_queues::parse(&text).logged("udp");
                    out.gauge(&self.queues, &[ip, "tx"], tx);
                    out.gauge(&self.queues, &[ip, "rx"], rx);
                    any = true;
                }
                Err(CollectError::NoData) => {}
                Err(e) => return Err(e),
            }
        }
        if any {
            Ok(())
        } else {
            Err(CollectError::NoData)
        }
    }
}
