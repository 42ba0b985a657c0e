//! cpufreq: CPU frequency scaling from /sys/devices/system/cpu/cpu*/cpufreq/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{is_dir, list_dir, read_attr, read_u64};

pub struct Cpufreq {
    dir: PathBuf,
    /// (file in cpufreq/, descriptor); kHz in the file, hertz exposed.
    freqs: Vec<(&'static str, Desc)>,
    governor: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |name: &str, help: &str| Desc::gauge(name, help, &["cpu"]);
    Ok(AnyCollector::blocking(Cpufreq {
        dir: args.sys("devices/system/cpu"),
        freqs: vec![
            (
                "cpuinfo_cur_freq",
                g(
                    "node_cpu_frequency_hertz",
                    "Current CPU thread frequency in hertz.",
                ),
            ),
            (
                "cpuinfo_min_freq",
                g(
                    "node_cpu_frequency_min_hertz",
                    "Minimum CPU thread frequency in hertz.",
                ),
            ),
            (
                "cpuinfo_max_freq",
                g(
                    "node_cpu_frequency_max_hertz",
                    "Maximum CPU thread frequency in hertz.",
                ),
            ),
            (
                "scaling_cur_freq",
                g(
                    "node_cpu_scaling_frequency_hertz",
                    "Current scaled CPU thread frequency in hertz.",
                ),
            ),
            (
                "scaling_min_freq",
                g(
                    "node_cpu_scaling_frequency_min_hertz",
                    "Minimum scaled CPU thread frequency in hertz.",
                ),
            ),
            (
                "scaling_max_freq",
                g(
                    "node_cpu_scaling_frequency_max_hertz",
                    "Maximum scaled CPU thread frequency in hertz.",
                ),
            ),
        ],
        governor: Desc::gauge(
            "node_cpu_scaling_governor",
            "Current enabled CPU frequency governor.",
            &["cpu", "governor"],
        ),
    }))
}

impl Collector for Cpufreq {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for name in list_dir(&self.dir)? {
            let Some(cpu) = name.strip_prefix("cpu") else {
                continue;
            };
            if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let d = self.dir.join(&name).join("cpufreq");
            if !is_dir(&d) {
                continue;
            }
            for (file, desc) in &self.freqs {
                if let Some(khz) = read_u64(&d.join(file)) {
                    out.gauge(desc, &[cpu], khz as f64 * 1000.0);
                }
            }
            let current = read_attr(&d.join("scaling_governor")).unwrap_or_default();
            if !current.is_empty() {
                let available =
                    read_attr(&d.join("scaling_available_governors")).unwrap_or_default();
                for g in available.split(' ') {
                    out.gauge(
                        &self.governor,
                        &[cpu, g],
                        if g == current { 1.0 } else { 0.0 },
                    );
                }
            }
        }
        Ok(())
    }
}
