//! The http prober against servers the test makes on loopback.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn config(dir: &std::path::Path, ca: &str) -> std::path::PathBuf {
    write_config(
        dir,
        &format!(
            r#"
modules:
  http_2xx:
    prober: http
    http:
      preferred_ip_protocol: ip4
  http_404:
    prober: http
    http:
      valid_status_codes: [404]
  no_follow:
    prober: http
    http:
      follow_redirects: false
  short:
    prober: http
    timeout: 1s
  limited:
    prober: http
    http:
      body_size_limit: 1MB
  body_regex:
    prober: http
    http:
      fail_if_body_matches_regexp: ["nominal"]
  body_must:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ["all systems \\w+"]
  header_must:
    prober: http
    http:
      fail_if_header_not_matches:
        - header: X-Version
          regexp: "^build-[0-9]+$"
        - header: X-Absent
          regexp: "x"
          allow_missing: true
  header_fail:
    prober: http
    http:
      fail_if_header_matches:
        - header: X-Version
          regexp: "build"
  ssl_required:
    prober: http
    http:
      fail_if_not_ssl: true
  gzip:
    prober: http
    http:
      compression: gzip
  https_ca:
    prober: http
    http:
      fail_if_not_ssl: true
      tls_config:
        ca_file: {ca}
  https_insecure:
    prober: http
    http:
      tls_config:
        insecure_skip_verify: true
  basic:
    prober: http
    http:
      basic_auth:
        username: probe
        password: hunter2
  basic_wrong:
    prober: http
    http:
      basic_auth:
        username: probe
        password: wrong
  bearer:
    prober: http
    http:
      bearer_token: s3cr3t-token
  with_host:
    prober: http
    http:
      headers:
        Host: a.example
  post:
    prober: http
    http:
      method: POST
      body: '{{"a":1}}'
      headers:
        Content-Type: application/json
      basic_auth:
        username: probe
        password: hunter2
"#
        ),
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    ours: Ours,
}

fn fixture(ca_pem: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("ca");
    let cfg = config(dir.path(), &ca.display().to_string());
    let ours = start_ours(&cfg, &[]);
    Fixture { _dir: dir, ours }
}

#[test]
fn http_success_reports_upstream_families_and_values() {
    let web = HttpServer::start();
    let f = fixture("");
    let m = f.ours.probe(&web.url("/ok"), "http_2xx");
    assert_eq!(m["probe_success"], 1.0);
    assert_eq!(m["probe_http_status_code"], 200.0);
    assert_eq!(m["probe_http_version"], 1.1);
    assert_eq!(m["probe_http_content_length"], 33.0);
    assert_eq!(m["probe_http_uncompressed_body_length"], 33.0);
    assert_eq!(m["probe_http_redirects"], 0.0);
    assert_eq!(m["probe_http_ssl"], 0.0);
    assert_eq!(m["probe_ip_protocol"], 4.0);
    // upstream's FNV-1a over the address bytes of 127.0.0.1
    assert_eq!(m["probe_ip_addr_hash"], 3_668_918_509.0);
    assert_eq!(m["probe_failed_due_to_regex"], 0.0);
    assert_eq!(
        m["probe_http_last_modified_timestamp_seconds"],
        1_445_412_480.0
    );
    for phase in ["resolve", "connect", "tls", "processing", "transfer"] {
        assert!(
            m.contains_key(&format!("probe_http_duration_seconds{{phase=\"{phase}\"}}")),
            "{phase}"
        );
    }
    assert!(m["probe_duration_seconds"] > 0.0);
    // no module: http_2xx, as upstream; the target without a scheme gets http://
    let (status, body) = get(&format!(
        "{}/probe?target={}/ok",
        f.ours.server.url(""),
        web.addr
    ));
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["probe_success"], 1.0);
}

#[test]
fn status_codes_method_body_and_auth() {
    let web = HttpServer::start();
    let f = fixture("");
    assert_eq!(
        f.ours.probe(&web.url("/status/404"), "http_2xx")["probe_success"],
        0.0
    );
    let m = f.ours.probe(&web.url("/status/404"), "http_404");
    assert_eq!(
        (m["probe_success"], m["probe_http_status_code"]),
        (1.0, 404.0)
    );
    assert_eq!(f.ours.probe(&web.url("/ok"), "post")["probe_success"], 1.0);
    assert_eq!(
        f.ours.probe(&web.url("/auth"), "http_2xx")["probe_success"],
        0.0
    );
    assert_eq!(
        f.ours.probe(&web.url("/auth"), "basic")["probe_success"],
        1.0
    );
    assert_eq!(
        f.ours.probe(&web.url("/auth"), "basic_wrong")["probe_success"],
        0.0
    );
    assert_eq!(
        f.ours.probe(&web.url("/auth"), "bearer")["probe_success"],
        1.0
    );
}

