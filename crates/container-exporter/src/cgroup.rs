//! Reading cgroups directly: which hierarchy this host has (v1 controllers
//! mounted one by one, or the v2 unified tree), which cgroups exist, and one
//! cgroup's counters in cAdvisor's terms. No state between scrapes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::parse::{self, CpuMax, DeviceIo, Pressure};

/// The cgroup layout found at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// cgroup v1 (or hybrid): one directory per controller; `None` when the
    /// controller is not mounted.
    V1 {
        cpu: Option<PathBuf>,
        cpuacct: Option<PathBuf>,
        memory: Option<PathBuf>,
        blkio: Option<PathBuf>,
        pids: Option<PathBuf>,
    },
    /// cgroup v2: the unified tree.
    V2 { root: PathBuf },
}

#[derive(Debug, thiserror::Error)]
#[error(
    "no cgroup hierarchy under {0}: neither cgroup.controllers (v2) nor a cpu/cpuacct/memory controller directory (v1)"
)]
pub struct DetectError(pub PathBuf);

impl Hierarchy {
    /// v2 when `<root>/cgroup.controllers` exists (unified mode; a hybrid
    /// host's `unified/` subtree carries no controllers and is ignored),
    /// v1 otherwise.
    pub fn detect(root: &Path) -> Result<Hierarchy, DetectError> {
        if root.join("cgroup.controllers").is_file() {
            return Ok(Hierarchy::V2 {
                root: root.to_path_buf(),
            });
        }
        let find = |names: &[&str]| -> Option<PathBuf> {
            names
                .iter()
                .map(|n| root.join(n))
                .find(|p| p.join("cgroup.procs").is_file())
        };
        let h = Hierarchy::V1 {
            cpu: find(&["cpu", "cpu,cpuacct", "cpuacct,cpu"]),
            cpuacct: find(&["cpuacct", "cpu,cpuacct", "cpuacct,cpu"]),
            memory: find(&["memory"]),
            blkio: find(&["blkio"]),
            pids: find(&["pids"]),
        };
        match &h {
            Hierarchy::V1 {
                cpu: None,
                cpuacct: None,
                memory: None,
                ..
            } => Err(DetectError(root.to_path_buf())),
            _ => Ok(h),
        }
    }

    pub fn version(&self) -> u8 {
        match self {
            Hierarchy::V1 { .. } => 1,
            Hierarchy::V2 { .. } => 2,
        }
    }

    fn roots(&self) -> Vec<&Path> {
        match self {
            Hierarchy::V2 { root } => vec![root.as_path()],
            Hierarchy::V1 {
                cpu,
                cpuacct,
                memory,
                blkio,
                pids,
            } => {
                let mut roots: Vec<&Path> = [cpu, cpuacct, memory, blkio, pids]
                    .into_iter()
                    .flatten()
                    .map(PathBuf::as_path)
                    .collect();
                roots.dedup();
                roots
            }
        }
    }

    /// Every cgroup, by name (`/`, `/docker/<id>`, `/system.slice/x.service`),
    /// the union over the mounted controllers, sorted.
    pub fn list(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        names.insert("/".to_string());
        for root in self.roots() {
            walk(root, "", &mut names);
        }
        names.into_iter().collect()
    }

    /// Whether the cgroup exists in any controller.
    pub fn exists(&self, name: &str) -> bool {
        self.roots().iter().any(|r| join(r, name).is_dir())
    }

