//! Multi-target: `/probe?target=host:port&auth_module=client.x` with the
//! credentials of a my.cnf section, against two servers.

mod common;

use common::{exporter, get, mariadb, my_cnf, value};

#[test]
fn probe_two_servers_with_two_auth_modules() {
    let a = mariadb(&[]);
    let b = mariadb(&[]);
    b.sql("CREATE USER 'limited'@'127.0.0.1' IDENTIFIED BY 's3cret'; GRANT PROCESS ON *.* TO 'limited'@'127.0.0.1';");
    let dir = tempfile::tempdir().unwrap();
    // [client] points at a server that is not there: /metrics is down,
    // probes are not.
    let cnf = my_cnf(
        dir.path(),
        &format!(
            "[client]\nuser=root\nhost=127.0.0.1\nport={}\n\n[client.limited]\nuser=limited\npassword=s3cret\n\n[client.wrongpw]\nuser=limited\npassword=nope\n",
            testkit::free_port()
        ),
    );
    let server = exporter(&["--config.my-cnf", cnf.to_str().unwrap()]);
    let (_, text) = get(&server.url("/metrics"));
    assert_eq!(value(&text, "mysql_up"), Some(0.0));

    // Default auth module ([client], root) against A.
    let (status, text) = get(&server.url(&format!("/probe?target={}", a.addr())));
    assert_eq!(status, 200);
    assert_eq!(value(&text, "mysql_up"), Some(1.0));
    assert_eq!(
        value(&text, "mysql_global_variables_port"),
        Some(f64::from(a.port()))
    );
    assert!(
        !text.contains("process_cpu_seconds_total"),
        "probes carry only the target's metrics"
    );

    // [client.limited] against B.
    let (status, text) = get(&server.url(&format!(
        "/probe?target={}&auth_module=client.limited",
        b.addr()
    )));
    assert_eq!(status, 200);
    assert_eq!(value(&text, "mysql_up"), Some(1.0));
    assert_eq!(
        value(&text, "mysql_global_variables_port"),
        Some(f64::from(b.port()))
    );

    // The limited user does not exist on A; a wrong password on B.
    let (_, text) = get(&server.url(&format!(
        "/probe?target={}&auth_module=client.limited",
        a.addr()
    )));
    assert_eq!(value(&text, "mysql_up"), Some(0.0));
    let (_, text) = get(&server.url(&format!(
        "/probe?target={}&auth_module=client.wrongpw",
        b.addr()
    )));
    assert_eq!(value(&text, "mysql_up"), Some(0.0));

    // collect[] narrows the scrapers.
    let (_, text) = get(&server.url(&format!(
        "/probe?target={}&collect[]=global_variables",
        a.addr()
    )));
    assert!(value(&text, "mysql_global_variables_port").is_some());
    assert!(value(&text, "mysql_global_status_uptime").is_none());

    // Requests upstream answers 400.
    let (status, body) = get(&server.url(&format!(
        "/probe?target={}&auth_module=client.nope",
        a.addr()
    )));
    assert_eq!(status, 400);
    assert!(body.contains("client.nope"), "{body}");
    let (status, _) = get(&server.url("/probe"));
    assert_eq!(status, 400);
    let (status, _) = get(&server.url("/probe?target=no-port-here"));
    assert_eq!(status, 400);
}
