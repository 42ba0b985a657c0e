//! `cargo xtask bench blackbox`: /probe throughput and CPU per probe at 50
//! concurrent probes of a local HTTP server, ours vs Debian's
//! prometheus-blackbox-exporter, on the same blackbox.yml.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use super::harness;

const CONCURRENCY: usize = 50;

/// A local HTTP/1.1 target: 200 with a small body, one thread per
/// connection (not measured; only the exporters' CPU is).
fn target_server() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(read_half) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(read_half);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let mut s = stream;
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nhello, probe\n",
                );
            });
        }
    });
    Ok(port)
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string())
}

/// Probes per second and CPU seconds per probe with `CONCURRENCY` probers.
fn throughput(
    process: &harness::Started,
    url: &str,
    per_scraper: usize,
) -> anyhow::Result<(f64, f64, usize)> {
    let pid = process.pid();
    let cpu_before = harness::cpu_seconds(pid)?;
    let started = Instant::now();
    let errors: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                scope.spawn(|| {
                    (0..per_scraper)
                        .filter(|_| {
                            !matches!(harness::get(url, harness::PROMETHEUS_HEADERS), Ok((200, _)))
                        })
                        .count()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or(per_scraper))
            .sum()
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu = harness::cpu_seconds(pid)? - cpu_before;
    let probes = CONCURRENCY * per_scraper;
    Ok((probes as f64 / wall, cpu / probes as f64, errors))
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "blackbox-exporter"])
        .status()
        .context("cargo build")?;
    anyhow::ensure!(status.success(), "building blackbox-exporter failed");
    let ours_bin = format!("{}/release/blackbox-exporter", target_dir());
    let upstream_bin = "/usr/bin/prometheus-blackbox-exporter";
    anyhow::ensure!(
        std::path::Path::new(upstream_bin).exists(),
        "{upstream_bin} missing: apt-get install prometheus-blackbox-exporter"
    );
    let port = target_server()?;
    let dir =
        std::env::temp_dir().join(format!("ferroscope-bench-blackbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("blackbox.yml");
    std::fs::write(
        &config,
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n",
    )?;
    let ours_port = free_port()?;
    let up_port = free_port()?;
    let mut ours_cmd = Command::new(&ours_bin);
    ours_cmd
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{ours_port}"))
        .arg("--web.max-requests=0")
        .arg("--log.level=error");
    let mut up_cmd = Command::new(upstream_bin);
    up_cmd
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{up_port}"))
        .arg("--log.level=error");
    let ours = harness::start(
        "ours",
        ours_cmd,
        &format!("http://127.0.0.1:{ours_port}/-/healthy"),
    )?;
    let upstream = harness::start(
        "upstream",
        up_cmd,
        &format!("http://127.0.0.1:{up_port}/-/healthy"),
    )?;
    let probe = |p: u16| {
        format!("http://127.0.0.1:{p}/probe?target=http://127.0.0.1:{port}/&module=http_2xx")
    };
    let (ours_url, up_url) = (probe(ours_port), probe(up_port));

    let plan = |url| harness::Plan {
        url,
        headers: harness::PROMETHEUS_HEADERS,
        sequential: args.scrapes,
        concurrency: CONCURRENCY,
        per_scraper: args.per_scraper,
    };
    let m_ours = harness::measure(&ours, &plan(&ours_url))?;
    let m_up = harness::measure(&upstream, &plan(&up_url))?;
    harness::print_table(
        "blackbox: /probe of a local HTTP server (http_2xx)",
        &m_ours,
        &m_up,
    );

    let (ours_rate, ours_cpu, ours_err) = throughput(&ours, &ours_url, args.per_scraper)?;
    let (up_rate, up_cpu, up_err) = throughput(&upstream, &up_url, args.per_scraper)?;
    println!(
        "\nblackbox: {CONCURRENCY} concurrent /probe requests, {} each",
        args.per_scraper
    );
    println!("| measure | ours | upstream | ours/upstream |");
    println!("|---|---|---|---|");
    println!(
        "| probes/s | {ours_rate:.0} | {up_rate:.0} | {:.2} |",
        ours_rate / up_rate
    );
    println!(
        "| CPU per probe | {:.3} ms | {:.3} ms | {:.2} |",
        ours_cpu * 1e3,
        up_cpu * 1e3,
        ours_cpu / up_cpu
    );
    println!(
        "| probes per CPU-second | {:.0} | {:.0} | {:.2} |",
        1.0 / ours_cpu,
        1.0 / up_cpu,
        up_cpu / ours_cpu
    );
    println!("| errors | {ours_err} | {up_err} | |");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
