//! Where the configured password goes: to the server `--redis.addr` names,
//! and to no `/scrape` target that someone who can reach the exporter
//! chooses. A recorder on loopback stands in for their server: it answers
//! every command with an error and keeps what the exporter sent it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::{exporter, get, scrape, value};
use testkit::RedisServer;

/// A listener that records the RESP commands it receives, one string per
/// command (its arguments joined by spaces), and answers each with
/// `-ERR`, so that the client gives up at once.
struct Recorder {
    port: u16,
    commands: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let seen = commands.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let seen = seen.clone();
                std::thread::spawn(move || record(conn, &seen));
            }
        });
        Recorder { port, commands }
    }

    fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    /// Everything received, for substring checks.
    fn received(&self) -> String {
        self.commands().join("\n")
    }
}

/// Reads RESP arrays of bulk strings until the client hangs up.
fn record(conn: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reply = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    let read_line = |reader: &mut BufReader<TcpStream>, line: &mut String| {
        line.clear();
        matches!(reader.read_line(line), Ok(n) if n > 0)
    };
    while read_line(&mut reader, &mut line) {
        let Some(count) = line.trim_end().strip_prefix('*') else {
            // inline command
            seen.lock().unwrap().push(line.trim_end().to_string());
            let _ = reply.write_all(b"-ERR recorder\r\n");
            continue;
        };
        let count: usize = count.parse().unwrap_or(0);
        let mut args = Vec::with_capacity(count);
        for _ in 0..count {
            if !read_line(&mut reader, &mut line) {
                return;
            }
            let len: usize = line.trim_end().trim_start_matches('$').parse().unwrap_or(0);
            let mut arg = vec![0u8; len + 2];
            if reader.read_exact(&mut arg).is_err() {
                return;
            }
            arg.truncate(len);
            args.push(String::from_utf8_lossy(&arg).into_owned());
        }
        seen.lock().unwrap().push(args.join(" "));
        if reply.write_all(b"-ERR recorder\r\n").is_err() {
            return;
        }
    }
}

fn requirepass() -> RedisServer {
    RedisServer::builder()
        .arg("--requirepass")
        .arg("s3cret")
        .start()
}

#[test]
fn the_configured_password_goes_only_to_the_configured_server() {
    let redis = requirepass();
    let ours = exporter(&["-redis.addr", &redis.url(), "-redis.password", "s3cret"]);
    // the configured server still authenticates, on /metrics and /scrape
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(1.0));
    for target in [redis.addr(), redis.url(), format!("{}/0", redis.url())] {
        let (status, body) = get(&ours.url(&format!("/scrape?target={target}")));
        assert_eq!(status, 200);
        assert_eq!(value(&body, "redis_up"), Some(1.0), "{target}: {body}");
    }

    // another server, named by whoever calls /scrape, is not sent it
    let other = Recorder::start();
    for target in [
        other.target(),
        format!("redis://{}", other.target()),
        format!("redis://default@{}/1", other.target()),
    ] {
        let (status, body) = get(&ours.url(&format!("/scrape?target={target}")));
        assert_eq!(status, 200);
        assert_eq!(value(&body, "redis_up"), Some(0.0), "{target}: {body}");
    }
    let received = other.received();
    assert!(
        !other.commands().is_empty(),
        "the exporter never talked to the recorder"
    );
    assert!(!received.contains("s3cret"), "{received}");
    assert!(
        !other.commands().iter().any(|c| c.starts_with("AUTH")),
        "{received}"
    );
}

#[test]
fn the_same_port_without_tls_is_another_server() {
    // a password configured for TLS is never sent in clear text, even to
    // the same host and port
    let other = Recorder::start();
    let ours = exporter(&[
        "-redis.addr",
        &format!("rediss://{}", other.target()),
        "-redis.password",
        "s3cret",
        "-skip-tls-verification",
    ]);
    let (_, body) = get(&ours.url(&format!("/scrape?target=redis://{}", other.target())));
    assert_eq!(value(&body, "redis_up"), Some(0.0), "{body}");
    assert!(!other.commands().is_empty());
    assert!(!other.received().contains("s3cret"), "{}", other.received());
}

#[test]
fn a_target_urls_own_password_goes_to_that_target_only() {
    let redis = requirepass();
    let other = Recorder::start();
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-redis.password",
        "s3cret",
        "-scrape-allow-url-credentials",
    ]);
    let (_, body) = get(&ours.url(&format!(
        "/scrape?target=redis://:theirs@{}",
        other.target()
    )));
    assert_eq!(value(&body, "redis_up"), Some(0.0), "{body}");
    let received = other.received();
    assert!(received.contains("AUTH theirs"), "{received}");
    assert!(!received.contains("s3cret"), "{received}");
    // and the configured server is still reached with its own
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(1.0));
}

#[test]
fn upstreams_behaviour_is_an_opt_in() {
    let other = Recorder::start();
    let ours = exporter(&[
        "-redis.addr",
        "redis://127.0.0.1:1",
        "-redis.password",
        "s3cret",
        "-redis.password-for-any-target",
    ]);
    let (_, body) = get(&ours.url(&format!("/scrape?target={}", other.target())));
    assert_eq!(value(&body, "redis_up"), Some(0.0), "{body}");
    let received = other.received();
    assert!(received.contains("AUTH s3cret"), "{received}");
}
