//! kafka_exporter's families from a [`Snapshot`], with its lag rules:
//! a partition a group never committed has current offset -1 and lag -1;
//! -1 lags are left out of `lag_sum` while `current_offset_sum` adds every
//! committed offset (-1 included); a topic whose partitions are all -1 for a
//! group is left out for that group.

use exporter_kit::{Desc, Emitter};

use crate::snapshot::{Group, Snapshot, Topic};

pub struct Metrics {
    pub up: Desc,
    brokers: Desc,
    broker_info: Desc,
    topic_partitions: Desc,
    current_offset: Desc,
    oldest_offset: Desc,
    in_sync_replica: Desc,
    leader: Desc,
    leader_is_preferred: Desc,
    replicas: Desc,
    under_replicated: Desc,
    group_current_offset: Desc,
    group_current_offset_sum: Desc,
    group_lag: Desc,
    group_lag_sum: Desc,
    group_lag_seconds: Desc,
    group_members: Desc,
    const_values: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// `--offset.show-all`
    pub show_all: bool,
    /// `--group.lag-without-members`
    pub lag_without_members: bool,
    /// `--group.lag-seconds`
    pub lag_seconds: bool,
}

impl Metrics {
    /// `const_labels` (from `--kafka.labels`) go on every family.
    pub fn new(const_labels: &[(String, String)]) -> Metrics {
        let keys: Vec<&str> = const_labels.iter().map(|(k, _)| k.as_str()).collect();
        let g = |name: &str, help: &str, labels: &[&str]| {
            let mut all: Vec<&str> = labels.to_vec();
            all.extend(keys.iter().copied().filter(|k| !labels.contains(k)));
            Desc::gauge(name, help, &all)
        };
        let tp = &["topic", "partition"];
        let gtp = &["consumergroup", "topic", "partition"];
        let gt = &["consumergroup", "topic"];
        Metrics {
            up: g(
                "kafka_up",
                "Whether the last refresh from the Kafka cluster succeeded (not in upstream).",
                &[],
            ),
            brokers: g(
                "kafka_brokers",
                "Number of brokers in the Kafka cluster.",
                &[],
            ),
            broker_info: g(
                "kafka_broker_info",
                "Information about a Kafka broker.",
                &["id", "address"],
            ),
            topic_partitions: g(
                "kafka_topic_partitions",
                "Number of partitions of the topic.",
                &["topic"],
            ),
            current_offset: g(
                "kafka_topic_partition_current_offset",
                "High watermark of the topic partition.",
                tp,
            ),
            oldest_offset: g(
                "kafka_topic_partition_oldest_offset",
                "Oldest (log start) offset of the topic partition.",
                tp,
            ),
            in_sync_replica: g(
                "kafka_topic_partition_in_sync_replica",
                "Number of in-sync replicas of the topic partition.",
                tp,
            ),
            leader: g(
                "kafka_topic_partition_leader",
                "Broker id of the leader of the topic partition.",
                tp,
            ),
            leader_is_preferred: g(
                "kafka_topic_partition_leader_is_preferred",
                "1 if the topic partition's leader is its preferred replica.",
                tp,
            ),
            replicas: g(
                "kafka_topic_partition_replicas",
                "Number of replicas of the topic partition.",
                tp,
            ),
            under_replicated: g(
                "kafka_topic_partition_under_replicated_partition",
                "1 if the topic partition has fewer in-sync replicas than replicas.",
                tp,
            ),
            group_current_offset: g(
                "kafka_consumergroup_current_offset",
                "Committed offset of the consumer group at the topic partition (-1: none).",
                gtp,
            ),
            group_current_offset_sum: g(
                "kafka_consumergroup_current_offset_sum",
                "Sum of the consumer group's committed offsets over the topic's partitions.",
                gt,
            ),
            group_lag: g(
                "kafka_consumergroup_lag",
                "Approximate lag of the consumer group at the topic partition (-1: no committed offset).",
                gtp,
            ),
            group_lag_sum: g(
                "kafka_consumergroup_lag_sum",
                "Approximate lag of the consumer group summed over the topic's partitions.",
                gt,
            ),
            group_lag_seconds: g(
                "kafka_consumergroup_lag_seconds",
                "Age of the message at the consumer group's committed offset, 0 when caught up (not in upstream).",
                gtp,
            ),
            group_members: g(
                "kafka_consumergroup_members",
                "Number of members of the consumer group.",
                &["consumergroup"],
            ),
            const_values: const_labels.iter().map(|(_, v)| v.clone()).collect(),
        }
    }

