//! A replica pointed at a primary: slave_status on the replica,
//! slave_hosts and binlog_size on the primary.

mod common;

use std::time::Duration;

use common::{exporter, get, mariadb, root_cnf, value};

#[test]
fn replica_of_a_primary() {
    let primary = mariadb(&["--log-bin=binlog", "--server-id=1"]);
    let replica = mariadb(&["--server-id=2", "--report-host=replica1"]);
    primary.sql(
        "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'r'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'; \
         CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY);",
    );
    replica.sql(&format!(
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='repl', MASTER_PASSWORD='r', \
         MASTER_USE_GTID=slave_pos; START SLAVE;",
        primary.port()
    ));
    assert!(
        testkit::wait_until(Duration::from_secs(30), || replica
            .sql("SHOW DATABASES LIKE 'app'")
            .contains("app")),
        "replication did not start"
    );

    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), replica.port());
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let (_, text) = get(&server.url("/metrics"));
    let labels = r#"{master_host="127.0.0.1",master_uuid="",channel_name="",connection_name=""}"#;
    assert_eq!(
        value(
            &text,
            &format!("mysql_slave_status_slave_io_running{labels}")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("mysql_slave_status_slave_sql_running{labels}")
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("mysql_slave_status_seconds_behind_master{labels}")
        ),
        Some(0.0)
    );
    assert_eq!(
        value(&text, &format!("mysql_slave_status_master_port{labels}")),
        Some(f64::from(primary.port()))
    );

    let dir2 = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir2.path(), primary.port());
    let server = exporter(&[
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--collect.slave_hosts",
        "--collect.binlog_size",
    ]);
    let (_, text) = get(&server.url("/metrics"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("mysql_heartbeat_mysql_slave_hosts_info{")
                && l.contains(r#"server_id="2""#)
                && l.contains(r#"slave_host="replica1""#)),
        "{text}"
    );
    assert!(value(&text, "mysql_binlog_size_bytes").is_some_and(|v| v > 0.0));
    assert!(value(&text, "mysql_binlog_files").is_some_and(|v| v >= 1.0));
    // The primary has no replication channel: no slave_status series.
    assert!(!text.contains("mysql_slave_status_"));
}
