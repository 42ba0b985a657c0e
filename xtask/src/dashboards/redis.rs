//! Redis, from redis-exporter: the questions of redis_exporter's own
//! dashboard over the families our exporter exposes.

use super::{Dashboard, LAYER_SELECTOR, layer_vars, open_row, row, stat, ts};

pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "ferroscope-redis",
        title: "Redis",
        description: "Redis instances from redis-exporter (redis_exporter compatible): \
                      commands, hit ratio, keys, expiry and eviction, memory and fragmentation, \
                      clients, network, persistence and replication. Raw metrics only; red \
                      lines are prometheus/rules/redis.rules.yml's thresholds."
            .into(),
        vars: layer_vars("redis_up"),
        selector: LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Up", "Whether the exporter reached Redis in its last scrape (1) or not (0); 0 fires RedisDown.")
                        .unit("bool")
                        .q("redis_up{$S}", "{{instance}}")
                        .alert_below(1.0, "RedisDown"),
                    stat("Uptime", "Time since Redis started; a small value means it restarted (and lost unpersisted data).")
                        .unit("s")
                        .q("redis_uptime_in_seconds{$S}", "{{instance}}"),
                    stat("Connected clients", "Client connections open now.")
                        .unit("short")
                        .q("redis_connected_clients{$S}", "{{instance}}"),
                    stat("Memory of maxmemory", "Used memory against maxmemory; at 100% Redis evicts keys or refuses writes. Empty when no maxmemory is set.")
                        .unit("percentunit")
                        .q("redis_memory_used_bytes{$S} / (redis_memory_max_bytes{$S} > 0)", "{{instance}}")
                        .alert_above(0.9, "RedisMemoryNearMaxmemory")
                        .only_where("maxmemory is set"),
                    stat("Hit ratio", "Share of key lookups that found the key over 5 minutes; low means the cache is cold or keys expire too early.")
                        .unit("percentunit")
                        .q("rate(redis_keyspace_hits_total{$S}[5m]) / (rate(redis_keyspace_hits_total{$S}[5m]) + rate(redis_keyspace_misses_total{$S}[5m]))", "{{instance}}")
                        .colors("orange", &[(0.8, "green")]),
                    stat("Keys", "Keys in all databases.")
                        .unit("short")
                        .q("sum by (instance) (redis_db_keys{$S})", "{{instance}}"),
                ],
            ),
            open_row(
                "Commands",
                vec![
                    ts("Commands per second", "Commands Redis processed per second; the instance's workload.")
                        .unit("ops")
                        .q("rate(redis_commands_processed_total{$S}[$__rate_interval])", "{{instance}}"),
                    ts("Commands per second by command", "The ten busiest commands per second; a new heavy command (KEYS, big MGETs) often explains latency.")
                        .unit("ops")
                        .q("topk(10, rate(redis_commands_total{$S}[$__rate_interval]) > 0)", "{{instance}} {{cmd}}"),
                    ts("Average latency by command", "Average time Redis spent per call of each command; Redis is single-threaded, so one slow command delays all others.")
                        .unit("s")
                        .q("sum by (instance, cmd) (rate(redis_commands_duration_seconds_total{$S}[$__rate_interval])) / sum by (instance, cmd) (rate(redis_commands_total{$S}[$__rate_interval]) > 0)", "{{instance}} {{cmd}}"),
                    ts("Failed and rejected calls", "Calls per second that failed in execution or were rejected (wrong type, OOM, ACL) by command, and error replies; nonzero means clients get errors.")
                        .unit("ops")
                        .q("sum by (instance, cmd) (rate(redis_commands_failed_calls_total{$S}[$__rate_interval]) + rate(redis_commands_rejected_calls_total{$S}[$__rate_interval])) > 0 or sum by (instance) (rate(redis_total_error_replies{$S}[$__rate_interval]))", "{{instance}} {{cmd}}"),
                    ts("Keyspace hit ratio", "Share of lookups that found their key; a falling ratio means more requests fall through to the database.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("rate(redis_keyspace_hits_total{$S}[$__rate_interval]) / (rate(redis_keyspace_hits_total{$S}[$__rate_interval]) + rate(redis_keyspace_misses_total{$S}[$__rate_interval]))", "{{instance}}")
                        .colors("orange", &[(0.8, "green")]),
                    ts("Hits and misses", "Key lookups that found (hits) or missed their key per second.")
                        .unit("ops")
                        .q("rate(redis_keyspace_hits_total{$S}[$__rate_interval])", "{{instance}} hits")
                        .q("rate(redis_keyspace_misses_total{$S}[$__rate_interval])", "{{instance}} misses"),
                ],
            ),
            row(
                "Keys",
                vec![
                    ts("Keys per database", "Keys in each database that has any (db0 always); sudden drops mean a flush or mass expiry.")
                        .unit("short")
                        .q(r#"redis_db_keys{$S} > 0 or redis_db_keys{$S,db="db0"}"#, "{{instance}} {{db}}"),
                    ts("Keys with an expiry", "Keys that have a TTL, per database, beside all keys; keys without a TTL in a cache grow until maxmemory.")
                        .unit("short")
                        .q(r#"redis_db_keys_expiring{$S} > 0 or redis_db_keys_expiring{$S,db="db0"}"#, "{{instance}} {{db}} expiring")
                        .q(r#"(redis_db_keys{$S} - redis_db_keys_expiring{$S}) > 0 or (redis_db_keys{$S,db="db0"} - redis_db_keys_expiring{$S,db="db0"})"#, "{{instance}} {{db}} persistent"),
                    ts("Expired and evicted keys", "Keys removed per second because they expired or were evicted under maxmemory; evictions mean the cache is too small.")
                        .unit("ops")
                        .q("rate(redis_expired_keys_total{$S}[$__rate_interval])", "{{instance}} expired")
                        .q("rate(redis_evicted_keys_total{$S}[$__rate_interval])", "{{instance}} evicted"),
                    ts("Average TTL", "Average remaining time to live of keys with a TTL per database.")
                        .unit("s")
                        .q("redis_db_avg_ttl_seconds{$S}", "{{instance}} {{db}}")
                        .only_where("a database holds keys with a TTL"),
                ],
            ),
            row(
                "Memory",
                vec![
                    ts("Memory used", "Memory Redis allocated, its RSS, its peak and maxmemory; used near maxmemory evicts or refuses writes.")
                        .unit("bytes")
                        .q("redis_memory_used_bytes{$S}", "{{instance}} used")
                        .q("redis_memory_used_rss_bytes{$S}", "{{instance}} RSS")
                        .q("redis_memory_used_peak_bytes{$S}", "{{instance}} peak")
                        .q("redis_memory_max_bytes{$S} > 0", "{{instance}} maxmemory"),
                    ts("Memory of maxmemory", "Used memory as a share of maxmemory; above the red line for 5 minutes fires RedisMemoryNearMaxmemory.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("redis_memory_used_bytes{$S} / (redis_memory_max_bytes{$S} > 0)", "{{instance}}")
                        .alert_above(0.9, "RedisMemoryNearMaxmemory")
                        .only_where("maxmemory is set"),
                    ts("Fragmentation ratio", "RSS against allocated memory; above ~1.5 memory is wasted to fragmentation, below 1 Redis is swapping.")
                        .unit("short")
                        .q("redis_mem_fragmentation_ratio{$S}", "{{instance}}")
                        .colors("red", &[(1.0, "green"), (1.5, "orange")]),
                    ts("Memory by purpose", "Dataset against overhead (clients, replication backlog, Lua); overhead growing alone points at client output buffers.")
                        .unit("bytes")
                        .stacked()
                        .q("redis_memory_used_dataset_bytes{$S}", "{{instance}} dataset")
                        .q("redis_memory_used_overhead_bytes{$S}", "{{instance}} overhead")
                        .q("redis_memory_used_lua_bytes{$S}", "{{instance}} Lua"),
                ],
            ),
            row(
                "Clients and network",
                vec![
                    ts("Clients", "Connected clients and clients blocked on BLPOP/BRPOP/WAIT; many blocked clients mean consumers wait on empty lists.")
                        .unit("short")
                        .q("redis_connected_clients{$S}", "{{instance}} connected")
                        .q("redis_blocked_clients{$S}", "{{instance}} blocked"),
                    ts("Clients of maxclients", "Connected clients against maxclients; at 100% new connections are rejected (RedisRejectedConnections).")
                        .unit("percentunit")
                        .max(1.0)
                        .q("redis_connected_clients{$S} / (redis_config_maxclients{$S} > 0)", "{{instance}}")
                        .colors("green", &[(0.9, "red")]),
                    ts("Connections received and rejected", "New connections per second and connections rejected (maxclients reached) in the interval; any rejection fires RedisRejectedConnections.")
                        .unit("short")
                        .q("rate(redis_connections_received_total{$S}[$__rate_interval])", "{{instance}} received/s")
                        .q("increase(redis_rejected_connections_total{$S}[$__rate_interval])", "{{instance}} rejected")
                        .alert_above(1.0, "RedisRejectedConnections"),
                    ts("Network", "Bytes Redis received and sent per second (replication included).")
                        .unit("Bps")
                        .q("rate(redis_net_input_bytes_total{$S}[$__rate_interval])", "{{instance}} in")
                        .q("rate(redis_net_output_bytes_total{$S}[$__rate_interval])", "{{instance}} out"),
                    ts("CPU", "CPU seconds per second Redis used in user and system mode; near 1 the main thread is saturated.")
                        .unit("percentunit")
                        .q("rate(redis_cpu_user_seconds_total{$S}[$__rate_interval])", "{{instance}} user")
                        .q("rate(redis_cpu_sys_seconds_total{$S}[$__rate_interval])", "{{instance}} system"),
                ],
            ),
            row(
                "Persistence and replication",
                vec![
                    ts("Changes since last save", "Writes not yet in an RDB snapshot; a crash loses them (unless AOF is on). Steady growth means saves fail.")
                        .unit("short")
                        .q("redis_rdb_changes_since_last_save{$S}", "{{instance}}"),
                    ts("Last save status", "Whether the last RDB save and AOF write succeeded (1); 0 means persistence is failing (disk full, permissions).")
                        .unit("bool")
                        .q("redis_rdb_last_bgsave_status{$S}", "{{instance}} RDB")
                        .q("redis_aof_last_write_status{$S}", "{{instance}} AOF")
                        .colors("red", &[(1.0, "green")]),
                    ts("Connected replicas", "Replicas connected to this instance (a primary); a drop means a replica went away.")
                        .unit("short")
                        .q("redis_connected_slaves{$S}", "{{instance}}"),
                    ts("Link to primary", "On a replica, whether the link to its primary is up (1); 0 fires RedisReplicationBroken.")
                        .unit("bool")
                        .q("redis_master_link_up{$S}", "{{instance}} {{master_host}}:{{master_port}}")
                        .alert_below(1.0, "RedisReplicationBroken")
                        .only_where("the instance is a replica"),
                    ts("Replica lag", "Seconds since each replica last acknowledged the primary; growing lag means a replica falls behind.")
                        .unit("s")
                        .q("redis_connected_slave_lag_seconds{$S}", "{{instance}} {{slave_ip}}:{{slave_port}}")
                        .only_where("the instance is a primary with replicas"),
                ],
            ),
            row(
                "redis-exporter",
                vec![
                    ts("Scrape duration", "How long the exporter took to scrape Redis; near the scrape timeout, scrapes fail.")
                        .unit("s")
                        .q("redis_exporter_last_scrape_duration_seconds{$S}", "{{instance}}"),
                    ts("Scrape errors", "Whether the last scrape hit an error (1); ExporterScrapeErrors fires while it stays 1.")
                        .unit("bool")
                        .q("redis_exporter_last_scrape_error{$S}", "{{instance}}")
                        .alert_above(1.0, "ExporterScrapeErrors"),
                ],
            ),
        ],
    }
}
