//! node_cpu_seconds_total{cpu,mode} and node_cpu_guest_seconds_total from
//! /proc/stat; with --collector.cpu.info, node_cpu_info and friends from
//! /proc/cpuinfo.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};
use regex::Regex;

use crate::args::Args;
use crate::parse::{cpuinfo, stat};

/// Ticks per second the kernel reports in /proc/stat (USER_HZ), 100 on
/// every Linux architecture node_exporter supports.
const USER_HZ: f64 = 100.0;

#[derive(clap::Args, Debug, Clone)]
pub struct CpuArgs {
    /// Enables metric node_cpu_guest_seconds_total.
    #[arg(long = "collector.cpu.guest", overrides_with = "no_cpu_guest")]
    pub cpu_guest: bool,
    /// Disables metric node_cpu_guest_seconds_total.
    #[arg(long = "no-collector.cpu.guest", overrides_with = "cpu_guest")]
    pub no_cpu_guest: bool,
    /// Enables metric node_cpu_info.
    #[arg(long = "collector.cpu.info")]
    pub cpu_info: bool,
    /// Filter the `flags` field in cpuInfo with a value that must be a regular expression.
    #[arg(long = "collector.cpu.info.flags-include", value_name = "REGEX")]
    pub cpu_flags_include: Option<String>,
    /// Filter the `bugs` field in cpuInfo with a value that must be a regular expression.
    #[arg(long = "collector.cpu.info.bugs-include", value_name = "REGEX")]
    pub cpu_bugs_include: Option<String>,
}

pub struct Cpu {
    stat: PathBuf,
    cpuinfo: PathBuf,
    guest: bool,
    info: bool,
    cpu_flags_include: Option<Regex>,
    cpu_bugs_include: Option<Regex>,
    seconds: Desc,
    guest_seconds: Desc,
    info_desc: Desc,
    frequency: Desc,
    flag_info: Desc,
    bug_info: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.cpu;
    Ok(AnyCollector::blocking(Cpu {
        stat: args.proc("stat"),
        cpuinfo: args.proc("cpuinfo"),
        guest: !a.no_cpu_guest,
        info: a.cpu_info || a.cpu_flags_include.is_some() || a.cpu_bugs_include.is_some(),
        cpu_flags_include: super::regex_flag(
            "collector.cpu.info.flags-include",
            a.cpu_flags_include.as_deref(),
        )?,
        cpu_bugs_include: super::regex_flag(
            "collector.cpu.info.bugs-include",
            a.cpu_bugs_include.as_deref(),
        )?,
        seconds: Desc::counter(
            "node_cpu_seconds_total",
            "Seconds the CPUs spent in each mode.",
            &["cpu", "mode"],
        ),
        guest_seconds: Desc::counter(
            "node_cpu_guest_seconds_total",
            "Seconds the CPUs spent in guests (VMs) for each mode.",
            &["cpu", "mode"],
        ),
        info_desc: Desc::gauge(
            "node_cpu_info",
            "CPU information from /proc/cpuinfo.",
            &[
                "package",
                "core",
                "cpu",
                "vendor",
                "family",
                "model",
                "model_name",
                "microcode",
                "stepping",
                "cachesize",
            ],
        ),
        frequency: Desc::gauge(
            "node_cpu_frequency_hertz",
            "CPU frequency in hertz from /proc/cpuinfo.",
            &["package", "core", "cpu"],
        ),
        flag_info: Desc::gauge(
            "node_cpu_flag_info",
            "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
            &["flag"],
        ),
        bug_info: Desc::gauge(
            "node_cpu_bug_info",
            "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
            &["bug"],
        ),
    }))
}

impl Cpu {
    fn update_info(&self, out: &mut Emitter) -> Result<(), CollectError> {
        let cpus = cpuinfo::parse(&super::read(&self.cpuinfo)?);
        if cpus.is_empty() {
            return Err(CollectError::parse("cpuinfo", "no processor entries"));
        }
        for c in &cpus {
            out.gauge(
                &self.info_desc,
                &[
                    &c.physical_id,
                    &c.core_id,
                    &c.processor,
                    &c.vendor_id,
                    &c.cpu_family,
                    &c.model,
                    &c.model_name,
                    &c.microcode,
                    &c.stepping,
                    &c.cache_size,
                ],
                1.0,
            );
            if let Some(mhz) = c.cpu_mhz {
                out.gauge(
                    &self.frequency,
                    &[&c.physical_id, &c.core_id, &c.processor],
                    mhz * 1e6,
                );
            }
        }
        if let Some(re) = &self.cpu_flags_include {
            for f in cpus[0].flags.iter().filter(|f| re.is_match(f)) {
                out.gauge(&self.flag_info, &[f], 1.0);
            }
        }
        if let Some(re) = &self.cpu_bugs_include {
            for b in cpus[0].bugs.iter().filter(|b| re.is_match(b)) {
                out.gauge(&self.bug_info, &[b], 1.0);
            }
        }
        Ok(())
    }
}

impl Collector for Cpu {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        if self.info {
            self.update_info(out)?;
        }
        let st = stat::parse(&super::read(&self.stat)?).logged("stat");
        if st.cpus.is_empty() {
            return Err(CollectError::parse("stat", "no cpuN lines"));
        }
        for (cpu, t) in &st.cpus {
            for (mode, ticks) in [
                ("idle", t.idle),
                ("iowait", t.iowait),
                ("irq", t.irq),
                ("nice", t.nice),
                ("softirq", t.softirq),
                ("steal", t.steal),
                ("system", t.system),
                ("user", t.user),
            ] {
                out.counter(&self.seconds, &[cpu, mode], ticks / USER_HZ);
            }
            if self.guest {
                out.counter(&self.guest_seconds, &[cpu, "nice"], t.guest_nice / USER_HZ);
                out.counter(&self.guest_seconds, &[cpu, "user"], t.guest / USER_HZ);
            }
        }
        Ok(())
    }
}
