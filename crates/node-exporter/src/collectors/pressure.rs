//! node_pressure_* from /proc/pressure (PSI), totals in seconds.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::pressure;

/// The resources with a file under /proc/pressure.
const RESOURCES: [&str; 4] = ["cpu", "io", "memory", "irq"];

pub struct Pressure {
    /// The file of each of RESOURCES, joined once.
    files: [PathBuf; 4],
    cpu_waiting: Desc,
    io_waiting: Desc,
    io_stalled: Desc,
    memory_waiting: Desc,
    memory_stalled: Desc,
    irq_stalled: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let c = |n: &str, h: &str| Desc::counter(&format!("node_pressure_{n}_seconds_total"), h, &[]);
    Ok(AnyCollector::blocking(Pressure {
        files: RESOURCES.map(|r| args.proc("pressure").join(r)),
        cpu_waiting: c(
            "cpu_waiting",
            "Total time in seconds that processes have waited for CPU time.",
        ),
        io_waiting: c(
            "io_waiting",
            "Total time in seconds that processes have waited due to IO congestion.",
        ),
        io_stalled: c(
            "io_stalled",
            "Total time in seconds no process could make progress due to IO congestion.",
        ),
        memory_waiting: c(
            "memory_waiting",
            "Total time in seconds that processes have waited for memory.",
        ),
        memory_stalled: c(
            "memory_stalled",
            "Total time in seconds no process could make progress due to memory congestion.",
        ),
        irq_stalled: c(
            "irq_stalled",
            "Total time in seconds no process could make progress due to IRQ congestion.",
        ),
    }))
}

impl Collector for Pressure {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for (res, path) in RESOURCES.into_iter().zip(&self.files) {
            let text = match crate::sysfs::read_source(path) {
                Ok(t) => t,
                // irq pressure exists only on newer kernels (and with CONFIG_IRQ_TIME_ACCOUNTING).
                Err(CollectError::NoData) if res == "irq" => continue,
                Err(e) => return Err(e),
            };
            let p = pressure::parse(&text)
                .map_err(|e| CollectError::parse(path.display().to_string(), e))?;
            // Microseconds to seconds as upstream computes it (x/1000/1000),
            // not x*1e-6: the last digit of the float can differ.
            let us = |v: f64| v / 1000.0 / 1000.0;
            match res {
                "cpu" => {
                    if let Some(v) = p.some_total {
                        out.counter(&self.cpu_waiting, &[], us(v));
                    }
                }
                "io" | "memory" => {
                    let (w, s) = if res == "io" {
                        (&self.io_waiting, &self.io_stalled)
                    } else {
                        (&self.memory_waiting, &self.memory_stalled)
                    };
                    if let Some(v) = p.some_total {
                        out.counter(w, &[], us(v));
                    }
                    if let Some(v) = p.full_total {
                        out.counter(s, &[], us(v));
                    }
                }
                _ => {
                    if let Some(v) = p.full_total {
                        out.counter(&self.irq_stalled, &[], us(v));
                    }
                }
            }
        }
        Ok(())
    }
}
