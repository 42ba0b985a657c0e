//! cAdvisor's `container_*` families, one struct per metric group
//! (cAdvisor's `container.MetricKind`, as `--enable_metrics` and
//! `--disable_metrics` name them). A group's descriptors exist only when
//! the group is on, and code writes through the struct's fields: a
//! misspelt family is a compile error, not a family that silently never
//! appears. The unit test below checks each name, type and label set
//! against cAdvisor's catalog.

use std::sync::Arc;

use exporter_kit::{Desc, Kind};

use crate::args::MetricSet;

/// The label names every container family ends with: `id`, `image`,
/// `name`, then one `container_label_<sanitised name>` per container label
/// of the scrape, as cAdvisor unites the labels of all the containers it
/// reports. Two labels that sanitise alike give one metric label, valued
/// from the first by name (cAdvisor keeps whichever its map iteration
/// meets first, which changes from scrape to scrape).
pub struct CommonLabels {
    names: Vec<String>,
    /// The container label each `container_label_*` name takes its value
    /// from, in the order of those names.
    keys: Vec<Arc<str>>,
}

impl CommonLabels {
    /// `keys`: the container labels of the scrape, sorted.
    pub fn new<K: AsRef<str>>(keys: &[K]) -> CommonLabels {
        let mut names: Vec<String> = vec!["id".into(), "image".into(), "name".into()];
        let mut kept = Vec::new();
        for key in keys {
            let n = format!(
                "container_label_{}",
                exporter_kit::desc::sanitize_label_name(key.as_ref())
            );
            if !names.contains(&n) {
                names.push(n);
                kept.push(Arc::from(key.as_ref()));
            }
        }
        CommonLabels { names, keys: kept }
    }

    /// The container labels valued by the `container_label_*` names.
    pub fn keys(&self) -> &[Arc<str>] {
        &self.keys
    }

    fn desc(&self, name: &str, kind: Kind, extra: &[&str], help: &str) -> Desc {
        let labels: Vec<&str> = extra
            .iter()
            .copied()
            .chain(self.names.iter().map(String::as_str))
            .collect();
        Desc::new(name, help, kind, &labels)
    }
}

/// Written with the time of the scrape even when the stats are older.
pub const LAST_SEEN: &str = "container_last_seen";

