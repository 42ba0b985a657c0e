//! node_kernel_hung_tasks_total from /proc/sys/kernel/hung_task_detect_count
//! (Linux 6.16+): tasks the hung task detector has reported since boot.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

pub struct KernelHung {
    path: PathBuf,
    tasks: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(KernelHung {
        path: args.proc("sys/kernel/hung_task_detect_count"),
        tasks: Desc::counter(
            "node_kernel_hung_tasks_total",
            "Total number of tasks that have been detected as hung since the system booted.",
            &[],
        ),
    }))
}

impl Collector for KernelHung {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let count: u64 = text
            .trim()
            .parse()
            .map_err(|e| CollectError::parse(self.path.display().to_string(), e))?;
        out.counter(&self.tasks, &[], count as f64);
        Ok(())
    }
}
