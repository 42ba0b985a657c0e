//! What gets logged: `--log.level`, and `FERROSCOPE_LOG` (`target=level`)
//! above it, on the real binary's stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_redis-exporter");

/// The binary's stderr from start until it serves /health.
fn start_up_log(level: &str, env: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr");
    let port = testkit::free_port();
    let mut command = Command::new(BINARY);
    command
        .args(["-redis.addr", "redis://127.0.0.1:1", "-web.listen-address"])
        .arg(format!("127.0.0.1:{port}"))
        .arg(format!("--log.level={level}"))
        .env_remove("FERROSCOPE_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(env) = env {
        command.env("FERROSCOPE_LOG", env);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = format!("http://127.0.0.1:{port}/health");
    while testkit::http().get(&url).send().is_err() {
        assert!(Instant::now() < deadline, "{BINARY} did not serve /health");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::read_to_string(&log).unwrap()
}

const STARTING: &str = "msg=\"starting redis-exporter\"";

#[test]
fn the_level_flag_filters() {
    assert!(start_up_log("info", None).contains(STARTING));
    let warn = start_up_log("warn", None);
    assert!(!warn.contains(STARTING), "{warn}");
}

#[test]
fn the_environment_filters_by_target_and_wins_over_the_flag() {
    let quiet = start_up_log("info", Some("warn"));
    assert!(!quiet.contains(STARTING), "{quiet}");
    // The start-up line comes from exporter_kit::builder.
    let kit = start_up_log("warn", Some("exporter_kit=info"));
    assert!(kit.contains(STARTING), "{kit}");
    let other = start_up_log("warn", Some("hyper=info"));
    assert!(!other.contains(STARTING), "{other}");
}

#[test]
fn a_malformed_environment_value_is_reported_and_the_flag_used() {
    let log = start_up_log("info", Some("exporter_kit=loud"));
    assert!(log.contains(STARTING), "{log}");
    assert!(log.contains("FERROSCOPE_LOG is not target=level"), "{log}");
}
