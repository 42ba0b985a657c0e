//! The app as the stack runs it: the real binary, its load generator, and
//! a real Prometheus computing rates from its metrics.

mod common;

use std::process::Command;
use std::time::Duration;

use demo_app::load::{LoadArgs, run};

#[test]
fn prometheus_scrapes_the_app_and_rate_answers() {
    let server = common::start(&[]);
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: demo-app\n    static_configs:\n      - targets: ['{}']\n",
        server.addr
    );
    let prom = testkit::Prometheus::start(&config, &[]);
    // Load only once Prometheus scrapes the app, so that it sees the
    // counters grow (a slow start on a busy machine must not miss it).
    prom.wait_for("up == 1", Duration::from_secs(40));
    let target = server.url("");
    let load = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(run(&LoadArgs {
            target,
            rps: 40.0,
            duration: Duration::from_secs(6),
            concurrency: 16,
        }))
    });
    let rate = prom.wait_for(
        "sum(rate(app_requests_total{job=\"demo-app\"}[1m])) > 0",
        Duration::from_secs(40),
    );
    assert_eq!(rate.len(), 1);
    let report = load
        .join()
        .expect("load thread")
        .expect("load generator runs");
    assert!(report.sent >= 100, "{report:?}");
    assert!(report.ok > 0 && report.client_errors > 0, "{report:?}");
    assert_eq!(
        report.server_errors + report.transport_errors,
        0,
        "{report:?}"
    );
    // The queries the dashboards and alerts are built on answer too.
    let p95 = prom.query_values(
        "histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket[1m])))",
    );
    assert_eq!(p95.len(), 1);
    assert!(p95[0].is_finite() && p95[0] > 0.0, "p95 {p95:?}");
    let errors = prom.query_values("sum(rate(app_errors_total[1m]))");
    assert!(errors.first().is_some_and(|v| *v > 0.0), "{errors:?}");
    assert_eq!(prom.query("app_build_info").len(), 1);
}

#[test]
fn binary_serves_and_load_subcommand_drives_it() {
    let port = testkit::free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_demo-app"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut app = testkit::Process::spawn("demo-app", cmd, &dir.path().join("app.log"));
    let health = format!("http://127.0.0.1:{port}/healthz");
    app.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(&health)
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
    let out = Command::new(env!("CARGO_BIN_EXE_demo-app"))
        .args([
            "load",
            "--target",
            &format!("http://127.0.0.1:{port}"),
            "--rps",
            "50",
            "--duration",
            "1s",
        ])
        .output()
        .expect("running demo-app load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sent "), "{stdout}");
    let metrics = testkit::http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    let samples = common::parse(&metrics);
    assert!(common::value(&samples, "app_requests_total", &[]) >= 20.0);
    let bad = Command::new(env!("CARGO_BIN_EXE_demo-app"))
        .args(["load", "--target", "nonsense"])
        .output()
        .expect("running demo-app load");
    assert!(!bad.status.success(), "a bad target is refused");
}
