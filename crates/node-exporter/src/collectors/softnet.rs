//! node_softnet_* per CPU from /proc/net/softnet_stat.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::softnet;

pub struct Softnet {
    path: PathBuf,
    processed: Desc,
    dropped: Desc,
    squeezed: Desc,
    collision: Desc,
    rps: Desc,
    flow_limit: Desc,
    backlog: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let c = |n: &str, h: &str| Desc::counter(&format!("node_softnet_{n}"), h, &["cpu"]);
    Ok(AnyCollector::blocking(Softnet {
        path: args.proc("net/softnet_stat"),
        processed: c("processed_total", "Number of processed packets."),
        dropped: c("dropped_total", "Number of dropped packets."),
        squeezed: c(
            "times_squeezed_total",
            "Number of times processing packets ran out of quota.",
        ),
        collision: c(
            "cpu_collision_total",
            "Number of collision occur while obtaining device lock while transmitting.",
        ),
        rps: c(
            "received_rps_total",
            "Number of times cpu woken up received_rps.",
        ),
        flow_limit: c(
            "flow_limit_count_total",
            "Number of times flow limit has been reached.",
        ),
        backlog: Desc::gauge(
            "node_softnet_backlog_len",
            "Softnet backlog status.",
            &["cpu"],
        ),
    }))
}

impl Collector for Softnet {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let cpus = softnet::parse(&crate::sysfs::read_source(&self.path)?).logged("softnet_stat");
        for c in &cpus {
            let l = [c.cpu.as_str()];
            out.counter(&self.processed, &l, c.processed);
            out.counter(&self.dropped, &l, c.dropped);
            out.counter(&self.squeezed, &l, c.time_squeeze);
            // Columns an older kernel does not print read 0, as upstream
            // exposes them.
            for (d, v) in [
                (&self.collision, c.cpu_collision),
                (&self.rps, c.received_rps),
                (&self.flow_limit, c.flow_limit_count),
            ] {
                out.counter(d, &l, v.unwrap_or(0.0));
            }
            out.gauge(&self.backlog, &l, c.backlog_len.unwrap_or(0.0));
        }
        Ok(())
    }
}
