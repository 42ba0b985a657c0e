//! The cgroup side without Docker: fixture trees for v2 (this host's
//! controllers sit on v1) and v1, and the live host's v1 hierarchy.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{Series, find, parse, value};
use container_exporter::args::{Args, MetricSet};
use container_exporter::cgroup::Hierarchy;
use container_exporter::collectors::container::{ContainerCollector, Names, NoNames, Options};
use container_exporter::docker::Meta;
use exporter_kit::AnyCollector;
use exporter_kit::testing::{collect_one, to_text};

const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn default_included() -> MetricSet {
    let cli = exporter_kit::args::parse_from(
        &container_exporter::SPEC,
        container_exporter::COLLECTORS,
        ["x"],
    )
    .expect("defaults parse");
    let args: Args = cli.args;
    args.included()
}

fn scrape(root: &Path, included: MetricSet, docker_only: bool) -> Vec<Series> {
    scrape_named(root, included, docker_only, Box::new(NoNames))
}

fn scrape_named(
    root: &Path,
    included: MetricSet,
    docker_only: bool,
    names: Box<dyn Names>,
) -> Vec<Series> {
    collect(&collector(
        root,
        included,
        docker_only,
        names,
        Duration::ZERO,
    ))
}

fn collector(
    root: &Path,
    included: MetricSet,
    docker_only: bool,
    names: Box<dyn Names>,
    housekeeping_interval: Duration,
) -> AnyCollector {
    let hierarchy = Hierarchy::detect(root).expect("hierarchy detected");
    AnyCollector::blocking(ContainerCollector::new(
        Options {
            hierarchy,
            procfs: fixtures().join("proc"),
            sysfs: fixtures().join("sys"),
            rootfs: "/".into(),
            included,
            docker_only,
            raw_prefixes: Vec::new(),
            disable_root: false,
            housekeeping_interval,
        },
        names,
    ))
}

fn collect(collector: &AnyCollector) -> Vec<Series> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (result, families) = runtime.block_on(collect_one(collector, Duration::from_secs(5)));
    assert!(result.is_ok(), "{result:?}");
    parse(&to_text(&families))
}

