//! The release binary as an attacker meets it (issue: the kit fails
//! closed and cannot be starved): hostile request headers, idle
//! connections, wrong-password floods. Everything here lives in
//! exporter-kit; node-exporter is the binary that carries it.

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
        let dir = tempfile::tempdir().unwrap();
        let port = testkit::free_port();
        let mut cmd = std::process::Command::new(BIN);
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
