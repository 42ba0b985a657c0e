//! Every procfs collector run over the fixture tree in tests/fixtures/,
//! whose files hold odd lines too: each odd line costs that line only, and
//! the families and values are node_exporter's.

use std::path::PathBuf;
use std::time::Duration;

mod common;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs one collector with the fixture paths plus `extra` flags; returns
/// whether it succeeded and its exposition text.
async fn run(name: &str, extra: &[&str]) -> (bool, String) {
    let f = fixtures();
    let mut flags = vec![
        format!("--path.procfs={}", f.join("proc").display()),
        format!("--path.sysfs={}", f.join("sys").display()),
        format!("--path.rootfs={}", f.join("rootfs").display()),
        format!("--path.udev.data={}", f.join("udev").display()),
    ];
    flags.extend(extra.iter().map(|s| s.to_string()));
    common::run_collector(name, flags, Duration::from_secs(5)).await
}

/// The value of one series (`name{labels}`, labels in any order).
fn value(text: &str, series: &str) -> Option<f64> {
    testkit::sample_value(text, series)
}

fn assert_value(text: &str, series: &str, want: f64) {
    match value(text, series) {
        Some(v) => assert!(
            (v - want).abs() <= want.abs() * 1e-9,
            "{series} = {v}, want {want}\n{text}"
        ),
        None => panic!("{series} missing from:\n{text}"),
    }
}

