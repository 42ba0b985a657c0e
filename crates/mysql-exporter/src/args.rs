//! mysqld_exporter's own flags (the kit adds `--web.*`, `--log.*` and the
//! `--collect.<scraper>` switches).

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Path to .my.cnf file to read MySQL credentials from ([client] and
    /// [client.<auth_module>] sections).
    #[arg(long = "config.my-cnf", value_name = "FILE", default_value = ".my.cnf")]
    pub my_cnf: String,

    /// Address of the MySQL server (host:port or unix:///path/to/socket),
    /// used when [client] sets no host, port or socket.
    #[arg(
        long = "mysqld.address",
        value_name = "ADDRESS",
        default_value = "localhost:3306"
    )]
    pub mysqld_address: String,

    /// User name to connect with, used when [client] sets none.
    #[arg(long = "mysqld.username", value_name = "USER")]
    pub mysqld_username: Option<String>,

    /// Ignore certificate and server verification when using a TLS
    /// connection.
    #[arg(long = "tls.insecure-skip-verify")]
    pub tls_insecure_skip_verify: bool,

    /// Set a lock_wait_timeout (in seconds) on the connection to avoid
    /// long metadata locking.
    #[arg(
        long = "exporter.lock_wait_timeout",
        value_name = "SECONDS",
        default_value_t = 2
    )]
    pub lock_wait_timeout: u32,

    /// Whether to set lock_wait_timeout on the connection at all.
    #[arg(long = "exporter.enable_lock_wait_timeout", default_value_t = true)]
    pub enable_lock_wait_timeout: bool,

    /// Add a log_slow_filter to avoid slow query logging of scrapes. NOTE:
    /// not supported by Oracle MySQL.
    #[arg(long = "exporter.log_slow_filter")]
    pub log_slow_filter: bool,

    /// Timeout in seconds for each scraper's queries (0: the scrape
    /// deadline only).
    #[arg(
        long = "exporter.query_timeout",
        value_name = "SECONDS",
        default_value_t = 0
    )]
    pub query_timeout: u64,

    /// Maximum number of open connections per target.
    #[arg(long = "exporter.max_open_connections", value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_open_connections: u32,

    /// Database from where to collect heartbeat data.
    #[arg(
        long = "collect.heartbeat.database",
        value_name = "DB",
        default_value = "heartbeat"
    )]
    pub heartbeat_database: String,

    /// Table from where to collect heartbeat data.
    #[arg(
        long = "collect.heartbeat.table",
        value_name = "TABLE",
        default_value = "heartbeat"
    )]
    pub heartbeat_table: String,

    /// Use UTC for timestamps of the current server (`pt-heartbeat` is
    /// called with `--utc`).
    #[arg(long = "collect.heartbeat.utc")]
    pub heartbeat_utc: bool,

    /// Minimum time a thread must be in each state to be counted.
    #[arg(
        long = "collect.info_schema.processlist.min_time",
        value_name = "SECONDS",
        default_value_t = 0
    )]
    pub processlist_min_time: i64,

    /// Enable collecting the number of processes by user.
    #[arg(
        long = "collect.info_schema.processlist.processes_by_user",
        default_value_t = true
    )]
    pub processes_by_user: bool,

    /// Enable collecting the number of processes by host.
    #[arg(
        long = "collect.info_schema.processlist.processes_by_host",
        default_value_t = true
    )]
    pub processes_by_host: bool,

    /// The list of databases to collect table stats for, or '*' for all.
    #[arg(
        long = "collect.info_schema.tables.databases",
        value_name = "LIST",
        default_value = "*"
    )]
    pub tables_databases: String,

    /// Enable collecting user privileges from mysql.user.
    #[arg(long = "collect.mysql.user.privileges")]
    pub user_privileges: bool,

    /// Limit the number of events statements digests by response time.
    #[arg(
        long = "collect.perf_schema.eventsstatements.limit",
        value_name = "N",
        default_value_t = 250
    )]
    pub eventsstatements_limit: u32,

    /// Limit how old the 'last_seen' events statements can be, in seconds.
    #[arg(
        long = "collect.perf_schema.eventsstatements.timelimit",
        value_name = "SECONDS",
        default_value_t = 86400
    )]
    pub eventsstatements_timelimit: u32,

    /// Maximum length of the normalized statement text.
    #[arg(
        long = "collect.perf_schema.eventsstatements.digest_text_limit",
        value_name = "N",
        default_value_t = 120
    )]
    pub eventsstatements_digest_text_limit: u32,

    /// Additional schema name to exclude (always excludes mysql,
    /// performance_schema, information_schema). Repeatable.
    #[arg(
        long = "collect.perf_schema.eventsstatements.exclude_schemas",
        value_name = "SCHEMA",
        action = clap::ArgAction::Append
    )]
    pub eventsstatements_exclude_schemas: Vec<String>,

    /// RegEx file_name filter for performance_schema.file_summary_by_instance.
    #[arg(
        long = "collect.perf_schema.file_instances.filter",
        value_name = "REGEX",
        default_value = ".*"
    )]
    pub file_instances_filter: String,

    /// Remove path prefix in performance_schema.file_summary_by_instance.
    #[arg(
        long = "collect.perf_schema.file_instances.remove_prefix",
        value_name = "PREFIX",
        default_value = "/var/lib/mysql/"
    )]
    pub file_instances_remove_prefix: String,

    /// Remove instrument prefix in
    /// performance_schema.memory_summary_global_by_event_name.
    #[arg(
        long = "collect.perf_schema.memory_events.remove_prefix",
        value_name = "PREFIX",
        default_value = "memory/"
    )]
    pub memory_events_remove_prefix: String,
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

/// mysqld_exporter's `--timeout-offset` (seconds taken off Prometheus'
/// scrape timeout) is the kit's `--web.scrape-timeout-offset`: the command
/// line with it renamed, in its `--timeout-offset=X` and
/// `--timeout-offset X` spellings.
pub fn translate(argv: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const UPSTREAM: &str = "--timeout-offset";
    const KIT: &str = "--web.scrape-timeout-offset";
    argv.into_iter()
        .map(|word| match word.to_str() {
            Some(w) if w == UPSTREAM => KIT.into(),
            Some(w) => match w.strip_prefix(UPSTREAM).and_then(|v| v.strip_prefix('=')) {
                Some(value) => format!("{KIT}={value}").into(),
                None => word,
            },
            None => word,
        })
        .collect()
}

#[cfg(test)]
mod translate_tests {
    #[test]
    fn timeout_offset_is_the_kits_scrape_timeout_offset() {
        let argv = [
            "x",
            "--timeout-offset=0.25",
            "--timeout-offset",
            "1",
            "--timeout-offsetx",
        ]
        .map(std::ffi::OsString::from)
        .to_vec();
        let out: Vec<String> = super::translate(argv)
            .into_iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            out,
            [
                "x",
                "--web.scrape-timeout-offset=0.25",
                "--web.scrape-timeout-offset",
                "1",
                "--timeout-offsetx"
            ]
        );
    }
}
