//! Every family the exporter writes, built once per namespace.

use exporter_kit::{BuildError, Desc, Kind};

/// INFO field name -> descriptor: every scrape looks up a few hundred.
pub type FieldMap = exporter_kit::NameMap<&'static str, Desc>;

use crate::metric_map;

/// The descriptors of one namespace (`--namespace`, default `redis`).
pub struct Descs {
    pub ns: String,
    /// INFO field -> descriptor (gauges and counters of the field maps).
    pub info: FieldMap,
    pub latest_fork_seconds: Desc,
    pub total_system_memory_bytes: Desc,
    pub up: Desc,
    pub last_scrape_error: Desc,
    pub last_scrape_duration: Desc,
    pub last_scrape_connect_time: Desc,
    pub last_scrape_ping_time: Desc,
    pub scrapes_total: Desc,
    pub scrape_duration: Desc,
    pub target_scrape_request_errors: Desc,
    pub target_scrape_request_errors_old: Desc,
    pub instance_info: Desc,
    pub slave_info: Desc,
    pub start_time_seconds: Desc,
    pub configured_hz: Desc,
    pub hz: Desc,
    pub master_link_up: Desc,
    pub master_last_io_seconds_ago: Desc,
    pub master_sync_in_progress: Desc,
    pub slave_repl_offset: Desc,
    pub connected_slave_offset_bytes: Desc,
    pub connected_slave_lag_seconds: Desc,
    pub commands_total: Desc,
    pub commands_duration_seconds_total: Desc,
    pub commands_rejected_calls_total: Desc,
    pub commands_failed_calls_total: Desc,
    pub errors_total: Desc,
    pub latency_percentiles_usec: Desc,
    pub commands_latencies_usec: Desc,
    pub db_keys: Desc,
    pub db_keys_expiring: Desc,
    pub db_avg_ttl_seconds: Desc,
    pub db_keys_cached: Desc,
    pub active_time_io_thread: Desc,
    pub cluster_info: FieldMap,
    pub config_maxmemory: Desc,
    pub rdb_current_size_bytes: Desc,
    pub config_maxclients: Desc,
    pub config_io_threads: Desc,
    pub config_repl_backlog_size: Desc,
    pub config_value: Desc,
    pub config_key_value: Desc,
    pub config_client_output_buffer_limit_bytes: Desc,
    pub config_client_output_buffer_limit_overcome_seconds: Desc,
    pub latency_spike_last: Desc,
    pub latency_spike_duration_seconds: Desc,
    pub slowlog_length: Desc,
    pub slowlog_last_id: Desc,
    pub last_slow_execution_duration_seconds: Desc,
    pub key_size: Desc,
    pub key_value: Desc,
    pub key_value_as_string: Desc,
    pub key_memory_usage_bytes: Desc,
    pub keys_count: Desc,
    pub key_discovery_passes: Desc,
    pub key_discovery_keys: Desc,
    pub key_group_count: Desc,
    pub key_group_memory_usage_bytes: Desc,
    pub number_of_distinct_key_groups: Desc,
    pub last_key_groups_scrape_duration_ms: Desc,
    pub stream_length: Desc,
    pub stream_radix_tree_keys: Desc,
    pub stream_radix_tree_nodes: Desc,
    pub stream_groups: Desc,
    pub stream_last_generated_id: Desc,
    pub stream_first_entry_id: Desc,
    pub stream_last_entry_id: Desc,
    pub stream_max_deleted_entry_id: Desc,
    pub stream_entries_added_total: Desc,
    pub stream_group_consumers: Desc,
    pub stream_group_messages_pending: Desc,
    pub stream_group_last_delivered_id: Desc,
    pub stream_group_entries_read: Desc,
    pub stream_group_lag: Desc,
    pub stream_group_consumer_messages_pending: Desc,
    pub stream_group_consumer_idle_seconds: Desc,
    /// CLIENT LIST: the base labels; port, user and resp are added per client
    pub sentinel_config_key_value: Desc,
    pub sentinel_config_value: Desc,
    pub connected_client_info: Desc,
    /// CLIENT LIST numbers per client, labelled id and name, with the
    /// CLIENT LIST field each one reads
    pub connected_client: Vec<(&'static str, Desc)>,
    /// Redis 7.0.3+ `ssub`, 7.4+ `watch`: only when CLIENT LIST has them
    pub connected_client_shard_subscriptions: Desc,
    pub connected_client_watched_keys: Desc,
    pub script_result: Desc,
    pub script_values: Desc,
    pub sentinel_info: FieldMap,
    pub sentinel_master_status: Desc,
    pub sentinel_master_slaves: Desc,
    pub sentinel_master_sentinels: Desc,
    pub sentinel_master_ckquorum_status: Desc,
    pub sentinel_master_setting_ckquorum: Desc,
    pub sentinel_master_setting_failover_timeout: Desc,
    pub sentinel_master_setting_parallel_syncs: Desc,
    pub sentinel_master_setting_down_after_milliseconds: Desc,
    pub sentinel_master_config_epoch: Desc,
    pub sentinel_master_last_ok_ping_reply_seconds: Desc,
    pub sentinel_master_ok_sentinels: Desc,
    pub sentinel_master_ok_slaves: Desc,
    pub sentinel_peer_info: Desc,
}

/// INFO fields of a Sentinel exported as gauges under their own names.
pub const SENTINEL_INFO_FIELDS: &[&str] = &[
    "sentinel_masters",
    "sentinel_tilt",
    "sentinel_running_scripts",
    "sentinel_scripts_queue_length",
    "sentinel_simulate_failure_flags",
];

/// CLUSTER INFO fields exported as gauges (names kept as Redis spells them).
pub const CLUSTER_INFO_FIELDS: &[&str] = &[
    "cluster_state",
    "cluster_slots_assigned",
    "cluster_slots_ok",
    "cluster_slots_pfail",
    "cluster_slots_fail",
    "cluster_known_nodes",
    "cluster_size",
    "cluster_current_epoch",
    "cluster_my_epoch",
];

/// CLIENT LIST fields exported per client, by upstream's metric names.
const CLIENT_NUMBERS: [(&str, &str, &str); 10] = [
    (
        "omem",
        "connected_client_output_buffer_memory_usage_bytes",
        "Memory used by the client's output buffer.",
    ),
    (
        "tot-mem",
        "connected_client_total_memory_consumed_bytes",
        "Total memory the client consumes.",
    ),
    (
        "age",
        "connected_client_created_at_timestamp",
        "Unix time the client connected.",
    ),
    (
        "idle",
        "connected_client_idle_since_timestamp",
        "Unix time the client was last active.",
    ),
    (
        "sub",
        "connected_client_channel_subscriptions_count",
        "Channel subscriptions of the client.",
    ),
    (
        "psub",
        "connected_client_pattern_matching_subscriptions_count",
        "Pattern subscriptions of the client.",
    ),
    (
        "qbuf",
        "connected_client_query_buffer_length_bytes",
        "Length of the client's query buffer.",
    ),
    (
        "qbuf-free",
        "connected_client_query_buffer_free_space_bytes",
        "Free space of the client's query buffer.",
    ),
    (
        "obl",
        "connected_client_output_buffer_length_bytes",
        "Length of the client's output buffer.",
    ),
    (
        "oll",
        "connected_client_output_list_length",
        "Length of the client's output list.",
    ),
];

/// Builds the descriptors of one namespace. A name the namespace makes
/// invalid is recorded (the first one wins, as `?` stopped at it) and a
/// placeholder returned, so each field of [`Descs`] is a plain call: with a
/// `?` per field, every field got its own error path dropping all the
/// fields built before it, and `Descs::new` was 287 KB of machine code that
/// runs once at start-up but still counts in peak RSS.
struct Builder<'a> {
    ns: &'a str,
    error: Option<BuildError>,
}