#[test]
fn v2_fixture_tree() {
    let root = fixtures().join("cgroup-v2");
    assert!(matches!(Hierarchy::detect(&root), Ok(Hierarchy::V2 { .. })));
    let all = scrape(&root, default_included(), false);
    let id = format!("/system.slice/docker-{ID}.scope");
    let c = [("id", id.as_str())];
    let v = |name: &str| value(&all, name, &c);
    // CPU: cpu.stat in microseconds -> seconds; one cpu="total" series on v2.
    assert_eq!(
        value(
            &all,
            "container_cpu_usage_seconds_total",
            &[("id", id.as_str()), ("cpu", "total")]
        ),
        Some(2.5)
    );
    assert_eq!(v("container_cpu_user_seconds_total"), Some(2.0));
    assert_eq!(v("container_cpu_system_seconds_total"), Some(0.5));
    assert_eq!(v("container_cpu_cfs_periods_total"), Some(120.0));
    assert_eq!(v("container_cpu_cfs_throttled_periods_total"), Some(7.0));
    assert_eq!(v("container_cpu_cfs_throttled_seconds_total"), Some(0.35));
    assert_eq!(v("container_spec_cpu_quota"), Some(50000.0));
    // cpuLoad: cgroup.threads, each thread's state in /proc/<tid>/stat.
    let state = |s: &str| {
        value(
            &all,
            "container_tasks_state",
            &[("id", id.as_str()), ("state", s)],
        )
    };
    assert_eq!(state("sleeping"), Some(1.0));
    assert_eq!(state("running"), Some(1.0));
    assert_eq!(state("uninterruptible"), Some(0.0));
    assert_eq!(v("container_cpu_load_average_10s"), Some(1000.0));
    assert_eq!(v("container_cpu_load_d_average_10s"), Some(0.0));
    assert_eq!(v("container_spec_cpu_period"), Some(100000.0));
    // cpu.weight converted back to shares as cAdvisor does:
    // 2 + (weight - 1) * 262142 / 9999.
    assert_eq!(v("container_spec_cpu_shares"), Some(2597.0));
    // Memory: working set = usage - inactive_file.
    assert_eq!(v("container_memory_usage_bytes"), Some(41943040.0));
    assert_eq!(
        v("container_memory_working_set_bytes"),
        Some(41943040.0 - 6291456.0)
    );
    assert_eq!(v("container_memory_max_usage_bytes"), Some(52428800.0));
    assert_eq!(v("container_memory_rss"), Some(20971520.0));
    assert_eq!(v("container_memory_cache"), Some(16777216.0));
    assert_eq!(v("container_memory_mapped_file"), Some(1048576.0));
    assert_eq!(v("container_memory_kernel_usage"), Some(2097152.0));
    assert_eq!(v("container_memory_failcnt"), Some(9.0));
    assert_eq!(v("container_memory_events_high_total"), Some(4.0));
    assert_eq!(v("container_memory_events_max_total"), Some(9.0));
    assert_eq!(v("container_memory_pgscan_total"), Some(400.0));
    assert_eq!(
        v("container_memory_workingset_refault_file_total"),
        Some(11.0)
    );
    assert_eq!(
        value(
            &all,
            "container_memory_failures_total",
            &[
                ("id", id.as_str()),
                ("failure_type", "pgmajfault"),
                ("scope", "container")
            ]
        ),
        Some(12.0)
    );
    // OOM kills from memory.events.
    assert_eq!(v("container_oom_events_total"), Some(2.0));
    assert_eq!(v("container_spec_memory_limit_bytes"), Some(67108864.0));
    // memory.min (16 MiB), as cAdvisor, not memory.low (32 MiB).
    assert_eq!(
        v("container_spec_memory_reservation_limit_bytes"),
        Some(16777216.0)
    );
    assert_eq!(
        v("container_spec_memory_swap_limit_bytes"),
        Some(0.0),
        "max is reported as 0"
    );
    // The root has neither cpu.max nor cpu.weight: cAdvisor still reports
    // a CPU spec for every v2 cgroup, period and shares 0, no quota.
    let root = [("id", "/")];
    // The root has no memory.current: runc's emulation, which cAdvisor
    // reports: usage = anon + file of memory.stat (100 + 200 MiB), swap =
    // SwapTotal - SwapFree of /proc/meminfo (1 GiB - 768 MiB), working set
    // = usage - inactive_file (50 MiB); no memory spec (no memory.max).
    assert_eq!(
        value(&all, "container_memory_usage_bytes", &root),
        Some(314572800.0)
    );
    assert_eq!(
        value(&all, "container_memory_working_set_bytes", &root),
        Some(314572800.0 - 52428800.0)
    );
    assert_eq!(
        value(&all, "container_memory_swap", &root),
        Some(268435456.0)
    );
    assert_eq!(
        value(&all, "container_memory_rss", &root),
        Some(104857600.0)
    );
    assert_eq!(
        value(&all, "container_spec_memory_limit_bytes", &root),
        None
    );
    assert_eq!(value(&all, "container_spec_cpu_period", &root), Some(0.0));
    assert_eq!(value(&all, "container_spec_cpu_shares", &root), Some(0.0));
    assert_eq!(value(&all, "container_spec_cpu_quota", &root), None);
    // io.stat -> blkio and fs families, device named from sysfs.
    assert_eq!(
        value(
            &all,
            "container_blkio_device_usage_total",
            &[
                ("id", id.as_str()),
                ("device", "/dev/sda"),
                ("major", "8"),
                ("minor", "0"),
                ("operation", "Write")
            ]
        ),
        Some(2097152.0)
    );
    assert_eq!(
        value(
            &all,
            "container_fs_reads_total",
            &[("id", id.as_str()), ("device", "/dev/sda")]
        ),
        Some(16.0)
    );
    assert_eq!(
        value(
            &all,
            "container_fs_reads_bytes_total",
            &[("id", id.as_str()), ("device", "")]
        ),
        Some(4096.0),
        "unknown device: empty name"
    );
    assert_eq!(
        value(
            &all,
            "container_fs_io_cost_wait_seconds_total",
            &[("id", id.as_str()), ("device", "/dev/sda")]
        ),
        Some(0.25)
    );
    // Network from the first process's namespace; lo left out.
    assert_eq!(
        value(
            &all,
            "container_network_receive_bytes_total",
            &[("id", id.as_str()), ("interface", "eth0")]
        ),
        Some(123456.0)
    );
    assert_eq!(
        value(
            &all,
            "container_network_transmit_packets_dropped_total",
            &[("id", id.as_str()), ("interface", "eth0")]
        ),
        Some(4.0)
    );
    assert!(
        find(
            &all,
            "container_network_receive_bytes_total",
            &[("interface", "lo")]
        )
        .is_empty()
    );
    // Root: host interfaces from pid 1, docker0 left out.
    assert_eq!(
        value(
            &all,
            "container_network_receive_bytes_total",
            &[("id", "/"), ("interface", "ens3")]
        ),
        Some(999.0)
    );
    assert!(
        find(
            &all,
            "container_network_receive_bytes_total",
            &[("interface", "docker0")]
        )
        .is_empty()
    );
    // Pressure: some -> waiting, full -> stalled.
    assert_eq!(
        v("container_pressure_memory_waiting_seconds_total"),
        Some(0.25)
    );
    assert_eq!(
        v("container_pressure_memory_stalled_seconds_total"),
        Some(0.125)
    );
    // The fixture container has no cpu.pressure or io.pressure: 0, as
    // cAdvisor writes the pairs whatever the kernel provides.
    assert_eq!(v("container_pressure_cpu_waiting_seconds_total"), Some(0.0));
    assert_eq!(v("container_pressure_io_stalled_seconds_total"), Some(0.0));
    assert_eq!(
        value(
            &all,
            "container_pressure_cpu_stalled_seconds_total",
            &[("id", "/")]
        ),
        Some(0.5)
    );
    // Root filesystems: diskstats of mounted block devices, statvfs sizes.
    let sda1 = [("id", "/"), ("device", "/dev/sda1")];
    assert_eq!(value(&all, "container_fs_reads_total", &sda1), Some(100.0));
    assert_eq!(
        value(&all, "container_fs_sector_writes_total", &sda1),
        Some(800.0)
    );
    assert_eq!(
        value(&all, "container_fs_io_time_seconds_total", &sda1),
        Some(0.06)
    );
    assert_eq!(value(&all, "container_fs_io_current", &sda1), Some(1.0));
    assert!(value(&all, "container_fs_limit_bytes", &sda1).unwrap_or(0.0) > 0.0);
    assert!(value(&all, "container_fs_inodes_total", &sda1).unwrap_or(0.0) > 0.0);
    assert!(
        find(&all, "container_fs_reads_total", &[("device", "/dev/sda")])
            .iter()
            .all(|s| s.labels["id"] != "/")
    );
    // process group is off by default, as upstream.
    assert!(v("container_processes").is_none());
    // Without a runtime no container has labels, so no series has a
    // container_label_* (cAdvisor unites the labels of its containers).
    let s = find(&all, "container_last_seen", &c);
    assert!(
        s[0].labels
            .keys()
            .all(|k| !k.starts_with("container_label_")),
        "{:?}",
        s[0].labels
    );
    assert_eq!(s[0].labels["name"], "");
    // Raw cgroups are reported too unless --docker_only.
    assert!(
        value(
            &all,
            "container_memory_usage_bytes",
            &[("id", "/system.slice/ssh.service")]
        )
        .is_some()
    );
    assert_eq!(value(&all, "container_scrape_error", &[]), Some(0.0));
    // No runtime, no health check: -1 for every cgroup, as cAdvisor.
    assert_eq!(
        value(
            &all,
            "container_health_state",
            &[("id", "/system.slice/ssh.service")]
        ),
        Some(-1.0)
    );
}

