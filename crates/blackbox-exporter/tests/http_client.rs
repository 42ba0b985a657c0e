//! prometheus/common's client keys at probe time: oauth2 client
//! credentials against a loopback token endpoint, proxies (a recording
//! proxy and Debian's tinyproxy for CONNECT), `http_headers`, a missing
//! `ca_file`, and upstream's `compression` semantics.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

/// One request as a recording server saw it.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        if k.eq_ignore_ascii_case("content-length") {
            length = v.trim().parse().unwrap_or(0);
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        request_line: request_line.trim().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A server that records each request and answers every one with
/// `status` and `body`.
fn recording_server(status: u16, body: &'static str) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            if let Some(req) = read_request(&mut stream) {
                log.lock().expect("log").push(req);
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, seen)
}

fn seen(log: &Arc<Mutex<Vec<Seen>>>) -> Vec<Seen> {
    log.lock().expect("log").clone()
}

#[test]
fn oauth2_client_credentials_token_is_fetched_once_and_sent() {
    let (token_addr, token_log) = recording_server(
        200,
        r#"{"access_token":"s3cr3t-token","token_type":"bearer","expires_in":3600}"#,
    );
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "p@ss word\n").expect("secret");
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"
modules:
  oauth:
    prober: http
    http:
      oauth2:
        client_id: probe-client
        client_secret_file: {}
        token_url: http://{token_addr}/oauth/token
        scopes: [read, "metrics:probe"]
        endpoint_params:
          audience: blackbox
  oauth_refused:
    prober: http
    http:
      oauth2:
        client_id: probe-client
        client_secret: x
        token_url: http://127.0.0.1:{}/token
"#,
            secret_file.display(),
            closed_port()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    for _ in 0..3 {
        let m = ours.probe(&web.url("/auth"), "oauth");
        assert_eq!(m["probe_success"], 1.0, "{m:?}");
        assert_eq!(m["probe_http_status_code"], 200.0);
    }
    let requests = seen(&token_log);
    assert_eq!(requests.len(), 1, "the token is cached: {requests:?}");
    let t = &requests[0];
    assert_eq!(t.request_line, "POST /oauth/token HTTP/1.1");
    assert_eq!(
        t.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // base64("probe-client:p%40ss+word"): the client's credentials,
    // form-escaped, as Go's oauth2 sends them
    assert_eq!(
        t.header("authorization"),
        Some("Basic cHJvYmUtY2xpZW50OnAlNDBzcyt3b3Jk")
    );
    let mut form: Vec<(String, String)> = form_urlencoded::parse(t.body.as_bytes())
        .into_owned()
        .collect();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("audience".to_string(), "blackbox".to_string()),
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("scope".to_string(), "read metrics:probe".to_string()),
        ]
    );
    let sent = web.received();
    assert!(
        sent.iter()
            .all(|r| r.header("authorization") == Some("Bearer s3cr3t-token")),
        "{sent:?}"
    );

    // no token, no request to the target
    let before = web.received().len();
    let text = ours.probe_text(&web.url("/auth"), "oauth_refused");
    assert!(text.contains("probe_success 0"), "{text}");
    assert_eq!(web.received().len(), before);
}

/// A recording HTTP proxy: plain requests are answered by the proxy
/// itself (the target name need not exist), CONNECT is tunneled.
fn recording_proxy() -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
                let Some(req) = read_request(&mut client) else {
                    return;
                };
                log.lock().expect("log").push(req.clone());
                if let Some(target) = req
                    .request_line
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                {
                    let Ok(upstream) = TcpStream::connect(target) else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                        return;
                    };
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let (mut a, mut b) = (
                        client.try_clone().expect("clone"),
                        upstream.try_clone().expect("clone"),
                    );
                    let (mut c, mut u) = (client, upstream);
                    std::thread::spawn(move || std::io::copy(&mut a, &mut u));
                    let _ = std::io::copy(&mut b, &mut c);
                    return;
                }
                let body = "via proxy\n";
                let _ = write!(
                    client,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (addr, seen)
}

#[test]
fn proxy_url_carries_plain_and_tunneled_requests() {
    let (proxy, log) = recording_proxy();
    let good = cert(2020, 2100);
    let tls_web = HttpServer::start_tls(&good);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &good.cert_pem).expect("ca");
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"
modules:
  via_proxy:
    prober: http
    http:
      proxy_url: http://probe%40user:pr0xy-pass@{proxy}
      skip_resolve_phase_with_proxy: true
  via_proxy_resolving:
    prober: http
    http:
      preferred_ip_protocol: ip4
      proxy_url: http://{proxy}
  tunnel:
    prober: http
    http:
      proxy_url: http://{proxy}
      proxy_connect_header:
        X-Tunnel-Token: [tunnel-secret]
      tls_config:
        ca_file: {ca}
  no_proxy_for_loopback:
    prober: http
    http:
      proxy_url: http://127.0.0.1:{closed}
      no_proxy: example.org
