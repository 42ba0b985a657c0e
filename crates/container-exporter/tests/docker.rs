//! Against a real dockerd (testkit): names, images, limits, usage, OOM
//! kills and container removal as cAdvisor users query them.

mod common;

use std::time::Duration;

use common::{find, parse, scrape, start, value};
use testkit::{Dockerd, wait_until};

fn flags(d: &Dockerd) -> Vec<String> {
    vec![
        format!("--docker={}", d.host()),
        "--docker_only".to_string(),
        "--store_container_labels=false".to_string(),
        "--whitelisted_container_labels=team".to_string(),
    ]
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn limits_usage_labels_and_removal() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    let burner = d.cli(&[
        "run",
        "-d",
        "--name",
        "burner",
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--label",
        "team=infra",
        "--label",
        "secret=hunter2",
        "--env",
        "PASSWORD=hunter2",
        &image,
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    let idle = d.cli(&["run", "-d", "--name", "idle", &image, "sleep", "3600"]);
    let server = start(&as_refs(&flags(&d)));

    // Names come from the events-fed cache, so wait for them.
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            all = parse(&scrape(&server));
            value(
                &all,
                "container_spec_memory_limit_bytes",
                &[("name", "burner")],
            )
            .is_some()
                && value(&all, "container_last_seen", &[("name", "idle")]).is_some()
        }),
        "named containers never appeared:\n{}",
        all.iter()
            .filter(|s| s.name == "container_last_seen")
            .map(|s| format!("{:?}\n", s.labels))
            .collect::<String>()
    );
    let burner_sel = [("name", "burner")];
    let s = find(&all, "container_spec_memory_limit_bytes", &burner_sel);
    assert_eq!(s[0].value, 64.0 * 1024.0 * 1024.0);
    assert_eq!(s[0].labels["image"], image);
    assert_eq!(
        s[0].labels["id"],
        format!("{}/{}", d.cgroup_parent(), burner)
    );
    // Allowlisted label in, everything else (and env vars) out.
    assert_eq!(s[0].labels["container_label_team"], "infra");
    let text = scrape(&server);
    assert!(
        !text.contains("hunter2"),
        "a label or env var outside the allowlist leaked"
    );
    assert_eq!(
        value(&all, "container_spec_cpu_quota", &burner_sel),
        Some(50000.0)
    );
    assert_eq!(
        value(&all, "container_spec_cpu_period", &burner_sel),
        Some(100000.0)
    );
    assert!(
        value(&all, "container_spec_cpu_quota", &[("name", "idle")]).is_none(),
        "no quota, no series (as cAdvisor)"
    );
    assert!(value(&all, "container_cpu_cfs_periods_total", &burner_sel).is_some());
    // cpuLoad: the idle container's one process sleeps; the burner's
    // spins (runnable even while throttled).
    let tasks = |name: &str, state: &str| {
        value(
            &all,
            "container_tasks_state",
            &[("name", name), ("state", state)],
        )
    };
    assert_eq!(tasks("idle", "sleeping"), Some(1.0));
    assert_eq!(tasks("idle", "running"), Some(0.0));
    assert_eq!(tasks("burner", "running"), Some(1.0));
    assert_eq!(
        value(&all, "container_cpu_load_average_10s", &burner_sel),
        Some(1000.0)
    );
    assert!(value(&all, "container_memory_usage_bytes", &[("name", "idle")]).unwrap_or(0.0) > 0.0);
    assert!(
        value(
            &all,
            "container_memory_working_set_bytes",
            &[("name", "idle")]
        )
        .is_some()
    );
    assert!(value(&all, "container_start_time_seconds", &burner_sel).unwrap_or(0.0) > 1.7e9);
    assert_eq!(
        value(&all, "container_oom_events_total", &burner_sel),
        Some(0.0)
    );
    assert_eq!(
        value(&all, "container_health_state", &burner_sel),
        Some(-1.0)
    );
    // The root cgroup is always there.
    assert!(value(&all, "container_last_seen", &[("id", "/")]).is_some());

    // CPU burn: usage rises at about the 0.5 CPU the limit allows.
    let cpu = |all: &[common::Series]| {
        value(all, "container_cpu_usage_seconds_total", &burner_sel).unwrap_or(0.0)
    };
    let before = cpu(&all);
    let since = std::time::Instant::now();
    let mut after = before;
    assert!(
        wait_until(Duration::from_secs(20), || {
            after = cpu(&parse(&scrape(&server)));
            after - before > 0.3
        }),
        "cpu usage went from {before} to {after}"
    );
    // The limit holds: at most about 0.5 CPU-seconds per second went by.
    let seconds = since.elapsed().as_secs_f64();
    assert!(
        after - before < seconds,
        "cpu usage beyond the 0.5 CPU limit: {before} -> {after} in {seconds} s"
    );

    // Stopped and removed containers disappear.
    d.cli(&["rm", "-f", &idle]);
    assert!(
        wait_until(Duration::from_secs(10), || {
            let all = parse(&scrape(&server));
            find(&all, "container_last_seen", &[("name", "idle")]).is_empty()
                && !all
                    .iter()
                    .any(|s| s.labels.get("id").is_some_and(|i| i.contains(&idle)))
        }),
        "removed container still reported"
    );
    d.cli(&["stop", "-t", "0", "burner"]);
    assert!(
        wait_until(Duration::from_secs(10), || {
            find(&parse(&scrape(&server)), "container_last_seen", &burner_sel).is_empty()
        }),
        "stopped container still reported"
    );
}

