//! The one collector: serves a shared, recent [`Snapshot`]. A refresh runs
//! on the blocking pool and is not cancelled with the scrape that started
//! it: concurrent scrapes wait for the same refresh, a scrape whose deadline
//! passes first gets the last good snapshot (logged), and the refresh still
//! lands in the cache for the next scrape. So a slow broker costs
//! freshness, not the scrape. The kit's [`SingleFlight`] does the sharing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use exporter_kit::single_flight::{Reuse, SingleFlight, Waited};
use exporter_kit::{AsyncCollector, CollectError, Emitter, ScrapeContext};

use crate::client::Kafka;
use crate::render::{Metrics, RenderOptions};
use crate::snapshot::Snapshot;

type Outcome = Result<Arc<Snapshot>, String>;

/// The exporter's own instrumentation (beyond upstream): how often the
/// cluster is asked and at what cost.
#[derive(Clone)]
pub struct Stats {
    pub refreshes: prometheus::IntCounter,
    pub failures: prometheus::IntCounter,
    pub requests: prometheus::IntCounter,
    pub duration: prometheus::Gauge,
}

impl Stats {
    pub fn new(registry: &prometheus::Registry) -> Result<Stats, prometheus::Error> {
        let stats = Stats {
            refreshes: prometheus::IntCounter::new(
                "kafka_exporter_refreshes_total",
                "Refreshes of the cluster snapshot (scrapes within the sharing window reuse one).",
            )?,
            failures: prometheus::IntCounter::new(
                "kafka_exporter_refresh_failures_total",
                "Refreshes that could not reach the cluster.",
            )?,
            requests: prometheus::IntCounter::new(
                "kafka_exporter_broker_requests_total",
                "Requests sent to brokers by refreshes (approximate: metadata, ListOffsets, ListGroups, DescribeGroups, OffsetFetch, Fetch).",
            )?,
            duration: prometheus::Gauge::new(
                "kafka_exporter_refresh_duration_seconds",
                "Duration of the last refresh.",
            )?,
        };
        registry.register(Box::new(stats.refreshes.clone()))?;
        registry.register(Box::new(stats.failures.clone()))?;
        registry.register(Box::new(stats.requests.clone()))?;
        registry.register(Box::new(stats.duration.clone()))?;
        Ok(stats)
    }
}

pub struct KafkaCollector {
    stats: Stats,
    kafka: Arc<Kafka>,
    metrics: Metrics,
    options: RenderOptions,
    /// A stale snapshot older than this is not served.
    max_stale: Duration,
    /// The refreshes: one key, the cluster. An outcome (good or not) is
    /// shared for the cache TTL; concurrent scrapes share one refresh
    /// unless --concurrent.enable.
    refreshes: Arc<SingleFlight<(), Outcome>>,
}

impl KafkaCollector {
    pub fn new(
        kafka: Kafka,
        metrics: Metrics,
        options: RenderOptions,
        ttl: Duration,
        share: bool,
        stats: Stats,
    ) -> Self {
        KafkaCollector {
            stats,
            kafka: Arc::new(kafka),
            metrics,
            options,
            max_stale: Duration::from_secs(300),
            refreshes: Arc::new(SingleFlight::with_reuse(Reuse {
                fresh_for: if share { ttl } else { Duration::ZERO },
                share,
            })),
        }
    }

    /// One refresh of the cluster, counted in the stats. It has its own
    /// budget, not the scrape's: if it is late the scrape goes on without
    /// it and the next scrape gets its result.
    fn refresh(&self) -> impl Future<Output = Outcome> + Send + 'static {
        let kafka = self.kafka.clone();
        let stats = self.stats.clone();
        async move {
            let deadline = Instant::now() + kafka.timeout();
            let started = Instant::now();
            let outcome = match tokio::task::spawn_blocking(move || kafka.refresh(deadline)).await {
                Ok(Ok(snap)) => Ok(Arc::new(snap)),
                Ok(Err(err)) => Err(err.to_string()),
                Err(err) => Err(format!("refresh failed: {err}")),
            };
            stats.refreshes.inc();
            stats.duration.set(started.elapsed().as_secs_f64());
            match &outcome {
                Ok(snap) => stats.requests.inc_by(snap.requests),
                Err(_) => {
                    stats.failures.inc();
                    stats.requests.inc();
                }
            }
            outcome
        }
    }
}

#[async_trait::async_trait]
impl AsyncCollector for KafkaCollector {
    async fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // Leave a little time to render and answer.
        let deadline = ctx
            .deadline
            .checked_sub(Duration::from_millis(100))
            .unwrap_or(ctx.deadline);
        // `kafka_up` is 1 only when a refresh reached the cluster in time for
        // this scrape. A late one leaves the last good snapshot to serve
        // (a slow broker costs freshness), but the cluster is reported down:
        // a hung broker must fire the alert, not hide behind old numbers.
        let (up, snapshot) = match self
            .refreshes
            .run_or_previous((), deadline, || self.refresh())
            .await
        {
            Waited::Ready(Ok(snap)) => (true, Some(snap)),
            Waited::Ready(Err(reason)) => {
                tracing::warn!(reason = %reason, "cannot reach the Kafka cluster");
                (false, None)
            }
            Waited::Late(previous) => {
                // The last good result, unless a refresh failed since.
                let stale = previous.and_then(Result::ok).filter(|s| {
                    let age_ms = crate::snapshot_age_ms(s);
                    age_ms >= 0 && (age_ms as u128) < self.max_stale.as_millis()
                });
                tracing::warn!(
                    serving_previous = stale.is_some(),
                    "cannot reach the Kafka cluster: the refresh did not finish before the scrape deadline"
                );
                (false, stale)
            }
        };
        self.metrics
            .emit(out, &self.metrics.up, &[], if up { 1.0 } else { 0.0 });
        if let Some(snap) = snapshot {
            self.metrics.render(&snap, &self.options, out);
        }
        Ok(())
    }
}
