//! The websocket prober against a websocket server the test runs on
//! loopback (tokio-tungstenite): the upgrade with credentials and headers,
//! then upstream's message dialogue.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// Each upgrade request's headers.
type UpgradeLog = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// Greets with `Hello, <name>"`, expects `Hello server, i'am <name>`,
/// answers `Welcome`. Records each upgrade request's headers. Upgrades
/// only requests with the right bearer token.
// tungstenite's callback type refuses with a whole HTTP response
#[allow(clippy::result_large_err)]
fn websocket_server() -> (SocketAddr, UpgradeLog) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = std_listener.local_addr().expect("addr");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let record = |req: &Request, resp: Response| {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.to_string(), v.to_str().unwrap_or_default().to_string())
                            })
                            .collect();
                        log.lock().expect("log").push(headers);
                        let authorized = req
                            .headers()
                            .get("authorization")
                            .is_some_and(|v| v == "Bearer ws-token");
                        if authorized {
                            Ok(resp)
                        } else {
                            let mut denied = tokio_tungstenite::tungstenite::http::Response::new(
                                Some("denied".to_string()),
                            );
                            *denied.status_mut() =
                                tokio_tungstenite::tungstenite::http::StatusCode::FORBIDDEN;
                            Err(denied)
                        }
                    };
                    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, record).await
                    else {
                        return;
                    };
                    let _ = ws.send(Message::text("Hello, probe\"")).await;
                    while let Some(Ok(msg)) = ws.next().await {
                        if msg.to_text().is_ok_and(|t| t == "Hello server, i'am probe") {
                            let _ = ws.send(Message::text("Welcome")).await;
                        }
                    }
                });
            }
        });
    });
    (addr, seen)
}

#[test]
fn websocket_upgrade_and_dialogue() {
    let (addr, seen) = websocket_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        r#"
modules:
  ws_dialogue:
    prober: websocket
    timeout: 3s
    websocket:
      preferred_ip_protocol: ip4
      http_config:
        authorization:
          credentials: ws-token
      headers:
        X-Some-Header: my_header
      query_response:
        - expect: ^Hello,\s(.+)"
          send: "Hello server, i'am ${1}"
        - expect: ^Welcome
  ws_wrong_answer:
    prober: websocket
    timeout: 3s
    websocket:
      http_config:
        authorization:
          credentials: ws-token
      query_response:
        - expect: ^Goodbye
  ws_no_credentials:
    prober: websocket
    timeout: 3s
"#,
    );
    let ours = start_ours(&cfg, &[]);
    let target = format!("ws://{addr}/chat");
    let m = ours.probe(&target, "ws_dialogue");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_websocket_connection_upgraded"], 1.0);
    assert_eq!(m["probe_websocket_status_code"], 101.0);
    assert_eq!(m["probe_websocket_failed_due_to_regex"], 0.0);
    assert_eq!(m["probe_ip_protocol"], 4.0);
    for phase in ["resolve", "connect", "processing", "transfer"] {
        assert!(
            m.contains_key(&format!(
                "probe_websocket_duration_seconds{{phase=\"{phase}\"}}"
            )),
            "{phase}: {m:?}"
        );
    }
    let upgrade = seen.lock().expect("log")[0].clone();
    let header = |name: &str| {
        upgrade
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-some-header").as_deref(), Some("my_header"));
    assert_eq!(header("authorization").as_deref(), Some("Bearer ws-token"));

    let m = ours.probe(&target, "ws_wrong_answer");
    assert_eq!(
        (m["probe_success"], m["probe_websocket_failed_due_to_regex"]),
        (0.0, 1.0),
        "{m:?}"
    );

    let m = ours.probe(&target, "ws_no_credentials");
    assert_eq!(
        (
            m["probe_success"],
            m["probe_websocket_status_code"],
            m["probe_websocket_connection_upgraded"]
        ),
        (0.0, 403.0, 0.0),
        "{m:?}"
    );

    // the target policy applies as to every prober
    assert_eq!(
        ours.probe("ws://169.254.169.254/", "ws_dialogue")["probe_success"],
        0.0
    );
}
