//! The committed app rules, loaded by a real Prometheus that scrapes a real
//! demo-app under load with faults on: the recording rules find the app's
//! series (names, labels, status values) and compute what the alerts use.

use std::time::Duration;

use demo_app::load::{LoadArgs, run};
use demo_app::{COLLECTORS, SPEC, setup};
use exporter_kit::testing::{TestServer, local_args};
use stack_tests::repo_root;

#[test]
fn app_recording_rules_evaluate_against_the_live_app() {
    let cli = exporter_kit::args::parse_from(
        &SPEC,
        COLLECTORS,
        ["demo-app", "--fault.error-rate=0.5", "--fault.latency=20ms"],
    )
    .expect("flags");
    let app = TestServer::start(local_args(), move || {
        exporter_kit::build(SPEC, COLLECTORS, &cli, setup).expect("building demo-app")
    })
    .expect("starting demo-app");
    let rules = repo_root().join("prometheus/rules/app.rules.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: demo-app\n    static_configs:\n      - targets: ['{}']\n",
        rules.display(),
        app.addr
    );
    let prom = testkit::Prometheus::start(&config, &[]);
    // Load only once Prometheus scrapes the app, so that it sees the
    // counters grow (a slow start on a busy machine must not miss it).
    prom.wait_for("up == 1", Duration::from_secs(40));
    let target = app.url("");
    let load = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run(&LoadArgs {
                target,
                rps: 40.0,
                duration: Duration::from_secs(8),
                concurrency: 16,
            }))
    });
    let wait = Duration::from_secs(40);
    prom.wait_for("job:app_requests:rate5m{job=\"demo-app\"} > 0", wait);
    // Half of the API requests fail on purpose: the error ratio the
    // AppHighErrorRate alert watches is far above its 5% threshold.
    let ratio = prom.wait_for("job:app_request_errors:ratio_rate5m > 0.2", wait);
    assert_eq!(ratio.len(), 1, "{ratio:?}");
    // 20 ms added latency: the p95 the AppHighLatency alert watches sits
    // between the 10 ms and 0.5 s the rules and buckets allow.
    let p95 = prom.wait_for(
        "job:app_request_duration_seconds:p95_rate5m > 0.01 < 0.5",
        wait,
    );
    assert_eq!(p95.len(), 1, "{p95:?}");
    prom.wait_for(
        "job_route:app_requests:rate5m{route=\"/api/checkout\"}",
        wait,
    );
    prom.wait_for(
        "job_route:app_request_duration_seconds:p95_rate5m{route=\"/api/items\"}",
        wait,
    );
    let report = load.join().expect("load thread").expect("load ran");
    assert!(report.server_errors > 0, "{report:?}");
    // Orders still happen (half the checkouts succeed): the business rule
    // has a rate to compare with its threshold.
    prom.wait_for("job:app_orders:rate5m > 0", wait);
}