#[test]
fn v2_docker_only_and_metric_groups() {
    let root = fixtures().join("cgroup-v2");
    let included = container_exporter::args::parse_metric_set("cpu,process").expect("set");
    let all = scrape(&root, included, true);
    assert!(
        value(
            &all,
            "container_last_seen",
            &[("id", "/system.slice/ssh.service")]
        )
        .is_none()
    );
    assert!(value(&all, "container_last_seen", &[("id", "/")]).is_some());
    assert!(
        all.iter().all(|s| !s.name.starts_with("container_memory_")),
        "memory group disabled"
    );
    let id = format!("/system.slice/docker-{ID}.scope");
    assert_eq!(
        value(&all, "container_processes", &[("id", id.as_str())]),
        Some(2.0)
    );
    assert_eq!(
        value(&all, "container_threads", &[("id", id.as_str())]),
        Some(3.0)
    );
    assert_eq!(
        value(&all, "container_threads_max", &[("id", id.as_str())]),
        Some(100.0)
    );
    // The soft `Max open files` of the container's first process (4242).
    assert_eq!(
        value(
            &all,
            "container_ulimits_soft",
            &[("id", id.as_str()), ("ulimit", "max_open_files")]
        ),
        Some(4096.0)
    );
    // Raw cgroups have no root process to read limits of, as in cAdvisor.
    assert!(value(&all, "container_ulimits_soft", &[("id", "/")]).is_none());
    // Spec families are always on.
    assert_eq!(
        value(&all, "container_spec_cpu_quota", &[("id", id.as_str())]),
        Some(50000.0)
    );
}

