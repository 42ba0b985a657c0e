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
