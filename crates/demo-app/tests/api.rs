//! The API and its instrumentation against a real server on loopback.

mod common;

use std::collections::BTreeSet;

use common::{scrape, start, value};
use reqwest::Method;
use reqwest::blocking::Body;

const STANDARD_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];
const ROUTES: &[&str] = &[
    "/",
    "/api/items",
    "/api/items/{id}",
    "/api/checkout",
    "/healthz",
    "/admin/faults",
    "unmatched",
];

#[test]
fn cardinality_stays_bounded_under_random_paths_and_methods() {
    let server = start(&[]);
    let client = testkit::http();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let total = 2000;
    for _ in 0..total {
        let r = next();
        let path = match r % 5 {
            0 => format!("/random/{}", next()),
            1 => format!("/api/items/{}", next()),
            2 => format!("/api/items/{}/deeper", next() % 1000),
            3 => format!("/{}.php?x={}", next(), next()),
            _ => "/api/items".to_string(),
        };
        let method = match (r >> 8) % 4 {
            0 => Method::GET,
            1 => Method::DELETE,
            2 => Method::PATCH,
            _ => Method::from_bytes(format!("M{}", next() % 100_000).as_bytes())
                .unwrap_or(Method::GET),
        };
        let resp = client
            .request(method, server.url(&path))
            .send()
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(resp.status().as_u16() < 500, "{path}: {}", resp.status());
    }
    let samples = scrape(&server);
    let requests: Vec<_> = samples
        .iter()
        .filter(|s| s.name == "app_requests_total")
        .collect();
    let sum: f64 = requests.iter().map(|s| s.value).sum();
    assert_eq!(sum, total as f64, "every request is counted once");
    let methods: BTreeSet<_> = requests
        .iter()
        .map(|s| s.labels["method"].clone())
        .collect();
    let routes: BTreeSet<_> = requests.iter().map(|s| s.labels["route"].clone()).collect();
    for m in &methods {
        assert!(STANDARD_METHODS.contains(&m.as_str()), "method label {m}");
    }
    for r in &routes {
        assert!(ROUTES.contains(&r.as_str()), "route label {r}");
    }
    assert!(methods.contains("OTHER"), "{methods:?}");
    assert!(routes.contains("unmatched"), "{routes:?}");
    // 2000 random requests produce a handful of series, not thousands.
    assert!(requests.len() <= 20, "{} request series", requests.len());
    let buckets = samples
        .iter()
        .filter(|s| s.name == "app_request_duration_seconds_bucket")
        .count();
    assert!(buckets <= 12 * 14, "{buckets} bucket series");
    let errors = samples
        .iter()
        .filter(|s| s.name == "app_errors_total")
        .count();
    assert!(errors <= 8, "{errors} error series");
}

