//! Each guard starts a server that really answers, and stops it on drop.

use std::time::Duration;

#[test]
fn redis_answers_restarts_and_stops() {
    let mut redis = testkit::RedisServer::start();
    assert_eq!(redis.cli(&["PING"]).trim(), "PONG");
    redis.cli(&["SET", "k", "v"]);
    assert!(redis.socket().exists());
    redis.restart();
    assert_eq!(redis.cli(&["PING"]).trim(), "PONG");
    let pid = redis.pid().expect("running");
    drop(redis);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "redis-server still running after drop"
    );
}

#[test]
fn mariadb_answers_sql() {
    let db = testkit::MariaDb::start();
    assert_eq!(db.sql("SELECT 1+1").trim(), "2");
    assert!(db.sql("SELECT VERSION()").contains("MariaDB"));
}

#[test]
fn alertmanager_takes_alerts() {
    let am = testkit::Alertmanager::start("route:\n  receiver: none\nreceivers:\n  - name: none\n");
    am.post_alerts(
        &serde_json::json!([{ "labels": { "alertname": "TestAlert", "severity": "warning" } }]),
    );
    let found = testkit::wait_until(Duration::from_secs(10), || {
        am.alerts()
            .iter()
            .any(|a| a["labels"]["alertname"] == "TestAlert")
    });
    assert!(found, "alert not listed: {}", am.log_tail());
}

#[test]
fn a_missing_binary_names_its_package() {
    let err = std::panic::catch_unwind(|| {
        testkit::require_binary("no-such-binary-ferroscope", "some-package")
    })
    .expect_err("a missing binary must fail the test");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("apt-get install -y some-package"),
        "{message}"
    );
}
