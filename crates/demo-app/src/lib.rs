//! demo-app: the project's example of an instrumented HTTP service.
//!
//! A small JSON API (`/`, `/api/items`, `/api/items/{id}`, `/api/checkout`,
//! `/healthz`) served through exporter-kit, so `/metrics` gets web config,
//! content negotiation and gzip like every exporter. Its metrics follow the
//! RED method with bounded label values (see [`routes`] and [`metrics`]),
//! plus business metrics from checkout. Fault knobs (added latency, error
//! rate) are set by flag and at runtime through `/admin/faults`, and
//! `demo-app load` generates traffic.

pub mod app;
pub mod duration;
pub mod faults;
pub mod load;
pub mod metrics;
pub mod routes;

use std::time::Duration;

use exporter_kit::{BuildContext, BuildError, CollectorMetrics, Exporter, Registration, Spec};

pub const SPEC: Spec = Spec {
    name: "demo-app",
    binary: "demo-app",
    about: "An instrumented sample HTTP API (ferroscope's demo application)",
    namespace: "app",
    build_info_metric: "app_build_info",
    default_listen_address: ":5000",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: Some("DEMO_APP"),
    collector_flag: "collector",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::None,
};

/// The app has no collectors: its metrics live in its own registry.
pub const COLLECTORS: &[Registration<Args>] = &[];

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Latency added to every API request (`250ms`, `1s`); changeable at
    /// runtime with PUT /admin/faults.
    #[arg(long = "fault.latency", value_name = "DURATION", default_value = "0s",
          env = "DEMO_APP_FAULT_LATENCY", value_parser = duration::parse)]
    pub fault_latency: Duration,

    /// Share of API requests answered 500 (0 to 1); changeable at runtime
    /// with PUT /admin/faults.
    #[arg(long = "fault.error-rate", value_name = "RATIO", default_value_t = 0.0,
          env = "DEMO_APP_FAULT_ERROR_RATE", value_parser = parse_ratio)]
    pub fault_error_rate: f64,

    /// Largest request body accepted; larger ones get 413.
    #[arg(long = "api.max-body-bytes", value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Serve the API without recording request metrics (for measuring what
    /// the instrumentation costs).
    #[arg(long = "app.disable-instrumentation")]
    pub disable_instrumentation: bool,
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1".to_string())
    }
}

/// Registers the app's metrics with the kit, the hello route at `/` and the
/// API as the fallback for every other path.
pub fn setup(args: &Args, exporter: &mut Exporter, _ctx: &BuildContext) -> Result<(), BuildError> {
    let registry = prometheus::Registry::new();
    let metrics = metrics::Metrics::register(&registry)
        .map_err(|e| BuildError(format!("registering metrics: {e}")))?;
    let faults = faults::Faults::new(args.fault_latency, args.fault_error_rate);
    let app = app::App::new(
        metrics,
        faults,
        args.max_body_bytes,
        !args.disable_instrumentation,
    );
    exporter.collector_metrics(CollectorMetrics::none());
    exporter.registry(registry);
    exporter.route("/", app.clone());
    exporter.fallback(app);
    exporter.link("/api/items", "Items (JSON)");
    exporter.link("/admin/faults", "Fault knobs (JSON)");
    exporter.link("/healthz", "Health");
    Ok(())
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag takes the kingpin spellings the exporters use.
    #[test]
    fn every_boolean_flag_takes_kingpin_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::COLLECTORS);
    }
}
