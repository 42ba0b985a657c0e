//! The HTTP side as a user meets it: web config (TLS, mTLS, basic auth,
//! headers), the concurrency limit, negotiation and gzip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use common::*;
use exporter_kit::testing::{TestServer, local_args};
use exporter_kit::{AnyCollector, Desc, Exporter};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

struct Pki {
    ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

struct Leaf {
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ferroscope test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            ca,
            ca_key,
        }
    }

    fn leaf(&self, names: &[&str]) -> Leaf {
        let params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn server_with_config(
    dir: &Path,
    config: &str,
) -> Result<TestServer, exporter_kit::http::ServeError> {
    write(dir, "web.yml", config);
    let mut args = local_args();
    args.web_config_file = Some(dir.join("web.yml"));
    TestServer::start(args, known_exporter)
}

fn tls_client(ca_pem: &str, identity: Option<&Leaf>) -> reqwest::blocking::Client {
    let mut builder = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10));
    if let Some(leaf) = identity {
        let pem = format!("{}{}", leaf.cert_pem, leaf.key_pem);
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn https(server: &TestServer, path: &str) -> String {
    format!("https://localhost:{}{}", server.addr.port(), path)
}

#[test]
fn tls_serves_and_rotates_certificates_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    write(dir.path(), "server.crt", &leaf.cert_pem);
    write(dir.path(), "server.key", &leaf.key_pem);
    let server = server_with_config(
        dir.path(),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n",
    )
    .unwrap();
    let body = tls_client(&pki.ca_pem, None)
        .get(https(&server, "/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(sample(&body, "kit_test_events_total"), Some(7.0));
    // Plain HTTP on a TLS port gets nothing useful.
    assert!(
        testkit::http()
            .get(server.url("/metrics"))
            .send()
            .map(|r| r.status() != 200)
            .unwrap_or(true)
    );

    // Rotate to a certificate from another CA: new connections get it.
    let other = Pki::new();
    let rotated = other.leaf(&["localhost"]);
    write(dir.path(), "server.crt", &rotated.cert_pem);
    write(dir.path(), "server.key", &rotated.key_pem);
    let ok = testkit::wait_until(Duration::from_secs(5), || {
        tls_client(&other.ca_pem, None)
            .get(https(&server, "/metrics"))
            .send()
            .is_ok()
    });
    assert!(ok, "the rotated certificate was not picked up");
    assert!(
        tls_client(&pki.ca_pem, None)
            .get(https(&server, "/metrics"))
            .send()
            .is_err()
    );

    // A broken rewrite keeps the last good configuration.
    write(dir.path(), "server.key", "not a key");
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        tls_client(&other.ca_pem, None)
            .get(https(&server, "/metrics"))
            .send()
            .is_ok()
    );
}

#[test]
fn mutual_tls_rejects_clients_without_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let client_leaf = pki.leaf(&["client"]);
    write(dir.path(), "server.crt", &leaf.cert_pem);
    write(dir.path(), "server.key", &leaf.key_pem);
    write(dir.path(), "ca.crt", &pki.ca_pem);
    let server = server_with_config(
        dir.path(),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
    )
    .unwrap();
    assert!(
        tls_client(&pki.ca_pem, None)
            .get(https(&server, "/metrics"))
            .send()
            .is_err(),
        "client without a certificate was served"
    );
    let stranger = Pki::new().leaf(&["client"]);
    assert!(
        tls_client(&pki.ca_pem, Some(&stranger))
            .get(https(&server, "/metrics"))
            .send()
            .is_err(),
        "client certificate from another CA was accepted"
    );
    let resp = tls_client(&pki.ca_pem, Some(&client_leaf))
        .get(https(&server, "/metrics"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn basic_auth_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let server = server_with_config(
        dir.path(),
        &format!(
            "basic_auth_users:\n  prometheus: {hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n"
        ),
    )
    .unwrap();
    let client = testkit::http();
    let resp = client.get(server.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Basic");
    assert_eq!(resp.headers()["x-frame-options"], "deny");
    let resp = client
        .get(server.url("/metrics"))
        .basic_auth("prometheus", Some("wrong"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client
        .get(server.url("/metrics"))
        .basic_auth("nobody", Some("s3cret"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    for _ in 0..2 {
        // The second time comes from the cache of verified credentials.
        let resp = client
            .get(server.url("/metrics"))
            .basic_auth("prometheus", Some("s3cret"))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-frame-options"], "deny");
        assert_eq!(
            resp.headers()["strict-transport-security"],
            "max-age=31536000"
        );
    }
    // The right password cached must not let a wrong one in.
    let resp = client
        .get(server.url("/metrics"))
        .basic_auth("prometheus", Some("s3cret "))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Every route is protected, the landing page too.
    assert_eq!(client.get(server.url("/")).send().unwrap().status(), 401);
}

#[test]
fn malformed_web_configs_are_clear_startup_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
            "missing.crt",
        ),
        ("basic_auth_users:\n  a: plaintext\n", "not a bcrypt hash"),
        ("unknown_key: 1\n", "unknown field"),
        ("tls_server_config: [\n", "yaml"),
        (
            "http_server_config:\n  headers:\n    Content-Type: text/html\n",
            "can not be configured",
        ),
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS99\n",
            "",
        ),
    ];
    for (config, want) in cases {
        let err = match server_with_config(dir.path(), config) {
            Ok(_) => panic!("config accepted: {config}"),
            Err(err) => err.to_string(),
        };
        assert!(
            err.contains("web.yml"),
            "error does not name the file: {err}"
        );
        assert!(
            err.contains(want),
            "error for {config:?} does not say {want:?}: {err}"
        );
    }
}

#[test]
fn max_requests_answers_503_beyond_the_limit() {
    let mut args = local_args();
    args.max_requests = 1;
    let gate = Gate::default();
    let held = gate.clone();
    let server = TestServer::start(args, move || {
        let mut e = Exporter::new(SPEC);
        e.collector(
            "slow",
            AnyCollector::blocking(Gated {
                gate: held,
                desc: Desc::gauge("kit_test_slow", "", &[]),
            }),
        );
        e
    })
    .unwrap();
    let url = server.url("/metrics");
    let first = std::thread::spawn(move || {
        testkit::http()
            .get(url)
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    });
    // The first scrape holds the only slot until the gate opens.
    assert!(gate.wait_entered(1), "the first scrape never started");
    let second = testkit::http().get(server.url("/metrics")).send().unwrap();
    assert_eq!(second.status(), 503);
    gate.open();
    assert_eq!(first.join().unwrap(), 200);
    // Health stays outside the limit.
    assert_eq!(
        testkit::http()
            .get(server.url("/-/healthy"))
            .send()
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn negotiation_gzip_and_routes() {
    let server = TestServer::start(local_args(), known_exporter).unwrap();
    let client = reqwest::blocking::Client::builder()
        .no_gzip()
        .build()
        .unwrap();
    let get = |accept: &str| {
        client
            .get(server.url("/metrics"))
            .header("Accept", accept)
            .send()
            .unwrap()
    };
    let text = get("application/json");
    assert_eq!(
        text.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(
        text.text()
            .unwrap()
            .contains("# TYPE kit_test_events_total counter")
    );
    let om = get("application/openmetrics-text;version=1.0.0");
    assert!(
        om.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(om.text().unwrap().ends_with("# EOF\n"));
    let pb = get(
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
    );
    assert!(
        pb.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.google.protobuf")
    );

    let gz = client
        .get(server.url("/metrics"))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut body = String::new();
    flate2::read::GzDecoder::new(&gz.bytes().unwrap()[..])
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(sample(&body, "kit_test_events_total"), Some(7.0));
    let plain = client
        .get(server.url("/metrics"))
        .header("Accept-Encoding", "gzip;q=0, identity")
        .send()
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());

    let landing = client.get(server.url("/")).send().unwrap();
    assert_eq!(landing.status(), 200);
    let html = landing.text().unwrap();
    assert!(
        html.contains("href=\"/metrics\"") && html.contains("<li>known</li>"),
        "{html}"
    );
    assert_eq!(
        client.get(server.url("/-/ready")).send().unwrap().status(),
        200
    );
    assert_eq!(
        client.get(server.url("/nope")).send().unwrap().status(),
        404
    );
}

#[test]
fn several_listen_addresses_all_serve() {
    let mut args = local_args();
    args.listen_addresses = vec!["127.0.0.1:0".into(), "[::1]:0".into()];
    let server = TestServer::start(args, known_exporter).unwrap();
    assert_eq!(server.addrs.len(), 2);
    for addr in &server.addrs {
        let body = testkit::http()
            .get(format!("http://{addr}/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(sample(&body, "kit_test_events_total"), Some(7.0), "{addr}");
    }
    let mut bad = local_args();
    bad.listen_addresses = vec![":notaport".into()];
    assert!(TestServer::start(bad, known_exporter).is_err());
}

/// exporter-toolkit's own tests, case by case (web/tls_config_test.go):
/// configurations it refuses at startup, with its key words.
#[test]
fn web_configs_upstream_refuses_are_refused_with_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    write(dir.path(), "server.crt", &leaf.cert_pem);
    write(dir.path(), "server.key", &leaf.key_pem);
    write(dir.path(), "ca.crt", &pki.ca_pem);
    let tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
    let cases = [
        ("not: [valid\n", "yaml"),
        ("just some words\nmore words\n", "yaml"),
        ("tls_server_config:\n  cert_filse: server.crt\n", "yaml"),
        (
            "tls_server_config:\n  key_file: server.key\n",
            "missing one of cert or cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n",
            "missing one of key or key_file",
        ),
        (
            "tls_server_config:\n  cert: \"\"\n  key_file: server.key\n",
            "missing one of cert or cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n",
            "no such file",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: nope.key\n",
            "no such file",
        ),
        (
            &format!("{tls}  client_ca_file: ca.crt\n"),
            "client CA's have been configured without a Client Auth Policy",
        ),
        (
            &format!(
                "{tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: nope.crt\n"
            ),
            "no such file",
        ),
        (
            &format!("{tls}  client_auth_type: Sometimes\n"),
            "invalid ClientAuth",
        ),
        (
            "basic_auth_users:\n  alice: short\n",
            "hashedSecret too short to be a bcrypted password",
        ),
        (
            &format!("{tls}  cipher_suites:\n    - TLS_INVENTED_WITH_ROT13\n"),
            "unknown cipher",
        ),
        (
            &format!("{tls}  curve_preferences:\n    - CurveP999\n"),
            "unknown curve",
        ),
        (
            &format!("{tls}  min_version: TLS111\n"),
            "unknown TLS version",
        ),
        (
            &format!(
                "{tls}  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  max_version: TLS12\n"
            ),
            "HTTP/2-required",
        ),
        (
            "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
            "invalid value for",
        ),
        (
            "http_server_config:\n  headers:\n    X-Frame-Options: foo\n",
            "invalid value for",
        ),
        (
            "http_server_config:\n  headers:\n    Server: ferroscope\n",
            "can not be configured",
        ),
        (
            &format!("{tls}  client_allowed_sans: [a]\n"),
            "client_allowed_sans",
        ),
    ];
    for (config, want) in cases {
        let err = match server_with_config(dir.path(), config) {
            Ok(_) => panic!("config accepted: {config}"),
            Err(err) => err.to_string(),
        };
        assert!(
            err.contains("web.yml"),
            "error does not name the file: {err}"
        );
        assert!(
            err.contains(want),
            "error for {config:?} does not say {want:?}: {err}"
        );
    }
    let err = {
        let mut args = local_args();
        args.web_config_file = Some(dir.path().join("somefile"));
        TestServer::start(args, known_exporter)
            .err()
            .unwrap()
            .to_string()
    };
    assert!(err.contains("no such file"), "{err}");
}

/// ... and configurations it accepts, served as it serves them.
#[test]
fn web_configs_upstream_accepts_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    write(dir.path(), "server.crt", &leaf.cert_pem);
    write(dir.path(), "server.key", &leaf.key_pem);
    let tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
    let status = |server: &TestServer, client: &reqwest::blocking::Client| {
        client
            .get(https(server, "/metrics"))
            .send()
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{e:?}"))
    };
    // Verification without client_ca_file uses the system roots, as Go.
    for config in [
        format!("{tls}  client_auth_type: VerifyClientCertIfGiven\n"),
        format!(
            "{tls}  client_auth_type: VerifyClientCertIfGiven\n  cipher_suites:\n{}",
            [
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            ]
            .map(|s| format!("    - {s}\n"))
            .concat()
        ),
        format!("{tls}  curve_preferences: [CurveP256, CurveP384, CurveP521, X25519]\n"),
        format!(
            "{tls}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  min_version: TLS12\n  max_version: TLS12\n"
        ),
        format!("{tls}http_server_config:\n  http2: false\n"),
        format!(
            "{tls}http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n    X-Content-Type-Options: nosniff\n    Content-Security-Policy: default-src 'self'\n    X-XSS-Protection: 1; mode=block\n    Strict-Transport-Security: max-age=31536000\n"
        ),
        "rate_limit:\n  interval: 0\n  burst: 0\n".to_string(),
    ] {
        let server = server_with_config(dir.path(), &config)
            .unwrap_or_else(|e| panic!("refused {config}: {e}"));
        if config.starts_with("tls_server_config") {
            assert_eq!(
                status(&server, &tls_client(&pki.ca_pem, None)),
                Ok(200),
                "{config}"
            );
        } else {
            let resp = testkit::http().get(server.url("/metrics")).send().unwrap();
            assert_eq!(resp.status(), 200, "{config}");
        }
    }
}

#[test]
fn client_allowed_sans_refuses_other_client_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    write(dir.path(), "server.crt", &leaf.cert_pem);
    write(dir.path(), "server.key", &leaf.key_pem);
    write(dir.path(), "ca.crt", &pki.ca_pem);
    let server = server_with_config(
        dir.path(),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [one, test3, two]\n",
    )
    .unwrap();
    let allowed = pki.leaf(&["test3"]);
    let other = pki.leaf(&["bad"]);
    let resp = tls_client(&pki.ca_pem, Some(&allowed))
        .get(https(&server, "/metrics"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        tls_client(&pki.ca_pem, Some(&other))
            .get(https(&server, "/metrics"))
            .send()
            .is_err(),
        "a client certificate without an allowed SAN was accepted"
    );
}

#[test]
fn rate_limit_answers_429() {
    let dir = tempfile::tempdir().unwrap();
    // A burst of 2 and one token an hour: the third request is refused.
    let server =
        server_with_config(dir.path(), "rate_limit:\n  interval: 1h\n  burst: 2\n").unwrap();
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            testkit::http()
                .get(server.url("/metrics"))
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    // upstream's one-second case: a burst of 0 refuses everything.
    let zero =
        server_with_config(dir.path(), "rate_limit:\n  interval: \"1s\"\n  burst: 0\n").unwrap();
    let resp = testkit::http().get(zero.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.text().unwrap().contains("Too Many Requests"));
}

/// The telemetry handler counts itself as client_golang's
/// `promhttp.InstrumentMetricHandler` does: a scrape sees itself in
/// flight, is counted by status once served, and 503s are counted too.
#[test]
fn promhttp_handler_metrics_count_scrapes_as_upstream() {
    const INSTRUMENTED: exporter_kit::Spec = exporter_kit::Spec {
        promhttp: exporter_kit::spec::PromHttp::InstrumentedWithErrors,
        ..SPEC
    };
    let mut args = local_args();
    args.max_requests = 1;
    let gate = Gate::default();
    let held = gate.clone();
    let server = TestServer::start(args, move || {
        let mut e = Exporter::new(INSTRUMENTED);
        e.collector(
            "slow",
            AnyCollector::blocking(Gated {
                gate: held,
                desc: Desc::gauge("kit_test_slow", "", &[]),
            }),
        );
        e
    })
    .unwrap();
    let scrape = || {
        testkit::http()
            .get(server.url("/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    gate.open();
    let first = scrape();
    assert_eq!(
        sample(&first, "promhttp_metric_handler_requests_in_flight "),
        Some(1.0),
        "{first}"
    );
    for code in ["200", "500", "503"] {
        let line = format!("promhttp_metric_handler_requests_total{{code=\"{code}\"}} ");
        assert_eq!(sample(&first, &line), Some(0.0), "{first}");
    }
    for cause in ["encoding", "gathering"] {
        let line = format!("promhttp_metric_handler_errors_total{{cause=\"{cause}\"}} ");
        assert_eq!(sample(&first, &line), Some(0.0), "{first}");
    }
    assert!(first.contains("# TYPE promhttp_metric_handler_requests_total counter"));

    // One scrape holds the only slot: the next is answered 503 and counted.
    gate.close();
    let url = server.url("/metrics");
    let held_scrape = std::thread::spawn(move || testkit::http().get(url).send().is_ok());
    assert!(gate.wait_entered(2), "the held scrape never started");
    let refused = testkit::http().get(server.url("/metrics")).send().unwrap();
    assert_eq!(refused.status(), 503);
    gate.open();
    assert!(held_scrape.join().unwrap());
    let last = scrape();
    let count = |code: &str| {
        sample(
            &last,
            &format!("promhttp_metric_handler_requests_total{{code=\"{code}\"}} "),
        )
    };
    assert_eq!(count("200"), Some(2.0), "{last}");
    assert_eq!(count("503"), Some(1.0), "{last}");
    assert_eq!(
        sample(&last, "promhttp_metric_handler_requests_in_flight "),
        Some(1.0),
        "{last}"
    );
}
