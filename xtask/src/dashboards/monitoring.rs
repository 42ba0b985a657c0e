//! Monitoring the monitoring: Prometheus (ingestion, head series, scrapes,
//! rule evaluation, notifications, storage) and Alertmanager (alerts,
//! notifications, latency, failures), from their own /metrics.

use super::{Dashboard, Var, open_row, row, stat, ts};

/// Alertmanager's panels need Prometheus to scrape Alertmanager.
const SCRAPES_ALERTMANAGER: &str = "Prometheus scrapes Alertmanager (a job like `alertmanager`)";

pub fn dashboard() -> Dashboard {
    let a = |expr: &str| expr.replace("$A", r#"job=~"$alertmanager""#);
    Dashboard {
        uid: "ferroscope-monitoring",
        title: "Prometheus & Alertmanager",
        description: "The monitoring stack itself, from Prometheus's and Alertmanager's own \
                      metrics: ingestion, head series, scrapes, rule evaluation, notifications \
                      and storage; Alertmanager's alerts and notifications. Needs Prometheus to \
                      scrape itself and Alertmanager (jobs selected by the variables)."
            .into(),
        vars: vec![
            Var::query("prometheus", "Prometheus job", "label_values(prometheus_build_info, job)"),
            Var::query("instance", "Prometheus", r#"label_values(prometheus_build_info{job=~"$prometheus"}, instance)"#),
            Var::query("alertmanager", "Alertmanager job", "label_values(alertmanager_build_info, job)"),
        ],
        selector: r#"job=~"$prometheus",instance=~"$instance""#,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Prometheus up", "Whether Prometheus scraped itself successfully (1); 0 or empty means this dashboard is blind.")
                        .unit("bool")
                        .q("min(up{$S})", "up")
                        .colors("red", &[(1.0, "green")]),
                    stat("Head series", "Series in memory now; sudden growth is a cardinality explosion (a new label with unbounded values).")
                        .unit("short")
                        .q("sum(prometheus_tsdb_head_series{$S})", "series"),
                    stat("Samples ingested per second", "Samples appended to the head per second over 5 minutes.")
                        .unit("short")
                        .q("sum(rate(prometheus_tsdb_head_samples_appended_total{$S}[5m]))", "samples/s"),
                    stat("Targets down", "Scrape targets whose last scrape failed (up == 0), across all jobs.")
                        .unit("short")
                        .q("count(up == 0) or vector(0)", "down")
                        .colors("green", &[(1.0, "red")]),
                    stat("Config reloaded", "Whether Prometheus's last configuration reload succeeded (1); 0 means it still runs the previous config.")
                        .unit("bool")
                        .q("min(prometheus_config_last_reload_successful{$S})", "reload")
                        .colors("red", &[(1.0, "green")]),
                    stat("Firing alerts", "Alerts firing now (the Watchdog, if configured, always fires).")
                        .unit("short")
                        .q(r#"count(ALERTS{alertstate="firing"}) or vector(0)"#, "firing"),
                ],
            ),
            open_row(
                "Ingestion",
                vec![
                    ts("Samples ingested", "Samples appended to the head per second; a drop means targets vanished, a jump a new high-cardinality target.")
                        .unit("short")
                        .q("sum by (instance) (rate(prometheus_tsdb_head_samples_appended_total{$S}[$__rate_interval]))", "{{instance}}"),
                    ts("Head series", "Series in memory; memory use follows it, so unbounded growth ends in an OOM kill.")
                        .unit("short")
                        .q("prometheus_tsdb_head_series{$S}", "{{instance}}"),
                    ts("Series churn", "Series created and removed per second; high churn (short-lived series) costs memory and index size.")
                        .unit("short")
                        .q("rate(prometheus_tsdb_head_series_created_total{$S}[$__rate_interval])", "{{instance}} created")
                        .q("rate(prometheus_tsdb_head_series_removed_total{$S}[$__rate_interval])", "{{instance}} removed"),
                    ts("Head chunks", "Chunks in the head block; follows series and scrape frequency.")
                        .unit("short")
                        .q("prometheus_tsdb_head_chunks{$S}", "{{instance}}"),
                ],
            ),
            open_row(
                "Scrapes",
                vec![
                    ts("Scrape duration by job", "Longest scrape of each job; near the scrape timeout, scrapes fail and targets look down.")
                        .unit("s")
                        .q("max by (job) (scrape_duration_seconds)", "{{job}}"),
                    ts("Samples scraped by job", "Samples each job returns per scrape; growth is where the series come from.")
                        .unit("short")
                        .q("sum by (job) (scrape_samples_scraped)", "{{job}}"),
                    ts("Targets up by job", "Share of each job's targets whose last scrape succeeded; below 1 a target is down.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("avg by (job) (up)", "{{job}}")
                        .colors("red", &[(1.0, "green")]),
                    ts("Scrape interval (p99)", "The 99th percentile of the actual time between scrapes per configured interval; far above the configured interval, Prometheus is overloaded.")
                        .unit("s")
                        .q(r#"prometheus_target_interval_length_seconds{$S,quantile="0.99"}"#, "{{instance}} {{interval}}"),
                    ts("Scrapes over limits", "Scrapes per second rejected for exceeding sample_limit or the body size limit; the target's data is lost while it lasts.")
                        .unit("ops")
                        .q("rate(prometheus_target_scrapes_exceeded_sample_limit_total{$S}[$__rate_interval])", "{{instance}} sample_limit")
                        .q("rate(prometheus_target_scrapes_exceeded_body_size_limit_total{$S}[$__rate_interval])", "{{instance}} body size")
                        .colors("green", &[(0.001, "red")]),
                ],
            ),
            row(
                "Rule evaluation",
                vec![
                    ts("Rule group duration of interval", "Time each rule group's last evaluation took as a share of its interval; near 1 evaluations are skipped.")
                        .unit("percentunit")
                        .q("prometheus_rule_group_last_duration_seconds{$S} / prometheus_rule_group_interval_seconds{$S}", "{{rule_group}}")
                        .colors("green", &[(0.5, "orange"), (1.0, "red")]),
                    ts("Rule evaluation duration (p99)", "The 99th percentile time to evaluate one rule.")
                        .unit("s")
                        .q(r#"prometheus_rule_evaluation_duration_seconds{$S,quantile="0.99"}"#, "{{instance}}"),
                    ts("Rule evaluation failures", "Failed rule evaluations per second per group; a failing rule neither records nor alerts.")
                        .unit("ops")
                        .q("sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total{$S}[$__rate_interval]))", "{{rule_group}}")
                        .colors("green", &[(0.001, "red")]),
                    ts("Missed iterations", "Rule group evaluations skipped per second because the previous one was still running.")
                        .unit("ops")
                        .q("sum by (rule_group) (rate(prometheus_rule_group_iterations_missed_total{$S}[$__rate_interval]))", "{{rule_group}}")
                        .colors("green", &[(0.001, "red")]),
                ],
            ),
            row(
                "Notifications (Prometheus to Alertmanager)",
                vec![
                    ts("Notifications sent, failed and dropped", "Alerts sent to Alertmanager per second, and those that failed or were dropped; any failed or dropped alert may never notify anyone.")
                        .unit("ops")
                        .q("sum by (instance) (rate(prometheus_notifications_sent_total{$S}[$__rate_interval]))", "{{instance}} sent")
                        .q("sum by (instance) (rate(prometheus_notifications_errors_total{$S}[$__rate_interval]))", "{{instance}} errors")
                        .q("rate(prometheus_notifications_dropped_total{$S}[$__rate_interval])", "{{instance}} dropped"),
                    ts("Notification queue", "Alerts waiting to be sent against the queue's capacity; a full queue drops alerts.")
                        .unit("short")
                        .q("prometheus_notifications_queue_length{$S}", "{{instance}} queued")
                        .q("prometheus_notifications_queue_capacity{$S}", "{{instance}} capacity"),
                    ts("Notification latency (p99)", "The 99th percentile time to send a batch of alerts to each Alertmanager.")
                        .unit("s")
                        .q(r#"prometheus_notifications_latency_seconds{$S,quantile="0.99"}"#, "{{alertmanager}}"),
                    ts("Alertmanagers discovered", "Alertmanagers this Prometheus sends to; 0 means alerts go nowhere.")
                        .unit("short")
                        .q("prometheus_notifications_alertmanagers_discovered{$S}", "{{instance}}")
                        .colors("red", &[(1.0, "green")]),
                ],
            ),
            row(
                "Storage",
                vec![
                    ts("Storage size", "Bytes of persisted blocks; with retention it levels off, growing without end means retention is not applied.")
                        .unit("bytes")
                        .q("prometheus_tsdb_storage_blocks_bytes{$S}", "{{instance}}"),
                    ts("Compaction, WAL and checkpoint failures", "Failed compactions, WAL corruptions and failed truncations/checkpoints in the interval; any risks data loss and disk growth.")
                        .unit("short")
                        .q("increase(prometheus_tsdb_compactions_failed_total{$S}[$__rate_interval])", "{{instance}} compactions failed")
                        .q("increase(prometheus_tsdb_wal_corruptions_total{$S}[$__rate_interval])", "{{instance}} WAL corruptions")
                        .q("increase(prometheus_tsdb_wal_truncations_failed_total{$S}[$__rate_interval])", "{{instance}} WAL truncations failed")
                        .q("increase(prometheus_tsdb_checkpoint_creations_failed_total{$S}[$__rate_interval])", "{{instance}} checkpoints failed")
                        .colors("green", &[(1.0, "red")]),
                    ts("Prometheus memory", "Resident memory of the Prometheus process; it grows with head series and queries, so compare with the host's memory.")
                        .unit("bytes")
                        .q("process_resident_memory_bytes{$S}", "{{instance}} resident"),
                ],
            ),
            row(
                "Alertmanager",
                vec![
                    ts("Alerts", "Alerts Alertmanager holds by state (active, suppressed by silences or inhibition, unprocessed).")
                        .unit("short")
                        .q(a("sum by (state) (alertmanager_alerts{$A})"), "{{state}}")
                        .only_where(SCRAPES_ALERTMANAGER),
                    ts("Alerts received", "Alerts Alertmanager receives from Prometheus per second, firing and resolved; 0 while Prometheus has firing alerts means they do not arrive.")
                        .unit("ops")
                        .q(a("sum by (status) (rate(alertmanager_alerts_received_total{$A}[$__rate_interval]))"), "{{status}}")
                        .only_where(SCRAPES_ALERTMANAGER),
                    ts("Notifications by integration", "Notifications sent per second per integration (webhook, slack, email).")
                        .unit("ops")
                        .q(a("sum by (integration) (rate(alertmanager_notifications_total{$A}[$__rate_interval]))"), "{{integration}}")
                        .only_where(SCRAPES_ALERTMANAGER),
                    ts("Failed notifications", "Notifications per second that failed per integration; a failing receiver means pages are not delivered.")
                        .unit("ops")
                        .q(a("sum by (integration) (rate(alertmanager_notifications_failed_total{$A}[$__rate_interval]))"), "{{integration}}")
                        .colors("green", &[(0.001, "red")])
                        .only_where(SCRAPES_ALERTMANAGER),
                    ts("Notification latency (p99)", "The 99th percentile time to deliver a notification per integration; slow receivers delay pages.")
                        .unit("s")
                        .q(a("histogram_quantile(0.99, sum by (integration, le) (rate(alertmanager_notification_latency_seconds_bucket{$A}[$__rate_interval])))"), "{{integration}}")
                        .only_where(SCRAPES_ALERTMANAGER),
                    ts("Config reloaded and silences", "Whether Alertmanager's last config reload succeeded (1), and active silences; a forgotten silence hides real alerts.")
                        .unit("short")
                        .q(a("alertmanager_config_last_reload_successful{$A}"), "{{instance}} config reloaded")
                        .q(a(r#"alertmanager_silences{$A,state="active"}"#), "{{instance}} active silences")
                        .only_where(SCRAPES_ALERTMANAGER),
                ],
            ),
        ],
    }
}
