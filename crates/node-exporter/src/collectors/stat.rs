//! node_boot_time_seconds, node_context_switches_total, node_forks_total,
//! node_intr_total, node_procs_running/blocked (and with
//! --collector.stat.softirq, node_softirqs_total) from /proc/stat.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::stat;

const SOFTIRQ_VECTORS: [&str; 10] = [
    "hi",
    "timer",
    "net_tx",
    "net_rx",
    "block",
    "block_iopoll",
    "tasklet",
    "sched",
    "hrtimer",
    "rcu",
];

#[derive(clap::Args, Debug, Clone)]
pub struct StatArgs {
    /// Export softirq calls per vector.
    #[arg(long = "collector.stat.softirq")]
    pub stat_softirq: bool,
}

pub struct Stat {
    path: PathBuf,
    softirq: bool,
    intr: Desc,
    ctxt: Desc,
    forks: Desc,
    btime: Desc,
    running: Desc,
    blocked: Desc,
    softirqs: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Stat {
        path: args.proc("stat"),
        softirq: args.stat.stat_softirq,
        intr: Desc::counter(
            "node_intr_total",
            "Total number of interrupts serviced.",
            &[],
        ),
        ctxt: Desc::counter(
            "node_context_switches_total",
            "Total number of context switches.",
            &[],
        ),
        forks: Desc::counter("node_forks_total", "Total number of forks.", &[]),
        btime: Desc::gauge(
            "node_boot_time_seconds",
            "Node boot time, in unixtime.",
            &[],
        ),
        running: Desc::gauge(
            "node_procs_running",
            "Number of processes in runnable state.",
            &[],
        ),
        blocked: Desc::gauge(
            "node_procs_blocked",
            "Number of processes blocked waiting for I/O to complete.",
            &[],
        ),
        softirqs: Desc::counter(
            "node_softirqs_total",
            "Number of softirq calls.",
            &["vector"],
        ),
    }))
}

impl Collector for Stat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let st = stat::parse(&text).logged("stat");
        let mut any = false;
        for (desc, v) in [
            (&self.intr, st.intr),
            (&self.ctxt, st.ctxt),
            (&self.forks, st.processes),
            (&self.btime, st.btime),
            (&self.running, st.procs_running),
            (&self.blocked, st.procs_blocked),
        ] {
            if let Some(v) = v {
                out.value(desc, &[], v);
                any = true;
            }
        }
        if self.softirq
            && let Some(s) = &st.softirq
        {
            for (name, v) in SOFTIRQ_VECTORS.iter().zip(s) {
                out.counter(&self.softirqs, &[name], *v);
            }
        }
        if !any {
            return Err(CollectError::parse("stat", "no known fields"));
        }
        Ok(())
    }
}
