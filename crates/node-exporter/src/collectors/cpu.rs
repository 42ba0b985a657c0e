//! node_cpu_seconds_total{cpu,mode} and node_cpu_guest_seconds_total from
//! /proc/stat; with --collector.cpu.info, node_cpu_info and friends from
//! /proc/cpuinfo.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::sysfs::Regex;
use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::{cpuinfo, stat};
use crate::sysfs::regex_flag;

/// Ticks per second the kernel reports in /proc/stat (USER_HZ), 100 on
/// every Linux architecture node_exporter supports.
const USER_HZ: f64 = 100.0;

#[derive(clap::Args, Debug, Clone)]
pub struct CpuArgs {
    /// Enables metric node_cpu_guest_seconds_total.
    #[arg(long = "collector.cpu.guest", default_value_t = true)]
    pub cpu_guest: bool,
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

/// An idle counter that goes back by this much means a CPU was
/// hot-unplugged and plugged again: its remembered values are reset.
const JUMP_BACK_SECONDS: f64 = 3.0;

const MODES: [&str; 8] = [
    "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
];

pub struct Cpu {
    stat: PathBuf,
    sys_cpu: PathBuf,
    /// Last values emitted per CPU (8 modes then guest, guest_nice), in
    /// seconds: counters never go backwards, as upstream guarantees.
    last: Mutex<HashMap<String, [f64; 10]>>,
    isolated: Desc,
    online: Desc,
    core_throttles: Desc,
    package_throttles: Desc,
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
        sys_cpu: args.sys("devices/system/cpu"),
        last: Mutex::new(HashMap::new()),
        isolated: Desc::gauge(
            "node_cpu_isolated",
            "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
            &["cpu"],
        ),
        online: Desc::gauge(
            "node_cpu_online",
            "CPUs that are online and being scheduled.",
            &["cpu"],
        ),
        core_throttles: Desc::counter(
            "node_cpu_core_throttles_total",
            "Number of times this CPU core has been throttled.",
            &["package", "core"],
        ),
        package_throttles: Desc::counter(
            "node_cpu_package_throttles_total",
            "Number of times this CPU package has been throttled.",
            &["package"],
        ),
        cpuinfo: args.proc("cpuinfo"),
        guest: a.cpu_guest,
        // A non-empty flags/bugs regex turns cpu info on, as upstream.
        info: a.cpu_info
            || a.cpu_flags_include
                .as_deref()
                .is_some_and(|p| !p.is_empty())
            || a.cpu_bugs_include.as_deref().is_some_and(|p| !p.is_empty()),
        cpu_flags_include: optional_regex("flags-include", a.cpu_flags_include.as_deref())?,
        cpu_bugs_include: optional_regex("bugs-include", a.cpu_bugs_include.as_deref())?,
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
        let cpus = cpuinfo::parse(&crate::sysfs::read_source(&self.cpuinfo)?);
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

/// `--collector.cpu.info.<flag>` compiled; empty or absent is unset.
fn optional_regex(flag: &str, pattern: Option<&str>) -> Result<Option<Regex>, BuildError> {
    match pattern {
        Some(p) if !p.is_empty() => regex_flag(&format!("collector.cpu.info.{flag}"), p).map(Some),
        _ => Ok(None),
    }
}

/// `0-2,5` as in /sys/devices/system/cpu/isolated.
pub fn parse_cpu_list(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>())
                    && a <= b
                    && b - a < 65536
                {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.trim().parse::<u32>().ok()),
        }
    }
    out
}

/// `node_cpu_online` as upstream (1.12): for every `cpuN` directory, 1 when
/// its `online` file says 1, else 0 (unreadable or odd counts as offline).
/// `None` when cpu0 has no `online` file (no CPU hotplug, as on most x86
/// hosts): then upstream emits nothing.
pub fn online_states(sys_cpu: &Path) -> Option<Vec<(String, f64)>> {
    online_of(sys_cpu, &cpu_dirs(sys_cpu)?)
}

/// The `cpuN` directory names, in numeric order.
fn cpu_dirs(sys_cpu: &Path) -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(sys_cpu)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name.strip_prefix("cpu")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    names.sort_by_key(|name| name[3..].parse::<u64>().unwrap_or(u64::MAX));
    Some(names)
}

