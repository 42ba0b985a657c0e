//! `cargo xtask bench scale-out`: the scale-out path of `up --scale-out`
//! under load. Simulated targets (one process answering for all of them,
//! the multi-target /probe pattern: each target is its own address, which
//! the agents shard on, rewritten to the one server) are scraped every
//! 15 s by two Prometheus agents (`hashmod`), which remote-write to
//! victoria-metrics. Per target count: samples/s the store ingests, the
//! agents' CPU and RSS per 1,000 targets, and the remote-write lag p99
//! (newest sample appended minus newest sample sent, sampled every second).

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::Args;
use super::harness::{self, Started};
use crate::up::http::{self, Request, Response};
use crate::up::scale_out::{AgentInputs, REPLICAS, SHARDS, agent_config};

/// One run's figures.
struct Row {
    targets: usize,
    samples_per_s: f64,
    agents_cpu_per_1000: f64,
    agents_rss_mib_per_1000: f64,
    store_cpu: f64,
    store_rss_mib: f64,
    lag_p99_s: f64,
}

/// The exposition every simulated target answers: `series` counters that
/// grow with each 15 s scrape (the store ingests real changing samples).
fn exposition(series: usize) -> String {
    let tick = crate::up::now() as u64 / 15;
    let mut out = String::with_capacity(series * 48);
    out.push_str(
        "# HELP bench_series_total A simulated counter.\n# TYPE bench_series_total counter\n",
    );
    for i in 0..series {
        out.push_str(&format!(
            "bench_series_total{{series=\"{i}\"}} {}\n",
            tick * (i as u64 + 1)
        ));
    }
    out
}

/// Serves the simulated targets on an ephemeral port; returns the port.
fn serve_targets(series: usize) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    http::serve(
        listener,
        Arc::new(move |_req: Request| Response::ok(exposition(series))),
    );
    Ok(port)
}

/// prometheus.yml for `targets` simulated targets `sim-N:9100`: each is
/// its own address (what hashmod shards on) and `instance`, rewritten to
/// the one server with the address as a parameter.
fn prometheus_yml(targets: usize, port: u16) -> String {
    let list: Vec<String> = (0..targets).map(|i| format!("'sim-{i}:9100'")).collect();
    format!(
        "global:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n\
         scrape_configs:\n- job_name: node\n  static_configs:\n  - targets: [{}]\n  relabel_configs:\n\
         \x20 - source_labels: [__address__]\n    target_label: instance\n\
         \x20 - source_labels: [__address__]\n    target_label: __param_target\n\
         \x20 - target_label: __address__\n    replacement: 127.0.0.1:{port}\n",
        list.join(", ")
    )
}

/// Every `name{...} value` of a Prometheus text exposition at `url`.
fn scrape(url: &str) -> Result<Vec<(String, f64)>> {
    let text = testkit::http().get(url).send()?.text()?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect())
}

fn sum(samples: &[(String, f64)], prefix: &str) -> f64 {
    samples
        .iter()
        .filter(|(n, _)| n == prefix || n.starts_with(&format!("{prefix}{{")))
        .map(|(_, v)| v)
        .sum()
}

/// Newest sample appended minus newest sample sent, in seconds.
fn lag(agent: &str) -> Result<f64> {
    let samples = scrape(&format!("{agent}/metrics"))?;
    let appended = sum(
        &samples,
        "prometheus_remote_storage_highest_timestamp_in_seconds",
    );
    let sent = sum(
        &samples,
        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
    );
    Ok((appended - sent).max(0.0))
}

fn store_rows(store: &str) -> Result<f64> {
    let samples = scrape(&format!("{store}/metrics"))?;
    Ok(samples
        .iter()
        .filter(|(n, _)| n.starts_with("vm_rows_inserted_total") && n.contains("promremotewrite"))
        .map(|(_, v)| v)
        .sum())
}

/// How many of an agent's active targets were scraped at least once
/// (cheaper than asking the store, which is busy registering the new
/// series of the first scrapes).
fn scraped(agent: &str) -> usize {
    testkit::http()
        .get(format!("{agent}/api/v1/targets"))
        .send()
        .and_then(|r| r.json::<serde_json::Value>())
        .ok()
        .and_then(|v| {
            v["data"]["activeTargets"]
                .as_array()
                .map(|targets| targets.iter().filter(|t| t["health"] == "up").count())
        })
        .unwrap_or(0)
}

