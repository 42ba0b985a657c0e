//! cAdvisor's `container_*` families, read at scrape time from the cgroup
//! tree, with names, images and allowlisted labels from the Docker cache.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectError, Collector, Desc, Emitter, Kind,
    ScrapeContext,
};

use crate::args::{Args, MetricSet};
use crate::cgroup::{self, Hierarchy, Stats};
use crate::docker::{Meta, Watcher};
use crate::parse;

/// (name, kind, group, extra labels, help). `group` is the cAdvisor metric
/// group that switches the family (`always` for spec and last-seen).
const FAMILIES: &[(&str, Kind, &str, &[&str], &str)] = &[
    (
        "container_fs_io_cost_usage_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative IOCost usage in seconds.",
    ),
    (
        "container_fs_io_cost_wait_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative IOCost wait in seconds.",
    ),
    (
        "container_fs_io_cost_indebt_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative IOCost debt in seconds.",
    ),
    (
        "container_fs_io_cost_indelay_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative IOCost delay in seconds.",
    ),
    (
        "container_cpu_usage_seconds_total",
        Kind::Counter,
        "cpu",
        &["cpu"],
        "Cumulative cpu time consumed in seconds.",
    ),
    (
        "container_cpu_load_average_10s",
        Kind::Gauge,
        "cpuLoad",
        &[],
        "Value of container cpu load average over the last 10 seconds.",
    ),
    (
        "container_cpu_load_d_average_10s",
        Kind::Gauge,
        "cpuLoad",
        &[],
        "Value of container cpu load.d average over the last 10 seconds.",
    ),
    (
        "container_tasks_state",
        Kind::Gauge,
        "cpuLoad",
        &["state"],
        "Number of tasks in given state",
    ),
    (
        "container_cpu_user_seconds_total",
        Kind::Counter,
        "cpu",
        &[],
        "Cumulative user cpu time consumed in seconds.",
    ),
    (
        "container_cpu_system_seconds_total",
        Kind::Counter,
        "cpu",
        &[],
        "Cumulative system cpu time consumed in seconds.",
    ),
    (
        "container_cpu_cfs_periods_total",
        Kind::Counter,
        "cpu",
        &[],
        "Number of elapsed enforcement period intervals.",
    ),
    (
        "container_cpu_cfs_throttled_periods_total",
        Kind::Counter,
        "cpu",
        &[],
        "Number of throttled period intervals.",
    ),
    (
        "container_cpu_cfs_throttled_seconds_total",
        Kind::Counter,
        "cpu",
        &[],
        "Total time duration the container has been throttled.",
    ),
    (
        "container_cpu_cfs_burst_periods_total",
        Kind::Counter,
        "cpu",
        &[],
        "Number of periods when burst occurs.",
    ),
    (
        "container_cpu_cfs_burst_seconds_total",
        Kind::Counter,
        "cpu",
        &[],
        "Total time duration the container has been bursted.",
    ),
    (
        "container_memory_usage_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Current memory usage in bytes, including all memory regardless of when it was accessed.",
    ),
    (
        "container_memory_working_set_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Current working set in bytes.",
    ),
    (
        "container_memory_max_usage_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Maximum memory usage recorded in bytes.",
    ),
    (
        "container_memory_failcnt",
        Kind::Counter,
        "memory",
        &[],
        "Number of memory usage hits limits.",
    ),
    (
        "container_memory_cache",
        Kind::Gauge,
        "memory",
        &[],
        "Number of bytes of page cache memory.",
    ),
    (
        "container_memory_rss",
        Kind::Gauge,
        "memory",
        &[],
        "Size of RSS in bytes.",
    ),
    (
        "container_memory_swap",
        Kind::Gauge,
        "memory",
        &[],
        "Container swap usage in bytes.",
    ),
    (
        "container_memory_mapped_file",
        Kind::Gauge,
        "memory",
        &[],
        "Size of memory mapped files in bytes.",
    ),
    (
        "container_memory_kernel_usage",
        Kind::Gauge,
        "memory",
        &[],
        "Size of kernel memory allocated in bytes.",
    ),
    (
        "container_memory_file_dirty_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Bytes of file cache modified and not yet written back.",
    ),
    (
        "container_memory_file_writeback_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Bytes of file cache being written back.",
    ),
    (
        "container_memory_total_active_file_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Current total active file in bytes.",
    ),
    (
        "container_memory_total_inactive_file_bytes",
        Kind::Gauge,
        "memory",
        &[],
        "Current total inactive file in bytes.",
    ),
    (
        "container_memory_failures_total",
        Kind::Counter,
        "memory",
        &["failure_type", "scope"],
        "Cumulative count of memory allocation failures.",
    ),
    (
        "container_memory_pgscan_total",
        Kind::Counter,
        "memory",
        &[],
        "Pages scanned by page reclaim.",
    ),
    (
        "container_memory_pgsteal_total",
        Kind::Counter,
        "memory",
        &[],
        "Pages reclaimed by page reclaim.",
    ),
    (
        "container_memory_workingset_refault_anon_total",
        Kind::Counter,
        "memory",
        &[],
        "Refaults of previously evicted anonymous pages.",
    ),
    (
        "container_memory_workingset_refault_file_total",
        Kind::Counter,
        "memory",
        &[],
        "Refaults of previously evicted file pages.",
    ),
    (
        "container_memory_events_high_total",
        Kind::Counter,
        "memory",
        &[],
        "memory.high throttle events.",
    ),
    (
        "container_memory_events_max_total",
        Kind::Counter,
        "memory",
        &[],
        "memory.max limit hit events.",
    ),
    (
        "container_oom_events_total",
        Kind::Counter,
        "oom_event",
        &[],
        "Count of out of memory events observed for the container.",
    ),
    (
        "container_network_receive_bytes_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of bytes received.",
    ),
    (
        "container_network_receive_packets_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of packets received.",
    ),
    (
        "container_network_receive_errors_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of errors encountered while receiving.",
    ),
    (
        "container_network_receive_packets_dropped_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of packets dropped while receiving.",
    ),
    (
        "container_network_transmit_bytes_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of bytes transmitted.",
    ),
    (
        "container_network_transmit_packets_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of packets transmitted.",
    ),
    (
        "container_network_transmit_errors_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of errors encountered while transmitting.",
    ),
    (
        "container_network_transmit_packets_dropped_total",
        Kind::Counter,
        "network",
        &["interface"],
        "Cumulative count of packets dropped while transmitting.",
    ),
    (
        "container_blkio_device_usage_total",
        Kind::Counter,
        "diskIO",
        &["device", "major", "minor", "operation"],
        "Blkio device bytes usage.",
    ),
    (
        "container_fs_reads_bytes_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of bytes read.",
    ),
    (
        "container_fs_writes_bytes_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of bytes written.",
    ),
    (
        "container_fs_reads_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of reads completed.",
    ),
    (
        "container_fs_writes_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of writes completed.",
    ),
    (
        "container_fs_limit_bytes",
        Kind::Gauge,
        "disk",
        &["device"],
        "Number of bytes that can be consumed by the container on this filesystem.",
    ),
    (
        "container_fs_usage_bytes",
        Kind::Gauge,
        "disk",
        &["device"],
        "Number of bytes that are consumed by the container on this filesystem.",
    ),
    (
        "container_fs_inodes_total",
        Kind::Gauge,
        "disk",
        &["device"],
        "Number of Inodes.",
    ),
    (
        "container_fs_inodes_free",
        Kind::Gauge,
        "disk",
        &["device"],
        "Number of available Inodes.",
    ),
    (
        "container_fs_reads_merged_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of reads merged.",
    ),
    (
        "container_fs_sector_reads_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of sector reads completed.",
    ),
    (
        "container_fs_read_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of seconds spent reading.",
    ),
    (
        "container_fs_writes_merged_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of writes merged.",
    ),
    (
        "container_fs_sector_writes_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of sector writes completed.",
    ),
    (
        "container_fs_write_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of seconds spent writing.",
    ),
    (
        "container_fs_io_current",
        Kind::Gauge,
        "diskIO",
        &["device"],
        "Number of I/Os currently in progress.",
    ),
    (
        "container_fs_io_time_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative count of seconds spent doing I/Os.",
    ),
    (
        "container_fs_io_time_weighted_seconds_total",
        Kind::Counter,
        "diskIO",
        &["device"],
        "Cumulative weighted I/O time in seconds.",
    ),
    (
        "container_pressure_cpu_waiting_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time tasks waited for CPU.",
    ),
    (
        "container_pressure_cpu_stalled_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time no task could run for CPU congestion.",
    ),
    (
        "container_pressure_memory_waiting_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time tasks waited for memory.",
    ),
    (
        "container_pressure_memory_stalled_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time no task could run for memory congestion.",
    ),
    (
        "container_pressure_io_waiting_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time tasks waited for IO.",
    ),
    (
        "container_pressure_io_stalled_seconds_total",
        Kind::Counter,
        "pressure",
        &[],
        "Time no task could run for IO congestion.",
    ),
    (
        "container_processes",
        Kind::Gauge,
        "process",
        &[],
        "Number of processes running inside the container.",
    ),
    (
        "container_threads",
        Kind::Gauge,
        "process",
        &[],
        "Number of threads running inside the container.",
    ),
    (
        "container_threads_max",
        Kind::Gauge,
        "process",
        &[],
        "Maximum number of threads allowed inside the container, infinity if value is zero.",
    ),
    (
        "container_file_descriptors",
        Kind::Gauge,
        "process",
        &[],
        "Number of open file descriptors for the container.",
    ),
    (
        "container_sockets",
        Kind::Gauge,
        "process",
        &[],
        "Number of open sockets for the container.",
    ),
    (
        "container_spec_cpu_period",
        Kind::Gauge,
        "always",
        &[],
        "CPU period of the container.",
    ),
    (
        "container_spec_cpu_quota",
        Kind::Gauge,
        "always",
        &[],
        "CPU quota of the container.",
    ),
    (
        "container_spec_cpu_shares",
        Kind::Gauge,
        "always",
        &[],
        "CPU share of the container.",
    ),
    (
        "container_spec_memory_limit_bytes",
        Kind::Gauge,
        "always",
        &[],
        "Memory limit for the container.",
    ),
    (
        "container_spec_memory_reservation_limit_bytes",
        Kind::Gauge,
        "always",
        &[],
        "Memory reservation limit for the container.",
    ),
    (
        "container_spec_memory_swap_limit_bytes",
        Kind::Gauge,
        "always",
        &[],
        "Memory swap limit for the container.",
    ),
    (
        "container_start_time_seconds",
        Kind::Gauge,
        "always",
        &[],
        "Start time of the container since unix epoch in seconds.",
    ),
    (
        "container_creation_time_seconds",
        Kind::Gauge,
        "always",
        &[],
        "Container creation time since unix epoch in seconds.",
    ),
    (
        "container_last_seen",
        Kind::Gauge,
        "always",
        &[],
        "Last time a container was seen by the exporter.",
    ),
    (
        "container_health_state",
        Kind::Gauge,
        "always",
        &[],
        "The result of the container's health check: 1 healthy, 0 not, -1 no health check.",
    ),
];

