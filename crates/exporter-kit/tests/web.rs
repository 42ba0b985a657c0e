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
        ("tls_server_config: [\n", "parsing"),
        (
            "http_server_config:\n  headers:\n    Content-Type: text/html\n",
            "cannot be set",
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
