//! Issue 19 item 2 on the real binary: a running exporter never drops from
//! TLS to plain text, or from basic auth to none, because its
//! `--web.config.file` was rewritten empty, blank, `{}` or `---`. The
//! reload is refused, logged and reported by
//! `node_exporter_web_config_last_reload_successful 0`; restarting with
//! such a file is how to turn TLS and auth off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

const RELOAD_OK: &str = "node_exporter_web_config_last_reload_successful";

struct Exporter {
    process: testkit::Process,
    port: u16,
}

fn start(dir: &Path, name: &str) -> Exporter {
    let port = testkit::free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_node-exporter"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!(
            "--web.config.file={}",
            dir.join("web.yml").display()
        ))
        .arg("--collector.disable-defaults");
    let process = testkit::Process::spawn(name, cmd, &dir.join(format!("{name}.log")));
    Exporter { process, port }
}

fn tls_client(ca_pem: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The gauge's value in an authorized scrape over TLS, if one answered.
fn reload_ok(client: &reqwest::blocking::Client, port: u16) -> Option<f64> {
    let body = client
        .get(format!("https://localhost:{port}/metrics"))
        .basic_auth("alice", Some("s3cret"))
        .send()
        .ok()?
        .text()
        .ok()?;
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{RELOAD_OK} ")))
        .and_then(|v| v.parse().ok())
}

#[test]
fn emptying_the_web_config_keeps_tls_and_auth_on_a_running_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path().join("server.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), cert.key_pair.serialize_pem()).unwrap();
    let good = format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: {}\n",
        bcrypt::hash("s3cret", 4).unwrap()
    );
    let web_yml = dir.path().join("web.yml");
    std::fs::write(&web_yml, &good).unwrap();

    let mut exporter = start(dir.path(), "node-exporter");
    let port = exporter.port;
    let client = tls_client(&cert.cert.pem());
    exporter.process.wait_ready(Duration::from_secs(20), || {
        reload_ok(&client, port) == Some(1.0)
    });

    for (name, rewrite) in [
        ("empty", ""),
        ("whitespace", "  \n\t\n"),
        ("empty map", "{}\n"),
        ("document marker", "---\n"),
    ] {
        std::fs::write(&web_yml, rewrite).unwrap();
        // The event: the watcher tried the new file and refused it.
        exporter.process.wait_ready(Duration::from_secs(20), || {
            reload_ok(&client, port) == Some(0.0)
        });

        let plain = testkit::http()
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send();
        assert!(
            plain.map(|r| r.status() != 200).unwrap_or(true),
            "{name}: the TLS port answered plain HTTP"
        );
        let anonymous = client
            .get(format!("https://localhost:{port}/metrics"))
            .send()
            .unwrap();
        assert_eq!(
            anonymous.status(),
            401,
            "{name}: the password is no longer required"
        );
        let log = std::fs::read_to_string(dir.path().join("node-exporter.log")).unwrap();
        assert!(
            log.contains("refusing to reload"),
            "{name}: the refusal is not logged:\n{log}"
        );

        // Back to the good file: accepted again, ready for the next case.
        std::fs::write(&web_yml, &good).unwrap();
        exporter.process.wait_ready(Duration::from_secs(20), || {
            reload_ok(&client, port) == Some(1.0)
        });
    }
    drop(exporter);

    // Restarting with an empty file is how to turn TLS and auth off.
    std::fs::write(&web_yml, "").unwrap();
    let mut restarted = start(dir.path(), "restarted");
    let port = restarted.port;
    restarted.process.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
}