/// Where a cgroup's Docker metadata comes from.
pub trait Names: Send + Sync + 'static {
    fn get(&self, id: &str) -> Option<Arc<Meta>>;
    fn oom_events(&self, id: &str) -> u64;
}

impl Names for Watcher {
    fn get(&self, id: &str) -> Option<Arc<Meta>> {
        Watcher::get(self, id)
    }
    fn oom_events(&self, id: &str) -> u64 {
        Watcher::oom_events(self, id)
    }
}

/// Docker's containers first, then containerd's (Kubernetes nodes).
pub struct Runtimes {
    pub docker: Watcher,
    pub containerd: crate::containerd::Containerd,
}

impl Names for Runtimes {
    fn get(&self, id: &str) -> Option<Arc<Meta>> {
        self.docker.get(id).or_else(|| self.containerd.get(id))
    }
    fn oom_events(&self, id: &str) -> u64 {
        // containerd's OOM events are the kernel's, which the cgroup's own
        // counter already gives.
        self.docker.oom_events(id)
    }
}

/// No Docker: raw cgroups only.
pub struct NoNames;
impl Names for NoNames {
    fn get(&self, _: &str) -> Option<Arc<Meta>> {
        None
    }
    fn oom_events(&self, _: &str) -> u64 {
        0
    }
}

