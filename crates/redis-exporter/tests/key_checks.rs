//! `--check-keys` patterns discovered by a background SCAN, single keys
//! checked at once, against real redis-server instances (testkit) and
//! Debian's prometheus-redis-exporter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Upstream, exporter, get, scrape, series, value};
use testkit::RedisServer;

const PASSES: &str = "redis_exporter_key_discovery_passes_total";

fn passes(text: &str) -> f64 {
    value(text, PASSES).unwrap_or(0.0)
}

/// Scrapes until discovery has completed `n` passes; the last scrape.
fn scrape_after_passes(server: &exporter_kit::testing::TestServer, n: f64) -> String {
    let mut text = String::new();
    assert!(
        testkit::wait_until(Duration::from_secs(60), || {
            text = scrape(server);
            passes(&text) >= n
        }),
        "discovery never completed {n} passes:\n{text}"
    );
    text
}

/// CLIENT LIST entries of the key discovery connection.
fn discovery_clients(redis: &RedisServer) -> usize {
    redis
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains("name=redis_exporter_key_discovery "))
        .count()
}

fn scan_calls(redis: &RedisServer) -> f64 {
    redis
        .cli(&["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_scan:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

fn key_series(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(&format!("redis_{name}{{")))
        .count()
}

#[test]
fn new_keys_appear_within_a_cycle_and_deleted_keys_vanish_at_the_next_scrape() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "user:1", "alice"]);
    redis.cli(&["SET", "user:2", "7"]);
    redis.cli(&["SET", "other", "1"]);
    redis.cli(&["-n", "3", "RPUSH", "order:1", "a", "b"]);
    redis.cli(&["-n", "3", "SET", "user:9", "not in db0"]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-keys",
        "db0=user:*,db3=order:*",
        "-check-keys-discovery-cycle",
        "300ms",
    ]);
    let text = scrape_after_passes(&ours, 1.0);
    assert_eq!(value(&text, "redis_up"), Some(1.0));
    for (want, v) in [
        ("redis_key_size{db=\"db0\",key=\"user:1\"}", 5.0),
        ("redis_key_value{db=\"db0\",key=\"user:2\"}", 7.0),
        ("redis_key_size{db=\"db3\",key=\"order:1\"}", 2.0),
    ] {
        assert_eq!(value(&text, want), Some(v), "{want} in\n{text}");
    }
    // patterns belong to their database
    assert!(!text.contains("key=\"other\""), "{text}");
    assert!(!text.contains("db=\"db3\",key=\"user:9\""), "{text}");
    assert_eq!(value(&text, "redis_exporter_key_discovery_keys"), Some(3.0));
    assert!(
        value(
            &text,
            "redis_key_memory_usage_bytes{db=\"db0\",key=\"user:1\"}"
        )
        .unwrap()
            > 0.0
    );

    // a key added now is known once a pass that started after it ends
    redis.cli(&["SET", "user:3", "3.5"]);
    redis.cli(&["-n", "3", "SADD", "order:2", "x"]);
    let added_at = passes(&scrape(&ours));
    let text = scrape_after_passes(&ours, added_at + 2.0);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"user:3\"}"),
        Some(3.5),
        "{text}"
    );
    assert_eq!(
        value(&text, "redis_key_size{db=\"db3\",key=\"order:2\"}"),
        Some(1.0)
    );

    // a deleted key is gone from the very next scrape, before any pass
    redis.cli(&["DEL", "user:1"]);
    redis.cli(&["-n", "3", "DEL", "order:1"]);
    let text = scrape(&ours);
    assert!(!text.contains("key=\"user:1\""), "{text}");
    assert!(!text.contains("key=\"order:1\""), "{text}");
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"user:2\"}"),
        Some(7.0)
    );
    // a key whose type changed is read as its new type
    redis.cli(&["DEL", "user:2"]);
    redis.cli(&["HSET", "user:2", "a", "1", "b", "2", "c", "3"]);
    let text = scrape(&ours);
    assert_eq!(
        value(&text, "redis_key_size{db=\"db0\",key=\"user:2\"}"),
        Some(3.0),
        "{text}"
    );
    assert!(!text.contains("redis_key_value{db=\"db0\",key=\"user:2\"}"));
}