    /// The processes of a cgroup (`cgroup.procs`), as the kernel lists them.
    pub fn procs(&self, name: &str) -> Vec<u32> {
        self.roots()
            .iter()
            .find_map(|r| read(&join(r, name).join("cgroup.procs")))
            .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The processes of a cgroup and of every cgroup below it, as
    /// libcontainer's `GetAllPids` (the first controller that has it).
    pub fn all_procs(&self, name: &str) -> Vec<u32> {
        let Some(dir) = self
            .roots()
            .iter()
            .map(|r| join(r, name))
            .find(|d| d.is_dir())
        else {
            return Vec::new();
        };
        let mut below = BTreeSet::new();
        walk(&dir, "", &mut below);
        std::iter::once(dir.clone())
            .chain(below.iter().map(|sub| join(&dir, sub)))
            .filter_map(|d| read(&d.join("cgroup.procs")))
            .flat_map(|t| {
                t.lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    }

    /// The threads of a cgroup: v1 `tasks` (of the first controller that
    /// has the cgroup), v2 `cgroup.threads`.
    pub fn threads(&self, name: &str) -> Vec<u32> {
        let file = match self {
            Hierarchy::V1 { .. } => "tasks",
            Hierarchy::V2 { .. } => "cgroup.threads",
        };
        self.roots()
            .iter()
            .find_map(|r| read(&join(r, name).join(file)))
            .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// One cgroup's counters. Missing files leave fields empty (controllers
    /// differ between hosts and cgroups); malformed ones are listed in
    /// `errors`.
    /// `procfs`: where `/proc/meminfo` is, for the v2 root's memory.
    pub fn read(&self, name: &str, procfs: &Path) -> Stats {
        let mut stats = Stats::default();
        match self {
            Hierarchy::V2 { root } => {
                let meminfo = (name == "/").then(|| procfs.join("meminfo"));
                read_v2(&join(root, name), meminfo.as_deref(), &mut stats)
            }
            Hierarchy::V1 {
                cpu,
                cpuacct,
                memory,
                blkio,
                pids,
            } => {
                let at = |c: &Option<PathBuf>| c.as_ref().map(|r| join(r, name));
                read_v1(
                    at(cpu).as_deref(),
                    at(cpuacct).as_deref(),
                    at(memory).as_deref(),
                    at(blkio).as_deref(),
                    at(pids).as_deref(),
                    &mut stats,
                );
            }
        }
        stats
    }

    /// Oldest modification time of the cgroup's directories (seconds since
    /// the epoch): when it was created, for cgroups Docker does not name.
    pub fn created(&self, name: &str) -> Option<f64> {
        self.roots()
            .iter()
            .filter_map(|r| std::fs::metadata(join(r, name)).ok())
            .filter_map(|m| m.modified().ok())
            .filter_map(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
            .reduce(f64::min)
    }
}

fn join(root: &Path, name: &str) -> PathBuf {
    let rel = name.trim_start_matches('/');
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}

fn walk(dir: &Path, prefix: &str, names: &mut BTreeSet<String>) {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if let Ok(fd) = rustix::fs::open(dir, flags, Mode::empty()) {
        walk_at(&fd, prefix, names);
    }
}

/// Lists the sub-directories of the open directory `fd` by getdents into
/// a stack buffer: a cgroup directory holds dozens of files, and std's
/// `read_dir` allocates each entry's name. Only directories cost an
/// allocation (their cgroup names).
fn walk_at(fd: &rustix::fd::OwnedFd, prefix: &str, names: &mut BTreeSet<String>) {
    use rustix::fs::{FileType, Mode, OFlags, RawDir};
    use std::mem::MaybeUninit;
    let mut subdirs: Vec<String> = Vec::new();
    let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
    let mut entries = RawDir::new(fd, &mut buf);
    while let Some(Ok(entry)) = entries.next() {
        // cgroupfs fills d_type; Unknown is checked by opening below.
        if !matches!(entry.file_type(), FileType::Directory | FileType::Unknown) {
            continue;
        }
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if name != "." && name != ".." {
            subdirs.push(name.to_string());
        }
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    for sub in subdirs {
        let Ok(child) = rustix::fs::openat(fd, sub.as_str(), flags, Mode::empty()) else {
            continue;
        };
        let name = format!("{prefix}/{sub}");
        walk_at(&child, &name, names);
        names.insert(name);
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Counters of one cgroup. Times in nanoseconds, sizes in bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub cpu: Option<Cpu>,
    pub cpu_spec: CpuSpec,
    pub memory: Option<Memory>,
    /// `None` without a memory limit file (the v2 root), as cAdvisor's
    /// `HasMemory`.
    pub memory_spec: Option<MemorySpec>,
    pub io: Vec<DeviceIo>,
    pub pids_current: Option<u64>,
    /// `None` for `max` or when the controller is absent.
    pub pids_max: Option<u64>,
    pub pressure_cpu: Option<Pressure>,
    pub pressure_memory: Option<Pressure>,
    pub pressure_io: Option<Pressure>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cpu {
    pub usage_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    /// Per-CPU usage (v1 `cpuacct.usage_percpu`); empty on v2.
    pub percpu_ns: Vec<u64>,
    pub periods: Option<u64>,
    pub throttled_periods: Option<u64>,
    pub throttled_ns: Option<u64>,
    pub burst_periods: Option<u64>,
    pub burst_ns: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuSpec {
    /// Only when a quota is set.
    pub quota_us: Option<u64>,
    pub period_us: Option<u64>,
    pub shares: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    pub usage: u64,
    pub max_usage: Option<u64>,
    pub failcnt: Option<u64>,
    pub cache: u64,
    pub rss: u64,
    pub swap: u64,
    pub mapped_file: u64,
    pub kernel: Option<u64>,
    pub dirty: u64,
    pub writeback: u64,
    pub active_file: u64,
    pub inactive_file: u64,
    pub working_set: u64,
    pub pgfault: u64,
    pub pgmajfault: u64,
    pub hierarchical_pgfault: u64,
    pub hierarchical_pgmajfault: u64,
    pub pgscan: Option<u64>,
    pub pgsteal: Option<u64>,
    pub refault_anon: Option<u64>,
    pub refault_file: Option<u64>,
    pub events_high: Option<u64>,
    pub events_max: Option<u64>,
    /// OOM kills counted by the kernel: v2 `memory.events` `oom_kill`, v1
    /// `memory.oom_control` `oom_kill` (kernel >= 4.13).
    pub oom_kills: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemorySpec {
    /// `None` for no limit.
    pub limit: Option<u64>,
    pub reservation: Option<u64>,
    pub swap_limit: Option<u64>,
}

/// Values beyond 2^62 mean "unlimited" in v1 (cAdvisor reports 0 for them).
fn limit(v: u64) -> Option<u64> {
    (v < (1u64 << 62)).then_some(v)
}

fn read_u64(dir: &Path, file: &str, errors: &mut Vec<String>) -> Option<u64> {
    let text = read(&dir.join(file))?;
    match parse::single_u64("cgroup value", &text) {
        Ok(v) => v,
        Err(e) => {
            errors.push(format!("{}: {e}", dir.join(file).display()));
            None
        }
    }
}

fn read_pressure(dir: &Path, file: &str, errors: &mut Vec<String>) -> Option<Pressure> {
    let text = read(&dir.join(file))?;
    match parse::pressure(&text) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(format!("{}: {e}", dir.join(file).display()));
            None
        }
    }
}

/// cgroup v2: cpu.stat, cpu.max, cpu.weight, memory.current, memory.stat,
/// memory.events, memory.max, memory.min, memory.swap.*, io.stat,
/// pids.current, pids.max, *.pressure.
/// `root_meminfo`: `/proc/meminfo`, given for the root cgroup, which has
/// no memory.current: runc (whose stats cAdvisor reports) takes its usage
/// as anon + file of the root's memory.stat and its swap from meminfo.
pub fn read_v2(dir: &Path, root_meminfo: Option<&Path>, s: &mut Stats) {
    let errors = &mut s.errors;
    // cAdvisor gives every v2 cgroup a CPU spec: period and shares are 0
    // where cpu.max or cpu.weight is absent (the root, cgroups without the
    // cpu controller), and still reported.
    s.cpu_spec.period_us = Some(0);
    s.cpu_spec.shares = Some(0);
    if let Some(text) = read(&dir.join("cpu.stat")) {
        let m = parse::flat_keyed(&text);
        let us = |k: &str| m.get(k).map(|v| v * 1000);
        if let Some(usage) = us("usage_usec") {
            s.cpu = Some(Cpu {
                usage_ns: usage,
                user_ns: us("user_usec").unwrap_or(0),
                system_ns: us("system_usec").unwrap_or(0),
                percpu_ns: Vec::new(),
                periods: m.get("nr_periods"),
                throttled_periods: m.get("nr_throttled"),
                throttled_ns: us("throttled_usec"),
                burst_periods: m.get("nr_bursts"),
                burst_ns: us("burst_usec"),
            });
        }
    }
    if let Some(text) = read(&dir.join("cpu.max")) {
        match parse::cpu_max(&text) {
            Ok(CpuMax {
                quota_us,
                period_us,
            }) => {
                s.cpu_spec.quota_us = quota_us;
                s.cpu_spec.period_us = Some(period_us);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if let Some(weight) = read_u64(dir, "cpu.weight", errors) {
        // The inverse of the kernel's shares -> weight mapping, as runc and
        // cAdvisor do it.
        s.cpu_spec.shares = Some(2 + (weight.saturating_sub(1) * 262142) / 9999);
    }
    let current = read_u64(dir, "memory.current", errors);
    let root_stat = match (current, root_meminfo) {
        (None, Some(_)) => read(&dir.join("memory.stat")),
        _ => None,
    };
    if current.is_some() || root_stat.is_some() {
        let emulated_root = current.is_none();
        let stat_text = match root_stat {
            Some(t) => t,
            None => read(&dir.join("memory.stat")).unwrap_or_default(),
        };
        let stat = parse::flat_keyed(&stat_text);
        let events_text = read(&dir.join("memory.events"));
        let events = events_text.as_deref().map(parse::flat_keyed);
        let get = |k: &str| stat.get(k).unwrap_or(0);
        let usage = current.unwrap_or_else(|| get("anon") + get("file"));
        let swap = if emulated_root {
            root_meminfo
                .and_then(read)
                .and_then(|t| parse::meminfo_swap_used(&t))
                .unwrap_or(0)
        } else {
            read_u64(dir, "memory.swap.current", errors).unwrap_or(0)
        };
        let inactive_file = get("inactive_file");
        let kernel = stat.get("kernel").or_else(|| {
            let parts = ["kernel_stack", "pagetables", "sock", "vmalloc", "slab"];
            parts
                .iter()
                .any(|k| stat.contains_key(k))
                .then(|| parts.iter().map(|k| get(k)).sum())
        });
        s.memory = Some(Memory {
            usage,
            max_usage: read_u64(dir, "memory.peak", errors),
            failcnt: events.as_ref().and_then(|e| e.get("max")),
            cache: get("file"),
            rss: get("anon"),
            swap,
            mapped_file: get("file_mapped"),
            kernel,
            dirty: get("file_dirty"),
            writeback: get("file_writeback"),
            active_file: get("active_file"),
            inactive_file,
            working_set: usage.saturating_sub(inactive_file),
            pgfault: get("pgfault"),
            pgmajfault: get("pgmajfault"),
            hierarchical_pgfault: get("pgfault"),
            hierarchical_pgmajfault: get("pgmajfault"),
            pgscan: stat.get("pgscan"),
            pgsteal: stat.get("pgsteal"),
            refault_anon: stat.get("workingset_refault_anon"),
            refault_file: stat.get("workingset_refault_file"),
            events_high: events.as_ref().and_then(|e| e.get("high")),
            events_max: events.as_ref().and_then(|e| e.get("max")),
            oom_kills: events.as_ref().and_then(|e| e.get("oom_kill")),
        });
        s.memory_spec = (!emulated_root).then(|| MemorySpec {
            limit: read_u64(dir, "memory.max", errors),
            // cAdvisor's reservation on v2 is memory.min, not memory.low
            // (where Docker's --memory-reservation goes).
            reservation: read_u64(dir, "memory.min", errors),
            swap_limit: read_u64(dir, "memory.swap.max", errors),
        });
    }
    if let Some(text) = read(&dir.join("io.stat")) {
        match parse::io_stat(&text) {
            Ok(io) => s.io = io,
            Err(e) => errors.push(e.to_string()),
        }
    }
    s.pids_current = read_u64(dir, "pids.current", errors);
    s.pids_max = read_u64(dir, "pids.max", errors);
    s.pressure_cpu = read_pressure(dir, "cpu.pressure", errors);
    s.pressure_memory = read_pressure(dir, "memory.pressure", errors);
    s.pressure_io = read_pressure(dir, "io.pressure", errors);
}

/// USER_HZ, the unit of `cpuacct.stat`; 100 on every Linux architecture
/// that matters.
const USER_HZ: u64 = 100;

/// cgroup v1: cpuacct.{usage,usage_percpu,stat}, cpu.{stat,cfs_*,shares},
/// memory.*, blkio.*, pids.*.
pub fn read_v1(
    cpu: Option<&Path>,
    cpuacct: Option<&Path>,
    memory: Option<&Path>,
    blkio: Option<&Path>,
    pids: Option<&Path>,
    s: &mut Stats,
) {
    let errors = &mut s.errors;
    if let Some(dir) = cpuacct
        && let Some(usage) = read_u64(dir, "cpuacct.usage", errors)
    {
        let stat_text = read(&dir.join("cpuacct.stat")).unwrap_or_default();
        let stat = parse::flat_keyed(&stat_text);
        let ticks = |k: &str| stat.get(k).unwrap_or(0) * (1_000_000_000 / USER_HZ);
        let percpu = match read(&dir.join("cpuacct.usage_percpu")).map(|t| parse::percpu(&t)) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                errors.push(e.to_string());
                Vec::new()
            }
            None => Vec::new(),
        };
        s.cpu = Some(Cpu {
            usage_ns: usage,
            user_ns: ticks("user"),
            system_ns: ticks("system"),
            percpu_ns: percpu,
            ..Cpu::default()
        });
    }
    if let Some(dir) = cpu {
        if let Some(text) = read(&dir.join("cpu.stat")) {
            let m = parse::flat_keyed(&text);
            let cpu = s.cpu.get_or_insert_with(Cpu::default);
            cpu.periods = m.get("nr_periods");
            cpu.throttled_periods = m.get("nr_throttled");
            cpu.throttled_ns = m.get("throttled_time");
            cpu.burst_periods = m.get("nr_bursts");
            cpu.burst_ns = m.get("burst_time");
        }
        if let Some(text) = read(&dir.join("cpu.cfs_quota_us")) {
            match parse::single_i64("cpu.cfs_quota_us", &text) {
                Ok(q) if q > 0 => s.cpu_spec.quota_us = Some(q as u64),
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        s.cpu_spec.period_us = read_u64(dir, "cpu.cfs_period_us", errors);
        s.cpu_spec.shares = read_u64(dir, "cpu.shares", errors);
    }
    if let Some(dir) = memory
        && let Some(usage) = read_u64(dir, "memory.usage_in_bytes", errors)
    {
        let stat_text = read(&dir.join("memory.stat")).unwrap_or_default();
        let stat = parse::flat_keyed(&stat_text);
        // With use_hierarchy (always on in recent kernels) cAdvisor reads
        // the total_* fields, which include the children.
        let hierarchy = read_u64(dir, "memory.use_hierarchy", errors) != Some(0);
        let get = |k: &str| -> u64 {
            let total = if hierarchy {
                stat.get_prefixed("total_", k)
            } else {
                None
            };
            total.or_else(|| stat.get(k)).unwrap_or(0)
        };
        let inactive_file = stat.get("total_inactive_file").unwrap_or(0);
        let oom_text = read(&dir.join("memory.oom_control"));
        let oom = oom_text.as_deref().map(parse::flat_keyed);
        s.memory = Some(Memory {
            usage,
            max_usage: read_u64(dir, "memory.max_usage_in_bytes", errors),
            failcnt: read_u64(dir, "memory.failcnt", errors),
            cache: get("cache"),
            rss: get("rss"),
            swap: get("swap"),
            mapped_file: get("mapped_file"),
            kernel: read_u64(dir, "memory.kmem.usage_in_bytes", errors),
            // cAdvisor reads the v2 names (file_dirty, file_writeback) on
            // v1 too, where memory.stat has none: 0.
            dirty: 0,
            writeback: 0,
            active_file: stat.get("total_active_file").unwrap_or(0),
            inactive_file,
            working_set: usage.saturating_sub(inactive_file),
            // cAdvisor's hierarchy scope is the cgroup's own pgfault, not
            // total_pgfault, on v1 as on v2.
            pgfault: stat.get("pgfault").unwrap_or(0),
            pgmajfault: stat.get("pgmajfault").unwrap_or(0),
            hierarchical_pgfault: stat.get("pgfault").unwrap_or(0),
            hierarchical_pgmajfault: stat.get("pgmajfault").unwrap_or(0),
            pgscan: None,
            pgsteal: None,
            // The cgroup's own counters, as cAdvisor (no total_ variant).
            refault_anon: stat.get("workingset_refault_anon"),
            refault_file: stat.get("workingset_refault_file"),
            events_high: None,
            events_max: None,
            oom_kills: oom.as_ref().and_then(|m| m.get("oom_kill")),
        });
        s.memory_spec = Some(MemorySpec {
            limit: read_u64(dir, "memory.limit_in_bytes", errors).and_then(limit),
            reservation: read_u64(dir, "memory.soft_limit_in_bytes", errors).and_then(limit),
            swap_limit: read_u64(dir, "memory.memsw.limit_in_bytes", errors).and_then(limit),
        });
    }
    if let Some(dir) = blkio {
        // cAdvisor prefers the throttle files (filled without CFQ/BFQ);
        // the first of each list that exists is read, so a scrape costs one
        // read per list.
        let first = |files: &[&str], errors: &mut Vec<String>| -> Vec<(u64, u64, String, u64)> {
            for file in files {
                match read(&dir.join(file)).map(|t| parse::blkio(&t)) {
                    Some(Ok(v)) => return v,
                    Some(Err(e)) => {
                        errors.push(e.to_string());
                        return Vec::new();
                    }
                    None => continue,
                }
            }
            Vec::new()
        };
        let bytes = first(
            &[
                "blkio.throttle.io_service_bytes_recursive",
                "blkio.throttle.io_service_bytes",
                "blkio.io_service_bytes_recursive",
            ],
            errors,
        );
        let ops = first(
            &[
                "blkio.throttle.io_serviced_recursive",
                "blkio.throttle.io_serviced",
                "blkio.io_serviced_recursive",
            ],
            errors,
        );
        s.io = parse::blkio_devices(&bytes, &ops);
    }
    if let Some(dir) = pids {
        s.pids_current = read_u64(dir, "pids.current", errors);
        s.pids_max = read_u64(dir, "pids.max", errors);
    }
}

/// The Docker container id a cgroup belongs to, recognised by path:
/// `/docker/<id>` (cgroupfs driver), `/system.slice/docker-<id>.scope`
/// (systemd driver), and the same under kubepods.
pub fn container_id(name: &str) -> Option<&str> {
    let last = name.rsplit('/').next()?;
    // systemd's cgroup driver names the unit `<runtime>-<id>.scope`
    // (docker-, cri-containerd-, crio-); cgroupfs uses the bare id.
    let id = last
        .strip_suffix(".scope")
        .and_then(|unit| unit.rsplit_once('-'))
        .map_or(last, |(_, id)| id);
    let hex = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_by_path() {
        let id = "27a825b5acce3dc5ba0ccf252f450af45682cb864fc06d18d37ba7cff3c08791";
        assert_eq!(container_id(&format!("/docker/{id}")), Some(id));
        assert_eq!(
            container_id(&format!("/system.slice/docker-{id}.scope")),
            Some(id)
        );
        assert_eq!(
            container_id(&format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e.slice/cri-containerd-{id}.scope"
            )),
            Some(id)
        );
        assert_eq!(
            container_id(&format!("/kubepods/besteffort/pod0f1e/{id}")),
            Some(id)
        );
        assert_eq!(container_id(&format!("/k8s.io/{id}")), Some(id));
        assert_eq!(container_id("/system.slice/ssh.service"), None);
        assert_eq!(container_id("/system.slice/session-3.scope"), None);
        assert_eq!(container_id("/"), None);
    }

    #[test]
    fn huge_v1_limits_mean_unlimited() {
        assert_eq!(limit(9223372036854771712), None);
        assert_eq!(limit(33554432), Some(33554432));
    }
}
