//! `cargo xtask simulate <scenario>...`: causes a real fault in the stack
//! `cargo xtask up` runs, follows the alert through Prometheus (pending,
//! firing), Alertmanager and the receivers (console, Slack stand-in),
//! removes the fault and waits for the resolved notification. Several
//! scenarios run at once when they touch different parts of the stack.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{clock, default_run_dir, now, read_state};

#[derive(clap::Args)]
pub struct Args {
    /// Scenarios: endpoint-down, redis-down, redis-connection-failures, mysql-down, app-errors,
    /// app-latency, custom-threshold, kafka-lag, high-cpu (or `all`).
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Also write the timelines as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Clone, Copy)]
enum Fault {
    /// Stop / restart a component of the `up` process (redis, mysql, endpoint).
    Stop(&'static str),
    /// The demo-app's /admin/faults knobs (latency ms, error rate).
    DemoApp { latency_ms: f64, error_rate: f64 },
    /// Busy threads on every core.
    BurnCpu,
}

pub struct Scenario {
    pub name: &'static str,
    pub alertname: &'static str,
    /// Labels the alert must carry (besides `instance` checks).
    pub labels: &'static [(&'static str, &'static str)],
    /// The Slack channel it must reach, if any (Alertmanager's routing).
    pub slack: Option<&'static str>,
    fault: Fault,
    about: &'static str,
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "endpoint-down",
        alertname: "EndpointDown",
        labels: &[
            ("job", "blackbox"),
            ("severity", "critical"),
            ("layer", "endpoint"),
        ],
        slack: Some("#alerts-critical"),
        fault: Fault::Stop("endpoint"),
        about: "closes the probed HTTP endpoint (connection refused)",
    },
    Scenario {
        name: "redis-down",
        alertname: "RedisDown",
        labels: &[
            ("job", "redis"),
            ("severity", "critical"),
            ("layer", "cache"),
        ],
        slack: Some("#alerts-critical"),
        fault: Fault::Stop("redis"),
        about: "stops redis-server",
    },
    Scenario {
        name: "redis-connection-failures",
        alertname: "RedisRejectedConnections",
        labels: &[
            ("job", "redis"),
            ("severity", "warning"),
            ("layer", "cache"),
        ],
        slack: Some("#alerts"),
        fault: Fault::Stop("redis-clients"),
        about: "maxclients 8 and bursts of 12 clients: redis rejects connections",
    },
    Scenario {
        name: "mysql-down",
        alertname: "MysqlDown",
        labels: &[
            ("job", "mysql"),
            ("severity", "critical"),
            ("layer", "database"),
        ],
        slack: Some("#alerts-critical"),
        fault: Fault::Stop("mysql"),
        about: "stops mariadbd",
    },
    Scenario {
        name: "app-errors",
        alertname: "AppHighErrorRate",
        labels: &[
            ("job", "demo-app"),
            ("severity", "critical"),
            ("layer", "api"),
        ],
        slack: Some("#alerts-critical"),
        fault: Fault::DemoApp {
            latency_ms: 0.0,
            error_rate: 0.5,
        },
        about: "demo-app answers half of the API requests 500 (/admin/faults)",
    },
    Scenario {
        name: "app-latency",
        alertname: "AppHighLatency",
        labels: &[
            ("job", "demo-app"),
            ("severity", "warning"),
            ("layer", "api"),
        ],
        slack: Some("#alerts"),
        fault: Fault::DemoApp {
            latency_ms: 800.0,
            error_rate: 0.0,
        },
        about: "demo-app adds 800 ms to every API request (/admin/faults)",
    },
    Scenario {
        name: "custom-threshold",
        alertname: "AppOrdersStalled",
        labels: &[
            ("job", "demo-app"),
            ("severity", "warning"),
            ("layer", "api"),
        ],
        slack: Some("#alerts"),
        fault: Fault::DemoApp {
            latency_ms: 0.0,
            error_rate: 1.0,
        },
        about: "every checkout fails, so orders per minute fall under the business threshold of 1 while traffic continues",
    },
    Scenario {
        name: "kafka-lag",
        alertname: "KafkaConsumerLagHigh",
        labels: &[
            ("job", "kafka"),
            ("severity", "warning"),
            ("layer", "queue"),
            ("consumergroup", "analytics"),
        ],
        slack: Some("#alerts"),
        fault: Fault::Stop("kafka-consumer"),
        about: "consumer group analytics stops committing while 1200 messages arrive",
    },
    Scenario {
        name: "high-cpu",
        alertname: "HostHighCpu",
        labels: &[("job", "node"), ("severity", "warning"), ("layer", "host")],
        slack: None,
        fault: Fault::BurnCpu,
        about: "busy threads on every core",
    },
];