/// `--redis.addr`'s discovery starts with the exporter, not at the first
/// scrape, so the first scrapes after a restart already have the keys.
#[test]
fn discovery_of_the_configured_server_starts_before_any_scrape() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "user:1", "alice"]);
    let ours = exporter(&["-redis.addr", &redis.url(), "-check-keys", "user:*"]);
    assert!(
        testkit::wait_until(Duration::from_secs(30), || scan_calls(&redis) > 0.0
            && discovery_clients(&redis) == 1),
        "no SCAN before the first scrape"
    );
    let text = scrape_after_passes(&ours, 1.0);
    assert_eq!(
        value(
            &text,
            "redis_key_value_as_string{db=\"db0\",key=\"user:1\",val=\"alice\"}"
        ),
        Some(1.0),
        "{text}"
    );
}

#[test]
fn single_keys_are_checked_at_once_without_discovery() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "counter", "42"]);
    redis.cli(&["-n", "2", "RPUSH", "jobs", "a", "b", "c"]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-single-keys",
        "counter,db2=jobs,later",
        // exact names in --check-keys need no SCAN either
        "-check-keys",
        "db2=jobs",
    ]);
    let text = scrape(&ours);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"counter\"}"),
        Some(42.0)
    );
    assert_eq!(
        value(&text, "redis_key_size{db=\"db2\",key=\"jobs\"}"),
        Some(3.0)
    );
    // named in both lists, reported once
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("redis_key_size{") && l.contains("\"jobs\""))
            .count(),
        1
    );
    // a named key that does not exist yet: size 0 only, as upstream 1.88
    assert_eq!(
        value(&text, "redis_key_size{db=\"db0\",key=\"later\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(!text.contains("redis_key_value_as_string{db=\"db0\",key=\"later\""));
    assert!(!text.contains("redis_key_memory_usage_bytes{db=\"db0\",key=\"later\"}"));
    assert!(!text.contains(PASSES), "no discovery without patterns");
    redis.cli(&["SET", "later", "now"]);
    let text = scrape(&ours);
    assert_eq!(
        value(
            &text,
            "redis_key_value_as_string{db=\"db0\",key=\"later\",val=\"now\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(discovery_clients(&redis), 0);
    assert_eq!(scan_calls(&redis), 0.0);
}

/// Every key type, in two databases, reads as Debian's
/// prometheus-redis-exporter reads it (sizes and values).
#[test]
fn checked_keys_have_upstreams_values() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "k:int", "42"]);
    redis.cli(&["SET", "k:float", "-3.25e2"]);
    redis.cli(&["SET", "k:text", "hello world"]);
    redis.cli(&["SET", "k:inf", "inf"]);
    redis.cli(&["SET", "k:padded", " 7"]);
    redis.cli(&["RPUSH", "k:list", "a", "b", "c"]);
    redis.cli(&["SADD", "k:set", "a", "b"]);
    redis.cli(&["ZADD", "k:zset", "1", "a", "2", "b", "3", "c", "4", "d"]);
    redis.cli(&["HSET", "k:hash", "f", "v"]);
    redis.cli(&["XADD", "k:stream", "1-1", "f", "v"]);
    redis.cli(&["XADD", "k:stream", "1-2", "f", "v"]);
    redis.cli(&["PFADD", "k:hll", "a", "b", "c", "d", "e"]);
    redis.cli(&["-n", "1", "SET", "k:db1", "12"]);
    redis.cli(&["-n", "1", "SET", "x:db1", "13"]);
    let addr = redis.url();
    let flags = ["-redis.addr", &addr, "-check-keys", "k:*,db1=k:*,db1=x:db1"];
    let upstream = Upstream::start(&flags);
    let ours = exporter(&flags);
    let text = scrape_after_passes(&ours, 1.0);
    let theirs = upstream.scrape();
    let ours_series = series(&text);
    let their_series = series(&theirs);
    let mut compared = 0;
    for (key, v) in &their_series {
        if !(key.starts_with("redis_key_size{")
            || key.starts_with("redis_key_value{")
            || key.starts_with("redis_key_value_as_string{"))
        {
            continue;
        }
        // 1.45 reads a HyperLogLog's bytes as a string value; 1.88 does not
        if key.starts_with("redis_key_value_as_string{") && key.contains("key=\"k:hll\"") {
            assert!(!text.contains("redis_key_value_as_string{db=\"db0\",key=\"k:hll\""));
            continue;
        }
        assert_eq!(ours_series.get(key), Some(v), "{key}\nours:\n{text}");
        compared += 1;
    }
    // 13 sizes; 5 numbers (inf is one in Go; " 7" is not); 2 labels
    assert_eq!(compared, 13 + 5 + 2, "{theirs}");
    assert_eq!(
        key_series(&text, "key_size"),
        key_series(&theirs, "key_size")
    );
    assert_eq!(
        value(&text, "redis_key_size{db=\"db0\",key=\"k:hll\"}"),
        Some(5.0)
    );
    assert_eq!(
        value(
            &text,
            "redis_key_value_as_string{db=\"db0\",key=\"k:padded\",val=\" 7\"}"
        ),
        Some(1.0)
    );
    // MEMORY USAGE of every checked key (1.88's family; 1.45 has none)
    assert_eq!(key_series(&text, "key_memory_usage_bytes"), 13);

    // --disable-exporting-key-values keeps sizes and drops values (1.88)
    let quiet = exporter(&[
        "-redis.addr",
        &addr,
        "-check-single-keys",
        "k:int,k:text",
        "-disable-exporting-key-values",
    ]);
    let text = scrape(&quiet);
    assert_eq!(key_series(&text, "key_size"), 2);
    assert_eq!(key_series(&text, "key_value"), 0);
    assert_eq!(key_series(&text, "key_value_as_string"), 0);
}

