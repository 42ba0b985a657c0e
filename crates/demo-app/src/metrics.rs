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

use prometheus::{
    CounterVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};

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
        Ok(Metrics {
            requests,
            duration,
            in_flight,
            errors,
            orders,
            order_value,
            items,
        })
    }
}
