//! The README's `## Upstream flags` table is true, and `--log.enable-sarama`
//! really logs the client's conversation with a real broker (tansu).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::{FlagRow, FlagWalk, KafkaBroker, Process, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_kafka-exporter");

#[test]
fn every_upstream_flag_works_or_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let arguments = |row: &FlagRow| -> Option<Vec<String>> {
        match row.name.as_str() {
            "web.listen-address" => Some(vec![]),
            "sasl.enabled" => Some(vec![
                row.argument.clone(),
                "--sasl.username=exporter".into(),
                "--sasl.password=secret".into(),
            ]),
            _ => None,
        }
    };
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    testkit::check_flag_table(
        &readme,
        &FlagWalk {
            binary: Path::new(BINARY),
            base_args: vec!["--kafka.server=127.0.0.1:1".into()],
            env: vec![],
            listen_flag: "--web.listen-address",
            arguments: &arguments,
            log_dir: dir.path(),
        },
    );
}

/// Scrapes the binary once with `flags` against `broker`; its log.
fn log_of_one_scrape(broker: &KafkaBroker, flags: &[&str], log: &Path) -> String {
    let port = free_port();
    let mut command = Command::new(BINARY);
    command
        .arg(format!("--kafka.server={}", broker.addr()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(flags);
    let mut process = Process::spawn("kafka-exporter", command, log);
    process.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let body = testkit::http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(body.contains("kafka_up 1"), "{body}");
    process.stop(Duration::from_secs(5));
    std::fs::read_to_string(log).unwrap()
}

#[test]
fn log_enable_sarama_logs_the_clients_conversation() {
    let broker = KafkaBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let quiet = log_of_one_scrape(&broker, &[], &dir.path().join("quiet.log"));
    assert!(!quiet.contains("librdkafka"), "{quiet}");
    let verbose = log_of_one_scrape(
        &broker,
        &["--log.enable-sarama"],
        &dir.path().join("verbose.log"),
    );
    assert!(
        verbose
            .lines()
            .any(|l| l.contains("librdkafka") && l.contains(&broker.addr())),
        "{verbose}"
    );
}
