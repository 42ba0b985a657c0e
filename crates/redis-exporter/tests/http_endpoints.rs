//! The exporter's HTTP endpoints as upstream answers them: /scrape's
//! refusals, /health, /-/reload's errors, unknown paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{exporter, get, value};
use testkit::RedisServer;

#[test]
fn scrape_refuses_what_upstream_refuses() {
    let redis = RedisServer::start();
    let ours = exporter(&["-redis.addr", &redis.url()]);
    let bad = |query: &str| {
        let (status, body) = get(&ours.url(&format!("/scrape?{query}")));
        assert_eq!(status, 400, "{query}: {body}");
        body
    };
    assert!(bad("target=").contains("'target' parameter must be specified"));
    bad("target=://nope");
    // Go's url.Parse refuses a port that is not digits
    bad(&format!("target=redis://{}-", redis.addr()));
    bad("target=127.0.0.1:63x9");
    bad("target=[::1]:port");
    bad(&format!("target={}&check-streams=1=2=3=4", redis.addr()));
    bad(&format!("target={}&check-single-keys=a=b=c", redis.addr()));
    // the refusals are counted
    let (_, text) = get(&ours.url("/metrics"));
    assert_eq!(
        value(&text, "redis_exporter_target_scrape_request_errors_total"),
        Some(7.0),
        "{text}"
    );

    // without a scheme and with the schemes upstream's dialer takes
    for target in [
        redis.addr(),
        redis.url(),
        format!("tcp://{}", redis.addr()),
        format!("valkey://{}", redis.addr()),
    ] {
        let (status, body) = get(&ours.url(&format!("/scrape?target={target}")));
        assert_eq!(status, 200, "{target}: {body}");
        assert_eq!(value(&body, "redis_up"), Some(1.0), "{body}");
    }

    let disabled = exporter(&["-redis.addr", &redis.url(), "-disable-scrape-endpoint"]);
    let (status, _) = get(&disabled.url(&format!("/scrape?target={}", redis.addr())));
    assert_eq!(status, 404);
}

#[test]
fn health_reload_and_unknown_paths() {
    let redis = RedisServer::start();
    let ours = exporter(&["-redis.addr", &redis.url()]);
    assert_eq!(get(&ours.url("/health")), (200, "ok".to_string()));
    let (status, page) = get(&ours.url("/"));
    assert_eq!(status, 200);
    assert!(page.contains("<head><title>Redis Exporter "), "{page}");
    assert!(page.contains("<a href='/metrics'>Metrics</a>"), "{page}");
    for path in [
        "/nonexistent",
        "/foo/bar",
        "/metrics2",
        "/scrape2",
        "/admin",
    ] {
        assert_eq!(get(&ours.url(path)).0, 404, "{path}");
    }
    let (status, body) = get(&ours.url("/-/reload"));
    assert_eq!(
        (status, body.as_str()),
        (400, "There is no pwd file specified")
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passwords.json");
    std::fs::write(&file, format!("{{\"{}\": \"\"}}", redis.url())).unwrap();
    let with_file = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-redis.password-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(get(&with_file.url("/-/reload")), (200, "ok".to_string()));
    // a file broken after start: 500 saying why, and the old map stays
    std::fs::write(&file, "{\"redis://x\": ").unwrap();
    let (status, body) = get(&with_file.url("/-/reload"));
    assert_eq!(status, 500, "{body}");
    assert!(
        body.starts_with("failed to reload passwords file: "),
        "{body}"
    );
    assert!(
        body.len() > "failed to reload passwords file: ".len(),
        "{body}"
    );
    assert_eq!(value(&common::scrape(&with_file), "redis_up"), Some(1.0));
}

/// `--redis.addr` in the forms upstream's dialer takes.
#[test]
fn redis_addr_host_variations() {
    let redis = RedisServer::start();
    for addr in [
        redis.addr(),
        redis.url(),
        format!("tcp://{}", redis.addr()),
        format!("valkey://{}", redis.addr()),
    ] {
        let ours = exporter(&["-redis.addr", &addr]);
        let text = common::scrape(&ours);
        assert_eq!(value(&text, "redis_up"), Some(1.0), "{addr}: {text}");
    }
}
