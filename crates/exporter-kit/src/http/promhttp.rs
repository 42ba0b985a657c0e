//! client_golang's own metrics of the telemetry handler,
//! `promhttp_metric_handler_*`, for the exporters whose upstream serves
//! `/metrics` through `promhttp.InstrumentMetricHandler` (node_exporter,
//! blackbox_exporter, mysqld_exporter, kafka_exporter): alerts on failing
//! or piling-up scrapes of the exporter itself read them.

use hyper::StatusCode;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

/// Which of client_golang's handler metrics upstream exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromHttp {
    /// None (redis_exporter, cAdvisor serve a bare `promhttp.HandlerFor`).
    None,
    /// `promhttp.Handler()`: requests in flight and requests by status.
    Instrumented,
    /// node_exporter also passes its registry in `HandlerOpts`, which adds
    /// the handler's error counter.
    InstrumentedWithErrors,
}

/// The handler's metrics, registered in their own registry.
pub(crate) struct HandlerMetrics {
    /// None with `--web.disable-exporter-metrics`, as upstream only
    /// instruments the handler when it includes its own metrics.
    requests: Option<(IntGauge, IntCounterVec)>,
    errors: Option<IntCounterVec>,
}

/// A telemetry request being served: counted in flight until dropped.
pub(crate) struct InFlight<'a>(Option<&'a IntGauge>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(gauge) = self.0 {
            gauge.dec();
        }
    }
}

/// The `cause` of a handler error.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cause {
    Encoding,
    Gathering,
}

impl HandlerMetrics {
    /// The metrics `kind` asks for and the registry holding them, or None
    /// when there are none.
    pub(crate) fn new(
        kind: PromHttp,
        exporter_metrics: bool,
    ) -> Result<Option<(HandlerMetrics, Registry)>, prometheus::Error> {
        let registry = Registry::new();
        let requests = if kind != PromHttp::None && exporter_metrics {
            let in_flight = IntGauge::new(
                "promhttp_metric_handler_requests_in_flight",
                "Current number of scrapes being served.",
            )?;
            let by_code = IntCounterVec::new(
                Opts::new(
                    "promhttp_metric_handler_requests_total",
                    "Total number of scrapes by HTTP status code.",
                ),
                &["code"],
            )?;
            // client_golang starts these three at zero.
            for code in ["200", "500", "503"] {
                by_code.with_label_values(&[code]);
            }
            registry.register(Box::new(in_flight.clone()))?;
            registry.register(Box::new(by_code.clone()))?;
            Some((in_flight, by_code))
        } else {
            None
        };
        let errors = if kind == PromHttp::InstrumentedWithErrors {
            let errors = IntCounterVec::new(
                Opts::new(
                    "promhttp_metric_handler_errors_total",
                    "Total number of internal errors encountered by the promhttp metric handler.",
                ),
                &["cause"],
            )?;
            for cause in ["encoding", "gathering"] {
                errors.with_label_values(&[cause]);
            }
            registry.register(Box::new(errors.clone()))?;
            Some(errors)
        } else {
            None
        };
        if requests.is_none() && errors.is_none() {
            return Ok(None);
        }
        Ok(Some((HandlerMetrics { requests, errors }, registry)))
    }

    /// Counts a request in flight; its own scrape sees it, as upstream's.
    pub(crate) fn in_flight(&self) -> InFlight<'_> {
        let gauge = self.requests.as_ref().map(|(gauge, _)| gauge);
        if let Some(gauge) = gauge {
            gauge.inc();
        }
        InFlight(gauge)
    }

    /// Counts a served request by its status, after it was served.
    pub(crate) fn served(&self, status: StatusCode) {
        if let Some((_, by_code)) = &self.requests {
            by_code.with_label_values(&[status.as_str()]).inc();
        }
    }

    pub(crate) fn failed(&self, cause: Cause) {
        if let Some(errors) = &self.errors {
            let cause = match cause {
                Cause::Encoding => "encoding",
                Cause::Gathering => "gathering",
            };
            errors.with_label_values(&[cause]).inc();
        }
    }
}
