//! Traffic for `cargo xtask up`: a producer writing to topic `orders` (3
//! partitions), a consumer group `orders-fast` that keeps up, and a group
//! `analytics` that stays 20 messages per partition behind. When the control
//! file holds `stall`, `analytics` stops committing and the producer sends
//! a burst, so its lag passes KafkaConsumerLagHigh's 1000 (`cargo xtask
//! simulate kafka-lag`); `run` lets it catch up.
//!
//! `kafka_demo ADDR MESSAGES_PER_SECOND CONTROL_FILE`

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

type Error = Box<dyn std::error::Error + Send + Sync>;

const TOPIC: &str = "orders";
const PARTITIONS: i32 = 3;

fn arg(n: usize, default: &str) -> String {
    std::env::args()
        .nth(n)
        .unwrap_or_else(|| default.to_string())
}

fn commit(consumer: &BaseConsumer, offsets: &[i64]) -> Result<(), Error> {
    let mut tpl = TopicPartitionList::new();
    for (p, &o) in offsets.iter().enumerate() {
        tpl.add_partition_offset(TOPIC, p as i32, Offset::Offset(o.max(0)))?;
    }
    consumer.commit(&tpl, CommitMode::Sync)?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let addr = arg(1, "127.0.0.1:9092");
    let rate: f64 = arg(2, "5").parse()?;
    let control = arg(3, "kafka-control");
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &addr);
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let new = [NewTopic::new(TOPIC, PARTITIONS, TopicReplication::Fixed(1))];
    for result in runtime.block_on(admin.create_topics(&new, &AdminOptions::new()))? {
        if let Err((topic, err)) = result {
            eprintln!("topic {topic}: {err}");
        }
    }
    let producer: BaseProducer = config.clone().set("linger.ms", "0").create()?;
    let group = |id: &str| -> Result<BaseConsumer, Error> {
        Ok(config
            .clone()
            .set("group.id", id)
            .set("enable.auto.commit", "false")
            .create()?)
    };
    let fast = group("orders-fast")?;
    let analytics = group("analytics")?;
    let mut produced = [0i64; PARTITIONS as usize];
    let mut analytics_at = [0i64; PARTITIONS as usize];
    let mut next = 0usize;
    let mut burst_sent = false;
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let mut last_commit = Instant::now();
    loop {
        let stalled = std::fs::read_to_string(&control).is_ok_and(|s| s.trim() == "stall");
        if stalled && !burst_sent {
            // The burst from several producers at once (one flush per
            // message is slow), 200 messages each.
            let sent = std::thread::scope(|s| {
                let workers: Vec<_> = (0..6)
                    .map(|t| {
                        let config = config.clone();
                        s.spawn(move || -> Result<(usize, i64), Error> {
                            let producer: BaseProducer =
                                config.clone().set("linger.ms", "0").create()?;
                            let p = t % PARTITIONS as usize;
                            for _ in 0..200 {
                                producer
                                    .send(
                                        BaseRecord::<(), _>::to(TOPIC)
                                            .partition(p as i32)
                                            .payload("order"),
                                    )
                                    .map_err(|(e, _)| e)?;
                                producer.flush(Duration::from_secs(10))?;
                            }
                            Ok((p, 200))
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .filter_map(|w| w.join().ok().and_then(Result::ok))
                    .collect::<Vec<_>>()
            });
            for (p, n) in sent {
                produced[p] += n;
            }
        }
        burst_sent = stalled;
        {
            let p = next % PARTITIONS as usize;
            next += 1;
            producer
                .send(
                    BaseRecord::<(), _>::to(TOPIC)
                        .partition(p as i32)
                        .payload("order"),
                )
                .map_err(|(e, _)| e)?;
            // tansu's high watermark counts batches: one message each.
            producer.flush(Duration::from_secs(10))?;
            produced[p] += 1;
        }
        if last_commit.elapsed() >= Duration::from_secs(1) {
            last_commit = Instant::now();
            commit(&fast, &produced)?;
            if !stalled {
                for (a, &p) in analytics_at.iter_mut().zip(&produced) {
                    *a = (p - 20).max(0);
                }
            }
            commit(&analytics, &analytics_at)?;
        }
        std::thread::sleep(interval);
    }
}
