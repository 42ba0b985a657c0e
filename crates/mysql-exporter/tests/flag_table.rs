//! The README's `## Upstream flags` table is true; the connection forms
//! it describes (every `DATA_SOURCE_NAME` form, my.cnf's TLS keys, a
//! missing my.cnf, the systemd unit's credential) work against a real
//! mariadbd, run as the binary.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::{FlagRow, FlagWalk, Process, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_mysql-exporter");

#[test]
fn every_upstream_flag_works_or_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_path_buf();
    std::fs::write(d.join("web.yml"), "").expect("web.yml");
    let my_cnf = common::my_cnf(&d, "[client]\nuser=exporter\nhost=127.0.0.1\nport=1\n");
    let arguments = |row: &FlagRow| -> Option<Vec<String>> {
        match row.name.as_str() {
            // Every run gets these (the listen address, the my.cnf).
            "web.listen-address" | "config.my-cnf" => Some(vec![]),
            "web.config.file" => Some(vec![format!(
                "--web.config.file={}",
                d.join("web.yml").display()
            )]),
            _ => None,
        }
    };
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    testkit::check_flag_table(
        &readme,
        &FlagWalk {
            binary: Path::new(BINARY),
            base_args: vec![format!("--config.my-cnf={}", my_cnf.display())],
            env: vec![],
            listen_flag: "--web.listen-address",
            arguments: &arguments,
            log_dir: &d,
        },
    );
}

/// The binary with `args` and `env` on a free port, ready.
fn start(args: &[String], env: &[(&str, &str)], log: &Path) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .env_remove("DATA_SOURCE_NAME")
        .envs(env.iter().copied());
    let mut process = Process::spawn("mysql-exporter", command, log);
    process.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (process, port)
}

fn mysql_up(port: u16) -> Option<f64> {
    let (_, body) = common::get(&format!("http://127.0.0.1:{port}/metrics"));
    common::value(&body, "mysql_up")
}

#[test]
fn every_data_source_name_form_reaches_the_server() {
    let db = common::mariadb(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let none = format!("--config.my-cnf={}", dir.path().join("none.cnf").display());
    let port = db.port();
    let socket = db.socket();
    for dsn in [
        format!("root@(127.0.0.1:{port})/"),
        format!("root:@tcp(127.0.0.1:{port})/mysql?parseTime=true&charset=utf8mb4"),
        format!("root@unix({})/", socket.display()),
        format!("root@tcp(127.0.0.1:{port})/?timeout=5s"),
    ] {
        let (_exporter, web) = start(
            std::slice::from_ref(&none),
            &[("DATA_SOURCE_NAME", &dsn)],
            &dir.path().join("dsn.log"),
        );
        assert_eq!(mysql_up(web), Some(1.0), "{dsn}");
    }
    // A parameter that would change the connection is refused, naming it.
    let out = Command::new(BINARY)
        .arg(&none)
        .arg("--web.listen-address=127.0.0.1:0")
        .env(
            "DATA_SOURCE_NAME",
            format!("root@tcp(127.0.0.1:{port})/?readTimeout=1s"),
        )
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("readTimeout"),
        "{text}"
    );
}