pub struct Options {
    pub hierarchy: Hierarchy,
    pub procfs: PathBuf,
    pub sysfs: PathBuf,
    /// Where the host's root filesystem is seen (`/`, or `/rootfs` in a
    /// container): mount points are statted under it.
    pub rootfs: PathBuf,
    pub included: MetricSet,
    pub docker_only: bool,
    pub raw_prefixes: Vec<String>,
    pub disable_root: bool,
    pub label_allowlist: Vec<String>,
}

pub struct ContainerCollector {
    opts: Options,
    names: Box<dyn Names>,
    descs: HashMap<&'static str, Desc>,
    scrape_error: Desc,
    devices: Mutex<HashMap<(u64, u64), String>>,
    /// Last OOM count emitted per cgroup, so the counter never goes back
    /// when one of its two sources (kernel counter, Docker events) lags.
    oom_seen: Mutex<HashMap<Box<str>, u64>>,
}

/// cAdvisor sanitises label names: anything outside `[a-zA-Z0-9_]` -> `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl ContainerCollector {
    pub fn new(opts: Options, names: Box<dyn Names>) -> ContainerCollector {
        let mut base: Vec<String> = vec!["id".into(), "image".into(), "name".into()];
        for l in &opts.label_allowlist {
            let n = format!("container_label_{}", sanitize(l));
            if !base.contains(&n) {
                base.push(n);
            }
        }
        let mut descs = HashMap::new();
        for (name, kind, group, extra, help) in FAMILIES {
            if *group != "always" && !opts.included.has(group) {
                continue;
            }
            let labels: Vec<&str> = extra
                .iter()
                .copied()
                .chain(base.iter().map(String::as_str))
                .collect();
            descs.insert(*name, Desc::new(name, help, *kind, &labels));
        }
        ContainerCollector {
            opts,
            names,
            descs,
            scrape_error: Desc::gauge(
                "container_scrape_error",
                "1 if there was an error while getting container metrics, 0 otherwise",
                &[],
            ),
            devices: Mutex::new(HashMap::new()),
            oom_seen: Mutex::new(HashMap::new()),
        }
    }

    fn wanted(&self, name: &str, is_docker: bool) -> bool {
        if name == "/" {
            return !self.opts.disable_root;
        }
        !self.opts.docker_only
            || is_docker
            || self
                .opts
                .raw_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }

    fn device_name(&self, major: u64, minor: u64) -> String {
        if let Ok(cache) = self.devices.lock()
            && let Some(name) = cache.get(&(major, minor))
        {
            return name.clone();
        }
        let path = self
            .opts
            .sysfs
            .join(format!("dev/block/{major}:{minor}/uevent"));
        let name = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| parse::uevent_devname(&t))
            .map(|d| format!("/dev/{d}"))
            .unwrap_or_default();
        if let Ok(mut cache) = self.devices.lock() {
            cache.insert((major, minor), name.clone());
        }
        name
    }

    /// The root cgroup's filesystems, as cAdvisor reports them: capacity
    /// and inodes by statvfs, I/O from /proc/diskstats, for every block
    /// device mounted on the host. (Per-container writable-layer usage
    /// would need a walk of each layer; it is left out.)
    fn root_filesystems(&self, out: &mut Emitter, base: &[&str], inc: &MetricSet) {
        let mounts = std::fs::read_to_string(self.opts.procfs.join("1/mounts"))
            .or_else(|_| std::fs::read_to_string(self.opts.procfs.join("self/mounts")))
            .map(|t| parse::block_mounts(&t))
            .unwrap_or_default();
        if inc.has("disk") {
            for (dev, mp) in &mounts {
                let path = self.opts.rootfs.join(mp.trim_start_matches('/'));
                let Ok(st) = rustix::fs::statvfs(&path) else {
                    continue;
                };
                let frsize = st.f_frsize as f64;
                let d: &[&str] = &[dev];
                self.emit_one(
                    out,
                    "container_fs_limit_bytes",
                    d,
                    base,
                    st.f_blocks as f64 * frsize,
                );
                self.emit_one(
                    out,
                    "container_fs_usage_bytes",
                    d,
                    base,
                    st.f_blocks.saturating_sub(st.f_bfree) as f64 * frsize,
                );
                self.emit_one(out, "container_fs_inodes_total", d, base, st.f_files as f64);
                self.emit_one(out, "container_fs_inodes_free", d, base, st.f_ffree as f64);
            }
        }
        if inc.has("diskIO") {
            let Ok(text) = std::fs::read_to_string(self.opts.procfs.join("diskstats")) else {
                return;
            };
            let Ok(stats) = parse::diskstats(&text) else {
                return;
            };
            for (dev, _) in &mounts {
                let Some(s) = stats
                    .iter()
                    .find(|s| dev.strip_prefix("/dev/") == Some(s.name.as_str()))
                else {
                    continue;
                };
                let d: &[&str] = &[dev];
                let ms = |v: u64| v as f64 / 1000.0;
                for (n, v) in [
                    ("container_fs_reads_total", s.reads as f64),
                    ("container_fs_reads_merged_total", s.reads_merged as f64),
                    ("container_fs_sector_reads_total", s.sectors_read as f64),
                    ("container_fs_read_seconds_total", ms(s.read_ms)),
                    ("container_fs_writes_total", s.writes as f64),
                    ("container_fs_writes_merged_total", s.writes_merged as f64),
                    ("container_fs_sector_writes_total", s.sectors_written as f64),
                    ("container_fs_write_seconds_total", ms(s.write_ms)),
                    ("container_fs_io_current", s.io_in_progress as f64),
                    ("container_fs_io_time_seconds_total", ms(s.io_ms)),
                    (
                        "container_fs_io_time_weighted_seconds_total",
                        ms(s.weighted_io_ms),
                    ),
                ] {
                    self.emit_one(out, n, d, base, v);
                }
            }
        }
    }

    fn emit_one(&self, out: &mut Emitter, name: &str, extra: &[&str], base: &[&str], value: f64) {
        let Some(desc) = self.descs.get(name) else {
            return;
        };
        // Label values on the stack: this runs for every series.
        let n = extra.len() + base.len();
        let mut buf = [""; 16];
        if n <= buf.len() {
            for (slot, v) in buf.iter_mut().zip(extra.iter().chain(base)) {
                *slot = v;
            }
            out.value(desc, &buf[..n], value);
        } else {
            let labels: Vec<&str> = extra.iter().chain(base).copied().collect();
            out.value(desc, &labels, value);
        }
    }

    /// cAdvisor's cpuLoad group: threads by state from each thread's
    /// `/proc/<tid>/stat` (cAdvisor asks the kernel's cgroupstats over
    /// netlink, which on 6.x kernels misses tasks sleeping freezable, e.g.
    /// in nanosleep). The load gauges are in cAdvisor's unit (thousandths
    /// of a task) and sampled at scrape time: cAdvisor's 10 s decay needs
    /// its 1 s housekeeping loop, which this exporter does not run.
    fn tasks(&self, out: &mut Emitter, cgroup_name: &str, base: &[&str]) {
        let mut states = parse::TaskStates::default();
        let mut path = self.opts.procfs.clone();
        let mut buf = String::new();
        for tid in self.opts.hierarchy.threads(cgroup_name) {
            path.push(tid.to_string());
            path.push("stat");
            buf.clear();
            if let Ok(mut f) = std::fs::File::open(&path)
                && std::io::Read::read_to_string(&mut f, &mut buf).is_ok()
            {
                states.add_stat(&buf);
            }
            path.pop();
            path.pop();
        }
        for (state, n) in [
            ("sleeping", states.sleeping),
            ("running", states.running),
            ("stopped", states.stopped),
            ("uninterruptible", states.uninterruptible),
            // Not visible in /proc; cAdvisor's count is 0 in practice too.
            ("iowaiting", 0),
        ] {
            self.emit_one(out, "container_tasks_state", &[state], base, n as f64);
        }
        self.emit_one(
            out,
            "container_cpu_load_average_10s",
            &[],
            base,
            (states.running * 1000) as f64,
        );
        self.emit_one(
            out,
            "container_cpu_load_d_average_10s",
            &[],
            base,
            (states.uninterruptible * 1000) as f64,
        );
    }

    fn container(
        &self,
        out: &mut Emitter,
        cgroup_name: &str,
        meta: Option<&Meta>,
        docker_id: Option<&str>,
        now: f64,
    ) -> Vec<String> {
        let stats: Stats = self.opts.hierarchy.read(cgroup_name);
        let mut base: Vec<&str> = vec![
            cgroup_name,
            meta.map_or("", |m| &*m.image),
            meta.map_or("", |m| &*m.name),
        ];
        for i in 0..self.opts.label_allowlist.len() {
            base.push(meta.and_then(|m| m.labels.get(i)).map_or("", |v| &**v));
        }
        let base = &base[..];
        let inc = &self.opts.included;
        let e = |out: &mut Emitter, n: &str, v: f64| self.emit_one(out, n, &[], base, v);
        const NS: f64 = 1e9;

        if let Some(cpu) = &stats.cpu {
            if inc.has("percpu") && !cpu.percpu_ns.is_empty() {
                for (i, v) in cpu.percpu_ns.iter().enumerate().filter(|(_, v)| **v > 0) {
                    let label = format!("cpu{i:02}");
                    self.emit_one(
                        out,
                        "container_cpu_usage_seconds_total",
                        &[&label],
                        base,
                        *v as f64 / NS,
                    );
                }
            } else {
                self.emit_one(
                    out,
                    "container_cpu_usage_seconds_total",
                    &["total"],
                    base,
                    cpu.usage_ns as f64 / NS,
                );
            }
            e(
                out,
                "container_cpu_user_seconds_total",
                cpu.user_ns as f64 / NS,
            );
            e(
                out,
                "container_cpu_system_seconds_total",
                cpu.system_ns as f64 / NS,
            );
            // cAdvisor: only for containers with a CPU quota.
            if stats.cpu_spec.quota_us.is_some() {
                let pairs = [
                    (
                        "container_cpu_cfs_periods_total",
                        cpu.periods.map(|v| v as f64),
                    ),
                    (
                        "container_cpu_cfs_throttled_periods_total",
                        cpu.throttled_periods.map(|v| v as f64),
                    ),
                    (
                        "container_cpu_cfs_throttled_seconds_total",
                        cpu.throttled_ns.map(|v| v as f64 / NS),
                    ),
                    (
                        "container_cpu_cfs_burst_periods_total",
                        cpu.burst_periods.map(|v| v as f64),
                    ),
                    (
                        "container_cpu_cfs_burst_seconds_total",
                        cpu.burst_ns.map(|v| v as f64 / NS),
                    ),
                ];
                for (n, v) in pairs {
                    if let Some(v) = v {
                        e(out, n, v);
                    }
                }
            }
        }
        // Containers only: for `/` and system slices this would read every
        // thread of the host each scrape.
        if inc.has("cpuLoad") && stats.cpu.is_some() && docker_id.is_some() {
            self.tasks(out, cgroup_name, base);
        }
        if let Some(m) = &stats.memory {
            let f = |v: u64| v as f64;
            e(out, "container_memory_usage_bytes", f(m.usage));
            e(out, "container_memory_working_set_bytes", f(m.working_set));
            e(
                out,
                "container_memory_max_usage_bytes",
                f(m.max_usage.unwrap_or(0)),
            );
            e(out, "container_memory_failcnt", f(m.failcnt.unwrap_or(0)));
            e(out, "container_memory_cache", f(m.cache));
            e(out, "container_memory_rss", f(m.rss));
            e(out, "container_memory_swap", f(m.swap));
            e(out, "container_memory_mapped_file", f(m.mapped_file));
            e(
                out,
                "container_memory_kernel_usage",
                f(m.kernel.unwrap_or(0)),
            );
            e(out, "container_memory_file_dirty_bytes", f(m.dirty));
            e(out, "container_memory_file_writeback_bytes", f(m.writeback));
            e(
                out,
                "container_memory_total_active_file_bytes",
                f(m.active_file),
            );
            e(
                out,
                "container_memory_total_inactive_file_bytes",
                f(m.inactive_file),
            );
            for (ty, scope, v) in [
                ("pgfault", "container", m.pgfault),
                ("pgmajfault", "container", m.pgmajfault),
                ("pgfault", "hierarchy", m.hierarchical_pgfault),
                ("pgmajfault", "hierarchy", m.hierarchical_pgmajfault),
            ] {
                self.emit_one(
                    out,
                    "container_memory_failures_total",
                    &[ty, scope],
                    base,
                    f(v),
                );
            }
            for (n, v) in [
                ("container_memory_pgscan_total", m.pgscan),
                ("container_memory_pgsteal_total", m.pgsteal),
                (
                    "container_memory_workingset_refault_anon_total",
                    m.refault_anon,
                ),
                (
                    "container_memory_workingset_refault_file_total",
                    m.refault_file,
                ),
                ("container_memory_events_high_total", m.events_high),
                ("container_memory_events_max_total", m.events_max),
            ] {
                if let Some(v) = v {
                    e(out, n, f(v));
                }
            }
        }
        if inc.has("oom_event") && (stats.memory.is_some() || docker_id.is_some()) {
            let kernel = stats.memory.as_ref().and_then(|m| m.oom_kills).unwrap_or(0);
            let events = docker_id.map(|id| self.names.oom_events(id)).unwrap_or(0);
            let count = match self.oom_seen.lock() {
                Ok(mut seen) => {
                    let count = match seen.get_mut(cgroup_name) {
                        Some(v) => v,
                        None => seen.entry(cgroup_name.into()).or_insert(0),
                    };
                    *count = (*count).max(kernel).max(events);
                    *count
                }
                Err(_) => kernel.max(events),
            };
            e(out, "container_oom_events_total", count as f64);
        }
        if inc.has("network") {
            let pid = if cgroup_name == "/" {
                Some(1)
            } else if docker_id.is_some() {
                meta.and_then(|m| m.pid)
                    .or_else(|| self.opts.hierarchy.procs(cgroup_name).first().copied())
            } else {
                None
            };
            if let Some(pid) = pid {
                let path = self.opts.procfs.join(format!("{pid}/net/dev"));
                if let Ok(text) = std::fs::read_to_string(&path) {
                    match parse::net_dev(&text) {
                        Ok(devs) => {
                            for d in devs.iter().filter(|d| !parse::ignored_interface(&d.name)) {
                                let i: &[&str] = &[&d.name];
                                for (n, v) in [
                                    ("container_network_receive_bytes_total", d.rx_bytes),
                                    ("container_network_receive_packets_total", d.rx_packets),
                                    ("container_network_receive_errors_total", d.rx_errors),
                                    (
                                        "container_network_receive_packets_dropped_total",
                                        d.rx_dropped,
                                    ),
                                    ("container_network_transmit_bytes_total", d.tx_bytes),
                                    ("container_network_transmit_packets_total", d.tx_packets),
                                    ("container_network_transmit_errors_total", d.tx_errors),
                                    (
                                        "container_network_transmit_packets_dropped_total",
                                        d.tx_dropped,
                                    ),
                                ] {
                                    self.emit_one(out, n, i, base, v as f64);
                                }
                            }
                        }
                        Err(err) => {
                            tracing::debug!(path = %path.display(), error = %err, "net/dev")
                        }
                    }
                }
            }
        }
        if inc.has("diskIO") {
            for d in &stats.io {
                let device = self.device_name(d.major, d.minor);
                let (major, minor) = (d.major.to_string(), d.minor.to_string());
                for (op, v) in &d.bytes {
                    self.emit_one(
                        out,
                        "container_blkio_device_usage_total",
                        &[&device, &major, &minor, op],
                        base,
                        *v as f64,
                    );
                }
                for (n, v) in [
                    ("container_fs_io_cost_usage_seconds_total", d.cost_usage_us),
                    ("container_fs_io_cost_wait_seconds_total", d.cost_wait_us),
                    (
                        "container_fs_io_cost_indebt_seconds_total",
                        d.cost_indebt_us,
                    ),
                    (
                        "container_fs_io_cost_indelay_seconds_total",
                        d.cost_indelay_us,
                    ),
                ] {
                    if let Some(v) = v {
                        self.emit_one(out, n, &[&device], base, v as f64 / 1e6);
                    }
                }
                // The root's operation counts come from /proc/diskstats.
                let root = cgroup_name == "/";
                for (n, v) in [
                    ("container_fs_reads_bytes_total", d.bytes("Read")),
                    ("container_fs_writes_bytes_total", d.bytes("Write")),
                    ("container_fs_reads_total", d.ops("Read").filter(|_| !root)),
                    (
                        "container_fs_writes_total",
                        d.ops("Write").filter(|_| !root),
                    ),
                ] {
                    if let Some(v) = v {
                        self.emit_one(out, n, &[&device], base, v as f64);
                    }
                }
            }
        }
        if cgroup_name == "/" {
            self.root_filesystems(out, base, inc);
        }
        if inc.has("pressure") {
            for (p, waiting, stalled) in [
                (
                    &stats.pressure_cpu,
                    "container_pressure_cpu_waiting_seconds_total",
                    "container_pressure_cpu_stalled_seconds_total",
                ),
                (
                    &stats.pressure_memory,
                    "container_pressure_memory_waiting_seconds_total",
                    "container_pressure_memory_stalled_seconds_total",
                ),
                (
                    &stats.pressure_io,
                    "container_pressure_io_waiting_seconds_total",
                    "container_pressure_io_stalled_seconds_total",
                ),
            ] {
                if let Some(p) = p {
                    e(out, waiting, p.some_total_us as f64 / 1e6);
                    if let Some(full) = p.full_total_us {
                        e(out, stalled, full as f64 / 1e6);
                    }
                }
            }
        }
        if inc.has("process") {
            let procs = self.opts.hierarchy.procs(cgroup_name);
            e(out, "container_processes", procs.len() as f64);
            if let Some(t) = stats.pids_current {
                e(out, "container_threads", t as f64);
                e(
                    out,
                    "container_threads_max",
                    stats.pids_max.unwrap_or(0) as f64,
                );
            }
            let (mut fds, mut sockets) = (0u64, 0u64);
            for pid in &procs {
                let Ok(entries) = std::fs::read_dir(self.opts.procfs.join(format!("{pid}/fd")))
                else {
                    continue;
                };
                for entry in entries.flatten() {
                    fds += 1;
                    if std::fs::read_link(entry.path())
                        .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                    {
                        sockets += 1;
                    }
                }
            }
            e(out, "container_file_descriptors", fds as f64);
            e(out, "container_sockets", sockets as f64);
        }
        // Spec families: cAdvisor emits them for every container with the
        // controller.
        if let Some(p) = stats.cpu_spec.period_us {
            e(out, "container_spec_cpu_period", p as f64);
        }
        if let Some(q) = stats.cpu_spec.quota_us {
            e(out, "container_spec_cpu_quota", q as f64);
        }
        if let Some(s) = stats.cpu_spec.shares {
            e(out, "container_spec_cpu_shares", s as f64);
        }
        if stats.memory.is_some() {
            let ms = &stats.memory_spec;
            e(
                out,
                "container_spec_memory_limit_bytes",
                ms.limit.unwrap_or(0) as f64,
            );
            e(
                out,
                "container_spec_memory_reservation_limit_bytes",
                ms.reservation.unwrap_or(0) as f64,
            );
            e(
                out,
                "container_spec_memory_swap_limit_bytes",
                ms.swap_limit.unwrap_or(0) as f64,
            );
        }
        let created = match meta.and_then(|m| m.created) {
            Some(c) => Some(c),
            None => self.opts.hierarchy.created(cgroup_name),
        };
        if let Some(created) = created {
            e(out, "container_start_time_seconds", created);
            e(out, "container_creation_time_seconds", created);
        }
        if let Some(m) = meta {
            e(out, "container_health_state", m.health);
        }
        e(out, "container_last_seen", now);
        stats.errors
    }
}

