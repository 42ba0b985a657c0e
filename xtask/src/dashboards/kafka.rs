//! Kafka, from kafka-exporter (kafka_exporter compatible): consumer lag per
//! group and topic, lag in seconds, partitions, replication and brokers.

use super::{Dashboard, Var, layer_vars, open_row, row, stat, ts};

pub fn dashboard() -> Dashboard {
    let mut vars = layer_vars("kafka_brokers");
    vars.push(Var::optional(
        "topic",
        "topic",
        r#"label_values(kafka_topic_partitions{job=~"$job",instance=~"$instance"}, topic)"#,
    ));
    vars.push(Var::optional(
        "consumergroup",
        "consumer group",
        r#"label_values(kafka_consumergroup_members{job=~"$job",instance=~"$instance"}, consumergroup)"#,
    ));
    // `$S` is the cluster; topic and group are added where the family has them.
    let t = |expr: &str| expr.replace("$T", r#"$S,topic=~"$topic""#);
    let g = |expr: &str| {
        expr.replace(
            "$G",
            r#"$S,topic=~"$topic",consumergroup=~"$consumergroup""#,
        )
    };
    Dashboard {
        uid: "ferroscope-kafka",
        title: "Kafka",
        description: "Kafka clusters from kafka-exporter (kafka_exporter compatible): consumer \
                      lag per group and topic (in messages and seconds), throughput, partitions, \
                      replication and brokers. Raw metrics only; red lines are \
                      prometheus/rules/kafka.rules.yml's thresholds."
            .into(),
        vars,
        selector: super::LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Brokers", "Brokers in the cluster now; fewer than an hour ago fires KafkaBrokerCountDropped.")
                        .unit("short")
                        .q("sum(kafka_brokers{$S}) or vector(0)", "brokers"),
                    stat("Topics", "Topics in the cluster.")
                        .unit("short")
                        .q(t("count(kafka_topic_partitions{$T}) or vector(0)"), "topics"),
                    stat("Partitions", "Partitions of the selected topics.")
                        .unit("short")
                        .q(t("sum(kafka_topic_partitions{$T}) or vector(0)"), "partitions"),
                    stat("Under-replicated partitions", "Partitions with fewer in-sync replicas than replicas; any fires KafkaUnderReplicatedPartitions (a broker is down or slow).")
                        .unit("short")
                        .q(t("sum(kafka_topic_partition_under_replicated_partition{$T}) or vector(0)"), "under-replicated")
                        .alert_above(1.0, "KafkaUnderReplicatedPartitions"),
                    stat("Offline partitions", "Partitions without a leader (leader -1): nobody can read or write them; any fires KafkaOfflinePartitions.")
                        .unit("short")
                        .q(t("count(kafka_topic_partition_leader{$T} == -1) or vector(0)"), "offline")
                        .alert_above(1.0, "KafkaOfflinePartitions"),
                    stat("Highest consumer lag", "The largest lag of any group on any topic, in messages; above 1000 for 10 minutes fires KafkaConsumerLagHigh.")
                        .unit("short")
                        .q(g("max(sum by (consumergroup, topic) (kafka_consumergroup_lag{$G})) or vector(0)"), "lag")
                        .alert_above(1000.0, "KafkaConsumerLagHigh"),
                ],
            ),
            open_row(
                "Consumer groups",
                vec![
                    ts("Lag per group and topic", "Messages each consumer group is behind the end of each topic; above the red line for 10 minutes fires KafkaConsumerLagHigh.")
                        .unit("short")
                        .q(g("sum by (consumergroup, topic) (kafka_consumergroup_lag{$G})"), "{{consumergroup}} {{topic}}")
                        .alert_above(1000.0, "KafkaConsumerLagHigh"),
                    ts("Lag in seconds", "Age of the oldest message each group has not consumed yet per topic; this is how late the consumers' results are.")
                        .unit("s")
                        .q(g("max by (consumergroup, topic) (kafka_consumergroup_lag_seconds{$G})"), "{{consumergroup}} {{topic}}")
                        .only_where("kafka-exporter runs with --group.lag-seconds"),
                    ts("Consumption rate", "Messages each group commits per second per topic; below the production rate, lag grows.")
                        .unit("ops")
                        .q(g("sum by (consumergroup, topic) (deriv(kafka_consumergroup_current_offset_sum{$G}[5m]))"), "{{consumergroup}} {{topic}}"),
                    ts("Members per group", "Consumers in each group; 0 members with lag growing means nobody consumes.")
                        .unit("short")
                        .q(r#"kafka_consumergroup_members{$S,consumergroup=~"$consumergroup"}"#, "{{consumergroup}}"),
                    ts("Lag per partition", "The ten partitions with the most lag; one partition far behind the others means a stuck consumer or a hot key.")
                        .unit("short")
                        .q(g("topk(10, kafka_consumergroup_lag{$G})"), "{{consumergroup}} {{topic}}/{{partition}}"),
                ],
            ),
            row(
                "Topics",
                vec![
                    ts("Messages in per second", "Messages produced per second per topic (the growth of the partitions' newest offsets).")
                        .unit("ops")
                        .q(t("sum by (topic) (deriv(kafka_topic_partition_current_offset{$T}[5m]))"), "{{topic}}"),
                    ts("Retained messages", "Messages each topic holds (newest minus oldest offset); a topic that only grows has no retention.")
                        .unit("short")
                        .q(t("sum by (topic) (kafka_topic_partition_current_offset{$T} - kafka_topic_partition_oldest_offset{$T})"), "{{topic}}"),
                    ts("Partitions per topic", "Partitions of each topic (the most consumers a group can use on it).")
                        .unit("short")
                        .q(t("kafka_topic_partitions{$T}"), "{{topic}}"),
                    ts("Under-replicated partitions", "Partitions per topic with fewer in-sync replicas than replicas; above the red line fires KafkaUnderReplicatedPartitions.")
                        .unit("short")
                        .q(t("sum by (topic) (kafka_topic_partition_under_replicated_partition{$T})"), "{{topic}}")
                        .alert_above(1.0, "KafkaUnderReplicatedPartitions"),
                    ts("Replicas and in-sync replicas", "Replicas and in-sync replicas per topic; in-sync below replicas means a broker lags.")
                        .unit("short")
                        .q(t("sum by (topic) (kafka_topic_partition_replicas{$T})"), "{{topic}} replicas")
                        .q(t("sum by (topic) (kafka_topic_partition_in_sync_replica{$T})"), "{{topic}} in sync"),
                    ts("Partitions not led by their preferred leader", "Partitions per topic whose leader is not the preferred replica; many mean leadership is unbalanced across brokers.")
                        .unit("short")
                        .q(t("count by (topic) (kafka_topic_partition_leader_is_preferred{$T} == 0) or count by (topic) (kafka_topic_partitions{$T}) * 0"), "{{topic}}"),
                ],
            ),
            row(
                "Brokers and kafka-exporter",
                vec![
                    ts("Brokers", "Brokers now against the most in the last hour; below it fires KafkaBrokerCountDropped.")
                        .unit("short")
                        .q("kafka_brokers{$S}", "{{instance}} now")
                        .q("max_over_time(kafka_brokers{$S}[1h])", "{{instance}} max 1h"),
                    ts("Exporter reaches the cluster", "Whether the exporter's last metadata refresh reached the cluster (1); 0 means every other panel is stale.")
                        .unit("bool")
                        .q("kafka_up{$S}", "{{instance}}")
                        .colors("red", &[(1.0, "green")]),
                    ts("Refresh duration and failures", "How long the exporter's last refresh of offsets and groups took, and failed refreshes per second.")
                        .unit("s")
                        .q("kafka_exporter_refresh_duration_seconds{$S}", "{{instance}} duration")
                        .q("rate(kafka_exporter_refresh_failures_total{$S}[$__rate_interval])", "{{instance}} failures/s"),
                ],
            ),
        ],
    }
}
