//! A real two-node Redis Cluster: CLUSTER INFO families, and
//! `/discover-cluster-nodes` listing both nodes for http_sd.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{exporter, get, scrape, value};
use testkit::{RedisServer, free_port, wait_until};

/// A cluster-enabled node and its bus port, given explicitly: the default
/// (port + 10000) may be taken or out of range for an ephemeral port.
fn cluster_node() -> (RedisServer, u16) {
    let bus = free_port();
    let server = RedisServer::builder()
        .arg("--cluster-enabled")
        .arg("yes")
        .arg("--cluster-port")
        .arg(bus.to_string())
        .start();
    (server, bus)
}

#[test]
fn cluster_info_and_node_discovery() {
    let (a, _) = cluster_node();
    let (b, b_bus) = cluster_node();
    a.cli(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]);
    b.cli(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]);
    a.cli(&[
        "CLUSTER",
        "MEET",
        "127.0.0.1",
        &b.port().to_string(),
        &b_bus.to_string(),
    ]);
    let joined = wait_until(Duration::from_secs(20), || {
        a.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok")
            && b.cli(&["CLUSTER", "INFO"])
                .contains("cluster_known_nodes:2")
    });
    assert!(joined, "the two nodes did not form a cluster");

    let ours = exporter(&["-redis.addr", &a.url(), "-is-cluster"]);
    let text = scrape(&ours);
    for (series, want) in [
        ("redis_up", 1.0),
        ("redis_cluster_enabled", 1.0),
        ("redis_cluster_state", 1.0),
        ("redis_cluster_slots_assigned", 16384.0),
        ("redis_cluster_slots_ok", 16384.0),
        ("redis_cluster_known_nodes", 2.0),
        ("redis_cluster_size", 2.0),
    ] {
        assert_eq!(value(&text, series), Some(want), "{series} in\n{text}");
    }

    let (status, body) = get(&ours.url("/discover-cluster-nodes"));
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("discovery JSON");
    let mut targets: Vec<String> = doc[0]["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t.as_str().expect("string").to_string())
        .collect();
    targets.sort();
    let mut want = vec![
        format!("redis://127.0.0.1:{}", a.port()),
        format!("redis://127.0.0.1:{}", b.port()),
    ];
    want.sort();
    assert_eq!(targets, want);
    assert_eq!(doc[0]["labels"], serde_json::json!({}));

    // Without --is-cluster the endpoint refuses, as upstream.
    let plain = exporter(&["-redis.addr", &a.url()]);
    let (status, body) = get(&plain.url("/discover-cluster-nodes"));
    assert_eq!(status, 400);
    assert!(
        body.contains("The discovery endpoint is only available on a redis cluster"),
        "{body}"
    );
    // With it, on a server without cluster support: upstream's refresh error.
    let standalone = RedisServer::start();
    let wrong = exporter(&["-redis.addr", &standalone.url(), "-is-cluster"]);
    let (status, body) = get(&wrong.url("/discover-cluster-nodes"));
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("Couldn't connect to redis cluster: cluster refresh failed"),
        "{body}"
    );

    // The cluster gone: a clear 500, and the exporter keeps serving.
    drop(a);
    drop(b);
    let (status, body) = get(&ours.url("/discover-cluster-nodes"));
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("Couldn't connect to redis cluster: cluster refresh failed"),
        "{body}"
    );
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(0.0));
}
