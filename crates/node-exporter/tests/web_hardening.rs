//! The release binary as an attacker meets it (issue: the kit fails
//! closed and cannot be starved): hostile request headers, idle
//! connections, wrong-password floods; and what the kit gives every
//! binary besides (socket activation, log keys, flag errors). Everything
//! here lives in exporter-kit; node-exporter is the binary that carries it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_node-exporter");

/// A running node-exporter with only a cheap collector, on a free port.
struct Node {
    process: testkit::Process,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(extra: &[&str]) -> Node {
        Node::start_limited(None, extra)
    }

    /// With `--web.config.file` holding `web_config`.
    fn with_web_config(web_config: &str) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.yml");
        std::fs::write(&path, web_config).unwrap();
        let flag = format!("--web.config.file={}", path.display());
        Node::start_in(dir, None, &[&flag])
    }

    /// Under `ulimit -n files` when given: the exporter itself, through
    /// `exec`, so the guard stops the right process.
    fn start_limited(files: Option<u32>, extra: &[&str]) -> Node {
        Node::start_in(tempfile::tempdir().unwrap(), files, extra)
    }

    fn start_in(dir: tempfile::TempDir, files: Option<u32>, extra: &[&str]) -> Node {
        let port = testkit::free_port();
        let mut cmd = match files {
            Some(n) => {
                let mut sh = std::process::Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(BIN);
                sh
            }
            None => std::process::Command::new(BIN),
        };
        cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.loadavg")
            .args(extra);
        let log = dir.path().join("log");
        let mut process = testkit::Process::spawn("node-exporter", cmd, &log);
        process.wait_ready(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Node {
            process,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    fn threads(&self) -> usize {
        let pid = self.process.pid().unwrap();
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .count()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.process.stop(Duration::from_secs(5));
    }
}

#[test]
fn huge_or_garbage_scrape_timeout_headers_get_200() {
    let node = Node::start(&[]);
    let client = testkit::http();
    for value in [
        "1e308",
        "1e19",
        "18446744073709551616",
        "inf",
        "-inf",
        "NaN",
        "-1",
        "0",
        "",
        "garbage",
    ] {
        let resp = client
            .get(node.url("/metrics"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", value)
            .send()
            .unwrap_or_else(|e| panic!("timeout {value:?}: {e}\n{}", node.log()));
        assert_eq!(resp.status(), 200, "timeout {value:?}");
        assert!(
            resp.text()
                .unwrap()
                .contains("node_scrape_collector_success{collector=\"loadavg\"} 1"),
            "timeout {value:?}"
        );
    }
    assert!(!node.log().contains("panicked"), "{}", node.log());
}

#[test]
fn accept_encoding_q_zero_gets_no_gzip() {
    let node = Node::start(&[]);
    // A raw request: HTTP clients rewrite Accept-Encoding themselves.
    let mut stream = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip; q=0.000\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(text.contains("node_load1 "), "body is not plain text");
}

/// One HTTP/1.1 request on an open connection, keeping it open; the
/// status line and body of the answer.
fn request(stream: &mut TcpStream, path: &str) -> (String, String) {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "connection closed");
        data.push(byte[0]);
    }
    let head = String::from_utf8(data).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (
        head.lines().next().unwrap().to_string(),
        String::from_utf8(body).unwrap(),
    )
}

/// Whether the server closes `stream` (EOF or reset) within a minute.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// 300 connections that send nothing, only the HTTP/2 preface or half a
/// request head, against a limit of 64 files: each is closed after the
/// header timeout, accept errors do not flood the log, a keep-alive
/// connection that finished its request is not taken for one of them,
/// and scrapes work again.
#[test]
fn silent_connections_are_closed_and_accept_errors_back_off() {
    let node = Node::start_limited(
        Some(64),
        &["--web.read-header-timeout=1s", "--web.idle-timeout=5m"],
    );
    let mut keep_alive = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    assert_eq!(request(&mut keep_alive, "/-/healthy").0, "HTTP/1.1 200 OK");

    let mut idle: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
            match i % 3 {
                0 => {}
                1 => s.write_all(H2_PREFACE).unwrap(),
                _ => s
                    .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                    .unwrap(),
            }
            s
        })
        .collect();
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(
            closed_by_server(s),
            "idle connection {i} still open\n{}",
            node.log()
        );
    }
    // Opened before all of them and idle since: the idle timeout (5m),
    // not the header timeout, applies to it.
    let (status, body) = request(&mut keep_alive, "/-/healthy");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "Healthy\n")
    );
    let resp = testkit::http().get(node.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 200);

    let log = node.log();
    let accept_lines = log.matches("accepting a connection failed").count();
    assert!(
        (1..=5).contains(&accept_lines),
        "{accept_lines} accept-error lines (want 1, then at most one per 10 s):\n{log}"
    );
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let node = Node::start(&["--web.idle-timeout=1s"]);
    let mut stream = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    assert_eq!(request(&mut stream, "/-/healthy").0, "HTTP/1.1 200 OK");
    assert!(closed_by_server(&mut stream), "{}", node.log());
}

