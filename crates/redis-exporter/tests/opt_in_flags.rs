//! `--include-rdb-file-size-metric` and `--append-instance-role-label`
//! against real redis-servers; the RDB size is read on this host:
//! 0 before the first save, the file's size after `SAVE`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{exporter, scrape, value};
use testkit::RedisServer;

#[test]
fn rdb_file_size_is_the_size_of_the_servers_dump() {
    let redis = RedisServer::start();
    let dir = redis.cli(&["CONFIG", "GET", "dir"]);
    let dir = dir.lines().nth(1).unwrap().trim().to_string();
    let name = redis.cli(&["CONFIG", "GET", "dbfilename"]);
    let name = name.lines().nth(1).unwrap().trim().to_string();
    let dump = std::path::Path::new(&dir).join(&name);
    let _ = std::fs::remove_file(&dump);
    let ours = exporter(&["-redis.addr", &redis.url(), "-include-rdb-file-size-metric"]);
    assert_eq!(
        value(&scrape(&ours), "redis_rdb_current_size_bytes"),
        Some(0.0)
    );
    redis.cli(&["SET", "k", "a value worth saving"]);
    redis.cli(&["SAVE"]);
    let size = std::fs::metadata(&dump).unwrap().len() as f64;
    assert!(size > 0.0);
    assert_eq!(
        value(&scrape(&ours), "redis_rdb_current_size_bytes"),
        Some(size)
    );
    // Off by default.
    let plain = exporter(&["-redis.addr", &redis.url()]);
    assert!(!scrape(&plain).contains("redis_rdb_current_size_bytes"));
}

/// `--append-instance-role-label` against a real primary and its replica:
/// every family carries the role INFO reports, except the connect and
/// ping times, as upstream.
#[test]
fn append_instance_role_label_carries_info_role() {
    let primary = RedisServer::start();
    let replica = RedisServer::start();
    replica.cli(&["REPLICAOF", "127.0.0.1", &primary.port().to_string()]);
    for (server, role) in [(&primary, "master"), (&replica, "slave")] {
        let ours = exporter(&["-redis.addr", &server.url(), "-append-instance-role-label"]);
        let text = scrape(&ours);
        let up = format!("redis_up{{instance_role=\"{role}\"}}");
        assert_eq!(value(&text, &up), Some(1.0), "{text}");
        // The Redis families (the exporter's own build info and request
        // counters are not Redis metrics, in upstream either).
        for line in text.lines().filter(|l| {
            l.starts_with("redis_")
                && !l.starts_with("redis_exporter_")
                && !l.starts_with("redis_target_scrape_request_errors_total")
        }) {
            assert!(
                line.contains(&format!("instance_role=\"{role}\"")),
                "{line}"
            );
        }
        for time in [
            "redis_exporter_last_scrape_connect_time_seconds",
            "redis_exporter_last_scrape_ping_time_seconds",
        ] {
            for line in text.lines().filter(|l| l.starts_with(time)) {
                assert!(!line.contains("instance_role"), "{line}");
            }
        }
    }
}

/// `-export-client-list` describes each CLIENT LIST entry (here the
/// exporter's own connection and a subscriber) by upstream 1.88's families;
/// `-export-client-port` adds the port label.
#[test]
fn client_list_families_and_the_port_label() {
    let redis = RedisServer::start();
    // a named subscriber that stays connected while we scrape
    let mut subscriber = std::process::Command::new(testkit::require("redis-cli"))
        .args([
            "-p",
            &redis.port().to_string(),
            "SUBSCRIBE",
            "news",
            "sport",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-cli subscriber");
    assert!(testkit::wait_until(
        std::time::Duration::from_secs(10),
        || redis.cli(&["PUBSUB", "NUMSUB", "sport"]).contains('1')
    ));
    for with_port in [false, true] {
        let mut flags = vec![
            "-redis.addr".to_string(),
            redis.url(),
            "-export-client-list".into(),
        ];
        if with_port {
            flags.push("-export-client-port".into());
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let text = scrape(&exporter(&flags));
        let infos: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("redis_connected_client_info{"))
            .collect();
        assert!(infos.len() >= 2, "{text}");
        for line in &infos {
            assert!(line.contains("host=\"127.0.0.1\""), "{line}");
            assert!(line.contains("user=\"default\""), "{line}");
            assert!(line.contains("resp=\""), "{line}");
            assert_eq!(line.contains("port=\""), with_port, "{line}");
        }
        let sub = infos
            .iter()
            .find(|l| l.contains("flags=\"P\""))
            .unwrap_or_else(|| panic!("no subscriber in {text}"));
        let id = sub
            .split("id=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap();
        let count = format!(
            "redis_connected_client_channel_subscriptions_count{{id=\"{id}\",name=\"\"}} 2"
        );
        assert!(testkit::has_sample(&text, &count), "{count} in\n{text}");
        for family in [
            "redis_connected_client_created_at_timestamp{",
            "redis_connected_client_idle_since_timestamp{",
            "redis_connected_client_total_memory_consumed_bytes{",
            "redis_connected_client_shard_channel_subscriptions_count{",
        ] {
            assert!(text.contains(family), "{family} in\n{text}");
        }
        assert!(!text.contains("connected_clients_details"), "{text}");
    }
    let _ = subscriber.kill();
    let _ = subscriber.wait();

    let text = scrape(&exporter(&["-redis.addr", &redis.url()]));
    assert!(!text.contains("redis_connected_client_"), "{text}");
}
