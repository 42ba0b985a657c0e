//! kafka-exporter: a drop-in replacement for danielqsj/kafka_exporter.
//!
//! One collector refreshes a snapshot of the cluster (metadata, watermarks,
//! consumer groups and committed offsets, fetched in batches over one
//! librdkafka client) and renders kafka_exporter's families from it.
//! `kafka_up` (not in upstream, which panics instead) says whether the last
//! refresh reached the cluster.

pub mod args;
pub mod client;
pub mod collector;
mod ffi;
pub mod parse;
pub mod render;
pub mod snapshot;

use std::time::Duration;

pub use args::Args;
use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectorMetrics, Exporter, Registration, Spec,
};

pub const SPEC: Spec = Spec {
    name: "kafka_exporter",
    binary: "kafka-exporter",
    about: "Prometheus exporter for Kafka brokers, topics and consumer groups",
    namespace: "kafka",
    build_info_metric: "kafka_exporter_build_info",
    default_listen_address: ":9308",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: None,
    collector_flag: "collector",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::Instrumented,
};

/// kafka_exporter has no collector switches: the one collector is added by
/// [`setup`].
pub const COLLECTORS: &[Registration<Args>] = &[];

/// Builds the collector from the flags: a startup error only for bad flags,
/// never for a broker that does not answer.
pub fn collector(args: &Args, registry: &prometheus::Registry) -> Result<AnyCollector, BuildError> {
    let labels = args::parse_labels(&args.labels)
        .map_err(|e| BuildError::new(format!("--kafka.labels: {e}")))?;
    let kafka = client::Kafka::new(args).map_err(BuildError::new)?;
    let options = render::RenderOptions {
        show_all: args.offset_show_all,
        lag_without_members: args.lag_without_members,
        lag_seconds: args.lag_seconds,
    };
    let ttl = Duration::from_secs_f64(args.cache_ttl.clamp(0.0, 3600.0));
    Ok(AnyCollector::asynchronous(collector::KafkaCollector::new(
        kafka,
        render::Metrics::new(&labels),
        options,
        ttl,
        !args.concurrent_enable,
        collector::Stats::new(registry).map_err(BuildError::new)?,
    )))
}

pub fn setup(args: &Args, exporter: &mut Exporter, _ctx: &BuildContext) -> Result<(), BuildError> {
    exporter.collector_metrics(CollectorMetrics::none());
    let registry = prometheus::Registry::new();
    exporter.collector("kafka", collector(args, &registry)?);
    exporter.registry(registry);
    exporter.route("/healthz", Healthz);
    Ok(())
}

/// Upstream's liveness route: 200 "ok".
struct Healthz;

#[async_trait::async_trait]
impl exporter_kit::Handler for Healthz {
    async fn handle(
        &self,
        _req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<exporter_kit::http::Body> {
        exporter_kit::http::text_response(hyper::StatusCode::OK, "ok")
    }
}

fn snapshot_age_ms(snap: &snapshot::Snapshot) -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
        - snap.taken_ms
}
