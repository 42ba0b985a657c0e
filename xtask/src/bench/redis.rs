//! `cargo xtask bench redis`: redis-exporter vs Debian's
//! prometheus-redis-exporter on one redis-server holding 1,000,000 keys:
//! a plain INFO-only scrape, and a `--check-keys` scrape whose pattern
//! matches 10,000 of them (upstream SCANs the whole keyspace per scrape;
//! ours knows the keys from its background discovery), with the Redis CPU
//! each scrape costs and ours' discovery load beside it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::harness::{self, PROMETHEUS_HEADERS, Plan};

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn cli(port: u16, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .context("running redis-cli (Debian package redis-tools)")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn fill(port: u16) -> anyhow::Result<()> {
    // 990,000 other keys and 10,000 that the check-keys pattern matches,
    // in batches so that no script blocks the server for long
    for start in (0..990_000).step_by(110_000) {
        let script = format!(
            "for i = {}, {} do redis.call('SET', 'key:' .. i, i) end return 1",
            start + 1,
            start + 110_000
        );
        cli(port, &["EVAL", &script, "0"])?;
    }
    cli(
        port,
        &[
            "EVAL",
            "for i = 1, 10000 do redis.call('SET', 'bench:' .. i, i) end return 1",
            "0",
        ],
    )?;
    let size = cli(port, &["DBSIZE"])?;
    if size.trim() != "1000000" {
        bail!("expected 1000000 keys, redis says {size}");
    }
    Ok(())
}

fn pair(
    ours_bin: &PathBuf,
    upstream_bin: &str,
    redis: u16,
    extra: &[&str],
) -> anyhow::Result<(harness::Started, harness::Started, u16, u16)> {
    let addr = format!("redis://127.0.0.1:{redis}");
    let (p1, p2) = (free_port()?, free_port()?);
    let mut ours = Command::new(ours_bin);
    ours.args(["-redis.addr", &addr, "-web.listen-address"])
        .arg(format!("127.0.0.1:{p1}"))
        .args(extra);
    let mut upstream = Command::new(upstream_bin);
    upstream
        .args(["-redis.addr", &addr])
        .arg(format!("-web.listen-address=127.0.0.1:{p2}"))
        .args(extra);
    let a = harness::start(
        "redis-exporter",
        ours,
        &format!("http://127.0.0.1:{p1}/health"),
    )?;
    let b = harness::start(
        "prometheus-redis-exporter",
        upstream,
        &format!("http://127.0.0.1:{p2}/health"),
    )?;
    Ok((a, b, p1, p2))
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "redis-exporter"])
        .status()
        .context("building redis-exporter")?;
    if !status.success() {
        bail!("building redis-exporter failed");
    }
    let ours_bin = target_dir().join("release/redis-exporter");
    let upstream_bin = "/usr/bin/prometheus-redis-exporter";
    if !std::path::Path::new(upstream_bin).exists() {
        bail!("{upstream_bin} missing: apt-get install -y prometheus-redis-exporter");
    }
    // testkit's server: loopback, its own directory, persistence off.
    let redis = testkit::RedisServer::start();
    println!("filling redis with 1,000,000 keys ...");
    fill(redis.port())?;

    let (ours, upstream, p1, p2) = pair(&ours_bin, upstream_bin, redis.port(), &[])?;
    let (u1, u2) = (
        format!("http://127.0.0.1:{p1}/metrics"),
        format!("http://127.0.0.1:{p2}/metrics"),
    );
    let plan = |url| Plan {
        url,
        headers: PROMETHEUS_HEADERS,
        sequential: args.scrapes,
        concurrency: args.concurrency,
        per_scraper: args.per_scraper,
    };
    let a = harness::measure(&ours, &plan(&u1))?;
    let b = harness::measure(&upstream, &plan(&u2))?;
    harness::print_table("redis: INFO-only scrape (1,000,000 keys in db0)", &a, &b);
    drop((ours, upstream));

    let (ours, upstream, p1, p2) = pair(
        &ours_bin,
        upstream_bin,
        redis.port(),
        &["-check-keys", "bench:*"],
    )?;
    let (u1, u2) = (
        format!("http://127.0.0.1:{p1}/metrics"),
        format!("http://127.0.0.1:{p2}/metrics"),
    );
    let redis_pid = redis.pid().context("redis-server has no pid")?;
    // ours finds the matching keys in the background: measure once it has
    let discovery_start = Instant::now();
    let first_pass = wait_for_discovery(&u1)?;
    println!(
        "ours: first discovery pass done after {:.1} s, {first_pass} keys known",
        discovery_start.elapsed().as_secs_f64()
    );
    // upstream's scrapes SCAN the whole keyspace and check 10,000 keys:
    // fewer of them, with a scrape timeout upstream cannot overrun
    const HEAVY_HEADERS: &[(&str, &str)] = &[
        ("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"),
        ("X-Prometheus-Scrape-Timeout-Seconds", "60"),
    ];
    let heavy = |url| Plan {
        url,
        headers: HEAVY_HEADERS,
        sequential: (args.scrapes / 10).max(5),
        concurrency: 2,
        per_scraper: (args.per_scraper / 20).max(2),
    };
    let (a, redis_a) = with_redis_cpu(redis_pid, || harness::measure(&ours, &heavy(&u1)))?;
    let (b, redis_b) = with_redis_cpu(redis_pid, || harness::measure(&upstream, &heavy(&u2)))?;
    harness::print_table(
        "redis: --check-keys bench:* (10,000 of 1,000,000 keys)",
        &a,
        &b,
    );
    // measure() adds one warm-up scrape to the measured ones
    let per_scrape = |cpu: f64, m: &harness::Measurement| cpu / (m.scrapes + 1) as f64;
    let (ra, rb) = (per_scrape(redis_a, &a), per_scrape(redis_b, &b));
    println!(
        "| Redis CPU per scrape (redis-server utime+stime; ours includes its background discovery meanwhile) | {:.2} ms | {:.2} ms | {:.3} |",
        ra * 1e3,
        rb * 1e3,
        ra / rb
    );
    drop(upstream);
    // the discovery's own load: Redis CPU while nobody scrapes, for one
    // discovery cycle (30 s by default), against Redis idle without it
    let window = Duration::from_secs(30);
    let scans_before = scan_usec(redis.port())?;
    let (_, with_discovery) = with_redis_cpu(redis_pid, || {
        std::thread::sleep(window);
        Ok(())
    })?;
    let scans = scan_usec(redis.port())? - scans_before;
    drop(ours);
    let (_, idle) = with_redis_cpu(redis_pid, || {
        std::thread::sleep(Duration::from_secs(10));
        Ok(())
    })?;
    let idle_rate = idle / 10.0;
    let discovery_rate = (with_discovery / window.as_secs_f64() - idle_rate).max(0.0);
    println!(
        "ours' background discovery (-check-keys-discovery-cycle 30s): {:.2} ms of Redis CPU per second \
         ({:.1} ms per 15 s scrape interval, {:.2}% of one core; Redis idle: {:.2} ms/s); \
         SCAN command time (INFO commandstats): {:.2} ms per second",
        discovery_rate * 1e3,
        discovery_rate * 15e3,
        discovery_rate * 100.0,
        idle_rate * 1e3,
        scans / 1e3 / window.as_secs_f64(),
    );
    Ok(())
}

/// Polls ours until its background discovery has completed a pass;
/// the keys it knows then.
fn wait_for_discovery(url: &str) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let sample = |body: &str, name: &str| {
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    loop {
        let body = testkit::http().get(url).send()?.text()?;
        if sample(&body, "redis_exporter_key_discovery_passes_total ").is_some_and(|n| n >= 1.0) {
            return Ok(sample(&body, "redis_exporter_key_discovery_keys ").unwrap_or(0.0));
        }
        if Instant::now() > deadline {
            bail!("ours' key discovery did not finish a pass within 120 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `f`, with the CPU seconds redis-server spent meanwhile.
fn with_redis_cpu<T>(pid: u32, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, f64)> {
    let before = harness::cpu_seconds(pid)?;
    let out = f()?;
    Ok((out, harness::cpu_seconds(pid)? - before))
}

/// Microseconds Redis spent in SCAN since it started (INFO commandstats).
fn scan_usec(port: u16) -> anyhow::Result<f64> {
    let stats = cli(port, &["INFO", "commandstats"])?;
    Ok(stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_scan:"))
        .and_then(|rest| rest.split(',').find_map(|kv| kv.strip_prefix("usec=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0))
}
