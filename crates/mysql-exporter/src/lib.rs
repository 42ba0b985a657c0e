//! mysql-exporter: a drop-in replacement for prometheus/mysqld_exporter.
//!
//! Each upstream scraper is one file in `collectors/` and one row of
//! [`COLLECTORS`] (its `--collect.<name>` switch). Scrapers of the default
//! target (`[client]` of the my.cnf) share one small connection pool;
//! `/probe?target=host:port&auth_module=client.x` scrapes other servers.

pub mod args;
pub mod collectors;
pub mod config;
#[cfg(test)]
mod fixture;
pub mod probe;
pub mod scraper;
pub mod target;

use std::sync::Arc;

use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectorMetrics, Exporter, Registration, Spec,
};

pub use args::Args;
use scraper::{Connection, Local, ScraperBox};

pub const SPEC: Spec = Spec {
    name: "mysqld_exporter",
    binary: "mysql-exporter",
    about: "Prometheus exporter for MySQL and MariaDB server metrics",
    namespace: "mysql",
    build_info_metric: "mysqld_exporter_build_info",
    default_listen_address: ":9104",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: Some("MYSQLD_EXPORTER"),
    collector_flag: "collect",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::Instrumented,
};

type MakeScraper = fn(&Args) -> Result<ScraperBox, BuildError>;

macro_rules! scrapers {
    ($( ($name:literal, $default:expr, $help:literal, $module:ident) ),* $(,)?) => {
        /// The `--collect.<name>` table: upstream's names, defaults and help.
        pub const COLLECTORS: &[Registration<Args>] = &[
            $( Registration::with_context($name, $default, $help,
                |args: &Args, ctx: &BuildContext| -> Result<AnyCollector, BuildError> {
                    scraper::wrap($name, collectors::$module::new(args)?, args, ctx)
                }) ),*
        ];
        /// The same scrapers by name, for `/probe`.
        pub const SCRAPERS: &[(&str, MakeScraper)] = &[
            $( ($name, collectors::$module::new as MakeScraper) ),*
        ];
    };
}

