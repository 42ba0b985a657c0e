//! catalog/node-exporter.tsv lists the families this exporter exposes, for
//! the stack's rule and dashboard linters: the binary with every collector
//! on over the fixture tree of tests/fixtures/, plus the hardware
//! collectors' goldens (tests/golden, kept true by tests/hardware.rs).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use node_exporter::collectors::COLLECTORS;
use testkit::{Process, free_port};

#[test]
fn catalog_matches_the_exposition() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-exporter"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--path.procfs={}", fixtures.join("proc").display()))
        .arg(format!("--path.sysfs={}", fixtures.join("sys").display()))
        .arg(format!(
            "--path.rootfs={}",
            fixtures.join("rootfs").display()
        ))
        .arg(format!(
            "--path.udev.data={}",
            fixtures.join("udev").display()
        ))
        // An empty directory: the fixture's .prom files are not ours.
        .arg(format!(
            "--collector.textfile.directory={}",
            dir.path().display()
        ))
        .args(["--collector.cpu.info", "--collector.netdev.address-info"])
        // perf's hardware and cache events exist only where the host's PMU
        // has them; its software events are the same on every kernel.
        .args([
            "--collector.perf.disable-hardware-profilers",
            "--collector.perf.disable-cache-profilers",
        ])
        .args(COLLECTORS.iter().map(|c| format!("--collector.{}", c.name)));
    let mut exporter = Process::spawn("node-exporter", cmd, &dir.path().join("log"));
    let url = format!("http://127.0.0.1:{port}/metrics");
    exporter.wait_ready(Duration::from_secs(20), || {
        testkit::http().get(&url).send().is_ok()
    });
    let scraped = testkit::http()
        .get(&url)
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    let mut texts = vec![scraped];
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut goldens: Vec<_> = std::fs::read_dir(&golden)
        .expect("tests/golden")
        .map(|e| e.expect("dir entry").path())
        .collect();
    goldens.sort();
    for path in goldens {
        texts.push(std::fs::read_to_string(&path).expect("golden"));
    }
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    testkit::catalog::check(
        "node-exporter",
        "node-exporter with every collector on over crates/node-exporter/tests/fixtures, \
         and the hardware goldens of crates/node-exporter/tests/golden",
        &texts,
    );
}
