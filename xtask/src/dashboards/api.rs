//! The API layer (the demo app): RED (rate, errors, duration) per route and
//! the business metrics its custom alert watches.

use super::{Dashboard, LAYER_SELECTOR, layer_vars, open_row, row, stat, ts};

/// Error ratio as the AppHighErrorRate rule computes it (0 without 5xx).
const ERROR_RATIO: &str = r#"(sum(rate(app_requests_total{$S,status=~"5.."}[5m])) or 0 * sum(rate(app_requests_total{$S}[5m]))) / sum(rate(app_requests_total{$S}[5m]))"#;

pub fn dashboard() -> Dashboard {
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by (le) (rate(app_request_duration_seconds_bucket{{$S}}[$__rate_interval])))"
        )
    };
    Dashboard {
        uid: "ferroscope-api",
        title: "API (demo-app)",
        description: "The API layer from the demo app's own metrics: requests, errors and \
                      duration per route (RED), and orders and revenue (the business signal \
                      AppOrdersStalled watches). Raw metrics only; red lines are \
                      prometheus/rules/app.rules.yml's thresholds."
            .into(),
        vars: layer_vars("app_requests_total"),
        selector: LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Requests per second", "Requests the API served per second over 5 minutes.")
                        .unit("reqps")
                        .q("sum(rate(app_requests_total{$S}[5m])) or vector(0)", "requests/s"),
                    stat("Error ratio", "Share of requests answered 5xx over 5 minutes; above 5% for 5 minutes fires AppHighErrorRate.")
                        .unit("percentunit")
                        .q(ERROR_RATIO, "errors")
                        .alert_above(0.05, "AppHighErrorRate"),
                    stat("p95 latency", "95th percentile request duration over 5 minutes; above 500 ms for 10 minutes fires AppHighLatency.")
                        .unit("s")
                        .q("histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket{$S}[5m])))", "p95")
                        .alert_above(0.5, "AppHighLatency"),
                    stat("In flight", "Requests being served right now; growing means the API cannot keep up.")
                        .unit("short")
                        .q("sum(app_requests_in_flight{$S}) or vector(0)", "in flight"),
                    stat("Orders per minute", "Orders placed per minute over 5 minutes; below 1 with traffic for 15 minutes fires AppOrdersStalled.")
                        .unit("short")
                        .q("sum(rate(app_orders_total{$S}[5m])) * 60 or vector(0)", "orders/min")
                        .alert_below(1.0, "AppOrdersStalled"),
                    stat("Revenue per minute", "Order value per minute over 5 minutes, all currencies together.")
                        .unit("short")
                        .q("sum(rate(app_order_value_total{$S}[5m])) * 60 or vector(0)", "revenue/min"),
                ],
            ),
            open_row(
                "Rate",
                vec![
                    ts("Requests by route and status", "Requests per second per route and HTTP status; a shift toward 4xx/5xx or away from a route is the first sign of trouble.")
                        .unit("reqps")
                        .q("sum by (route, status) (rate(app_requests_total{$S}[$__rate_interval]))", "{{route}} {{status}}"),
                    ts("Requests by method", "Requests per second per HTTP method.")
                        .unit("reqps")
                        .q("sum by (method) (rate(app_requests_total{$S}[$__rate_interval]))", "{{method}}"),
                ],
            ),
            open_row(
                "Errors",
                vec![
                    ts("Error ratio", "Share of requests answered 5xx (5-minute rate, as the alert computes it); above the red line for 5 minutes fires AppHighErrorRate.")
                        .unit("percentunit")
                        .q(ERROR_RATIO, "error ratio")
                        .alert_above(0.05, "AppHighErrorRate"),
                    ts("5xx by route", "Server errors per second per route; shows which route fails.")
                        .unit("reqps")
                        .q(r#"sum by (route) (rate(app_requests_total{$S,status=~"5.."}[$__rate_interval])) or sum by (route) (rate(app_requests_total{$S}[$__rate_interval])) * 0"#, "{{route}}"),
                    ts("Errors by reason", "Errors the app counted per second by route and reason (timeouts, dependency failures); tells why requests fail.")
                        .unit("ops")
                        .q("sum by (route, reason) (rate(app_errors_total{$S}[$__rate_interval]))", "{{route}} {{reason}}"),
                ],
            ),
            open_row(
                "Duration",
                vec![
                    ts("Latency percentiles", "Median, p90, p95 and p99 request duration; the red line is AppHighLatency's p95 threshold.")
                        .unit("s")
                        .q(quantile("0.5"), "p50")
                        .q(quantile("0.9"), "p90")
                        .q(quantile("0.95"), "p95")
                        .q(quantile("0.99"), "p99")
                        .alert_above(0.5, "AppHighLatency"),
                    ts("p95 latency by route", "95th percentile duration per route; the slow route is the one to look at.")
                        .unit("s")
                        .q("histogram_quantile(0.95, sum by (route, le) (rate(app_request_duration_seconds_bucket{$S}[$__rate_interval])))", "{{route}}")
                        .alert_above(0.5, "AppHighLatency"),
                    ts("Requests faster than 500 ms", "Share of requests that finished within 500 ms (the latency objective); a drop means users wait.")
                        .unit("percentunit")
                        .max(1.0)
                        .q(r#"sum(rate(app_request_duration_seconds_bucket{$S,le="0.5"}[$__rate_interval])) / sum(rate(app_request_duration_seconds_count{$S}[$__rate_interval]))"#, "within 500 ms")
                        .colors("red", &[(0.95, "orange"), (0.99, "green")]),
                    ts("In flight", "Requests being served at once; a growing queue means saturation.")
                        .unit("short")
                        .q("sum by (instance) (app_requests_in_flight{$S})", "{{instance}}"),
                ],
            ),
            row(
                "Business",
                vec![
                    ts("Orders per minute", "Orders placed per minute; below the red line with traffic for 15 minutes fires AppOrdersStalled (checkout is broken while the site looks up).")
                        .unit("short")
                        .q("sum(rate(app_orders_total{$S}[5m])) * 60", "orders/min")
                        .alert_below(1.0, "AppOrdersStalled"),
                    ts("Revenue per minute", "Order value per minute per currency.")
                        .unit("short")
                        .q("sum by (currency) (rate(app_order_value_total{$S}[$__rate_interval])) * 60", "{{currency}}"),
                    ts("Items in stock", "The app's item gauge (items it holds); a drop to zero stops orders.")
                        .unit("short")
                        .q("sum by (instance) (app_items{$S})", "{{instance}}"),
                ],
            ),
        ],
    }
}