    /// Emits `desc` with `labels` followed by the constant label values.
    pub fn emit(&self, out: &mut Emitter, desc: &Desc, labels: &[&str], value: f64) {
        if self.const_values.is_empty() {
            out.gauge(desc, labels, value);
            return;
        }
        let mut all: Vec<&str> = labels.to_vec();
        all.extend(self.const_values.iter().map(String::as_str));
        out.gauge(desc, &all, value);
    }

    pub fn render(&self, snap: &Snapshot, opts: &RenderOptions, out: &mut Emitter) {
        self.emit(out, &self.brokers, &[], snap.brokers.len() as f64);
        for b in &snap.brokers {
            self.emit(
                out,
                &self.broker_info,
                &[&b.id.to_string(), &b.address],
                1.0,
            );
        }
        for topic in &snap.topics {
            self.render_topic(topic, out);
        }
        for group in snap.groups.iter().flatten() {
            self.render_group(snap, group, opts, out);
        }
    }

    fn render_topic(&self, topic: &Topic, out: &mut Emitter) {
        let t = topic.name.as_str();
        self.emit(
            out,
            &self.topic_partitions,
            &[t],
            topic.partitions.len() as f64,
        );
        for p in &topic.partitions {
            let id = p.id.to_string();
            let l = [t, id.as_str()];
            if let Some(leader) = p.leader {
                self.emit(out, &self.leader, &l, f64::from(leader));
                let preferred = p.replicas.first() == Some(&leader);
                self.emit(
                    out,
                    &self.leader_is_preferred,
                    &l,
                    if preferred { 1.0 } else { 0.0 },
                );
            }
            if let Some(newest) = p.newest {
                self.emit(out, &self.current_offset, &l, newest as f64);
            }
            if let Some(oldest) = p.oldest {
                self.emit(out, &self.oldest_offset, &l, oldest as f64);
            }
            self.emit(out, &self.replicas, &l, p.replicas.len() as f64);
            self.emit(out, &self.in_sync_replica, &l, p.isr.len() as f64);
            let under = p.isr.len() < p.replicas.len();
            self.emit(
                out,
                &self.under_replicated,
                &l,
                if under { 1.0 } else { 0.0 },
            );
        }
    }

