//! `cargo xtask up --scale-out --speedup 15`: two Prometheus agents share
//! the targets by `hashmod` and remote-write to the long-term store
//! (victoria-metrics); vmalert runs the repository's rules against the
//! store. Checked from the store, as a user would: every target is scraped
//! by exactly one shard, alerts fire and resolve through vmalert and
//! Alertmanager, the dashboards have data, recording results are written
//! back, and a store outage loses nothing once the agents' WAL has been
//! sent (an agent outage leaves a gap only on its own shard, and only for
//! as long as it was down).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::xtask;
use serde_json::Value;

/// The scrape interval at speedup 15 (15 s / 15), in seconds.
const INTERVAL: f64 = 1.0;
/// How long the store and an agent stay down ("a minute" would be 4 s at
/// this speedup; longer, so the outage is many scrape intervals wide).
const OUTAGE: Duration = Duration::from_secs(8);

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn get(url: &str) -> Value {
    testkit::http()
        .get(url)
        .send()
        .and_then(|r| r.json::<Value>())
        .unwrap_or(Value::Null)
}

/// An instant query against the store; `data.result`.
fn query(store: &str, expr: &str) -> Vec<Value> {
    testkit::http()
        .get(format!("{store}/api/v1/query"))
        .query(&[("query", expr)])
        .send()
        .and_then(|r| r.json::<Value>())
        .map(|v| v["data"]["result"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn control(receiver: &str, action: &str, what: &str) {
    let response = testkit::http()
        .post(format!("{receiver}/control/{action}/{what}"))
        .send()
        .expect("control request");
    assert!(
        response.status().is_success(),
        "{action} {what}: {}",
        response.text().unwrap_or_default()
    );
}

/// One `up` series' raw sample times since `since`, as the store has them.
struct Series {
    job: String,
    instance: String,
    replica: String,
    times: Vec<f64>,
}

impl Series {
    /// The widest gap between consecutive samples and where it starts.
    fn widest_gap(&self) -> (f64, f64) {
        self.gaps(0.0)
            .into_iter()
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    /// Every gap wider than `wider_than` seconds, and where it starts.
    fn gaps(&self, wider_than: f64) -> Vec<(f64, f64)> {
        self.times
            .windows(2)
            .map(|w| (w[1] - w[0], w[0]))
            .filter(|g| g.0 > wider_than)
            .collect()
    }

    fn name(&self) -> String {
        format!("{}/{} ({})", self.job, self.instance, self.replica)
    }
}

/// Every `up` series' samples since `since` (a range selector in an
/// instant query returns the raw samples).
fn up_since(store: &str, since: f64) -> Vec<Series> {
    let range = (now() - since).ceil().max(1.0) as u64;
    query(store, &format!("up[{range}s]"))
        .iter()
        .map(|r| Series {
            job: r["metric"]["job"].as_str().unwrap_or_default().into(),
            instance: r["metric"]["instance"].as_str().unwrap_or_default().into(),
            replica: r["metric"]["replica"].as_str().unwrap_or_default().into(),
            times: r["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v[0].as_f64())
                .filter(|t| *t >= since)
                .collect(),
        })
        .collect()
}

/// GETs of a key that exists and one that does not, a few a second, so
/// the keyspace hit ratio is a number: with no traffic it is 0/0, which
/// Prometheus keeps as NaN and the store drops (a panel without data).
fn redis_traffic(redis_url: &str, stop: Arc<AtomicBool>) {
    let addr = redis_url.trim_start_matches("redis://").to_string();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if let Ok(mut conn) = std::net::TcpStream::connect(&addr) {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
                let mut sink = [0u8; 256];
                while !stop.load(Ordering::SeqCst)
                    && conn
                        .write_all(b"SET present 1\r\nGET present\r\nGET absent\r\n")
                        .is_ok()
                    && std::io::Read::read(&mut conn, &mut sink).is_ok_and(|n| n > 0)
                {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

/// (job, discovered address) of an agent's active targets and of those it
/// discovered (active, or dropped but not by the docker job's own
/// relabeling), and the (job, instance) labels of its active ones.
struct Shard {
    active: BTreeSet<(String, String)>,
    discovered: BTreeSet<(String, String)>,
    instances: BTreeSet<(String, String)>,
    healthy: bool,
}

fn shard(agent: &str) -> Shard {
    let targets = get(&format!("{agent}/api/v1/targets"));
    let key = |t: &Value| {
        (
            t["discoveredLabels"]["job"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            t["discoveredLabels"]["__address__"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let active: Vec<Value> = targets["data"]["activeTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dropped: Vec<Value> = targets["data"]["droppedTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Docker discovery's containers are kept or dropped by the docker
    // job's own relabeling (the prometheus.io/scrape label) first.
    let docker = |t: &&Value| {
        t["discoveredLabels"]
            .as_object()
            .is_some_and(|l| l.keys().any(|k| k.starts_with("__meta_docker_")))
    };
    Shard {
        active: active.iter().map(key).collect(),
        discovered: active
            .iter()
            .chain(dropped.iter().filter(|t| !docker(t)))
            .map(key)
            .collect(),
        instances: active
            .iter()
            .map(|t| {
                (
                    t["labels"]["job"].as_str().unwrap_or_default().to_string(),
                    t["labels"]["instance"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect(),
        healthy: !active.is_empty() && active.iter().all(|t| t["health"] == "up"),
    }
}

#[test]
fn scale_out_stack_shards_alerts_and_survives_restarts() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    let run_dir = dir.path().join("run");
    let (up, state) = common::start_stack(&run_dir, &["--scale-out"]);
    let url = |k: &str| {
        state["urls"][k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} URL in state.json: {state:#}"))
            .to_string()
    };
    let (store, receiver) = (url("store"), url("receiver"));
    let agents = [url("agent-0"), url("agent-1")];
    assert!(state["urls"]["prometheus"].is_null(), "{state:#}");
    let stop_traffic = Arc::new(AtomicBool::new(false));
    redis_traffic(&url("redis"), stop_traffic.clone());

    // Sharding, from the agents: both discover the same targets, none is
    // kept by both, and every one is kept by one of them.
    let mut shards = Vec::new();
    let healthy = testkit::wait_until(Duration::from_secs(60), || {
        shards = agents.iter().map(|a| shard(a)).collect();
        shards.iter().all(|s| s.healthy)
    });
    assert!(healthy, "an agent has no target or one that is down");
    assert_eq!(shards[0].discovered, shards[1].discovered);
    let both: Vec<_> = shards[0].active.intersection(&shards[1].active).collect();
    assert!(both.is_empty(), "scraped by both shards: {both:?}");
    let kept: BTreeSet<_> = shards[0].active.union(&shards[1].active).collect();
    let unscraped: Vec<_> = shards[0]
        .discovered
        .iter()
        .filter(|k| !kept.contains(k))
        .collect();
    assert!(unscraped.is_empty(), "scraped by no shard: {unscraped:?}");
    let jobs: BTreeSet<&str> = kept.iter().map(|k| k.0.as_str()).collect();
    for job in [
        "prometheus",
        "node",
        "container",
        "blackbox",
        "blackbox-exporter",
        "redis",
        "redis-exporter",
        "mysql",
        "demo-app",
    ] {
        assert!(jobs.contains(job), "job {job} is not scraped: {jobs:?}");
    }
    println!(
        "shards: agent-0 scrapes {}, agent-1 {} targets",
        shards[0].active.len(),
        shards[1].active.len()
    );

    // Sharding, from the store: one `up` series per target, written by
    // the agent that scrapes it, and no target missing.
    let mut in_store: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let complete = testkit::wait_until(Duration::from_secs(30), || {
        in_store.clear();
        for r in query(&store, "up") {
            let m = &r["metric"];
            in_store
                .entry((
                    m["job"].as_str().unwrap_or_default().into(),
                    m["instance"].as_str().unwrap_or_default().into(),
                ))
                .or_default()
                .push(m["replica"].as_str().unwrap_or_default().into());
        }
        in_store.len() == kept.len()
    });
    assert!(complete, "targets {kept:?}, in the store {in_store:?}");
    for (i, s) in shards.iter().enumerate() {
        for target in &s.instances {
            assert_eq!(
                in_store.get(target),
                Some(&vec![format!("agent-{i}")]),
                "{target:?}"
            );
        }
    }

    // Alerts through vmalert -> Alertmanager -> receivers, concurrently:
    // a per-target alert of each shard's kind and an aggregated one over
    // recording rules vmalert wrote back to the store.
    let json = dir.path().join("timelines.json");
    let scenarios = [
        ("endpoint-down", "EndpointDown", "endpoint"),
        ("redis-down", "RedisDown", "cache"),
        ("app-errors", "AppHighErrorRate", "api"),
    ];
    let mut args = vec!["simulate"];
    args.extend(scenarios.iter().map(|s| s.0));
    args.extend(["--json", json.to_str().expect("utf-8 path")]);
    let simulated = Instant::now();
    let (ok, out) = xtask(&args, &run_dir);
    println!("{out}");
    println!("scenarios took {:.0?}", simulated.elapsed());
    assert!(ok, "simulate failed:\n{out}");
    let results: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("timelines")).expect("JSON");
    for (name, alertname, layer) in scenarios {
        let r = results
            .iter()
            .find(|r| r["scenario"] == name)
            .unwrap_or_else(|| panic!("no timeline for {name}"));
        assert_eq!(r["ok"], true, "{name}: {r:#}");
        assert_eq!(r["labels"]["alertname"], alertname, "{name}");
        assert_eq!(r["labels"]["severity"], "critical", "{name}");
        assert_eq!(r["labels"]["layer"], layer, "{name}");
        assert_eq!(r["slack_channel"], "#alerts-critical", "{name}");
        // prometheus.yml's external label, on aggregated alerts too.
        assert_eq!(r["labels"]["stack"], "ferroscope", "{name}");
    }
    for record in [
        "instance:cpu_usage:avg",
        "instance:redis_keyspace_hits:ratio_rate5m",
    ] {
        assert!(
            !query(&store, record).is_empty(),
            "vmalert wrote no {record} to the store"
        );
    }

    // The layer dashboards, unchanged, against the store: every panel has
    // data but those whose description says when they are empty (lint
    // accepts them) and two ratios that are 0/0 on an idle MariaDB: NaN,
    // which Prometheus shows and the store drops (Redis' hit ratios are
    // the same without the traffic above). The monitoring dashboard is
    // the single Prometheus' own (TSDB, rule engine): the agents have
    // neither.
    let (_, text) = common::lint_dashboards_live(
        &store,
        &[
            "overview",
            "node",
            "containers",
            "endpoints",
            "redis",
            "mysql",
            "kafka",
            "api",
        ],
    );
    println!("{text}");
    // Every panel was evaluated (a store that does not answer fails
    // before any panel).
    assert!(text.contains(" panel(s) return"), "{text}");
    for line in text.lines().filter(|l| l.contains(": no data")) {
        let expected = line.contains("no data, as expected unless")
            || line.starts_with("mysql.json: Buffer pool hit ratio:")
            || line.starts_with("mysql.json: Table open cache hit ratio:")
            // Kafka is skipped where tansu is not installed.
            || (line.starts_with("kafka.json") && state["urls"]["kafka-exporter"].is_null());
        assert!(expected, "a panel has no data from the store: {line}");
    }
    stop_traffic.store(true, Ordering::SeqCst);

    // The store stops for OUTAGE while the agents scrape on: once they
    // have sent what their WAL kept, no series has a gap.
    let before = now() - 5.0;
    control(&receiver, "stop", "store");
    std::thread::sleep(OUTAGE);
    control(&receiver, "start", "store");
    let restarted = now();
    let mut series = Vec::new();
    let caught_up = testkit::wait_until(Duration::from_secs(60), || {
        series = up_since(&store, before);
        series.len() == kept.len()
            && series.iter().all(|s| {
                s.times.last().is_some_and(|t| *t >= restarted)
                    && s.widest_gap().0 <= 2.0 * INTERVAL
            })
    });
    let store_catch_up = now() - restarted;
    let gaps: Vec<String> = series
        .iter()
        .map(|s| format!("{}: widest gap {:.1}s", s.name(), s.widest_gap().0))
        .collect();
    assert!(
        caught_up,
        "after a {OUTAGE:?} store outage the series still have gaps:\n{}",
        gaps.join("\n")
    );
    println!("store outage {OUTAGE:?}: caught up {store_catch_up:.1}s after the restart, no gap");

    // agent-1 stops for OUTAGE: nobody scrapes its targets meanwhile
    // (hashmod gives each target one shard), so its series have one gap:
    // the outage, until its first scrape after the restart (Prometheus
    // applies discovered targets every 5 s). What it scraped before
    // stopping is in the store (a clean stop flushes its queue), and the
    // other shard's series have no gap.
    let before = now() - 5.0;
    let stopped = now();
    control(&receiver, "stop", "agent-1");
    std::thread::sleep(OUTAGE);
    control(&receiver, "start", "agent-1");
    let restarted = now();
    let caught_up = testkit::wait_until(Duration::from_secs(60), || {
        series = up_since(&store, before);
        series.len() == kept.len()
            && series
                .iter()
                .all(|s| s.times.last().is_some_and(|t| *t >= restarted))
    });
    let agent_catch_up = now() - restarted;
    assert!(caught_up, "agent-1's series did not resume");
    let mut widest_own = 0.0f64;
    for s in &series {
        if s.replica == "agent-1" {
            let gaps = s.gaps(2.0 * INTERVAL);
            let [(gap, at)] = gaps[..] else {
                panic!("{}: gaps {gaps:?}, not one for the outage", s.name());
            };
            assert!(
                at >= stopped - 2.0 * INTERVAL && at + gap >= restarted,
                "{}: a {gap:.1}s gap from {:.1}s after the stop, not the outage",
                s.name(),
                at - stopped
            );
            widest_own = widest_own.max(gap);
        } else {
            let (gap, _) = s.widest_gap();
            assert!(
                gap <= 2.0 * INTERVAL,
                "{}: a {gap:.1}s gap while the other agent was down",
                s.name()
            );
        }
    }
    println!(
        "agent-1 outage {OUTAGE:?}: its series resumed {agent_catch_up:.1}s after the restart; \
         widest gap {widest_own:.1}s (the outage and the restart), none on agent-0's"
    );

    common::stop_stack(up);
    println!("whole run: {:.0?}", started.elapsed());
}
