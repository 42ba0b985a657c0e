//! `cargo xtask bench demo-app`: what the RED instrumentation costs, the
//! issue's budget being under 5% of throughput. Two measures of the
//! release binary, instrumentation on vs off (`--app.disable-instrumentation`,
//! which skips exactly the metrics and the clock reads they need):
//!
//! 1. Throughput: wrk against `/`, a fresh process per run, rounds of one
//!    run each way back to back with the order alternating, so that noise
//!    from other work on the machine hits both alike. Reported per round,
//!    as medians with their spread, and as the cost per round pair.
//!    Also the app's CPU time per request, which depends much less than
//!    throughput on what else runs on the machine.
//!    `DEMO_APP_BENCH_ROUNDS` (default 5) sets the rounds (0: skip wrk);
//!    `DEMO_APP_BENCH_PIN=1` pins the app to CPU 0 and wrk to CPU 1
//!    (taskset) so they do not fight over a core.
//! 2. Instructions per request: the app under `valgrind --tool=callgrind`
//!    (one tokio worker thread, for repeatable counts) serving a fixed
//!    number of keep-alive `GET /` from one client; the
//!    difference between two request counts divided by the difference in
//!    requests is the per-request cost without start-up. Deterministic,
//!    so the ratio holds when a shared machine makes wrk noisy. It
//!    counts user-space instructions only (not the kernel's socket work,
//!    nor cache-line contention between worker threads). Skipped with a
//!    note when valgrind is not installed (Debian package valgrind).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::harness;

const DEFAULT_ROUNDS: usize = 5;
const WRK_SECONDS: u64 = 10;
/// Request counts of the two callgrind runs.
const CALLGRIND_REQUESTS: (usize, usize) = (5_000, 25_000);

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

/// `demo-app` on a free port (optionally under a wrapper such as taskset
/// or valgrind): the command and its base URL.
fn app_command(
    wrapper: &[String],
    bin: &Path,
    instrumented: bool,
) -> anyhow::Result<(Command, String)> {
    let port = free_port()?;
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn");
    if !instrumented {
        cmd.arg("--app.disable-instrumentation");
    }
    Ok((cmd, format!("127.0.0.1:{port}")))
}

fn pinned() -> bool {
    std::env::var("DEMO_APP_BENCH_PIN").is_ok_and(|v| v == "1")
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
struct Round {
    /// Requests per second.
    rps: f64,
    /// The app's CPU time (user + system) per request, microseconds:
    /// unlike throughput, it does not depend on how much CPU other work
    /// on the machine leaves to the app.
    cpu_us: f64,
}

/// One wrk run against a fresh process.
fn round(bin: &Path, instrumented: bool) -> anyhow::Result<Round> {
    let taskset = |cpu: &str| -> Vec<String> {
        if pinned() {
            vec!["taskset".into(), "-c".into(), cpu.into()]
        } else {
            Vec::new()
        }
    };
    let (cmd, addr) = app_command(&taskset("0"), bin, instrumented)?;
    let url = format!("http://{addr}/");
    let app = harness::start("demo-app", cmd, &format!("{url}healthz"))?;
    let wrk = |d: u64| {
        let wrapper = taskset("1");
        let mut c = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg("wrk");
                c
            }
            None => Command::new("wrk"),
        };
        c.args(["-t2", "-c32", &format!("-d{d}s"), &url])
            .output()
            .context("running wrk (Debian package wrk)")
    };
    wrk(2)?; // warm-up
    let cpu_before = harness::cpu_seconds(app.pid())?;
    let out = wrk(WRK_SECONDS)?;
    let cpu = harness::cpu_seconds(app.pid())? - cpu_before;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .with_context(|| format!("no Requests/sec in wrk output:\n{text}"))?;
    let requests = text
        .lines()
        .find_map(|l| l.split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse::<f64>().ok())
        .with_context(|| format!("no request count in wrk output:\n{text}"))?;
    if text.contains("Non-2xx") {
        bail!("wrk saw errors:\n{text}");
    }
    Ok(Round {
        rps,
        cpu_us: cpu / requests * 1e6,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn spread(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// Where a complete HTTP/1.1 response ends in `buf`, if it is all there.
fn response_end(buf: &[u8]) -> anyhow::Result<Option<usize>> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("response head is not UTF-8")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("unexpected response: {head}");
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if k.trim().eq_ignore_ascii_case("content-length") {
                v.trim().parse::<usize>().ok()
            } else {
                None
            }
        })
        .context("response without Content-Length")?;
    let end = head_end + 4 + length;
    Ok((buf.len() >= end).then_some(end))
}

/// `n` sequential `GET /` on one keep-alive connection.
fn keep_alive_gets(addr: &str, n: usize) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.set_nodelay(true)?;
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    for _ in 0..n {
        stream.write_all(request.as_bytes())?;
        loop {
            if let Some(end) = response_end(&buf)? {
                buf.drain(..end);
                break;
            }
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                bail!("connection closed mid-response");
            }
            buf.extend_from_slice(&chunk[..read]);
        }
    }
    Ok(())
}

