//! The default scrapers and every scraper against a real mariadbd, side by
//! side with Debian's mysqld_exporter on the same server.

mod common;

use common::{Upstream, coverage, exporter, get, my_cnf, value};

#[test]
fn default_scrapers_match_upstream() {
    let db = testkit::MariaDb::start();
    let dir = tempfile::tempdir().unwrap();
    let cnf = my_cnf(
        dir.path(),
        &format!("[client]\nuser=root\nhost=127.0.0.1\nport={}\n", db.port()),
    );
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let (status, ours) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(value(&ours, "mysql_up"), Some(1.0));
    assert!(value(&ours, "mysql_global_status_uptime").is_some_and(|v| v > 0.0));
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
    let (pct, missing) = coverage(&theirs, &ours);
    println!("default collectors: coverage {pct:.1}% missing {missing:?}");
    assert!(pct >= 98.0, "coverage {pct:.1}% < 98%, missing {missing:?}");
}