/// Scrapes fetch only known keys: after discovery's first pass, with a
/// cycle long enough that no second pass starts, scrapes make no SCAN.
#[test]
fn scrapes_of_known_keys_make_no_scan() {
    let redis = RedisServer::start();
    redis.cli(&[
        "EVAL",
        "for i = 1, 100000 do redis.call('SET', 'key:' .. i, i) end return 1",
        "0",
    ]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-keys",
        "key:1*",
        "-check-keys-discovery-cycle",
        "1h",
    ]);
    let checked = |body: &str| key_series(body, "key_value");
    let text = scrape_after_passes(&ours, 1.0);
    // key:1, key:10..19, ..., key:10000..19999, key:100000
    assert_eq!(checked(&text), 11112);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"key:12345\"}"),
        Some(12345.0)
    );
    let before = scan_calls(&redis);
    let url = ours.url("/metrics");
    let bodies: Vec<(u16, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4).map(|_| s.spawn(|| get(&url))).collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (status, body) in &bodies {
        assert_eq!(*status, 200);
        assert_eq!(checked(body), 11112);
    }
    assert_eq!(scan_calls(&redis), before);
    assert_eq!(discovery_clients(&redis), 1);
}

/// `--count-keys` still SCANs per scrape (its count is of this moment);
/// scrapes that ask at the same time share one SCAN pass.
#[test]
fn concurrent_count_keys_scrapes_of_one_target_share_one_scan_pass() {
    let redis = RedisServer::start();
    redis.cli(&[
        "EVAL",
        "for i = 1, 100000 do redis.call('SET', 'key:' .. i, i) end return 1",
        "0",
    ]);
    // small SCAN batches: one pass lasts long enough for the scrapes to overlap
    let ours = exporter(&["-check-keys-batch-size", "20", "-count-keys", "key:1*"]);
    let url = ours.url(&format!("/scrape?target={}", redis.url()));
    let counted = |body: &str| value(body, "redis_keys_count{db=\"db0\",key=\"key:1*\"}");
    redis.cli(&["CONFIG", "RESETSTAT"]);
    let (status, alone) = get(&url);
    assert_eq!(status, 200, "{alone}");
    assert_eq!(counted(&alone), Some(11112.0));
    let one_pass = scan_calls(&redis);
    assert!(one_pass > 100.0, "{one_pass} SCAN calls");

    redis.cli(&["CONFIG", "RESETSTAT"]);
    let start = std::sync::Barrier::new(4);
    let bodies: Vec<(u16, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    get(&url)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let four = scan_calls(&redis);
    for (status, body) in &bodies {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(counted(body), Some(11112.0));
    }
    assert!(
        four < one_pass * 1.5,
        "4 concurrent scrapes made {four} SCAN calls, one scrape {one_pass}"
    );
}

#[test]
fn discovery_survives_a_redis_restart_and_up_stays_truthful() {
    let mut redis = RedisServer::start();
    redis.cli(&["SET", "job:1", "1"]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-keys",
        "job:*",
        "-check-keys-discovery-cycle",
        "200ms",
        "-connection-timeout",
        "2s",
    ]);
    let text = scrape_after_passes(&ours, 1.0);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"job:1\"}"),
        Some(1.0)
    );
    redis.stop();
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    assert!(!text.contains("job:1"));
    // testkit's server keeps no data across a restart
    redis.restart();
    redis.cli(&["SET", "job:2", "2"]);
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0));
    assert!(!text.contains("key=\"job:1\""), "{text}");
    let restarted_at = passes(&text);
    let text = scrape_after_passes(&ours, restarted_at + 2.0);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"job:2\"}"),
        Some(2.0),
        "{text}"
    );
}