"#,
            ca = ca.display(),
            closed = closed_port(),
        ),
    );
    let ours = start_ours(&cfg, &[]);

    // A name nothing resolves: with skip_resolve_phase_with_proxy the proxy
    // gets it, and the DNS-phase series are left out as upstream.
    let m = ours.probe("http://probe-target.example/health", "via_proxy");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert!(!m.contains_key("probe_ip_protocol"), "{m:?}");
    assert!(!m.contains_key("probe_dns_lookup_time_seconds"), "{m:?}");
    let plain = seen(&log).pop().expect("proxied request");
    assert_eq!(
        plain.request_line,
        "GET http://probe-target.example/health HTTP/1.1"
    );
    // base64("probe@user:pr0xy-pass")
    assert_eq!(
        plain.header("proxy-authorization"),
        Some("Basic cHJvYmVAdXNlcjpwcjB4eS1wYXNz")
    );
    assert_eq!(plain.header("host"), Some("probe-target.example"));

    // Without the skip, the target is resolved first and the proxy is
    // asked for the address, as upstream's rewritten URL.
    let web = HttpServer::start();
    let m = ours.probe(&web.url("/x"), "via_proxy_resolving");
    assert_eq!(
        (m["probe_success"], m["probe_ip_protocol"]),
        (1.0, 4.0),
        "{m:?}"
    );
    let resolved = seen(&log).pop().expect("proxied request");
    assert_eq!(
        resolved.request_line,
        format!("GET http://{}/x HTTP/1.1", web.addr)
    );
    assert!(
        web.received().is_empty(),
        "the proxy answered, not the target"
    );

    // https through a CONNECT tunnel, with proxy_connect_header
    let m = ours.probe(&tls_web.url("/ok"), "tunnel");
    assert_eq!(
        (m["probe_success"], m["probe_http_ssl"]),
        (1.0, 1.0),
        "{m:?}"
    );
    let connect = seen(&log).pop().expect("CONNECT");
    assert_eq!(
        connect.request_line,
        format!("CONNECT {} HTTP/1.1", tls_web.addr)
    );
    assert_eq!(connect.header("x-tunnel-token"), Some("tunnel-secret"));
    assert_eq!(tls_web.received().len(), 1);

    // no_proxy set: Go's rules never proxy loopback, so the dead proxy
    // is not used
    let m = ours.probe(&web.url("/ok"), "no_proxy_for_loopback");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
}

/// Debian's tinyproxy on loopback, allowing CONNECT to any port.
struct Tinyproxy {
    port: u16,
    _proc: testkit::Process,
    _dir: tempfile::TempDir,
}

fn start_tinyproxy() -> Tinyproxy {
    let bin = testkit::require_binary("tinyproxy", "tinyproxy");
    let dir = tempfile::tempdir().expect("tempdir");
    let port = testkit::free_port();
    let conf = dir.path().join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 10\nAllow 127.0.0.1\nLogLevel Info\nPidFile \"{}\"\n",
            dir.path().join("pid").display()
        ),
    )
    .expect("conf");
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("-d").arg("-c").arg(&conf);
    let mut proc = testkit::Process::spawn("tinyproxy", cmd, &dir.path().join("log"));
    proc.wait_ready(Duration::from_secs(10), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Tinyproxy {
        port,
        _proc: proc,
        _dir: dir,
    }
}

