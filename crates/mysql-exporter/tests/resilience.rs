//! A server that is down, restarts, refuses the credentials, lacks
//! privileges or is slow: the scrape still answers, with `mysql_up` and
//! the scrapers' success telling what happened.

mod common;

use std::time::{Duration, Instant};

use common::{exporter, get, mariadb, my_cnf, value};

fn cnf_for(dir: &std::path::Path, port: u16, extra: &str) -> String {
    my_cnf(
        dir,
        &format!("[client]\nuser=root\nhost=127.0.0.1\nport={port}\n{extra}"),
    )
    .to_string_lossy()
    .into_owned()
}

#[test]
fn server_down_then_restarted() {
    let mut db = mariadb(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cnf = cnf_for(dir.path(), db.port(), "");
    let server = exporter(&["--config.my-cnf", &cnf]);
    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(value(&text, "mysql_up"), Some(1.0));

    db.stop();
    let started = Instant::now();
    let (status, text) = get(&server.url("/metrics"));
    assert_eq!(status, 200, "a down server never fails the scrape");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(value(&text, "mysql_up"), Some(0.0));
    assert!(value(&text, "mysql_global_status_uptime").is_none());
    assert!(value(&text, "mysql_exporter_scrapes_total").is_some());

    db.restart();
    // Pooled connections to the old server fail once at most.
    let recovered = testkit::wait_until(Duration::from_secs(20), || {
        let (_, text) = get(&server.url("/metrics"));
        value(&text, "mysql_up") == Some(1.0)
            && value(&text, "mysql_global_status_uptime").is_some()
    });
    assert!(recovered, "the exporter recovers once the server is back");
}

#[test]
fn no_server_yet_and_bad_credentials() {
    let db = mariadb(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: up 0, quickly.
    let nothing = testkit::free_port();
    let cnf = cnf_for(dir.path(), nothing, "");
    let server = exporter(&["--config.my-cnf", &cnf]);
    let (status, text) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(value(&text, "mysql_up"), Some(0.0));
    drop(server);

    db.sql("CREATE USER 'exp'@'127.0.0.1' IDENTIFIED BY 'right';");
    let sub = tempfile::tempdir().unwrap();
    let cnf = my_cnf(
        sub.path(),
        &format!(
            "[client]\nuser=exp\npassword=wrong\nhost=127.0.0.1\nport={}\n",
            db.port()
        ),
    );
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let (status, text) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(
        value(&text, "mysql_up"),
        Some(0.0),
        "refused credentials are mysql_up 0"
    );
}

#[test]
fn minimal_grants_skip_what_they_cannot_read() {
    let db = mariadb(&[]);
    // What upstream's README asks for, minus REPLICATION CLIENT and SELECT.
    db.sql("CREATE USER 'exp'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT PROCESS ON *.* TO 'exp'@'127.0.0.1';");
    let dir = tempfile::tempdir().unwrap();
    let cnf = my_cnf(
        dir.path(),
        &format!(
            "[client]\nuser=exp\npassword=pw\nhost=127.0.0.1\nport={}\n",
            db.port()
        ),
    );
    let server = exporter(&[
        "--config.my-cnf",
        cnf.to_str().unwrap(),
        "--collect.mysql.user",
        "--collect.heartbeat",
        "--collect.info_schema.processlist",
    ]);
    for _ in 0..2 {
        let (status, text) = get(&server.url("/metrics"));
        assert_eq!(status, 200);
        assert_eq!(value(&text, "mysql_up"), Some(1.0));
        assert!(value(&text, "mysql_global_status_uptime").is_some());
        assert!(value(&text, "mysql_global_variables_max_connections").is_some());
        assert_eq!(
            value(
                &text,
                r#"mysql_exporter_collector_success{collector="collect.global_status"}"#
            ),
            Some(1.0)
        );
        // No SELECT on mysql.* nor on the heartbeat table: skipped.
        assert_eq!(
            value(
                &text,
                r#"mysql_exporter_collector_success{collector="collect.mysql.user"}"#
            ),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                r#"mysql_exporter_collector_success{collector="collect.heartbeat"}"#
            ),
            Some(0.0)
        );
        assert_eq!(value(&text, "mysql_exporter_last_scrape_error"), Some(1.0));
    }
    let (_, text) = get(&server.url("/metrics"));
    assert!(
        value(
            &text,
            r#"mysql_exporter_scrape_errors_total{collector="collect.mysql.user"}"#
        )
        .is_some_and(|v| v >= 2.0)
    );
}

#[test]
fn a_slow_scraper_costs_only_its_own_families() {
    let db = mariadb(&[]);
    db.sql(
        "CREATE DATABASE heartbeat; CREATE TABLE heartbeat.heartbeat (ts VARCHAR(26) NOT NULL, server_id INT UNSIGNED NOT NULL PRIMARY KEY); \
         INSERT INTO heartbeat.heartbeat VALUES (NOW(6), 1);",
    );
    // Another session holds a write lock on the heartbeat table.
    let client = testkit::require("mariadb");
    let mut locker = std::process::Command::new(client)
        .args(["--no-defaults", "-uroot"])
        .arg(format!("--socket={}", db.socket().display()))
        .arg("-e")
        .arg("LOCK TABLES heartbeat.heartbeat WRITE; SELECT SLEEP(60);")
        .spawn()
        .expect("mariadb client");
    // The lock is held once that session sleeps.
    let locked = testkit::wait_until(Duration::from_secs(30), || {
        db.sql(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE INFO = 'SELECT SLEEP(60)'",
        )
        .trim()
            == "1"
    });
    assert!(locked, "the locking session never took the lock");
    let dir = tempfile::tempdir().unwrap();
    let cnf = cnf_for(dir.path(), db.port(), "");
    let server = exporter(&[
        "--config.my-cnf",
        &cnf,
        "--collect.heartbeat",
        "--exporter.lock_wait_timeout=30",
    ]);
    // Several scrapes in a row: the abandoned queries must not take the
    // pool's connections away from the next scrapes.
    for round in 0..3 {
        let started = Instant::now();
        let resp = testkit::http()
            .get(server.url("/metrics"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", "2")
            .send()
            .expect("scrape");
        let elapsed = started.elapsed();
        let text = resp.text().unwrap_or_default();
        assert!(
            elapsed < Duration::from_secs(3),
            "scrape {round} took {elapsed:?}"
        );
        assert_eq!(value(&text, "mysql_up"), Some(1.0), "scrape {round}");
        assert!(
            value(&text, "mysql_global_status_uptime").is_some(),
            "scrape {round}"
        );
        assert!(!text.contains("mysql_heartbeat_stored_timestamp_seconds{"));
        assert_eq!(
            value(
                &text,
                r#"mysql_exporter_collector_success{collector="collect.heartbeat"}"#
            ),
            Some(0.0)
        );
    }
    let _ = locker.kill();
    let _ = locker.wait();
}

/// A scrape of `server` that Prometheus gives two seconds.
fn scrape_2s(server: &exporter_kit::testing::TestServer) -> String {
    let resp = testkit::http()
        .get(server.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "2")
        .send()
        .expect("the scrape answers");
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().expect("body")
}

#[test]
fn a_frozen_server_is_down_within_the_scrape_deadline() {
    let db = mariadb(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cnf = cnf_for(dir.path(), db.port(), "");
    let server = exporter(&["--config.my-cnf", &cnf]);
    // pooled connections exist when it freezes
    assert_eq!(value(&scrape_2s(&server), "mysql_up"), Some(1.0));

    let frozen = db.freeze();
    // concurrent scrapes, each with its own answer: every one is down
    let texts: Vec<String> = std::thread::scope(|s| {
        let scrapes: Vec<_> = (0..3).map(|_| s.spawn(|| scrape_2s(&server))).collect();
        scrapes.into_iter().map(|h| h.join().unwrap()).collect()
    });
    frozen.thaw();
    for text in &texts {
        assert_eq!(value(text, "mysql_up"), Some(0.0), "{text}");
        // as upstream: nothing scraped from a server that did not answer
        assert!(
            value(text, "mysql_global_status_uptime").is_none(),
            "{text}"
        );
    }

    let recovered = testkit::wait_until(Duration::from_secs(20), || {
        value(&scrape_2s(&server), "mysql_up") == Some(1.0)
    });
    assert!(recovered, "up again once the server runs");
}
