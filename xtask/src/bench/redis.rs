//! `cargo xtask bench redis`: redis-exporter vs Debian's
//! prometheus-redis-exporter on one redis-server holding 1,000,000 keys:
//! a plain INFO-only scrape, and a `--check-keys` scrape whose pattern
//! matches 10,000 of them (found with SCAN over the whole keyspace).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

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
    // each of these scrapes SCANs the whole keyspace and checks 10,000
    // keys: fewer of them, with a scrape timeout upstream cannot overrun
    const HEAVY_HEADERS: &[(&str, &str)] = &[
        ("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"),
        ("X-Prometheus-Scrape-Timeout-Seconds", "60"),
    ];
    let heavy = |url| Plan {
        url,
        headers: HEAVY_HEADERS,
        sequential: (args.scrapes / 20).max(5),
        concurrency: 2,
        per_scraper: (args.per_scraper / 20).max(2),
    };
    let a = harness::measure(&ours, &heavy(&u1))?;
    let b = harness::measure(&upstream, &heavy(&u2))?;
    harness::print_table(
        "redis: --check-keys bench:* (10,000 of 1,000,000 keys)",
        &a,
        &b,
    );
    Ok(())
}