/// The `container_label_*` labels of one series, by name.
fn container_labels(s: &common::Series) -> Vec<(&str, &str)> {
    s.labels
        .iter()
        .filter(|(k, _)| k.starts_with("container_label_"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// cAdvisor's default, `--store_container_labels=true`: every Docker label
/// of a container becomes a `container_label_<sanitised name>` label on
/// all its series; a container without labels carries them empty (no
/// label at all, to Prometheus); environment variables never. When the
/// last container with a label goes, so does the label.
#[test]
fn every_container_label_by_default() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    d.cli(&[
        "run",
        "-d",
        "--name",
        "labelled",
        "--label",
        "com.example.team=infra",
        "--label",
        "tier=web",
        "--env",
        "PASSWORD=hunter2",
        &image,
        "sleep",
        "3600",
    ]);
    d.cli(&["run", "-d", "--name", "plain", &image, "sleep", "3600"]);
    let server = start(&[&format!("--docker={}", d.host()), "--docker_only"]);
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            all = parse(&scrape(&server));
            value(&all, "container_last_seen", &[("name", "labelled")]).is_some()
                && value(&all, "container_last_seen", &[("name", "plain")]).is_some()
        }),
        "named containers never appeared"
    );
    for family in [
        "container_last_seen",
        "container_cpu_usage_seconds_total",
        "container_memory_usage_bytes",
        "container_start_time_seconds",
    ] {
        let labelled = find(&all, family, &[("name", "labelled")]);
        assert!(!labelled.is_empty(), "{family}");
        for s in labelled {
            assert_eq!(
                container_labels(s),
                [
                    ("container_label_com_example_team", "infra"),
                    ("container_label_tier", "web")
                ],
                "{family}"
            );
        }
        let plain = find(&all, family, &[("name", "plain")]);
        assert!(!plain.is_empty(), "{family}");
        for s in plain {
            assert_eq!(
                container_labels(s),
                [
                    ("container_label_com_example_team", ""),
                    ("container_label_tier", "")
                ],
                "{family}"
            );
        }
    }
    assert!(!scrape(&server).contains("hunter2"), "an env var leaked");

    d.cli(&["rm", "-f", "labelled"]);
    let mut text = String::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            text = scrape(&server);
            !text.contains("name=\"labelled\"")
        }),
        "the removed container stayed"
    );
    assert!(text.contains("name=\"plain\""));
    assert!(!text.contains("container_label_"), "{text}");
}

