//! The real binary with cAdvisor's flag spellings.

use std::process::{Command, Stdio};
use std::time::Duration;

use testkit::{Process, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_container-exporter");

#[test]
fn cadvisor_flags_set_port_and_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut command = Command::new(BIN);
    command.args([
        &format!("-port={port}"),
        "-listen_ip=127.0.0.1",
        "-prometheus_endpoint",
        "/cadvisor-metrics",
        "-docker=unix:///nonexistent/docker.sock",
        "-docker_only",
        // cAdvisor's default list plus two: a shorter list would turn on
        // groups this exporter does not produce, which is refused.
        "-disable_metrics=advtcp,cpu_topology,cpuset,hugetlb,memory_numa,process,referenced_memory,resctrl,sched,tcp,udp,disk,network",
        "-store_container_labels=false",
        "-whitelisted_container_labels=a,b",
        // The failed Docker connects are logged at debug.
        "--log.level=debug",
    ]);
    let mut process = Process::spawn("container-exporter", command, &dir.path().join("log"));
    let url = format!("http://127.0.0.1:{port}/cadvisor-metrics");
    let mut body = String::new();
    process.wait_ready(Duration::from_secs(20), || {
        match testkit::http().get(&url).send().and_then(|r| r.text()) {
            Ok(text) => {
                body = text;
                true
            }
            Err(_) => false,
        }
    });
    // Docker absent: the root cgroup still reported, the process still up.
    assert!(body.contains("container_last_seen{"), "{body}");
    assert!(body.contains("id=\"/\""));
    // No container has label a, so no series has it (as cAdvisor).
    assert!(!body.contains("container_label_a"));
    assert!(!body.contains("container_network_"), "network disabled");
    assert!(body.contains("machine_memory_bytes"));
    assert!(body.contains("cadvisor_version_info"));
    assert!(
        !body.contains("_scrape_collector_success"),
        "cAdvisor has none"
    );
    // Two failed attempts to reach Docker: the exporter is in its retry
    // loop, and must still be up.
    let retried = testkit::wait_until(Duration::from_secs(20), || {
        process.log_tail().matches("docker unavailable").count() >= 2
    });
    assert!(retried, "no retry of Docker:\n{}", process.log_tail());
    assert!(
        process.alive(),
        "exited without Docker:\n{}",
        process.log_tail()
    );
    let gone = testkit::http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(
        gone, 404,
        "the telemetry path moved to --prometheus_endpoint"
    );
}

#[test]
fn unknown_metric_group_is_a_flag_error() {
    let out = Command::new(BIN)
        .args(["--disable_metrics=cpu,bogus"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"));
}
