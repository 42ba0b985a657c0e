//! kafka-exporter against a real Kafka-compatible broker (tansu, via
//! testkit). tansu reports the high watermark as the start offset of the
//! last record batch plus one, so every message is produced in its own batch.

use std::time::Duration;

use exporter_kit::testing::{TestServer, local_args};
use kafka_exporter::{COLLECTORS, SPEC, setup};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use testkit::{KafkaBroker, wait_until};

fn exporter(server: &str, extra: &[&str]) -> TestServer {
    let mut argv = vec!["kafka-exporter", "--kafka.server", server];
    // Test defaults: quick failure, no sharing between scrapes.
    for (flag, default) in [("--kafka.timeout", "2"), ("--kafka.cache-ttl", "0")] {
        if !extra.contains(&flag) {
            argv.extend([flag, default]);
        }
    }
    argv.extend_from_slice(extra);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    TestServer::start(local_args(), move || {
        exporter_kit::build(SPEC, COLLECTORS, &cli, setup).expect("exporter builds")
    })
    .expect("exporter starts")
}

fn scrape(server: &TestServer) -> String {
    let response = testkit::http()
        .get(server.url("/metrics"))
        .send()
        .expect("scrape answers");
    assert!(
        response.status().is_success(),
        "status {}",
        response.status()
    );
    response.text().expect("body")
}

/// The value of the series `series` (name and labels, in any order).
fn value(text: &str, series: &str) -> Option<f64> {
    testkit::sample_value(text, series)
}

fn config(addr: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", addr)
        .set("socket.timeout.ms", "10000");
    c
}

/// Produces `n` messages to one partition, one per batch.
fn produce(addr: &str, topic: &str, partition: i32, n: usize) {
    let producer: BaseProducer = config(addr)
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for i in 0..n {
        let payload = format!("m{i}");
        producer
            .send(
                BaseRecord::<(), _>::to(topic)
                    .partition(partition)
                    .payload(&payload),
            )
            .map_err(|(e, _)| e)
            .expect("send");
        producer.flush(Duration::from_secs(10)).expect("flush");
    }
}

/// A consumer in `group` that reads `partitions` of `topic` from the start
/// until it has `expect` messages, commits what it read, and stops.
fn consume_and_commit(addr: &str, group: &str, topic: &str, partitions: &[i32], expect: usize) {
    let consumer: BaseConsumer = config(addr)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    let mut read = 0;
    let done = wait_until(Duration::from_secs(20), || {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(200)) {
            read += 1;
        }
        read >= expect
    });
    assert!(done, "read {read} of {expect} messages");
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit");
}

