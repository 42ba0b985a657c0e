//! A schema of 10,000 tables: the scrapers that read every table return
//! all of them within the scrape timeout, and the exporter stays
//! responsive while they work.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{exporter, mariadb, root_cnf, value};

const TABLES: usize = 10_000;
/// Parallel clients creating the tables: each CREATE TABLE waits on a few
/// fsyncs, which the server groups across sessions (one client: ~35 ms a
/// table, six minutes in all; 32 clients: under 5 ms a table on a busy
/// machine).
const CLIENTS: usize = 32;

/// Runs `sql` through one mariadb client on the server's socket.
fn client(socket: &std::path::Path, sql: String) -> std::process::Child {
    let mut child = Command::new("mariadb")
        .args(["--no-defaults", "-uroot", "--batch"])
        .arg(format!("--socket={}", socket.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running mariadb");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::spawn(move || stdin.write_all(sql.as_bytes()));
    child
}

fn scrape(url: &str, timeout_seconds: u64) -> (String, Duration) {
    let started = Instant::now();
    let resp = testkit::http()
        .get(url)
        .header(
            "X-Prometheus-Scrape-Timeout-Seconds",
            timeout_seconds.to_string(),
        )
        .timeout(Duration::from_secs(timeout_seconds + 5))
        .send()
        .expect("GET /metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().expect("body");
    (text, started.elapsed())
}

/// Series of `family` (`name{`) that carry the label pair `pair`
/// (`schema="big"`), wherever the exporter puts it among their labels.
fn count(text: &str, family: &str, pair: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(family))
        .filter(|l| {
            l.match_indices(pair)
                .any(|(at, _)| matches!(l.as_bytes().get(at.wrapping_sub(1)), Some(b'{' | b',')))
        })
        .count()
}

#[test]
fn ten_thousand_tables() {
    let begun = Instant::now();
    let db = mariadb(&[
        "--userstat=ON",
        // A test server: no need to wait for the redo log on each DDL.
        "--innodb-flush-log-at-trx-commit=0",
        // 10,000 .ibd files more to create, close at shutdown and delete
        // cost this test a minute on a busy machine; the pass opens the
        // tables all the same.
        "--innodb-file-per-table=OFF",
    ]);
    println!("server up in {:?}", begun.elapsed());
    let started = Instant::now();
    db.sql("CREATE DATABASE big");
    let per_client = TABLES.div_ceil(CLIENTS);
    let children: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mut sql = String::from("USE big;\n");
            for i in (c * per_client)..((c + 1) * per_client).min(TABLES) {
                sql.push_str(&format!(
                    "CREATE TABLE t{i} (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT);\n"
                ));
            }
            client(&db.socket(), sql)
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("mariadb");
        assert!(
            out.status.success(),
            "CREATE TABLE failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    db.sql(
        "INSERT INTO big.t0 (v) VALUES (1), (2), (3); SELECT * FROM big.t0; \
         INSERT INTO big.t9999 (v) VALUES (7); ANALYZE TABLE big.t0;",
    );
    println!("created {TABLES} tables in {:?}", started.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), db.port());
    // Upstream's default of 2 connections.
    let server = exporter(&[
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--collect.info_schema.tables",
        "--collect.auto_increment.columns",
        "--collect.info_schema.innodb_tablespaces",
        "--collect.info_schema.tablestats",
        "--collect.info_schema.schemastats",
        "--collect.perf_schema.tableiowaits",
        "--collect.perf_schema.indexiowaits",
        "--collect.perf_schema.tablelocks",
    ]);
    let url = server.url("/metrics");

    const TIMEOUT: u64 = 60;
    let (text, took) = scrape(&url, TIMEOUT);
    println!("full scrape: {took:?}, {} bytes", text.len());
    assert!(
        took < Duration::from_secs(TIMEOUT),
        "full scrape took {took:?}"
    );

    for scraper in [
        "info_schema.tables",
        "auto_increment.columns",
        "info_schema.innodb_tablespaces",
        "info_schema.tablestats",
        "info_schema.schemastats",
        "perf_schema.tableiowaits",
        "perf_schema.indexiowaits",
        "perf_schema.tablelocks",
    ] {
        assert_eq!(
            value(
                &text,
                &format!(r#"mysql_exporter_collector_success{{collector="collect.{scraper}"}}"#)
            ),
            Some(1.0),
            "{scraper} failed"
        );
    }
    // Every table, once per family.
    assert_eq!(
        count(&text, "mysql_info_schema_table_rows{", r#"schema="big""#),
        TABLES
    );
    assert_eq!(
        count(&text, "mysql_info_schema_table_version{", r#"schema="big""#),
        TABLES
    );
    assert_eq!(
        count(
            &text,
            "mysql_info_schema_auto_increment_column{",
            r#"schema="big""#
        ),
        TABLES
    );
    assert_eq!(
        count(
            &text,
            "mysql_info_schema_auto_increment_column_max{",
            r#"schema="big""#
        ),
        TABLES
    );
    // Values as the server has them.
    assert_eq!(
        value(
            &text,
            r#"mysql_info_schema_auto_increment_column{schema="big",table="t0",column="id"}"#
        ),
        Some(4.0)
    );
    assert_eq!(
        value(
            &text,
            r#"mysql_info_schema_auto_increment_column{schema="big",table="t9999",column="id"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &text,
            r#"mysql_info_schema_auto_increment_column_max{schema="big",table="t5000",column="id"}"#
        ),
        Some(4294967295.0)
    );
    assert_eq!(
        value(
            &text,
            r#"mysql_info_schema_table_rows{schema="big",table="t0"}"#
        ),
        Some(3.0)
    );
    assert!(
        value(
            &text,
            r#"mysql_info_schema_table_size{schema="big",table="t0",component="data_length"}"#
        )
        .is_some_and(|v| v > 0.0)
    );
    // The tables share the system tablespace; the scraper still lists the
    // server's own ones.
    assert!(
        text.lines()
            .any(|l| l.starts_with("mysql_info_schema_innodb_tablespace_space_info{"))
    );
    // The tables read above show in the statistics.
    assert!(
        value(
            &text,
            r#"mysql_info_schema_table_statistics_rows_read_total{schema="big",table="t0"}"#
        )
        .is_some_and(|v| v >= 3.0)
    );
    assert!(
        value(
            &text,
            r#"mysql_perf_schema_table_io_waits_total{schema="big",name="t0",operation="insert"}"#
        )
        .is_some_and(|v| v >= 3.0)
    );

    // The next scrape splits the slow tables pass over both connections,
    // and is as complete. While it works, a scrape of cheap scrapers
    // answers quickly: they do not queue behind the pass.
    let full = {
        let url = url.clone();
        std::thread::spawn(move || scrape(&url, TIMEOUT))
    };
    // The cheap scrape goes out while the pass runs a query on the server
    // (the pass over 10,000 tables takes seconds).
    let pass_running = testkit::wait_until(Duration::from_secs(30), || {
        full.is_finished()
            || db
                .sql(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
                     WHERE COMMAND = 'Query' AND ID <> CONNECTION_ID()",
                )
                .trim()
                != "0"
    });
    assert!(
        pass_running,
        "the second full scrape never queried the server"
    );
    let (cheap, cheap_took) = scrape(
        &format!("{url}?collect[]=global_status&collect[]=info_schema.schemastats"),
        TIMEOUT,
    );
    let (again, took) = full.join().expect("full scrape");
    println!("second full scrape: {took:?}; a cheap one meanwhile: {cheap_took:?}");
    assert_eq!(value(&cheap, "mysql_up"), Some(1.0));
    assert!(
        value(
            &cheap,
            r#"mysql_info_schema_schema_statistics_rows_read_total{schema="big"}"#
        )
        .is_some_and(|v| v >= 3.0)
    );
    assert_eq!(
        count(&again, "mysql_info_schema_table_rows{", r#"schema="big""#),
        TABLES
    );
    assert_eq!(
        count(
            &again,
            "mysql_info_schema_auto_increment_column{",
            r#"schema="big""#
        ),
        TABLES
    );
    assert_eq!(
        value(
            &again,
            r#"mysql_info_schema_auto_increment_column{schema="big",table="t0",column="id"}"#
        ),
        Some(4.0)
    );
    println!("test done in {:?}", begun.elapsed());
    drop(server);
    println!("exporter stopped at {:?}", begun.elapsed());
    // A throwaway server: stop without flushing 10,000 tables' pages.
    db.sql("SET GLOBAL innodb_fast_shutdown = 2");
    drop(db);
    println!("server stopped at {:?}", begun.elapsed());
}