#[test]
fn oom_kill_counts() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    // The shell (pid 1) survives; dd's 64 MiB buffer exceeds the 16 MiB
    // limit and the kernel kills it.
    let server = start(&as_refs(&flags(&d)));
    // A real Prometheus scrapes every second, so the OOM alert's query is
    // evaluated on what it stored.
    let prometheus = testkit::Prometheus::start(
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: cadvisor\n    static_configs:\n      - targets: ['{}']\n",
            server.addr
        ),
        &[],
    );
    // Prometheus stores the counter's 0 before the kill, as it would in
    // production.
    prometheus.wait_for(r#"up{job="cadvisor"} == 1"#, Duration::from_secs(20));
    d.cli(&[
        "run",
        "-d",
        "--name",
        "oomer",
        "--memory",
        "16m",
        "--memory-swap",
        "16m",
        &image,
        "sh",
        "-c",
        "sleep 4; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 3600",
    ]);
    let sel = [("name", "oomer")];
    let mut last = None;
    assert!(
        wait_until(Duration::from_secs(30), || {
            last = value(&parse(&scrape(&server)), "container_oom_events_total", &sel);
            last.unwrap_or(0.0) >= 1.0
        }),
        "container_oom_events_total stayed at {last:?}"
    );
    // The counter never goes back on the scrapes that follow.
    assert!(
        value(&parse(&scrape(&server)), "container_oom_events_total", &sel).unwrap_or(0.0) >= 1.0
    );
    let all = parse(&scrape(&server));
    let failcnt = value(&all, "container_memory_failcnt", &sel);
    let max = value(&all, "container_memory_max_usage_bytes", &sel);
    // The alert's expression fires.
    let fired = prometheus.wait_for(
        r#"increase(container_oom_events_total{name="oomer"}[1m]) > 0"#,
        Duration::from_secs(30),
    );
    assert_eq!(fired.len(), 1, "{fired:?}");
    // The peak reached the limit (this kernel leaves v1 failcnt at 0).
    assert_eq!(max, Some(16.0 * 1024.0 * 1024.0), "failcnt {failcnt:?}");
}

#[test]
fn docker_absent_then_restarting() {
    let dir = tempfile::Builder::new()
        .prefix("dkl")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let link = dir.path().join("docker.sock");
    let server = start(&[&format!("--docker=unix://{}", link.display())]);
    // No Docker: raw cgroups keep flowing.
    let all = parse(&scrape(&server));
    assert!(value(&all, "container_last_seen", &[("id", "/")]).is_some());
    assert!(value(&all, "container_memory_usage_bytes", &[("id", "/")]).is_some());

    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    d.cli(&["run", "-d", "--name", "late", &image, "sleep", "3600"]);
    std::os::unix::fs::symlink(d.socket(), &link).expect("symlink to the socket");
    assert!(
        wait_until(Duration::from_secs(20), || {
            value(
                &parse(&scrape(&server)),
                "container_last_seen",
                &[("name", "late")],
            )
            .is_some()
        }),
        "names never came once Docker appeared"
    );
    drop(d);
    // Docker gone again: the exporter keeps answering with raw cgroups.
    let all = parse(&scrape(&server));
    assert!(value(&all, "container_last_seen", &[("id", "/")]).is_some());
}

#[test]
fn a_frozen_docker_is_a_scrape_error_within_the_deadline() {
    let d = Dockerd::start();
    // Every scrape reads: the one right after the freeze must see it.
    let server = start(&[
        &format!("--docker={}", d.host()),
        "--housekeeping_interval=0s",
    ]);
    let docker_version_known = |all: &[common::Series]| {
        find(all, "cadvisor_version_info", &[])
            .iter()
            .any(|s| s.labels.get("dockerVersion").is_some_and(|v| !v.is_empty()))
    };
    assert!(
        wait_until(Duration::from_secs(20), || docker_version_known(&parse(
            &scrape(&server)
        ))),
        "the exporter never connected to docker"
    );
    assert_eq!(
        value(&parse(&scrape(&server)), "container_scrape_error", &[]),
        Some(0.0)
    );

    let frozen = d.freeze();
    let resp = testkit::http()
        .get(server.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "2")
        .send()
        .expect("the scrape answers");
    assert!(resp.status().is_success());
    let all = parse(&resp.text().expect("body"));
    frozen.thaw();
    // Docker is down; the cgroups are still read.
    assert_eq!(value(&all, "container_scrape_error", &[]), Some(1.0));
    assert!(value(&all, "container_last_seen", &[("id", "/")]).is_some());

    assert!(
        wait_until(Duration::from_secs(20), || {
            value(&parse(&scrape(&server)), "container_scrape_error", &[]) == Some(0.0)
        }),
        "still an error once docker runs again"
    );
}