/// Instructions the app executed (callgrind's total Ir) serving `n`
/// requests, start-up and shutdown included.
fn callgrind_total(bin: &Path, instrumented: bool, n: usize) -> anyhow::Result<u64> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("callgrind.out");
    let wrapper = vec![
        "valgrind".to_string(),
        "--tool=callgrind".to_string(),
        format!("--callgrind-out-file={}", out.display()),
    ];
    let (mut cmd, addr) = app_command(&wrapper, bin, instrumented)?;
    // One worker thread: with more, how often workers park and steal
    // depends on timing, which makes the count vary from run to run.
    cmd.env("TOKIO_WORKER_THREADS", "1");
    let mut app = harness::start(
        "demo-app under callgrind",
        cmd,
        &format!("http://{addr}/healthz"),
    )?;
    keep_alive_gets(&addr, n)?;
    // SIGTERM: the app shuts down cleanly and callgrind writes its file
    // (SIGKILL from the guard's drop would lose it).
    let status = Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("kill -TERM {} failed", app.pid());
    }
    app.child.wait()?;
    let text =
        std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .with_context(|| format!("no totals line in {}", out.display()))
}

fn instructions_per_request(bin: &Path, instrumented: bool) -> anyhow::Result<f64> {
    let (n1, n2) = CALLGRIND_REQUESTS;
    let small = callgrind_total(bin, instrumented, n1)?;
    let large = callgrind_total(bin, instrumented, n2)?;
    Ok((large as f64 - small as f64) / (n2 - n1) as f64)
}

/// One measure's table rows and its cost line: medians, spread, and the
/// cost per back-to-back round pair.
fn report(what: &str, decimals: usize, on: &[f64], off: &[f64], cost: impl Fn(f64, f64) -> f64) {
    let (m_on, m_off) = (median(on.to_vec()), median(off.to_vec()));
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.decimals$}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("| instrumentation | {what} per round | median | min-max |");
    println!("|---|---|---|---|");
    for (name, v, m) in [("on ", on, m_on), ("off", off, m_off)] {
        let (lo, hi) = spread(v);
        println!(
            "| {name} | {} | {m:.decimals$} | {lo:.decimals$}-{hi:.decimals$} |",
            fmt(v)
        );
    }
    let pair_costs: Vec<f64> = on.iter().zip(off).map(|(a, b)| cost(*a, *b)).collect();
    let pairs = pair_costs
        .iter()
        .map(|c| format!("{c:.1}%"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "instrumentation cost by {what}: {:.1}% (medians); per round pair: {pairs} (median {:.1}%); budget: under 5%",
        cost(m_on, m_off),
        median(pair_costs.clone())
    );
}

fn valgrind_installed() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn run(_args: &super::Args) -> anyhow::Result<()> {
    let bin = binary()?;
    let rounds = std::env::var("DEMO_APP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    if rounds > 0 {
        wrk_rounds(&bin, rounds)?;
    }
    callgrind(&bin)
}

fn wrk_rounds(bin: &Path, rounds: usize) -> anyhow::Result<()> {
    let mut on = Vec::new();
    let mut off = Vec::new();
    for i in 0..rounds {
        // Alternate which goes first.
        if i % 2 == 0 {
            on.push(round(bin, true)?);
            off.push(round(bin, false)?);
        } else {
            off.push(round(bin, false)?);
            on.push(round(bin, true)?);
        }
    }
    let pin = if pinned() {
        ", app on CPU 0, wrk on CPU 1"
    } else {
        ""
    };
    println!(
        "demo-app: wrk -t2 -c32 -d{WRK_SECONDS}s http://127.0.0.1:PORT/ ({rounds} rounds each, alternating{pin})"
    );
    let rps = |v: &[Round]| v.iter().map(|r| r.rps).collect::<Vec<_>>();
    let cpu = |v: &[Round]| v.iter().map(|r| r.cpu_us).collect::<Vec<_>>();
    // Cost of "on" relative to "off": for throughput, what it loses; for
    // CPU per request, what it adds (as a share of the instrumented
    // request, so both read as "share of the work that is metrics").
    report("req/s", 0, &rps(&on), &rps(&off), |on, off| {
        (off - on) / off * 100.0
    });
    report("app CPU us/request", 2, &cpu(&on), &cpu(&off), |on, off| {
        (on - off) / on * 100.0
    });
    Ok(())
}

fn callgrind(bin: &Path) -> anyhow::Result<()> {
    if !valgrind_installed() {
        println!(
            "instructions per request: skipped (valgrind not installed; Debian package valgrind)"
        );
        return Ok(());
    }
    let (n1, n2) = CALLGRIND_REQUESTS;
    let ir_on = instructions_per_request(bin, true)?;
    let ir_off = instructions_per_request(bin, false)?;
    println!();
    println!(
        "demo-app: valgrind --tool=callgrind, keep-alive GET / x {n1} and x {n2}, instructions per request = difference / {}",
        n2 - n1
    );
    println!("| instrumentation | instructions/request |");
    println!("|---|---|");
    println!("| on  | {ir_on:.0} |");
    println!("| off | {ir_off:.0} |");
    println!(
        "instrumentation cost: {:.0} instructions/request, {:.1}% of the instrumented request's user-space instructions",
        ir_on - ir_off,
        (ir_on - ir_off) / ir_on * 100.0
    );
    Ok(())
}