#[test]
fn redirects_are_followed_counted_and_bounded() {
    let web = HttpServer::start();
    let f = fixture("");
    let m = f.ours.probe(&web.url("/redirect/3"), "http_2xx");
    assert_eq!(
        (
            m["probe_success"],
            m["probe_http_redirects"],
            m["probe_http_status_code"]
        ),
        (1.0, 4.0, 200.0)
    );
    let m = f.ours.probe(&web.url("/redirect/3"), "no_follow");
    assert_eq!(
        (m["probe_success"], m["probe_http_status_code"]),
        (0.0, 302.0)
    );
    let m = f.ours.probe(&web.url("/redirect/30"), "http_2xx");
    assert_eq!(
        (
            m["probe_success"],
            m["probe_http_redirects"],
            m["probe_http_status_code"]
        ),
        (0.0, 11.0, 302.0)
    );
}

#[test]
fn slow_response_fails_at_module_timeout_with_metrics() {
    let web = HttpServer::start();
    let f = fixture("");
    let t = Instant::now();
    let m = f.ours.probe(&web.url("/slow"), "short");
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(m["probe_success"], 0.0);
    assert!(
        m.contains_key("probe_http_status_code"),
        "families still reported: {m:?}"
    );
}

#[test]
fn huge_body_is_cut_at_body_size_limit() {
    let web = HttpServer::start();
    let f = fixture("");
    let m = f.ours.probe(&web.url("/huge"), "limited");
    assert_eq!(m["probe_success"], 0.0);
    let m = f.ours.probe(&web.url("/huge"), "http_2xx");
    assert_eq!(m["probe_success"], 1.0);
    assert_eq!(m["probe_http_uncompressed_body_length"], HUGE as f64);
}

#[test]
fn body_and_header_regexes() {
    let web = HttpServer::start();
    let f = fixture("");
    let m = f.ours.probe(&web.url("/ok"), "body_regex");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_regex"]),
        (0.0, 1.0)
    );
    let m = f.ours.probe(&web.url("/ok"), "body_must");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_regex"]),
        (1.0, 0.0)
    );
    let m = f.ours.probe(&web.url("/ok"), "header_must");
    assert_eq!(m["probe_success"], 1.0);
    let m = f.ours.probe(&web.url("/ok"), "header_fail");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_regex"]),
        (0.0, 1.0)
    );
}

#[test]
fn gzip_bodies_are_measured_uncompressed() {
    let web = HttpServer::start();
    let f = fixture("");
    let m = f.ours.probe(&web.url("/gzip"), "gzip");
    assert_eq!(m["probe_success"], 1.0);
    assert_eq!(m["probe_http_uncompressed_body_length"], 10_000.0);
    assert!(m["probe_http_content_length"] < 1000.0);
}

#[test]
fn https_certificates_valid_expired_and_insecure() {
    let good = cert(2020, 2100);
    let expired = cert(2019, 2021);
    let web = HttpServer::start_tls(&good);
    let old = HttpServer::start_tls(&expired);
    let f = fixture(&good.cert_pem);
    let text = f.ours.probe_text(&web.url("/ok"), "https_ca");
    let m = parse(&text);
    assert_eq!(m["probe_success"], 1.0, "{text}");
    assert_eq!(m["probe_http_ssl"], 1.0);
    assert_eq!(m["probe_ssl_earliest_cert_expiry"], good.not_after as f64);
    assert_eq!(
        m["probe_ssl_last_chain_expiry_timestamp_seconds"],
        good.not_after as f64
    );
    assert!(
        text.contains("probe_tls_version_info{version=\"TLS 1.3\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("probe_ssl_last_chain_info{fingerprint_sha256=\""),
        "{text}"
    );
    assert!(text.contains("subject=\"CN=ferroscope test\""), "{text}");
    assert!(m["probe_http_duration_seconds{phase=\"tls\"}"] > 0.0);
    // not signed by a CA we trust
    assert_eq!(
        f.ours.probe(&old.url("/ok"), "https_ca")["probe_success"],
        0.0
    );
    assert_eq!(
        f.ours.probe(&old.url("/ok"), "http_2xx")["probe_success"],
        0.0
    );
    // insecure_skip_verify: the expired cert is accepted and its expiry reported
    let m = f.ours.probe(&old.url("/ok"), "https_insecure");
    assert_eq!(m["probe_success"], 1.0);
    assert_eq!(
        m["probe_ssl_earliest_cert_expiry"],
        expired.not_after as f64
    );
    // fail_if_not_ssl on plain http
    let plain = HttpServer::start();
    assert_eq!(
        f.ours.probe(&plain.url("/ok"), "ssl_required")["probe_success"],
        0.0
    );
}

#[test]
fn refused_and_unresolvable_targets_fail_fast() {
    let f = fixture("");
    let t = Instant::now();
    let m = f
        .ours
        .probe(&format!("http://127.0.0.1:{}/", closed_port()), "http_2xx");
    assert_eq!(m["probe_success"], 0.0);
    let m = f.ours.probe("http://does-not-exist.invalid/", "http_2xx");
    assert_eq!(m["probe_success"], 0.0);
    assert!(m.contains_key("probe_dns_lookup_time_seconds"));
    assert!(t.elapsed() < Duration::from_secs(8));
}

#[test]
fn metadata_addresses_are_refused_also_behind_redirects() {
    let web = HttpServer::start();
    let f = fixture("");
    for target in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
    ] {
        let (status, body) = get(&format!(
            "{}&debug=true",
            probe_url(&f.ours.server.url(""), target, "http_2xx")
        ));
        assert_eq!(status, 200);
        assert!(body.contains("probe_success 0"), "{target}: {body}");
        assert!(body.contains("block-metadata"), "{target}: {body}");
    }
    let (_, body) = get(&format!(
        "{}&debug=true",
        probe_url(&f.ours.server.url(""), &web.url("/metadata"), "http_2xx")
    ));
    assert!(
        body.contains("probe_success 0") && body.contains("169.254.169.254"),
        "{body}"
    );
    assert!(body.contains("probe_http_redirects 1"), "{body}");
}

