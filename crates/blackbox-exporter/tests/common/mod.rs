//! Servers the tests make on loopback (HTTP, HTTPS, a TCP banner server),
//! our exporter in-process and Debian's upstream exporter side by side.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use blackbox_exporter::{COLLECTORS, SPEC, State};
use exporter_kit::Exporter;
use exporter_kit::testing::{TestServer, local_args};

pub const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
pub const HUGE: usize = 20 * 1024 * 1024;

/// A small HTTP/1.1 server, one thread per connection, `Connection: close`.
pub struct HttpServer {
    pub addr: SocketAddr,
    pub tls: bool,
    /// Every request received: its path and its headers (lower-case names).
    pub requests: Arc<Mutex<Vec<Received>>>,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Cert {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub not_after: i64,
}

/// A self-signed certificate for 127.0.0.1 and localhost, valid
/// `[from, to]` (years).
pub fn cert(from: i32, to: i32) -> Cert {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("cert params");
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(to, 1, 1);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ferroscope test");
    let not_after = params.not_after.unix_timestamp();
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    Cert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
        key_der: key.serialize_der(),
        not_after,
    }
}

/// A CA and a client certificate it issued (cert/key PEM of the client).
pub fn client_ca_and_cert() -> (Cert, Cert) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ferroscope test client CA");
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let mut params =
        rcgen::CertificateParams::new(vec!["probe.client".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "probe client");
    let not_after = params.not_after.unix_timestamp();
    let key = rcgen::KeyPair::generate().expect("key");
    let leaf = params.signed_by(&key, &ca, &ca_key).expect("signed");
    (
        Cert {
            cert_pem: ca.pem(),
            key_pem: ca_key.serialize_pem(),
            der: ca.der().to_vec(),
            key_der: ca_key.serialize_der(),
            not_after: 0,
        },
        Cert {
            cert_pem: leaf.pem(),
            key_pem: key.serialize_pem(),
            der: leaf.der().to_vec(),
            key_der: key.serialize_der(),
            not_after,
        },
    )
}

fn route(path: &str, authorization: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let h = |k: &str, v: &str| (k.to_string(), v.to_string());
    if path == "/auth" {
        let ok =
            authorization == "Basic cHJvYmU6aHVudGVyMg==" || authorization == "Bearer s3cr3t-token";
        return (if ok { 200 } else { 401 }, vec![], b"auth\n".to_vec());
    }
    if let Some(query) = path.strip_prefix("/goto?") {
        let to = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "to")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        return (302, vec![h("Location", &to)], Vec::new());
    }
    if let Some(n) = path.strip_prefix("/redirect/") {
        let n: u32 = n.parse().unwrap_or(0);
        let loc = if n == 0 {
            "/ok".to_string()
        } else {
            format!("/redirect/{}", n - 1)
        };
        return (302, vec![h("Location", &loc)], Vec::new());
    }
    if let Some(code) = path.strip_prefix("/status/") {
        return (code.parse().unwrap_or(500), vec![], b"status\n".to_vec());
    }
    match path {
        "/slow" => {
            std::thread::sleep(Duration::from_secs(4));
            (200, vec![], b"late\n".to_vec())
        }
        "/huge" => (200, vec![], vec![b'x'; HUGE]),
        "/metadata" => (
            302,
            vec![h("Location", "http://169.254.169.254/latest/meta-data/")],
            Vec::new(),
        ),
        "/gzip" => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&vec![b'a'; 10_000]).expect("gzip");
            (
                200,
                vec![h("Content-Encoding", "gzip")],
                enc.finish().expect("gzip"),
            )
        }
        _ => (
            200,
            vec![
                h("Last-Modified", LAST_MODIFIED),
                h("X-Version", "build-42"),
            ],
            b"hello world: all systems nominal\n".to_vec(),
        ),
    }
}

fn serve_one(mut s: impl Read + Write, requests: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(&mut s);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut content_length = 0usize;
    let mut authorization = String::new();
    let mut received = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            received.push((k.to_ascii_lowercase(), v.trim().to_string()));
            if k.eq_ignore_ascii_case("content-length") {
                content_length = v.trim().parse().unwrap_or(0);
            }
            if k.eq_ignore_ascii_case("authorization") {
                authorization = v.trim().to_string();
            }
        }
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);
    drop(reader);
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    if let Ok(mut log) = requests.lock() {
        log.push(Received {
            path: path.clone(),
            headers: received,
        });
    }
    let (status, headers, body) = route(&path, &authorization);
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    if s.write_all(head.as_bytes()).is_err() {
        return;
    }
    for chunk in body.chunks(64 * 1024) {
        if s.write_all(chunk).is_err() {
            return;
        }
    }
    let _ = s.flush();
}

impl HttpServer {
    pub fn start() -> HttpServer {
        Self::start_inner(None)
    }

    /// Plain HTTP on another loopback address, e.g. `127.0.0.2`.
    pub fn start_on(ip: &str) -> HttpServer {
        Self::start_inner_on(ip, None)
    }