/// upstream's dummy hash: "fakepassword" at bcrypt cost 10.
const FAKEPASSWORD_COST_10: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// 200 concurrent requests with distinct wrong passwords: bcrypt work is
/// bounded (no thread per attempt) and an authorized scraper, whose
/// credentials are cached, is answered while the flood is still queued.
#[test]
fn wrong_password_flood_does_not_starve_authorized_scrapes() {
    let node = Node::with_web_config(&format!(
        "basic_auth_users:\n  prometheus: {FAKEPASSWORD_COST_10}\n"
    ));
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let scrape = || {
        client
            .get(node.url("/metrics"))
            .basic_auth("prometheus", Some("fakepassword"))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(scrape(), 200, "{}", node.log());
    let threads_before = node.threads();

    let mut flood: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
            let auth = basic("prometheus", &format!("wrong-{i}"));
            s.write_all(
                format!("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
            s
        })
        .collect();
    // The flood has reached the server once its 200 connections are open
    // and a later request has been answered.
    assert_eq!(scrape(), 200, "authorized scrape under the flood");
    let threads_during = node.threads();

    let mut unanswered = 0;
    for s in &mut flood {
        s.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        if matches!(s.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
            unanswered += 1;
        }
    }
    assert!(
        unanswered >= 100,
        "only {unanswered} of 200 wrong-password requests were still queued when the authorized scrape was answered"
    );
    assert!(
        threads_during <= threads_before + 8,
        "bcrypt is not bounded: {threads_before} threads before the flood, {threads_during} during it"
    );
    // The refusals, when they come, are 401.
    flood[0].set_nonblocking(false).unwrap();
    flood[0]
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = [0u8; 12];
    flood[0].read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 401");
}

/// A users file with cost-18 hashes (16 s of bcrypt each) serves at once:
/// startup only checks that each hash is well formed.
#[test]
fn high_cost_hashes_do_not_delay_startup() {
    let cost_18 = FAKEPASSWORD_COST_10.replacen("$10$", "$18$", 1);
    let node = Node::with_web_config(&format!("basic_auth_users:\n  prometheus: {cost_18}\n"));
    let resp = testkit::http().get(node.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 401);
}

/// `--web.systemd-socket`: the listener comes from systemd's LISTEN_FDS,
/// passed here by systemd's own `systemd-socket-activate`.
#[test]
fn systemd_socket_activation_serves_on_the_passed_socket() {
    let activate = testkit::require("systemd-socket-activate");
    let port = testkit::free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(activate);
    cmd.arg(format!("--listen=127.0.0.1:{port}"))
        .arg(BIN)
        .args([
            "--web.systemd-socket",
            "--collector.disable-defaults",
            "--collector.loadavg",
        ]);
    let mut process = testkit::Process::spawn("node-exporter", cmd, &dir.path().join("log"));
    let url = format!("http://127.0.0.1:{port}/metrics");
    let mut body = String::new();
    process.wait_ready(Duration::from_secs(20), || {
        match testkit::http().get(&url).send().and_then(|r| r.text()) {
            Ok(text) => {
                body = text;
                true
            }
            Err(_) => false,
        }
    });
    assert!(body.contains("node_load1 "), "{body}");
    process.stop(Duration::from_secs(5));

    // Without a passed socket, startup fails with upstream's words.
    let out = std::process::Command::new(BIN)
        .arg("--web.systemd-socket")
        .env_remove("LISTEN_FDS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no socket activation file descriptors found"),
        "{stderr}"
    );
}

/// The keys of a log line in order: logfmt's `key=value` pairs or a JSON
/// object's keys as written.
fn keys(line: &str, json: bool) -> Vec<String> {
    if json {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        // serde_json's map is sorted: order the keys by where they are written.
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort_by_key(|k| line.find(&format!("\"{k}\":")));
        keys
    } else {
        line.split(' ')
            .filter_map(|pair| pair.split_once('=').map(|(k, _)| k.to_string()))
            .filter(|k| !k.is_empty() && !k.contains('"'))
            .collect()
    }
}

#[test]
fn json_and_logfmt_logs_have_upstreams_keys() {
    let mut first_keys = Vec::new();
    for format in ["logfmt", "json"] {
        let node = Node::start(&[&format!("--log.format={format}")]);
        // The socket listens a moment before the line is written.
        testkit::wait_until(Duration::from_secs(10), || node.log().contains("listening"));
        let log = node.log();
        let line = log
            .lines()
            .find(|l| l.contains("listening"))
            .unwrap_or_else(|| panic!("no listening line in {log}"));
        let keys = keys(line, format == "json");
        assert_eq!(
            &keys[..4],
            ["time", "level", "source", "msg"],
            "{format}: {line}"
        );
        assert!(keys.iter().any(|k| k == "address"), "{format}: {line}");
        if format == "json" {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["level"], "info", "{line}");
            assert_eq!(keys, first_keys, "json and logfmt keys differ");
        } else {
            first_keys = keys;
        }
    }
}

#[test]
fn a_wrong_flag_exits_1_with_a_suggestion() {
    let out = std::process::Command::new(BIN)
        .arg("--web.listen-adress=:9100")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "kingpin exits 1 on a flag error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--web.listen-address"), "{stderr}");
}
