//! A real Prometheus scrapes /probe through upstream's documented
//! relabelling pattern: the scrape config users have keeps working.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn prometheus_scrapes_probes_with_the_blackbox_relabel_pattern() {
    let web = HttpServer::start();
    let refused = closed_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n",
    );
    let ours = start_ours(&cfg, &[]);
    let config = format!(
        r#"
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets: ["{up}", "http://127.0.0.1:{refused}/"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: "{exporter}"
"#,
        up = web.url("/ok"),
        exporter = ours.server.addr,
    );
    let prom = testkit::Prometheus::start(&config, &[]);
    let up = web.url("/ok");
    let ok = prom.wait_for(
        &format!("probe_success{{instance=\"{up}\"}} == 1"),
        Duration::from_secs(30),
    );
    assert_eq!(ok.len(), 1);
    let down = prom.wait_for(
        &format!("probe_success{{instance=\"http://127.0.0.1:{refused}/\"}} == 0"),
        Duration::from_secs(30),
    );
    assert_eq!(down.len(), 1);
    // the scrape itself stays healthy for the failing target
    let scrapes = prom.query_values("up{job=\"blackbox\"}");
    assert_eq!(scrapes, vec![1.0, 1.0]);
    let phases = prom.query("probe_http_duration_seconds");
    assert_eq!(phases.len(), 10, "5 phases for each of 2 targets");
}