/// Default-on catalog families this build does not produce, and why.
const NOT_PRODUCED: &[(&str, &str)] = &[
    (
        "container_perf_events_total",
        "perf_event: only with --perf_events_config",
    ),
    (
        "container_perf_events_scaling_ratio",
        "perf_event: only with --perf_events_config",
    ),
    (
        "container_perf_uncore_events_total",
        "perf_event: only with --perf_events_config",
    ),
    (
        "container_perf_uncore_events_scaling_ratio",
        "perf_event: only with --perf_events_config",
    ),
    (
        "machine_dimm_capacity_bytes",
        "EDAC sysfs, absent on this VM (no series, as cAdvisor); tested on a fixture tree",
    ),
    (
        "machine_dimm_count",
        "EDAC sysfs, absent on this VM; tested on a fixture tree",
    ),
];

/// cgroup v2 only: absent on a v1 host such as this one, produced from the
/// v2 fixture tree (tests/cgroup.rs; io_cost needs the iocost controller).
const V2_ONLY: &[&str] = &[
    "container_fs_io_cost_usage_seconds_total",
    "container_fs_io_cost_wait_seconds_total",
    "container_fs_io_cost_indebt_seconds_total",
    "container_fs_io_cost_indelay_seconds_total",
];

/// The whole disk (`/dev/vda`) holding `path`.
fn disk_of(path: &std::path::Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata(path).expect("stat").dev();
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
    let sys = std::fs::canonicalize(format!("/sys/dev/block/{major}:{minor}"))
        .expect("sysfs block device");
    let disk = if sys.join("partition").exists() {
        sys.parent().expect("parent disk").to_path_buf()
    } else {
        sys
    };
    format!("/dev/{}", disk.file_name().expect("name").to_string_lossy())
}

#[test]
fn catalog_coverage_of_default_families() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    d.cli(&[
        "run",
        "-d",
        "--name",
        "cov",
        "--memory",
        "32m",
        "--cpus",
        "0.2",
        "--network",
        "host",
        // The kernel accounts v1 blkio per cgroup only once the device is
        // throttled.
        "--device-write-bps",
        &format!("{}:100mb", disk_of(d.dir())),
        &image,
        "sh",
        "-c",
        "dd if=/dev/zero of=/tmp/f bs=64k count=16 oflag=direct; sleep 3600",
    ]);
    let server = start(&[&format!("--docker={}", d.host())]);
    let catalog = include_str!("../../../catalog/upstream/cadvisor.tsv");
    let v1 = container_exporter::cgroup::Hierarchy::detect(std::path::Path::new("/sys/fs/cgroup"))
        .map(|h| h.version() == 1)
        .unwrap_or(false);
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            all = parse(&scrape(&server));
            // Direct I/O is charged to the container's blkio cgroup.
            value(
                &all,
                "container_blkio_device_usage_total",
                &[("name", "cov")],
            )
            .is_some()
        }),
        "no blkio series for the container"
    );
    let text = scrape(&server);
    testkit::catalog::check(
        "container-exporter",
        "container-exporter on a real dockerd running one limited container \
         (catalog_coverage_of_default_families in crates/container-exporter/tests/docker.rs)",
        &[&text],
    );
    let mut missing = Vec::new();
    let (mut wanted, mut covered) = (0, 0);
    for line in catalog.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, kind, labels, _group, default_on, ..] = f.as_slice() else {
            continue;
        };
        if *default_on != "true" || NOT_PRODUCED.iter().any(|(n, _)| n == name) {
            continue;
        }
        if v1 && V2_ONLY.contains(name) {
            continue;
        }
        wanted += 1;
        let typed = text.contains(&format!("# TYPE {name} {kind}\n"));
        let series = find(&all, name, &[]);
        let labels_ok = series.iter().any(|s| {
            labels
                .split(',')
                .filter(|l| !l.is_empty())
                .all(|l| s.labels.contains_key(l))
        });
        if typed && labels_ok {
            covered += 1;
        } else {
            missing.push(format!("{name} (typed {typed}, series {})", series.len()));
        }
    }
    assert!(
        missing.is_empty(),
        "{covered}/{wanted} covered; missing: {missing:#?}"
    );
}