#[test]
fn v2_tcp_and_udp_groups() {
    let root = fixtures().join("cgroup-v2");
    let included = container_exporter::args::parse_metric_set("tcp,udp").expect("set");
    let all = scrape(&root, included, false);
    let id = format!("/system.slice/docker-{ID}.scope");
    let state = |name: &str, label: &str, state: &str| {
        value(&all, name, &[("id", id.as_str()), (label, state)])
    };
    // proc/4242/net/tcp: one LISTEN (0A), two ESTABLISHED (01), one
    // CLOSE_WAIT (08); every other state is written as 0.
    let tcp = |s: &str| state("container_network_tcp_usage_total", "tcp_state", s);
    assert_eq!(tcp("listen"), Some(1.0));
    assert_eq!(tcp("established"), Some(2.0));
    assert_eq!(tcp("closewait"), Some(1.0));
    assert_eq!(tcp("timewait"), Some(0.0));
    assert_eq!(
        find(
            &all,
            "container_network_tcp_usage_total",
            &[("id", id.as_str())]
        )
        .len(),
        11
    );
    let tcp6 = |s: &str| state("container_network_tcp6_usage_total", "tcp_state", s);
    assert_eq!(tcp6("listen"), Some(1.0));
    assert_eq!(tcp6("established"), Some(0.0));
    // proc/4242/net/udp: two sockets, 5 drops; queues as cAdvisor reads
    // the tx_queue:rx_queue column: rxqueued = 0 + 2, txqueued = 0x300 + 0.
    let udp = |s: &str| state("container_network_udp_usage_total", "udp_state", s);
    assert_eq!(udp("listen"), Some(2.0));
    assert_eq!(udp("dropped"), Some(5.0));
    assert_eq!(udp("rxqueued"), Some(2.0));
    assert_eq!(udp("txqueued"), Some(768.0));
    let udp6 = |s: &str| state("container_network_udp6_usage_total", "udp_state", s);
    assert_eq!(udp6("listen"), Some(0.0));
    // `/` reads init's tables (absent from the fixture: zeros, as cAdvisor
    // when the file cannot be read); a raw cgroup has no network process.
    assert_eq!(
        value(
            &all,
            "container_network_tcp_usage_total",
            &[("id", "/"), ("tcp_state", "listen")]
        ),
        Some(0.0)
    );
    assert!(
        find(
            &all,
            "container_network_udp_usage_total",
            &[("id", "/system.slice/ssh.service")]
        )
        .is_empty()
    );
}

#[test]
fn v2_sched_group_sums_the_processes_below() {
    let root = fixtures().join("cgroup-v2");
    let included = container_exporter::args::parse_metric_set("sched").expect("set");
    let all = scrape(&root, included, false);
    let id = format!("/system.slice/docker-{ID}.scope");
    // proc/4242/schedstat "1500000000 250000000 42" and
    // proc/4243/schedstat "500000000 50000000 8".
    // `/` counts the processes of the cgroups below it.
    for cgroup in [id.as_str(), "/"] {
        let c = [("id", cgroup)];
        let v = |name: &str| value(&all, name, &c);
        assert_eq!(
            v("container_cpu_schedstat_run_seconds_total"),
            Some(2.0),
            "{cgroup}"
        );
        assert_eq!(
            v("container_cpu_schedstat_runqueue_seconds_total"),
            Some(0.3),
            "{cgroup}"
        );
        assert_eq!(
            v("container_cpu_schedstat_run_periods_total"),
            Some(50.0),
            "{cgroup}"
        );
    }
    // ssh.service has no processes: zeros. (/system.slice, without
    // cpu.stat in the fixture, gets none, as cAdvisor without CPU stats.)
    assert_eq!(
        value(
            &all,
            "container_cpu_schedstat_run_periods_total",
            &[("id", "/system.slice/ssh.service")]
        ),
        Some(0.0)
    );
    assert!(
        value(
            &all,
            "container_cpu_schedstat_run_periods_total",
            &[("id", "/system.slice")]
        )
        .is_none()
    );
}