impl Collector for ContainerCollector {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut errors = Vec::new();
        let names = self.opts.hierarchy.list();
        let mut complete = true;
        for name in &names {
            if ctx.remaining().is_zero() {
                errors.push("scrape deadline reached".to_string());
                complete = false;
                break;
            }
            let id = cgroup::container_id(name);
            if !self.wanted(name, id.is_some()) {
                continue;
            }
            let meta = id.and_then(|id| self.names.get(id));
            let errs = self.container(out, name, meta.as_deref(), id, now);
            errors.extend(errs);
        }
        // Forget the OOM counts of cgroups that are gone (`names` is sorted).
        if complete && let Ok(mut seen) = self.oom_seen.lock() {
            seen.retain(|k, _| names.binary_search_by(|n| n.as_str().cmp(k)).is_ok());
        }
        for e in &errors {
            tracing::debug!(error = %e, "reading cgroup");
        }
        out.gauge(
            &self.scrape_error,
            &[],
            if errors.is_empty() { 0.0 } else { 1.0 },
        );
        Ok(())
    }
}

pub fn build(args: &Args, ctx: &BuildContext) -> Result<AnyCollector, BuildError> {
    let hierarchy = Hierarchy::detect(&args.cgroup_path).map_err(BuildError::new)?;
    tracing::info!(version = hierarchy.version(), "cgroup hierarchy");
    let allow = args.label_allowlist();
    let watcher = crate::docker::Watcher::spawn(&args.docker, allow.clone());
    ctx.get_or_insert_with(crate::DockerVersion::default)
        .follow(&watcher);
    let containerd = crate::containerd::Containerd::spawn(
        &args.containerd,
        &args.containerd_namespace,
        allow.clone(),
    );
    let names: Box<dyn Names> = Box::new(Runtimes {
        docker: watcher,
        containerd,
    });
    let opts = Options {
        hierarchy,
        procfs: args.procfs.clone(),
        sysfs: args.sysfs.clone(),
        rootfs: args.rootfs.clone(),
        included: args.included(),
        docker_only: args.docker_only,
        raw_prefixes: args
            .raw_cgroup_prefix_whitelist
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        disable_root: args.disable_root_cgroup_stats,
        label_allowlist: allow,
    };
    Ok(AnyCollector::blocking(ContainerCollector::new(opts, names)))
}