/// Commits offsets for `group` without joining it (a group with no members).
fn commit(addr: &str, group: &str, topic: &str, offsets: &[(i32, i64)]) {
    let consumer: BaseConsumer = config(addr)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for &(p, o) in offsets {
        tpl.add_partition_offset(topic, p, Offset::Offset(o))
            .expect("partition");
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

#[test]
fn topics_offsets_and_consumer_group_lag() {
    let broker = KafkaBroker::start();
    let addr = broker.addr();
    broker.create_topic("orders", 3);
    broker.create_topic("audit", 2);
    produce(&addr, "orders", 0, 5);
    produce(&addr, "orders", 1, 5);
    produce(&addr, "audit", 0, 2);
    consume_and_commit(&addr, "billing", "orders", &[0, 1], 10);
    commit(&addr, "reporting", "audit", &[(0, 1)]);
    // The group has stopped; more is produced, so its lag grows.
    produce(&addr, "orders", 0, 3);
    // Let the oldest unconsumed message (offset 5 of partition 0) age.
    std::thread::sleep(Duration::from_millis(1100));

    let server = exporter(&addr, &["--group.lag-seconds"]);
    let text = scrape(&server);
    testkit::catalog::check(
        "kafka-exporter",
        "kafka-exporter --group.lag-seconds on a tansu broker with topics and consumer groups \
         (topics_offsets_and_consumer_group_lag in crates/kafka-exporter/tests/kafka.rs)",
        &[&text],
    );
    let expect = |series: &str, want: f64| {
        assert_eq!(value(&text, series), Some(want), "{series} in\n{text}");
    };
    expect("kafka_up", 1.0);
    expect("kafka_brokers", 1.0);
    expect(r#"kafka_topic_partitions{topic="orders"}"#, 3.0);
    expect(r#"kafka_topic_partitions{topic="audit"}"#, 2.0);
    expect(
        r#"kafka_topic_partition_current_offset{topic="orders",partition="0"}"#,
        8.0,
    );
    expect(
        r#"kafka_topic_partition_current_offset{topic="orders",partition="1"}"#,
        5.0,
    );
    expect(
        r#"kafka_topic_partition_current_offset{topic="orders",partition="2"}"#,
        0.0,
    );
    expect(
        r#"kafka_topic_partition_oldest_offset{topic="orders",partition="0"}"#,
        0.0,
    );
    expect(
        r#"kafka_topic_partition_replicas{topic="orders",partition="0"}"#,
        1.0,
    );
    expect(
        r#"kafka_topic_partition_in_sync_replica{topic="orders",partition="0"}"#,
        1.0,
    );
    expect(
        r#"kafka_topic_partition_leader_is_preferred{topic="orders",partition="0"}"#,
        1.0,
    );
    expect(
        r#"kafka_topic_partition_under_replicated_partition{topic="orders",partition="0"}"#,
        0.0,
    );
    assert!(
        value(
            &text,
            "kafka_topic_partition_leader{topic=\"orders\",partition=\"2\"}"
        )
        .is_some(),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("kafka_broker_info{") && l.contains("id=")),
        "{text}"
    );
    // Upstream's lag rules: committed 5 and 5, partition 2 never committed.
    expect(
        r#"kafka_consumergroup_current_offset{consumergroup="billing",topic="orders",partition="0"}"#,
        5.0,
    );
    expect(
        r#"kafka_consumergroup_current_offset{consumergroup="billing",topic="orders",partition="2"}"#,
        -1.0,
    );
    expect(
        r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="0"}"#,
        3.0,
    );
    expect(
        r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="1"}"#,
        0.0,
    );
    expect(
        r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="2"}"#,
        -1.0,
    );
    expect(
        r#"kafka_consumergroup_lag_sum{consumergroup="billing",topic="orders"}"#,
        3.0,
    );
    expect(
        r#"kafka_consumergroup_current_offset_sum{consumergroup="billing",topic="orders"}"#,
        9.0,
    );
    expect(
        r#"kafka_consumergroup_members{consumergroup="billing"}"#,
        0.0,
    );
    // A group that never had a member still has its lag.
    expect(
        r#"kafka_consumergroup_lag{consumergroup="reporting",topic="audit",partition="0"}"#,
        1.0,
    );
    expect(
        r#"kafka_consumergroup_lag{consumergroup="reporting",topic="audit",partition="1"}"#,
        -1.0,
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains(r#"consumergroup="billing""#) && l.contains(r#"topic="audit""#)),
        "{text}"
    );
    // Lag in seconds: the message at offset 5 of partition 0 is waiting.
    let seconds =
        r#"kafka_consumergroup_lag_seconds{consumergroup="billing",topic="orders",partition="0"}"#;
    assert!(
        value(&text, seconds).is_some_and(|s| (1.0..120.0).contains(&s)),
        "{seconds} in\n{text}"
    );
    expect(
        r#"kafka_consumergroup_lag_seconds{consumergroup="billing",topic="orders",partition="1"}"#,
        0.0,
    );

    // Lag grows as more is produced.
    produce(&addr, "orders", 1, 2);
    let text = scrape(&server);
    assert_eq!(
        value(
            &text,
            r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="1"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"kafka_consumergroup_lag_sum{consumergroup="billing",topic="orders"}"#
        ),
        Some(5.0),
        "{text}"
    );

    // Filters: topics and groups, by unanchored regex, with exclusions.
    let filtered = exporter(
        &addr,
        &[
            "--topic.exclude",
            "^audit$",
            "--group.filter",
            "bill",
            "--kafka.labels",
            "cluster=test",
        ],
    );
    let text = scrape(&filtered);
    assert!(
        testkit::has_sample(
            &text,
            r#"kafka_topic_partitions{topic="orders",cluster="test"} 3"#
        ),
        "{text}"
    );
    assert!(!text.contains(r#"topic="audit""#), "{text}");
    assert!(!text.contains(r#"consumergroup="reporting""#), "{text}");
    assert!(
        testkit::has_sample(
            &text,
            r#"kafka_consumergroup_members{consumergroup="billing",cluster="test"} 0"#
        ),
        "{text}"
    );
}

#[test]
fn starts_before_the_broker_and_survives_a_restart() {
    let port = testkit::free_port();
    let addr = format!("127.0.0.1:{port}");
    let server = exporter(&addr, &[]);
    let health = testkit::http()
        .get(server.url("/healthz"))
        .send()
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    // No broker: the scrape still answers, saying so.
    let text = scrape(&server);
    assert_eq!(value(&text, "kafka_up"), Some(0.0), "{text}");
    assert!(!text.contains("kafka_brokers"), "{text}");

    let mut broker = KafkaBroker::start_on(port);
    broker.create_topic("first", 2);
    let up = wait_until(Duration::from_secs(30), || {
        let text = scrape(&server);
        value(&text, "kafka_up") == Some(1.0)
            && value(&text, r#"kafka_topic_partitions{topic="first"}"#) == Some(2.0)
    });
    assert!(up, "never saw the broker: {}", scrape(&server));

    broker.stop();
    let down = wait_until(Duration::from_secs(30), || {
        value(&scrape(&server), "kafka_up") == Some(0.0)
    });
    assert!(down, "kafka_up stayed 1 with the broker stopped");

    broker.restart();
    broker.create_topic("second", 1);
    let back = wait_until(Duration::from_secs(30), || {
        let text = scrape(&server);
        value(&text, "kafka_up") == Some(1.0)
            && value(&text, r#"kafka_topic_partitions{topic="second"}"#) == Some(1.0)
    });
    assert!(
        back,
        "did not recover after the restart: {}",
        scrape(&server)
    );
}

#[test]
fn counts_active_members_and_their_assignment() {
    let broker = KafkaBroker::start();
    let addr = broker.addr();
    broker.create_topic("events", 2);
    produce(&addr, "events", 0, 3);
    produce(&addr, "events", 1, 3);
    let consumer: BaseConsumer = config(&addr)
        .set("group.id", "live")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&["events"]).expect("subscribe");
    let mut read = 0;
    let joined = wait_until(Duration::from_secs(30), || {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(200)) {
            read += 1;
        }
        read >= 6
    });
    assert!(joined, "consumer read {read} of 6");
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit");
    produce(&addr, "events", 0, 1);
    // A group that only committed: no members.
    commit(&addr, "idle", "events", &[(0, 1), (1, 1)]);

    let server = exporter(&addr, &[]);
    let seen = wait_until(Duration::from_secs(20), || {
        let _ = consumer.poll(Duration::from_millis(10));
        let text = scrape(&server);
        value(
            &text,
            r#"kafka_consumergroup_members{consumergroup="live"}"#,
        ) == Some(1.0)
            && value(
                &text,
                r#"kafka_consumergroup_lag{consumergroup="live",topic="events",partition="0"}"#,
            ) == Some(1.0)
            && value(
                &text,
                r#"kafka_consumergroup_lag{consumergroup="idle",topic="events",partition="1"}"#,
            ) == Some(2.0)
    });
    assert!(seen, "{}", scrape(&server));

    // Upstream's --no-offset.show-all reports only connected groups'
    // assigned partitions (tansu returns no assignments, so none here);
    // the opt-in --group.lag-without-members adds groups with no members.
    let connected = exporter(&addr, &["--no-offset.show-all"]);
    let text = scrape(&connected);
    assert!(
        !text.contains(r#"kafka_consumergroup_lag{consumergroup="idle""#),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"kafka_consumergroup_members{consumergroup="idle"}"#
        ),
        Some(0.0),
        "{text}"
    );
    let with_idle = exporter(
        &addr,
        &["--offset.show-all=false", "--group.lag-without-members"],
    );
    let text = scrape(&with_idle);
    assert_eq!(
        value(
            &text,
            r#"kafka_consumergroup_lag{consumergroup="idle",topic="events",partition="0"}"#
        ),
        Some(3.0),
        "{text}"
    );
}

#[test]
fn concurrent_scrapes_share_one_refresh() {
    let broker = KafkaBroker::start();
    broker.create_topic("shared", 4);
    let server = exporter(&broker.addr(), &["--kafka.cache-ttl", "1"]);
    let url = server.url("/metrics");
    let bodies: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || testkit::http().get(&url).send().and_then(|r| r.text()))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scraper").expect("scrape"))
            .collect()
    });
    for body in &bodies {
        assert_eq!(
            value(body, r#"kafka_topic_partitions{topic="shared"}"#),
            Some(4.0),
            "{body}"
        );
    }
    let text = scrape(&server);
    let refreshes = value(&text, "kafka_exporter_refreshes_total").expect("refresh counter");
    assert!(
        (1.0..=2.0).contains(&refreshes),
        "9 scrapes made {refreshes} refreshes"
    );
    assert!(
        value(&text, "kafka_exporter_broker_requests_total").is_some_and(|r| r >= 3.0),
        "{text}"
    );
}

#[test]
fn a_hung_broker_is_down_within_the_scrape_deadline_and_costs_freshness() {
    let broker = KafkaBroker::start();
    broker.create_topic("steady", 2);
    let server = exporter(&broker.addr(), &["--kafka.timeout", "30"]);
    let text = scrape(&server);
    assert_eq!(
        value(&text, r#"kafka_topic_partitions{topic="steady"}"#),
        Some(2.0),
        "{text}"
    );

    let frozen = broker.freeze();
    let started = std::time::Instant::now();
    let response = testkit::http()
        .get(server.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "2")
        .send()
        .and_then(|r| r.text());
    let took = started.elapsed();
    frozen.thaw();
    let text = response.expect("scrape answers");
    assert!(took < Duration::from_secs(3), "scrape took {took:?}");
    // The cluster did not answer this scrape: down.
    assert_eq!(value(&text, "kafka_up"), Some(0.0), "{text}");
    // The last good result is served while the refresh is late.
    assert_eq!(
        value(&text, r#"kafka_topic_partitions{topic="steady"}"#),
        Some(2.0),
        "{text}"
    );
    let back = testkit::wait_until(Duration::from_secs(30), || {
        value(&scrape(&server), "kafka_up") == Some(1.0)
    });
    assert!(back, "kafka_up stayed 0 once the broker ran again");
}