#[test]
fn https_probe_through_tinyproxy_connect() {
    let proxy = start_tinyproxy();
    let good = cert(2020, 2100);
    let tls_web = HttpServer::start_tls(&good);
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &good.cert_pem).expect("ca");
    let cfg = write_config(
        dir.path(),
        &format!(
            "modules:\n  tunnel:\n    prober: http\n    http:\n      proxy_url: http://127.0.0.1:{}\n      tls_config:\n        ca_file: {}\n",
            proxy.port,
            ca.display()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let m = ours.probe(&tls_web.url("/ok"), "tunnel");
    assert_eq!(
        (m["probe_success"], m["probe_http_ssl"]),
        (1.0, 1.0),
        "{m:?}"
    );
    assert_eq!(tls_web.received().len(), 1);
    let m = ours.probe(&web.url("/ok"), "tunnel");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    let got = web.received();
    assert_eq!(got.len(), 1);
    assert!(
        got[0]
            .header("via")
            .is_some_and(|v| v.contains("tinyproxy")),
        "went through the proxy: {got:?}"
    );
}

#[test]
fn http_headers_missing_ca_file_and_compression() {
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "from-file\n").expect("key");
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"
modules:
  headers:
    prober: http
    http:
      http_headers:
        X-Api-Key:
          values: [plain]
          secrets: [hidden]
          files: [{}]
  missing_ca:
    prober: http
    http:
      tls_config:
        ca_file: {}
  gzip:
    prober: http
    http:
      compression: gzip
  http3:
    prober: http
    http:
      enable_http3: true
      enable_http2: false
      valid_http_versions: ["HTTP/3.0"]
"#,
            key_file.display(),
            dir.path().join("absent.pem").display()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let m = ours.probe(&web.url("/ok"), "headers");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    let keys: Vec<String> = web
        .received()
        .iter()
        .flat_map(|r| r.headers.clone())
        .filter(|(k, _)| k == "x-api-key")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(keys, ["plain", "hidden", "from-file"]);

    // upstream builds its client (and reads ca_file) before the request,
    // whatever the scheme
    let before = web.received().len();
    let text = get(&format!(
        "{}&debug=true",
        probe_url(&ours.server.url(""), &web.url("/ok"), "missing_ca")
    ))
    .1;
    assert!(text.contains("probe_success 0"), "{text}");
    assert!(text.contains("absent.pem"), "{text}");
    assert_eq!(web.received().len(), before, "no request was made");

    // compression: the body is decoded with the configured algorithm; one
    // that does not decode fails the probe
    let m = ours.probe(&web.url("/gzip"), "gzip");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_http_uncompressed_body_length"], 10_000.0);
    let m = ours.probe(&web.url("/ok"), "gzip");
    assert_eq!(m["probe_success"], 0.0, "a plain body is not gzip: {m:?}");

    // no QUIC client: an HTTP/3 module fails, saying so, and never
    // probes over HTTP/1.1 instead
    let before = web.received().len();
    let text = get(&format!(
        "{}&debug=true",
        probe_url(&ours.server.url(""), &web.url("/ok"), "http3")
    ))
    .1;
    assert!(text.contains("probe_success 0"), "{text}");
    assert!(text.contains("HTTP/3 is not supported"), "{text}");
    assert_eq!(web.received().len(), before);
}

#[test]
fn cel_checks_on_the_json_body() {
    let (json, _) = recording_server(200, r#"{"foo":"bar","baz":"qux","items":[1,2,3]}"#);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        r#"
modules:
  must_match:
    prober: http
    http:
      fail_if_body_json_not_matches_cel: "body.foo == 'bar' && body.baz.startsWith('q')"
  must_not_match:
    prober: http
    http:
      fail_if_body_json_matches_cel: "body.items.exists(i, i == 3)"
  plain:
    prober: http
"#,
    );
    let ours = start_ours(&cfg, &[]);
    let target = format!("http://{json}/");
    let m = ours.probe(&target, "must_match");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_cel"]),
        (1.0, 0.0),
        "{m:?}"
    );
    let m = ours.probe(&target, "must_not_match");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_cel"]),
        (0.0, 1.0),
        "{m:?}"
    );
    // upstream registers the family only for modules with a CEL check
    let m = ours.probe(&target, "plain");
    assert!(!m.contains_key("probe_failed_due_to_cel"), "{m:?}");
    // a body that is not JSON fails the check
    let web = HttpServer::start();
    let m = ours.probe(&web.url("/ok"), "must_match");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_cel"]),
        (0.0, 1.0)
    );
}

/// proxy_from_environment: the binary started with HTTP_PROXY / NO_PROXY
/// (a separate process, so the environment is its own).
#[test]
fn proxy_from_environment_follows_http_proxy_and_no_proxy() {
    let (proxy, log) = recording_proxy();
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        "modules:\n  env_proxy:\n    prober: http\n    timeout: 3s\n    http:\n      proxy_from_environment: true\n      skip_resolve_phase_with_proxy: true\n",
    );
    let port = testkit::free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_blackbox-exporter"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", cfg.display()))
        .env("HTTP_PROXY", format!("http://{proxy}"))
        .env("NO_PROXY", "excluded.example")
        .env_remove("http_proxy")
        .env_remove("no_proxy");
    let mut process = testkit::Process::spawn("blackbox-exporter", cmd, &dir.path().join("log"));
    let base = format!("http://127.0.0.1:{port}");
    process.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(format!("{base}/-/healthy"))
            .send()
            .is_ok()
    });
    let probe = |target: &str| {
        let body = get(&probe_url(&base, target, "env_proxy")).1;
        body.lines()
            .find_map(|l| l.strip_prefix("probe_success "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no probe_success in {body}"))
    };
    assert_eq!(probe("http://probe-target.example/env"), "1");
    let proxied = seen(&log);
    assert_eq!(proxied.len(), 1, "{proxied:?}");
    assert_eq!(
        proxied[0].request_line,
        "GET http://probe-target.example/env HTTP/1.1"
    );
    // NO_PROXY: dialled directly, and the name resolves nowhere
    assert_eq!(probe("http://excluded.example/"), "0");
    // Go never proxies loopback from the environment
    assert_eq!(probe(&web.url("/ok")), "1");
    assert_eq!(web.received().len(), 1);
    assert_eq!(seen(&log).len(), 1, "only the first went through the proxy");
}
