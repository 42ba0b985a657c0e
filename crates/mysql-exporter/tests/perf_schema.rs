//! `perf_schema.eventsstatements` on MariaDB with performance_schema on:
//! `--collect.perf_schema.eventsstatements.exclude_schemas` and the MySQL
//! 8-only columns (SUM_CPU_TIME, QUANTILE_*) MariaDB lacks.

mod common;

use common::{exporter, get, mariadb, root_cnf, value};

#[test]
fn events_statements_exclude_schemas_and_mariadb_columns() {
    let db = mariadb(&["--performance-schema=ON"]);
    db.sql(
        "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2); \
         CREATE DATABASE scratch; CREATE TABLE scratch.s (id INT PRIMARY KEY); INSERT INTO scratch.s VALUES (1);",
    );
    db.sql("USE app; SELECT * FROM t WHERE id = 1; SELECT * FROM t WHERE id = 2;");
    db.sql("USE scratch; SELECT * FROM s WHERE id = 1;");
    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), db.port());
    let server = exporter(&[
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--collect.perf_schema.eventsstatements",
        "--collect.perf_schema.eventsstatements.exclude_schemas=scratch",
        "--collect.perf_schema.eventsstatements.exclude_schemas=nothing_here",
    ]);
    // Twice: the second scrape goes straight to the query MariaDB takes.
    for round in 0..2 {
        let (status, text) = get(&server.url("/metrics"));
        assert_eq!(status, 200);
        assert_eq!(
            value(
                &text,
                r#"mysql_exporter_collector_success{collector="collect.perf_schema.eventsstatements"}"#
            ),
            Some(1.0),
            "round {round}: the scraper must not fail on MariaDB"
        );
        let series = |family: &str| -> Vec<&str> {
            text.lines()
                .filter(|l| l.starts_with(&format!("{family}{{")))
                .collect()
        };
        let totals = series("mysql_perf_schema_events_statements_total");
        assert!(
            totals.iter().any(|l| l.contains(r#"schema="app""#)),
            "round {round}: no app digest in {totals:?}"
        );
        assert!(
            !text.contains(r#"schema="scratch""#),
            "round {round}: an excluded schema was exported"
        );
        for family in [
            "mysql_perf_schema_events_statements_seconds_total",
            "mysql_perf_schema_events_statements_lock_time_seconds_total",
            "mysql_perf_schema_events_statements_rows_sent_total",
        ] {
            assert!(
                series(family).iter().any(|l| l.contains(r#"schema="app""#)),
                "round {round}: {family} missing"
            );
        }
        // The summary: real _count and _sum; as upstream, MariaDB's missing
        // quantiles and CPU time are 0.
        assert!(text.contains("# TYPE mysql_perf_schema_events_statements_latency summary"));
        let count_line = series("mysql_perf_schema_events_statements_latency_count")
            .into_iter()
            .find(|l| l.contains(r#"schema="app""#) && l.contains("WHERE"))
            .expect("latency count of the app SELECT");
        let count: f64 = count_line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(count >= 2.0, "{count_line}");
        assert!(!series("mysql_perf_schema_events_statements_latency_sum").is_empty());
        for family in [
            "mysql_perf_schema_events_statements_latency",
            "mysql_perf_schema_events_statements_cpu_time_seconds_total",
        ] {
            let app = series(family)
                .into_iter()
                .filter(|l| l.contains(r#"schema="app""#))
                .collect::<Vec<_>>();
            assert!(!app.is_empty(), "round {round}: {family} missing");
            assert!(app.iter().all(|l| l.ends_with(" 0")), "{app:?}");
        }
    }
}