    pub fn received(&self) -> Vec<Received> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn start_tls(cert: &Cert) -> HttpServer {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der.clone().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into()),
        )
        .expect("server cert");
        Self::start_inner(Some(Arc::new(config)))
    }

    /// HTTPS that requires a client certificate issued by `client_ca`.
    pub fn start_mtls(cert: &Cert, client_ca: &Cert) -> HttpServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(client_ca.der.clone().into()).expect("client CA");
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .expect("client verifier");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![cert.der.clone().into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into()),
            )
            .expect("server cert");
        Self::start_inner(Some(Arc::new(config)))
    }

    fn start_inner(tls: Option<Arc<rustls::ServerConfig>>) -> HttpServer {
        Self::start_inner_on("127.0.0.1", tls)
    }

    fn start_inner_on(ip: &str, tls: Option<Arc<rustls::ServerConfig>>) -> HttpServer {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let is_tls = tls.is_some();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tls = tls.clone();
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    match tls {
                        Some(cfg) => {
                            let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            let mut s = rustls::StreamOwned::new(conn, stream);
                            serve_one(&mut s, &log);
                            s.conn.send_close_notify();
                            let _ = s.flush();
                        }
                        None => serve_one(stream, &log),
                    }
                });
            }
        });
        HttpServer {
            addr,
            tls: is_tls,
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://{}{}",
            if self.tls { "https" } else { "http" },
            self.addr,
            path
        )
    }
}

/// A TCP server that greets with a banner, then answers `PING` with `PONG`.
pub fn banner_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut w = match stream.try_clone() {
                    Ok(w) => w,
                    Err(_) => return,
                };
                let _ = w.write_all(b"SSH-2.0-OpenSSH_9.2 ferroscope\r\n");
                let mut r = BufReader::new(stream);
                let mut line = String::new();
                while r.read_line(&mut line).unwrap_or(0) > 0 {
                    if line.trim() == "PING" {
                        let _ = w.write_all(b"PONG\n");
                    }
                    line.clear();
                }
            });
        }
    });
    addr
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let p = l.local_addr().expect("addr").port();
    drop(l);
    p
}

pub fn write_config(dir: &Path, yaml: &str) -> PathBuf {
    let path = dir.join("blackbox.yml");
    std::fs::write(&path, yaml).expect("write config");
    path
}

/// Our exporter, in-process, on an ephemeral port.
pub struct Ours {
    pub server: TestServer,
    pub state: Arc<State>,
}

pub fn start_ours(config: &Path, extra: &[&str]) -> Ours {
    let mut argv = vec![
        "blackbox-exporter".to_string(),
        "--config.file".into(),
        config.display().to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags");
    let (state, registry) = State::new(&cli.args).expect("config loads");
    let st = state.clone();
    let server = TestServer::start(local_args(), move || {
        let mut e = Exporter::new(SPEC);
        blackbox_exporter::install(st, registry, &mut e);
        e
    })
    .expect("server starts");
    Ours { server, state }
}

pub fn get(url: &str) -> (u16, String) {
    let resp = testkit::http()
        .get(url)
        .header("X-Prometheus-Scrape-Timeout-Seconds", "10")
        .send()
        .expect("request");
    (resp.status().as_u16(), resp.text().unwrap_or_default())
}

pub fn probe_url(base: &str, target: &str, module: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("target", target)
        .append_pair("module", module)
        .finish();
    format!("{base}/probe?{q}")
}

/// `name{labels}` -> value, from a text exposition.
pub fn parse(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

impl Ours {
    pub fn probe(&self, target: &str, module: &str) -> BTreeMap<String, f64> {
        let (status, body) = get(&probe_url(&self.server.url(""), target, module));
        assert_eq!(status, 200, "probe answered {status}: {body}");
        parse(&body)
    }
    pub fn probe_text(&self, target: &str, module: &str) -> String {
        get(&probe_url(&self.server.url(""), target, module)).1
    }
}

/// Debian's prometheus-blackbox-exporter on the same config.
pub struct Upstream {
    pub port: u16,
    _proc: testkit::Process,
    _dir: tempfile::TempDir,
}

pub fn start_upstream(config: &Path) -> Upstream {
    let bin = testkit::require("prometheus-blackbox-exporter");
    let port = testkit::free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(bin);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut proc = testkit::Process::spawn("blackbox-upstream", cmd, &dir.path().join("log"));
    proc.wait_ready(Duration::from_secs(10), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Upstream {
        port,
        _proc: proc,
        _dir: dir,
    }
}

impl Upstream {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// shared/tools/metrics-compat, found beside the checkout.
pub fn metrics_compat() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        let p = dir.join("shared/tools/metrics-compat");
        if p.exists() {
            return p;
        }
    }
    panic!("shared/tools/metrics-compat not found beside the checkout");
}

/// An authoritative DNS server for the tests, UDP and TCP on one port:
/// `example.test` A 127.0.0.1 (with NS and glue), `soa.test` SOA serial
/// 2026112501, everything else NXDOMAIN.
pub fn dns_server() -> SocketAddr {
    let (udp, tcp) = loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            break (udp, tcp);
        }
    };
    let addr = udp.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buf) {
            if let Some(resp) = dns_answer(&buf[..n]) {
                let _ = udp.send_to(&resp, peer);
            }
        }
    });
    std::thread::spawn(move || {
        for mut s in tcp.incoming().flatten() {
            let mut len = [0u8; 2];
            if s.read_exact(&mut len).is_err() {
                continue;
            }
            let mut q = vec![0; u16::from_be_bytes(len) as usize];
            if s.read_exact(&mut q).is_err() {
                continue;
            }
            if let Some(resp) = dns_answer(&q) {
                let mut out = (resp.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&resp);
                let _ = s.write_all(&out);
            }
        }
    });
    addr
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in name.trim_end_matches('.').split('.') {
        v.push(l.len() as u8);
        v.extend_from_slice(l.as_bytes());
    }
    v.push(0);
    v
}

