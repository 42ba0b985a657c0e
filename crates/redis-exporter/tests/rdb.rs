//! `--include-rdb-file-size-metric` against a real redis-server on this
//! host: 0 before the first save, the file's size after `SAVE`.
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
