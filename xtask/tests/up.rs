//! `cargo xtask up --speedup 15`, then `simulate`, `lint-dashboards --live`
//! and `down`, as a user runs them: the native stack comes up from the
//! compose stack's config files, every scrape target is up, the scenarios'
//! alerts fire and resolve at the console receiver and the Slack stand-in
//! with the rules' labels, and every dashboard panel has data (but those
//! that say which host or configuration they need).

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

/// Whether the exporters' binaries (and kafka_demo) exist and are newer
/// than every source file of the workspace's crates and Cargo.lock.
fn binaries_fresh() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let built: Vec<_> = [
        "node-exporter",
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "container-exporter",
        "demo-app",
        "kafka-exporter",
        "examples/kafka_demo",
    ]
    .iter()
    .map(|b| mtime(&target.join("debug").join(b)))
    .collect();
    let Some(oldest) = built
        .iter()
        .copied()
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().min())
    else {
        return false;
    };
    fn newest(dir: &Path, out: &mut Option<std::time::SystemTime>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != "fixtures" {
                    newest(&path, out);
                }
            } else if let Ok(t) = entry.metadata().and_then(|m| m.modified())
                && out.is_none_or(|o| t > o)
            {
                *out = Some(t);
            }
        }
    }
    let mut sources = mtime(&root.join("Cargo.lock"));
    newest(&root.join("crates"), &mut sources);
    sources.is_some_and(|s| s < oldest)
}

#[test]
fn native_stack_fires_and_resolves_every_scenario() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    let run_dir = dir.path().join("run");
    let mut command = Command::new(XTASK);
    command
        .args(["up", "--speedup", "15", "--run-dir"])
        .arg(&run_dir);
    if binaries_fresh() {
        // A workspace test run built them already, with its own feature
        // set: `up`'s cargo build would rebuild them all for nothing.
        command.arg("--no-build");
    }
    let mut child = command
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
    let deadline = Instant::now() + Duration::from_secs(360);
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

    // Every scenario but high-cpu (see below), at once: those touching
    // different parts of the stack run concurrently, those sharing one
    // (redis; the demo-app's fault knobs) one after the other.
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
            assert_eq!(r["labels"]["host"], "docker-host", "{name}");
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
    let dashboards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../grafana/dashboards");
    let out = Command::new(XTASK)
        .args(["lint-dashboards", "--live", prometheus.as_str()])
        .args(
            [
                "overview",
                "node",
                "containers",
                "endpoints",
                "redis",
                "mysql",
                "kafka",
                "api",
                "monitoring",
            ]
            .map(|f| dashboards.join(format!("{f}.json"))),
        )
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("xtask lint-dashboards");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success() && text.contains("return data"),
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

    let (ok, out) = xtask(&["down"], &run_dir);
    assert!(ok, "down failed: {out}");
    let stopped = testkit::wait_until(Duration::from_secs(30), || {
        matches!(up.child.try_wait(), Ok(Some(_)))
    });
    assert!(stopped, "xtask up still runs after down");
    assert!(!run_dir.join("state.json").exists());
    println!("whole run: {:.0?}", started.elapsed());
}