/// The DSN's `timeout` bounds connecting: a server that accepts the TCP
/// connection but never greets (frozen) fails the connection on that
/// timeout, not on the much longer scrape deadline.
#[test]
fn the_dsn_timeout_bounds_connecting() {
    let db = common::mariadb(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let none = format!("--config.my-cnf={}", dir.path().join("none.cnf").display());
    let dsn = format!("root@tcp(127.0.0.1:{})/?timeout=300ms", db.port());
    let log = dir.path().join("timeout.log");
    let (_exporter, web) = start(&[none], &[("DATA_SOURCE_NAME", &dsn)], &log);
    let frozen = db.freeze();
    let body = testkit::http()
        .get(format!("http://127.0.0.1:{web}/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "30")
        .send()
        .and_then(|r| r.text())
        .expect("the scrape answers");
    frozen.thaw();
    assert_eq!(common::value(&body, "mysql_up"), Some(0.0), "{body}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("longer than the DSN's timeout of 300ms"),
        "{logged}"
    );
    assert_eq!(mysql_up(web), Some(1.0), "up again once the server runs");
}

#[test]
fn a_missing_my_cnf_is_reported_missing() {
    let out = Command::new(BINARY)
        .args([
            "--config.my-cnf=/nonexistent/exporter.my.cnf",
            "--web.listen-address=127.0.0.1:0",
        ])
        .env_remove("DATA_SOURCE_NAME")
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("open /nonexistent/exporter.my.cnf: no such file or directory"),
        "{text}"
    );
}

/// A CA and a server certificate it signed for `db.internal` only (not
/// the address connected to): `ca.pem`, `server.pem`, `server.key`.
fn certificates_for(dir: &Path, name: &str) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("cert");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write");
}

#[test]
fn my_cnf_tls_server_name_is_the_name_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates_for(d, "db.internal");
    let path = |name: &str| d.join(name).display().to_string();
    let db = common::mariadb(&[
        &format!("--ssl-ca={}", path("ca.pem")),
        &format!("--ssl-cert={}", path("server.pem")),
        &format!("--ssl-key={}", path("server.key")),
    ]);
    let cnf = |extra: &str| {
        let file = d.join(format!("{}.cnf", extra.len()));
        std::fs::write(
            &file,
            format!(
                "[client]\nuser=root\nhost=127.0.0.1\nport={}\nssl-ca={}\ntls=true\n{extra}",
                db.port(),
                path("ca.pem")
            ),
        )
        .expect("write");
        format!("--config.my-cnf={}", file.display())
    };
    let log = d.join("tls.log");
    let (_named, web) = start(
        &[cnf(
            "tls-server-name=db.internal\ntls-min-version=TLSv1.2\n",
        )],
        &[],
        &log,
    );
    assert_eq!(mysql_up(web), Some(1.0), "the certificate's name");
    let (_other, web) = start(&[cnf("tls-server-name=other.internal\n")], &[], &log);
    assert_eq!(mysql_up(web), Some(0.0), "another name");
    let (_unnamed, web) = start(&[cnf("")], &[], &log);
    assert_eq!(
        mysql_up(web),
        Some(0.0),
        "the address, not in the certificate"
    );
}

/// The unit's ExecStart, run as systemd runs it: `%d` is the credentials
/// directory holding the my.cnf given by `LoadCredential=my.cnf:...`.
#[test]
fn the_systemd_unit_hands_its_credential_to_the_binary() {
    let unit_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/systemd/mysql-exporter.service"
    );
    let unit = std::fs::read_to_string(unit_path).expect("unit");
    assert!(unit.contains("LoadCredential=my.cnf:"), "{unit}");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();

    // systemd-analyze verify knows %d; it needs the binary to exist.
    let verified = d.join("mysql-exporter.service");
    std::fs::write(
        &verified,
        unit.replace("/usr/local/bin/mysql-exporter", BINARY),
    )
    .expect("write");
    let out = Command::new(testkit::require("systemd-analyze"))
        .arg("verify")
        .arg(&verified)
        .env("SYSTEMD_COLORS", "0")
        .output()
        .expect("systemd-analyze");
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");

    let db = common::mariadb(&[]);
    let credentials = d.join("credentials");
    std::fs::create_dir(&credentials).expect("mkdir");
    common::root_cnf(&credentials, db.port());
    let words: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .filter(|w| *w != "$ARGS")
        .map(|w| w.replace("%d", &credentials.display().to_string()))
        .collect();
    let (_exporter, web) = start(
        &words,
        &[("CREDENTIALS_DIRECTORY", &credentials.display().to_string())],
        &d.join("unit.log"),
    );
    assert_eq!(mysql_up(web), Some(1.0));
}
