//! A real Prometheus ingests what the kit serves, in each format it
//! negotiates, and promtool accepts the text format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use exporter_kit::testing::{TestServer, local_args};

/// A forwarding proxy in front of the kit server that records the
/// Content-Type of every response, so the test knows which format each
/// Prometheus really ingested. Under `/text/` it asks for text 0.0.4 in
/// place of the scraper's Accept header: Prometheus 2.42 has no
/// `scrape_protocols` setting to ask for it itself.
struct Proxy {
    port: u16,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .no_gzip()
                .build()
                .unwrap();
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                let mut accept = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("accept")
                    {
                        accept = v.trim().to_string();
                    }
                }
                let (accept, target) = match path.strip_prefix("/text") {
                    Some(rest) => ("text/plain;version=0.0.4".to_string(), rest.to_string()),
                    None => (accept, path.clone()),
                };
                let Ok(resp) = client
                    .get(format!("{upstream}{target}"))
                    .header("Accept", accept)
                    .send()
                else {
                    continue;
                };
                let content_type = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let body = resp.bytes().unwrap_or_default();
                record.lock().unwrap().push((path, content_type.clone()));
                let mut out = stream;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&body);
            }
        });
        Proxy { port, seen }
    }

    fn content_types(&self, prefix: &str) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, c)| c.clone())
            .collect()
    }
}

fn config(port: u16, jobs: &[(&str, &str)]) -> String {
    let mut yml =
        String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for (job, path) in jobs {
        yml.push_str(&format!(
            "  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ));
    }
    yml
}

fn check_values(prom: &testkit::Prometheus, job: &str) {
    let one = |expr: &str| -> f64 {
        let full = expr.replace("JOB", job);
        let values = prom.query_values(&full);
        assert_eq!(values.len(), 1, "{full} returned {values:?}");
        values[0]
    };
    prom.wait_for(
        &format!("kit_test_value{{job=\"{job}\"}}"),
        Duration::from_secs(30),
    );
    assert_eq!(one("up{job=\"JOB\"}"), 1.0);
    assert_eq!(one("kit_test_value{job=\"JOB\",kind=\"a\"}"), 42.5);
    assert_eq!(
        one("kit_test_value{job=\"JOB\",kind=\"b \\\"quoted\\\"\\n\"}"),
        -1.0
    );
    assert_eq!(one("kit_test_events_total{job=\"JOB\"}"), 7.0);
    // The counter named without _total keeps its name in every format.
    assert_eq!(one("kit_test_legacy_counter{job=\"JOB\"}"), 3.0);
    assert_eq!(one("kit_test_untyped{job=\"JOB\"}"), 5.0);
    // Series that leave out an empty label are stored as if it were there.
    assert_eq!(
        one("kit_test_info{job=\"JOB\",name=\"BAT0\",model=\"X1\"}"),
        1.0
    );
    assert_eq!(
        one("kit_test_info{job=\"JOB\",name=\"AC\",model=\"\"}"),
        2.0
    );
    assert_eq!(one("kit_test_latency_seconds_count{job=\"JOB\"}"), 4.0);
    assert_eq!(one("kit_test_latency_seconds_sum{job=\"JOB\"}"), 2.5);
    // Protobuf buckets come back with `le="1.0"`, text ones with `le="1"`.
    assert_eq!(
        one("kit_test_latency_seconds_bucket{job=\"JOB\",le=~\"1|1.0\"}"),
        3.0
    );
    assert_eq!(
        one("kit_test_latency_seconds_bucket{job=\"JOB\",le=\"+Inf\"}"),
        4.0
    );
    assert_eq!(
        one("kit_test_rpc_seconds{job=\"JOB\",quantile=\"0.99\"}"),
        0.9
    );
    assert_eq!(one("kit_test_rpc_seconds_count{job=\"JOB\"}"), 20.0);
    assert_eq!(
        one("kit_scrape_collector_success{job=\"JOB\",collector=\"known\"}"),
        1.0
    );
    assert!(one("process_resident_memory_bytes{job=\"JOB\"}") > 0.0);
}

#[test]
fn prometheus_ingests_text_openmetrics_and_protobuf() {
    let server = TestServer::start(local_args(), known_exporter).unwrap();
    let proxy = Proxy::start(format!("http://{}", server.addr));

    // Prometheus 2.42 asks for OpenMetrics first; through /text the proxy
    // asks for text 0.0.4.
    let prom = testkit::Prometheus::start(
        &config(proxy.port, &[("om", "/metrics"), ("text", "/text/metrics")]),
        &[],
    );
    check_values(&prom, "om");
    check_values(&prom, "text");
    assert!(
        proxy
            .content_types("/metrics")
            .iter()
            .all(|c| c.starts_with("application/openmetrics-text")),
        "{:?}",
        proxy.content_types("/metrics")
    );
    assert!(
        proxy
            .content_types("/text")
            .iter()
            .all(|c| c.starts_with("text/plain; version=0.0.4"))
    );
    drop(prom);

    // With native histograms on, it asks for protobuf first.
    let before = proxy.content_types("/metrics").len();
    let prom = testkit::Prometheus::start(
        &config(proxy.port, &[("pb", "/metrics")]),
        &["--enable-feature=native-histograms"],
    );
    check_values(&prom, "pb");
    let types = proxy.content_types("/metrics");
    assert!(
        types[before..]
            .iter()
            .all(|c| c.starts_with("application/vnd.google.protobuf")),
        "{types:?}"
    );
}

#[test]
fn promtool_accepts_the_text_format() {
    let promtool = testkit::require("promtool");
    let server = TestServer::start(local_args(), known_exporter).unwrap();
    let body = testkit::http()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // promtool parses the page, then lints names: the only finding allowed
    // is the deliberately legacy-named counter.
    assert!(!report.contains("error while linting"), "{report}");
    assert!(
        report.contains("kit_test_legacy_counter"),
        "promtool did not lint the page: {report}"
    );
    let findings: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        findings
            .iter()
            .all(|l| l.contains("kit_test_legacy_counter")),
        "promtool: {report}\n{body}"
    );
}
