//! Stream checks against a real redis-server: every field upstream scans
//! from XINFO is exported, 0 when Redis leaves it out or nil.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{exporter, scrape};
use testkit::RedisServer;

fn stream_fixture(redis: &RedisServer) {
    for args in [
        &[
            "-n", "3", "XGROUP", "CREATE", "jobs", "early", "$", "MKSTREAM",
        ][..],
        &["-n", "3", "XGROUP", "CREATE", "jobs", "idle", "$"],
        &["-n", "3", "XADD", "jobs", "1700000000001-0", "a", "1"],
        &["-n", "3", "XADD", "jobs", "1700000000002-0", "b", "2"],
        &["-n", "3", "XADD", "jobs", "1700000000003-0", "c", "3"],
        &[
            "-n",
            "3",
            "XREADGROUP",
            "GROUP",
            "early",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "jobs",
            ">",
        ],
        // reads only its (empty) pending list: entries-read stays nil
        &[
            "-n",
            "3",
            "XREADGROUP",
            "GROUP",
            "idle",
            "bob",
            "STREAMS",
            "jobs",
            "0",
        ],
        &["-n", "3", "XADD", "empty", "1-1", "x", "1"],
        &["-n", "3", "XDEL", "empty", "1-1"],
    ] {
        redis.cli(args);
    }
}

#[test]
fn stream_metrics_have_upstreams_fields_and_zero_defaults() {
    let redis = RedisServer::start();
    stream_fixture(&redis);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-single-streams",
        "db3=jobs,db3=empty",
    ]);
    let text = scrape(&ours);
    for want in [
        "redis_stream_length{db=\"db3\",stream=\"jobs\"} 3",
        "redis_stream_groups{db=\"db3\",stream=\"jobs\"} 2",
        "redis_stream_first_entry_id{db=\"db3\",stream=\"jobs\"} 1700000000001",
        "redis_stream_last_entry_id{db=\"db3\",stream=\"jobs\"} 1700000000003",
        "redis_stream_last_generated_id{db=\"db3\",stream=\"jobs\"} 1700000000003",
        "redis_stream_max_deleted_entry_id{db=\"db3\",stream=\"jobs\"} 0",
        "redis_stream_entries_added_total{db=\"db3\",stream=\"jobs\"} 3",
        "redis_stream_group_consumers{db=\"db3\",group=\"early\",stream=\"jobs\"} 1",
        "redis_stream_group_messages_pending{db=\"db3\",group=\"early\",stream=\"jobs\"} 2",
        "redis_stream_group_last_delivered_id{db=\"db3\",group=\"early\",stream=\"jobs\"} 1700000000002",
        "redis_stream_group_entries_read{db=\"db3\",group=\"early\",stream=\"jobs\"} 2",
        "redis_stream_group_lag{db=\"db3\",group=\"early\",stream=\"jobs\"} 1",
        // nil entries-read is exported as 0, as upstream's struct scan leaves it
        "redis_stream_group_entries_read{db=\"db3\",group=\"idle\",stream=\"jobs\"} 0",
        "redis_stream_group_lag{db=\"db3\",group=\"idle\",stream=\"jobs\"} 3",
        "redis_stream_group_last_delivered_id{db=\"db3\",group=\"idle\",stream=\"jobs\"} 0",
        "redis_stream_group_consumer_messages_pending{consumer=\"alice\",db=\"db3\",group=\"early\",stream=\"jobs\"} 2",
        "redis_stream_group_consumer_messages_pending{consumer=\"bob\",db=\"db3\",group=\"idle\",stream=\"jobs\"} 0",
        // an emptied stream: no first/last entry, so 0
        "redis_stream_length{db=\"db3\",stream=\"empty\"} 0",
        "redis_stream_first_entry_id{db=\"db3\",stream=\"empty\"} 0",
        "redis_stream_last_entry_id{db=\"db3\",stream=\"empty\"} 0",
        "redis_stream_max_deleted_entry_id{db=\"db3\",stream=\"empty\"} 1",
        "redis_stream_groups{db=\"db3\",stream=\"empty\"} 0",
    ] {
        assert!(
            testkit::has_sample(&text, want),
            "missing {want:?} in\n{text}"
        );
    }
    assert!(text.contains("redis_stream_group_consumer_idle_seconds{consumer=\"alice\""));

    // consumers left out on request; group metrics stay
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-single-streams",
        "db3=jobs",
        "-streams-exclude-consumer-metrics",
    ]);
    let text = scrape(&ours);
    assert!(!text.contains("redis_stream_group_consumer_"), "{text}");
    assert!(testkit::has_sample(
        &text,
        "redis_stream_group_consumers{db=\"db3\",group=\"early\",stream=\"jobs\"} 1"
    ));

    // a key that is not a stream is skipped, the scrape goes on
    redis.cli(&["-n", "3", "SET", "plain", "1"]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-single-streams",
        "db3=plain,db3=jobs",
    ]);
    let text = scrape(&ours);
    assert!(!text.contains("stream=\"plain\""), "{text}");
    assert!(testkit::has_sample(
        &text,
        "redis_stream_length{db=\"db3\",stream=\"jobs\"} 3"
    ));
    assert!(testkit::has_sample(&text, "redis_up 1"));
}
