//! redis_exporter's flags, with its names (Go `flag` style: one or two
//! dashes) and environment variables. Every flag takes its default from its
//! environment variable when that is set.
//!
//! Passwords given on the command line are visible to every local user in
//! `ps`; prefer `REDIS_PASSWORD` or `--redis.password-file`.

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Address of the Redis instance to scrape (redis://, rediss://, unix://).
    #[arg(
        long = "redis.addr",
        env = "REDIS_ADDR",
        default_value = "redis://localhost:6379",
        value_name = "STRING"
    )]
    pub redis_addr: String,
    /// User name to use for authentication (Redis ACL for Redis 6.0 and newer).
    #[arg(
        long = "redis.user",
        env = "REDIS_USER",
        default_value = "",
        value_name = "STRING"
    )]
    pub redis_user: String,
    /// Password of the Redis instance to scrape. Prefer REDIS_PASSWORD or --redis.password-file: the command line is visible to every user in `ps`.
    #[arg(
        long = "redis.password",
        env = "REDIS_PASSWORD",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true,
        value_name = "STRING"
    )]
    pub redis_password: String,
    /// Password file of the Redis instance to scrape: a JSON map from Redis URI to password.
    #[arg(
        long = "redis.password-file",
        env = "REDIS_PASSWORD_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub redis_password_file: String,
    /// Namespace for metrics.
    #[arg(
        long = "namespace",
        env = "REDIS_EXPORTER_NAMESPACE",
        default_value = "redis",
        value_name = "STRING"
    )]
    pub namespace: String,
    /// Comma separated list of key-patterns to export value and length/size, searched for with SCAN.
    #[arg(
        long = "check-keys",
        env = "REDIS_EXPORTER_CHECK_KEYS",
        default_value = "",
        value_name = "STRING"
    )]
    pub check_keys: String,
    /// Comma separated list of single keys to export value and length/size.
    #[arg(
        long = "check-single-keys",
        env = "REDIS_EXPORTER_CHECK_SINGLE_KEYS",
        default_value = "",
        value_name = "STRING"
    )]
    pub check_single_keys: String,
    /// Comma separated list of lua regex for grouping keys.
    #[arg(
        long = "check-key-groups",
        env = "REDIS_EXPORTER_CHECK_KEY_GROUPS",
        default_value = "",
        value_name = "STRING"
    )]
    pub check_key_groups: String,
    /// Comma separated list of stream-patterns to export info about streams, groups and consumers, searched for with SCAN.
    #[arg(
        long = "check-streams",
        env = "REDIS_EXPORTER_CHECK_STREAMS",
        default_value = "",
        value_name = "STRING"
    )]
    pub check_streams: String,
    /// Comma separated list of single streams to export info about streams, groups and consumers.
    #[arg(
        long = "check-single-streams",
        env = "REDIS_EXPORTER_CHECK_SINGLE_STREAMS",
        default_value = "",
        value_name = "STRING"
    )]
    pub check_single_streams: String,
    /// Don't collect per consumer metrics for streams (decreases cardinality).
    #[arg(
        long = "streams-exclude-consumer-metrics",
        env = "REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS",
        default_value_t = false
    )]
    pub streams_exclude_consumer_metrics: bool,
    /// Comma separated list of patterns to count (eg: 'db0=production_*,db3=sessions:*'), searched for with SCAN.
    #[arg(
        long = "count-keys",
        env = "REDIS_EXPORTER_COUNT_KEYS",
        default_value = "",
        value_name = "STRING"
    )]
    pub count_keys: String,
    /// Approximate number of keys to process in each execution (SCAN COUNT and pipeline size).
    #[arg(
        long = "check-keys-batch-size",
        env = "REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE",
        default_value_t = 1000,
        value_name = "INT"
    )]
    pub check_keys_batch_size: i64,
    /// How long one background SCAN pass for --check-keys patterns takes (redis-exporter only; upstream SCANs on every scrape). A new matching key appears in metrics within this long (default: within 30s); a deleted key disappears at the next scrape. A scrape only fetches known keys. Discovery never keeps Redis busy more than a quarter of the time, so a keyspace too large for the cycle takes longer.
    #[arg(
        long = "check-keys-discovery-cycle",
        env = "REDIS_EXPORTER_CHECK_KEYS_DISCOVERY_CYCLE",
        default_value = "30s",
        value_name = "DURATION"
    )]
    pub check_keys_discovery_cycle: String,
    /// Most targets (with their credentials and --check-keys patterns) whose keys are discovered in the background at once (redis-exporter only); the least recently scraped one makes room, and one not scraped for 10 minutes stops.
    #[arg(
        long = "check-keys-discovery-max-targets",
        env = "REDIS_EXPORTER_CHECK_KEYS_DISCOVERY_MAX_TARGETS",
        default_value_t = 100,
        value_name = "INT"
    )]
    pub check_keys_discovery_max_targets: usize,
    /// Comma separated list of path(s) to Redis Lua script(s) for gathering extra metrics.
    #[arg(
        long = "script",
        env = "REDIS_EXPORTER_SCRIPT",
        default_value = "",
        value_name = "STRING"
    )]
    pub script: String,
    /// Use EVAL_RO command for gathering extra metrics with Lua script.
    #[arg(
        long = "lua-script-read-only",
        env = "REDIS_EXPORTER_LUA_SCRIPT_READ_ONLY",
        default_value_t = false
    )]
    pub lua_script_read_only: bool,
    /// What to use for the CONFIG command, set to "-" to skip config metrics extraction.
    #[arg(
        long = "config-command",
        env = "REDIS_EXPORTER_CONFIG_COMMAND",
        default_value = "CONFIG",
        value_name = "STRING"
    )]
    pub config_command: String,
    /// Timeout for connection to Redis instance.
    #[arg(
        long = "connection-timeout",
        env = "REDIS_EXPORTER_CONNECTION_TIMEOUT",
        default_value = "15s",
        value_name = "STRING"
    )]
    pub connection_timeout: String,
    /// Name of the client key file (including full path) if the server requires TLS client authentication.
    #[arg(
        long = "tls-client-key-file",
        env = "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_client_key_file: String,
    /// Name of the client certificate file (including full path) if the server requires TLS client authentication.
    #[arg(
        long = "tls-client-cert-file",
        env = "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_client_cert_file: String,
    /// Name of the CA certificate file (including full path) to verify the Redis server.
    #[arg(
        long = "tls-ca-cert-file",
        env = "REDIS_EXPORTER_TLS_CA_CERT_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_ca_cert_file: String,
    /// Server name used to verify the Redis server certificate when connecting over TLS.
    #[arg(
        long = "tls-server-name",
        env = "REDIS_EXPORTER_TLS_SERVER_NAME",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_server_name: String,
    /// Name of the server key file (including full path) if the web interface and telemetry should use TLS (with --tls-server-cert-file).
    #[arg(
        long = "tls-server-key-file",
        env = "REDIS_EXPORTER_TLS_SERVER_KEY_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_server_key_file: String,
    /// Name of the server certificate file (including full path) if the web interface and telemetry should use TLS.
    #[arg(
        long = "tls-server-cert-file",
        env = "REDIS_EXPORTER_TLS_SERVER_CERT_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_server_cert_file: String,
    /// Name of the CA certificate file (including full path) if the web interface and telemetry should require TLS client authentication.
    #[arg(
        long = "tls-server-ca-cert-file",
        env = "REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE",
        default_value = "",
        value_name = "STRING"
    )]
    pub tls_server_ca_cert_file: String,
    /// Minimum TLS version that is acceptable by the web interface and telemetry when using TLS (TLS1.2 or TLS1.3 are served; rustls has no 1.0/1.1).
    #[arg(
        long = "tls-server-min-version",
        env = "REDIS_EXPORTER_TLS_SERVER_MIN_VERSION",
        default_value = "TLS1.2",
        value_name = "STRING"
    )]
    pub tls_server_min_version: String,
    /// The maximum number of distinct key groups with the most memory utilization to present as distinct metrics per database, the leftover key groups will be aggregated in the 'overflow' bucket.
    #[arg(
        long = "max-distinct-key-groups",
        env = "REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS",
        default_value_t = 100,
        value_name = "INT"
    )]
    pub max_distinct_key_groups: i64,
    /// Output verbose debug information (same as --log.level=debug).
    #[arg(long = "debug", env = "REDIS_EXPORTER_DEBUG", default_value_t = false)]
    pub debug: bool,
    /// Set log level (upstream spelling of --log.level).
    #[arg(long = "log-level", default_value = "", value_name = "STRING")]
    pub log_level_upstream: String,
    /// Log format, txt or json (upstream spelling of --log.format).
    #[arg(long = "log-format", default_value = "", value_name = "STRING")]
    pub log_format_upstream: String,
    /// Whether to set client name to redis_exporter.
    #[arg(
        long = "set-client-name",
        env = "REDIS_EXPORTER_SET_CLIENT_NAME",
        default_value_t = true
    )]
    pub set_client_name: bool,
    /// Refused at startup: Tile38 metrics are not implemented.
    #[arg(
        long = "is-tile38",
        env = "REDIS_EXPORTER_IS_TILE38",
        default_value_t = false
    )]
    pub is_tile38: bool,
    /// Whether this is a redis cluster (Enable this if you need to fetch key level data on a Redis Cluster).
    #[arg(
        long = "is-cluster",
        env = "REDIS_EXPORTER_IS_CLUSTER",
        default_value_t = false
    )]
    pub is_cluster: bool,
    /// Whether to use hostname for cluster node discovery if available.
    #[arg(
        long = "cluster-discover-hostnames",
        env = "REDIS_EXPORTER_CLUSTER_DISCOVER_HOSTNAMES",
        default_value_t = false
    )]
    pub cluster_discover_hostnames: bool,
    /// Whether to scrape Client List specific metrics.
    #[arg(
        long = "export-client-list",
        env = "REDIS_EXPORTER_EXPORT_CLIENT_LIST",
        default_value_t = false
    )]
    pub export_client_list: bool,
    /// Whether to include the client's port when exporting the client list (raises cardinality).
    #[arg(
        long = "export-client-port",
        env = "REDIS_EXPORTER_EXPORT_CLIENT_PORT",
        default_value_t = false
    )]
    pub export_client_port: bool,
    /// Whether to export only Redis metrics (omit process metrics and build info).
    #[arg(
        long = "redis-only-metrics",
        env = "REDIS_EXPORTER_REDIS_ONLY_METRICS",
        default_value_t = false
    )]
    pub redis_only_metrics: bool,
    /// Refused at startup: there is no Go runtime (upstream: whether to include Go runtime metrics).
    #[arg(
        long = "include-go-runtime-metrics",
        env = "REDIS_EXPORTER_INCLUDE_GO_RUNTIME_METRICS",
        default_value_t = false
    )]
    pub include_go_runtime_metrics: bool,
    /// Whether to ping the redis instance after connecting.
    #[arg(
        long = "ping-on-connect",
        env = "REDIS_EXPORTER_PING_ON_CONNECT",
        default_value_t = false
    )]
    pub ping_on_connect: bool,
    /// Whether to include all config settings as metrics.
    #[arg(
        long = "include-config-metrics",
        env = "REDIS_EXPORTER_INCL_CONFIG_METRICS",
        default_value_t = false
    )]
    pub include_config_metrics: bool,
    /// Refused at startup: Redis Modules metrics are not implemented.
    #[arg(
        long = "include-modules-metrics",
        env = "REDIS_EXPORTER_INCL_MODULES_METRICS",
        default_value_t = false
    )]
    pub include_modules_metrics: bool,
    /// Refused at startup: Redis Search index metrics are not implemented.
    #[arg(
        long = "include-search-indexes-metrics",
        env = "REDIS_EXPORTER_INCL_SEARCH_INDEXES_METRICS",
        default_value_t = false
    )]
    pub include_search_indexes_metrics: bool,
    /// Whether to export sentinel_peer_info metrics (high cardinality: one series per other Sentinel of each primary).
    #[arg(
        long = "include-sentinel-peer-info",
        env = "REDIS_EXPORTER_INCL_SENTINEL_PEER_INFO",
        default_value_t = false
    )]
    pub include_sentinel_peer_info: bool,
    /// Refused at startup when set: Redis Search index metrics are not implemented.
    #[arg(
        long = "check-search-indexes",
        env = "REDIS_EXPORTER_CHECK_SEARCH_INDEXES",
        default_value = ".*",
        value_name = "STRING"
    )]
    pub check_search_indexes: String,
    /// Whether to disable values of keys stored in redis as labels or not when using check-keys/check-single-key.
    #[arg(
        long = "disable-exporting-key-values",
        env = "REDIS_EXPORTER_DISABLE_EXPORTING_KEY_VALUES",
        default_value_t = false
    )]
    pub disable_exporting_key_values: bool,
    /// Do not try to collect latency histogram metrics.
    #[arg(
        long = "exclude-latency-histogram-metrics",
        env = "REDIS_EXPORTER_EXCLUDE_LATENCY_HISTOGRAM_METRICS",
        default_value_t = false
    )]
    pub exclude_latency_histogram_metrics: bool,
    /// Whether to redact config settings that include potentially sensitive information like passwords.
    #[arg(
        long = "redact-config-metrics",
        env = "REDIS_EXPORTER_REDACT_CONFIG_METRICS",
        default_value_t = true
    )]
    pub redact_config_metrics: bool,
    /// Whether to include system metrics like e.g. redis_total_system_memory_bytes.
    #[arg(
        long = "include-system-metrics",
        env = "REDIS_EXPORTER_INCL_SYSTEM_METRICS",
        default_value_t = false
    )]
    pub include_system_metrics: bool,
    /// Whether to include RDB file size metric (the file at CONFIG's dir/dbfilename, so the exporter must run on the Redis host).
    #[arg(
        long = "include-rdb-file-size-metric",
        env = "REDIS_EXPORTER_INCL_RDB_FILE_SIZE_METRIC",
        default_value_t = false
    )]
    pub include_rdb_file_size_metric: bool,
    /// Whether to to skip TLS verification.
    #[arg(
        long = "skip-tls-verification",
        env = "REDIS_EXPORTER_SKIP_TLS_VERIFICATION",
        default_value_t = false
    )]
    pub skip_tls_verification: bool,
    /// Whether to skip gathering the check-keys metrics (size, val) when the instance is of type master.
    #[arg(
        long = "skip-checkkeys-for-role-master",
        env = "REDIS_EXPORTER_SKIP_CHECKKEYS_FOR_ROLE_MASTER",
        default_value_t = false
    )]
    pub skip_checkkeys_for_role_master: bool,
    /// Username for basic authentication of every endpoint (with --basic-auth-password or --basic-auth-hash-password).
    #[arg(
        long = "basic-auth-username",
        env = "REDIS_EXPORTER_BASIC_AUTH_USERNAME",
        default_value = "",
        value_name = "STRING"
    )]
    pub basic_auth_username: String,
    /// Password for basic authentication, conflicts with --basic-auth-hash-password. Prefer REDIS_EXPORTER_BASIC_AUTH_PASSWORD: the command line is visible in `ps`.
    #[arg(
        long = "basic-auth-password",
        env = "REDIS_EXPORTER_BASIC_AUTH_PASSWORD",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true,
        value_name = "STRING"
    )]
    pub basic_auth_password: String,
    /// Hashed password for basic authentication, bcrypt format, conflicts with --basic-auth-password.
    #[arg(
        long = "basic-auth-hash-password",
        env = "REDIS_EXPORTER_BASIC_AUTH_HASH_PASSWORD",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true,
        value_name = "STRING"
    )]
    pub basic_auth_hash_password: String,
    /// Whether to disable the /scrape endpoint.
    #[arg(
        long = "disable-scrape-endpoint",
        env = "REDIS_EXPORTER_DISABLE_SCRAPE_ENDPOINT",
        default_value_t = false
    )]
    pub disable_scrape_endpoint: bool,
    /// Whether to emit db metrics (like db_keys) for empty databases.
    #[arg(
        long = "include-metrics-for-empty-databases",
        env = "REDIS_EXPORTER_INCL_METRICS_FOR_EMPTY_DATABASES",
        default_value_t = true
    )]
    pub include_metrics_for_empty_databases: bool,
    /// Whether to append 'instance_role' label to redis metrics.
    #[arg(
        long = "append-instance-role-label",
        env = "REDIS_EXPORTER_APPEND_INSTANCE_ROLE_LABEL",
        default_value_t = false
    )]
    pub append_instance_role_label: bool,
    /// ferroscope: send --redis.password (or REDIS_PASSWORD) to every /scrape target, as upstream does. Off: it goes only to the server --redis.addr names (same scheme, host and port); other targets get their password from --redis.password-file.
    #[arg(
        long = "redis.password-for-any-target",
        env = "REDIS_EXPORTER_PASSWORD_FOR_ANY_TARGET",
        default_value_t = false
    )]
    pub redis_password_for_any_target: bool,
    /// ferroscope: let /scrape use a password given in the target URL (off: credentials come only from --redis.password / the password file).
    #[arg(
        long = "scrape-allow-url-credentials",
        env = "REDIS_EXPORTER_SCRAPE_ALLOW_URL_CREDENTIALS",
        default_value_t = false
    )]
    pub scrape_allow_url_credentials: bool,
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag, including ones added later, takes upstream's
    /// spellings and sets the value they say.
    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::COLLECTORS);
    }
}