/// `/scrape?target=` may name any Redis and any patterns: discovery tasks
/// are bounded, the least recently scraped one stops to make room, and all
/// stop with the exporter.
#[test]
fn scrape_targets_get_bounded_discovery_that_stops_with_the_exporter() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    a.cli(&["SET", "a:1", "1"]);
    b.cli(&["SET", "b:1", "2"]);
    let ours = exporter(&[
        "-check-keys-discovery-max-targets",
        "1",
        "-check-keys-discovery-cycle",
        "200ms",
    ]);
    let probe = |redis: &RedisServer, pattern: &str| {
        let (status, body) = get(&ours.url(&format!(
            "/scrape?target={}&check-keys={pattern}",
            redis.url()
        )));
        assert_eq!(status, 200, "{body}");
        body
    };
    let mut body = String::new();
    assert!(testkit::wait_until(Duration::from_secs(30), || {
        body = probe(&a, "a:*");
        value(&body, "redis_key_value{db=\"db0\",key=\"a:1\"}") == Some(1.0)
    }));
    assert_eq!(discovery_clients(&a), 1);
    assert!(testkit::wait_until(Duration::from_secs(30), || {
        body = probe(&b, "b:*");
        value(&body, "redis_key_value{db=\"db0\",key=\"b:1\"}") == Some(2.0)
    }));
    // b's discovery took a's place
    assert!(
        testkit::wait_until(Duration::from_secs(10), || discovery_clients(&a) == 0),
        "a's discovery still connected"
    );
    assert_eq!(discovery_clients(&b), 1);
    // a scrape's own credentials or patterns make another discovery
    let body = probe(&b, "nothing:*");
    assert_eq!(value(&body, "redis_up"), Some(1.0));
    assert!(!body.contains("key=\"b:1\""));
    drop(ours);
    assert!(
        testkit::wait_until(Duration::from_secs(10), || discovery_clients(&b) == 0),
        "discovery outlived the exporter"
    );
}

#[test]
fn discovery_flags_are_checked_at_startup() {
    let build = |flags: &[&str]| {
        let mut argv = vec!["redis-exporter"];
        argv.extend_from_slice(flags);
        let cli =
            exporter_kit::args::parse_from(&redis_exporter::SPEC, redis_exporter::COLLECTORS, argv)
                .unwrap();
        redis_exporter::scraper(&cli.args).map(|_| ())
    };
    assert!(build(&[]).is_ok());
    assert!(
        build(&[
            "-check-keys-discovery-cycle",
            "2m",
            "-check-keys-discovery-max-targets",
            "5"
        ])
        .is_ok()
    );
    for bad in [
        ["-check-keys-discovery-cycle", "soon"],
        ["-check-keys-discovery-cycle", "0s"],
        ["-check-keys-discovery-max-targets", "0"],
    ] {
        let err = build(&bad).unwrap_err().to_string();
        assert!(err.contains(bad[0].trim_start_matches('-')), "{err}");
    }
}
