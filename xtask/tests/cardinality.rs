//! `cargo xtask cardinality` against a real Prometheus that scrapes
//! itself: it counts the job's series, marks unused the metrics no rule or
//! dashboard of the repository reads, and the relabelling it prints drops
//! exactly those, keeping the series the monitoring rules read.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn self_scrape(port_target: &str, extra: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['{port_target}']\n{extra}"
    )
}

fn count(prometheus: &testkit::Prometheus, expr: &str) -> f64 {
    prometheus
        .query_values(expr)
        .first()
        .copied()
        .unwrap_or(0.0)
}

fn cardinality(url: &str, args: &[&str]) -> String {
    let out = Command::new(XTASK)
        .args(["cardinality", "--prometheus", url])
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running xtask cardinality");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn cardinality_finds_unused_series_and_its_drops_keep_what_rules_read() {
    let prometheus = testkit::Prometheus::start("scrape_configs: []\n", &[]);
    let target = prometheus.url().trim_start_matches("http://").to_string();
    let reload = |config: &str| {
        std::fs::write(prometheus.dir().join("prometheus.yml"), config).expect("config");
        let r = testkit::http()
            .post(format!("{}/-/reload", prometheus.url()))
            .send()
            .expect("reload");
        assert!(r.status().is_success(), "{}", prometheus.log_tail());
    };
    reload(&self_scrape(&target, ""));
    let scraped = testkit::wait_until(Duration::from_secs(30), || {
        count(&prometheus, r#"count({job="prometheus"})"#) > 100.0
    });
    assert!(scraped, "no self-scrape: {}", prometheus.log_tail());

    let report: Value = serde_json::from_str(&cardinality(&prometheus.url(), &["--json"]))
        .expect("--json prints JSON");
    let per_job = report["per_job"].as_array().expect("per_job");
    let series = per_job
        .iter()
        .find(|p| p[0] == "prometheus")
        .and_then(|p| p[1].as_u64())
        .expect("job prometheus counted");
    assert!(series > 100, "{report:#}");
    let unused: Vec<&str> = report["unused"]["prometheus"]
        .as_array()
        .expect("unused series of job prometheus")
        .iter()
        .filter_map(|u| u[0].as_str())
        .collect();
    // Nothing in the repository reads Go's GC pauses; monitoring.rules.yml
    // reads the config reload status.
    assert!(unused.contains(&"go_gc_duration_seconds"), "{unused:?}");
    assert!(
        !unused.contains(&"prometheus_config_last_reload_successful"),
        "{unused:?}"
    );
    assert!(
        !unused.contains(&"up"),
        "Prometheus' own series are never dropped"
    );

    let text = cardinality(&prometheus.url(), &["--drop-unused"]);
    assert!(text.contains("series per job:"), "{text}");
    let relabel = text
        .split("# job prometheus:")
        .nth(1)
        .and_then(|rest| rest.split_once('\n'))
        .map(|(_, yaml)| yaml.to_string())
        .expect("a relabelling for job prometheus");
    let relabel = relabel
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>();
    reload(&self_scrape(&target, &relabel));
    // After the drop: the unused families go stale, the read ones stay.
    let dropped = testkit::wait_until(Duration::from_secs(30), || {
        count(&prometheus, r#"count({job="prometheus"})"#) < series as f64 / 2.0
    });
    assert!(
        dropped,
        "{} series left of {series}",
        count(&prometheus, r#"count({job="prometheus"})"#)
    );
    assert_eq!(
        count(&prometheus, "count(go_gc_duration_seconds)"),
        0.0,
        "dropped"
    );
    assert_eq!(
        count(
            &prometheus,
            "count(prometheus_config_last_reload_successful)"
        ),
        1.0,
        "kept: monitoring.rules.yml reads it"
    );
}