impl Builder<'_> {
    /// Out of line for the same reason: one copy of the name checks and
    /// allocations instead of one inlined per field.
    #[inline(never)]
    fn d(&mut self, kind: Kind, name: &str, help: &str, labels: &[&str]) -> Desc {
        let full = format!("{}_{}", self.ns, name);
        match Desc::try_new(&full, help, kind, labels) {
            Ok(desc) => desc,
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(BuildError::new(format!("metric {full}: {e}")));
                }
                // Never exported: `Descs::new` returns the error instead.
                // A constant name, so it cannot fail whatever the namespace.
                Desc::untyped("placeholder", "", &[])
            }
        }
    }
    fn g(&mut self, name: &str, help: &str, labels: &[&str]) -> Desc {
        self.d(Kind::Gauge, name, help, labels)
    }
    fn c(&mut self, name: &str, help: &str, labels: &[&str]) -> Desc {
        self.d(Kind::Counter, name, help, labels)
    }
}

impl Descs {
    pub fn new(ns: &str) -> Result<Descs, BuildError> {
        let mut b = Builder { ns, error: None };
        let mut info = FieldMap::default();
        for (field, metric) in metric_map::GAUGES {
            info.insert(
                *field,
                b.g(metric, &format!("Redis INFO field {field}."), &[]),
            );
        }
        for (field, metric) in metric_map::COUNTERS {
            info.insert(
                *field,
                b.c(metric, &format!("Redis INFO field {field}."), &[]),
            );
        }
        let mut cluster_info = FieldMap::default();
        for field in CLUSTER_INFO_FIELDS {
            cluster_info.insert(
                *field,
                b.g(field, &format!("Redis CLUSTER INFO field {field}."), &[]),
            );
        }
        let mut sentinel_info = FieldMap::default();
        for field in SENTINEL_INFO_FIELDS {
            sentinel_info.insert(
                *field,
                b.g(field, &format!("Sentinel INFO field {field}."), &[]),
            );
        }
        let sm = &["master_name", "master_address"];
        let master = &["master_host", "master_port"];
        let slave = &["slave_ip", "slave_port", "slave_state"];
        let db_key = &["db", "key"];
        let stream = &["db", "stream"];
        let group = &["db", "stream", "group"];
        let consumer = &["db", "stream", "group", "consumer"];
        let mut connected_client = Vec::with_capacity(CLIENT_NUMBERS.len());
        for (field, name, help) in CLIENT_NUMBERS {
            connected_client.push((field, b.g(name, help, &["id", "name"])));
        }
        let descs = Descs {
            ns: ns.to_string(),
            sentinel_info,
            sentinel_master_status: b.g(
                "sentinel_master_status",
                "Whether Sentinel sees the primary as ok.",
                &["master_name", "master_address", "master_status"],
            ),
            sentinel_master_slaves: b.g(
                "sentinel_master_slaves",
                "Replicas of a monitored primary.",
                sm,
            ),
            sentinel_master_sentinels: b.g(
                "sentinel_master_sentinels",
                "Sentinels monitoring a primary.",
                sm,
            ),
            sentinel_master_ckquorum_status: b.g(
                "sentinel_master_ckquorum_status",
                "Whether SENTINEL CKQUORUM succeeds for a primary.",
                &["master_name", "message"],
            ),
            sentinel_master_setting_ckquorum: b.g(
                "sentinel_master_setting_ckquorum",
                "Quorum setting of a primary.",
                sm,
            ),
            sentinel_master_setting_failover_timeout: b.g(
                "sentinel_master_setting_failover_timeout",
                "failover-timeout setting of a primary.",
                sm,
            ),
            sentinel_master_setting_parallel_syncs: b.g(
                "sentinel_master_setting_parallel_syncs",
                "parallel-syncs setting of a primary.",
                sm,
            ),
            sentinel_master_setting_down_after_milliseconds: b.g(
                "sentinel_master_setting_down_after_milliseconds",
                "down-after-milliseconds setting of a primary.",
                sm,
            ),
            sentinel_master_config_epoch: b.g(
                "sentinel_master_config_epoch",
                "Config epoch of a primary.",
                sm,
            ),
            sentinel_master_last_ok_ping_reply_seconds: b.g(
                "sentinel_master_last_ok_ping_reply_seconds",
                "Seconds since a primary last answered PING.",
                sm,
            ),
            sentinel_master_ok_sentinels: b.g(
                "sentinel_master_ok_sentinels",
                "Sentinels (this one included) not down for a primary.",
                sm,
            ),
            sentinel_master_ok_slaves: b.g(
                "sentinel_master_ok_slaves",
                "Replicas not down of a primary.",
                sm,
            ),
            sentinel_peer_info: b.g(
                "sentinel_peer_info",
                "Other Sentinels of a primary, as SENTINEL SENTINELS lists them (--include-sentinel-peer-info).",
                &[
                    "master_name",
                    "master_address",
                    "name",
                    "ip",
                    "port",
                    "runid",
                    "flags",
                ],
            ),
            info,
            cluster_info,
            latest_fork_seconds: b.g(
                "latest_fork_seconds",
                "Duration of the latest fork, in seconds.",
                &[],
            ),
            total_system_memory_bytes: b.g(
                "total_system_memory_bytes",
                "Total memory of the host Redis runs on.",
                &[],
            ),
            up: b.g("up", "Whether the last scrape of Redis succeeded.", &[]),
            last_scrape_error: b.g(
                "exporter_last_scrape_error",
                "1 and the error text when the last scrape failed, 0 otherwise.",
                &["err"],
            ),
            last_scrape_duration: b.g(
                "exporter_last_scrape_duration_seconds",
                "Duration of the last scrape of Redis.",
                &[],
            ),
            last_scrape_connect_time: b.g(
                "exporter_last_scrape_connect_time_seconds",
                "Time taken to connect to Redis in the last scrape.",
                &[],
            ),
            last_scrape_ping_time: b.g(
                "exporter_last_scrape_ping_time_seconds",
                "Time taken by PING in the last scrape.",
                &[],
            ),
            scrapes_total: b.c(
                "exporter_scrapes_total",
                "Scrapes of the telemetry path.",
                &[],
            ),
            scrape_duration: b.d(
                Kind::Summary,
                "exporter_scrape_duration_seconds",
                "Durations of scrapes of Redis.",
                &[],
            ),
            target_scrape_request_errors: b.c(
                "exporter_target_scrape_request_errors_total",
                "Bad requests to /scrape.",
                &[],
            ),
            target_scrape_request_errors_old: b.c(
                "target_scrape_request_errors_total",
                "Bad requests to /scrape (redis_exporter 1.45 name).",
                &[],
            ),
            instance_info: b.g(
                "instance_info",
                "Information about the Redis instance.",
                &[
                    "role",
                    "redis_version",
                    "redis_build_id",
                    "redis_mode",
                    "os",
                    "maxmemory_policy",
                    "tcp_port",
                    "run_id",
                    "process_id",
                    "master_replid",
                ],
            ),
            slave_info: b.g(
                "slave_info",
                "Information about the Redis replica.",
                &["master_host", "master_port", "read_only"],
            ),
            start_time_seconds: b.g(
                "start_time_seconds",
                "Start time of the Redis instance since unix epoch in seconds.",
                &[],
            ),
            configured_hz: b.g("configured_hz", "Configured server frequency (hz).", &[]),
            hz: b.g("hz", "Current server frequency (hz).", &[]),
            master_link_up: b.g(
                "master_link_up",
                "Whether the link to the primary is up.",
                master,
            ),
            master_last_io_seconds_ago: b.g(
                "master_last_io_seconds_ago",
                "Seconds since the last interaction with the primary.",
                master,
            ),
            master_sync_in_progress: b.g(
                "master_sync_in_progress",
                "Whether the replica is syncing from the primary.",
                master,
            ),
            slave_repl_offset: b.g(
                "slave_repl_offset",
                "Replication offset of the replica.",
                master,
            ),
            connected_slave_offset_bytes: b.g(
                "connected_slave_offset_bytes",
                "Offset of a connected replica.",
                slave,
            ),
            connected_slave_lag_seconds: b.g(
                "connected_slave_lag_seconds",
                "Lag of a connected replica.",
                slave,
            ),
            commands_total: b.c("commands_total", "Calls per command.", &["cmd"]),
            commands_duration_seconds_total: b.c(
                "commands_duration_seconds_total",
                "Seconds spent per command.",
                &["cmd"],
            ),
            commands_rejected_calls_total: b.c(
                "commands_rejected_calls_total",
                "Rejected calls per command.",
                &["cmd"],
            ),
            commands_failed_calls_total: b.c(
                "commands_failed_calls_total",
                "Failed calls per command.",
                &["cmd"],
            ),
            errors_total: b.c("errors_total", "Error replies per error prefix.", &["err"]),
            latency_percentiles_usec: b.d(
                Kind::Summary,
                "latency_percentiles_usec",
                "Latency percentiles per command, in microseconds.",
                &["cmd"],
            ),
            commands_latencies_usec: b.d(
                Kind::Histogram,
                "commands_latencies_usec",
                "Latency histogram per command, in microseconds.",
                &["cmd"],
            ),
            db_keys: b.g("db_keys", "Keys per database.", &["db"]),
            db_keys_expiring: b.g(
                "db_keys_expiring",
                "Keys with an expiry per database.",
                &["db"],
            ),
            db_avg_ttl_seconds: b.g(
                "db_avg_ttl_seconds",
                "Average TTL of keys per database.",
                &["db"],
            ),
            db_keys_cached: b.g("db_keys_cached", "Cached keys per database.", &["db"]),
            active_time_io_thread: b.c(
                "active_time_io_thread_seconds_total",
                "Active time per IO thread.",
                &["thread"],
            ),
            config_maxmemory: b.g("config_maxmemory", "maxmemory setting.", &[]),
            rdb_current_size_bytes: b.g(
                "rdb_current_size_bytes",
                "Size of the RDB file (dir/dbfilename) on the exporter's host (--include-rdb-file-size-metric).",
                &[],
            ),
            config_maxclients: b.g("config_maxclients", "maxclients setting.", &[]),
            config_io_threads: b.g("config_io_threads", "io-threads setting.", &[]),
            config_repl_backlog_size: b.g(
                "config_repl_backlog_size",
                "repl-backlog-size setting in bytes.",
                &[],
            ),
            config_value: b.g("config_value", "Numeric config settings.", &["key"]),
            config_key_value: b.g(
                "config_key_value",
                "Non-numeric config settings.",
                &["key", "value"],
            ),
            config_client_output_buffer_limit_bytes: b.g(
                "config_client_output_buffer_limit_bytes",
                "client-output-buffer-limit byte limits.",
                &["class", "limit"],
            ),
            config_client_output_buffer_limit_overcome_seconds: b.g(
                "config_client_output_buffer_limit_overcome_seconds",
                "client-output-buffer-limit soft limit seconds.",
                &["class", "limit"],
            ),
            latency_spike_last: b.g(
                "latency_spike_last",
                "When the latest latency spike of an event happened (unix time).",
                &["event_name"],
            ),
            latency_spike_duration_seconds: b.g(
                "latency_spike_duration_seconds",
                "Length of the latest latency spike of an event.",
                &["event_name"],
            ),
            slowlog_length: b.g("slowlog_length", "Entries in the slowlog.", &[]),
            slowlog_last_id: b.g("slowlog_last_id", "Id of the latest slowlog entry.", &[]),
            last_slow_execution_duration_seconds: b.g(
                "last_slow_execution_duration_seconds",
                "Duration of the latest slowlog entry.",
                &[],
            ),
            key_size: b.g("key_size", "Length or size of a checked key.", db_key),
            key_value: b.g("key_value", "Numeric value of a checked key.", db_key),
            key_value_as_string: b.g(
                "key_value_as_string",
                "Non-numeric value of a checked key, as a label.",
                &["db", "key", "val"],
            ),
            key_memory_usage_bytes: b.g(
                "key_memory_usage_bytes",
                "MEMORY USAGE of a checked key.",
                db_key,
            ),
            keys_count: b.g(
                "keys_count",
                "Keys matching a --count-keys pattern.",
                db_key,
            ),
            key_discovery_passes: b.c(
                "exporter_key_discovery_passes_total",
                "Completed background SCAN passes over the keyspace for --check-keys patterns.",
                &[],
            ),
            key_discovery_keys: b.g(
                "exporter_key_discovery_keys",
                "Keys that --check-keys patterns matched, as the background SCAN knows them.",
                &[],
            ),
            key_group_count: b.g(
                "key_group_count",
                "Keys per key group.",
                &["db", "key_group"],
            ),
            key_group_memory_usage_bytes: b.g(
                "key_group_memory_usage_bytes",
                "Memory of the keys of a key group.",
                &["db", "key_group"],
            ),
            number_of_distinct_key_groups: b.g(
                "number_of_distinct_key_groups",
                "Distinct key groups per database.",
                &["db"],
            ),
            last_key_groups_scrape_duration_ms: b.g(
                "last_key_groups_scrape_duration_milliseconds",
                "Duration of the last key groups scan.",
                &[],
            ),
            stream_length: b.g("stream_length", "Entries of a stream.", stream),
            stream_radix_tree_keys: b.g(
                "stream_radix_tree_keys",
                "Radix tree keys of a stream.",
                stream,
            ),
            stream_radix_tree_nodes: b.g(
                "stream_radix_tree_nodes",
                "Radix tree nodes of a stream.",
                stream,
            ),
            stream_groups: b.g("stream_groups", "Consumer groups of a stream.", stream),
            stream_last_generated_id: b.g(
                "stream_last_generated_id",
                "Last generated id of a stream (milliseconds part).",
                stream,
            ),
            stream_first_entry_id: b.g(
                "stream_first_entry_id",
                "First entry id of a stream (milliseconds part).",
                stream,
            ),
            stream_last_entry_id: b.g(
                "stream_last_entry_id",
                "Last entry id of a stream (milliseconds part).",
                stream,
            ),
            stream_max_deleted_entry_id: b.g(
                "stream_max_deleted_entry_id",
                "Max deleted entry id of a stream (milliseconds part).",
                stream,
            ),
            stream_entries_added_total: b.c(
                "stream_entries_added_total",
                "Entries ever added to a stream.",
                stream,
            ),
            stream_group_consumers: b.g(
                "stream_group_consumers",
                "Consumers of a stream group.",
                group,
            ),
            stream_group_messages_pending: b.g(
                "stream_group_messages_pending",
                "Pending messages of a stream group.",
                group,
            ),
            stream_group_last_delivered_id: b.g(
                "stream_group_last_delivered_id",
                "Last delivered id of a stream group (milliseconds part).",
                group,
            ),
            stream_group_entries_read: b.g(
                "stream_group_entries_read",
                "Entries read by a stream group.",
                group,
            ),
            stream_group_lag: b.g(
                "stream_group_lag",
                "Entries not yet delivered to a stream group.",
                group,
            ),
            stream_group_consumer_messages_pending: b.g(
                "stream_group_consumer_messages_pending",
                "Pending messages of a consumer.",
                consumer,
            ),
            stream_group_consumer_idle_seconds: b.g(
                "stream_group_consumer_idle_seconds",
                "Idle time of a consumer.",
                consumer,
            ),
            sentinel_config_key_value: b.g(
                "sentinel_config_key_value",
                "Sentinel global setting and its value.",
                &["key", "value"],
            ),
            sentinel_config_value: b.g(
                "sentinel_config_value",
                "Sentinel global setting whose value is a number.",
                &["key"],
            ),
            connected_client_info: b.g(
                "connected_client_info",
                "Details about a connected client.",
                &["id", "name", "flags", "db", "host"],
            ),
            connected_client,
            connected_client_shard_subscriptions: b.g(
                "connected_client_shard_channel_subscriptions_count",
                "Shard channel subscriptions of the client.",
                &["id", "name"],
            ),
            connected_client_watched_keys: b.g(
                "connected_client_shard_channel_watched_keys",
                "Keys the client watches.",
                &["id", "name"],
            ),
            script_result: b.g(
                "script_result",
                "Result of the Lua script: 1 ok, 2 no values, 0 error.",
                &["filename"],
            ),
            script_values: b.g(
                "script_values",
                "Values returned by the Lua script.",
                &["key", "filename"],
            ),
        };
        if let Some(err) = b.error.take() {
            return Err(err);
        }
        Ok(descs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_namespace_is_an_error_naming_the_first_metric() {
        match Descs::new("bad-name") {
            Ok(_) => panic!("bad-name is not a valid metric name prefix"),
            Err(err) => assert_eq!(
                err.to_string(),
                "metric bad-name_active_defrag_running: \
                 invalid metric name \"bad-name_active_defrag_running\""
            ),
        }
        // Only the prefix decides: an empty one still gives valid names.
        assert!(Descs::new("").is_ok());
        assert!(Descs::new("1redis").is_err());
    }

    #[test]
    fn every_field_is_built_under_the_namespace() {
        let Ok(d) = Descs::new("ns") else {
            panic!("ns is a valid namespace");
        };
        assert_eq!(d.up.name(), "ns_up");
        assert_eq!(d.script_values.name(), "ns_script_values");
        assert_eq!(d.connected_client.len(), CLIENT_NUMBERS.len());
        assert_eq!(
            d.info.len(),
            metric_map::GAUGES.len() + metric_map::COUNTERS.len()
        );
    }
}
