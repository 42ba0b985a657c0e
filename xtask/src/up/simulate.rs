//! `cargo xtask simulate <scenario>...`: causes a real fault in the stack
//! `cargo xtask up` runs, follows the alert through Prometheus (pending,
//! firing), Alertmanager and the receivers (console, Slack stand-in),
//! removes the fault and waits for the resolved notification. Scenarios
//! that touch different parts of the stack run at once; those sharing one
//! (the demo-app's fault knobs, redis) run one after the other, in the
//! order given.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{clock, default_run_dir, now, read_state};

#[derive(clap::Args)]
pub struct Args {
    /// Scenarios: endpoint-down, redis-down, redis-connection-failures, mysql-down, app-errors,
    /// app-latency, custom-threshold, kafka-lag, container-oom, high-cpu, host-down
    /// (or `all`).
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
    /// Stop / restart a component of the `up` process (redis, mysql,
    /// endpoint, the simulated host's CPU or its node-exporter).
    Stop(&'static str),
    /// One of the demo-app's /admin/faults knobs (latency ms, error
    /// rate); the other is left as it is, so a latency and an error
    /// scenario run at once.
    DemoApp {
        latency_ms: Option<f64>,
        error_rate: Option<f64>,
    },
}

pub struct Scenario {
    pub name: &'static str,
    pub alertname: &'static str,
    /// Labels the alert must carry (besides `instance` checks).
    pub labels: &'static [(&'static str, &'static str)],
    /// The Slack channel it must reach, if any (Alertmanager's routing).
    pub slack: Option<&'static str>,
    fault: Fault,
    /// The part of the stack the fault touches: scenarios sharing one run
    /// one after the other.
    resource: &'static str,
    /// A query that must return data before the fault (the series the
    /// alert needs a "before" sample of).
    ready: Option<&'static str>,
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
        resource: "endpoint",
        ready: None,
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
        resource: "redis",
        ready: None,
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
        resource: "redis",
        ready: None,
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
        resource: "mysql",
        ready: None,
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
            latency_ms: None,
            error_rate: Some(0.5),
        },
        resource: "demo-app errors",
        ready: None,
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
            latency_ms: Some(800.0),
            error_rate: None,
        },
        resource: "demo-app latency",
        ready: None,
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
            latency_ms: None,
            error_rate: Some(1.0),
        },
        resource: "demo-app errors",
        ready: None,
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
        resource: "kafka",
        ready: None,
        about: "consumer group analytics stops committing while 1200 messages arrive",
    },
    Scenario {
        name: "container-oom",
        alertname: "ContainerOomKilled",
        labels: &[
            ("job", "container"),
            ("severity", "warning"),
            ("layer", "container"),
            ("name", super::OOM_CONTAINER),
        ],
        // Container warnings stay on the console (Alertmanager's routing).
        slack: None,
        fault: Fault::Stop("container-memory"),
        resource: "docker",
        ready: Some(r#"container_oom_events_total{job="container",name="oomer"}"#),
        about: "dd allocates 64 MiB in container oomer, limited to 16 MiB: the kernel OOM-kills it",
    },
    Scenario {
        name: "high-cpu",
        alertname: "HostHighCpu",
        labels: &[
            ("job", "node"),
            ("severity", "warning"),
            ("layer", "host"),
            ("host", super::simhost::HOST),
        ],
        slack: None,
        fault: Fault::Stop("simulated-cpu"),
        resource: "simulated-host",
        // Its samples fill the rate window: usage reads as the idle 3%.
        ready: Some(r#"instance:cpu_usage:avg{host="simulated-host"} < 0.5"#),
        about: "the simulated host's /proc/stat turns 95% busy on both its CPUs (its node-exporter reads it with --path.procfs)",
    },
    Scenario {
        name: "host-down",
        alertname: "HostDown",
        labels: &[
            ("job", "node"),
            ("severity", "critical"),
            ("layer", "host"),
            ("host", super::simhost::HOST),
        ],
        slack: Some("#alerts-critical"),
        fault: Fault::Stop("simulated-host"),
        // Its alert inhibits only alerts of host simulated-host (the
        // rest of the stack is docker-host), and high-cpu reads the same
        // node-exporter: one after the other.
        resource: "simulated-host",
        ready: None,
        about: "stops the simulated host's node-exporter (connection refused: up 0) and starts it again on the same port",
    },
];

struct Stack {
    /// The Prometheus query API: Prometheus, or the store of
    /// `up --scale-out`.
    prometheus: String,
    /// The alerts API of what evaluates the rules: Prometheus, or vmalert.
    rules: String,
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

fn inject(stack: &Stack, fault: Fault, on: bool) -> Result<()> {
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
            let off = |v: Option<f64>| v.map(|_| 0.0);
            let body = if on {
                json!({"latency_ms": latency_ms, "error_rate": error_rate})
            } else {
                json!({"latency_ms": off(latency_ms), "error_rate": off(error_rate)})
            };
            post(&format!("{}/admin/faults", stack.demo_app), Some(body))
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
        .get(format!("{}/api/v1/alerts", stack.rules))
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

fn query_has_data(stack: &Stack, query: &str) -> bool {
    testkit::http()
        .get(format!("{}/api/v1/query", stack.prometheus))
        .query(&[("query", query)])
        .send()
        .and_then(|r| r.json::<Value>())
        .is_ok_and(|b| {
            b["data"]["result"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
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
    // Long enough for the longest `for` (15 m) plus windows at this speedup.
    let timeout = 1500.0 / stack.speedup as f64 + 60.0;
    // Detection is only shown by an alert that is quiet before the fault:
    // give an earlier incident (another scenario's) a bounded time to
    // resolve, else say so.
    let quiet_for = Duration::from_secs_f64(600.0 / stack.speedup as f64 + 20.0);
    // The "before" data first: a young series can make the alert pending
    // for a moment (`1 - rate(idle)` over a window its samples do not
    // fill yet reads as busy), so quietness is judged after it.
    if let Some(query) = scenario.ready
        && !testkit::wait_until(quiet_for, || query_has_data(stack, query))
    {
        bail!(
            "{}: Prometheus has no {query} to compare with after {:.0?}; is the target up?",
            scenario.name,
            quiet_for
        );
    }
    if !testkit::wait_until(quiet_for, || alert_state(stack, scenario).is_empty()) {
        let state = alert_state(stack, scenario);
        bail!(
            "{}: {} is already {state} before any fault, and stayed so for {:.0?}: \
             there is nothing to detect on this host now, so the scenario did not run",
            scenario.name,
            scenario.alertname,
            quiet_for
        );
    }
    let t0 = now();
    inject(stack, scenario.fault, true)?;
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
    let removed = inject(stack, scenario.fault, false);
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
    let mut note = String::new();
    if fired_at.is_some() && resolved_console.is_none() {
        note = format!(
            "not resolved {:.0}s after the fault was removed (alert {})",
            timeout,
            match alert_state(stack, scenario).as_str() {
                "" => "inactive in Prometheus".to_string(),
                s => format!("still {s} in Prometheus"),
            }
        );
    }
    Ok(json!({
        "note": note,
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
    if let Some(note) = result["note"].as_str().filter(|n| !n.is_empty()) {
        println!("  note: {note}");
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
    // `up --scale-out` has no Prometheus: the store answers queries,
    // vmalert evaluates the rules.
    let or = |a: String, b: &str| if a.is_empty() { url(b) } else { a };
    let stack = Stack {
        prometheus: or(url("store"), "prometheus"),
        rules: or(url("vmalert"), "prometheus"),
        receiver: url("receiver"),
        demo_app: url("demo-app"),
        endpoint: url("endpoint"),
        speedup: state["speedup"].as_u64().unwrap_or(1).max(1),
    };
    let mut chosen: Vec<&Scenario> = Vec::new();
    for name in &args.scenarios {
        if name == "all" {
            chosen.extend(SCENARIOS.iter());
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
    let mut seen = std::collections::HashSet::new();
    chosen.retain(|s| seen.insert(s.name));
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
    // One thread per part of the stack; its scenarios run in turn.
    let mut lanes: Vec<(&str, Vec<(usize, &Scenario)>)> = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        match lanes.iter_mut().find(|(r, _)| *r == s.resource) {
            Some((_, lane)) => lane.push((i, s)),
            None => lanes.push((s.resource, vec![(i, s)])),
        }
    }
    let mut results: Vec<(usize, Result<Value>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .iter()
            .map(|(_, lane)| {
                let stack = &stack;
                scope.spawn(move || {
                    lane.iter()
                        .map(|(i, s)| {
                            let r = run_one(stack, s);
                            match &r {
                                Ok(v) => println!(
                                    "[{}] {} done: {}",
                                    clock(now()),
                                    s.name,
                                    if v["ok"] == true { "OK" } else { "INCOMPLETE" }
                                ),
                                Err(e) => println!("[{}] {} failed: {e:#}", clock(now()), s.name),
                            }
                            (*i, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(usize::MAX, Err(anyhow::anyhow!("scenario panicked")))]
                })
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let mut all = Vec::new();
    let mut failed = false;
    for (_, r) in results {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario follows an alert the rules define, with the
    /// severity and layer the rule gives it, and scenarios sharing a part
    /// of the stack are the ones that must not overlap.
    #[test]
    fn scenarios_match_the_rules() {
        let dir = super::super::repo_root().join("prometheus/rules");
        let mut rules: Vec<serde_norway::Value> = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_default();
            for group in doc["groups"].as_sequence().into_iter().flatten() {
                rules.extend(group["rules"].as_sequence().into_iter().flatten().cloned());
            }
        }
        assert!(rules.len() > 20, "rules not found under {}", dir.display());
        for s in SCENARIOS {
            let rule = rules
                .iter()
                .find(|r| r["alert"].as_str() == Some(s.alertname))
                .unwrap_or_else(|| panic!("{}: no alert {} in the rules", s.name, s.alertname));
            for key in ["severity", "layer"] {
                let want = s.labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                assert_eq!(rule["labels"][key].as_str(), want, "{}: {key}", s.name);
            }
        }
        let lane = |n: &str| SCENARIOS.iter().find(|s| s.name == n).map(|s| s.resource);
        assert_eq!(lane("redis-down"), lane("redis-connection-failures"));
        assert_eq!(lane("app-errors"), lane("custom-threshold"));
        assert_ne!(lane("app-errors"), lane("app-latency"));
        assert_ne!(lane("container-oom"), lane("redis-down"));
        // HostDown inhibits service alerts of its host (alertmanager.yml):
        // only the simulated host's own scenarios may share its host.
        assert_eq!(lane("host-down"), lane("high-cpu"));
    }
}
