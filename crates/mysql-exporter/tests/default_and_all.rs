//! The default scrapers and every scraper against a real mariadbd, side by
//! side with Debian's mysqld_exporter on the same server.

mod common;

use common::{Upstream, exporter, get, mariadb, root_cnf, value};

#[test]
fn default_scrapers_match_upstream() {
    let db = mariadb(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), db.port());
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let (status, ours) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(value(&ours, "mysql_up"), Some(1.0));
    assert!(value(&ours, "mysql_global_status_threads_connected").is_some_and(|v| v >= 1.0));
    assert!(
        value(
            &ours,
            r#"mysql_global_status_commands_total{command="select"}"#
        )
        .is_some()
    );
    assert_eq!(
        value(&ours, "mysql_global_variables_port"),
        Some(f64::from(db.port()))
    );
    assert!(ours.contains(
        r#"mysql_exporter_collector_duration_seconds{collector="collect.global_status"}"#
    ));
    assert!(ours.contains("mysql_version_info{innodb_version="));

    let upstream = Upstream::start(&format!("root@tcp({})/", db.addr()), &[]);
    // Twice, so its counters exist, as a Prometheus would see it.
    let _ = get(&upstream.url());
    let (_, theirs) = get(&upstream.url());
    let coverage = testkit::exposition::coverage(&theirs, &ours, &[]);
    let (pct, missing) = (coverage.coverage_pct, &coverage.missing);
    common::dump("default", &theirs, &ours);
    println!("default collectors: coverage {pct:.1}% missing {missing:?}");
    assert!(pct >= 98.0, "coverage {pct:.1}% < 98%, missing {missing:?}");
}

/// Every scraper both exporters have, on a server with userstat, a binary
/// log, a heartbeat table and some tables.
#[test]
fn all_scrapers_match_upstream() {
    let db = mariadb(&["--userstat=ON", "--log-bin=binlog", "--server-id=1"]);
    db.sql(
        "CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB; \
         INSERT INTO app.t (v) VALUES ('a'), ('b'); SELECT * FROM app.t; \
         CREATE DATABASE heartbeat; CREATE TABLE heartbeat.heartbeat (ts VARCHAR(26) NOT NULL, server_id INT UNSIGNED NOT NULL PRIMARY KEY); \
         INSERT INTO heartbeat.heartbeat VALUES (NOW(6), 1);",
    );
    let names: Vec<&str> = mysql_exporter::COLLECTORS.iter().map(|r| r.name).collect();
    let mut flags: Vec<String> = names.iter().map(|n| format!("--collect.{n}")).collect();
    flags.push("--collect.mysql.user.privileges".into());
    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), db.port());
    let mut ours_flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // 36 scrapers: enough connections that none waits past the deadline on
    // a busy CI machine (0.14 has no cap at all).
    ours_flags.extend([
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--exporter.max_open_connections=8",
    ]);
    let server = exporter(&ours_flags);
    // information_schema can lag just-created tables for a moment on a
    // busy machine: scrape until the auto_increment column shows.
    let mut ours = String::new();
    testkit::wait_until(std::time::Duration::from_secs(15), || {
        let (status, text) = get(&server.url("/metrics"));
        assert_eq!(status, 200);
        ours = text;
        ours.contains("# TYPE mysql_info_schema_auto_increment_column ")
    });
    assert_eq!(value(&ours, "mysql_up"), Some(1.0));
    // Not Aurora: as upstream, no replica_host_status table is no error.
    assert_eq!(
        value(
            &ours,
            r#"mysql_exporter_collector_success{collector="collect.info_schema.replica_host"}"#
        ),
        Some(1.0)
    );
    // No MyRocks here: that scraper alone is skipped.
    assert_eq!(
        value(
            &ours,
            r#"mysql_exporter_collector_success{collector="collect.info_schema.rocksdb_perf_context"}"#
        ),
        Some(0.0)
    );
    for family in [
        "mysql_info_schema_processlist_threads",
        "mysql_info_schema_innodb_metrics_buffer_pool_pages",
        "mysql_info_schema_table_rows",
        "mysql_perf_schema_events_waits_total",
        "mysql_binlog_size_bytes",
        "mysql_heartbeat_stored_timestamp_seconds",
        "mysql_info_schema_auto_increment_column",
        "mysql_info_schema_user_statistics_rows_read_total",
        "mysql_engine_innodb_read_views_open_inside_innodb",
    ] {
        assert!(
            ours.contains(&format!("# TYPE {family} ")),
            "{family} missing"
        );
    }
    assert_eq!(
        value(
            &ours,
            r#"mysql_info_schema_auto_increment_column{schema="app",table="t",column="id"}"#
        ),
        Some(3.0)
    );

    // Debian's 0.14 knows all of these but sys.user_summary and
    // info_schema.rocksdb_perf_context.
    let upstream_flags: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| {
            *f != "--collect.sys.user_summary" && *f != "--collect.info_schema.rocksdb_perf_context"
        })
        .collect();
    let upstream = Upstream::start(&format!("root@tcp({})/", db.addr()), &upstream_flags);
    let _ = get(&upstream.url());
    let (_, theirs) = get(&upstream.url());
    common::dump("all", &theirs, &ours);
    let coverage = testkit::exposition::coverage(&theirs, &ours, &[]);
    assert!(coverage.coverage_pct >= 98.0, "all collectors: {coverage}");
    testkit::catalog::check(
        "mysql-exporter",
        "mysql-exporter with every scraper on against a real mariadbd \
         (all_scrapers_match_upstream in crates/mysql-exporter/tests/default_and_all.rs)",
        &[&ours],
    );
}
