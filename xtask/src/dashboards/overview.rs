//! The stack at a glance: firing alerts, targets, and one health signal per
//! layer, each series linking to its layer's dashboard with the time range
//! and the series' job and instance.

use super::{Dashboard, Var, open_row, stat, ts};

pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "ferroscope-overview",
        title: "Overview",
        description: "Every layer at a glance: firing alerts, scrape targets and one health \
                      signal per layer. Select hosts and layers at the top; click a series to \
                      open its layer's dashboard for that instance and time range. Raw \
                      metrics and the ALERTS series only (no recording rules needed)."
            .into(),
        vars: vec![
            Var::optional("host", "host", "label_values(up, host)"),
            Var::optional("layer", "layer", "label_values(up, layer)"),
        ],
        selector: r#"host=~"$host",layer=~"$layer""#,
        rows: vec![
            open_row(
                "Alerts and targets",
                vec![
                    stat("Critical alerts firing", "Critical alerts firing now on the selected hosts and layers; anything but 0 pages someone.")
                        .unit("short")
                        .q(r#"count(ALERTS{alertstate="firing",severity="critical",$S}) or vector(0)"#, "critical")
                        .colors("green", &[(1.0, "red")]),
                    stat("Warnings firing", "Warning alerts firing now on the selected hosts and layers.")
                        .unit("short")
                        .q(r#"count(ALERTS{alertstate="firing",severity="warning",$S}) or vector(0)"#, "warning")
                        .colors("green", &[(1.0, "orange")]),
                    stat("Alerts pending", "Alerts whose condition holds but whose `for` has not passed yet: what may fire next.")
                        .unit("short")
                        .q(r#"count(ALERTS{alertstate="pending",$S}) or vector(0)"#, "pending")
                        .colors("green", &[(1.0, "orange")]),
                    stat("Targets down", "Scrape targets whose last scrape failed; each down for a minute fires HostDown or ExporterDown.")
                        .unit("short")
                        .q("count(up{$S} == 0) or vector(0)", "down")
                        .alert_above(1.0, "ExporterDown"),
                    stat("Targets up", "Scrape targets whose last scrape succeeded.")
                        .unit("short")
                        .q("count(up{$S} == 1) or vector(0)", "up"),
                    ts("Firing alerts by name", "Alerts firing over time by name and severity; the timeline of an incident.")
                        .unit("short")
                        .w(12)
                        .q(r#"count by (alertname, severity) (ALERTS{alertstate="firing",$S})"#, "{{alertname}} ({{severity}})")
                        .q(r#"count(ALERTS{alertstate="firing",$S}) or vector(0)"#, "all"),
                    ts("Targets up by job", "Share of each job's targets whose last scrape succeeded; below 1 a target is down. Click a series for its layer dashboard.")
                        .unit("percentunit")
                        .w(12)
                        .max(1.0)
                        .q("avg by (job, layer) (up{$S})", "{{job}} ({{layer}})")
                        .alert_below(1.0, "ExporterDown"),
                ],
            ),
            open_row(
                "Hosts and containers",
                vec![
                    ts("Host CPU busy", "Share of CPU time not idle per host (5-minute average); above the red line for 10 minutes fires HostHighCpu. Click a series for the node dashboard.")
                        .unit("percentunit")
                        .w(8)
                        .max(1.0)
                        .q(r#"1 - avg by (job, instance) (rate(node_cpu_seconds_total{$S,mode="idle"}[5m]))"#, "{{instance}}")
                        .alert_above(0.8, "HostHighCpu")
                        .drill("Node dashboard for ${__field.labels.instance}", "ferroscope-node"),
                    ts("Host memory used", "Share of memory not available per host; above the red line for 10 minutes fires HostHighMemory. Click a series for the node dashboard.")
                        .unit("percentunit")
                        .w(8)
                        .max(1.0)
                        .q("1 - node_memory_MemAvailable_bytes{$S} / node_memory_MemTotal_bytes{$S}", "{{instance}}")
                        .alert_above(0.9, "HostHighMemory")
                        .drill("Node dashboard for ${__field.labels.instance}", "ferroscope-node"),
                    ts("Container memory of limit", "Working set against the memory limit per container; above the red line for 5 minutes fires ContainerMemoryNearLimit. Click a series for the containers dashboard.")
                        .unit("percentunit")
                        .w(8)
                        .max(1.0)
                        .q(r#"sum by (job, instance, name) (container_memory_working_set_bytes{$S,name!=""}) / sum by (job, instance, name) (container_spec_memory_limit_bytes{$S,name!=""} > 0)"#, "{{name}}")
                        .alert_above(0.9, "ContainerMemoryNearLimit")
                        .drill("Containers dashboard for ${__field.labels.instance}", "ferroscope-containers"),
                ],
            ),
            open_row(
                "Services",
                vec![
                    ts("Endpoint probe success", "Whether each endpoint's last probe succeeded (1); 0 for a minute fires EndpointDown. Click a series for the endpoints dashboard.")
                        .unit("bool")
                        .w(8)
                        .min(0.0)
                        .max(1.0)
                        .q("probe_success{$S}", "{{instance}}")
                        .alert_below(1.0, "EndpointDown")
                        .drill("Endpoints dashboard for ${__field.labels.instance}", "ferroscope-endpoints"),
                    ts("API error ratio", "Share of API requests answered 5xx (5-minute rate); above the red line for 5 minutes fires AppHighErrorRate. Click a series for the API dashboard.")
                        .unit("percentunit")
                        .w(8)
                        .q(r#"(sum by (job, instance) (rate(app_requests_total{$S,status=~"5.."}[5m])) or 0 * sum by (job, instance) (rate(app_requests_total{$S}[5m]))) / sum by (job, instance) (rate(app_requests_total{$S}[5m]))"#, "{{instance}}")
                        .alert_above(0.05, "AppHighErrorRate")
                        .drill("API dashboard for ${__field.labels.instance}", "ferroscope-api"),
                    ts("API p95 latency", "95th percentile API request duration (5-minute rate); above the red line for 10 minutes fires AppHighLatency. Click a series for the API dashboard.")
                        .unit("s")
                        .w(8)
                        .q("histogram_quantile(0.95, sum by (job, instance, le) (rate(app_request_duration_seconds_bucket{$S}[5m])))", "{{instance}}")
                        .alert_above(0.5, "AppHighLatency")
                        .drill("API dashboard for ${__field.labels.instance}", "ferroscope-api"),
                    ts("Redis and MySQL up", "Whether the exporters reach Redis and MySQL (1); 0 fires RedisDown / MysqlDown. Click a series for the layer's dashboard.")
                        .unit("bool")
                        .w(8)
                        .min(0.0)
                        .max(1.0)
                        .q("redis_up{$S}", "redis {{instance}}")
                        .q("mysql_up{$S}", "mysql {{instance}}")
                        .alert_below(1.0, "RedisDown / MysqlDown")
                        .drill("Redis dashboard for ${__field.labels.instance}", "ferroscope-redis")
                        .drill("MySQL dashboard for ${__field.labels.instance}", "ferroscope-mysql"),
                    ts("Kafka consumer lag", "Messages each consumer group is behind per topic; above the red line for 10 minutes fires KafkaConsumerLagHigh. Click a series for the Kafka dashboard.")
                        .unit("short")
                        .w(8)
                        .q("sum by (job, instance, consumergroup, topic) (kafka_consumergroup_lag{$S})", "{{consumergroup}} {{topic}}")
                        .alert_above(1000.0, "KafkaConsumerLagHigh")
                        .drill("Kafka dashboard for ${__field.labels.instance}", "ferroscope-kafka"),
                    ts("Kafka brokers", "Brokers per cluster; fewer than an hour ago fires KafkaBrokerCountDropped. Click a series for the Kafka dashboard.")
                        .unit("short")
                        .w(8)
                        .q("kafka_brokers{$S}", "{{instance}}")
                        .drill("Kafka dashboard for ${__field.labels.instance}", "ferroscope-kafka"),
                ],
            ),
        ],
    }
}
