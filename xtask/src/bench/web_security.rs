//! `cargo xtask bench web-security`: what an attacker can do to the
//! serving side every exporter shares, ours (node-exporter, release)
//! against Debian's prometheus-node-exporter with the same web config.
//!
//! - Wrong-password flood: 200 connections each send a request with a
//!   distinct wrong password (each costs a bcrypt); then an authorized
//!   scraper, whose credentials are already cached, scrapes 5 times.
//!   Reported: its latency alone and under the flood.
//! - Idle connections: 300 connections that send nothing. Reported: file
//!   descriptors the process holds right after they open and once ours'
//!   `--web.read-header-timeout` (30 s by default) has passed.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;

use super::harness;

/// upstream's dummy hash: "fakepassword" at bcrypt cost 10.
const HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
const FLOOD: usize = 200;
const IDLE: usize = 300;
/// Ours' default header timeout plus slack.
const IDLE_WAIT: Duration = Duration::from_secs(35);

fn basic(password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("prometheus:{password}"));
    format!("Basic {token}")
}

fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

struct Side {
    name: &'static str,
    process: harness::Started,
    port: u16,
}

impl Side {
    fn start(name: &'static str, binary: &Path, web_config: &Path) -> anyhow::Result<Side> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--web.config.file={}", web_config.display()))
            .args(["--collector.disable-defaults", "--collector.loadavg"]);
        // Ready is any answer: without credentials it is 401.
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let process = harness::Started { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while harness::get(&format!("http://127.0.0.1:{port}/-/healthy"), &[]).is_err() {
            if Instant::now() > deadline {
                bail!("{name} did not answer within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Side {
            name,
            process,
            port,
        })
    }

    /// One authorized scrape: its latency.
    fn scrape(&self) -> anyhow::Result<Duration> {
        let auth = basic("fakepassword");
        let started = Instant::now();
        let (status, _) = harness::get(
            &format!("http://127.0.0.1:{}/metrics", self.port),
            &[("Authorization", &auth)],
        )?;
        if status != 200 {
            bail!("{}: authorized scrape answered {status}", self.name);
        }
        Ok(started.elapsed())
    }

    fn flood(&self) -> anyhow::Result<Vec<TcpStream>> {
        (0..FLOOD)
            .map(|i| {
                let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
                let auth = basic(&format!("wrong-{i}"));
                s.write_all(
                    format!("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n")
                        .as_bytes(),
                )?;
                Ok(s)
            })
            .collect()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let upstream = Path::new("/usr/bin/prometheus-node-exporter");
    if !upstream.is_file() {
        bail!(
            "{} missing: apt-get install prometheus-node-exporter",
            upstream.display()
        );
    }
    let ours = super::node::build_ours(args.static_build)?;
    let dir = tempfile::tempdir()?;
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        format!("basic_auth_users:\n  prometheus: {HASH}\n"),
    )?;

    println!(
        "wrong-password flood: {FLOOD} distinct wrong passwords, then 5 authorized scrapes (credentials cached)"
    );
    println!(
        "{:<26} {:>14} {:>20} {:>20}",
        "", "alone (median)", "under flood (median)", "under flood (max)"
    );
    for (name, binary) in [
        ("node-exporter (ours)", ours.as_path()),
        ("prometheus-node-exporter", upstream),
    ] {
        let side = Side::start(name, binary, &web_config)?;
        side.scrape()?; // fills the cache
        let alone = median((0..5).map(|_| side.scrape()).collect::<Result<_, _>>()?);
        let flood = side.flood()?;
        let under: Vec<Duration> = (0..5).map(|_| side.scrape()).collect::<Result<_, _>>()?;
        let worst = under.iter().max().copied().unwrap_or_default();
        println!(
            "{name:<26} {:>14} {:>20} {:>20}",
            ms(alone),
            ms(median(under)),
            ms(worst)
        );
        drop(flood);
    }

    println!();
    println!(
        "idle connections: {IDLE} that send nothing; fds held by the process (both measured at the same moments)"
    );
    let sides = [
        Side::start("node-exporter (ours)", &ours, &web_config)?,
        Side::start("prometheus-node-exporter", upstream, &web_config)?,
    ];
    let before: Vec<usize> = sides
        .iter()
        .map(|s| open_fds(s.process.pid()))
        .collect::<Result<_, _>>()?;
    let mut idle = Vec::new();
    for side in &sides {
        for _ in 0..IDLE {
            idle.push(TcpStream::connect(("127.0.0.1", side.port))?);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let opened: Vec<usize> = sides
        .iter()
        .map(|s| open_fds(s.process.pid()))
        .collect::<Result<_, _>>()?;
    std::thread::sleep(IDLE_WAIT);
    let after: Vec<usize> = sides
        .iter()
        .map(|s| open_fds(s.process.pid()))
        .collect::<Result<_, _>>()?;
    println!(
        "{:<26} {:>8} {:>16} {:>16}",
        "",
        "before",
        "conns open",
        format!("after {} s", IDLE_WAIT.as_secs())
    );
    for (i, side) in sides.iter().enumerate() {
        println!(
            "{:<26} {:>8} {:>16} {:>16}",
            side.name, before[i], opened[i], after[i]
        );
    }
    drop(idle);
    Ok(())
}
