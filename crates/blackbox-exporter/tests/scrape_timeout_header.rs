//! The binary's /probe with a hostile X-Prometheus-Scrape-Timeout-Seconds:
//! values that once panicked the handler get a normal answer.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn huge_or_garbage_timeout_headers_get_a_normal_probe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        "modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 2s\n",
    );
    let port = testkit::free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_blackbox-exporter"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", config.display()));
    let mut process = testkit::Process::spawn("blackbox-exporter", cmd, &dir.path().join("log"));
    let base = format!("http://127.0.0.1:{port}");
    process.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(format!("{base}/-/healthy"))
            .send()
            .is_ok()
    });
    let target = format!("127.0.0.1:{}", closed_port());
    for value in [
        "1e308",
        "1e19",
        "18446744073709551616",
        "inf",
        "NaN",
        "-1",
        "0",
        "garbage",
    ] {
        let resp = testkit::http()
            .get(probe_url(&base, &target, "tcp_connect"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", value)
            .send()
            .unwrap_or_else(|e| panic!("timeout {value:?}: {e}\n{}", process.log_tail()));
        assert_eq!(resp.status().as_u16(), 200, "timeout {value:?}");
        let m = parse(&resp.text().unwrap_or_default());
        assert_eq!(m.get("probe_success"), Some(&0.0), "timeout {value:?}");
    }
}
