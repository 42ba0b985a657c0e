//! The README's `## Upstream flags` table is true (every upstream flag
//! works or is refused naming itself), and upstream's web flags really
//! protect the endpoint: basic auth and TLS, checked with a real client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::{FlagRow, FlagWalk, Process, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_redis-exporter");

/// A CA and a certificate it signed for 127.0.0.1, and a client
/// certificate it signed: `ca.crt`, `server.crt`/`.key`, `client.crt`/`.key`.
fn write_certificates(dir: &Path) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
    for (name, sans) in [
        ("server", vec!["127.0.0.1".to_string()]),
        ("client", vec![]),
    ] {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(sans)
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

fn file(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn every_upstream_flag_works_or_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_certificates(d);
    std::fs::write(d.join("passwords.json"), r#"{"redis://127.0.0.1:1": "pw"}"#).unwrap();
    std::fs::write(d.join("script.lua"), "return {}").unwrap();
    let logs = d.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let server_tls = || {
        vec![
            format!("--tls-server-cert-file={}", file(d, "server.crt")),
            format!("--tls-server-key-file={}", file(d, "server.key")),
        ]
    };
    let arguments = |row: &FlagRow| -> Option<Vec<String>> {
        let name = row.name.as_str();
        Some(match name {
            "web.listen-address" => vec![],
            "redis.password-file" | "script" => vec![format!(
                "--{name}={}",
                file(d, row.argument.split('=').nth(1)?)
            )],
            "tls-client-key-file" | "tls-client-cert-file" => vec![
                format!("--tls-client-cert-file={}", file(d, "client.crt")),
                format!("--tls-client-key-file={}", file(d, "client.key")),
            ],
            "tls-ca-cert-file" => vec![format!("--tls-ca-cert-file={}", file(d, "ca.crt"))],
            "tls-server-key-file" | "tls-server-cert-file" => server_tls(),
            "tls-server-ca-cert-file" => {
                let mut words = server_tls();
                words.push(format!("--tls-server-ca-cert-file={}", file(d, "ca.crt")));
                words
            }
            "basic-auth-password" | "basic-auth-hash-password" => {
                vec![
                    "--basic-auth-username=prometheus".into(),
                    row.argument.clone(),
                ]
            }
            "basic-auth-username" => vec![row.argument.clone(), "--basic-auth-password=pw".into()],
            _ => return None,
        })
    };
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    testkit::check_flag_table(
        &readme,
        &FlagWalk {
            binary: Path::new(BINARY),
            base_args: vec![],
            env: vec![("REDIS_ADDR".into(), "redis://127.0.0.1:1".into())],
            listen_flag: "--web.listen-address",
            arguments: &arguments,
            log_dir: &logs,
        },
    );
}

/// The binary serving on a free port with `flags`.
fn start(flags: &[String], log: &Path) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new(BINARY);
    command
        .arg("--redis.addr=redis://127.0.0.1:1")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(flags);
    let mut process = Process::spawn("redis-exporter", command, log);
    process.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (process, port)
}

#[test]
fn basic_auth_flags_protect_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let hash = bcrypt::hash("hashed-secret", 4).unwrap();
    for flags in [
        vec![
            "--basic-auth-username=prom".to_string(),
            "--basic-auth-password=plain-secret".into(),
        ],
        vec![
            "--basic-auth-username=prom".to_string(),
            format!("--basic-auth-hash-password={hash}"),
        ],
    ] {
        let password = if flags[1].contains("hash") {
            "hashed-secret"
        } else {
            "plain-secret"
        };
        let (_exporter, port) = start(&flags, &dir.path().join("auth.log"));
        let http = testkit::http();
        for path in ["/metrics", "/scrape?target=redis://127.0.0.1:1", "/health"] {
            let url = format!("http://127.0.0.1:{port}{path}");
            assert_eq!(
                http.get(&url).send().unwrap().status(),
                401,
                "{path} without credentials"
            );
            let wrong = http
                .get(&url)
                .basic_auth("prom", Some("wrong"))
                .send()
                .unwrap();
            assert_eq!(wrong.status(), 401, "{path} with a wrong password");
            let right = http
                .get(&url)
                .basic_auth("prom", Some(password))
                .send()
                .unwrap();
            assert_eq!(right.status(), 200, "{path} with the password");
        }
    }
}

#[test]
fn half_an_auth_or_tls_setting_stops_startup() {
    for (flags, named) in [
        (vec!["--basic-auth-username=prom"], "--basic-auth-username"),
        (vec!["--basic-auth-password=pw"], "--basic-auth-username"),
        (
            vec!["--tls-server-cert-file=/nonexistent.crt"],
            "--tls-server-key-file",
        ),
        (
            vec![
                "--web.config.file=/dev/null",
                "--basic-auth-username=p",
                "--basic-auth-password=p",
            ],
            "--web.config.file",
        ),
    ] {
        let out = Command::new(BINARY)
            .arg("--web.listen-address=127.0.0.1:0")
            .args(&flags)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{flags:?} started");
        assert!(text.contains(named), "{flags:?}: {text}");
    }
}

fn https_client(ca: &Path, identity: Option<(&Path, &Path)>) -> reqwest::blocking::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    let mut builder = reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(10));
    if let Some((cert, key)) = identity {
        let mut pem = std::fs::read(cert).unwrap();
        pem.extend(std::fs::read(key).unwrap());
        builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

#[test]
fn tls_server_flags_serve_metrics_over_tls_and_check_client_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_certificates(d);
    let p = |name: &str| -> PathBuf { d.join(name) };
    let tls = vec![
        format!("--tls-server-cert-file={}", file(d, "server.crt")),
        format!("--tls-server-key-file={}", file(d, "server.key")),
    ];
    let (_exporter, port) = start(&tls, &d.join("tls.log"));
    let url = format!("https://127.0.0.1:{port}/metrics");
    let body = https_client(&p("ca.crt"), None)
        .get(&url)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(body.contains("redis_up 0"), "{body}");
    let plain = testkit::http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send();
    assert!(
        plain.map_or(true, |r| !r.status().is_success()),
        "plain HTTP served metrics"
    );

    let mut mutual = tls.clone();
    mutual.push(format!("--tls-server-ca-cert-file={}", file(d, "ca.crt")));
    mutual.push("--tls-server-min-version=TLS1.3".into());
    let (_exporter, port) = start(&mutual, &d.join("mtls.log"));
    let url = format!("https://127.0.0.1:{port}/metrics");
    assert!(
        https_client(&p("ca.crt"), None).get(&url).send().is_err(),
        "served a client without a certificate"
    );
    let with_cert = https_client(&p("ca.crt"), Some((&p("client.crt"), &p("client.key"))));
    assert_eq!(with_cert.get(&url).send().unwrap().status(), 200);
}
