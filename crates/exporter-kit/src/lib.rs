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
//! #   collector_flag: "collector", single_dash_long_flags: false,
//! #   promhttp: exporter_kit::spec::PromHttp::None };
//! # const COLLECTORS: &[Registration<Args>] = &[];
//! fn main() -> std::process::ExitCode {
//!     Exporter::builder(SPEC)
//!         .collectors(COLLECTORS)
//!         .setup(|_args, _exporter, _ctx| Ok(()))
//!         .run()
//! }
//! ```

pub mod args;
pub mod bool_flags;
pub mod build_info;
pub mod builder;
pub mod collector;
pub mod context;
pub mod desc;
mod docs;
pub mod duration;
pub mod emit;
pub mod encode;
pub mod exporter;
pub mod family;
pub mod http;
pub mod log;
pub mod net;
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
pub mod tls_client;
pub mod webconfig;

pub use args::{Cli, CommonArgs};
pub use builder::ExporterBuilder;
pub use collector::{
    AnyCollector, AsyncCollector, BuildError, CollectError, Collector, Registration, ScrapeContext,
};
pub use context::{BuildContext, Extensions};
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
/// The collectors and `setup` share one [`BuildContext`].
pub fn build<A>(
    spec: Spec,
    registrations: &[Registration<A>],
    cli: &Cli<A>,
    setup: impl FnOnce(&A, &mut Exporter, &BuildContext) -> Result<(), BuildError>,
) -> Result<Exporter, BuildError> {
    let ctx = BuildContext::new();
    let mut exporter = Exporter::new(spec);
    exporter.exporter_metrics(!cli.common.disable_exporter_metrics);
    for name in &cli.enabled {
        if let Some(reg) = registrations.iter().find(|r| r.name == *name) {
            let collector = reg
                .build(&cli.args, &ctx)
                .map_err(|e| BuildError(format!("collector {}: {e}", reg.name)))?;
            exporter.collector(reg.name, collector);
        }
    }
    setup(&cli.args, &mut exporter, &ctx)?;
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
/// benchmark). One arena, and temporary buffers of 32 KiB and more (a
/// mount table, a response body) mapped and unmapped rather than kept in
/// an arena, cut peak RSS by about 2 MiB there at no measurable CPU cost.
/// With two arenas the second still held 0.4-0.5 MiB after 8 concurrent
/// scrapes (redis-exporter 9.1 -> 8.7 MiB peak with one); the few threads
/// that allocate at once contend little for the one lock.
/// A setting the user made with glibc's `MALLOC_*` variables is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn tune_malloc() {
    for (env, param, value) in [
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX, 1),
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
pub(crate) fn tune_malloc() {}

/// The C library's `pow`, from the pure-Rust `libm` crate. tokio's
/// multi-threaded scheduler (its poll-time average) is the only caller in
/// an exporter, and that one function made glibc's libm.so a dependency of
/// every binary: the dynamic loader maps it and runs its IFUNC resolvers
/// at start-up, about 0.5 MiB of RSS (a C program calling `pow` has 0.6 MiB
/// more than one that does not). Defined here, the linker (`--as-needed`)
/// leaves libm.so out; a C library linked in (librdkafka) that needs other
/// libm functions still gets libm, and this `pow`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod pow_tests {
    // Values C's pow defines (C11 F.10.4.4) and exact powers, written by
    // hand: the replacement must be the C function, not an approximation.
    #[test]
    fn pow_matches_the_c_definition() {
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(10.0, -2.0), 0.01);
        assert_eq!(super::pow(9.0, 0.5), 3.0);
        assert_eq!(super::pow(-2.0, 3.0), -8.0);
        assert_eq!(super::pow(f64::NAN, 0.0), 1.0);
        assert_eq!(super::pow(1.0, f64::NAN), 1.0);
        assert_eq!(super::pow(0.0, -1.0), f64::INFINITY);
        assert!(super::pow(-8.0, 1.0 / 3.0).is_nan());
        // tokio's use: 1 - (1 - alpha)^polls
        assert_eq!(super::pow(0.5, 3.0), 0.125);
    }
}
