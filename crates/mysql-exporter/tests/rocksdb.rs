//! `info_schema.rocksdb_perf_context` against a mariadbd with MyRocks
//! loaded (Debian package mariadb-plugin-rocksdb).

mod common;

use common::{exporter, get, mariadb, root_cnf, value};

#[test]
fn rocksdb_perf_context_by_table() {
    testkit::require("mariadbd");
    let plugin = std::path::Path::new("/usr/lib/mysql/plugin/ha_rocksdb.so");
    assert!(
        plugin.exists(),
        "{} missing: install the Debian package mariadb-plugin-rocksdb",
        plugin.display()
    );
    let db = mariadb(&[
        "--plugin-load-add=ha_rocksdb",
        "--rocksdb-perf-context-level=2",
    ]);
    db.sql(
        "CREATE DATABASE app; CREATE TABLE app.kv (id INT PRIMARY KEY, v INT) ENGINE=ROCKSDB; \
         INSERT INTO app.kv VALUES (1, 1), (2, 2), (3, 3); \
         SELECT * FROM app.kv WHERE id = 2; SELECT COUNT(*) FROM app.kv;",
    );
    let dir = tempfile::tempdir().unwrap();
    let cnf = root_cnf(dir.path(), db.port());
    let server = exporter(&[
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--collect.info_schema.rocksdb_perf_context",
    ]);
    let (status, text) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(
        value(
            &text,
            r#"mysql_exporter_collector_success{collector="collect.info_schema.rocksdb_perf_context"}"#
        ),
        Some(1.0)
    );
    assert!(
        text.contains("# TYPE mysql_info_schema_rocksdb_perf_context_block_read_count counter")
    );
    let labels = r#"{schema="app",table="kv",part=""}"#;
    for family in [
        "mysql_info_schema_rocksdb_perf_context_user_key_comparison_count",
        "mysql_info_schema_rocksdb_perf_context_get_from_memtable_count",
        "mysql_info_schema_rocksdb_perf_context_io_bytes_read",
    ] {
        assert!(
            value(&text, &format!("{family}{labels}")).is_some(),
            "{family}{labels} missing"
        );
    }
    // The point lookup compared keys in the memtable or the SST files.
    let compared = value(
        &text,
        &format!("mysql_info_schema_rocksdb_perf_context_user_key_comparison_count{labels}"),
    )
    .unwrap_or(0.0);
    assert!(compared > 0.0, "no key comparisons counted: {compared}");
}
