//! softirqs: per-CPU softirq counts by type from /proc/softirqs.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::interrupts;
use crate::sysfs::read_source;

pub struct Softirqs {
    path: PathBuf,
    total: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Softirqs {
        path: args.proc("softirqs"),
        total: Desc::counter(
            "node_softirqs_functions_total",
            "Softirq counts per CPU.",
            &["cpu", "type"],
        ),
    }))
}

impl Collector for Softirqs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let (rows, errors) = interrupts::parse_softirqs(&text);
        for (kind, values) in &rows {
            for (cpu, v) in values.iter().enumerate() {
                out.counter(&self.total, &[&cpu.to_string(), kind], *v);
            }
        }
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.path.display().to_string(), e));
        }
        Ok(())
    }
}
