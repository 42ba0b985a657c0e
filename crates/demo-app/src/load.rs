//! `demo-app load --target URL --rps N --duration D`: a steady stream of
//! realistic requests (reads, writes, checkouts, some 404s and bad JSON),
//! so dashboards and alerts have traffic without extra tools.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "demo-app load",
    about = "Send a steady request mix to a demo-app"
)]
pub struct LoadArgs {
    /// Base URL of the demo-app (`http://127.0.0.1:5000`).
    #[arg(long, env = "DEMO_APP_LOAD_TARGET")]
    pub target: String,
    /// Requests per second.
    #[arg(long, default_value_t = 10.0, env = "DEMO_APP_LOAD_RPS")]
    pub rps: f64,
    /// How long to run (`30s`, `5m`); 0 runs until stopped.
    #[arg(long, default_value = "60s", value_parser = crate::duration::parse, env = "DEMO_APP_LOAD_DURATION")]
    pub duration: Duration,
    /// Requests allowed in flight at once; beyond it ticks are skipped
    /// (and counted) rather than queued.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("--rps must be a positive number")]
    Rps,
    #[error("--target must be an http:// or https:// URL")]
    Target,
    #[error("building the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub sent: u64,
    pub ok: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub transport_errors: u64,
    pub skipped: u64,
}

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    ok: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    skipped: AtomicU64,
}

/// The request for tick `n` of the mix: mostly reads, some writes and
/// checkouts, one in twenty a deliberate 404 or malformed body.
fn request(client: &reqwest::Client, base: &str, n: u64) -> reqwest::RequestBuilder {
    match n % 20 {
        0..=7 => client.get(format!("{base}/api/items")),
        8..=10 => client.get(format!("{base}/")),
        11 | 12 => client.get(format!("{base}/api/items/{}", 1 + n % 3)),
        13 | 14 => client
            .post(format!("{base}/api/items"))
            .header("content-type", "application/json")
            .body(format!(r#"{{"name":"load item {n}","price":{}}}"#, n % 50)),
        15..=17 => client
            .post(format!("{base}/api/checkout"))
            .header("content-type", "application/json")
            .body(format!(r#"{{"item_ids":[1,{}]}}"#, 2 + n % 2)),
        18 => client.get(format!("{base}/no/such/page/{n}")),
        _ => client
            .post(format!("{base}/api/items"))
            .header("content-type", "application/json")
            .body("{not json"),
    }
}

pub async fn run(args: &LoadArgs) -> Result<LoadReport, LoadError> {
    if !(args.rps.is_finite() && args.rps > 0.0) {
        return Err(LoadError::Rps);
    }
    if !(args.target.starts_with("http://") || args.target.starts_with("https://")) {
        return Err(LoadError::Target);
    }
    let base = Arc::new(args.target.trim_end_matches('/').to_string());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let counts = Arc::new(Counts::default());
    let permits = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rps));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let end = (!args.duration.is_zero()).then(|| Instant::now() + args.duration);
    let mut n: u64 = 0;
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        ticker.tick().await;
        if end.is_some_and(|end| Instant::now() >= end) {
            break;
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            counts.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let req = request(&client, &base, n);
        n += 1;
        let counts = counts.clone();
        tasks.spawn(async move {
            let _permit = permit;
            counts.sent.fetch_add(1, Ordering::Relaxed);
            let counter = match req.send().await {
                Ok(resp) if resp.status().is_server_error() => &counts.server_errors,
                Ok(resp) if resp.status().is_client_error() => &counts.client_errors,
                Ok(_) => &counts.ok,
                Err(err) => {
                    tracing::debug!(error = %err, "request failed");
                    &counts.transport_errors
                }
            };
            counter.fetch_add(1, Ordering::Relaxed);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Ok(LoadReport {
        sent: get(&counts.sent),
        ok: get(&counts.ok),
        client_errors: get(&counts.client_errors),
        server_errors: get(&counts.server_errors),
        transport_errors: get(&counts.transport_errors),
        skipped: get(&counts.skipped),
    })
}

/// `demo-app load ...` (argv without the program name).
pub fn main(argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match LoadArgs::try_parse_from(argv) {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "sending {} requests/s to {} for {:?}",
        args.rps, args.target, args.duration
    );
    let result = runtime.block_on(async {
        tokio::select! {
            r = run(&args) => Some(r),
            _ = exporter_kit::shutdown_signal() => None,
        }
    });
    match result {
        Some(Ok(report)) => {
            println!(
                "sent {} ok {} 4xx {} 5xx {} transport_errors {} skipped {}",
                report.sent,
                report.ok,
                report.client_errors,
                report.server_errors,
                report.transport_errors,
                report.skipped
            );
            ExitCode::SUCCESS
        }
        Some(Err(err)) => {
            eprintln!("demo-app load: {err}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}
