//! interrupts: per-CPU interrupt counts from /proc/interrupts.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::interrupts;
use crate::sysfs::{Filter, read_source};

#[derive(clap::Args, Debug, Clone)]
pub struct InterruptsArgs {
    /// Regexp of interrupts name to include (mutually exclusive to --collector.interrupts.name-exclude).
    #[arg(long = "collector.interrupts.name-include", value_name = "REGEX")]
    pub interrupts_name_include: Option<String>,
    /// Regexp of interrupts name to exclude (mutually exclusive to --collector.interrupts.name-include).
    #[arg(long = "collector.interrupts.name-exclude", value_name = "REGEX")]
    pub interrupts_name_exclude: Option<String>,
    /// Include interrupts that have a zero value.
    #[arg(
        long = "collector.interrupts.include-zeros",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub interrupts_include_zeros: bool,
}

pub struct Interrupts {
    path: PathBuf,
    filter: Filter,
    include_zeros: bool,
    total: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.interrupts;
    Ok(AnyCollector::blocking(Interrupts {
        path: args.proc("interrupts"),
        filter: Filter::new(
            "collector.interrupts.name-include/exclude",
            a.interrupts_name_include.as_deref(),
            a.interrupts_name_exclude.as_deref(),
        )?,
        include_zeros: a.interrupts_include_zeros,
        total: Desc::counter(
            "node_interrupts_total",
            "Interrupt details.",
            &["cpu", "type", "info", "devices"],
        ),
    }))
}

impl Collector for Interrupts {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let rows = interrupts::parse_interrupts(&text)
            .map_err(|e| CollectError::parse(self.path.display().to_string(), e))?;
        for row in &rows {
            if self.filter.ignored(&row.name) {
                continue;
            }
            for (cpu, raw) in row.values.iter().enumerate() {
                let Ok(v) = raw.parse::<f64>() else {
                    continue;
                };
                if v == 0.0 && !self.include_zeros {
                    continue;
                }
                out.counter(
                    &self.total,
                    &[&cpu.to_string(), &row.name, &row.info, &row.devices],
                    v,
                );
            }
        }
        Ok(())
    }
}
