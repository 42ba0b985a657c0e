//! `/-/reload` re-reads the my.cnf as mysqld_exporter 0.20 does: /metrics
//! and `/probe` auth modules use the new sections; a broken file keeps
//! the old config and sets `mysqld_exporter_config_last_reload_successful`
//! to 0 (200 with an empty body; `ok` on success).

mod common;

use common::{exporter, get, mariadb, my_cnf, value};

fn reload(url: &str, post: bool) -> (u16, String) {
    let client = testkit::http();
    let req = if post {
        client.post(url)
    } else {
        client.get(url)
    };
    let resp = req.send().expect("reload request");
    let status = resp.status().as_u16();
    (status, resp.text().unwrap_or_default())
}

#[test]
fn reload_applies_new_sections_and_keeps_old_on_error() {
    let db = mariadb(&[]);
    db.sql(
        "CREATE USER 'one'@'127.0.0.1' IDENTIFIED BY 'pw1'; GRANT PROCESS ON *.* TO 'one'@'127.0.0.1'; \
         CREATE USER 'two'@'127.0.0.1' IDENTIFIED BY 'pw2'; GRANT PROCESS ON *.* TO 'two'@'127.0.0.1';",
    );
    let dir = tempfile::tempdir().unwrap();
    let cnf = my_cnf(
        dir.path(),
        &format!(
            "[client]\nuser=one\npassword=pw1\nhost=127.0.0.1\nport={}\n\n[client.a]\nuser=one\npassword=pw1\n",
            db.port()
        ),
    );
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let probe = |module: &str| {
        get(&server.url(&format!("/probe?target={}&auth_module={module}", db.addr())))
    };

    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(value(&text, "mysql_up"), Some(1.0));
    assert_eq!(
        value(&text, "mysqld_exporter_config_last_reload_successful"),
        Some(1.0)
    );
    let first_ts = value(
        &text,
        "mysqld_exporter_config_last_reload_success_timestamp_seconds",
    )
    .expect("reload timestamp at startup");
    assert!(first_ts > 1.6e9, "{first_ts}");
    assert_eq!(value(&probe("client.a").1, "mysql_up"), Some(1.0));
    assert_eq!(probe("client.b").0, 400, "no [client.b] yet");

    // New file: [client] at a port nobody listens on, [client.a] with a
    // wrong password, a new [client.b].
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(
        &cnf,
        format!(
            "[client]\nuser=one\npassword=pw1\nhost=127.0.0.1\nport={}\n\n[client.a]\nuser=one\npassword=wrong\n\n[client.b]\nuser=two\npassword=pw2\n",
            testkit::free_port()
        ),
    )
    .unwrap();
    let (status, body) = reload(&server.url("/-/reload"), true);
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, text) = probe("client.b");
    assert_eq!(status, 200);
    assert_eq!(value(&text, "mysql_up"), Some(1.0), "new auth module works");
    assert_eq!(
        value(&text, "mysql_global_variables_port"),
        Some(f64::from(db.port()))
    );
    assert_eq!(
        value(&probe("client.a").1, "mysql_up"),
        Some(0.0),
        "the changed password is used, not the cached connection"
    );
    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(value(&text, "mysql_up"), Some(0.0), "[client] moved away");
    assert_eq!(
        value(&text, "mysqld_exporter_config_last_reload_successful"),
        Some(1.0)
    );
    let second_ts = value(
        &text,
        "mysqld_exporter_config_last_reload_success_timestamp_seconds",
    )
    .unwrap();
    assert!(second_ts > first_ts, "{second_ts} > {first_ts}");

    // A file without any user: kept the old config, reported as failed.
    std::fs::write(&cnf, "[client]\nhost=127.0.0.1\n").unwrap();
    let (status, body) = reload(&server.url("/-/reload"), false);
    assert_eq!(
        (status, body.as_str()),
        (200, ""),
        "any method, 200, empty body"
    );
    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(
        value(&text, "mysqld_exporter_config_last_reload_successful"),
        Some(0.0)
    );
    assert_eq!(
        value(
            &text,
            "mysqld_exporter_config_last_reload_success_timestamp_seconds"
        ),
        Some(second_ts)
    );
    assert_eq!(
        value(&probe("client.b").1, "mysql_up"),
        Some(1.0),
        "old config kept"
    );

    // Fixed again: [client] back on the server.
    my_cnf(
        dir.path(),
        &format!(
            "[client]\nuser=two\npassword=pw2\nhost=127.0.0.1\nport={}\n",
            db.port()
        ),
    );
    reload(&server.url("/-/reload"), true);
    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(
        value(&text, "mysqld_exporter_config_last_reload_successful"),
        Some(1.0)
    );
    assert_eq!(value(&text, "mysql_up"), Some(1.0));
    assert_eq!(probe("client.b").0, 400, "[client.b] is gone");
}
