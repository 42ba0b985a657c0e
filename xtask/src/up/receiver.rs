//! The stack's receiver: Alertmanager's console webhook and the Slack
//! stand-in (each notification printed, appended to notifications.log and
//! kept for `GET /notifications`), and the control requests `simulate`
//! and `down` send (`/control/...`).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use anyhow::Result;
use serde_json::{Value, json};

use super::Components;
use super::control::control;
use super::http::{self, Request, Response};
use super::{clock, now};

type Notifications = Arc<Mutex<Vec<Value>>>;

/// A running receiver.
pub struct Receiver {
    pub url: String,
    shutdown: mpsc::Receiver<()>,
}

impl Receiver {
    /// Serves on an ephemeral loopback port; notifications are logged to
    /// `run_dir/notifications.log`, control requests act on `components`.
    pub fn start(run_dir: &Path, components: Arc<Mutex<Option<Components>>>) -> Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let (shutdown_tx, shutdown) = mpsc::channel::<()>();
        let store: Notifications = Arc::new(Mutex::new(Vec::new()));
        let log: PathBuf = run_dir.join("notifications.log");
        let shutdown_tx = Mutex::new(shutdown_tx);
        http::serve(
            listener,
            Arc::new(move |req: Request| {
                let path = req.path.as_str();
                match (req.method.as_str(), path) {
                    ("POST", "/alerts") => receive("console", &req.body, &store, &log),
                    ("POST", "/slack") => receive("slack", &req.body, &store, &log),
                    // The Watchdog's heartbeats (the dead man's switch).
                    ("POST", "/deadmansswitch") => {
                        receive("deadmansswitch", &req.body, &store, &log)
                    }
                    ("GET", "/notifications") => {
                        let all = store.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        Response::ok(Value::Array(all).to_string())
                    }
                    ("POST", "/control/shutdown") => {
                        let _ = shutdown_tx
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .send(());
                        Response::ok("stopping\n")
                    }
                    ("POST", p) if p.starts_with("/control/") => {
                        let mut parts = p.trim_start_matches("/control/").split('/');
                        let action = parts.next().unwrap_or_default();
                        let what = parts.next().unwrap_or_default();
                        control(action, what, &components)
                    }
                    ("GET", "/healthz") => Response::ok("ok\n"),
                    _ => Response::status(404, "not found\n"),
                }
            }),
        );
        Ok(Receiver { url, shutdown })
    }

    /// Blocks until `POST /control/shutdown` (`cargo xtask down`).
    pub fn wait_for_shutdown(&self) {
        let _ = self.shutdown.recv();
    }
}

fn labels_text(labels: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(map) = labels.as_object() {
        for (k, v) in map {
            if k != "alertname" {
                parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
            }
        }
    }
    parts.join(" ")
}

/// Records and prints one webhook (console, deadmansswitch) or Slack
/// notification.
fn receive(kind: &str, body: &[u8], store: &Notifications, log: &Path) -> Response {
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return Response::status(400, "not JSON\n");
    };
    let t = now();
    let mut lines = Vec::new();
    let mut records = Vec::new();
    if kind != "slack" {
        for alert in payload["alerts"].as_array().into_iter().flatten() {
            let status = alert["status"].as_str().unwrap_or_default();
            let name = alert["labels"]["alertname"].as_str().unwrap_or_default();
            lines.push(format!(
                "[{}] {kind}  {:<8} {name}  {}\n           {}",
                clock(t),
                status.to_uppercase(),
                labels_text(&alert["labels"]),
                alert["annotations"]["summary"].as_str().unwrap_or_default()
            ));
            records.push(json!({
                "t": t, "receiver": kind, "status": status,
                "alertname": name, "labels": alert["labels"],
            }));
        }
    } else {
        let channel = payload["channel"].as_str().unwrap_or_default();
        for att in payload["attachments"].as_array().into_iter().flatten() {
            let title = att["title"].as_str().unwrap_or_default();
            let text = att["text"].as_str().unwrap_or_default();
            lines.push(format!(
                "[{}] slack {channel}  {title}\n           {}",
                clock(t),
                text.replace('\n', "\n           ")
            ));
            let status = if title.starts_with("[RESOLVED") {
                "resolved"
            } else {
                "firing"
            };
            records.push(json!({
                "t": t, "receiver": "slack", "channel": channel, "status": status,
                "title": title, "text": text,
            }));
        }
    }
    let text = lines.join("\n");
    println!("{text}");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(f, "{text}");
    }
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(records);
    Response::ok("ok\n")
}
