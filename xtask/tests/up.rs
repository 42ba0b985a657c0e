//! `cargo xtask up --speedup 15`, then `simulate`, `lint-dashboards --live`
//! and `down`, as a user runs them: the native stack comes up from the
//! compose stack's config files, every scrape target is up, the scenarios'
//! alerts fire and resolve at the console receiver and the Slack stand-in
//! with the rules' labels, and every dashboard panel has data (but those
//! that say which host or configuration they need).

mod common;

use std::time::{Duration, Instant};

use common::xtask;
use serde_json::Value;

/// A scenario's expectations: name, alertname, severity, layer, Slack
/// channel (None: console only), per-target alert (keeps `host`).
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
);

#[test]
fn native_stack_fires_and_resolves_every_scenario() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    let run_dir = dir.path().join("run");
    let (up, state) = common::start_stack(&run_dir, &[]);
    let prometheus = state["urls"]["prometheus"]
        .as_str()
        .expect("prometheus url")
        .to_string();
    // Every scrape target is up.
    let client = testkit::http();
    let mut last = Value::Null;
    let all_up = testkit::wait_until(Duration::from_secs(60), || {
        let Ok(v) = client
            .get(format!("{prometheus}/api/v1/targets"))
            .send()
            .and_then(|r| r.json::<Value>())
        else {
            return false;
        };
        last = v;
        let targets = last["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        targets.len() >= 11 && targets.iter().all(|t| t["health"] == "up")
    });
    let summary: Vec<String> = last["data"]["activeTargets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{} {} {} {}",
                t["labels"]["job"], t["labels"]["instance"], t["health"], t["lastError"]
            )
        })
        .collect();
    assert!(all_up, "not every target is up:\n{}", summary.join("\n"));
    let jobs: Vec<&str> = last["data"]["activeTargets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["labels"]["job"].as_str())
        .collect();
    for job in [
        "prometheus",
        "alertmanager",
        "node",
        "container",
        "blackbox",
        "blackbox-exporter",
        "redis",
        "redis-exporter",
        "mysql",
        "kafka",
        "demo-app",
    ] {
        assert!(jobs.contains(&job), "job {job} is not scraped: {jobs:?}");
    }

    // Every job's sample_limit (prometheus.yml) leaves its exporter at
    // least twice the samples it has here (the limits' headroom).
    let usage = client
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[(
            "query",
            "scrape_samples_post_metric_relabeling / scrape_sample_limit > 0.5",
        )])
        .send()
        .and_then(|r| r.json::<Value>())
        .expect("query the limits' usage");
    assert_eq!(
        usage["data"]["result"].as_array().map(Vec::len),
        Some(0),
        "targets over half their sample_limit: {usage:#}"
    );

    // All eleven scenarios at once: those touching different parts of the
    // stack run concurrently, those sharing one (redis; the demo-app's
    // fault knobs; the simulated host) one after the other. high-cpu loads
    // a simulated host (its own /proc/stat), so it works on a busy machine
    // as on an idle one; host-down stops that host's node-exporter.
    // (name, alertname, severity, layer, Slack channel, per-target alert).
    let expected: &[Expected] = &[
        (
            "app-errors",
            "AppHighErrorRate",
            "critical",
            "api",
            Some("#alerts-critical"),
            false,
        ),
        (
            "redis-down",
            "RedisDown",
            "critical",
            "cache",
            Some("#alerts-critical"),
            true,
        ),
        (
            "endpoint-down",
            "EndpointDown",
            "critical",
            "endpoint",
            Some("#alerts-critical"),
            true,
        ),
        (
            "mysql-down",
            "MysqlDown",
            "critical",
            "database",
            Some("#alerts-critical"),
            true,
        ),
        (
            "kafka-lag",
            "KafkaConsumerLagHigh",
            "warning",
            "queue",
            Some("#alerts"),
            false,
        ),
        (
            "container-oom",
            "ContainerOomKilled",
            "warning",
            "container",
            None,
            true,
        ),
        (
            "redis-connection-failures",
            "RedisRejectedConnections",
            "warning",
            "cache",
            Some("#alerts"),
            true,
        ),
        (
            "app-latency",
            "AppHighLatency",
            "warning",
            "api",
            Some("#alerts"),
            false,
        ),
        (
            "custom-threshold",
            "AppOrdersStalled",
            "warning",
            "api",
            Some("#alerts"),
            false,
        ),
        (
            "high-cpu",
            "HostHighCpu",
            "warning",
            "host",
            // Host warnings stay on the console.
            None,
            true,
        ),
        (
            "host-down",
            "HostDown",
            "critical",
            "host",
            Some("#alerts-critical"),
            true,
        ),
    ];
    let json = dir.path().join("timelines.json");
    let mut args = vec!["simulate"];
    args.extend(expected.iter().map(|e| e.0));
    args.extend(["--json", json.to_str().expect("utf-8 path")]);
    let simulated = Instant::now();
    let (ok, out) = xtask(&args, &run_dir);
    println!("{out}");
    println!("scenarios took {:.0?}", simulated.elapsed());
    assert!(ok, "simulate failed:\n{out}");
    let results: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("timelines")).expect("JSON");
    assert_eq!(results.len(), expected.len());
    for &(name, alertname, severity, layer, slack, per_target) in expected {
        let r = results
            .iter()
            .find(|r| r["scenario"] == name)
            .unwrap_or_else(|| panic!("no timeline for {name}"));
        assert_eq!(r["ok"], true, "{name}: {r:#}");
        assert_eq!(r["labels"]["alertname"], alertname, "{name}");
        assert_eq!(r["labels"]["severity"], severity, "{name}");
        assert_eq!(r["labels"]["layer"], layer, "{name}");
        // Alertmanager's routing: the Slack channel of the severity and
        // layer (host and container warnings stay on the console).
        match slack {
            Some(channel) => {
                assert_eq!(r["slack_channel"], channel, "{name}");
                assert!(
                    r["slack_s"].as_f64().is_some(),
                    "{name}: no Slack notification"
                );
                assert!(
                    r["slack_resolved_s"].as_f64().is_some(),
                    "{name}: no resolved Slack notification"
                );
            }
            None => assert!(r["slack_s"].is_null(), "{name}: {r:#}"),
        }
        if per_target {
            // Per-target alerts keep the target's labels (the app and
            // Kafka alerts aggregate by job).
            let host = if name == "high-cpu" || name == "host-down" {
                "simulated-host"
            } else {
                "docker-host"
            };
            assert_eq!(r["labels"]["host"], host, "{name}");
        }
        assert_eq!(r["labels"]["stack"], "ferroscope", "{name}");
        let detection = r["detection_s"].as_f64().unwrap_or(f64::MAX);
        assert!(detection < 90.0, "{name}: detection took {detection}s");
        println!(
            "{name}: pending +{:.1}s, firing +{:.1}s, console +{detection:.1}s, resolved {:.1}s after the fix",
            r["pending_s"].as_f64().unwrap_or(f64::NAN),
            r["firing_s"].as_f64().unwrap_or(f64::NAN),
            r["resolved_s"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r["scenario"] == n)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_name("app-errors")["labels"]["job"], "demo-app");
    assert_eq!(by_name("kafka-lag")["labels"]["consumergroup"], "analytics");
    assert_eq!(by_name("container-oom")["labels"]["name"], "oomer");
    assert_eq!(by_name("container-oom")["labels"]["job"], "container");
    assert_eq!(
        by_name("endpoint-down")["labels"]["instance"],
        state["urls"]["endpoint"]
    );
    // The log file of the console receiver has every notification.
    let log = std::fs::read_to_string(run_dir.join("notifications.log")).expect("log");
    for name in expected.iter().map(|e| e.1) {
        assert!(log.contains(&format!("FIRING   {name}")), "{log}");
        assert!(log.contains(&format!("RESOLVED {name}")), "{log}");
    }

    // Dashboards: every panel has data (containers included: the stack's
    // dockerd and its limited containers, one OOM-killed above), but those
    // whose description says which host or configuration they need ("Empty
    // unless the server is a replica", a TLS endpoint, hwmon sensors);
    // counts that are zero show 0 (the overview's firing alerts on a quiet
    // stack).
    let (ok, text) = common::lint_dashboards_live(
        &prometheus,
        &[
            "overview",
            "node",
            "containers",
            "endpoints",
            "redis",
            "mysql",
            "kafka",
            "api",
            "monitoring",
        ],
    );
    println!("{text}");
    assert!(
        ok && text.contains("return data"),
        "a panel has no data on the native stack:\n{text}"
    );

    // A healthy host raises no ExporterCollectorFailing: collectors whose
    // hardware is absent report success 0 (as node_exporter's) and the
    // rule leaves them out. Its `for` (10m / 15) has passed by now.
    let noisy = client
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", r#"ALERTS{alertname="ExporterCollectorFailing"}"#)])
        .send()
        .and_then(|r| r.json::<Value>())
        .expect("query ALERTS");
    assert_eq!(
        noisy["data"]["result"].as_array().map(Vec::len),
        Some(0),
        "{noisy:#}"
    );

    // Monitoring the monitoring: the Watchdog's heartbeats reach the dead
    // man's switch receiver, and only them; on a healthy stack no other
    // alert about Prometheus or Alertmanager fires.
    let notifications: Vec<Value> = client
        .get(format!(
            "{}/notifications",
            state["urls"]["receiver"].as_str().expect("receiver url")
        ))
        .send()
        .and_then(|r| r.json())
        .expect("the receiver's notifications");
    let heartbeats: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["receiver"] == "deadmansswitch")
        .collect();
    assert!(!heartbeats.is_empty(), "no Watchdog heartbeat arrived");
    assert!(
        heartbeats
            .iter()
            .all(|n| n["alertname"] == "Watchdog" && n["status"] == "firing"),
        "{heartbeats:#?}"
    );
    assert!(
        !notifications
            .iter()
            .any(|n| n["receiver"] != "deadmansswitch" && n["alertname"] == "Watchdog"),
        "the Watchdog reached people"
    );
    let monitoring = client
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[(
            "query",
            r#"ALERTS{layer="monitoring",alertname!="Watchdog",alertstate="firing"}"#,
        )])
        .send()
        .and_then(|r| r.json::<Value>())
        .expect("query ALERTS");
    assert_eq!(
        monitoring["data"]["result"].as_array().map(Vec::len),
        Some(0),
        "{monitoring:#}"
    );

    common::stop_stack(up);
    println!("whole run: {:.0?}", started.elapsed());
}
