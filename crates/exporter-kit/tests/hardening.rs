//! Request input an attacker controls never panics a handler or gets a
//! worse answer than upstream: scrape-timeout headers, Accept-Encoding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read as _;
use std::time::{Duration, Instant};

use common::*;
use exporter_kit::testing::{TestServer, local_args};
use exporter_kit::{Desc, Emitter, ProbeError, ProbeHandler, ProbeRequest, RawResponse};

/// A probe that reports how much time it was given.
struct BudgetProbe(Desc);

#[async_trait::async_trait]
impl ProbeHandler for BudgetProbe {
    async fn probe(
        &self,
        req: &ProbeRequest,
        out: &mut Emitter,
    ) -> Result<Option<RawResponse>, ProbeError> {
        let left = req.deadline.saturating_duration_since(Instant::now());
        out.gauge(&self.0, &[], left.as_secs_f64());
        Ok(None)
    }
}

fn probing_exporter() -> exporter_kit::Exporter {
    let mut e = known_exporter();
    e.probe(
        "/probe",
        BudgetProbe(Desc::gauge("kit_test_probe_budget_seconds", "", &[])),
    );
    e
}

/// Values found to panic the handler ("cannot convert float seconds to
/// Duration", "overflow when adding duration to instant") and the rest of
/// the odd ones: each gets a normal answer with a sane deadline.
pub const HOSTILE_TIMEOUTS: &[&str] = &[
    "1e308",
    "1e19",
    "18446744073709551616",
    "1.8e19",
    "inf",
    "Infinity",
    "-inf",
    "NaN",
    "-1",
    "0",
    "-0",
    "1e-400",
    "",
    "garbage",
    "10s",
    "0x10",
];

#[test]
fn hostile_scrape_timeout_headers_get_normal_answers() {
    let server = TestServer::start(local_args(), probing_exporter).unwrap();
    let client = testkit::http();
    for value in HOSTILE_TIMEOUTS {
        let resp = client
            .get(server.url("/metrics"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", *value)
            .send()
            .unwrap_or_else(|e| panic!("/metrics with timeout {value:?}: {e}"));
        assert_eq!(resp.status(), 200, "/metrics with timeout {value:?}");
        let body = resp.text().unwrap();
        assert_eq!(
            sample(&body, "kit_test_events_total"),
            Some(7.0),
            "{value:?}"
        );

        let resp = client
            .get(server.url("/probe?target=x"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", *value)
            .send()
            .unwrap_or_else(|e| panic!("/probe with timeout {value:?}: {e}"));
        assert_eq!(resp.status(), 200, "/probe with timeout {value:?}");
        let budget = sample(&resp.text().unwrap(), "kit_test_probe_budget_seconds").unwrap();
        assert!(
            budget > 0.0 && budget <= 24.0 * 3600.0,
            "timeout {value:?} gave a budget of {budget} s"
        );
    }
    // The server is still whole afterwards.
    let body = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(sample(&body, "kit_test_events_total"), Some(7.0));
}

#[test]
fn any_spelling_of_q_zero_refuses_gzip() {
    let server = TestServer::start(local_args(), known_exporter).unwrap();
    let client = reqwest::blocking::Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let encoding = |accept: &str| {
        let resp = client
            .get(server.url("/metrics"))
            .header("Accept-Encoding", accept)
            .send()
            .unwrap();
        let gzip = resp
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "gzip");
        let bytes = resp.bytes().unwrap();
        let mut body = String::new();
        if gzip {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut body)
                .unwrap();
        } else {
            body = String::from_utf8(bytes.to_vec()).unwrap();
        }
        assert_eq!(
            sample(&body, "kit_test_events_total"),
            Some(7.0),
            "{accept}"
        );
        gzip
    };
    for refused in [
        "gzip;q=0",
        "gzip; q=0.000",
        "gzip;q=0.0",
        "gzip;q=0.00",
        "gzip ; Q=0",
        "gzip;q=0., identity",
        "identity, gzip;q=0.000",
        "*;q=0",
        "gzip;q=garbage",
        "gzip;q=-1",
        "deflate",
        "identity",
    ] {
        assert!(
            !encoding(refused),
            "gzip sent for Accept-Encoding: {refused}"
        );
    }
    for accepted in [
        "gzip",
        "GZIP",
        "gzip;q=0.001",
        "gzip; q=1",
        "gzip;q=1.000",
        "*",
        "deflate, gzip;q=0.5",
        "*;q=0, gzip",
    ] {
        assert!(
            encoding(accepted),
            "no gzip for Accept-Encoding: {accepted}"
        );
    }
}