#[tokio::test]
async fn cpu_seconds_per_cpu_and_mode_skipping_odd_lines() {
    let (ok, t) = run("cpu", &[]).await;
    assert!(ok);
    assert_value(&t, r#"node_cpu_seconds_total{cpu="0",mode="user"}"#, 10.0);
    assert_value(&t, r#"node_cpu_seconds_total{cpu="1",mode="idle"}"#, 200.0);
    assert_value(&t, r#"node_cpu_seconds_total{cpu="1",mode="steal"}"#, 0.04);
    assert_value(
        &t,
        r#"node_cpu_guest_seconds_total{cpu="0",mode="user"}"#,
        0.4,
    );
    assert_value(
        &t,
        r#"node_cpu_guest_seconds_total{cpu="1",mode="nice"}"#,
        0.05,
    );
    assert!(
        !t.contains(r#"_seconds_total{cpu="2""#) && !t.contains(r#"cpu="X""#),
        "odd cpu lines are skipped"
    );
    assert!(!t.contains("node_cpu_info"), "cpu info is off by default");
    // node_cpu_online (1.12) from sys/devices/system/cpu/cpuN/online: an
    // unreadable or odd file counts as offline, as upstream.
    assert_value(&t, r#"node_cpu_online{cpu="0"}"#, 1.0);
    assert_value(&t, r#"node_cpu_online{cpu="1"}"#, 0.0);
    assert_value(&t, r#"node_cpu_online{cpu="2"}"#, 0.0);
    assert_value(&t, r#"node_cpu_online{cpu="3"}"#, 0.0);

    let (_, t) = run(
        "cpu",
        &[
            "--no-collector.cpu.guest",
            "--collector.cpu.info.flags-include=^avx",
        ],
    )
    .await;
    assert!(!t.contains("node_cpu_guest_seconds_total"));
    // flags-include turns cpu info on, as upstream.
    assert_value(
        &t,
        r#"node_cpu_info{package="0",core="1",cpu="1",vendor="GenuineIntel",family="6",model="85",model_name="Intel(R) Xeon(R) Test CPU @ 2.00GHz",microcode="0x1",stepping="7",cachesize="16384 KB"}"#,
        1.0,
    );
    assert_value(
        &t,
        r#"node_cpu_frequency_hertz{package="0",core="1",cpu="1"}"#,
        2.1005e9,
    );
    assert_value(&t, r#"node_cpu_flag_info{flag="avx"}"#, 1.0);
    assert!(!t.contains(r#"flag="sse""#));
    // An empty regex is unset: it neither turns cpu info on nor matches.
    let (_, t) = run("cpu", &["--collector.cpu.info.flags-include="]).await;
    assert!(!t.contains("node_cpu_info") && !t.contains("node_cpu_flag_info"));
}

#[tokio::test]
async fn stat_counters() {
    let (ok, t) = run("stat", &["--collector.stat.softirq"]).await;
    assert!(ok);
    assert_value(&t, "node_boot_time_seconds", 1.7e9);
    assert_value(&t, "node_context_switches_total", 987654.0);
    assert_value(&t, "node_forks_total", 4242.0);
    assert_value(&t, "node_intr_total", 123456.0);
    assert_value(&t, "node_procs_running", 3.0);
    assert_value(&t, "node_procs_blocked", 1.0);
    assert_value(&t, r#"node_softirqs_total{vector="net_rx"}"#, 4.0);
    assert!(
        t.contains("# TYPE node_forks_total counter")
            && t.contains("# TYPE node_procs_running gauge")
    );
}

#[tokio::test]
async fn meminfo_fields_in_bytes() {
    let (ok, t) = run("meminfo", &[]).await;
    assert!(ok);
    assert_value(&t, "node_memory_MemTotal_bytes", 16384000.0 * 1024.0);
    assert_value(&t, "node_memory_Active_anon_bytes", 102400.0 * 1024.0);
    assert_value(&t, "node_memory_HugePages_Total", 0.0);
    assert_value(&t, "node_memory_Hugepagesize_bytes", 2048.0 * 1024.0);
    assert!(!t.contains("Broken"), "an unparsable value costs its line");
}

#[tokio::test]
async fn loadavg() {
    let (ok, t) = run("loadavg", &[]).await;
    assert!(ok);
    assert_value(&t, "node_load1", 0.5);
    assert_value(&t, "node_load5", 0.25);
    assert_value(&t, "node_load15", 0.1);
}

#[tokio::test]
async fn diskstats_units_filter_and_udev_info() {
    let (ok, t) = run("diskstats", &[]).await;
    assert!(ok);
    assert_value(
        &t,
        r#"node_disk_read_bytes_total{device="vda"}"#,
        2048.0 * 512.0,
    );
    assert_value(
        &t,
        r#"node_disk_read_time_seconds_total{device="vda"}"#,
        0.5,
    );
    assert_value(&t, r#"node_disk_io_now{device="vda"}"#, 0.0);
    assert_value(&t, r#"node_disk_flush_requests_total{device="vda"}"#, 100.0);
    assert_value(
        &t,
        r#"node_disk_flush_requests_time_seconds_total{device="vda"}"#,
        0.05,
    );
    // an older kernel's 11 columns: no discard or flush series for it
    assert_value(&t, r#"node_disk_writes_completed_total{device="sdb"}"#, 6.0);
    assert!(value(&t, r#"node_disk_discards_completed_total{device="sdb"}"#).is_none());
    // partitions and loop devices are excluded by default; dm-0's line is malformed
    assert!(!t.contains(r#"device="vda1""#) && !t.contains("loop0") && !t.contains("dm-0"));
    assert_value(
        &t,
        r#"node_disk_info{device="vda",major="254",minor="0",path="pci-0000:00:05.0",wwn="",model="QEMU_DISK",serial="abc123",revision="",rotational="0"}"#,
        1.0,
    );
    assert_value(
        &t,
        r#"node_disk_filesystem_info{device="vda",type="ext4",usage="filesystem",uuid="1234-5678",version="1.0"}"#,
        1.0,
    );
    let (_, t) = run(
        "diskstats",
        &["--collector.diskstats.device-include=^vda1$"],
    )
    .await;
    assert!(t.contains(r#"device="vda1""#) && !t.contains(r#"device="vda""#));
}

#[tokio::test]
async fn filesystem_mounts_under_rootfs() {
    let (ok, t) = run("filesystem", &[]).await;
    assert!(ok);
    // "/" is the fixture rootfs directory: statfs works.
    assert_value(
        &t,
        r#"node_filesystem_device_error{device="/dev/vda",fstype="ext4",mountpoint="/",device_error=""}"#,
        0.0,
    );
    assert!(
        value(
            &t,
            r#"node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/",device_error=""}"#
        )
        .unwrap_or(0.0)
            > 0.0
    );
    assert_value(
        &t,
        r#"node_filesystem_readonly{device="/dev/vda",fstype="ext4",mountpoint="/",device_error=""}"#,
        0.0,
    );
    // "\040" is unescaped; the directory does not exist under rootfs:
    // device_error 1 with the error text as label, readonly from options.
    assert_value(
        &t,
        r#"node_filesystem_device_error{device="tmpfs",fstype="tmpfs",mountpoint="/run/with space",device_error="no such file or directory"}"#,
        1.0,
    );
    assert_value(
        &t,
        r#"node_filesystem_readonly{device="tmpfs",fstype="tmpfs",mountpoint="/run/with space",device_error="no such file or directory"}"#,
        1.0,
    );
    assert!(
        !t.contains(r#"mountpoint="/proc""#),
        "proc is excluded by default"
    );
    assert_eq!(
        t.matches("node_filesystem_device_error{").count(),
        2,
        "duplicate mounts are reported once:\n{t}"
    );
    // mountinfo gives major:minor
    assert_value(
        &t,
        r#"node_filesystem_mount_info{device="/dev/vda",major="254",minor="0",mountpoint="/"}"#,
        1.0,
    );
    // node_exporter 1.12: an errored filesystem gets only device_error
    // (its label holding Go's error text) and readonly.
    assert!(
        !t.contains(r#"node_filesystem_mount_info{device="tmpfs""#),
        "{t}"
    );
    assert!(
        !t.contains(r#"node_filesystem_size_bytes{device="tmpfs""#),
        "{t}"
    );
    // Upstream's quirk: purgeable_bytes 0 for every healthy filesystem.
    assert_value(
        &t,
        r#"node_filesystem_purgeable_bytes{device="/dev/vda",fstype="ext4",mountpoint="/",device_error=""}"#,
        0.0,
    );
    let (_, t) = run(
        "filesystem",
        &["--collector.filesystem.fs-types-exclude=^(tmpfs|proc)$"],
    )
    .await;
    assert!(!t.contains("with space"));
}

/// node_exporter 1.12's netdev options: `--collector.netdev.label-ifalias`
/// adds sysfs's ifalias ("" when unset) to every series, and
/// `--collector.netdev.address-info` lists every interface address of the
/// exporter's namespace (the loopback one, here) with Go's scope names.
#[tokio::test]
async fn netdev_ifalias_label_and_address_info() {
    let (ok, t) = run(
        "netdev",
        &[
            "--no-collector.netdev.netlink",
            "--collector.netdev.label-ifalias",
            "--collector.netdev.address-info",
        ],
    )
    .await;
    assert!(ok);
    assert_value(
        &t,
        r#"node_network_receive_bytes_total{device="eth0",ifalias="uplink to core"}"#,
        123456.0,
    );
    assert_value(
        &t,
        r#"node_network_receive_bytes_total{device="lo",ifalias=""}"#,
        1000.0,
    );
    assert_value(
        &t,
        r#"node_network_address_info{device="lo",address="127.0.0.1",netmask="8",scope="link-local"}"#,
        1.0,
    );
    let (_, t) = run("netdev", &["--no-collector.netdev.netlink"]).await;
    assert!(!t.contains("ifalias") && !t.contains("node_network_address_info"));
}

#[tokio::test]
async fn netdev_counters_and_filters() {
    let (ok, t) = run("netdev", &["--no-collector.netdev.netlink"]).await;
    assert!(ok);
    assert_value(
        &t,
        r#"node_network_receive_bytes_total{device="eth0"}"#,
        123456.0,
    );
    assert_value(
        &t,
        r#"node_network_receive_multicast_total{device="eth0"}"#,
        6.0,
    );
    assert_value(
        &t,
        r#"node_network_transmit_colls_total{device="eth0"}"#,
        10.0,
    );
    assert_value(
        &t,
        r#"node_network_transmit_carrier_total{device="eth0"}"#,
        11.0,
    );
    assert_value(
        &t,
        r#"node_network_receive_bytes_total{device="lo"}"#,
        1000.0,
    );
    assert!(!t.contains("bad0"));
    let (_, t) = run(
        "netdev",
        &[
            "--no-collector.netdev.netlink",
            "--collector.netdev.device-exclude=^lo$",
        ],
    )
    .await;
    assert!(!t.contains(r#"device="lo""#) && t.contains(r#"device="eth0""#));
    let (_, t) = run(
        "netdev",
        &[
            "--no-collector.netdev.netlink",
            "--collector.netdev.device-include=^lo$",
        ],
    )
    .await;
    assert!(t.contains(r#"device="lo""#) && !t.contains(r#"device="eth0""#));
}

/// Without netlink, detailed metrics are /proc/net/dev's sixteen columns
/// under upstream's procfs names (errors/dropped instead of errs/drop),
/// and neither form reads anything from sysfs (no receive_nohandler).
/// eth0's line: rx 123456 789 1 2 3 4 5 6, tx 654321 987 7 8 9 10 11 12.
#[tokio::test]
async fn netdev_detailed_metrics_from_proc_net_dev() {
    let flags = [
        "--no-collector.netdev.netlink",
        "--collector.netdev.enable-detailed-metrics",
    ];
    let (ok, t) = run("netdev", &flags).await;
    assert!(ok);
    for (name, want) in [
        ("receive_bytes", 123456.0),
        ("receive_errors", 1.0),
        ("receive_dropped", 2.0),
        ("receive_fifo", 3.0),
        ("receive_frame", 4.0),
        ("receive_compressed", 5.0),
        ("receive_multicast", 6.0),
        ("transmit_errors", 7.0),
        ("transmit_dropped", 8.0),
        ("transmit_colls", 10.0),
        ("transmit_carrier", 11.0),
        ("transmit_compressed", 12.0),
    ] {
        assert_value(
            &t,
            &format!(r#"node_network_{name}_total{{device="eth0"}}"#),
            want,
        );
    }
    let families = t.lines().filter(|l| l.starts_with("# TYPE ")).count();
    assert_eq!(families, 16, "{t}");
    assert!(
        !t.contains("_errs_total") && !t.contains("nohandler"),
        "{t}"
    );
    let (_, t) = run("netdev", &["--no-collector.netdev.netlink"]).await;
    assert_value(&t, r#"node_network_receive_errs_total{device="eth0"}"#, 1.0);
    assert_value(
        &t,
        r#"node_network_transmit_drop_total{device="eth0"}"#,
        8.0,
    );
    assert!(!t.contains("nohandler"), "{t}");
}

#[tokio::test]
async fn netstat_default_fields() {
    let (ok, t) = run("netstat", &[]).await;
    assert!(ok);
    assert_value(&t, "node_netstat_TcpExt_ListenOverflows", 5.0);
    assert_value(&t, "node_netstat_TcpExt_TCPTimeouts", 7.0);
    assert_value(&t, "node_netstat_IpExt_InOctets", 1000.0);
    assert_value(&t, "node_netstat_Ip_Forwarding", 1.0);
    assert_value(&t, "node_netstat_Tcp_CurrEstab", 7.0);
    assert_value(&t, "node_netstat_Tcp_InErrs", 3.0);
    assert_value(&t, "node_netstat_Ip6_InOctets", 20000.0);
    assert_value(&t, "node_netstat_Udp6_NoPorts", 2.0);
    assert!(t.contains("# TYPE node_netstat_Tcp_CurrEstab untyped"));
    assert!(
        !t.contains("PruneCalled") && !t.contains("Ip6_InReceives"),
        "fields outside the regex are left out"
    );
    assert!(
        !t.contains("node_netstat_Udp_"),
        "a header/value mismatch costs that pair of lines"
    );
    let (_, t) = run("netstat", &["--collector.netstat.fields=^Udp6_.*"]).await;
    assert!(t.contains("node_netstat_Udp6_InDatagrams") && !t.contains("TcpExt"));
}

#[tokio::test]
async fn vmstat_default_fields() {
    let (ok, t) = run("vmstat", &[]).await;
    assert!(ok);
    for (k, v) in [
        ("pgpgin", 1000.0),
        ("pswpin", 1.0),
        ("pgfault", 99999.0),
        ("pgmajfault", 12.0),
        ("oom_kill", 2.0),
    ] {
        assert_value(&t, &format!("node_vmstat_{k}"), v);
    }
    assert!(!t.contains("nr_free_pages") && !t.contains("broken"));
}

#[tokio::test]
async fn sockstat_with_mem_bytes() {
    let (ok, t) = run("sockstat", &[]).await;
    assert!(ok);
    assert_value(&t, "node_sockstat_sockets_used", 200.0);
    assert_value(&t, "node_sockstat_TCP_inuse", 10.0);
    assert_value(&t, "node_sockstat_TCP_mem", 5.0);
    let page = value(&t, "node_sockstat_TCP_mem_bytes").expect("TCP_mem_bytes");
    assert!(page >= 5.0 * 4096.0 && page % 5.0 == 0.0);
    assert_value(&t, "node_sockstat_UDP_mem", 2.0);
    assert_value(&t, "node_sockstat_FRAG_memory", 0.0);
    assert_value(&t, "node_sockstat_TCP6_inuse", 3.0);
    assert_value(&t, "node_sockstat_FRAG6_inuse", 0.0);
    assert!(!t.contains("BOGUS"));
}

#[tokio::test]
async fn softnet_per_cpu() {
    let (ok, t) = run("softnet", &[]).await;
    assert!(ok);
    assert_value(&t, r#"node_softnet_processed_total{cpu="0"}"#, 43690.0);
    assert_value(&t, r#"node_softnet_dropped_total{cpu="0"}"#, 1.0);
    assert_value(&t, r#"node_softnet_times_squeezed_total{cpu="1"}"#, 5.0);
    assert_value(&t, r#"node_softnet_received_rps_total{cpu="0"}"#, 3.0);
    assert_value(&t, r#"node_softnet_backlog_len{cpu="0"}"#, 4.0);
    assert!(!t.contains(r#"cpu="2""#));
}

#[tokio::test]
async fn small_files() {
    let (ok, t) = run("filefd", &[]).await;
    assert!(ok);
    assert_value(&t, "node_filefd_allocated", 1024.0);
    assert_value(&t, "node_filefd_maximum", 9223372036854775807.0);
    let (ok, t) = run("entropy", &[]).await;
    assert!(ok);
    assert_value(&t, "node_entropy_available_bits", 3500.0);
    assert_value(&t, "node_entropy_pool_size_bits", 4096.0);
    let (ok, t) = run("loadavg", &[]).await;
    assert!(ok && t.contains("node_load1 "));
}

#[tokio::test]
async fn conntrack_sums_per_cpu_rows() {
    let (ok, t) = run("conntrack", &[]).await;
    assert!(ok);
    assert_value(&t, "node_nf_conntrack_entries", 42.0);
    assert_value(&t, "node_nf_conntrack_entries_limit", 262144.0);
    assert_value(&t, "node_nf_conntrack_stat_found", 2.0);
    assert_value(&t, "node_nf_conntrack_stat_invalid", 4.0);
    assert_value(&t, "node_nf_conntrack_stat_ignore", 6.0);
    assert_value(&t, "node_nf_conntrack_stat_drop", 8.0);
    assert_value(&t, "node_nf_conntrack_stat_search_restart", 10.0);
}

#[tokio::test]
async fn arp_entries_per_device() {
    let (ok, t) = run("arp", &["--no-collector.arp.netlink"]).await;
    assert!(ok);
    assert_value(&t, r#"node_arp_entries{device="eth0"}"#, 2.0);
    assert_value(&t, r#"node_arp_entries{device="eth1"}"#, 1.0);
    let (_, t) = run(
        "arp",
        &[
            "--no-collector.arp.netlink",
            "--collector.arp.device-exclude=^eth0$",
        ],
    )
    .await;
    assert!(!t.contains("eth0") && t.contains("eth1"));
}

#[tokio::test]
async fn pressure_totals_in_seconds() {
    let (ok, t) = run("pressure", &[]).await;
    assert!(ok, "a kernel without irq pressure is fine");
    assert_value(&t, "node_pressure_cpu_waiting_seconds_total", 1.5);
    assert_value(&t, "node_pressure_io_waiting_seconds_total", 2.0);
    assert_value(&t, "node_pressure_io_stalled_seconds_total", 1.0);
    assert_value(&t, "node_pressure_memory_waiting_seconds_total", 3.0);
    assert_value(&t, "node_pressure_memory_stalled_seconds_total", 0.25);
}

#[tokio::test]
async fn schedstat_per_cpu() {
    let (ok, t) = run("schedstat", &[]).await;
    assert!(ok);
    assert_value(&t, r#"node_schedstat_running_seconds_total{cpu="0"}"#, 2.0);
    assert_value(&t, r#"node_schedstat_waiting_seconds_total{cpu="1"}"#, 0.25);
    assert_value(&t, r#"node_schedstat_timeslices_total{cpu="1"}"#, 5678.0);
    assert!(!t.contains(r#"cpu="2""#));
}

#[tokio::test]
async fn udp_queues_summed() {
    let (ok, t) = run("udp_queues", &[]).await;
    assert!(ok);
    assert_value(&t, r#"node_udp_queues{ip="v4",queue="tx"}"#, 17.0);
    assert_value(&t, r#"node_udp_queues{ip="v4",queue="rx"}"#, 257.0);
    assert_value(&t, r#"node_udp_queues{ip="v6",queue="rx"}"#, 512.0);
}

#[tokio::test]
async fn os_release_under_rootfs() {
    let (ok, t) = run("os", &[]).await;
    assert!(ok);
    assert_value(
        &t,
        r#"node_os_version{id="debian",id_like="",name="Debian GNU/Linux"}"#,
        12.0,
    );
    assert!(t.contains(r#"pretty_name="Debian GNU/Linux 12 (bookworm)""#));
    assert!(t.contains(r#"version_codename="bookworm""#));
    assert_value(&t, "node_os_support_end_timestamp_seconds", 1845936000.0);
}

#[tokio::test]
async fn syscall_collectors_report() {
    let (ok, t) = run("uname", &[]).await;
    assert!(ok);
    assert!(
        t.lines()
            .any(|l| l.starts_with("node_uname_info{") && l.contains(r#"sysname="Linux""#)),
        "{t}"
    );
    let (ok, t) = run("timex", &[]).await;
    assert!(ok);
    assert!(value(&t, "node_timex_tick_seconds").is_some_and(|v| v > 0.0 && v < 1.0));
    assert!(
        value(&t, "node_timex_frequency_adjustment_ratio").is_some_and(|v| (v - 1.0).abs() < 0.01)
    );
    let (ok, t) = run("time", &[]).await;
    assert!(ok);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    assert!(value(&t, "node_time_seconds").is_some_and(|v| (v - now).abs() < 60.0));
    assert!(t.contains("node_time_zone_offset_seconds{time_zone="));
}

/// node_exporter's `--runtime.gomaxprocs` (default 1) sizes the runtime
/// that serves HTTP, as GOMAXPROCS does upstream.
#[test]
fn runtime_gomaxprocs_sizes_the_async_runtime() {
    let async_threads = |flag: Option<&str>| -> usize {
        let port = testkit::free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_node-exporter"));
        cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.loadavg")
            .args(flag);
        let mut exporter =
            testkit::Process::spawn("node-exporter-runtime", cmd, &dir.path().join("log"));
        exporter.wait_ready(std::time::Duration::from_secs(20), || {
            testkit::http()
                .get(format!("http://127.0.0.1:{port}/metrics"))
                .send()
                .is_ok()
        });
        let pid = exporter.pid().expect("pid");
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("tasks")
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|comm| comm.starts_with("tokio-rt-worker"))
            .count()
    };
    // The collectors' (blocking-pool) threads share the name; both runs
    // made the same scrapes, so the difference is the flag's.
    let default = async_threads(None);
    let three = async_threads(Some("--runtime.gomaxprocs=3"));
    assert_eq!(three, default + 2, "default {default}, with 3: {three}");
}
