//! The shared measuring side of `cargo xtask bench`.

use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A process under test, killed on drop.
pub struct Started {
    pub child: Child,
}

impl Started {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` (output discarded unless `FERROSCOPE_BENCH_LOGS` is
/// set) and waits until `ready_url` answers 200.
pub fn start(name: &str, mut command: Command, ready_url: &str) -> anyhow::Result<Started> {
    if std::env::var_os("FERROSCOPE_BENCH_LOGS").is_none() {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {name}: {command:?}"))?;
    let mut started = Started { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _)) = get(ready_url, &[]) {
            return Ok(started);
        }
        if let Ok(Some(status)) = started.child.try_wait() {
            bail!("{name} exited during startup: {status}");
        }
        if Instant::now() > deadline {
            bail!("{name} did not answer {ready_url} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A minimal HTTP/1.0 GET (no client library cost in the numbers, no
/// keep-alive): returns status and body length.
pub fn get(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<(u16, usize)> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    std::io::Write::write_all(&mut stream, request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no header end")?;
    let status_line = String::from_utf8_lossy(&response[..head_end]);
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    Ok((status, response.len() - head_end - 4))
}

/// utime + stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rfind(')').context("odd /proc/PID/stat")?;
    let fields: Vec<&str> = stat[after + 1..].split_whitespace().collect();
    let utime: f64 = fields.get(11).context("no utime")?.parse()?;
    let stime: f64 = fields.get(12).context("no stime")?.parse()?;
    let ticks = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    Ok((utime + stime) / ticks)
}

fn status_kib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("no {field}"))?;
    Ok(line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?)
}

/// Peak resident set size (VmHWM), bytes.
pub fn peak_rss(pid: u32) -> anyhow::Result<f64> {
    Ok(status_kib(pid, "VmHWM:")? * 1024.0)
}

/// Current resident set size (VmRSS), bytes.
pub fn rss(pid: u32) -> anyhow::Result<f64> {
    Ok(status_kib(pid, "VmRSS:")? * 1024.0)
}

#[derive(Debug, Clone, Default)]
pub struct Measurement {
    pub scrapes: usize,
    pub cpu_per_scrape: f64,
    pub peak_rss: f64,
    pub p50: f64,
    pub p99: f64,
    pub concurrent_p50: f64,
    pub concurrent_p99: f64,
    pub body_bytes: f64,
    pub errors: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// How a benchmark scrapes: the URL and request headers (Accept, the
/// scrape timeout header Prometheus sends).
pub struct Plan<'a> {
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub sequential: usize,
    pub concurrency: usize,
    pub per_scraper: usize,
}

/// Headers Prometheus 2.x sends on a scrape (text format, 10 s timeout).
pub const PROMETHEUS_HEADERS: &[(&str, &str)] = &[
    ("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"),
    ("X-Prometheus-Scrape-Timeout-Seconds", "10"),
];

/// Scrapes `process` sequentially, then with concurrent scrapers; CPU per
/// scrape counts both phases.
pub fn measure(process: &Started, plan: &Plan<'_>) -> anyhow::Result<Measurement> {
    let mut measured = measure_alternating(&[(process, plan)], 1)?;
    measured.pop().context("no measurement")
}

/// What one process' rounds have gathered so far.
#[derive(Default)]
struct Samples {
    cpu: f64,
    latencies: Vec<f64>,
    concurrent: Vec<f64>,
    bytes: usize,
    sequential: usize,
    scrapes: usize,
    errors: usize,
}

/// The `round`th of `rounds` nearly equal parts of `total`.
fn share(total: usize, rounds: usize, round: usize) -> usize {
    total / rounds + usize::from(round < total % rounds)
}

/// Like [`measure`] for several processes, in `rounds` rounds that take
/// turns (A, B, A, B, ...), each round a share of every plan's sequential
/// and concurrent scrapes. On a machine shared with other work, the load
/// changes over a run; measuring one process wholly before the other
/// charged that change to one side of the ratio (two runs of the node
/// benchmark minutes apart gave CPU ratios of 0.40 and 0.56 for the same
/// code). Alternating spreads it over both.
pub fn measure_alternating(
    runs: &[(&Started, &Plan<'_>)],
    rounds: usize,
) -> anyhow::Result<Vec<Measurement>> {
    let rounds = rounds.max(1);
    // One warm-up scrape each: caches, connections, lazy statics.
    for (_, plan) in runs {
        get(plan.url, plan.headers)?;
    }
    let mut samples: Vec<Samples> = runs.iter().map(|_| Samples::default()).collect();
    for round in 0..rounds {
        for ((process, plan), samples) in runs.iter().zip(&mut samples) {
            let sequential = share(plan.sequential, rounds, round);
            let per_scraper = share(plan.per_scraper, rounds, round);
            scrape_round(process.pid(), plan, sequential, per_scraper, samples)?;
        }
    }
    runs.iter()
        .zip(samples)
        .map(|((process, _), mut s)| {
            s.latencies.sort_by(f64::total_cmp);
            s.concurrent.sort_by(f64::total_cmp);
            Ok(Measurement {
                scrapes: s.scrapes,
                cpu_per_scrape: s.cpu / s.scrapes.max(1) as f64,
                peak_rss: peak_rss(process.pid())?,
                p50: percentile(&s.latencies, 0.5),
                p99: percentile(&s.latencies, 0.99),
                concurrent_p50: percentile(&s.concurrent, 0.5),
                concurrent_p99: percentile(&s.concurrent, 0.99),
                body_bytes: s.bytes as f64 / s.sequential.max(1) as f64,
                errors: s.errors,
            })
        })
        .collect()
}

/// `sequential` scrapes, then `per_scraper` scrapes by each of the plan's
/// concurrent scrapers, with the CPU the process spent on them.
fn scrape_round(
    pid: u32,
    plan: &Plan<'_>,
    sequential: usize,
    per_scraper: usize,
    samples: &mut Samples,
) -> anyhow::Result<()> {
    let cpu_before = cpu_seconds(pid)?;
    for _ in 0..sequential {
        let started = Instant::now();
        match get(plan.url, plan.headers) {
            Ok((200, n)) => samples.bytes += n,
            _ => samples.errors += 1,
        }
        samples.latencies.push(started.elapsed().as_secs_f64());
    }
    let concurrent: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.concurrency)
            .map(|_| {
                scope.spawn(|| {
                    let mut own = Vec::with_capacity(per_scraper);
                    for _ in 0..per_scraper {
                        let started = Instant::now();
                        let ok = matches!(get(plan.url, plan.headers), Ok((200, _)));
                        own.push(if ok {
                            started.elapsed().as_secs_f64()
                        } else {
                            f64::NAN
                        });
                    }
                    own
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    samples.cpu += cpu_seconds(pid)? - cpu_before;
    for v in concurrent.into_iter().flatten() {
        if v.is_nan() {
            samples.errors += 1;
        } else {
            samples.concurrent.push(v);
        }
    }
    samples.sequential += sequential;
    samples.scrapes += sequential + plan.concurrency * per_scraper;
    Ok(())
}

/// Prints ours and upstream side by side with ours/upstream ratios.
pub fn print_table(title: &str, ours: &Measurement, upstream: &Measurement) {
    println!("\n{title}");
    println!("| measure | ours | upstream | ours/upstream |");
    println!("|---|---|---|---|");
    type Row = (&'static str, f64, f64, fn(f64) -> String);
    let rows: [Row; 7] = [
        (
            "CPU per scrape",
            ours.cpu_per_scrape,
            upstream.cpu_per_scrape,
            |v| format!("{:.3} ms", v * 1e3),
        ),
        ("peak RSS", ours.peak_rss, upstream.peak_rss, |v| {
            format!("{:.1} MiB", v / 1048576.0)
        }),
        ("latency p50", ours.p50, upstream.p50, |v| {
            format!("{:.2} ms", v * 1e3)
        }),
        ("latency p99", ours.p99, upstream.p99, |v| {
            format!("{:.2} ms", v * 1e3)
        }),
        (
            "concurrent p50",
            ours.concurrent_p50,
            upstream.concurrent_p50,
            |v| format!("{:.2} ms", v * 1e3),
        ),
        (
            "concurrent p99",
            ours.concurrent_p99,
            upstream.concurrent_p99,
            |v| format!("{:.2} ms", v * 1e3),
        ),
        ("body bytes", ours.body_bytes, upstream.body_bytes, |v| {
            format!("{v:.0}")
        }),
    ];
    for (name, a, b, fmt) in rows {
        println!("| {name} | {} | {} | {:.2} |", fmt(a), fmt(b), a / b);
    }
    println!(
        "| scrapes (errors) | {} ({}) | {} ({}) | |",
        ours.scrapes, ours.errors, upstream.scrapes, upstream.errors
    );
}