/// One group: a struct with a `Desc` per family, built from rows of
/// `field: Kind "name" [extra labels] "help"`.
macro_rules! metric_group {
    (
        $(#[$doc:meta])*
        $group:ident $(= $metric_kind:literal)? {
            $( $field:ident: $kind:ident $name:tt [$($label:literal),*] $help:literal, )*
        }
    ) => {
        $(#[$doc])*
        pub struct $group {
            $( pub $field: Desc, )*
        }

        impl $group {
            $(
                /// cAdvisor's name for the group.
                pub const METRIC_KIND: &'static str = $metric_kind;
            )?

            fn new(labels: &CommonLabels) -> $group {
                $group {
                    $( $field: labels.desc($name, Kind::$kind, &[$($label),*], $help), )*
                }
            }

            #[cfg(test)]
            fn descs(&self) -> Vec<&Desc> {
                vec![$( &self.$field ),*]
            }
        }
    };
}

metric_group! {
    /// CPU time and CFS throttling (`percpu` splits the usage by CPU).
    Cpu = "cpu" {
        usage: Counter "container_cpu_usage_seconds_total" ["cpu"]
            "Cumulative cpu time consumed in seconds.",
        user: Counter "container_cpu_user_seconds_total" []
            "Cumulative user cpu time consumed in seconds.",
        system: Counter "container_cpu_system_seconds_total" []
            "Cumulative system cpu time consumed in seconds.",
        cfs_periods: Counter "container_cpu_cfs_periods_total" []
            "Number of elapsed enforcement period intervals.",
        cfs_throttled_periods: Counter "container_cpu_cfs_throttled_periods_total" []
            "Number of throttled period intervals.",
        cfs_throttled_seconds: Counter "container_cpu_cfs_throttled_seconds_total" []
            "Total time duration the container has been throttled.",
        cfs_burst_periods: Counter "container_cpu_cfs_burst_periods_total" []
            "Number of periods when burst occurs.",
        cfs_burst_seconds: Counter "container_cpu_cfs_burst_seconds_total" []
            "Total time duration the container has been bursted.",
    }
}

metric_group! {
    /// Scheduler statistics summed over the cgroup's processes.
    Sched = "sched" {
        run_seconds: Counter "container_cpu_schedstat_run_seconds_total" []
            "Time duration the processes of the container have run on the CPU.",
        runqueue_seconds: Counter "container_cpu_schedstat_runqueue_seconds_total" []
            "Time duration processes of the container have been waiting on a runqueue.",
        run_periods: Counter "container_cpu_schedstat_run_periods_total" []
            "Number of times processes of the cgroup have run on the cpu",
    }
}

metric_group! {
    /// Tasks by state and the load gauges derived from them.
    CpuLoad = "cpuLoad" {
        load_average_10s: Gauge "container_cpu_load_average_10s" []
            "Value of container cpu load average over the last 10 seconds.",
        load_d_average_10s: Gauge "container_cpu_load_d_average_10s" []
            "Value of container cpu load.d average over the last 10 seconds.",
        tasks_state: Gauge "container_tasks_state" ["state"]
            "Number of tasks in given state",
    }
}

metric_group! {
    /// The memory controller's usage and statistics.
    Memory = "memory" {
        usage: Gauge "container_memory_usage_bytes" []
            "Current memory usage in bytes, including all memory regardless of when it was accessed",
        working_set: Gauge "container_memory_working_set_bytes" []
            "Current working set in bytes.",
        max_usage: Gauge "container_memory_max_usage_bytes" []
            "Maximum memory usage recorded in bytes",
        failcnt: Counter "container_memory_failcnt" []
            "Number of memory usage hits limits",
        cache: Gauge "container_memory_cache" []
            "Number of bytes of page cache memory.",
        rss: Gauge "container_memory_rss" []
            "Size of RSS in bytes.",
        swap: Gauge "container_memory_swap" []
            "Container swap usage in bytes.",
        mapped_file: Gauge "container_memory_mapped_file" []
            "Size of memory mapped files in bytes.",
        kernel_usage: Gauge "container_memory_kernel_usage" []
            "Size of kernel memory allocated in bytes.",
        file_dirty: Gauge "container_memory_file_dirty_bytes" []
            "Number of bytes of file cache that has been modified but not yet written back to disk.",
        file_writeback: Gauge "container_memory_file_writeback_bytes" []
            "Number of bytes of file cache that is currently being written back to disk.",
        total_active_file: Gauge "container_memory_total_active_file_bytes" []
            "Current total active file in bytes.",
        total_inactive_file: Gauge "container_memory_total_inactive_file_bytes" []
            "Current total inactive file in bytes.",
        failures: Counter "container_memory_failures_total" ["failure_type", "scope"]
            "Cumulative count of memory allocation failures.",
        pgscan: Counter "container_memory_pgscan_total" []
            "Cumulative number of pages scanned by the page reclaim algorithm.",
        pgsteal: Counter "container_memory_pgsteal_total" []
            "Cumulative number of pages reclaimed by the page reclaim algorithm.",
        workingset_refault_anon: Counter "container_memory_workingset_refault_anon_total" []
            "Cumulative number of refaults of previously evicted anonymous pages.",
        workingset_refault_file: Counter "container_memory_workingset_refault_file_total" []
            "Cumulative number of refaults of previously evicted file pages.",
        events_high: Counter "container_memory_events_high_total" []
            "Cumulative count of memory.high throttle events for the container",
        events_max: Counter "container_memory_events_max_total" []
            "Cumulative count of memory.max limit hit events for the container",
    }
}

metric_group! {
    /// Out-of-memory kills.
    OomEvent = "oom_event" {
        events: Counter "container_oom_events_total" []
            "Count of out of memory events observed for the container",
    }
}

metric_group! {
    /// Interface counters of the container's network namespace.
    Network = "network" {
        receive_bytes: Counter "container_network_receive_bytes_total" ["interface"]
            "Cumulative count of bytes received",
        receive_packets: Counter "container_network_receive_packets_total" ["interface"]
            "Cumulative count of packets received",
        receive_errors: Counter "container_network_receive_errors_total" ["interface"]
            "Cumulative count of errors encountered while receiving",
        receive_packets_dropped: Counter "container_network_receive_packets_dropped_total" ["interface"]
            "Cumulative count of packets dropped while receiving",
        transmit_bytes: Counter "container_network_transmit_bytes_total" ["interface"]
            "Cumulative count of bytes transmitted",
        transmit_packets: Counter "container_network_transmit_packets_total" ["interface"]
            "Cumulative count of packets transmitted",
        transmit_errors: Counter "container_network_transmit_errors_total" ["interface"]
            "Cumulative count of errors encountered while transmitting",
        transmit_packets_dropped: Counter "container_network_transmit_packets_dropped_total" ["interface"]
            "Cumulative count of packets dropped while transmitting",
    }
}

metric_group! {
    /// TCP sockets of the container's network namespace by state.
    Tcp = "tcp" {
        tcp_usage: Gauge "container_network_tcp_usage_total" ["tcp_state"]
            "tcp connection usage statistic for container",
        tcp6_usage: Gauge "container_network_tcp6_usage_total" ["tcp_state"]
            "tcp6 connection usage statistic for container",
    }
}

metric_group! {
    /// UDP sockets of the container's network namespace.
    Udp = "udp" {
        udp_usage: Gauge "container_network_udp_usage_total" ["udp_state"]
            "udp connection usage statistic for container",
        udp6_usage: Gauge "container_network_udp6_usage_total" ["udp_state"]
            "udp6 connection usage statistic for container",
    }
}

metric_group! {
    /// Block I/O: the cgroup's io/blkio controller, and for the root
    /// cgroup /proc/diskstats of every mounted block device.
    DiskIo = "diskIO" {
        blkio_device_usage: Counter "container_blkio_device_usage_total" ["device", "major", "minor", "operation"]
            "Blkio Device bytes usage",
        io_cost_usage: Counter "container_fs_io_cost_usage_seconds_total" ["device"]
            "Cumulative IOCost usage in seconds",
        io_cost_wait: Counter "container_fs_io_cost_wait_seconds_total" ["device"]
            "Cumulative IOCost wait in seconds",
        io_cost_indebt: Counter "container_fs_io_cost_indebt_seconds_total" ["device"]
            "Cumulative IOCost debt in seconds",
        io_cost_indelay: Counter "container_fs_io_cost_indelay_seconds_total" ["device"]
            "Cumulative IOCost delay in seconds",
        reads_bytes: Counter "container_fs_reads_bytes_total" ["device"]
            "Cumulative count of bytes read",
        writes_bytes: Counter "container_fs_writes_bytes_total" ["device"]
            "Cumulative count of bytes written",
        reads: Counter "container_fs_reads_total" ["device"]
            "Cumulative count of reads completed",
        writes: Counter "container_fs_writes_total" ["device"]
            "Cumulative count of writes completed",
        reads_merged: Counter "container_fs_reads_merged_total" ["device"]
            "Cumulative count of reads merged",
        sector_reads: Counter "container_fs_sector_reads_total" ["device"]
            "Cumulative count of sector reads completed",
        read_seconds: Counter "container_fs_read_seconds_total" ["device"]
            "Cumulative count of seconds spent reading",
        writes_merged: Counter "container_fs_writes_merged_total" ["device"]
            "Cumulative count of writes merged",
        sector_writes: Counter "container_fs_sector_writes_total" ["device"]
            "Cumulative count of sector writes completed",
        write_seconds: Counter "container_fs_write_seconds_total" ["device"]
            "Cumulative count of seconds spent writing",
        io_current: Gauge "container_fs_io_current" ["device"]
            "Number of I/Os currently in progress",
        io_time_seconds: Counter "container_fs_io_time_seconds_total" ["device"]
            "Cumulative count of seconds spent doing I/Os",
        io_time_weighted_seconds: Counter "container_fs_io_time_weighted_seconds_total" ["device"]
            "Cumulative weighted I/O time in seconds",
    }
}

metric_group! {
    /// Filesystem capacity and inodes (the root cgroup's filesystems).
    Disk = "disk" {
        limit: Gauge "container_fs_limit_bytes" ["device"]
            "Number of bytes that can be consumed by the container on this filesystem.",
        usage: Gauge "container_fs_usage_bytes" ["device"]
            "Number of bytes that are consumed by the container on this filesystem.",
        inodes_total: Gauge "container_fs_inodes_total" ["device"]
            "Number of Inodes",
        inodes_free: Gauge "container_fs_inodes_free" ["device"]
            "Number of available Inodes",
    }
}

metric_group! {
    /// Pressure stall information (cgroup v2).
    Pressure = "pressure" {
        cpu_waiting: Counter "container_pressure_cpu_waiting_seconds_total" []
            "Total time duration tasks in the container have waited due to CPU congestion.",
        cpu_stalled: Counter "container_pressure_cpu_stalled_seconds_total" []
            "Total time duration no tasks in the container could make progress due to CPU congestion.",
        memory_waiting: Counter "container_pressure_memory_waiting_seconds_total" []
            "Total time duration tasks in the container have waited due to memory congestion.",
        memory_stalled: Counter "container_pressure_memory_stalled_seconds_total" []
            "Total time duration no tasks in the container could make progress due to memory congestion.",
        io_waiting: Counter "container_pressure_io_waiting_seconds_total" []
            "Total time duration tasks in the container have waited due to IO congestion.",
        io_stalled: Counter "container_pressure_io_stalled_seconds_total" []
            "Total time duration no tasks in the container could make progress due to IO congestion.",
    }
}

metric_group! {
    /// Processes, threads and open files of the cgroup's processes.
    Process = "process" {
        processes: Gauge "container_processes" []
            "Number of processes running inside the container.",
        threads: Gauge "container_threads" []
            "Number of threads running inside the container",
        threads_max: Gauge "container_threads_max" []
            "Maximum number of threads allowed inside the container, infinity if value is zero",
        file_descriptors: Gauge "container_file_descriptors" []
            "Number of open file descriptors for the container.",
        ulimits_soft: Gauge "container_ulimits_soft" ["ulimit"]
            "Soft ulimit values for the container root process. Unlimited if -1, except priority and nice",
        sockets: Gauge "container_sockets" []
            "Number of open sockets for the container.",
    }
}

metric_group! {
    /// Written whatever the groups, as cAdvisor does: the container's
    /// spec, start time, health and when the exporter last saw it.
    Always {
        spec_cpu_period: Gauge "container_spec_cpu_period" []
            "CPU period of the container.",
        spec_cpu_quota: Gauge "container_spec_cpu_quota" []
            "CPU quota of the container.",
        spec_cpu_shares: Gauge "container_spec_cpu_shares" []
            "CPU share of the container.",
        spec_memory_limit: Gauge "container_spec_memory_limit_bytes" []
            "Memory limit for the container.",
        spec_memory_reservation_limit: Gauge "container_spec_memory_reservation_limit_bytes" []
            "Memory reservation limit for the container.",
        spec_memory_swap_limit: Gauge "container_spec_memory_swap_limit_bytes" []
            "Memory swap limit for the container.",
        start_time: Gauge "container_start_time_seconds" []
            "Start time of the container since unix epoch in seconds.",
        creation_time: Gauge "container_creation_time_seconds" []
            "Container creation time since unix epoch in seconds.",
        last_seen: Gauge LAST_SEEN []
            "Last time a container was seen by the exporter",
        health_state: Gauge "container_health_state" []
            "The result of the container's health check",
    }
}

/// The descriptors of the groups that are on.
pub struct Families {
    pub cpu: Option<Cpu>,
    /// `percpu`: usage by CPU instead of one `cpu="total"` series. It has
    /// no family of its own.
    pub percpu: bool,
    pub sched: Option<Sched>,
    pub cpu_load: Option<CpuLoad>,
    pub memory: Option<Memory>,
    pub oom_event: Option<OomEvent>,
    pub network: Option<Network>,
    pub tcp: Option<Tcp>,
    pub udp: Option<Udp>,
    pub disk_io: Option<DiskIo>,
    pub disk: Option<Disk>,
    pub pressure: Option<Pressure>,
    pub process: Option<Process>,
    pub always: Always,
}

impl Families {
    pub fn new(included: &MetricSet, labels: &CommonLabels) -> Families {
        Families {
            cpu: included.has(Cpu::METRIC_KIND).then(|| Cpu::new(labels)),
            percpu: included.has("percpu"),
            sched: included.has(Sched::METRIC_KIND).then(|| Sched::new(labels)),
            cpu_load: included
                .has(CpuLoad::METRIC_KIND)
                .then(|| CpuLoad::new(labels)),
            memory: included
                .has(Memory::METRIC_KIND)
                .then(|| Memory::new(labels)),
            oom_event: included
                .has(OomEvent::METRIC_KIND)
                .then(|| OomEvent::new(labels)),
            network: included
                .has(Network::METRIC_KIND)
                .then(|| Network::new(labels)),
            tcp: included.has(Tcp::METRIC_KIND).then(|| Tcp::new(labels)),
            udp: included.has(Udp::METRIC_KIND).then(|| Udp::new(labels)),
            disk_io: included
                .has(DiskIo::METRIC_KIND)
                .then(|| DiskIo::new(labels)),
            disk: included.has(Disk::METRIC_KIND).then(|| Disk::new(labels)),
            pressure: included
                .has(Pressure::METRIC_KIND)
                .then(|| Pressure::new(labels)),
            process: included
                .has(Process::METRIC_KIND)
                .then(|| Process::new(labels)),
            always: Always::new(labels),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::args::{ALL_METRICS, MetricSet};

    const CATALOG: &str = include_str!("../../../../../catalog/upstream/cadvisor.tsv");

    /// Every group on, each family with the group cAdvisor files it under.
    fn every_family() -> Vec<(&'static str, Desc)> {
        let all = MetricSet(ALL_METRICS.iter().map(|m| m.to_string()).collect());
        let f = Families::new(&all, &CommonLabels::new::<&str>(&[]));
        let mut out = Vec::new();
        let mut add = |group: &'static str, descs: Vec<&Desc>| {
            out.extend(descs.into_iter().map(|d| (group, d.clone())));
        };
        let on = "every group is on";
        add(Cpu::METRIC_KIND, f.cpu.as_ref().expect(on).descs());
        add(Sched::METRIC_KIND, f.sched.as_ref().expect(on).descs());
        add(CpuLoad::METRIC_KIND, f.cpu_load.as_ref().expect(on).descs());
        add(Memory::METRIC_KIND, f.memory.as_ref().expect(on).descs());
        add(
            OomEvent::METRIC_KIND,
            f.oom_event.as_ref().expect(on).descs(),
        );
        add(Network::METRIC_KIND, f.network.as_ref().expect(on).descs());
        add(Tcp::METRIC_KIND, f.tcp.as_ref().expect(on).descs());
        add(Udp::METRIC_KIND, f.udp.as_ref().expect(on).descs());
        add(DiskIo::METRIC_KIND, f.disk_io.as_ref().expect(on).descs());
        add(Disk::METRIC_KIND, f.disk.as_ref().expect(on).descs());
        add(
            Pressure::METRIC_KIND,
            f.pressure.as_ref().expect(on).descs(),
        );
        add(Process::METRIC_KIND, f.process.as_ref().expect(on).descs());
        add("always", f.always.descs());
        out
    }

    #[test]
    fn every_family_is_cadvisors_with_its_type_labels_group_and_help() {
        // name -> (type, sorted labels, group, help)
        let catalog: BTreeMap<&str, (&str, &str, &str, &str)> = CATALOG
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Some((
                    *f.first()?,
                    (*f.get(1)?, *f.get(2)?, *f.get(3)?, *f.get(5)?),
                ))
            })
            .collect();
        let mut seen = BTreeSet::new();
        for (group, desc) in every_family() {
            let name = desc.name();
            assert!(seen.insert(name.to_string()), "{name} twice");
            let Some(&(kind, labels, cadvisor_group, help)) = catalog.get(name) else {
                panic!("{name} is not a cAdvisor family");
            };
            assert_eq!(desc.kind().as_str(), kind, "{name}");
            let mut ours: Vec<&str> = desc.label_names().collect();
            ours.sort_unstable();
            assert_eq!(ours.join(","), labels, "{name}");
            assert_eq!(group, cadvisor_group, "{name}");
            // Dashboards and tests diff whole expositions, HELP lines included.
            assert_eq!(desc.help(), help, "{name}");
        }
    }

    #[test]
    fn groups_are_named_as_the_flags_accept_them() {
        for kind in [
            Cpu::METRIC_KIND,
            Sched::METRIC_KIND,
            CpuLoad::METRIC_KIND,
            Memory::METRIC_KIND,
            OomEvent::METRIC_KIND,
            Network::METRIC_KIND,
            Tcp::METRIC_KIND,
            Udp::METRIC_KIND,
            DiskIo::METRIC_KIND,
            Disk::METRIC_KIND,
            Pressure::METRIC_KIND,
            Process::METRIC_KIND,
        ] {
            assert!(ALL_METRICS.contains(&kind), "{kind}");
        }
    }

    #[test]
    fn a_group_that_is_off_has_no_descriptors() {
        let only_cpu = MetricSet(["cpu".to_string()].into());
        let f = Families::new(&only_cpu, &CommonLabels::new::<&str>(&[]));
        assert!(f.cpu.is_some());
        assert!(f.memory.is_none() && f.network.is_none() && f.disk_io.is_none());
        assert!(!f.percpu);
    }

    #[test]
    fn container_labels_follow_the_common_ones_once_each() {
        let labels = CommonLabels::new(&["com.example.team", "com.example/team", "tier"]);
        let f = Families::new(&MetricSet::default(), &labels);
        let names: Vec<&str> = f.always.last_seen.label_names().collect();
        assert_eq!(
            names,
            [
                "id",
                "image",
                "name",
                "container_label_com_example_team",
                "container_label_tier"
            ]
        );
        let keys: Vec<&str> = labels.keys().iter().map(|k| &**k).collect();
        assert_eq!(keys, ["com.example.team", "tier"]);
    }
}
