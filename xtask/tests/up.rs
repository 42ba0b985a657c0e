//! `cargo xtask up --speedup 15`, then `simulate`, `lint-dashboards --live`
//! and `down`, as a user runs them: the native stack comes up from the
//! compose stack's config files, every scrape target is up, the scenarios'
//! alerts fire and resolve at the console receiver and the Slack stand-in
//! with the rules' labels, and the dashboards of the layers running
//! natively have data.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

/// Stops the stack (by `down`, then by killing `up`) however the test ends.
struct Up {
    child: Child,
    run_dir: PathBuf,
}

impl Drop for Up {
    fn drop(&mut self) {
        if !self.run_dir.join("state.json").exists() {
            // Stopped already (or never came up): no `down` to ask.
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        }
        let _ = Command::new(XTASK)
            .args(["down", "--run-dir"])
            .arg(&self.run_dir)
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xtask(args: &[&str], run_dir: &Path) -> (bool, String) {
    let out = Command::new(XTASK)
        .args(args)
        .arg("--run-dir")
        .arg(run_dir)
        .output()
        .expect("running xtask");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn native_stack_fires_and_resolves_every_scenario() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    let run_dir = dir.path().join("run");
    let mut child = Command::new(XTASK)
        .args(["up", "--speedup", "15", "--run-dir"])
        .arg(&run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting cargo xtask up");
    let stdout = child.stdout.take().expect("stdout");
    let mut up = Up {
        child,
        run_dir: run_dir.clone(),
    };
    // Wait for the "stack up" line; keep echoing what up prints.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("up| {line}");
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.contains("ferroscope stack up") => break,
            Ok(_) => {}
            Err(_) => {
                assert!(
                    up.child.try_wait().ok().flatten().is_none(),
                    "xtask up exited before the stack was up"
                );
                assert!(Instant::now() < deadline, "the stack did not come up");
            }
        }
    }
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("state.json")).expect("state.json"),
    )
    .expect("state.json is JSON");
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
        targets.len() >= 10 && targets.iter().all(|t| t["health"] == "up")
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

    // The scenarios, at once (each touches its own part of the stack).
    let json = dir.path().join("timelines.json");
    let (ok, out) = xtask(
        &[
            "simulate",
            "endpoint-down",
            "redis-down",
            "mysql-down",
            "app-errors",
            "kafka-lag",
            "--json",
            json.to_str().expect("utf-8 path"),
        ],
        &run_dir,
    );
    println!("{out}");
    assert!(ok, "simulate failed:\n{out}");
    let results: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("timelines")).expect("JSON");
    assert_eq!(results.len(), 5);
    for r in &results {
        let name = r["scenario"].as_str().unwrap_or_default();
        assert_eq!(r["ok"], true, "{name}: {r:#}");
        assert_eq!(r["labels"]["alertname"], r["alertname"], "{name}");
        let (severity, slack) = if name == "kafka-lag" {
            ("warning", "#alerts")
        } else {
            ("critical", "#alerts-critical")
        };
        assert_eq!(r["labels"]["severity"], severity, "{name}");
        // Alertmanager's routing: the Slack channel of the severity.
        assert_eq!(r["slack_channel"], slack, "{name}");
        assert!(
            r["slack_s"].as_f64().is_some(),
            "{name}: no Slack notification"
        );
        if !["app-errors", "kafka-lag"].contains(&name) {
            // Per-target alerts keep the target's labels (the app and
            // Kafka alerts aggregate by job).
            assert_eq!(r["labels"]["host"], "docker-host", "{name}");
        }
        assert_eq!(r["labels"]["stack"], "ferroscope", "{name}");
        let detection = r["detection_s"].as_f64().unwrap_or(f64::MAX);
        assert!(detection < 90.0, "{name}: detection took {detection}s");
        println!("{name}: detected in {detection:.1}s");
    }
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r["scenario"] == n)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_name("redis-down")["labels"]["layer"], "cache");
    assert_eq!(by_name("mysql-down")["labels"]["layer"], "database");
    assert_eq!(by_name("app-errors")["labels"]["job"], "demo-app");
    assert_eq!(by_name("kafka-lag")["labels"]["consumergroup"], "analytics");
    assert_eq!(by_name("kafka-lag")["labels"]["layer"], "queue");
    assert_eq!(
        by_name("endpoint-down")["labels"]["instance"],
        state["urls"]["endpoint"]
    );
    // The log file of the console receiver has every notification.
    let log = std::fs::read_to_string(run_dir.join("notifications.log")).expect("log");
    for name in [
        "EndpointDown",
        "RedisDown",
        "MysqlDown",
        "AppHighErrorRate",
        "KafkaConsumerLagHigh",
    ] {
        assert!(log.contains(&format!("FIRING   {name}")), "{log}");
        assert!(log.contains(&format!("RESOLVED {name}")), "{log}");
    }

    // Dashboards: every panel of the layers running natively has data;
    // the panels without are those of the containers (no dockerd here),
    // a TLS endpoint and a MySQL replica, which the native stack lacks.
    let dashboards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../grafana/dashboards");
    let live = |files: &[&str]| {
        let mut command = Command::new(XTASK);
        command.args(["lint-dashboards", "--live", prometheus.as_str()]);
        for f in files {
            command.arg(dashboards.join(format!("{f}.json")));
        }
        let out = command
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("xtask lint-dashboards");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = live(&["node", "redis", "api", "kafka"]);
    assert!(ok && text.contains("return data"), "{text}");
    let (_, text) = live(&["overview", "endpoints", "mysql", "containers"]);
    println!("{text}");
    for line in text.lines().filter(|l| l.contains(": no data")) {
        let expected = line.starts_with("containers.json")
            || line.contains("Certificate expiry")
            || line.contains("Replication lag")
            || line.starts_with("overview.json: Container");
        assert!(
            expected,
            "a panel of a layer running natively has no data: {line}"
        );
    }

    let (ok, out) = xtask(&["down"], &run_dir);
    assert!(ok, "down failed: {out}");
    let stopped = testkit::wait_until(Duration::from_secs(30), || {
        matches!(up.child.try_wait(), Ok(Some(_)))
    });
    assert!(stopped, "xtask up still runs after down");
    assert!(!run_dir.join("state.json").exists());
    println!("whole run: {:.0?}", started.elapsed());
}
