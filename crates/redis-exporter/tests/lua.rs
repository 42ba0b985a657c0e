//! `--script` outcomes on a real redis-server, as upstream reports them:
//! 1 with values, 2 for an empty reply, 0 for an error that also fails the
//! scrape (`up 0`, the error in `exporter_last_scrape_error`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{exporter, scrape, value};
use testkit::RedisServer;

fn run(redis: &RedisServer, body: &str, extra: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("probe.lua");
    std::fs::write(&script, body).unwrap();
    let path = script.to_string_lossy().to_string();
    let mut flags = vec![
        "-redis.addr".to_string(),
        redis.url(),
        "-script".into(),
        path.clone(),
    ];
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    (scrape(&exporter(&flags)), path)
}

fn result(text: &str, path: &str) -> Option<f64> {
    value(text, &format!("redis_script_result{{filename=\"{path}\"}}"))
}

#[test]
fn script_results_and_errors_as_upstream() {
    let redis = RedisServer::start();

    // ARGV[1] is "0", as upstream calls EVAL script 0 0
    let (text, path) = run(&redis, "return {'argv', ARGV[1], 'x', '2.5'}", &[]);
    assert_eq!(result(&text, &path), Some(1.0), "{text}");
    assert_eq!(
        value(
            &text,
            &format!("redis_script_values{{filename=\"{path}\",key=\"x\"}}")
        ),
        Some(2.5)
    );
    assert_eq!(
        value(
            &text,
            &format!("redis_script_values{{filename=\"{path}\",key=\"argv\"}}")
        ),
        Some(0.0)
    );
    assert_eq!(value(&text, "redis_up"), Some(1.0));

    let (text, path) = run(&redis, "return {}", &[]);
    assert_eq!(result(&text, &path), Some(2.0), "{text}");
    assert_eq!(value(&text, "redis_up"), Some(1.0));

    let (text, path) = run(&redis, "return {'k'  BROKEN", &[]);
    assert_eq!(result(&text, &path), Some(0.0), "{text}");
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    assert!(
        text.contains("redis_exporter_last_scrape_error{err=\"ERR Error compiling script"),
        "{text}"
    );

    let (text, path) = run(&redis, "return {'k', 'abc'}", &[]);
    assert_eq!(result(&text, &path), Some(0.0), "{text}");
    assert!(
        testkit::has_sample(
            &text,
            "redis_exporter_last_scrape_error{err=\"strconv.ParseFloat: parsing \\\"abc\\\": invalid syntax\"} 1"
        ),
        "{text}"
    );

    let (text, path) = run(
        &redis,
        "redis.call('SET', 'written', '1'); return {'k', '1'}",
        &["-lua-script-read-only"],
    );
    assert_eq!(result(&text, &path), Some(0.0), "{text}");
    assert!(
        text.contains("redis_exporter_last_scrape_error{err=\"ERR Write commands are not allowed from read-only scripts"),
        "{text}"
    );
    assert_eq!(redis.cli(&["EXISTS", "written"]).trim(), "0");
}