fn run_one(args: &Args, dir: &Path, targets: usize, port: u16) -> Result<Row> {
    let dir = dir.join(format!("t{targets}"));
    std::fs::create_dir_all(&dir)?;
    let store_port = testkit::free_port();
    let store_url = format!("http://127.0.0.1:{store_port}");
    let mut command = Command::new(testkit::require("victoria-metrics"));
    command.args([
        format!("-httpListenAddr=127.0.0.1:{store_port}"),
        format!("-storageDataPath={}", dir.join("store").display()),
        "-retentionPeriod=1d".into(),
        "-search.latencyOffset=1s".into(),
    ]);
    let store = harness::start("victoria-metrics", command, &format!("{store_url}/health"))?;
    let base = prometheus_yml(targets, port);
    let agent_ports: Vec<u16> = (0..SHARDS).map(|_| testkit::free_port()).collect();
    let agent_urls: Vec<String> = agent_ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut agents: Vec<Started> = Vec::new();
    for (shard, port) in agent_ports.iter().enumerate() {
        let config = agent_config(&AgentInputs {
            prometheus_yml: &base,
            agents: &[],
            shard,
            // One replica per shard: a shard's HA pair costs twice this
            // agent, and the store ingests twice the samples it keeps.
            replica: REPLICAS[0],
            store_url: &store_url,
            factor: 1,
        })?;
        let path = dir.join(format!("agent-{shard}.yml"));
        std::fs::write(&path, config)?;
        let mut command = Command::new(testkit::require("prometheus"));
        command.args([
            "--enable-feature=agent".to_string(),
            format!("--config.file={}", path.display()),
            format!(
                "--storage.agent.path={}",
                dir.join(format!("agent-{shard}")).display()
            ),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ]);
        agents.push(harness::start(
            "prometheus agent",
            command,
            &format!("{}/-/ready", agent_urls[shard]),
        )?);
    }
    // Every target scraped once (the first scrapes are spread over one
    // interval), then until the agents have sent their backlog (the store
    // registers the new series of the first scrapes slowly): the table is
    // the steady state, not the catch-up.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let done: usize = agent_urls.iter().map(|a| scraped(a)).sum();
        if done >= targets {
            break;
        }
        if Instant::now() > deadline {
            bail!("{targets} targets: only {done} scraped after 90 s");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let settle = Instant::now();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(15) {
        let lagging = agent_urls
            .iter()
            .map(|a| lag(a))
            .collect::<Result<Vec<f64>>>()?
            .into_iter()
            .any(|l| l > 1.0);
        if lagging {
            quiet_since = Instant::now();
        }
        if settle.elapsed() > Duration::from_secs(240) {
            eprintln!("{targets} targets: the agents still lag after 240 s; measuring anyway");
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    let cpu = |pids: &[u32]| -> Result<f64> { pids.iter().map(|p| harness::cpu_seconds(*p)).sum() };
    let agent_pids: Vec<u32> = agents.iter().map(Started::pid).collect();
    let t0 = Instant::now();
    let (rows0, agents_cpu0, store_cpu0) = (
        store_rows(&store_url)?,
        cpu(&agent_pids)?,
        harness::cpu_seconds(store.pid())?,
    );
    let mut lags = Vec::new();
    while t0.elapsed() < Duration::from_secs(args.seconds) {
        for a in &agent_urls {
            lags.push(lag(a)?);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let rows = store_rows(&store_url)? - rows0;
    let agents_cpu = (cpu(&agent_pids)? - agents_cpu0) / elapsed;
    let store_cpu = (harness::cpu_seconds(store.pid())? - store_cpu0) / elapsed;
    let agents_rss: f64 = agent_pids
        .iter()
        .map(|p| harness::rss(*p))
        .sum::<Result<f64>>()?;
    lags.sort_by(f64::total_cmp);
    let p99 = lags
        .get(((lags.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN);
    let per_1000 = 1000.0 / targets as f64;
    Ok(Row {
        targets,
        samples_per_s: rows / elapsed,
        agents_cpu_per_1000: agents_cpu * per_1000,
        agents_rss_mib_per_1000: agents_rss / 1048576.0 * per_1000,
        store_cpu,
        store_rss_mib: harness::rss(store.pid())? / 1048576.0,
        lag_p99_s: p99,
    })
}

fn print_row(r: &Row) {
    println!(
        "| {} | {:.0} | {:.3} | {:.0} | {:.3} | {:.0} | {:.1} |",
        r.targets,
        r.samples_per_s,
        r.agents_cpu_per_1000,
        r.agents_rss_mib_per_1000,
        r.store_cpu,
        r.store_rss_mib,
        r.lag_p99_s
    );
}

pub fn run(args: &Args) -> Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let port = serve_targets(args.series)?;
    println!(
        "{} series per target, 15 s scrapes, {SHARDS} agents, {} s measured per row; \
         expected samples/s = targets x (series + 5 scrape series) / 15\n",
        args.series, args.seconds
    );
    println!(
        "| targets | samples/s into the store | agents' CPU per 1,000 targets (cores) | agents' RSS per 1,000 targets (MiB) | store CPU (cores) | store RSS (MiB) | remote_write lag p99 (s) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &targets in &args.targets {
        let row = run_one(args, dir.path(), targets, port)?;
        print_row(&row);
    }
    Ok(())
}
