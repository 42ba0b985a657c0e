//! alertmanager/: `amtool check-config`, and the real routing: alerts sent
//! to a real prometheus-alertmanager reach the right receivers, with local
//! HTTP endpoints standing in for Slack and the console webhook.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use stack_tests::repo_root;

#[test]
fn amtool_check_config_passes() {
    let bin = testkit::require("amtool");
    let dir = repo_root().join("alertmanager");
    let out = Command::new(bin)
        .args(["check-config", "alertmanager.yml"])
        .current_dir(&dir)
        .output()
        .expect("running amtool");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("4 receivers") && text.contains("2 inhibit rules"),
        "{text}"
    );
}

/// Requests received by the stand-in endpoints: (path, JSON body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A minimal HTTP/1.1 endpoint on loopback that records POSTed JSON and
/// answers 200, standing in for Slack and the console webhook.
fn sink() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the sink");
    let port = listener.local_addr().expect("sink address").port();
    let received: Received = Arc::default();
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Ok(mut r) = store.lock() {
                r.push((path, value));
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (port, received)
}

fn alert(name: &str, severity: &str, layer: &str, host: &str, instance: &str) -> Value {
    json!({
        "labels": {
            "alertname": name, "severity": severity, "layer": layer,
            "host": host, "instance": instance, "job": layer
        },
        "annotations": {
            "summary": format!("{name} on {instance}"),
            "description": "test alert",
            "runbook_url": format!(
                "https://github.com/ferroscope/ferroscope/blob/main/docs/runbooks.md#{}",
                name.to_lowercase()
            )
        }
    })
}

/// Alert names (`name/severity`) per receiver.
#[derive(Default)]
struct Delivered {
    console: BTreeSet<String>,
    slack: BTreeSet<String>,
    slack_bodies: Vec<Value>,
    deadmansswitch: BTreeSet<String>,
}

/// What the console webhook, the Slack payloads and the dead man's switch
/// received.
fn delivered(received: &Received) -> Delivered {
    let r = received.lock().map(|r| r.clone()).unwrap_or_default();
    let mut out = Delivered::default();
    for (path, body) in r {
        let names = |body: &Value| -> Vec<String> {
            body["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    format!(
                        "{}/{}",
                        a["labels"]["alertname"].as_str().unwrap_or(""),
                        a["labels"]["severity"].as_str().unwrap_or("")
                    )
                })
                .collect()
        };
        if path == "/deadmansswitch" {
            out.deadmansswitch.extend(names(&body));
        } else if path == "/console" {
            out.console.extend(names(&body));
        } else if path == "/slack" {
            for att in body["attachments"].as_array().into_iter().flatten() {
                let title = att["title"].as_str().unwrap_or("");
                let text = att["text"].as_str().unwrap_or("");
                for line in text.lines() {
                    // "*SEVERITY* summary"
                    if let Some(rest) = line.strip_prefix('*')
                        && let Some((sev, _)) = rest.split_once('*')
                    {
                        let name = title.split_whitespace().nth(1).unwrap_or("").to_string();
                        out.slack.insert(format!("{name}/{}", sev.to_lowercase()));
                    }
                }
            }
            out.slack_bodies.push(body);
        }
    }
    out
}

#[test]
fn alerts_reach_the_right_receivers_with_inhibition() {
    let (port, received) = sink();
    let tmp = tempfile::tempdir().expect("temp dir");
    let secret = tmp.path().join("slack-webhook-url");
    std::fs::write(&secret, format!("http://127.0.0.1:{port}/slack\n")).expect("secret");
    let root = repo_root().join("alertmanager");
    let config = std::fs::read_to_string(root.join("alertmanager.yml")).expect("config");
    // The committed config, with the endpoints pointed at the sink, the
    // template path made absolute and the waits shortened for a test.
    let config = config
        .replace(
            "http://alert-console:8080/alerts",
            &format!("http://127.0.0.1:{port}/console"),
        )
        .replace(
            "http://alert-console:8080/deadmansswitch",
            &format!("http://127.0.0.1:{port}/deadmansswitch"),
        )
        .replace(
            "/etc/alertmanager/secrets/slack-webhook-url",
            &secret.display().to_string(),
        )
        .replace(
            "templates/*.tmpl",
            &root.join("templates/*.tmpl").display().to_string(),
        )
        .replace("group_wait: 30s", "group_wait: 1s")
        .replace("group_wait: 10s", "group_wait: 1s");
    assert!(config.contains(&format!("127.0.0.1:{port}/console")));
    let am = testkit::Alertmanager::start(&config);
    am.post_alerts(&json!([
        alert("HostDown", "critical", "host", "h1", "node1:9100"),
        // on the host that is down: inhibited
        alert("RedisDown", "critical", "cache", "h1", "redis://r1:6379"),
        // another host: delivered
        alert("MysqlDown", "critical", "database", "h2", "db:3306"),
        // warning and critical of one alert: the warning is inhibited
        alert(
            "TlsCertificateExpiring",
            "warning",
            "endpoint",
            "h2",
            "https://a.test"
        ),
        alert(
            "TlsCertificateExpiring",
            "critical",
            "endpoint",
            "h2",
            "https://a.test"
        ),
        // a service warning: Slack #alerts and console
        alert("AppHighLatency", "warning", "api", "h2", "app:5000"),
        // a host warning: console only
        alert("HostHighCpu", "warning", "host", "h2", "node2:9100"),
        // the heartbeat: the dead man's switch only
        json!({"labels": {"alertname": "Watchdog", "severity": "none", "layer": "monitoring"}}),
    ]));
    let expected_console: BTreeSet<String> = [
        "HostDown/critical",
        "MysqlDown/critical",
        "TlsCertificateExpiring/critical",
        "AppHighLatency/warning",
        "HostHighCpu/warning",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let expected_slack: BTreeSet<String> = [
        "HostDown/critical",
        "MysqlDown/critical",
        "TlsCertificateExpiring/critical",
        "AppHighLatency/warning",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let arrived = testkit::wait_until(Duration::from_secs(30), || {
        let d = delivered(&received);
        expected_console.is_subset(&d.console)
            && expected_slack.is_subset(&d.slack)
            && !d.deadmansswitch.is_empty()
    });
    // A little longer, so that anything wrongly routed has time to arrive.
    std::thread::sleep(Duration::from_secs(2));
    let Delivered {
        console,
        slack,
        slack_bodies: bodies,
        deadmansswitch,
    } = delivered(&received);
    assert!(
        arrived,
        "console {console:?}, slack {slack:?}, dead man's switch {deadmansswitch:?}\n{}",
        am.log_tail()
    );
    assert_eq!(console, expected_console, "console receiver");
    assert_eq!(slack, expected_slack, "Slack receivers");
    assert_eq!(
        deadmansswitch,
        BTreeSet::from(["Watchdog/none".to_string()]),
        "the Watchdog reaches the dead man's switch, and nothing else does"
    );
    let channels: BTreeSet<&str> = bodies
        .iter()
        .filter_map(|b| b["channel"].as_str())
        .collect();
    assert_eq!(
        channels,
        BTreeSet::from(["#alerts", "#alerts-critical"]),
        "critical and warning go to their channels"
    );
    let texts: String = bodies
        .iter()
        .flat_map(|b| b["attachments"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts.contains(
            "<https://github.com/ferroscope/ferroscope/blob/main/docs/runbooks.md#mysqldown|runbook>"
        ),
        "the runbook link reaches Slack: {texts}"
    );
}
