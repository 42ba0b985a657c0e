//! exporter-kit: what every ferroscope exporter shares.
//!
//! An exporter implements collectors (or a probe handler) and lists them
//! in a [`Registration`] table; the kit parses the flags, sets up logging,
//! serves the telemetry path with content negotiation, gzip, web config
//! (TLS, basic auth, headers) and a concurrency limit, runs collectors
//! under the scrape deadline and reports their timing and success.
//!
//! ```no_run
//! # use exporter_kit::*;
//! # #[derive(clap::Args, Debug)] struct Args {}
//! # const SPEC: Spec = Spec { name: "x_exporter", binary: "x-exporter", about: "", namespace: "x",
//! #   build_info_metric: "x_exporter_build_info", default_listen_address: ":9999", default_max_requests: 0, env_prefix: None,
//! #   collector_flag: "collector", single_dash_long_flags: false };
//! # const COLLECTORS: &[Registration<Args>] = &[];
//! fn main() -> std::process::ExitCode {
//!     exporter_kit::run(SPEC, COLLECTORS, |_args, _exporter| Ok(()))
//! }
//! ```

pub mod args;
pub mod bool_flags;
pub mod build_info;
pub mod collector;
pub mod desc;
pub mod duration;
pub mod emit;
pub mod encode;
pub mod exporter;
pub mod family;
pub mod http;
pub mod log;
mod process;
pub mod procfs;
mod prom;
pub mod protowire;
pub mod reload;
pub mod runner;
pub mod single_flight;
pub mod spec;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod webconfig;

use std::process::ExitCode;

pub use args::{Cli, CommonArgs};
pub use collector::{
    AnyCollector, AsyncCollector, BuildError, CollectError, Collector, Registration, ScrapeContext,
};
pub use desc::{Desc, Kind};
pub use emit::Emitter;
pub use exporter::Exporter;
pub use family::{Bucket, Family, Histogram, LabelValues, Summary};
pub use http::probe::{ProbeError, ProbeHandler, ProbeRequest, RawResponse};
pub use http::{Handler, Server};
pub use runner::CollectorMetrics;
pub use spec::Spec;

/// A map keyed by names our own code or the kernel chose (metric names,
/// /proc field names): FxHash, several times cheaper than the standard
/// SipHash, whose resistance to chosen keys such names do not need.
/// Looking up a few hundred of them is a visible share of a scrape.
pub type NameMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// Builds the exporter from a parsed command line: the enabled collectors
/// of `registrations`, then whatever `setup` adds (a probe route, a
/// registry). Runs inside the tokio runtime, so `setup` may spawn tasks.
pub fn build<A>(
    spec: Spec,
    registrations: &[Registration<A>],
    cli: &Cli<A>,
    setup: impl FnOnce(&A, &mut Exporter) -> Result<(), BuildError>,
) -> Result<Exporter, BuildError> {
    let mut exporter = Exporter::new(spec);
    exporter.exporter_metrics(!cli.common.disable_exporter_metrics);
    for name in &cli.enabled {
        if let Some(reg) = registrations.iter().find(|r| r.name == *name) {
            let collector = (reg.build)(&cli.args)
                .map_err(|e| BuildError(format!("collector {}: {e}", reg.name)))?;
            exporter.collector(reg.name, collector);
        }
    }
    setup(&cli.args, &mut exporter)?;
    Ok(exporter)
}

/// Resolves when the process gets SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(err) => {
                    tracing::error!(error = %err, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// glibc gives threads that allocate at the same time arenas of their own
/// (up to 8 per core) and keeps what each arena once held; with an
/// exporter's handful of threads (async workers, blocking collectors) that
/// was most of its anonymous memory (7 arenas, 0.3-1 MiB each, in the node
/// benchmark). Two arenas, and temporary buffers of 32 KiB and more (a
/// mount table, a response body) mapped and unmapped rather than kept in
/// an arena, cut peak RSS by about 2 MiB there at no measurable CPU cost.
/// A setting the user made with glibc's `MALLOC_*` variables is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_malloc() {
    for (env, param, value) in [
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX, 2),
        ("MALLOC_MMAP_THRESHOLD_", libc::M_MMAP_THRESHOLD, 32 * 1024),
        ("MALLOC_TRIM_THRESHOLD_", libc::M_TRIM_THRESHOLD, 64 * 1024),
    ] {
        if std::env::var_os(env).is_none() {
            // SAFETY: mallopt takes no pointers; it only changes allocator
            // parameters, and runs before the runtime starts other threads.
            unsafe {
                libc::mallopt(param, value);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}

/// The whole life of an exporter binary: parse flags, log, build, serve
/// until SIGINT/SIGTERM. `main.rs` is this one call.
pub fn run<A>(
    spec: Spec,
    registrations: &[Registration<A>],
    setup: impl FnOnce(&A, &mut Exporter) -> Result<(), BuildError>,
) -> ExitCode
where
    A: clap::Args + clap::FromArgMatches,
{
    run_from(spec, registrations, setup, std::env::args_os())
}

/// [`run`] for an exporter with a flag that sizes its async runtime, as
/// node_exporter's `--runtime.gomaxprocs` (default 1): `async_threads`
/// reads it from the parsed flags; 0 means one thread per CPU. Collectors
/// that block run on their own threads whatever the size.
pub fn run_sized<A>(
    spec: Spec,
    registrations: &[Registration<A>],
    setup: impl FnOnce(&A, &mut Exporter) -> Result<(), BuildError>,
    async_threads: impl FnOnce(&A) -> usize,
) -> ExitCode
where
    A: clap::Args + clap::FromArgMatches,
{
    serve(
        spec,
        registrations,
        setup,
        std::env::args_os(),
        Some(async_threads),
    )
}

/// [`run`] with a given command line (the first item is the program
/// name), for exporters that translate upstream spellings first
/// (cAdvisor's `--port` into `--web.listen-address`).
pub fn run_from<A, I, T>(
    spec: Spec,
    registrations: &[Registration<A>],
    setup: impl FnOnce(&A, &mut Exporter) -> Result<(), BuildError>,
    argv: I,
) -> ExitCode
where
    A: clap::Args + clap::FromArgMatches,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    serve(spec, registrations, setup, argv, None::<fn(&A) -> usize>)
}

fn serve<A, I, T>(
    spec: Spec,
    registrations: &[Registration<A>],
    setup: impl FnOnce(&A, &mut Exporter) -> Result<(), BuildError>,
    argv: I,
    async_threads: Option<impl FnOnce(&A) -> usize>,
) -> ExitCode
where
    A: clap::Args + clap::FromArgMatches,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let cli = match args::parse_from(&spec, registrations, argv) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    log::init(&cli.common.log_level, &cli.common.log_format);
    tune_malloc();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = async_threads.map(|f| f(&cli.args))
        && threads > 0
    {
        builder.worker_threads(threads);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!(error = %err, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        tracing::info!(
            version = build_info::VERSION,
            revision = build_info::REVISION,
            "starting {}",
            spec.binary
        );
        let exporter = match build(spec, registrations, &cli, setup) {
            Ok(exporter) => exporter,
            Err(err) => {
                tracing::error!(error = %err, "cannot start");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(collectors = ?exporter.collector_names(), "enabled collectors");
        let server = match Server::bind(exporter, &cli.common).await {
            Ok(server) => server,
            Err(err) => {
                tracing::error!(error = %err, "cannot start");
                return ExitCode::FAILURE;
            }
        };
        server.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}
