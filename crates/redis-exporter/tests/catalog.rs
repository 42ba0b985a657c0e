//! catalog/redis-exporter.tsv lists the families this exporter exposes,
//! for the stack's rule and dashboard linters: a primary with checked keys
//! and a Lua script, and its linked replica, each on a real redis-server.

mod common;

use std::time::Duration;

use common::{exporter, scrape, value};
use testkit::RedisServer;

#[test]
fn catalog_matches_the_exposition() {
    let primary = RedisServer::start();
    primary.cli(&["SET", "counter", "42"]);
    primary.cli(&["RPUSH", "queue", "a", "b"]);
    let replica = RedisServer::builder()
        .arg("--replicaof")
        .arg("127.0.0.1")
        .arg(primary.port().to_string())
        .start();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.lua");
    std::fs::write(&script, "return {'answer', '42'}").expect("script");
    let script = script.display().to_string();
    let (primary_url, replica_url) = (primary.url(), replica.url());
    let on_primary = exporter(&[
        "-redis.addr",
        &primary_url,
        "-check-keys",
        // exact names, and a pattern for the background discovery's families
        "counter,queue,session:*",
        "-script",
        &script,
    ]);
    let on_replica = exporter(&["-redis.addr", &replica_url]);
    let link = format!(
        "redis_master_link_up{{master_host=\"127.0.0.1\",master_port=\"{}\"}}",
        primary.port()
    );
    let mut replica_text = String::new();
    assert!(
        testkit::wait_until(Duration::from_secs(15), || {
            replica_text = scrape(&on_replica);
            value(&replica_text, &link) == Some(1.0)
        }),
        "replica never linked"
    );
    // The second scrape has the per-command latency families of the first.
    scrape(&on_primary);
    let primary_text = scrape(&on_primary);
    testkit::catalog::check(
        "redis-exporter",
        "redis-exporter on a real redis-server primary (checked keys, a Lua script) \
         and its replica, crates/redis-exporter/tests/catalog.rs",
        &[&primary_text, &replica_text],
    );
}
