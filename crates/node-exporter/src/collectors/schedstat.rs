//! node_schedstat_* per CPU from /proc/schedstat.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::schedstat;

pub struct Schedstat {
    path: PathBuf,
    running: Desc,
    waiting: Desc,
    timeslices: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Schedstat {
        path: args.proc("schedstat"),
        running: Desc::counter(
            "node_schedstat_running_seconds_total",
            "Number of seconds CPU spent running a process.",
            &["cpu"],
        ),
        waiting: Desc::counter(
            "node_schedstat_waiting_seconds_total",
            "Number of seconds spent by processing waiting for this CPU.",
            &["cpu"],
        ),
        timeslices: Desc::counter(
            "node_schedstat_timeslices_total",
            "Number of timeslices executed by CPU.",
            &["cpu"],
        ),
    }))
}

impl Collector for Schedstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for c in schedstat::parse(&crate::sysfs::read_source(&self.path)?).logged("schedstat") {
            // Divided, as upstream divides (x*1e-9 differs in the last digit).
            out.counter(&self.running, &[&c.cpu], c.running_ns / 1e9);
            out.counter(&self.waiting, &[&c.cpu], c.waiting_ns / 1e9);
            out.counter(&self.timeslices, &[&c.cpu], c.timeslices);
        }
        Ok(())
    }
}
