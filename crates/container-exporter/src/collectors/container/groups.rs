//! One function per cAdvisor metric group, each writing one cgroup's
//! series of that group. `container.rs` decides which groups run for
//! which cgroup; the functions here only read and write.

use exporter_kit::{Desc, Emitter};

use super::ContainerCollector;
use super::families::{
    Always, Cpu, CpuLoad, Disk, DiskIo, Memory, Network, OomEvent, Pressure, Process, Sched, Tcp,
    Udp,
};
use crate::cgroup::{self, CpuSpec, Stats};
use crate::docker::Meta;
use crate::parse;

const NS_PER_S: f64 = 1e9;
const US_PER_S: f64 = 1e6;

/// The cgroup being written.
pub(super) struct Cgroup<'a> {
    /// Its path from the hierarchy's root (`/` for the root).
    pub name: &'a str,
    /// What its container runtime says about it.
    pub meta: Option<&'a Meta>,
    /// Its container id, when the path names a container.
    pub container_id: Option<&'a str>,
    pub stats: &'a Stats,
}

/// Writes a cgroup's series: each family's own label values, then the
/// label values every container family ends with (id, image, name,
/// allowlisted labels).
pub(super) struct SeriesOut<'a> {
    out: &'a mut Emitter,
    common: &'a [&'a str],
}