scrapers![
    (
        "global_status",
        true,
        "Collect from SHOW GLOBAL STATUS",
        global_status
    ),
    (
        "global_variables",
        true,
        "Collect from SHOW GLOBAL VARIABLES",
        global_variables
    ),
    (
        "slave_status",
        true,
        "Collect from SHOW SLAVE STATUS",
        slave_status
    ),
    (
        "info_schema.processlist",
        false,
        "Collect current thread state counts from the information_schema.processlist",
        info_schema_processlist
    ),
    (
        "mysql.user",
        false,
        "Collect data from mysql.user",
        mysql_user
    ),
    (
        "info_schema.tables",
        false,
        "Collect metrics from information_schema.tables",
        info_schema_tables
    ),
    (
        "info_schema.innodb_tablespaces",
        false,
        "Collect metrics from information_schema.innodb_sys_tablespaces",
        info_schema_innodb_tablespaces
    ),
    (
        "info_schema.innodb_metrics",
        false,
        "Collect metrics from information_schema.innodb_metrics",
        info_schema_innodb_metrics
    ),
    (
        "auto_increment.columns",
        false,
        "Collect auto_increment columns and max values from information_schema",
        info_schema_auto_increment
    ),
    (
        "binlog_size",
        false,
        "Collect the current size of all registered binlog files",
        binlog_size
    ),
    (
        "perf_schema.tableiowaits",
        false,
        "Collect metrics from performance_schema.table_io_waits_summary_by_table",
        perf_schema_table_io_waits
    ),
    (
        "perf_schema.indexiowaits",
        false,
        "Collect metrics from performance_schema.table_io_waits_summary_by_index_usage",
        perf_schema_index_io_waits
    ),
    (
        "perf_schema.tablelocks",
        false,
        "Collect metrics from performance_schema.table_lock_waits_summary_by_table",
        perf_schema_table_lock_waits
    ),
    (
        "perf_schema.eventsstatements",
        false,
        "Collect metrics from performance_schema.events_statements_summary_by_digest",
        perf_schema_events_statements
    ),
    (
        "perf_schema.eventsstatementssum",
        false,
        "Collect metrics of grand sums from performance_schema.events_statements_summary_by_digest",
        perf_schema_events_statements_sum
    ),
    (
        "perf_schema.eventswaits",
        false,
        "Collect metrics from performance_schema.events_waits_summary_global_by_event_name",
        perf_schema_events_waits
    ),
    (
        "perf_schema.file_events",
        false,
        "Collect metrics from performance_schema.file_summary_by_event_name",
        perf_schema_file_events
    ),
    (
        "perf_schema.file_instances",
        false,
        "Collect metrics from performance_schema.file_summary_by_instance",
        perf_schema_file_instances
    ),
    (
        "perf_schema.memory_events",
        false,
        "Collect metrics from performance_schema.memory_summary_global_by_event_name",
        perf_schema_memory_events
    ),
    (
        "perf_schema.replication_group_members",
        false,
        "Collect metrics from performance_schema.replication_group_members",
        perf_schema_replication_group_members
    ),
    (
        "perf_schema.replication_group_member_stats",
        false,
        "Collect metrics from performance_schema.replication_group_member_stats",
        perf_schema_replication_group_member_stats
    ),
    (
        "perf_schema.replication_applier_status_by_worker",
        false,
        "Collect metrics from performance_schema.replication_applier_status_by_worker",
        perf_schema_replication_applier_status_by_worker
    ),
    (
        "sys.user_summary",
        false,
        "Collect metrics from sys.x$user_summary",
        sys_user_summary
    ),
    (
        "info_schema.userstats",
        false,
        "If running with userstat=1, set to true to collect user statistics",
        info_schema_userstats
    ),
    (
        "info_schema.clientstats",
        false,
        "If running with userstat=1, set to true to collect client statistics",
        info_schema_clientstats
    ),
    (
        "info_schema.tablestats",
        false,
        "If running with userstat=1, set to true to collect table statistics",
        info_schema_tablestats
    ),
    (
        "info_schema.schemastats",
        false,
        "If running with userstat=1, set to true to collect schema statistics",
        info_schema_schemastats
    ),
    (
        "info_schema.innodb_cmp",
        true,
        "Collect metrics from information_schema.innodb_cmp",
        info_schema_innodb_cmp
    ),
    (
        "info_schema.innodb_cmpmem",
        true,
        "Collect metrics from information_schema.innodb_cmpmem",
        info_schema_innodb_cmpmem
    ),
    (
        "info_schema.query_response_time",
        true,
        "Collect query response time distribution if query_response_time_stats is ON.",
        info_schema_query_response_time
    ),
    (
        "engine_tokudb_status",
        false,
        "Collect from SHOW ENGINE TOKUDB STATUS",
        engine_tokudb_status
    ),
    (
        "engine_innodb_status",
        false,
        "Collect from SHOW ENGINE INNODB STATUS",
        engine_innodb_status
    ),
    ("heartbeat", false, "Collect from heartbeat", heartbeat),
    (
        "slave_hosts",
        false,
        "Scrape information from 'SHOW SLAVE HOSTS'",
        slave_hosts
    ),
    (
        "info_schema.replica_host",
        false,
        "Collect metrics from information_schema.replica_host_status",
        info_schema_replica_host
    ),
    (
        "info_schema.rocksdb_perf_context",
        false,
        "Collect metrics from information_schema.ROCKSDB_PERF_CONTEXT",
        info_schema_rocksdb_perf_context
    ),
];

/// Adds what upstream has besides the scrapers: `mysql_up` and the scrape
/// counters of the default target, `/-/reload` and the `/probe` route.
pub fn setup(args: &Args, exporter: &mut Exporter, ctx: &BuildContext) -> Result<(), BuildError> {
    let enabled: Vec<&'static str> = exporter.collector_names();
    let local = Local::of(args, ctx)?;
    // The scrapers report their own duration, labelled as upstream does
    // (`collect.global_status`); the kit's per-collector metrics are off.
    exporter.collector_metrics(CollectorMetrics::none());
    exporter.collector_always(
        "connection",
        AnyCollector::asynchronous(Connection {
            local: local.clone(),
        }),
    );
    exporter.registry(local.stats.registry.clone());
    let mut scrapers = Vec::new();
    for name in enabled {
        if let Some((_, make)) = SCRAPERS.iter().find(|(n, _)| *n == name) {
            scrapers.push((format!("collect.{name}"), make(args)?));
        }
    }
    exporter.route(
        "/-/reload",
        scraper::Reload {
            local: local.clone(),
        },
    );
    exporter.probe("/probe", probe::Probe::new(local, Arc::new(scrapers)));
    Ok(())
}
