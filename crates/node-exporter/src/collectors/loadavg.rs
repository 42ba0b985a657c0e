//! node_load1/5/15 from /proc/loadavg.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::loadavg;

pub struct Loadavg {
    path: PathBuf,
    descs: [Desc; 3],
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Loadavg {
        path: args.proc("loadavg"),
        descs: [
            Desc::gauge("node_load1", "1m load average.", &[]),
            Desc::gauge("node_load5", "5m load average.", &[]),
            Desc::gauge("node_load15", "15m load average.", &[]),
        ],
    }))
}

impl Collector for Loadavg {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let loads = loadavg::parse(&text).map_err(|e| CollectError::parse("loadavg", e))?;
        for (d, v) in self.descs.iter().zip(loads) {
            out.gauge(d, &[], v);
        }
        Ok(())
    }
}
