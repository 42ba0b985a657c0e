//! End to end: a FUSE mount that never answers (the test mounts
//! /dev/fuse and nobody serves it, so statfs blocks in the kernel) costs
//! only that mount. The exporter runs in its own mount namespace
//! (`unshare -m`), so nothing else on the host sees the stuck mount, and
//! the mount goes away with the exporter.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Process, free_port, require};

fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn a_mount_whose_statfs_blocks_does_not_hang_the_scrape() {
    let unshare = require("unshare");
    require("mount");
    assert!(
        Path::new("/dev/fuse").exists(),
        "this test needs /dev/fuse (the fuse kernel module) and root"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mnt = dir.path().join("stuck");
    std::fs::create_dir(&mnt).expect("mkdir");
    // The collector reads <procfs>/1/mounts; inside the namespace that must
    // be the namespace's own table, so point it at /proc/self/mounts.
    let fake_proc = dir.path().join("proc");
    std::fs::create_dir_all(fake_proc.join("1")).expect("mkdir");
    std::os::unix::fs::symlink("/proc/self/mounts", fake_proc.join("1/mounts")).expect("symlink");

    let port = free_port();
    let script = format!(
        "exec 3<>/dev/fuse && mount -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 ferroscope-stuck '{mnt}' && exec '{bin}' --web.listen-address=127.0.0.1:{port} --path.procfs='{proc}' --collector.disable-defaults --collector.filesystem --collector.uname --collector.filesystem.mount-timeout=1s",
        mnt = mnt.display(),
        bin = env!("CARGO_BIN_EXE_node-exporter"),
        proc = fake_proc.display(),
    );
    let mut cmd = Command::new(unshare);
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    let mut exporter = Process::spawn(
        "node-exporter-stuck-mount",
        cmd,
        &dir.path().join("exporter.log"),
    );
    let url = format!("http://127.0.0.1:{port}/metrics");
    exporter.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(format!("http://127.0.0.1:{port}/-/healthy"))
            .send()
            .is_ok()
    });
    let pid = exporter.pid().expect("pid");
    let stuck = format!(
        "node_filesystem_device_error{{device=\"ferroscope-stuck\",fstype=\"fuse\",mountpoint=\"{}\",device_error=\"mountpoint timeout\"}}",
        mnt.display()
    );
    let scrape = || -> (Duration, String) {
        let started = Instant::now();
        let body = testkit::http()
            .get(&url)
            .header("X-Prometheus-Scrape-Timeout-Seconds", "10")
            .send()
            .and_then(|r| r.text())
            .expect("scrape answers");
        (started.elapsed(), body)
    };

    let (took, body) = scrape();
    assert!(took < Duration::from_secs(5), "first scrape took {took:?}");
    assert!(
        testkit::sample_value(&body, &stuck) == Some(1.0),
        "stuck mount not reported:\n{body}\n{}",
        exporter.log_tail()
    );
    assert!(
        body.contains(r#"node_scrape_collector_success{collector="filesystem"} 1"#),
        "{body}"
    );
    assert!(
        body.contains("node_uname_info{"),
        "other collectors are unaffected:\n{body}"
    );
    assert!(
        body.contains(r#"device_error="",fstype="#) && body.contains(r#"mountpoint="/"}"#),
        "other mounts are still reported"
    );

    // Not retried on every scrape: later scrapes do not wait for it, and no threads pile up.
    let after_first = threads(pid);
    for _ in 0..10 {
        let (took, body) = scrape();
        assert!(
            took < Duration::from_millis(900),
            "a later scrape waited {took:?}"
        );
        assert_eq!(testkit::sample_value(&body, &stuck), Some(1.0));
    }
    let after = threads(pid);
    // A statfs retried on every scrape would leave one more blocked thread
    // per scrape (10 here). On a loaded machine the runtime's blocking pool
    // may add a worker or two when the two collectors' tasks overlap (seen:
    // 6 -> 8 with a dozen copies of this test at once), which is no pile-up.
    assert!(
        after <= after_first + 3,
        "threads grew from {after_first} to {after}"
    );
    exporter.stop(Duration::from_secs(5));
}