/// An exited process's schedstat stays counted, as cAdvisor keeps it.
#[test]
fn sched_counters_keep_exited_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cgroups, proc) = (dir.path().join("cgroup"), dir.path().join("proc"));
    let container = cgroups.join("system.slice/app.service");
    std::fs::create_dir_all(&container).expect("mkdir");
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(cgroups.join("cgroup.controllers"), "cpu memory\n");
    write(container.join("cpu.stat"), "usage_usec 10\n");
    write(container.join("cgroup.procs"), "10\n11\n");
    write(proc.join("10/schedstat"), "1000000000 0 5\n");
    write(proc.join("11/schedstat"), "3000000000 1000000000 7\n");
    let hierarchy = Hierarchy::detect(&cgroups).expect("hierarchy");
    let collector = AnyCollector::blocking(ContainerCollector::new(
        Options {
            hierarchy,
            procfs: proc.clone(),
            sysfs: fixtures().join("sys"),
            rootfs: "/".into(),
            included: container_exporter::args::parse_metric_set("sched").expect("set"),
            docker_only: false,
            raw_prefixes: Vec::new(),
            disable_root: false,
            housekeeping_interval: Duration::ZERO,
        },
        Box::new(NoNames),
    ));
    let c = [("id", "/system.slice/app.service")];
    let all = collect(&collector);
    assert_eq!(
        value(&all, "container_cpu_schedstat_run_seconds_total", &c),
        Some(4.0)
    );
    // 11 exits; 10 runs on.
    write(container.join("cgroup.procs"), "10\n");
    std::fs::remove_dir_all(proc.join("11")).expect("rm");
    write(proc.join("10/schedstat"), "2000000000 500000000 6\n");
    let all = collect(&collector);
    assert_eq!(
        value(&all, "container_cpu_schedstat_run_seconds_total", &c),
        Some(5.0)
    );
    assert_eq!(
        value(&all, "container_cpu_schedstat_runqueue_seconds_total", &c),
        Some(1.5)
    );
    assert_eq!(
        value(&all, "container_cpu_schedstat_run_periods_total", &c),
        Some(13.0)
    );
}

