//! Side by side with Debian's prometheus-node-exporter on this host, with
//! equivalent flags and only the collectors of this crate: every family
//! upstream exposes is exposed by us with the same type and label names
//! (testkit's comparison, the one `cargo xtask compat` prints), every
//! family we have besides is listed in KNOWN_EXTRA with its reason, and
//! constant values agree.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::{Process, free_port, require};

/// The collectors compared (node2's sysfs/hardware collectors are compared by its own test).
const COLLECTORS: &[&str] = &[
    "arp",
    "conntrack",
    "cpu",
    "diskstats",
    "entropy",
    "filefd",
    "filesystem",
    "loadavg",
    "meminfo",
    "netdev",
    "netstat",
    "os",
    "pressure",
    "schedstat",
    "sockstat",
    "softnet",
    "stat",
    "textfile",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
];

/// node_exporter 1.5's defaults, passed to both so the series sets match
/// (Debian's build also patches netdev's exclude to ^lo$).
const SHARED_FLAGS: &[&str] = &[
    r"--collector.diskstats.device-exclude=^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$",
    "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
    "--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$",
    "--collector.netdev.device-exclude=^lo$",
    r"--collector.netstat.fields=^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$",
];

/// The families we expose and Debian's node_exporter 1.5 does not, with the
/// reason. A new difference, in either direction, fails the test.
const KNOWN_EXTRA: &[(&str, &str)] = &[
    (
        "node_filesystem_mount_info",
        "added upstream after 1.5 (mount options per mount point); 1.12 has it",
    ),
    (
        "node_filesystem_purgeable_bytes",
        "added upstream after 1.5; 1.12 emits it for every filesystem (0 on Linux)",
    ),
    (
        "node_softnet_backlog_len",
        "node_exporter 1.8+ (softnet_stat's backlog length column)",
    ),
    (
        "node_softnet_cpu_collision_total",
        "added upstream after 1.5 (softnet_stat's cpu_collision column)",
    ),
    (
        "node_softnet_flow_limit_count_total",
        "added upstream after 1.5 (softnet_stat's flow_limit_count column)",
    ),
    (
        "node_softnet_received_rps_total",
        "added upstream after 1.5 (softnet_stat's received_rps column)",
    ),
    (
        "process_network_receive_bytes_total",
        "client_golang's process collector gained it after the version Debian's 1.5 build uses",
    ),
    (
        "process_network_transmit_bytes_total",
        "client_golang's process collector gained it after the version Debian's 1.5 build uses",
    ),
];

fn start(name: &str, binary: &Path, port: u16, textfile_dir: &Path, log_dir: &Path) -> Process {
    let mut cmd = Command::new(binary);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .arg(format!(
            "--collector.textfile.directory={}",
            textfile_dir.display()
        ))
        .args(SHARED_FLAGS)
        .args(COLLECTORS.iter().map(|c| format!("--collector.{c}")));
    let mut p = Process::spawn(name, cmd, &log_dir.join(format!("{name}.log")));
    let url = format!("http://127.0.0.1:{port}/metrics");
    p.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(&url)
            .send()
            .is_ok_and(|r| r.status().is_success())
    });
    p
}

fn scrape(port: u16) -> String {
    testkit::http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape")
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} missing"))
}

#[test]
fn same_families_and_values_as_debians_node_exporter() {
    let upstream = require("prometheus-node-exporter");
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("textfile");
    std::fs::create_dir(&tf).expect("mkdir");
    std::fs::write(
        tf.join("role.prom"),
        "# HELP machine_role Role.\n# TYPE machine_role gauge\nmachine_role{role=\"db\"} 1\n",
    )
    .expect("write");
    let (up_port, our_port) = (free_port(), free_port());
    let _up = start("debian-node-exporter", &upstream, up_port, &tf, dir.path());
    let _ours = start(
        "node-exporter",
        Path::new(env!("CARGO_BIN_EXE_node-exporter")),
        our_port,
        &tf,
        dir.path(),
    );
    let reference = scrape(up_port);
    let candidate = scrape(our_port);

    // Family coverage, as `cargo xtask compat` reports it.
    let coverage = testkit::exposition::coverage(&reference, &candidate, &[]);
    // Every difference is listed: nothing of Debian's is missing or typed or
    // labelled otherwise, and each family we have besides is accounted for.
    assert!(coverage.missing.is_empty(), "missing: {coverage}");
    assert!(coverage.wrong_type.is_empty(), "wrong type: {coverage}");
    assert!(coverage.label_gaps.is_empty(), "label names: {coverage}");
    let mut extra = coverage.extra.clone();
    extra.sort();
    let mut known: Vec<&str> = KNOWN_EXTRA.iter().map(|(family, _)| *family).collect();
    known.sort();
    assert_eq!(
        extra, known,
        "families beside Debian's that KNOWN_EXTRA does not explain (or explains but we lack)"
    );
    assert!(
        coverage.reference_families > 150,
        "upstream exposed only {} families",
        coverage.reference_families
    );

    // Constant gauges agree exactly; counters read one after the other agree closely.
    for series in [
        "node_memory_MemTotal_bytes",
        "node_boot_time_seconds",
        "node_filefd_maximum",
        "node_entropy_pool_size_bits",
        "node_textfile_scrape_error",
        r#"machine_role{role="db"}"#,
    ] {
        assert_eq!(
            value(&reference, series),
            value(&candidate, series),
            "{series}"
        );
    }
    let root = r#"node_filesystem_size_bytes{device="#;
    let ours_root = candidate
        .lines()
        .find(|l| l.starts_with(root) && l.contains(r#"mountpoint="/""#));
    let up_root = reference
        .lines()
        .find(|l| l.starts_with(root) && l.contains(r#"mountpoint="/""#));
    if let (Some(a), Some(b)) = (ours_root, up_root) {
        let v = |l: &str| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(-1.0)
        };
        assert_eq!(v(a), v(b), "root filesystem size");
    }
    for series in [
        "node_context_switches_total",
        "node_forks_total",
        r#"node_cpu_seconds_total{cpu="0",mode="idle"}"#,
    ] {
        let (a, b) = (value(&reference, series), value(&candidate, series));
        assert!(
            b >= a && (b - a) <= a * 0.05 + 1000.0,
            "{series}: upstream {a}, ours {b}"
        );
    }
}
