//! `cargo xtask up --scale-out --speedup 15`: two shards of the targets by
//! `hashmod`, each scraped by an HA pair of Prometheus agents, remote-write
//! to the long-term store (victoria-metrics), which deduplicates the pairs;
//! vmalert runs the repository's rules against the store. Checked from the
//! store, as a user would: every target is scraped by exactly one shard
//! (one series, deduplicated), alerts fire and resolve through vmalert and
//! Alertmanager, the dashboards have data, recording results are written
//! back, and neither a store outage (once the agents' WAL has been sent)
//! nor an agent's (its replica scrapes on) leaves a gap in any series.

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
/// The agents `up --scale-out` names: shard 0 and 1, replicas a and b.
const AGENTS: [&str; 4] = ["agent-0a", "agent-0b", "agent-1a", "agent-1b"];
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
    shard: String,
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
        format!("{}/{} (shard {})", self.job, self.instance, self.shard)
    }

    /// Samples in the same slot of the store's deduplication, which
    /// keeps the last sample of each (k - 1, k] scrape intervals.
    fn twins(&self) -> Vec<f64> {
        self.times
            .windows(2)
            .filter(|w| (w[0] / INTERVAL).ceil() == (w[1] / INTERVAL).ceil())
            .map(|w| w[1])
            .collect()
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
            shard: r["metric"]["shard"].as_str().unwrap_or_default().into(),
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

/// The value of the first series of `family` an agent exposes.
fn agent_metric(agent: &str, family: &str) -> Option<f64> {
    let text = testkit::http()
        .get(format!("{agent}/metrics"))
        .send()
        .and_then(|r| r.text())
        .ok()?;
    text.lines()
        .find(|l| {
            l.strip_prefix(family)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
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
    let agents: Vec<String> = AGENTS.iter().map(|a| url(a)).collect();
    let named: Vec<&String> = state["urls"]
        .as_object()
        .into_iter()
        .flat_map(|u| u.keys())
        .filter(|k| k.starts_with("agent-"))
        .collect();
    assert_eq!(named, AGENTS, "{state:#}");
    assert!(state["urls"]["prometheus"].is_null(), "{state:#}");
    let stop_traffic = Arc::new(AtomicBool::new(false));
    redis_traffic(&url("redis"), stop_traffic.clone());

    // Sharding, from the agents: all discover the same targets, the two
    // replicas of a shard keep the same ones, no target is kept by both
    // shards, and every one is kept by one of them.
    let mut shards = Vec::new();
    let healthy = testkit::wait_until(Duration::from_secs(60), || {
        shards = agents.iter().map(|a| shard(a)).collect();
        shards.iter().all(|s| s.healthy)
    });
    assert!(healthy, "an agent has no target or one that is down");
    for (name, s) in AGENTS.iter().zip(&shards) {
        assert_eq!(s.discovered, shards[0].discovered, "{name}");
    }
    assert_eq!(shards[0].active, shards[1].active, "shard 0's replicas");
    assert_eq!(shards[2].active, shards[3].active, "shard 1's replicas");
    let (shard0, shard1) = (&shards[0], &shards[2]);
    let both: Vec<_> = shard0.active.intersection(&shard1.active).collect();
    assert!(both.is_empty(), "scraped by both shards: {both:?}");
    let kept: BTreeSet<_> = shard0.active.union(&shard1.active).collect();
    let unscraped: Vec<_> = shard0
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
    // Each agent is a target of one shard's pair.
    let agent_targets = kept.iter().filter(|k| k.0 == "prometheus").count();
    assert_eq!(agent_targets, AGENTS.len(), "{kept:?}");
    println!(
        "shards: shard 0 (agent-0a, agent-0b) scrapes {}, shard 1 (agent-1a, agent-1b) {} targets",
        shard0.active.len(),
        shard1.active.len()
    );

    // Sharding, from the store: one `up` series per target (both
    // replicas wrote it: `replica` is dropped before writing), labelled
    // with the shard whose pair scrapes it, and no target missing.
    let mut in_store: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
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
                .push((
                    m["shard"].as_str().unwrap_or_default().into(),
                    m["replica"].as_str().unwrap_or_default().into(),
                ));
        }
        in_store.len() == kept.len()
    });
    assert!(complete, "targets {kept:?}, in the store {in_store:?}");
    for (i, s) in [shard0, shard1].iter().enumerate() {
        for target in &s.instances {
            assert_eq!(
                in_store.get(target),
                Some(&vec![(i.to_string(), String::new())]),
                "{target:?}"
            );
        }
    }
    // Alerts through vmalert -> Alertmanager -> receivers, concurrently:
    // per-target alerts (a probe, an exporter's, a host's) and an
    // aggregated one over recording rules vmalert wrote back to the store.
    let json = dir.path().join("timelines.json");
    let scenarios = [
        ("endpoint-down", "EndpointDown", "endpoint"),
        ("redis-down", "RedisDown", "cache"),
        ("app-errors", "AppHighErrorRate", "api"),
        ("host-down", "HostDown", "host"),
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
    let host_down = results.iter().find(|r| r["scenario"] == "host-down");
    assert_eq!(
        host_down.map(|r| &r["labels"]["host"]),
        Some(&Value::from("simulated-host"))
    );
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

    // Deduplication: both replicas scrape every target, each at its own
    // moment in the interval; the store keeps one sample per interval.
    let window = 20.0;
    let recent = up_since(&store, now() - window);
    let doubled: Vec<String> = recent
        .iter()
        .filter(|s| !s.twins().is_empty())
        .map(|s| format!("{}: {:?}", s.name(), s.times))
        .collect();
    assert!(
        doubled.is_empty(),
        "two samples in one scrape interval:\n{}",
        doubled.join("\n")
    );
    let samples: usize = recent.iter().map(|s| s.times.len()).sum();
    println!(
        "dedup: {samples} samples of `up` in the last {window} s for {} targets scraped by two replicas each",
        recent.len()
    );

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

    // agent-1a stops for OUTAGE while agent-1b, the other replica of its
    // shard, scrapes on: no series has a gap (the store's deduplication
    // keeps agent-1b's samples meanwhile, then either's). Catch-up: from
    // the restart until agent-1a has sent a sample it scraped after it.
    let before = now() - 5.0;
    control(&receiver, "stop", "agent-1a");
    std::thread::sleep(OUTAGE);
    control(&receiver, "start", "agent-1a");
    let restarted = now();
    let sent = testkit::wait_until(Duration::from_secs(60), || {
        // The newest sample timestamp its remote_write has sent.
        agent_metric(
            &agents[2],
            "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
        )
        .is_some_and(|t| t >= restarted)
    });
    let agent_catch_up = now() - restarted;
    assert!(sent, "agent-1a sent nothing scraped after its restart");
    let caught_up = testkit::wait_until(Duration::from_secs(60), || {
        series = up_since(&store, before);
        series.len() == kept.len()
            && series
                .iter()
                .all(|s| s.times.last().is_some_and(|t| *t >= restarted))
    });
    assert!(
        caught_up,
        "the series did not reach past agent-1a's restart"
    );
    let widest = series
        .iter()
        .map(|s| (s.widest_gap().0, s.name()))
        .fold((0.0, String::new()), |a, b| if b.0 > a.0 { b } else { a });
    let gaps: Vec<String> = series
        .iter()
        .filter(|s| s.widest_gap().0 > 2.0 * INTERVAL)
        .map(|s| format!("{}: gaps {:?}", s.name(), s.gaps(2.0 * INTERVAL)))
        .collect();
    assert!(
        gaps.is_empty(),
        "while agent-1a was down for {OUTAGE:?}:\n{}",
        gaps.join("\n")
    );
    println!(
        "agent-1a outage {OUTAGE:?}: no gap (widest {:.1}s, {}); agent-1a sent again {agent_catch_up:.1}s after its restart",
        widest.0, widest.1
    );

    // What four agents cost on this host: CPU share of one core, and
    // resident memory, over their life (agent-1a's since its restart).
    for (name, agent) in AGENTS.iter().zip(&agents) {
        let metric = |f: &str| agent_metric(agent, f).unwrap_or(f64::NAN);
        let life = now() - metric("process_start_time_seconds");
        println!(
            "{name}: {:.1}% of a core over {life:.0}s, {:.0} MiB resident",
            100.0 * metric("process_cpu_seconds_total") / life,
            metric("process_resident_memory_bytes") / 1048576.0
        );
    }

    common::stop_stack(up);
    println!("whole run: {:.0?}", started.elapsed());
}