fn rr(name: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
    v
}

type Rrs = Vec<Vec<u8>>;

fn dns_answer(q: &[u8]) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    // the question: name labels then type and class
    let mut i = 12;
    let mut labels = Vec::new();
    while *q.get(i)? != 0 {
        let l = q[i] as usize;
        labels.push(String::from_utf8_lossy(q.get(i + 1..i + 1 + l)?).to_lowercase());
        i += 1 + l;
    }
    let question = q.get(12..i + 5)?;
    let qname = labels.join(".");
    let ptr = [0xc0u8, 0x0c];
    let (rcode, an, ns, ar): (u16, Rrs, Rrs, Rrs) = match qname.as_str() {
        "example.test" => (
            0,
            vec![rr(&ptr, 1, 300, &[127, 0, 0, 1])],
            vec![rr(&ptr, 2, 300, &dns_name("ns1.example.test"))],
            vec![rr(&dns_name("ns1.example.test"), 1, 300, &[127, 0, 0, 53])],
        ),
        "soa.test" => {
            let mut rd = dns_name("ns1.soa.test");
            rd.extend(dns_name("hostmaster.soa.test"));
            for n in [2_026_112_501u32, 7200, 3600, 1_209_600, 300] {
                rd.extend_from_slice(&n.to_be_bytes());
            }
            (0, vec![rr(&ptr, 6, 300, &rd)], vec![], vec![])
        }
        _ => (3, vec![], vec![], vec![]),
    };
    let mut out = q[..2].to_vec();
    let flags: u16 = 0x8400 | (u16::from_be_bytes([q[2], q[3]]) & 0x0100) | rcode;
    out.extend_from_slice(&flags.to_be_bytes());
    for c in [1, an.len(), ns.len(), ar.len()] {
        out.extend_from_slice(&(c as u16).to_be_bytes());
    }
    out.extend_from_slice(question);
    for r in an.iter().chain(&ns).chain(&ar) {
        out.extend_from_slice(r);
    }
    Some(out)
}

/// A gRPC health server (h2c): `""` SERVING, `"down"` NOT_SERVING, any
/// other service NOT_FOUND (grpc-status 5), as grpc-go's health server.
pub fn grpc_health_server() -> SocketAddr {
    use http_body_util::{BodyExt, Full};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |req: hyper::Request<hyper::body::Incoming>| async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|c| c.to_bytes())
                                .unwrap_or_default();
                            let service = if body.len() > 7 {
                                String::from_utf8_lossy(&body[7..]).into_owned()
                            } else {
                                String::new()
                            };
                            let status: Option<u8> = match service.as_str() {
                                "" => Some(1),
                                "down" => Some(2),
                                _ => None,
                            };
                            let mut trailers = hyper::HeaderMap::new();
                            let resp = match status {
                                Some(s) => {
                                    trailers.insert(
                                        "grpc-status",
                                        hyper::header::HeaderValue::from_static("0"),
                                    );
                                    let data = bytes::Bytes::from(vec![0, 0, 0, 0, 2, 0x08, s]);
                                    hyper::Response::builder()
                                        .header("content-type", "application/grpc")
                                        .body(
                                            Full::new(data)
                                                .with_trailers(async move { Some(Ok(trailers)) })
                                                .boxed(),
                                        )
                                }
                                None => hyper::Response::builder()
                                    .header("content-type", "application/grpc")
                                    .header("grpc-status", "5")
                                    .header("grpc-message", "unknown service")
                                    .body(Full::new(bytes::Bytes::new()).boxed()),
                            };
                            Ok::<_, std::convert::Infallible>(resp.expect("response"))
                        },
                    );
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
                });
            }
        });
    });
    addr
}

/// A TCP server that writes one line and closes.
pub fn greet_and_close_server(line: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(line);
        }
    });
    addr
}

/// HTTPS that speaks only HTTP/2 (ALPN h2).
pub fn h2_tls_server(cert: &Cert) -> SocketAddr {
    use http_body_util::Full;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der.clone().into()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into()),
    )
    .expect("server cert");
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        |_req: hyper::Request<hyper::body::Incoming>| async {
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                bytes::Bytes::from_static(b"over h2\n"),
                            )))
                        },
                    );
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
    });
    addr
}
