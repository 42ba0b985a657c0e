//! `--include-sentinel-peer-info` against two real Sentinels
//! (`redis-server --sentinel`) watching one primary: each lists the other.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{exporter, scrape};
use testkit::{Process, RedisServer};

/// A Sentinel on a free port monitoring `primary` as `mymaster`.
fn sentinel(dir: &Path, primary: &RedisServer) -> (Process, u16) {
    let port = testkit::free_port();
    let conf = dir.join(format!("sentinel-{port}.conf"));
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor mymaster 127.0.0.1 {} 1\n",
            dir.display(),
            primary.port()
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(testkit::require("redis-server"));
    cmd.arg(&conf).arg("--sentinel");
    let mut process = Process::spawn("redis-sentinel", cmd, &dir.join(format!("{port}.log")));
    process.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (process, port)
}

#[test]
fn sentinel_peer_info_lists_the_other_sentinels() {
    let primary = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (_first, port) = sentinel(dir.path(), &primary);
    let (_second, other) = sentinel(dir.path(), &primary);
    let addr = format!("redis://127.0.0.1:{port}");
    let peer = format!("port=\"{other}\"");
    // Sentinels find each other through the primary's hello channel
    // (every 2 s): wait for the first to list the second.
    let with = exporter(&["-redis.addr", &addr, "-include-sentinel-peer-info"]);
    let mut text = String::new();
    let found = testkit::wait_until(Duration::from_secs(30), || {
        text = scrape(&with);
        text.lines()
            .any(|l| l.starts_with("redis_sentinel_peer_info{") && l.contains(&peer))
    });
    assert!(found, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("redis_sentinel_peer_info{"))
        .unwrap();
    let primary_addr = format!("master_address=\"127.0.0.1:{}\"", primary.port());
    for label in [
        "master_name=\"mymaster\"",
        primary_addr.as_str(),
        "ip=\"127.0.0.1\"",
        "runid=\"",
        "flags=\"sentinel",
    ] {
        assert!(line.contains(label), "{label} in {line}");
    }
    assert!(line.ends_with(" 1"), "{line}");
    // Off by default (upstream: high cardinality).
    let without = exporter(&["-redis.addr", &addr]);
    let text = scrape(&without);
    assert!(
        text.contains("redis_sentinel_master_ok_sentinels"),
        "{text}"
    );
    assert!(!text.contains("redis_sentinel_peer_info"), "{text}");
}