struct Stack {
    prometheus: String,
    receiver: String,
    demo_app: String,
    endpoint: String,
    speedup: u64,
}

fn post(url: &str, body: Option<Value>) -> Result<()> {
    let client = testkit::http();
    let mut request = client.post(url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send()?;
    if !response.status().is_success() {
        bail!("POST {url}: {}", response.text().unwrap_or_default());
    }
    Ok(())
}

fn inject(stack: &Stack, fault: Fault, on: bool, burning: &Arc<AtomicBool>) -> Result<()> {
    match fault {
        Fault::Stop(what) => post(
            &format!(
                "{}/control/{}/{what}",
                stack.receiver,
                if on { "stop" } else { "start" }
            ),
            None,
        ),
        Fault::DemoApp {
            latency_ms,
            error_rate,
        } => {
            let body = if on {
                json!({"latency_ms": latency_ms, "error_rate": error_rate})
            } else {
                json!({"latency_ms": 0.0, "error_rate": 0.0})
            };
            post(&format!("{}/admin/faults", stack.demo_app), Some(body))
        }
        Fault::BurnCpu => {
            burning.store(on, Ordering::SeqCst);
            if on {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                for _ in 0..cores {
                    let flag = burning.clone();
                    std::thread::spawn(move || {
                        let mut x = 0u64;
                        while flag.load(Ordering::Relaxed) {
                            x = std::hint::black_box(
                                x.wrapping_mul(6364136223846793005).wrapping_add(1),
                            );
                        }
                    });
                }
            }
            Ok(())
        }
    }
}

fn matches(labels: &Value, scenario: &Scenario, stack: &Stack) -> bool {
    labels["alertname"] == scenario.alertname
        && scenario.labels.iter().all(|(k, v)| labels[*k] == *v)
        && (scenario.name != "endpoint-down" || labels["instance"] == stack.endpoint.as_str())
}

/// Prometheus' state of the scenario's alert: "pending", "firing" or "".
fn alert_state(stack: &Stack, scenario: &Scenario) -> String {
    let Ok(response) = testkit::http()
        .get(format!("{}/api/v1/alerts", stack.prometheus))
        .send()
    else {
        return String::new();
    };
    let Ok(body) = response.json::<Value>() else {
        return String::new();
    };
    let mut state = String::new();
    for alert in body["data"]["alerts"].as_array().into_iter().flatten() {
        if matches(&alert["labels"], scenario, stack) {
            let s = alert["state"].as_str().unwrap_or_default();
            if s == "firing" || state.is_empty() {
                state = s.to_string();
            }
        }
    }
    state
}

fn notifications(stack: &Stack) -> Vec<Value> {
    testkit::http()
        .get(format!("{}/notifications", stack.receiver))
        .send()
        .and_then(|r| r.json::<Vec<Value>>())
        .unwrap_or_default()
}

/// The first notification after `since` of `receiver` with `status`.
fn notified(
    all: &[Value],
    stack: &Stack,
    scenario: &Scenario,
    receiver: &str,
    status: &str,
    since: f64,
) -> Option<(f64, Value)> {
    all.iter()
        .filter(|n| n["t"].as_f64().unwrap_or(0.0) >= since)
        .filter(|n| n["receiver"] == receiver && n["status"] == status)
        .find(|n| {
            if receiver == "console" {
                matches(&n["labels"], scenario, stack)
            } else {
                n["channel"] == scenario.slack.unwrap_or_default()
                    && n["title"]
                        .as_str()
                        .is_some_and(|t| t.contains(scenario.alertname))
            }
        })
        .map(|n| (n["t"].as_f64().unwrap_or(0.0), n.clone()))
}

/// Runs one scenario; returns its timeline (times relative to the fault).
fn run_one(stack: &Stack, scenario: &Scenario) -> Result<Value> {
    let burning = Arc::new(AtomicBool::new(false));
    // Long enough for the longest `for` (15 m) plus windows at this speedup.
    let timeout = 1500.0 / stack.speedup as f64 + 60.0;
    if alert_state(stack, scenario) == "firing" {
        bail!(
            "{}: {} is already firing before the fault (nothing to detect); wait until it resolves",
            scenario.name,
            scenario.alertname
        );
    }
    let t0 = now();
    inject(stack, scenario.fault, true, &burning)?;
    let mut events: Vec<(String, f64)> = vec![("fault injected".into(), t0)];
    let mut pending = None;
    let mut firing = None;
    let mut console = None;
    let mut slack = None;
    let mut labels = Value::Null;
    let wants_slack = scenario.slack.is_some();
    let mut fired_at = None;
    while now() - t0 < timeout {
        let state = alert_state(stack, scenario);
        if pending.is_none() && (state == "pending" || state == "firing") {
            pending = Some(now());
        }
        if firing.is_none() && state == "firing" {
            firing = Some(now());
        }
        let all = notifications(stack);
        if console.is_none()
            && let Some((t, n)) = notified(&all, stack, scenario, "console", "firing", t0)
        {
            console = Some(t);
            labels = n["labels"].clone();
        }
        if wants_slack
            && slack.is_none()
            && let Some((t, _)) = notified(&all, stack, scenario, "slack", "firing", t0)
        {
            slack = Some(t);
        }
        if console.is_some() && (slack.is_some() || !wants_slack) {
            fired_at = Some(now());
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let t_fix = now();
    let removed = inject(stack, scenario.fault, false, &burning);
    let mut resolved_console = None;
    let mut resolved_slack = None;
    if fired_at.is_some() {
        while now() - t_fix < timeout {
            let all = notifications(stack);
            if resolved_console.is_none() {
                resolved_console =
                    notified(&all, stack, scenario, "console", "resolved", t_fix).map(|x| x.0);
            }
            if wants_slack && resolved_slack.is_none() {
                resolved_slack =
                    notified(&all, stack, scenario, "slack", "resolved", t_fix).map(|x| x.0);
            }
            if resolved_console.is_some() && (resolved_slack.is_some() || !wants_slack) {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    removed?;
    for (what, t) in [
        ("alert pending", pending),
        ("alert firing", firing),
        ("console notified (firing)", console),
        ("slack notified (firing)", slack.filter(|_| wants_slack)),
    ] {
        if let Some(t) = t {
            events.push((what.into(), t));
        }
    }
    events.push(("fault removed".into(), t_fix));
    for (what, t) in [
        ("console notified (resolved)", resolved_console),
        ("slack notified (resolved)", resolved_slack),
    ] {
        if let Some(t) = t {
            events.push((what.into(), t));
        }
    }
    events.sort_by(|a, b| a.1.total_cmp(&b.1));
    let detection = console.map(|t| t - t0);
    Ok(json!({
        "scenario": scenario.name,
        "alertname": scenario.alertname,
        "about": scenario.about,
        "slack_channel": scenario.slack,
        "labels": labels,
        "events": events.iter().map(|(w, t)| json!({"event": w, "t": t, "after_s": t - t0})).collect::<Vec<_>>(),
        "pending_s": pending.map(|t| t - t0),
        "firing_s": firing.map(|t| t - t0),
        "detection_s": detection,
        "slack_s": slack.map(|t| t - t0),
        "resolved_s": resolved_console.map(|t| t - t_fix),
        "slack_resolved_s": resolved_slack.map(|t| t - t_fix),
        "ok": console.is_some() && (slack.is_some() || !wants_slack)
            && resolved_console.is_some() && (resolved_slack.is_some() || !wants_slack),
    }))
}

fn print_timeline(result: &Value) {
    println!(
        "\n== {} ({}): {}",
        result["scenario"].as_str().unwrap_or_default(),
        result["alertname"].as_str().unwrap_or_default(),
        result["about"].as_str().unwrap_or_default()
    );
    for e in result["events"].as_array().into_iter().flatten() {
        println!(
            "  {}  +{:6.1}s  {}",
            clock(e["t"].as_f64().unwrap_or(0.0)),
            e["after_s"].as_f64().unwrap_or(0.0),
            e["event"].as_str().unwrap_or_default()
        );
    }
    match result["detection_s"].as_f64() {
        Some(d) => println!("  detection time (fault -> console notification): {d:.1}s"),
        None => println!("  NOT DETECTED within the timeout"),
    }
    if let Some(labels) = result["labels"].as_object() {
        let text: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        println!("  labels: {}", text.join(" "));
    }
    println!(
        "  result: {}",
        if result["ok"] == true {
            "OK"
        } else {
            "INCOMPLETE"
        }
    );
}

pub fn run(args: Args) -> Result<()> {
    let run_dir = default_run_dir(args.run_dir);
    let state = read_state(&run_dir)?;
    let url = |k: &str| state["urls"][k].as_str().unwrap_or_default().to_string();
    let stack = Stack {
        prometheus: url("prometheus"),
        receiver: url("receiver"),
        demo_app: url("demo-app"),
        endpoint: url("endpoint"),
        speedup: state["speedup"].as_u64().unwrap_or(1).max(1),
    };
    let mut chosen: Vec<&Scenario> = Vec::new();
    for name in &args.scenarios {
        if name == "all" {
            // Those that can run at once (one demo-app fault; redis either
            // stopped or flooded).
            chosen.extend(SCENARIOS.iter().filter(|s| {
                ![
                    "app-latency",
                    "custom-threshold",
                    "redis-connection-failures",
                ]
                .contains(&s.name)
            }));
            continue;
        }
        match SCENARIOS.iter().find(|s| s.name == name) {
            Some(s) => chosen.push(s),
            None => bail!(
                "unknown scenario {name}; known: {}",
                SCENARIOS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let demo_faults = chosen
        .iter()
        .filter(|s| matches!(s.fault, Fault::DemoApp { .. }))
        .count();
    if demo_faults > 1 {
        bail!(
            "app-errors, app-latency and custom-threshold all use the demo-app's fault knobs: run them one at a time"
        );
    }
    if stack.speedup == 1 {
        println!(
            "note: the stack runs the real durations (start it with `cargo xtask up --speedup 15` to simulate in seconds)"
        );
    }
    println!(
        "simulating {} at speedup {}x (rules' `for`, ranges and intervals divided by {})",
        chosen.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        stack.speedup,
        stack.speedup
    );
    let results: Vec<Result<Value>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chosen
            .iter()
            .map(|s| {
                let stack = &stack;
                scope.spawn(move || run_one(stack, s))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("scenario panicked")))
            })
            .collect()
    });
    let mut all = Vec::new();
    let mut failed = false;
    for r in results {
        match r {
            Ok(v) => {
                print_timeline(&v);
                failed |= v["ok"] != true;
                all.push(v);
            }
            Err(e) => {
                println!("scenario failed: {e:#}");
                failed = true;
            }
        }
    }
    if let Some(path) = args.json {
        std::fs::write(path, serde_json::to_string_pretty(&all)?)?;
    }
    if failed {
        bail!("some scenarios did not fire and resolve");
    }
    Ok(())
}
