//! mysql-exporter: a drop-in replacement for prometheus/mysqld_exporter.
//!
//! Each upstream scraper is one file in `collectors/` and one row of
//! [`COLLECTORS`] (its `--collect.<name>` switch). Scrapers of the default
//! target (`[client]` of the my.cnf) share one small connection pool;
//! `/probe?target=host:port&auth_module=client.x` scrapes other servers.

pub mod args;
pub mod collectors;
pub mod config;
pub mod probe;
pub mod scraper;
pub mod target;

use std::sync::Arc;

use exporter_kit::{AnyCollector, BuildError, CollectorMetrics, Exporter, Registration, Spec};

pub use args::Args;
use scraper::{Connection, Local, ScraperBox};

pub const SPEC: Spec = Spec {
    name: "mysqld_exporter",
    binary: "mysql-exporter",
    about: "Prometheus exporter for MySQL and MariaDB server metrics",
    namespace: "mysql",
    build_info_metric: "mysqld_exporter_build_info",
    default_listen_address: ":9104",
    env_prefix: Some("MYSQLD_EXPORTER"),
    collector_flag: "collect",
    single_dash_long_flags: false,
};

type MakeScraper = fn(&Args) -> Result<ScraperBox, BuildError>;

macro_rules! scrapers {
    ($( ($name:literal, $default:expr, $help:literal, $module:ident) ),* $(,)?) => {
        /// The `--collect.<name>` table: upstream's names, defaults and help.
        pub const COLLECTORS: &[Registration<Args>] = &[
            $( Registration::new($name, $default, $help, |args: &Args| -> Result<AnyCollector, BuildError> {
                scraper::wrap($name, collectors::$module::new(args)?, args)
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
];

/// Adds what upstream has besides the scrapers: `mysql_up` and the scrape
/// counters of the default target, and the `/probe` route.
pub fn setup(args: &Args, exporter: &mut Exporter) -> Result<(), BuildError> {
    let enabled: Vec<&'static str> = exporter.collector_names();
    let local = Local::of(args)?;
    // The scrapers report their own duration, labelled as upstream does
    // (`collect.global_status`); the kit's per-collector metrics are off.
    exporter.collector_metrics(CollectorMetrics::none());
    exporter.collector(
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
    exporter.probe("/probe", probe::Probe::new(local, Arc::new(scrapers)));
    Ok(())
}