#[test]
fn histogram_buckets_count_the_latency_they_should() {
    // 300 ms added: every request lands above the 0.25 bucket (a sleep is
    // never shorter) and, on any sane machine, below 1 s.
    let server = start(&["--fault.latency=300ms"]);
    let client = testkit::http();
    for _ in 0..5 {
        let resp = client.get(server.url("/")).send().expect("GET /");
        assert_eq!(resp.status(), 200);
    }
    let s = scrape(&server);
    let bucket = |s: &[common::Sample], le: &str| {
        value(
            s,
            "app_request_duration_seconds_bucket",
            &[("route", "/"), ("method", "GET"), ("le", le)],
        )
    };
    assert_eq!(bucket(&s, "0.1"), 0.0);
    assert_eq!(bucket(&s, "0.25"), 0.0, "300 ms requests are above 250 ms");
    assert_eq!(bucket(&s, "1"), 5.0);
    assert_eq!(bucket(&s, "+Inf"), 5.0);
    let count = value(&s, "app_request_duration_seconds_count", &[("route", "/")]);
    let sum = value(&s, "app_request_duration_seconds_sum", &[("route", "/")]);
    assert_eq!(count, 5.0);
    assert!((1.5..5.0).contains(&sum), "sum {sum}");

    // Turn the latency off at runtime: the next requests land low.
    let resp = client
        .put(server.url("/admin/faults"))
        .header("content-type", "application/json")
        .body(r#"{"latency_ms": 0}"#)
        .send()
        .expect("PUT /admin/faults");
    assert_eq!(resp.status(), 200);
    for _ in 0..5 {
        client.get(server.url("/")).send().expect("GET /");
    }
    let s = scrape(&server);
    assert_eq!(bucket(&s, "0.25"), 5.0, "fast requests are below 250 ms");
    assert_eq!(bucket(&s, "1"), 10.0);
    assert_eq!(bucket(&s, "+Inf"), 10.0);
    // Buckets are cumulative.
    let les = [
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
        "10", "+Inf",
    ];
    let counts: Vec<f64> = les.iter().map(|le| bucket(&s, le)).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
}

#[test]
fn bad_input_gets_clear_errors_counted_under_bounded_labels() {
    let server = start(&["--api.max-body-bytes=1024"]);
    let client = testkit::http();
    let post = |body: Body| {
        client
            .post(server.url("/api/items"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("POST /api/items")
    };
    let resp = post(Body::from("{\"name\": "));
    assert_eq!(resp.status(), 400);
    let text = resp.text().unwrap_or_default();
    assert!(text.contains("malformed JSON"), "{text}");

    let resp = post(Body::from(format!(
        r#"{{"name":"{}","price":1}}"#,
        "x".repeat(2000)
    )));
    assert_eq!(resp.status(), 413);
    // Without a Content-Length (chunked), the limit still holds.
    let resp = post(Body::new(std::io::Cursor::new(vec![b' '; 4096])));
    assert_eq!(resp.status(), 413);

    let resp = client
        .get(server.url("/definitely/not/here"))
        .send()
        .expect("GET unknown");
    assert_eq!(resp.status(), 404);
    let resp = client
        .delete(server.url("/api/checkout"))
        .send()
        .expect("DELETE checkout");
    assert_eq!(resp.status(), 405);

    let resp = post(Body::from(r#"{"name":"lamp","price":12}"#));
    assert_eq!(resp.status(), 201);

    let s = scrape(&server);
    let req = |m: &str, r: &str, st: &str| {
        value(
            &s,
            "app_requests_total",
            &[("method", m), ("route", r), ("status", st)],
        )
    };
    assert_eq!(req("POST", "/api/items", "400"), 1.0);
    assert_eq!(req("POST", "/api/items", "413"), 2.0);
    assert_eq!(req("POST", "/api/items", "201"), 1.0);
    assert_eq!(req("GET", "unmatched", "404"), 1.0);
    assert_eq!(req("DELETE", "/api/checkout", "405"), 1.0);
    let err =
        |r: &str, reason: &str| value(&s, "app_errors_total", &[("route", r), ("reason", reason)]);
    assert_eq!(err("/api/items", "bad_request"), 1.0);
    assert_eq!(err("/api/items", "payload_too_large"), 2.0);
    assert_eq!(err("unmatched", "not_found"), 1.0);
    assert_eq!(err("/api/checkout", "method_not_allowed"), 1.0);
    assert_eq!(value(&s, "app_items", &[]), 4.0, "3 seeded + 1 created");
}

#[test]
fn fault_knobs_by_flag_and_at_runtime_show_in_the_metrics() {
    let server = start(&["--fault.error-rate=1"]);
    let client = testkit::http();
    for _ in 0..10 {
        let resp = client.get(server.url("/api/items")).send().expect("GET");
        assert_eq!(resp.status(), 500);
    }
    // Health and admin are never faulted.
    let resp = client.get(server.url("/healthz")).send().expect("healthz");
    assert_eq!(resp.status(), 200);
    let s = scrape(&server);
    assert_eq!(
        value(
            &s,
            "app_errors_total",
            &[("route", "/api/items"), ("reason", "injected")]
        ),
        10.0
    );
    assert_eq!(
        value(
            &s,
            "app_requests_total",
            &[("route", "/api/items"), ("status", "500")]
        ),
        10.0
    );

    let set = |body: &str| {
        client
            .put(server.url("/admin/faults"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .expect("PUT /admin/faults")
    };
    let resp = set(r#"{"error_rate": 1.5}"#);
    assert_eq!(resp.status(), 400, "out-of-range rate is refused");
    let resp = set(r#"{"error_rate": 0.5}"#);
    assert_eq!(resp.status(), 200);
    let state: serde_json::Value = resp.json().expect("fault state JSON");
    assert_eq!(state["error_rate"], 0.5);
    let failed = (0..400)
        .filter(|_| {
            client
                .get(server.url("/api/items"))
                .send()
                .map(|r| r.status() == 500)
                .unwrap_or(false)
        })
        .count();
    assert!(
        (140..260).contains(&failed),
        "{failed} of 400 failed at 0.5"
    );

    set(r#"{"error_rate": 0}"#);
    let resp = client
        .post(server.url("/api/checkout"))
        .header("content-type", "application/json")
        .body(r#"{"item_ids":[1,3]}"#)
        .send()
        .expect("checkout");
    assert_eq!(resp.status(), 201);
    let s = scrape(&server);
    assert_eq!(value(&s, "app_orders_total", &[]), 1.0);
    assert_eq!(
        value(&s, "app_order_value_total", &[("currency", "EUR")]),
        24.75
    );
    assert_eq!(
        value(
            &s,
            "app_errors_total",
            &[("route", "/api/items"), ("reason", "injected")]
        ),
        10.0 + failed as f64
    );
}
