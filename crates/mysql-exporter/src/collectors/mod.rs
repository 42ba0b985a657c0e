//! One file per mysqld_exporter scraper, named after upstream's.

pub mod binlog_size;
pub mod engine_innodb_status;
pub mod engine_tokudb_status;
pub mod global_status;
pub mod global_variables;
pub mod heartbeat;
pub mod info_schema_auto_increment;
pub mod info_schema_clientstats;
pub mod info_schema_innodb_cmp;
pub mod info_schema_innodb_cmpmem;
pub mod info_schema_innodb_metrics;
pub mod info_schema_innodb_tablespaces;
pub mod info_schema_processlist;
pub mod info_schema_query_response_time;
pub mod info_schema_replica_host;
pub mod info_schema_rocksdb_perf_context;
pub mod info_schema_schemastats;
pub mod info_schema_tables;
pub mod info_schema_tablestats;
pub mod info_schema_userstats;
pub mod mysql_user;
pub mod perf_schema_events_statements;
pub mod perf_schema_events_statements_sum;
pub mod perf_schema_events_waits;
pub mod perf_schema_file_events;
pub mod perf_schema_file_instances;
pub mod perf_schema_index_io_waits;
pub mod perf_schema_memory_events;
pub mod perf_schema_replication_applier_status_by_worker;
pub mod perf_schema_replication_group_member_stats;
pub mod perf_schema_replication_group_members;
pub mod perf_schema_table_io_waits;
pub mod perf_schema_table_lock_waits;
pub mod slave_hosts;
pub mod slave_status;
pub mod statistics;
pub mod sys_user_summary;
pub mod tables_pass;

/// The lowest server version (major.minor) upstream runs scraper `name`
/// on: its scrapers' `Version()`. Older servers skip it without a word.
pub fn min_version(name: &str) -> f64 {
    match name {
        "info_schema.clientstats"
        | "info_schema.innodb_cmp"
        | "info_schema.innodb_cmpmem"
        | "info_schema.query_response_time"
        | "perf_schema.eventswaits"
        | "perf_schema.file_instances" => 5.5,
        "engine_tokudb_status"
        | "info_schema.innodb_metrics"
        | "info_schema.replica_host"
        | "info_schema.rocksdb_perf_context"
        | "perf_schema.eventsstatements"
        | "perf_schema.file_events"
        | "perf_schema.indexiowaits"
        | "perf_schema.tableiowaits"
        | "perf_schema.tablelocks" => 5.6,
        "info_schema.innodb_tablespaces"
        | "perf_schema.eventsstatementssum"
        | "perf_schema.memory_events"
        | "perf_schema.replication_group_member_stats"
        | "perf_schema.replication_group_members"
        | "sys.user_summary" => 5.7,
        "perf_schema.replication_applier_status_by_worker" => 8.0,
        _ => 5.1,
    }
}

/// The server version as upstream compares it: `major.minor` read as a
/// number (so 5.10 is 5.1).
pub fn major_minor((major, minor, _): (u16, u16, u16)) -> f64 {
    format!("{major}.{minor}").parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_gates_as_upstream() {
        assert_eq!(super::major_minor((10, 11, 6)), 10.11);
        assert_eq!(super::major_minor((5, 10, 0)), 5.1);
        assert!(
            super::major_minor((5, 7, 44))
                < super::min_version("perf_schema.replication_applier_status_by_worker")
        );
        assert!(
            super::major_minor((8, 0, 36))
                >= super::min_version("perf_schema.replication_applier_status_by_worker")
        );
        assert!(super::major_minor((5, 6, 0)) < super::min_version("sys.user_summary"));
        assert_eq!(super::min_version("global_status"), 5.1);
    }
}