#[test]
fn deny_and_allow_lists() {
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), "/nonexistent");
    let denied = start_ours(&cfg, &["--probe.deny-target", "127.0.0.0/8"]);
    assert_eq!(
        denied.probe(&web.url("/ok"), "http_2xx")["probe_success"],
        0.0
    );
    let allowed = start_ours(&cfg, &["--probe.allow-target", "127.0.0.1/32"]);
    assert_eq!(
        allowed.probe(&web.url("/ok"), "http_2xx")["probe_success"],
        1.0
    );
    assert_eq!(
        allowed.probe("http://does-not-exist.invalid/", "http_2xx")["probe_success"],
        0.0
    );
    let other = start_ours(&cfg, &["--probe.allow-target", "10.0.0.0/8"]);
    assert_eq!(
        other.probe(&web.url("/ok"), "http_2xx")["probe_success"],
        0.0
    );
}

#[test]
fn hostname_parameter_sets_host_header_and_debug_shows_the_log() {
    let web = HttpServer::start();
    let f = fixture("");
    let url = format!(
        "{}&hostname=example.test&debug=true",
        probe_url(&f.ours.server.url(""), &web.url("/ok"), "http_2xx")
    );
    let (status, body) = get(&url);
    assert_eq!(status, 200);
    assert!(body.starts_with("Logs for the probe:"), "{body}");
    let sent = web.received();
    assert_eq!(
        sent.last().and_then(|r| r.header("host")),
        Some("example.test"),
        "{sent:?}"
    );
    assert!(
        body.contains("Metrics that would have been returned:"),
        "{body}"
    );
    assert!(body.contains("Module configuration:"), "{body}");
    let url = format!(
        "{}&hostname=b.example",
        probe_url(&f.ours.server.url(""), &web.url("/ok"), "with_host")
    );
    let (status, body) = get(&url);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("host header defined both"), "{body}");
    let (status, body) = get(&probe_url(&f.ours.server.url(""), &web.url("/ok"), "nope"));
    assert_eq!(status, 400);
    assert!(body.contains("Unknown module \"nope\""), "{body}");
}

#[test]
fn client_certificates_from_tls_config() {
    let server_cert = cert(2020, 2100);
    let (client_ca, client) = client_ca_and_cert();
    let web = HttpServer::start_mtls(&server_cert, &client_ca);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let (ca, crt, key) = (
        p("ca.pem", &server_cert.cert_pem),
        p("client.pem", &client.cert_pem),
        p("client.key", &client.key_pem),
    );
    let cfg = write_config(
        dir.path(),
        &format!(
            "modules:\n  mtls:\n    prober: http\n    http:\n      tls_config:\n        ca_file: {ca}\n        cert_file: {crt}\n        key_file: {key}\n  no_cert:\n    prober: http\n    timeout: 2s\n    http:\n      tls_config:\n        ca_file: {ca}\n"
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let m = ours.probe(&web.url("/ok"), "mtls");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(ours.probe(&web.url("/ok"), "no_cert")["probe_success"], 0.0);
}

#[test]
fn http2_is_negotiated_by_alpn_and_versions_are_checked() {
    let server_cert = cert(2020, 2100);
    let addr = h2_tls_server(&server_cert);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server_cert.cert_pem).expect("ca");
    let cfg = write_config(
        dir.path(),
        &format!(
            "modules:\n  h2:\n    prober: http\n    http:\n      valid_http_versions: [HTTP/2.0]\n      tls_config:\n        ca_file: {ca}\n  h1_only:\n    prober: http\n    http:\n      valid_http_versions: [HTTP/1.1]\n      tls_config:\n        ca_file: {ca}\n",
            ca = ca.display()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let url = format!("https://{addr}/");
    let m = ours.probe(&url, "h2");
    assert_eq!(
        (m["probe_success"], m["probe_http_version"]),
        (1.0, 2.0),
        "{m:?}"
    );
    assert_eq!(m["probe_http_uncompressed_body_length"], 8.0);
    assert_eq!(ours.probe(&url, "h1_only")["probe_success"], 0.0);
}