/// [`online_states`] of the listed `cpuN` directories.
fn online_of(sys_cpu: &Path, dirs: &[String]) -> Option<Vec<(String, f64)>> {
    if !sys_cpu.join("cpu0/online").exists() {
        return None;
    }
    let states = dirs
        .iter()
        .map(|dir| {
            let online = crate::sysfs::join2(sys_cpu, dir, "online");
            let on = crate::sysfs::read_attr(&online).is_some_and(|v| v == "1");
            (dir[3..].to_string(), if on { 1.0 } else { 0.0 })
        })
        .collect();
    Some(states)
}

impl Cpu {
    /// Isolated CPUs, online states and thermal throttle counters from
    /// sysfs; all optional.
    fn update_sysfs(&self, out: &mut Emitter) {
        // One listing of the cpuN directories serves both families.
        let dirs = cpu_dirs(&self.sys_cpu).unwrap_or_default();
        for (cpu, v) in online_of(&self.sys_cpu, &dirs).unwrap_or_default() {
            out.gauge(&self.online, &[&cpu], v);
        }
        if let Some(list) = crate::sysfs::read_attr(&self.sys_cpu.join("isolated")) {
            for cpu in parse_cpu_list(&list) {
                out.gauge(&self.isolated, &[&cpu.to_string()], 1.0);
            }
        }
        let mut cores: BTreeMap<(String, String), f64> = BTreeMap::new();
        let mut packages: BTreeMap<String, f64> = BTreeMap::new();
        for dir in &dirs {
            let base = self.sys_cpu.join(dir);
            let throttle = base.join("thermal_throttle");
            if !throttle.is_dir() {
                continue;
            }
            let (Some(pkg), Some(core)) = (
                crate::sysfs::read_attr(&base.join("topology/physical_package_id")),
                crate::sysfs::read_attr(&base.join("topology/core_id")),
            ) else {
                continue;
            };
            if let Some(v) = crate::sysfs::read_attr(&throttle.join("core_throttle_count"))
                .and_then(|v| v.parse().ok())
            {
                cores.entry((pkg.clone(), core)).or_insert(v);
            }
            if let Some(v) = crate::sysfs::read_attr(&throttle.join("package_throttle_count"))
                .and_then(|v| v.parse().ok())
            {
                packages.entry(pkg).or_insert(v);
            }
        }
        for ((pkg, core), v) in &cores {
            out.counter(&self.core_throttles, &[pkg, core], *v);
        }
        for (pkg, v) in &packages {
            out.counter(&self.package_throttles, &[pkg], *v);
        }
    }
}

impl Collector for Cpu {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        if self.info {
            self.update_info(out)?;
        }
        let text = crate::sysfs::read_source(&self.stat)?;
        let st = stat::parse(&text).logged("stat");
        if st.cpus.is_empty() {
            return Err(CollectError::parse("stat", "no cpuN lines"));
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        for (cpu, t) in &st.cpus {
            let now = [
                t.idle,
                t.iowait,
                t.irq,
                t.nice,
                t.softirq,
                t.steal,
                t.system,
                t.user,
                t.guest,
                t.guest_nice,
            ]
            .map(|ticks| ticks / USER_HZ);
            // Known cpus are looked up by &str: no key allocated per scrape.
            if !last.contains_key(*cpu) {
                last.insert(cpu.to_string(), now);
            }
            let Some(kept) = last.get_mut(*cpu) else {
                continue;
            };
            if kept[0] - now[0] >= JUMP_BACK_SECONDS {
                tracing::debug!(cpu = %cpu, "CPU idle counter jumped backwards, possible hotplug event, resetting CPU stats");
                *kept = now;
            }
            for (k, n) in kept.iter_mut().zip(now) {
                if n >= *k {
                    *k = n;
                }
            }
            for (mode, v) in MODES.iter().zip(kept.iter()) {
                out.counter(&self.seconds, &[cpu, mode], *v);
            }
            if self.guest {
                out.counter(&self.guest_seconds, &[cpu, "nice"], kept[9]);
                out.counter(&self.guest_seconds, &[cpu, "user"], kept[8]);
            }
        }
        // CPUs gone offline are forgotten.
        last.retain(|cpu, _| st.cpus.iter().any(|(c, _)| c == cpu));
        drop(last);
        self.update_sysfs(out);
        Ok(())
    }
}
