//! The app's own metrics, registered once in a `prometheus::Registry` that
//! exporter-kit gathers into every scrape of `/metrics`.
//!
//! RED: `app_requests_total{method,route,status}` (rate and errors),
//! `app_request_duration_seconds{method,route}` (duration),
//! `app_requests_in_flight` (saturation), `app_errors_total{route,reason}`
//! (why requests failed). Every label value comes from a closed set
//! ([`crate::routes`]), so the number of series is bounded whatever
//! clients send. Business: `app_orders_total`, `app_order_value_total`
//! and the gauge `app_items`.
//!
//! The per-request series are looked up in [`Series`], a table indexed by
//! the label values' positions in their closed sets: `with_label_values`
//! hashes every label string and takes a read lock on each call, which
//! was most of what the instrumentation cost per request.

use std::sync::{Arc, OnceLock};

use prometheus::{
    CounterVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry,
};

use crate::routes::{ErrorReason, METHOD_LABELS, MethodLabel, Route, STATUS_LABELS, StatusLabel};

/// Latency buckets for a JSON API: fine below 100 ms where healthy
/// requests land, coarse up to 10 s where the added-latency knob goes.
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone)]
pub struct Metrics {
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub in_flight: IntGauge,
    pub errors: IntCounterVec,
    pub orders: IntCounter,
    pub order_value: CounterVec,
    pub items: IntGauge,
    pub series: Arc<Series>,
}

const METHODS: usize = METHOD_LABELS.len();
const ROUTES: usize = Route::ALL.len();
const STATUSES: usize = STATUS_LABELS.len();
const REASONS: usize = ErrorReason::ALL.len();

/// The children of the request metric vectors, one slot per label
/// combination, each resolved through `with_label_values` the first time
/// it is used and read lock-free (one atomic load) after that.
///
/// Resolving lazily rather than creating all children up front keeps the
/// exposition as it was: a series appears once a request has used it,
/// not as one of ~1,000 zero-valued combinations. The vectors' children
/// are never removed, so a resolved child stays the registered one.
pub struct Series {
    requests_vec: IntCounterVec,
    duration_vec: HistogramVec,
    errors_vec: IntCounterVec,
    requests: Box<[OnceLock<IntCounter>]>,
    duration: Box<[OnceLock<Histogram>]>,
    errors: Box<[OnceLock<IntCounter>]>,
}

fn slots<T>(n: usize) -> Box<[OnceLock<T>]> {
    (0..n).map(|_| OnceLock::new()).collect()
}

impl Series {
    fn new(requests: &IntCounterVec, duration: &HistogramVec, errors: &IntCounterVec) -> Series {
        Series {
            requests_vec: requests.clone(),
            duration_vec: duration.clone(),
            errors_vec: errors.clone(),
            requests: slots(METHODS * ROUTES * STATUSES),
            duration: slots(METHODS * ROUTES),
            errors: slots(ROUTES * REASONS),
        }
    }

    /// `app_requests_total{method,route,status}`.
    pub fn requests(&self, method: MethodLabel, route: Route, status: StatusLabel) -> &IntCounter {
        let slot = (method.index() * ROUTES + route.index()) * STATUSES + status.index();
        self.requests[slot].get_or_init(|| {
            self.requests_vec.with_label_values(&[
                method.as_str(),
                route.template(),
                status.as_str(),
            ])
        })
    }

    /// `app_request_duration_seconds{method,route}`.
    pub fn duration(&self, method: MethodLabel, route: Route) -> &Histogram {
        let slot = method.index() * ROUTES + route.index();
        self.duration[slot].get_or_init(|| {
            self.duration_vec
                .with_label_values(&[method.as_str(), route.template()])
        })
    }

    /// `app_errors_total{route,reason}`.
    pub fn errors(&self, route: Route, reason: ErrorReason) -> &IntCounter {
        let slot = route.index() * REASONS + reason.index();
        self.errors[slot].get_or_init(|| {
            self.errors_vec
                .with_label_values(&[route.template(), reason.as_str()])
        })
    }
}

impl Metrics {
    pub fn register(registry: &Registry) -> Result<Metrics, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                "app_requests_total",
                "HTTP requests answered, by method, route template and status code.",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "app_request_duration_seconds",
                "Time from receiving a request to having its response ready, by method and route template.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let in_flight =
            IntGauge::new("app_requests_in_flight", "Requests being served right now.")?;
        let errors = IntCounterVec::new(
            Opts::new(
                "app_errors_total",
                "Requests that failed, by route template and reason (bad_request, not_found, method_not_allowed, payload_too_large, injected, internal).",
            ),
            &["route", "reason"],
        )?;
        let orders = IntCounter::new("app_orders_total", "Orders checked out.")?;
        let order_value = CounterVec::new(
            Opts::new(
                "app_order_value_total",
                "Total value of the orders checked out, by currency.",
            ),
            &["currency"],
        )?;
        let items = IntGauge::new("app_items", "Items in the store right now.")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(orders.clone()))?;
        registry.register(Box::new(order_value.clone()))?;
        registry.register(Box::new(items.clone()))?;
        let series = Arc::new(Series::new(&requests, &duration, &errors));
        Ok(Metrics {
            requests,
            duration,
            in_flight,
            errors,
            orders,
            order_value,
            items,
            series,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::{Method, StatusCode};

    #[test]
    fn series_are_the_vectors_children_and_appear_only_once_used() {
        let registry = Registry::new();
        let m = Metrics::register(&registry).expect("register");
        let get = MethodLabel::of(&Method::GET);
        let ok = StatusLabel::of(StatusCode::OK);
        m.series.requests(get, Route::Hello, ok).inc();
        m.series.requests(get, Route::Hello, ok).inc();
        m.series.duration(get, Route::Hello).observe(0.002);
        m.series
            .errors(Route::Unmatched, ErrorReason::NotFound)
            .inc();
        // The same children as with_label_values resolves.
        assert_eq!(m.requests.with_label_values(&["GET", "/", "200"]).get(), 2);
        assert_eq!(
            m.duration
                .with_label_values(&["GET", "/"])
                .get_sample_count(),
            1
        );
        assert_eq!(
            m.errors
                .with_label_values(&["unmatched", "not_found"])
                .get(),
            1
        );
        // Only the series used so far exist: no zero-valued combinations.
        let families = registry.gather();
        let count = |name: &str| {
            families
                .iter()
                .find(|f| f.name() == name)
                .map_or(0, |f| f.get_metric().len())
        };
        assert_eq!(count("app_requests_total"), 1);
        assert_eq!(count("app_request_duration_seconds"), 1);
        assert_eq!(count("app_errors_total"), 1);
    }
}
