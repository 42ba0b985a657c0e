//! `cargo xtask bench node`: our node-exporter (release build) against
//! Debian's prometheus-node-exporter, same host, same collectors and flags.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use super::harness;

/// The collectors both sides run: the procfs/statfs ones of this crate.
/// (Upstream's other default collectors mostly find no hardware here.)
const COLLECTORS: &[&str] = &[
    "arp",
    "conntrack",
    "cpu",
    "diskstats",
    "entropy",
    "filefd",
    "filesystem",
    "loadavg",
    "meminfo",
    "netdev",
    "netstat",
    "os",
    "pressure",
    "schedstat",
    "sockstat",
    "softnet",
    "stat",
    "textfile",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
];

/// Rounds in which ours and upstream take turns.
const ROUNDS: usize = 4;

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn command(binary: &PathBuf, port: u16, textfile_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .arg(format!(
            "--collector.textfile.directory={}",
            textfile_dir.display()
        ))
        // Debian patches this default; set it on both sides.
        .arg("--collector.netdev.device-exclude=^lo$")
        .args(COLLECTORS.iter().map(|c| format!("--collector.{c}")));
    cmd
}

/// Builds our node-exporter in release mode, dynamically linked (what
/// `cargo build --release` gives) or static, and returns its path.
pub(super) fn build_ours(static_build: bool) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--release", "-p", "node-exporter"]);
    let mut dir = target_dir();
    if static_build {
        let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        flags.push_str(" -C target-feature=+crt-static");
        // With an explicit --target the flags reach only the target's
        // crates, not build scripts and proc macros.
        build.args(["--target", &target]).env("RUSTFLAGS", flags);
        dir = dir.join(target);
    }
    let status = build.status().context("building node-exporter")?;
    if !status.success() {
        bail!("building node-exporter failed: {build:?}");
    }
    Ok(dir.join("release/node-exporter"))
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let upstream = PathBuf::from("/usr/bin/prometheus-node-exporter");
    if !upstream.is_file() {
        bail!(
            "{} missing: apt-get install prometheus-node-exporter",
            upstream.display()
        );
    }
    let ours = build_ours(args.static_build)?;

    let textfile_dir =
        std::env::temp_dir().join(format!("ferroscope-bench-node-{}", std::process::id()));
    std::fs::create_dir_all(&textfile_dir)?;
    std::fs::write(
        textfile_dir.join("role.prom"),
        "# HELP machine_role Role of the machine.\n# TYPE machine_role gauge\nmachine_role{role=\"bench\"} 1\n",
    )?;

    // Both run side by side and are measured in alternating rounds, so
    // that a change in the machine's load during the run does not land on
    // one side of the ratios only.
    let mut started = Vec::new();
    let mut urls = Vec::new();
    for (name, binary) in [
        ("node-exporter", &ours),
        ("prometheus-node-exporter", &upstream),
    ] {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}/metrics");
        started.push(harness::start(
            name,
            command(binary, port, &textfile_dir),
            &url,
        )?);
        urls.push(url);
    }
    let plans: Vec<harness::Plan<'_>> = urls
        .iter()
        .map(|url| harness::Plan {
            url,
            headers: harness::PROMETHEUS_HEADERS,
            sequential: args.scrapes,
            concurrency: args.concurrency,
            per_scraper: args.per_scraper,
        })
        .collect();
    let results = harness::measure_alternating(
        &[(&started[0], &plans[0]), (&started[1], &plans[1])],
        ROUNDS,
    )?;
    for (name, m) in ["node-exporter", "prometheus-node-exporter"]
        .iter()
        .zip(&results)
    {
        if m.errors > 0 {
            eprintln!("{name}: {} failed scrapes", m.errors);
        }
    }
    drop(started);
    let _ = std::fs::remove_dir_all(&textfile_dir);
    harness::print_table(
        &format!(
            "node: ours{} vs Debian's prometheus-node-exporter ({} sequential + {}x{} concurrent scrapes in {ROUNDS} alternating rounds, {} collectors)",
            if args.static_build { " (static)" } else { "" },
            args.scrapes,
            args.concurrency,
            args.per_scraper,
            COLLECTORS.len()
        ),
        &results[0],
        &results[1],
    );
    Ok(())
}
