//! `cargo xtask bench demo-app`: what the RED instrumentation costs.
//! wrk against `/` of the release binary with instrumentation on and off
//! (`--app.disable-instrumentation`), alternating rounds so that noise
//! from other work on the machine hits both alike; the budget is
//! under 5% of throughput.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use super::harness;

const ROUNDS: usize = 3;

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn binary() -> anyhow::Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "demo-app"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building demo-app failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::ci::workspace_root().join("target"));
    Ok(target.join("release/demo-app"))
}

/// One wrk run against a fresh process: requests per second.
fn round(bin: &PathBuf, instrumented: bool, seconds: u64) -> anyhow::Result<f64> {
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn");
    if !instrumented {
        cmd.arg("--app.disable-instrumentation");
    }
    let url = format!("http://127.0.0.1:{port}/");
    let _app = harness::start("demo-app", cmd, &format!("{url}healthz"))?;
    let wrk = |d: u64| {
        Command::new("wrk")
            .args(["-t2", "-c32", &format!("-d{d}s"), &url])
            .output()
            .context("running wrk (Debian package wrk)")
    };
    wrk(2)?; // warm-up
    let out = wrk(seconds)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .with_context(|| format!("no Requests/sec in wrk output:\n{text}"))?;
    if text.contains("Non-2xx") {
        bail!("wrk saw errors:\n{text}");
    }
    Ok(rps)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(_args: &super::Args) -> anyhow::Result<()> {
    let bin = binary()?;
    let mut on = Vec::new();
    let mut off = Vec::new();
    for i in 0..ROUNDS {
        // Alternate which goes first.
        if i % 2 == 0 {
            on.push(round(&bin, true, 10)?);
            off.push(round(&bin, false, 10)?);
        } else {
            off.push(round(&bin, false, 10)?);
            on.push(round(&bin, true, 10)?);
        }
    }
    let (m_on, m_off) = (median(on.clone()), median(off.clone()));
    let cost = (m_off - m_on) / m_off * 100.0;
    println!(
        "demo-app: wrk -t2 -c32 -d10s http://127.0.0.1:PORT/ ({ROUNDS} rounds each, alternating)"
    );
    println!("| instrumentation | req/s per round | median req/s |");
    println!("|---|---|---|");
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("| on  | {} | {m_on:.0} |", fmt(&on));
    println!("| off | {} | {m_off:.0} |", fmt(&off));
    println!("instrumentation cost: {cost:.1}% of throughput (budget: under 5%)");
    Ok(())
}
