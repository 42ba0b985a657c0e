//! The tcp prober (banner, query_response, TLS), reload and /config.

mod common;

use common::*;

const CONFIG: &str = r#"
modules:
  tcp_connect:
    prober: tcp
  ssh_banner:
    prober: tcp
    tcp:
      query_response:
        - expect: "^SSH-2.0-([^ ]+)"
        - send: "PING"
        - expect: "^PONG$"
  wrong_banner:
    prober: tcp
    timeout: 1s
    tcp:
      query_response:
        - expect: "^220 smtp"
  http_2xx:
    prober: http
    http:
      basic_auth:
        username: u
        password: very-secret-password
"#;

#[test]
fn tcp_banner_query_response_and_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), CONFIG), &[]);
    let banner = banner_server();
    let m = ours.probe(&banner.to_string(), "tcp_connect");
    assert_eq!((m["probe_success"], m["probe_ip_protocol"]), (1.0, 4.0));
    let m = ours.probe(&banner.to_string(), "ssh_banner");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_regex"]),
        (1.0, 0.0)
    );
    // the server closes without the expected line: a regex failure
    let closing = greet_and_close_server(b"220 other.example ESMTP\r\n");
    let m = ours.probe(&closing.to_string(), "wrong_banner");
    assert_eq!(m["probe_failed_due_to_regex"], 1.0);
    assert_eq!(m["probe_success"], 0.0);
    // the server stays silent: the deadline ends it (a read error, as upstream)
    let m = ours.probe(&banner.to_string(), "wrong_banner");
    assert_eq!(
        (m["probe_success"], m["probe_failed_due_to_regex"]),
        (0.0, 0.0)
    );
    let m = ours.probe(&format!("127.0.0.1:{}", closed_port()), "tcp_connect");
    assert_eq!(m["probe_success"], 0.0);
    let (status, _) = get(&probe_url(&ours.server.url(""), "no-port", "tcp_connect"));
    assert_eq!(status, 200);
}

#[test]
fn tcp_tls_reports_certificate() {
    let good = cert(2020, 2100);
    let web = HttpServer::start_tls(&good);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &good.cert_pem).expect("ca");
    let cfg = write_config(
        dir.path(),
        &format!(
            "modules:\n  tls:\n    prober: tcp\n    tcp:\n      tls: true\n      tls_config:\n        ca_file: {}\n",
            ca.display()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let text = ours.probe_text(&web.addr.to_string(), "tls");
    let m = parse(&text);
    assert_eq!(m["probe_success"], 1.0, "{text}");
    assert_eq!(m["probe_ssl_earliest_cert_expiry"], good.not_after as f64);
    assert!(
        text.contains("probe_tls_version_info{version=\"TLS 1.3\"} 1"),
        "{text}"
    );
}

#[test]
fn reload_keeps_old_config_on_error_and_config_hides_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_config(dir.path(), CONFIG);
    let ours = start_ours(&path, &[]);
    let (_, cfg) = get(&ours.server.url("/config"));
    assert!(
        cfg.contains("ssh_banner") && cfg.contains("<secret>"),
        "{cfg}"
    );
    assert!(!cfg.contains("very-secret-password"), "{cfg}");

    // GET is refused as upstream
    let (status, _) = get(&ours.server.url("/-/reload"));
    assert_eq!(status, 405);

    let post = |url: String| {
        let r = testkit::http().post(url).send().expect("post");
        (r.status().as_u16(), r.text().unwrap_or_default())
    };
    std::fs::write(&path, format!("{CONFIG}  added:\n    prober: tcp\n")).expect("write");
    assert_eq!(post(ours.server.url("/-/reload")).0, 200);
    let banner = banner_server();
    assert_eq!(
        ours.probe(&banner.to_string(), "added")["probe_success"],
        1.0
    );

    std::fs::write(
        &path,
        "modules:\n  broken:\n    prober: tcp\n    nonsense_key: 1\n",
    )
    .expect("write");
    let (status, body) = post(ours.server.url("/-/reload"));
    assert_eq!(status, 500);
    assert!(body.contains("failed to reload config"), "{body}");
    assert_eq!(
        ours.probe(&banner.to_string(), "added")["probe_success"],
        1.0,
        "old config kept"
    );
    let m = parse(&get(&ours.server.url("/metrics")).1);
    assert_eq!(m["blackbox_exporter_config_last_reload_successful"], 0.0);
    assert!(
        get(&ours.server.url("/metrics"))
            .1
            .contains("blackbox_exporter_build_info")
    );

    // SIGHUP reloads too, once the file is good again
    std::fs::write(&path, format!("{CONFIG}  viahup:\n    prober: tcp\n")).expect("write");
    let pid = std::process::id();
    let ok = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(pid.to_string())
        .status()
        .expect("kill")
        .success();
    assert!(ok);
    assert!(testkit::wait_until(
        std::time::Duration::from_secs(5),
        || { ours.state.current().modules.contains_key("viahup") }
    ));
    let m = parse(&get(&ours.server.url("/metrics")).1);
    assert_eq!(m["blackbox_exporter_config_last_reload_successful"], 1.0);

    let (status, body) = get(&probe_url(&ours.server.url(""), "x", "nope"));
    assert_eq!(status, 400);
    assert!(body.contains("Unknown module"));
    let m = parse(&get(&ours.server.url("/metrics")).1);
    assert_eq!(m["blackbox_module_unknown_total"], 1.0);
}

#[test]
fn config_check_flag_validates_and_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write_config(dir.path(), CONFIG);
    let bin = env!("CARGO_BIN_EXE_blackbox-exporter");
    let st = std::process::Command::new(bin)
        .arg("--config.check")
        .arg("--config.file")
        .arg(&good)
        .status()
        .expect("run");
    assert!(st.success());
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "modules:\n  a:\n    prober: http\n    http:\n      valid_status_codes: nope\n",
    )
    .expect("write");
    let st = std::process::Command::new(bin)
        .arg("--config.check")
        .arg("--config.file")
        .arg(&bad)
        .status()
        .expect("run");
    assert!(!st.success());
}