#[test]
fn tcp_sockets_and_open_files_limit_of_a_container() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    // Its own network namespace with only lo: one listening socket and no
    // traffic at all.
    d.cli(&[
        "run",
        "-d",
        "--name",
        "listener",
        "--network",
        "none",
        "--ulimit",
        "nofile=1234:5678",
        &image,
        "busybox",
        "nc",
        "-l",
        "-p",
        "8080",
    ]);
    let mut args = flags(&d);
    args.push("--enable_metrics=tcp,udp,process".to_string());
    let server = start(&as_refs(&args));
    // busybox nc listens on the IPv6 wildcard (dual stack): a tcp6 socket.
    let listener = [("name", "listener"), ("tcp_state", "listen")];
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            all = parse(&scrape(&server));
            value(&all, "container_network_tcp6_usage_total", &listener) == Some(1.0)
        }),
        "no listening socket: {:?}",
        find(
            &all,
            "container_network_tcp6_usage_total",
            &[("name", "listener")]
        )
    );
    let tcp = |family: &str, state: &str| {
        value(&all, family, &[("name", "listener"), ("tcp_state", state)])
    };
    assert_eq!(
        tcp("container_network_tcp6_usage_total", "established"),
        Some(0.0)
    );
    assert_eq!(
        tcp("container_network_tcp_usage_total", "listen"),
        Some(0.0)
    );
    assert_eq!(
        value(
            &all,
            "container_network_udp_usage_total",
            &[("name", "listener"), ("udp_state", "listen")]
        ),
        Some(0.0)
    );
    // --ulimit nofile=1234:5678: the soft limit.
    assert_eq!(
        value(
            &all,
            "container_ulimits_soft",
            &[("name", "listener"), ("ulimit", "max_open_files")]
        ),
        Some(1234.0)
    );
    assert_eq!(
        value(&all, "container_processes", &[("name", "listener")]),
        Some(1.0)
    );
    // Groups that are off have no families.
    assert!(all.iter().all(|s| !s.name.starts_with("container_memory_")));
}

/// Seconds since the epoch of a Docker time, by date(1).
fn epoch_seconds(rfc3339: &str) -> f64 {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", rfc3339.trim(), "+%s"])
        .output()
        .expect("running date");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("date prints seconds")
}

#[test]
fn restart_count_label_and_start_time_as_cadvisor() {
    let d = Dockerd::start();
    let image = d.busybox_image("ferroscope/busybox:test");
    // Fails once a second after it starts, is restarted by the policy, then
    // runs on: RestartCount 1, StartedAt at least a second after Created.
    d.cli(&[
        "run",
        "-d",
        "--name",
        "flaky",
        "--restart",
        "on-failure:3",
        &image,
        "sh",
        "-c",
        "test -e /tmp/ran || { touch /tmp/ran; sleep 1; exit 1; }; sleep 3600",
    ]);
    let server = start(&[&format!("--docker={}", d.host()), "--docker_only"]);
    let flaky = [("name", "flaky"), ("container_label_restartcount", "1")];
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(30), || {
            all = parse(&scrape(&server));
            value(&all, "container_last_seen", &flaky).is_some()
        }),
        "no restartcount label: {:?}",
        find(&all, "container_last_seen", &[("name", "flaky")])
    );
    let inspect = |format: &str| d.cli(&["inspect", "-f", format, "flaky"]);
    let created = epoch_seconds(&inspect("{{.Created}}"));
    let started = epoch_seconds(&inspect("{{.State.StartedAt}}"));
    assert!(started > created, "{started} {created}");
    assert_eq!(
        value(&all, "container_creation_time_seconds", &flaky),
        Some(created)
    );
    assert_eq!(
        value(&all, "container_start_time_seconds", &flaky),
        Some(started)
    );
}
