//! `cargo xtask bench <exporter>`: ours and upstream side by side in one
//! run, reported as ratios. Each exporter's file starts both processes
//! (and whatever backend they need) and hands them to the harness here.
//!
//! Measured per process: CPU seconds per scrape (utime+stime from
//! /proc/PID/stat around the scrapes), peak RSS (VmHWM), scrape latency
//! p50/p99 sequentially and under concurrent scrapers, and body bytes.

mod blackbox;
mod container;
mod demo_app;
pub mod harness;
mod kafka;
mod mysql;
mod node;
mod redis;
mod scale_out;
mod web_security;

#[derive(clap::Args)]
pub struct Args {
    /// Which exporter to benchmark, or `web-security`: the wrong-password
    /// flood and idle connections, node-exporter against upstream.
    pub exporter: String,
    /// Sequential scrapes per process.
    #[arg(long, default_value_t = 200)]
    pub scrapes: usize,
    /// Concurrent scrapers in the concurrent phase.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Scrapes per concurrent scraper.
    #[arg(long, default_value_t = 50)]
    pub per_scraper: usize,
    /// node: measure ours statically linked (glibc, crt-static, as
    /// deploy/docker/build-local.sh LIBC=gnu builds it), like the static
    /// binaries the images ship and like upstream's Go binary.
    #[arg(long)]
    pub static_build: bool,
    /// scale-out: simulated target counts, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [250, 500, 1000])]
    pub targets: Vec<usize>,
    /// scale-out: series each simulated target exposes (a node_exporter
    /// exposes 500 to 1,500).
    #[arg(long, default_value_t = 500)]
    pub series: usize,
    /// scale-out: seconds measured per target count, after every target
    /// was scraped once.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Each exporter's benchmark adds its arm here.
    match args.exporter.as_str() {
        "demo-app" => demo_app::run(&args),
        "node" => node::run(&args),
        "blackbox" => blackbox::run(&args),
        "redis" => redis::run(&args),
        "mysql" => mysql::run(&args),
        "kafka" => kafka::run(&args),
        "container" => container::run(&args),
        "web-security" => web_security::run(&args),
        "scale-out" => scale_out::run(&args),
        other => anyhow::bail!("no benchmark named {other:?}"),
    }
}
