//! MySQL / MariaDB, from mysql-exporter: the panels of the mysqld-mixin's
//! overview over the families our exporter exposes.

use super::{Dashboard, LAYER_SELECTOR, layer_vars, open_row, row, stat, ts};

pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "ferroscope-mysql",
        title: "MySQL / MariaDB",
        description: "MySQL and MariaDB servers from mysql-exporter (mysqld_exporter compatible): \
                      connections, threads, commands, InnoDB, temporary tables, sorts, locks, \
                      network and replication. Raw metrics only; red lines are \
                      prometheus/rules/mysql.rules.yml's thresholds."
            .into(),
        vars: layer_vars("mysql_up"),
        selector: LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Up", "Whether the exporter reached the server in its last scrape (1) or not (0); 0 fires MysqlDown.")
                        .unit("bool")
                        .q("mysql_up{$S}", "{{instance}}")
                        .alert_below(1.0, "MysqlDown"),
                    stat("Uptime", "Time since the server started; a small value means it restarted.")
                        .unit("s")
                        .q("mysql_global_status_uptime{$S}", "{{instance}}"),
                    stat("Queries per second", "Statements the server executed per second (Questions, from clients).")
                        .unit("qps")
                        .q("rate(mysql_global_status_questions{$S}[5m])", "{{instance}}"),
                    stat("Connections of max", "Connected threads against max_connections; at 100% new clients are refused.")
                        .unit("percentunit")
                        .q("mysql_global_status_threads_connected{$S} / mysql_global_variables_max_connections{$S}", "{{instance}}")
                        .alert_above(0.8, "MysqlTooManyConnections"),
                    stat("InnoDB buffer pool", "Size of the InnoDB buffer pool (innodb_buffer_pool_size); the working set should fit in it.")
                        .unit("bytes")
                        .q("mysql_global_variables_innodb_buffer_pool_size{$S}", "{{instance}}"),
                    stat("Slow queries per second", "Queries slower than long_query_time per second; above the line fires MysqlSlowQueries.")
                        .unit("qps")
                        .q("rate(mysql_global_status_slow_queries{$S}[5m])", "{{instance}}")
                        .alert_above(0.05, "MysqlSlowQueries"),
                ],
            ),
            open_row(
                "Connections and threads",
                vec![
                    ts("Connections", "Connected clients, the most ever connected, and max_connections; connected near the maximum refuses new clients.")
                        .unit("short")
                        .q("mysql_global_status_threads_connected{$S}", "{{instance}} connected")
                        .q("mysql_global_status_max_used_connections{$S}", "{{instance}} max used")
                        .q("mysql_global_variables_max_connections{$S}", "{{instance}} max_connections"),
                    ts("Connections of max_connections", "Connected threads as a share of max_connections; above the red line for 5 minutes fires MysqlTooManyConnections.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("mysql_global_status_threads_connected{$S} / mysql_global_variables_max_connections{$S}", "{{instance}}")
                        .alert_above(0.8, "MysqlTooManyConnections"),
                    ts("Client thread activity", "Threads connected and running a statement; many running threads for long means queries pile up (locks, slow disk).")
                        .unit("short")
                        .q("mysql_global_status_threads_connected{$S}", "{{instance}} connected")
                        .q("mysql_global_status_threads_running{$S}", "{{instance}} running"),
                    ts("Thread cache", "Threads created per second against the thread cache size; steady creation means thread_cache_size is too small.")
                        .unit("short")
                        .q("rate(mysql_global_status_threads_created{$S}[$__rate_interval])", "{{instance}} created/s")
                        .q("mysql_global_status_threads_cached{$S}", "{{instance}} cached")
                        .q("mysql_global_variables_thread_cache_size{$S}", "{{instance}} thread_cache_size"),
                    ts("Aborted connections", "Connection attempts that failed (bad password, no privilege) and clients that went away without closing; a rise means misconfigured or dying clients.")
                        .unit("ops")
                        .q("rate(mysql_global_status_aborted_connects{$S}[$__rate_interval])", "{{instance}} aborted connects")
                        .q("rate(mysql_global_status_aborted_clients{$S}[$__rate_interval])", "{{instance}} aborted clients"),
                    ts("Processes by state", "Server threads by command and state (information_schema.processlist); many in 'Waiting for ... lock' means lock contention.")
                        .unit("short")
                        .q("sum by (instance, state) (mysql_info_schema_processlist_threads{$S})", "{{instance}} {{state}}")
                        .only_where("the exporter runs with --collect.info_schema.processlist"),
                ],
            ),
            row(
                "Queries and commands",
                vec![
                    ts("Questions", "Statements from clients per second; the server's workload.")
                        .unit("qps")
                        .q("rate(mysql_global_status_questions{$S}[$__rate_interval])", "{{instance}}"),
                    ts("Top commands", "The ten most frequent statement kinds per second (Com_*); a shift in the mix often explains a load change.")
                        .unit("ops")
                        .q("topk(10, rate(mysql_global_status_commands_total{$S}[$__rate_interval]) > 0)", "{{instance}} {{command}}"),
                    ts("Slow queries", "Queries slower than long_query_time per second; above the red line for 10 minutes fires MysqlSlowQueries.")
                        .unit("qps")
                        .q("rate(mysql_global_status_slow_queries{$S}[5m])", "{{instance}}")
                        .alert_above(0.05, "MysqlSlowQueries"),
                    ts("Handlers", "Storage engine row operations per second by handler; read_rnd_next high against read_key means full table scans.")
                        .unit("ops")
                        .q(r#"rate(mysql_global_status_handlers_total{$S,handler!~"commit|rollback|savepoint.*|prepare|external_lock|discover"}[$__rate_interval]) > 0"#, "{{instance}} {{handler}}"),
                    ts("Transaction handlers", "Commits, rollbacks and savepoints per second; a high rollback rate means failing transactions.")
                        .unit("ops")
                        .q(r#"rate(mysql_global_status_handlers_total{$S,handler=~"commit|rollback|savepoint.*|prepare"}[$__rate_interval])"#, "{{instance}} {{handler}}"),
                    ts("Select types", "Joins without indexes, range checks and full scans per second; full joins and scans should be rare.")
                        .unit("ops")
                        .q("rate(mysql_global_status_select_full_join{$S}[$__rate_interval])", "{{instance}} full join")
                        .q("rate(mysql_global_status_select_full_range_join{$S}[$__rate_interval])", "{{instance}} full range join")
                        .q("rate(mysql_global_status_select_range{$S}[$__rate_interval])", "{{instance}} range")
                        .q("rate(mysql_global_status_select_range_check{$S}[$__rate_interval])", "{{instance}} range check")
                        .q("rate(mysql_global_status_select_scan{$S}[$__rate_interval])", "{{instance}} scan"),
                    ts("Sorts", "Rows sorted and sorts by kind per second; merge passes mean sort_buffer_size is too small.")
                        .unit("ops")
                        .q("rate(mysql_global_status_sort_rows{$S}[$__rate_interval])", "{{instance}} rows")
                        .q("rate(mysql_global_status_sort_range{$S}[$__rate_interval])", "{{instance}} range")
                        .q("rate(mysql_global_status_sort_merge_passes{$S}[$__rate_interval])", "{{instance}} merge passes")
                        .q("rate(mysql_global_status_sort_scan{$S}[$__rate_interval])", "{{instance}} scan"),
                    ts("Temporary objects", "Temporary tables and files created per second; many on disk mean tmp_table_size is too small or queries need indexes.")
                        .unit("ops")
                        .q("rate(mysql_global_status_created_tmp_tables{$S}[$__rate_interval])", "{{instance}} tables")
                        .q("rate(mysql_global_status_created_tmp_disk_tables{$S}[$__rate_interval])", "{{instance}} disk tables")
                        .q("rate(mysql_global_status_created_tmp_files{$S}[$__rate_interval])", "{{instance}} files"),
                ],
            ),
            row(
                "InnoDB",
                vec![
                    ts("Buffer pool pages", "Buffer pool pages by state; few free pages and many dirty ones mean the pool is too small or flushing lags.")
                        .unit("short")
                        .stacked()
                        .q("mysql_global_status_buffer_pool_pages{$S}", "{{instance}} {{state}}"),
                    ts("Buffer pool hit ratio", "Share of page reads served from memory; below ~99% the working set does not fit and reads go to disk.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("1 - rate(mysql_global_status_innodb_buffer_pool_reads{$S}[$__rate_interval]) / rate(mysql_global_status_innodb_buffer_pool_read_requests{$S}[$__rate_interval])", "{{instance}}")
                        .colors("red", &[(0.95, "orange"), (0.99, "green")]),
                    ts("Row reads and changes", "Rows read and sent per second, and buffer pool page changes; the data the workload touches.")
                        .unit("ops")
                        .q("rate(mysql_global_status_rows_read{$S}[$__rate_interval])", "{{instance}} rows read")
                        .q("rate(mysql_global_status_rows_sent{$S}[$__rate_interval])", "{{instance}} rows sent")
                        .q("rate(mysql_global_status_innodb_pages_written{$S}[$__rate_interval])", "{{instance}} pages written"),
                    ts("InnoDB data I/O", "Bytes InnoDB read and wrote per second and fsyncs per second; fsync-heavy workloads need fast disks.")
                        .unit("Bps")
                        .q("rate(mysql_global_status_innodb_data_read{$S}[$__rate_interval])", "{{instance}} read")
                        .q("rate(mysql_global_status_innodb_data_written{$S}[$__rate_interval])", "{{instance}} written")
                        .q("rate(mysql_global_status_innodb_os_log_written{$S}[$__rate_interval])", "{{instance}} redo log written"),
                    ts("Log waits and pending I/O", "Waits for the redo log buffer and pending reads/writes/fsyncs; any log waits mean innodb_log_buffer_size is too small, pending I/O a slow disk.")
                        .unit("short")
                        .q("rate(mysql_global_status_innodb_log_waits{$S}[$__rate_interval])", "{{instance}} log waits/s")
                        .q("mysql_global_status_innodb_data_pending_reads{$S} + mysql_global_status_innodb_data_pending_writes{$S} + mysql_global_status_innodb_data_pending_fsyncs{$S}", "{{instance}} pending I/O"),
                ],
            ),
            row(
                "Locks",
                vec![
                    ts("Row lock waits", "InnoDB row lock waits per second and waits happening now; rising waits mean transactions block each other.")
                        .unit("short")
                        .q("rate(mysql_global_status_innodb_row_lock_waits{$S}[$__rate_interval])", "{{instance}} waits/s")
                        .q("mysql_global_status_innodb_row_lock_current_waits{$S}", "{{instance}} waiting now"),
                    ts("Row lock time", "Milliseconds spent waiting for row locks per second; a rise is lock contention (long transactions, hot rows).")
                        .unit("ms")
                        .q("rate(mysql_global_status_innodb_row_lock_time{$S}[$__rate_interval])", "{{instance}}"),
                    ts("Deadlocks", "InnoDB deadlocks per second; each one rolls a transaction back.")
                        .unit("ops")
                        .q("rate(mysql_global_status_innodb_deadlocks{$S}[$__rate_interval])", "{{instance}}")
                        .colors("green", &[(0.01, "red")]),
                    ts("Table locks", "Table locks granted at once and after waiting per second; waited locks mean MyISAM-style contention.")
                        .unit("ops")
                        .q("rate(mysql_global_status_table_locks_immediate{$S}[$__rate_interval])", "{{instance}} immediate")
                        .q("rate(mysql_global_status_table_locks_waited{$S}[$__rate_interval])", "{{instance}} waited"),
                ],
            ),
            row(
                "Network, files and tables",
                vec![
                    ts("Network traffic", "Bytes received from and sent to clients per second.")
                        .unit("Bps")
                        .q("rate(mysql_global_status_bytes_received{$S}[$__rate_interval])", "{{instance}} received")
                        .q("rate(mysql_global_status_bytes_sent{$S}[$__rate_interval])", "{{instance}} sent"),
                    ts("Open files", "Files open against open_files_limit; at the limit the server cannot open tables.")
                        .unit("short")
                        .q("mysql_global_status_open_files{$S}", "{{instance}} open")
                        .q("mysql_global_variables_open_files_limit{$S}", "{{instance}} limit"),
                    ts("Table open cache", "Open tables against table_open_cache, and tables opened per second; steady opening means the cache is too small.")
                        .unit("short")
                        .q("mysql_global_status_open_tables{$S}", "{{instance}} open")
                        .q("mysql_global_variables_table_open_cache{$S}", "{{instance}} table_open_cache")
                        .q("rate(mysql_global_status_opened_tables{$S}[$__rate_interval])", "{{instance}} opened/s"),
                    ts("Table open cache hit ratio", "Share of table opens served from the cache; low means table_open_cache is too small.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("rate(mysql_global_status_table_open_cache_hits{$S}[$__rate_interval]) / (rate(mysql_global_status_table_open_cache_hits{$S}[$__rate_interval]) + rate(mysql_global_status_table_open_cache_misses{$S}[$__rate_interval]))", "{{instance}}"),
                ],
            ),
            row(
                "Replication",
                vec![
                    ts("Replication lag", "Seconds the replica's SQL thread is behind its source; above the red line for 5 minutes fires MysqlReplicationLag.")
                        .unit("s")
                        .q("mysql_slave_status_seconds_behind_master{$S}", "{{instance}}")
                        .alert_above(30.0, "MysqlReplicationLag")
                        .only_where("the server is a replica"),
                    ts("Replication threads", "Whether the replica's I/O and SQL threads run (1); 0 means replication stopped.")
                        .unit("bool")
                        .q("mysql_slave_status_slave_io_running{$S}", "{{instance}} I/O thread")
                        .q("mysql_slave_status_slave_sql_running{$S}", "{{instance}} SQL thread")
                        .only_where("the server is a replica"),
                ],
            ),
            row(
                "mysql-exporter",
                vec![
                    ts("Collector duration", "Time each scraper took in the last scrape; a slow scraper (a big information_schema) delays the scrape.")
                        .unit("s")
                        .q("mysql_exporter_collector_duration_seconds{$S}", "{{instance}} {{collector}}"),
                    ts("Failing scrapers", "Scrapers that failed the last scrape (success 0); their metrics are missing, and failing for 10 minutes fires ExporterCollectorFailing.")
                        .unit("short")
                        .q("count by (instance) (mysql_exporter_collector_success{$S} == 0) or count by (instance) (mysql_exporter_collector_success{$S}) * 0", "{{instance}}")
                        .alert_above(1.0, "ExporterCollectorFailing"),
                    ts("Last scrape error", "Whether the last scrape of the server hit an error (1).")
                        .unit("bool")
                        .q("mysql_exporter_last_scrape_error{$S}", "{{instance}}")
                        .colors("green", &[(1.0, "red")]),
                ],
            ),
        ],
    }
}