impl<'a> SeriesOut<'a> {
    pub fn new(out: &'a mut Emitter, common: &'a [&'a str]) -> SeriesOut<'a> {
        SeriesOut { out, common }
    }

    /// A series of a family with labels of its own (`extra`).
    pub fn labelled(&mut self, desc: &Desc, extra: &[&str], value: f64) {
        // Label values on the stack: this runs for every series.
        let n = extra.len() + self.common.len();
        let mut buf = [""; 16];
        if n <= buf.len() {
            for (slot, v) in buf.iter_mut().zip(extra.iter().chain(self.common)) {
                *slot = v;
            }
            self.out.value(desc, &buf[..n], value);
        } else {
            let labels: Vec<&str> = extra.iter().chain(self.common).copied().collect();
            self.out.value(desc, &labels, value);
        }
    }

    /// A series of a family with only the common labels.
    pub fn value(&mut self, desc: &Desc, value: f64) {
        self.labelled(desc, &[], value);
    }
}

/// `cpu` (and `percpu`): usage, user and system time; CFS throttling
/// only for cgroups with a CPU quota, as cAdvisor.
pub(super) fn cpu(
    out: &mut SeriesOut<'_>,
    f: &Cpu,
    percpu: bool,
    cpu: &cgroup::Cpu,
    spec: &CpuSpec,
) {
    if percpu && !cpu.percpu_ns.is_empty() {
        for (i, v) in cpu.percpu_ns.iter().enumerate().filter(|(_, v)| **v > 0) {
            let label = format!("cpu{i:02}");
            out.labelled(&f.usage, &[&label], *v as f64 / NS_PER_S);
        }
    } else {
        out.labelled(&f.usage, &["total"], cpu.usage_ns as f64 / NS_PER_S);
    }
    out.value(&f.user, cpu.user_ns as f64 / NS_PER_S);
    out.value(&f.system, cpu.system_ns as f64 / NS_PER_S);
    if spec.quota_us.is_some() {
        for (desc, v) in [
            (&f.cfs_periods, cpu.periods.map(|v| v as f64)),
            (
                &f.cfs_throttled_periods,
                cpu.throttled_periods.map(|v| v as f64),
            ),
            (
                &f.cfs_throttled_seconds,
                cpu.throttled_ns.map(|v| v as f64 / NS_PER_S),
            ),
            (&f.cfs_burst_periods, cpu.burst_periods.map(|v| v as f64)),
            (
                &f.cfs_burst_seconds,
                cpu.burst_ns.map(|v| v as f64 / NS_PER_S),
            ),
        ] {
            if let Some(v) = v {
                out.value(desc, v);
            }
        }
    }
}

/// `memory`: usage, working set and the memory controller's statistics.
pub(super) fn memory(out: &mut SeriesOut<'_>, f: &Memory, m: &cgroup::Memory) {
    let v = |v: u64| v as f64;
    out.value(&f.usage, v(m.usage));
    out.value(&f.working_set, v(m.working_set));
    out.value(&f.max_usage, v(m.max_usage.unwrap_or(0)));
    out.value(&f.failcnt, v(m.failcnt.unwrap_or(0)));
    out.value(&f.cache, v(m.cache));
    out.value(&f.rss, v(m.rss));
    out.value(&f.swap, v(m.swap));
    out.value(&f.mapped_file, v(m.mapped_file));
    out.value(&f.kernel_usage, v(m.kernel.unwrap_or(0)));
    out.value(&f.file_dirty, v(m.dirty));
    out.value(&f.file_writeback, v(m.writeback));
    out.value(&f.total_active_file, v(m.active_file));
    out.value(&f.total_inactive_file, v(m.inactive_file));
    for (failure_type, scope, n) in [
        ("pgfault", "container", m.pgfault),
        ("pgmajfault", "container", m.pgmajfault),
        ("pgfault", "hierarchy", m.hierarchical_pgfault),
        ("pgmajfault", "hierarchy", m.hierarchical_pgmajfault),
    ] {
        out.labelled(&f.failures, &[failure_type, scope], v(n));
    }
    // Written as 0 where the kernel has no such counter (v1), as cAdvisor.
    for (desc, n) in [
        (&f.pgscan, m.pgscan),
        (&f.pgsteal, m.pgsteal),
        (&f.workingset_refault_anon, m.refault_anon),
        (&f.workingset_refault_file, m.refault_file),
        (&f.events_high, m.events_high),
        (&f.events_max, m.events_max),
    ] {
        out.value(desc, v(n.unwrap_or(0)));
    }
}

/// `pressure`: PSI totals of cpu, memory and io. As cAdvisor, the cpu
/// pair is written for every cgroup with CPU stats and the memory pair for
/// every one with memory stats, the io pair whenever the diskIO group is
/// on: 0 where the kernel has no pressure file (v1, or a `full` line
/// missing).
pub(super) fn pressure(out: &mut SeriesOut<'_>, f: &Pressure, stats: &Stats, disk_io: bool) {
    for (on, p, waiting, stalled) in [
        (
            stats.cpu.is_some(),
            &stats.pressure_cpu,
            &f.cpu_waiting,
            &f.cpu_stalled,
        ),
        (
            stats.memory.is_some(),
            &stats.pressure_memory,
            &f.memory_waiting,
            &f.memory_stalled,
        ),
        (disk_io, &stats.pressure_io, &f.io_waiting, &f.io_stalled),
    ] {
        if !on && p.is_none() {
            continue;
        }
        let some = p.as_ref().map_or(0, |p| p.some_total_us);
        let full = p.as_ref().and_then(|p| p.full_total_us).unwrap_or(0);
        out.value(waiting, some as f64 / US_PER_S);
        out.value(stalled, full as f64 / US_PER_S);
    }
}

/// One cgroup's schedstat bookkeeping: `[run ns, runqueue ns, periods]`.
#[derive(Default)]
pub(super) struct SchedSeen {
    live: std::collections::HashMap<u32, [u64; 3]>,
    exited: [u64; 3],
}

impl SchedSeen {
    /// Takes this read's live processes; returns the cgroup's totals.
    fn update(&mut self, now: std::collections::HashMap<u32, [u64; 3]>) -> [u64; 3] {
        for (pid, last) in &self.live {
            if !now.contains_key(pid) {
                for (sum, v) in self.exited.iter_mut().zip(last) {
                    *sum += v;
                }
            }
        }
        self.live = now;
        let mut total = self.exited;
        for v in self.live.values() {
            for (sum, x) in total.iter_mut().zip(v) {
                *sum += x;
            }
        }
        total
    }
}

impl ContainerCollector {
    /// cAdvisor's sched group: `/proc/<pid>/schedstat` summed over the
    /// processes of the cgroup and those below it. A process that exits
    /// between the listing and the read is left out of this read (cAdvisor
    /// reports zeros for the whole cgroup then).
    pub(super) fn sched(&self, out: &mut SeriesOut<'_>, f: &Sched, cgroup_name: &str) {
        let mut now = std::collections::HashMap::new();
        for pid in self.opts.hierarchy.all_procs(cgroup_name) {
            let path = self.opts.procfs.join(format!("{pid}/schedstat"));
            if let Some(v) = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| parse::schedstat(&t))
            {
                now.insert(pid, v);
            }
        }
        let [run, runqueue, periods] = match self.sched_seen.lock() {
            Ok(mut seen) => match seen.get_mut(cgroup_name) {
                Some(s) => s.update(now),
                None => seen.entry(cgroup_name.into()).or_default().update(now),
            },
            Err(_) => SchedSeen::default().update(now),
        };
        out.value(&f.run_seconds, run as f64 / NS_PER_S);
        out.value(&f.runqueue_seconds, runqueue as f64 / NS_PER_S);
        out.value(&f.run_periods, periods as f64);
    }

    /// `cpuLoad`: threads by state from each thread's `/proc/<tid>/stat`
    /// (cAdvisor asks the kernel's cgroupstats over netlink, which on 6.x
    /// kernels misses tasks sleeping freezable, e.g. in nanosleep). The
    /// load gauges are in cAdvisor's unit (thousandths of a task) and
    /// sampled at scrape time: cAdvisor's 10 s decay needs its 1 s
    /// housekeeping loop, which this exporter does not run.
    pub(super) fn cpu_load(&self, out: &mut SeriesOut<'_>, f: &CpuLoad, cgroup_name: &str) {
        let mut states = parse::TaskStates::default();
        let mut path = self.opts.procfs.clone();
        let mut buf = String::new();
        for tid in self.opts.hierarchy.threads(cgroup_name) {
            path.push(tid.to_string());
            path.push("stat");
            buf.clear();
            if let Ok(mut file) = std::fs::File::open(&path)
                && std::io::Read::read_to_string(&mut file, &mut buf).is_ok()
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
            out.labelled(&f.tasks_state, &[state], n as f64);
        }
        out.value(&f.load_average_10s, (states.running * 1000) as f64);
        out.value(
            &f.load_d_average_10s,
            (states.uninterruptible * 1000) as f64,
        );
    }

    /// `oom_event`: the larger of the kernel's OOM-kill counter and the
    /// OOM events Docker reported, never going back.
    pub(super) fn oom_event(&self, out: &mut SeriesOut<'_>, f: &OomEvent, cg: &Cgroup<'_>) {
        let kernel = cg
            .stats
            .memory
            .as_ref()
            .and_then(|m| m.oom_kills)
            .unwrap_or(0);
        let events = cg
            .container_id
            .map(|id| self.names.oom_events(id))
            .unwrap_or(0);
        let count = match self.oom_seen.lock() {
            Ok(mut seen) => {
                let count = match seen.get_mut(cg.name) {
                    Some(v) => v,
                    None => seen.entry(cg.name.into()).or_insert(0),
                };
                *count = (*count).max(kernel).max(events);
                *count
            }
            Err(_) => kernel.max(events),
        };
        out.value(&f.events, count as f64);
    }

    /// `network`: `/proc/<pid>/net/dev` of a process in the cgroup's
    /// network namespace (the host's for the root cgroup; nothing for
    /// cgroups that are not containers, which share the host's).
    /// A container's first process: the runtime's, else the cgroup's first.
    fn container_pid(&self, cg: &Cgroup<'_>) -> Option<u32> {
        cg.container_id?;
        cg.meta
            .and_then(|m| m.pid)
            .or_else(|| self.opts.hierarchy.procs(cg.name).first().copied())
    }

    /// The process whose network namespace is the cgroup's: init for `/`,
    /// as cAdvisor; none for other raw cgroups.
    fn network_pid(&self, cg: &Cgroup<'_>) -> Option<u32> {
        if cg.name == "/" {
            Some(1)
        } else {
            self.container_pid(cg)
        }
    }

    /// cAdvisor's tcp and udp groups: `/proc/<pid>/net/{tcp,tcp6,udp,udp6}`
    /// of the cgroup's network process. As there, a file that cannot be
    /// read or parsed gives zeros.
    pub(super) fn sockets(
        &self,
        out: &mut SeriesOut<'_>,
        tcp: Option<&Tcp>,
        udp: Option<&Udp>,
        cg: &Cgroup<'_>,
    ) {
        let Some(pid) = self.network_pid(cg) else {
            return;
        };
        let read = |file: &str| {
            let path = self.opts.procfs.join(format!("{pid}/net/{file}"));
            let text = std::fs::read_to_string(&path);
            if let Err(e) = &text {
                tracing::debug!(path = %path.display(), error = %e, "socket table");
            }
            text.unwrap_or_default()
        };
        if let Some(f) = tcp {
            for (desc, file) in [(&f.tcp_usage, "tcp"), (&f.tcp6_usage, "tcp6")] {
                let counts = parse::tcp_states(&read(file)).unwrap_or_else(|e| {
                    tracing::debug!(error = %e, "socket table");
                    [0; 11]
                });
                for (state, n) in parse::TCP_STATES.iter().zip(counts) {
                    out.labelled(desc, &[state], n as f64);
                }
            }
        }
        if let Some(f) = udp {
            for (desc, file) in [(&f.udp_usage, "udp"), (&f.udp6_usage, "udp6")] {
                let u = parse::udp(&read(file));
                for (state, n) in [
                    ("listen", u.listen),
                    ("dropped", u.dropped),
                    ("rxqueued", u.rx_queued),
                    ("txqueued", u.tx_queued),
                ] {
                    out.labelled(desc, &[state], n as f64);
                }
            }
        }
    }

    pub(super) fn network(&self, out: &mut SeriesOut<'_>, f: &Network, cg: &Cgroup<'_>) {
        let Some(pid) = self.network_pid(cg) else {
            return;
        };
        let path = self.opts.procfs.join(format!("{pid}/net/dev"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let devs = match parse::net_dev(&text) {
            Ok(devs) => devs,
            Err(err) => {
                tracing::debug!(path = %path.display(), error = %err, "net/dev");
                return;
            }
        };
        for d in devs.iter().filter(|d| !parse::ignored_interface(&d.name)) {
            let interface: &[&str] = &[&d.name];
            for (desc, v) in [
                (&f.receive_bytes, d.rx_bytes),
                (&f.receive_packets, d.rx_packets),
                (&f.receive_errors, d.rx_errors),
                (&f.receive_packets_dropped, d.rx_dropped),
                (&f.transmit_bytes, d.tx_bytes),
                (&f.transmit_packets, d.tx_packets),
                (&f.transmit_errors, d.tx_errors),
                (&f.transmit_packets_dropped, d.tx_dropped),
            ] {
                out.labelled(desc, interface, v as f64);
            }
        }
    }

    /// `diskIO` from the cgroup's io (v2) or blkio (v1) controller.
    pub(super) fn disk_io(&self, out: &mut SeriesOut<'_>, f: &DiskIo, cg: &Cgroup<'_>) {
        // The root's operation counts come from /proc/diskstats
        // (`root_filesystems`).
        let root = cg.name == "/";
        for d in &cg.stats.io {
            let device = self.device_name(d.major, d.minor);
            let (major, minor) = (d.major.to_string(), d.minor.to_string());
            for (op, v) in &d.bytes {
                out.labelled(
                    &f.blkio_device_usage,
                    &[&device, &major, &minor, op],
                    *v as f64,
                );
            }
            for (desc, us) in [
                (&f.io_cost_usage, d.cost_usage_us),
                (&f.io_cost_wait, d.cost_wait_us),
                (&f.io_cost_indebt, d.cost_indebt_us),
                (&f.io_cost_indelay, d.cost_indelay_us),
            ] {
                if let Some(us) = us {
                    out.labelled(desc, &[&device], us as f64 / US_PER_S);
                }
            }
            for (desc, v) in [
                (&f.reads_bytes, d.bytes("Read")),
                (&f.writes_bytes, d.bytes("Write")),
                (&f.reads, d.ops("Read").filter(|_| !root)),
                (&f.writes, d.ops("Write").filter(|_| !root)),
            ] {
                if let Some(v) = v {
                    out.labelled(desc, &[&device], v as f64);
                }
            }
        }
    }

    /// `/dev/<name>` of a block device, from sysfs, cached.
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

    /// The root cgroup's filesystems, as cAdvisor reports them, for every
    /// block device mounted on the host: `disk` (capacity and inodes by
    /// statvfs) and `diskIO` (from /proc/diskstats). (Per-container
    /// writable-layer usage would need a walk of each layer; it is left
    /// out.)
    pub(super) fn root_filesystems(
        &self,
        out: &mut SeriesOut<'_>,
        disk: Option<&Disk>,
        disk_io: Option<&DiskIo>,
    ) {
        if disk.is_none() && disk_io.is_none() {
            return;
        }
        let mounts = std::fs::read_to_string(self.opts.procfs.join("1/mounts"))
            .or_else(|_| std::fs::read_to_string(self.opts.procfs.join("self/mounts")))
            .map(|t| parse::block_mounts(&t))
            .unwrap_or_default();
        if let Some(f) = disk {
            self.filesystem_usage(out, f, &mounts);
        }
        if let Some(f) = disk_io {
            self.diskstats(out, f, &mounts);
        }
    }

    /// `disk` of the root cgroup: statvfs of each mount point.
    fn filesystem_usage(&self, out: &mut SeriesOut<'_>, f: &Disk, mounts: &[(String, String)]) {
        for (dev, mount_point) in mounts {
            let path = self.opts.rootfs.join(mount_point.trim_start_matches('/'));
            let Ok(st) = rustix::fs::statvfs(&path) else {
                continue;
            };
            let frsize = st.f_frsize as f64;
            let device: &[&str] = &[dev];
            out.labelled(&f.limit, device, st.f_blocks as f64 * frsize);
            out.labelled(
                &f.usage,
                device,
                st.f_blocks.saturating_sub(st.f_bfree) as f64 * frsize,
            );
            out.labelled(&f.inodes_total, device, st.f_files as f64);
            out.labelled(&f.inodes_free, device, st.f_ffree as f64);
        }
    }

    /// `diskIO` of the root cgroup: /proc/diskstats of each mounted device.
    fn diskstats(&self, out: &mut SeriesOut<'_>, f: &DiskIo, mounts: &[(String, String)]) {
        let Ok(text) = std::fs::read_to_string(self.opts.procfs.join("diskstats")) else {
            return;
        };
        let Ok(stats) = parse::diskstats(&text) else {
            return;
        };
        let seconds = |ms: u64| ms as f64 / 1000.0;
        for (dev, _) in mounts {
            let Some(s) = stats
                .iter()
                .find(|s| dev.strip_prefix("/dev/") == Some(s.name.as_str()))
            else {
                continue;
            };
            let device: &[&str] = &[dev];
            for (desc, v) in [
                (&f.reads, s.reads as f64),
                (&f.reads_merged, s.reads_merged as f64),
                (&f.sector_reads, s.sectors_read as f64),
                (&f.read_seconds, seconds(s.read_ms)),
                (&f.writes, s.writes as f64),
                (&f.writes_merged, s.writes_merged as f64),
                (&f.sector_writes, s.sectors_written as f64),
                (&f.write_seconds, seconds(s.write_ms)),
                (&f.io_current, s.io_in_progress as f64),
                (&f.io_time_seconds, seconds(s.io_ms)),
                (&f.io_time_weighted_seconds, seconds(s.weighted_io_ms)),
            ] {
                out.labelled(desc, device, v);
            }
        }
    }

    /// `process`: processes, threads and the processes' open files and
    /// sockets.
    pub(super) fn process(&self, out: &mut SeriesOut<'_>, f: &Process, cg: &Cgroup<'_>) {
        let procs = self.opts.hierarchy.procs(cg.name);
        out.value(&f.processes, procs.len() as f64);
        if let Some(threads) = cg.stats.pids_current {
            out.value(&f.threads, threads as f64);
            out.value(&f.threads_max, cg.stats.pids_max.unwrap_or(0) as f64);
        }
        let (mut fds, mut sockets) = (0u64, 0u64);
        for pid in &procs {
            let Ok(entries) = std::fs::read_dir(self.opts.procfs.join(format!("{pid}/fd"))) else {
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
        out.value(&f.file_descriptors, fds as f64);
        out.value(&f.sockets, sockets as f64);
        // Containers only: cAdvisor reads the limits of a container's root
        // process, and raw cgroups have none.
        if let Some(pid) = self.container_pid(cg)
            && let Ok(text) =
                std::fs::read_to_string(self.opts.procfs.join(format!("{pid}/limits")))
            && let Some(soft) = parse::max_open_files_soft(&text)
        {
            out.labelled(&f.ulimits_soft, &["max_open_files"], soft as f64);
        }
    }

    /// The families cAdvisor writes whatever the groups: the spec (for
    /// cgroups with the controller), start and creation time, health and
    /// last-seen time.
    pub(super) fn always(&self, out: &mut SeriesOut<'_>, f: &Always, cg: &Cgroup<'_>, now: f64) {
        let spec = &cg.stats.cpu_spec;
        for (desc, v) in [
            (&f.spec_cpu_period, spec.period_us),
            (&f.spec_cpu_quota, spec.quota_us),
            (&f.spec_cpu_shares, spec.shares),
        ] {
            if let Some(v) = v {
                out.value(desc, v as f64);
            }
        }
        if let Some(ms) = &cg.stats.memory_spec {
            out.value(&f.spec_memory_limit, ms.limit.unwrap_or(0) as f64);
            out.value(
                &f.spec_memory_reservation_limit,
                ms.reservation.unwrap_or(0) as f64,
            );
            out.value(&f.spec_memory_swap_limit, ms.swap_limit.unwrap_or(0) as f64);
        }
        // As cAdvisor: the runtime's creation time, else the cgroup's; the
        // runtime's start time (Docker's StartedAt), else the cgroup's
        // creation (containerd, raw cgroups). Whole seconds (Go's Unix()).
        let (meta_created, meta_started) = (
            cg.meta.and_then(|m| m.created),
            cg.meta.and_then(|m| m.started),
        );
        let cgroup_created = if meta_created.is_none() || meta_started.is_none() {
            self.opts.hierarchy.created(cg.name)
        } else {
            None
        };
        let created = meta_created.or(cgroup_created);
        let started = meta_started.or(cgroup_created).or(created);
        if let Some(started) = started {
            out.value(&f.start_time, started.floor());
        }
        if let Some(created) = created {
            out.value(&f.creation_time, created.floor());
        }
        // -1 (no health check) for raw cgroups too, as cAdvisor.
        out.value(&f.health_state, cg.meta.map_or(-1.0, |m| m.health));
        out.value(&f.last_seen, now);
    }
}
