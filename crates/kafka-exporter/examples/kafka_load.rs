//! Fills a broker for `cargo xtask bench kafka`: topics × partitions with one
//! message per partition, and consumer groups that each committed offsets
//! on every partition of one topic (no members).
//!
//! `cargo run --release -p kafka-exporter --example kafka_load -- ADDR TOPICS PARTITIONS GROUPS`

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn arg(n: usize, default: &str) -> String {
    std::env::args()
        .nth(n)
        .unwrap_or_else(|| default.to_string())
}

fn main() -> Result<(), Error> {
    let addr = arg(1, "127.0.0.1:9092");
    let topics: usize = arg(2, "100").parse()?;
    let partitions: i32 = arg(3, "10").parse()?;
    let groups: usize = arg(4, "1000").parse()?;
    let started = Instant::now();
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &addr);

    let names: Vec<String> = (0..topics).map(|i| format!("bench-{i:03}")).collect();
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    let runtime = tokio::runtime::Runtime::new()?;
    for chunk in names.chunks(20) {
        let new: Vec<NewTopic<'_>> = chunk
            .iter()
            .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
            .collect();
        for result in runtime.block_on(admin.create_topics(&new, &AdminOptions::new()))? {
            if let Err((topic, err)) = result {
                eprintln!("topic {topic}: {err}");
            }
        }
    }
    println!("{topics} topics in {:?}", started.elapsed());

    std::thread::scope(|s| -> Result<(), Error> {
        let workers: Vec<_> = names
            .chunks(topics.div_ceil(4).max(1))
            .map(|chunk| {
                let config = config.clone();
                s.spawn(move || -> Result<(), Error> {
                    let producer: BaseProducer = config.clone().set("linger.ms", "0").create()?;
                    for topic in chunk {
                        for p in 0..partitions {
                            producer
                                .send(BaseRecord::<(), _>::to(topic).partition(p).payload("x"))
                                .map_err(|(e, _)| e)?;
                            producer.flush(Duration::from_secs(10))?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "producer thread panicked")??;
        }
        Ok(())
    })?;
    println!("messages in {:?}", started.elapsed());

    let ids: Vec<usize> = (0..groups).collect();
    std::thread::scope(|s| -> Result<(), Error> {
        let workers: Vec<_> = ids
            .chunks(groups.div_ceil(8).max(1))
            .map(|chunk| {
                let config = config.clone();
                let names = &names;
                s.spawn(move || -> Result<(), Error> {
                    for &g in chunk {
                        let consumer: BaseConsumer = config
                            .clone()
                            .set("group.id", format!("bench-group-{g:04}"))
                            .set("enable.auto.commit", "false")
                            .create()?;
                        let mut tpl = TopicPartitionList::new();
                        for p in 0..partitions {
                            tpl.add_partition_offset(
                                &names[g % names.len()],
                                p,
                                Offset::Offset(0),
                            )?;
                        }
                        consumer.commit(&tpl, CommitMode::Sync)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "group thread panicked")??;
        }
        Ok(())
    })?;
    println!("{groups} groups in {:?}", started.elapsed());
    Ok(())
}