#[test]
fn v1_fixture_tree() {
    let root = fixtures().join("cgroup-v1");
    assert!(matches!(Hierarchy::detect(&root), Ok(Hierarchy::V1 { .. })));
    let all = scrape(&root, default_included(), false);
    let id = format!("/docker/{ID}");
    let c = [("id", id.as_str())];
    let v = |name: &str| value(&all, name, &c);
    // percpu is on by default: one series per CPU with usage, cpuNN.
    assert_eq!(
        value(
            &all,
            "container_cpu_usage_seconds_total",
            &[("id", id.as_str()), ("cpu", "cpu01")]
        ),
        Some(2.0)
    );
    assert!(
        find(
            &all,
            "container_cpu_usage_seconds_total",
            &[("id", id.as_str()), ("cpu", "cpu02")]
        )
        .is_empty()
    );
    // cpuacct.stat in USER_HZ ticks.
    assert_eq!(v("container_cpu_user_seconds_total"), Some(2.0));
    assert_eq!(v("container_cpu_system_seconds_total"), Some(0.8));
    assert_eq!(v("container_cpu_cfs_throttled_seconds_total"), Some(0.005));
    assert_eq!(v("container_spec_cpu_quota"), Some(25000.0));
    // cpuLoad: the cpu controller's tasks file, states from /proc (a
    // command name with parentheses included).
    let state = |s: &str| {
        value(
            &all,
            "container_tasks_state",
            &[("id", id.as_str()), ("state", s)],
        )
    };
    assert_eq!(state("sleeping"), Some(1.0));
    assert_eq!(state("running"), Some(1.0));
    assert_eq!(state("uninterruptible"), Some(1.0));
    assert_eq!(state("stopped"), Some(0.0));
    assert_eq!(state("iowaiting"), Some(0.0));
    // cAdvisor's unit: thousandths of a task.
    assert_eq!(v("container_cpu_load_average_10s"), Some(1000.0));
    assert_eq!(v("container_cpu_load_d_average_10s"), Some(1000.0));
    assert_eq!(v("container_spec_cpu_shares"), Some(512.0));
    assert_eq!(v("container_memory_usage_bytes"), Some(10485760.0));
    assert_eq!(
        v("container_memory_working_set_bytes"),
        Some(10485760.0 - 2097152.0)
    );
    assert_eq!(v("container_memory_failcnt"), Some(3.0));
    // No PSI on v1: cAdvisor still writes the pressure pairs, as 0.
    assert_eq!(
        v("container_pressure_memory_waiting_seconds_total"),
        Some(0.0)
    );
    assert_eq!(
        v("container_memory_mapped_file"),
        Some(524288.0),
        "total_* with use_hierarchy"
    );
    assert_eq!(
        v("container_oom_events_total"),
        Some(1.0),
        "memory.oom_control oom_kill"
    );
    assert_eq!(v("container_spec_memory_limit_bytes"), Some(33554432.0));
    assert_eq!(
        v("container_spec_memory_reservation_limit_bytes"),
        Some(0.0),
        "unlimited is 0"
    );
    assert_eq!(
        value(
            &all,
            "container_memory_failures_total",
            &[
                ("id", id.as_str()),
                ("failure_type", "pgfault"),
                ("scope", "hierarchy")
            ]
        ),
        Some(100.0),
        "cAdvisor's hierarchy scope is memory.stat pgfault, not total_pgfault"
    );
    // cAdvisor reads v2 names on v1 too: dirty 4096 is not file_dirty.
    assert_eq!(v("container_memory_file_dirty_bytes"), Some(0.0));
    // The cgroup's own refaults (5), not total_ (9).
    assert_eq!(
        v("container_memory_workingset_refault_file_total"),
        Some(5.0)
    );
    // v2-only counters are written as 0 on v1, as cAdvisor.
    assert_eq!(v("container_memory_pgscan_total"), Some(0.0));
    assert_eq!(v("container_memory_events_high_total"), Some(0.0));
    assert_eq!(
        value(
            &all,
            "container_blkio_device_usage_total",
            &[
                ("id", id.as_str()),
                ("device", "/dev/sda"),
                ("operation", "Read")
            ]
        ),
        Some(8192.0)
    );
    assert_eq!(
        value(
            &all,
            "container_fs_writes_total",
            &[("id", id.as_str()), ("device", "/dev/sda")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &all,
            "container_network_transmit_bytes_total",
            &[("id", id.as_str()), ("interface", "eth0")]
        ),
        Some(65432.0)
    );
}

#[test]
fn live_host_hierarchy() {
    let root = Path::new("/sys/fs/cgroup");
    let hierarchy = Hierarchy::detect(root).expect("this host has cgroups");
    let all = scrape(root, default_included(), false);
    // The root cgroup has CPU and memory counters on either version.
    let cpu = value(&all, "container_cpu_usage_seconds_total", &[("id", "/")]).unwrap_or(0.0);
    assert!(cpu > 0.0, "root cpu usage {cpu}");
    if hierarchy.version() == 1 {
        assert!(value(&all, "container_memory_usage_bytes", &[("id", "/")]).unwrap_or(0.0) > 0.0);
    }
    assert_eq!(value(&all, "container_scrape_error", &[]), Some(0.0));
    // Each series has exactly the label names cAdvisor's have.
    for s in find(&all, "container_memory_usage_bytes", &[]) {
        let names: Vec<&str> = s.labels.keys().map(String::as_str).collect();
        assert_eq!(names, ["id", "image", "name"]);
    }
}

/// machine_dimm_* from the EDAC sysfs tree (dimmN directories only, as
/// cAdvisor), machine_nvm_* as cAdvisor's stock build reports them.
#[test]
fn machine_dimms_from_edac_and_nvm_families() {
    let collector = AnyCollector::blocking(container_exporter::collectors::machine::Machine::new(
        fixtures().join("proc"),
        fixtures().join("sys"),
        Vec::new(),
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_, families) = runtime.block_on(collect_one(&collector, Duration::from_secs(5)));
    let all = parse(&to_text(&families));
    let reg = [("type", "Registered-DDR4")];
    let unbuf = [("type", "Unbuffered-DDR4")];
    assert_eq!(value(&all, "machine_dimm_count", &reg), Some(2.0));
    assert_eq!(
        value(&all, "machine_dimm_capacity_bytes", &reg),
        Some(32.0 * 1024.0 * 1024.0 * 1024.0)
    );
    assert_eq!(value(&all, "machine_dimm_count", &unbuf), Some(1.0));
    assert_eq!(find(&all, "machine_dimm_count", &[]).len(), 2);
    for mode in ["memory_mode", "app_direct_mode"] {
        assert_eq!(
            value(&all, "machine_nvm_capacity", &[("mode", mode)]),
            Some(0.0)
        );
    }
    assert_eq!(
        value(&all, "machine_nvm_avg_power_budget_watts", &[]),
        Some(0.0)
    );
    // No EDAC driver: no DIMM series at all.
    assert!(
        container_exporter::collectors::machine::dimms(&fixtures().join("nonexistent")).is_empty()
    );
}

/// The fixture's one Docker container, labelled `labels`.
struct OneContainer(Vec<(&'static str, &'static str)>);

impl Names for OneContainer {
    fn get(&self, id: &str) -> Option<Arc<Meta>> {
        (id == ID).then(|| {
            Arc::new(Meta {
                name: "web".into(),
                image: "nginx:1".into(),
                labels: self
                    .0
                    .iter()
                    .map(|&(k, v)| (Arc::from(k), Arc::from(v)))
                    .collect(),
                ..Meta::default()
            })
        })
    }
    fn oom_events(&self, _: &str) -> u64 {
        0
    }
}

/// As cAdvisor: every series carries a `container_label_<name>` for each
/// label any container of the scrape has, with "" on the cgroups that
/// lack it (the root and raw cgroups here), which Prometheus stores as no
/// label at all. Labels that sanitise alike give one metric label.
#[test]
fn container_labels_are_united_over_the_scrapes_containers() {
    let names = OneContainer(vec![
        ("com.example.team", "infra"),
        ("com.example/team", "shadowed"),
        ("tier", ""),
    ]);
    let all = scrape_named(
        &fixtures().join("cgroup-v2"),
        default_included(),
        false,
        Box::new(names),
    );
    let web = find(&all, "container_last_seen", &[("name", "web")]);
    assert_eq!(web.len(), 1);
    let labels = |s: &Series| -> Vec<(String, String)> {
        s.labels
            .iter()
            .filter(|(k, _)| k.starts_with("container_label_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        labels(web[0]),
        [
            pair("container_label_com_example_team", "infra"),
            pair("container_label_tier", "")
        ]
    );
    let cpu = find(
        &all,
        "container_cpu_usage_seconds_total",
        &[
            ("name", "web"),
            ("container_label_com_example_team", "infra"),
        ],
    );
    assert!(!cpu.is_empty());
    let root = find(&all, "container_last_seen", &[("id", "/")]);
    assert_eq!(
        labels(root[0]),
        [
            pair("container_label_com_example_team", ""),
            pair("container_label_tier", "")
        ]
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// cAdvisor's --housekeeping_interval: stats no older than the interval.
/// Within it a scrape is answered from the last read (the root's CPU time
/// changed on disk, the scrape still says the old value) except
/// `container_last_seen`, the time of the scrape; with 0s every scrape
/// reads.
#[test]
fn housekeeping_interval_reuses_a_read_younger_than_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("cgroup");
    copy_tree(&fixtures().join("cgroup-v2"), &root);
    let root_cpu = |all: &[Series]| {
        value(
            all,
            "container_cpu_usage_seconds_total",
            &[("id", "/"), ("cpu", "total")],
        )
    };
    let last_seen = |all: &[Series]| value(all, "container_last_seen", &[("id", "/")]);
    let set_usage = |usec: u64| {
        std::fs::write(
            root.join("cpu.stat"),
            format!("usage_usec {usec}\nuser_usec 0\nsystem_usec 0\n"),
        )
        .expect("write cpu.stat");
    };
    for (interval, reads_again) in [(Duration::from_secs(3600), false), (Duration::ZERO, true)] {
        set_usage(900_000_000);
        let c = collector(
            &root,
            default_included(),
            false,
            Box::new(NoNames),
            interval,
        );
        let first = collect(&c);
        assert_eq!(root_cpu(&first), Some(900.0));
        set_usage(901_000_000);
        // The wall clock past the first scrape's time, however coarse it is.
        let seen = last_seen(&first).expect("last seen");
        while std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
            <= seen
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        let second = collect(&c);
        let want = if reads_again { 901.0 } else { 900.0 };
        assert_eq!(root_cpu(&second), Some(want), "interval {interval:?}");
        assert!(
            last_seen(&second) > last_seen(&first),
            "container_last_seen is the scrape's time"
        );
    }
}