    fn render_group(
        &self,
        snap: &Snapshot,
        group: &Group,
        opts: &RenderOptions,
        out: &mut Emitter,
    ) {
        let g = group.name.as_str();
        self.emit(out, &self.group_members, &[g], group.members as f64);
        let Some(committed) = &group.committed else {
            return;
        };
        let every_partition = opts.show_all || (group.members == 0 && opts.lag_without_members);
        // (topic, partitions to report), sorted by topic.
        let mut wanted: Vec<(&Topic, Vec<i32>)> = Vec::new();
        if every_partition {
            let mut names: Vec<&str> = committed.keys().map(|(t, _)| t.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                if let Some(topic) = snap.topic(name) {
                    wanted.push((topic, topic.partitions.iter().map(|p| p.id).collect()));
                }
            }
        } else {
            let mut names: Vec<&String> = group.assigned.keys().collect();
            names.sort_unstable();
            for name in names {
                if let (Some(topic), Some(parts)) = (snap.topic(name), group.assigned.get(name)) {
                    let mut parts = parts.clone();
                    parts.sort_unstable();
                    parts.dedup();
                    wanted.push((topic, parts));
                }
            }
        }
        for (topic, partitions) in wanted {
            let t = topic.name.as_str();
            let offsets: Vec<(i32, i64)> = partitions
                .iter()
                .map(|&p| (p, committed.get(&(t.to_string(), p)).copied().unwrap_or(-1)))
                .map(|(p, o)| (p, if o < 0 { -1 } else { o }))
                .collect();
            if offsets.iter().all(|&(_, o)| o == -1) {
                continue;
            }
            let mut offset_sum: i64 = 0;
            let mut lag_sum: i64 = 0;
            for (p, offset) in offsets {
                let id = p.to_string();
                let l = [g, t, id.as_str()];
                self.emit(out, &self.group_current_offset, &l, offset as f64);
                offset_sum += offset;
                let newest = topic
                    .partitions
                    .iter()
                    .find(|x| x.id == p)
                    .and_then(|x| x.newest);
                let Some(newest) = newest else { continue };
                let lag = if offset == -1 { -1 } else { newest - offset };
                self.emit(out, &self.group_lag, &l, lag as f64);
                if offset != -1 {
                    lag_sum += lag;
                    if opts.lag_seconds {
                        let seconds = if offset >= newest {
                            Some(0.0)
                        } else {
                            snap.timestamps
                                .get(&(t.to_string(), p, offset))
                                .map(|ts| ((snap.taken_ms - ts).max(0) as f64) / 1000.0)
                        };
                        if let Some(s) = seconds {
                            self.emit(out, &self.group_lag_seconds, &l, s);
                        }
                    }
                }
            }
            self.emit(
                out,
                &self.group_current_offset_sum,
                &[g, t],
                offset_sum as f64,
            );
            self.emit(out, &self.group_lag_sum, &[g, t], lag_sum as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use exporter_kit::testing::to_text;

    use super::*;
    use crate::snapshot::{Broker, Partition};

    fn snapshot() -> Snapshot {
        let part = |id, newest| Partition {
            id,
            leader: Some(1),
            replicas: vec![1],
            isr: vec![1],
            newest: Some(newest),
            oldest: Some(0),
        };
        let mut committed = HashMap::new();
        committed.insert(("orders".to_string(), 0), 4);
        committed.insert(("orders".to_string(), 1), 10);
        let mut untouched = HashMap::new();
        untouched.insert(("other".to_string(), 0), 1);
        let mut timestamps = HashMap::new();
        timestamps.insert(("orders".to_string(), 0, 4), 1_000);
        Snapshot {
            brokers: vec![Broker {
                id: 1,
                address: "127.0.0.1:9092".into(),
            }],
            topics: vec![
                Topic {
                    name: "orders".into(),
                    partitions: vec![part(0, 10), part(1, 10), part(2, 7)],
                },
                Topic {
                    name: "other".into(),
                    partitions: vec![part(0, 1)],
                },
            ],
            groups: Some(vec![
                Group {
                    name: "billing".into(),
                    members: 0,
                    committed: Some(committed),
                    ..Group::default()
                },
                Group {
                    name: "idle".into(),
                    members: 2,
                    committed: Some(HashMap::new()),
                    ..Group::default()
                },
                Group {
                    name: "caught-up".into(),
                    members: 1,
                    committed: Some(untouched),
                    ..Group::default()
                },
            ]),
            timestamps,
            taken_ms: 6_500,
            requests: 0,
        }
    }

    fn text(snap: &Snapshot, opts: RenderOptions, labels: &[(String, String)]) -> String {
        let mut out = Emitter::new();
        Metrics::new(labels).render(snap, &opts, &mut out);
        to_text(&exporter_kit::runner::merge(out.into_families()))
    }

    const ALL: RenderOptions = RenderOptions {
        show_all: true,
        lag_without_members: false,
        lag_seconds: true,
    };

    #[test]
    fn lag_rules_follow_upstream() {
        let t = text(&snapshot(), ALL, &[]);
        for line in [
            r#"kafka_consumergroup_current_offset{consumergroup="billing",topic="orders",partition="0"} 4"#,
            r#"kafka_consumergroup_current_offset{consumergroup="billing",topic="orders",partition="2"} -1"#,
            r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="0"} 6"#,
            r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="1"} 0"#,
            r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="2"} -1"#,
            // 4 + 10 + -1: upstream adds the -1.
            r#"kafka_consumergroup_current_offset_sum{consumergroup="billing",topic="orders"} 13"#,
            // 6 + 0, the -1 left out.
            r#"kafka_consumergroup_lag_sum{consumergroup="billing",topic="orders"} 6"#,
            r#"kafka_consumergroup_members{consumergroup="idle"} 2"#,
            r#"kafka_consumergroup_members{consumergroup="billing"} 0"#,
            r#"kafka_consumergroup_lag_seconds{consumergroup="billing",topic="orders",partition="0"} 5.5"#,
            r#"kafka_consumergroup_lag_seconds{consumergroup="billing",topic="orders",partition="1"} 0"#,
            r#"kafka_topic_partitions{topic="orders"} 3"#,
            r#"kafka_topic_partition_current_offset{topic="orders",partition="2"} 7"#,
            r#"kafka_topic_partition_leader_is_preferred{topic="orders",partition="2"} 1"#,
            r#"kafka_broker_info{id="1",address="127.0.0.1:9092"} 1"#,
            "kafka_brokers 1",
        ] {
            assert!(testkit::has_sample(&t, line), "missing {line} in\n{t}");
        }
        // A group that committed nothing on a topic reports nothing for it.
        assert!(
            !t.lines()
                .any(|l| l.contains(r#"consumergroup="idle""#) && l.contains("topic=")),
            "{t}"
        );
        assert!(
            !t.lines()
                .any(|l| l.contains(r#"consumergroup="caught-up""#)
                    && l.contains(r#"topic="orders""#)),
            "{t}"
        );
    }

    #[test]
    fn without_show_all_only_assigned_partitions() {
        let mut snap = snapshot();
        if let Some(groups) = snap.groups.as_mut() {
            groups[0].assigned.insert("orders".into(), vec![1]);
        }
        let opts = RenderOptions {
            show_all: false,
            lag_without_members: false,
            lag_seconds: false,
        };
        let t = text(&snap, opts, &[]);
        assert!(
            testkit::has_sample(
                &t,
                r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="1"} 0"#
            ),
            "{t}"
        );
        assert!(
            !t.lines()
                .any(|l| l.contains(r#"partition="0""#) && l.ends_with("} 6")),
            "{t}"
        );
        // Opt-in: a group with no members reports all its committed topics.
        if let Some(groups) = snap.groups.as_mut() {
            groups[0].assigned.clear();
        }
        let t = text(
            &snap,
            RenderOptions {
                lag_without_members: true,
                ..opts
            },
            &[],
        );
        assert!(
            testkit::has_sample(
                &t,
                r#"kafka_consumergroup_lag{consumergroup="billing",topic="orders",partition="0"} 6"#
            ),
            "{t}"
        );
    }

    #[test]
    fn cluster_labels_on_every_family() {
        let labels = vec![("cluster".to_string(), "east".to_string())];
        let t = text(&snapshot(), ALL, &labels);
        assert!(
            testkit::has_sample(&t, r#"kafka_brokers{cluster="east"} 1"#),
            "{t}"
        );
        assert!(
            testkit::has_sample(
                &t,
                r#"kafka_topic_partitions{topic="orders",cluster="east"} 3"#
            ),
            "{t}"
        );
        for line in t.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.contains(r#"cluster="east""#), "{line}");
        }
    }
}
