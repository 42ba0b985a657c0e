//! The unix prober (upstream 0.28) against a unix socket server the test
//! makes, and the `query_response` keys it shares with tcp: `expect` with
//! `labels` (`probe_expect_info`), `expect_bytes`, `send`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::Duration;

use common::*;

/// Greets with a version banner and raw bytes, then answers `PING` with
/// `PONG`.
fn unix_server(path: &Path) {
    let listener = UnixListener::bind(path).expect("bind unix socket");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(mut w) = stream.try_clone() else {
                    return;
                };
                let _ = w.write_all(b"RFB 003.008 banner\n\x00\x01OK");
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
}

#[test]
fn unix_socket_dialogue_with_labels_and_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("probe.sock");
    unix_server(&socket);
    let cfg = write_config(
        dir.path(),
        r#"
modules:
  unix_ping:
    prober: unix
    timeout: 3s
    unix:
      query_response:
        - expect: "^RFB (\\d+)\\.(\\d+)"
          labels:
            - name: major
              value: "${1}"
            - name: minor
              value: "${2}"
        - expect_bytes: "\x00\x01OK"
        - send: PING
        - expect: "^PONG$"
  unix_wrong_bytes:
    prober: unix
    timeout: 3s
    unix:
      query_response:
        - expect: "^RFB"
        - expect_bytes: "NO"
  unix_connect:
    prober: unix
    timeout: 3s
"#,
    );
    let ours = start_ours(&cfg, &[]);
    let target = socket.display().to_string();
    let m = ours.probe(&target, "unix_ping");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_failed_due_to_regex"], 0.0);
    assert_eq!(m["probe_failed_due_to_bytes"], 0.0);
    assert_eq!(
        m["probe_expect_info{major=\"003\",minor=\"008\"}"], 1.0,
        "{m:?}"
    );
    assert!(
        !m.contains_key("probe_ip_protocol"),
        "a path is not resolved: {m:?}"
    );

    let m = ours.probe(&target, "unix_wrong_bytes");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_bytes"]),
        (0.0, 1.0),
        "{m:?}"
    );

    assert_eq!(ours.probe(&target, "unix_connect")["probe_success"], 1.0);
    let absent = dir.path().join("absent.sock").display().to_string();
    assert_eq!(ours.probe(&absent, "unix_connect")["probe_success"], 0.0);
}

#[test]
fn tcp_expect_bytes_and_labels() {
    let addr = banner_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        r#"
modules:
  ssh_version:
    prober: tcp
    timeout: 3s
    tcp:
      query_response:
        - expect_bytes: "SSH-2.0-"
        - expect: "^OpenSSH_([0-9.p]+)"
          labels:
            - name: version
              value: "${1}"
"#,
    );
    let ours = start_ours(&cfg, &[]);
    let m = ours.probe(&addr.to_string(), "ssh_version");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_expect_info{version=\"9.2\"}"], 1.0, "{m:?}");
}
