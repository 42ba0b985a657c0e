//! The exporter against real redis-server instances (testkit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Upstream, exporter, families, get, scrape, value};
use testkit::RedisServer;

#[test]
fn basic_scrape_matches_upstream_families_and_values() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "counter", "42"]);
    redis.cli(&["SET", "greeting", "hello"]);
    redis.cli(&["RPUSH", "queue", "a", "b", "c"]);
    redis.cli(&["SET", "session", "x", "EX", "3600"]);
    redis.cli(&["-n", "1", "SET", "other", "1"]);
    let keys = "counter,greeting,queue,db1=other,missing";
    let addr = redis.url();
    let ours = exporter(&["-redis.addr", &addr, "-check-keys", keys]);
    let upstream = Upstream::start(&["-redis.addr", &addr, "-check-keys", keys]);
    let theirs = upstream.scrape();
    let text = scrape(&ours);

    for want in [
        "redis_up 1",
        "redis_exporter_last_scrape_error{err=\"\"} 0",
        "redis_db_keys{db=\"db0\"} 4",
        "redis_db_keys{db=\"db1\"} 1",
        "redis_db_keys{db=\"db15\"} 0",
        "redis_db_keys_expiring{db=\"db0\"} 1",
        "redis_key_value{db=\"db0\",key=\"counter\"} 42",
        "redis_key_size{db=\"db0\",key=\"queue\"} 3",
        "redis_key_value_as_string{db=\"db0\",key=\"greeting\",val=\"hello\"} 1",
        // redis.conf's default repl-backlog-size, 1mb
        "redis_config_repl_backlog_size 1048576",
    ] {
        assert!(
            testkit::has_sample(&text, want),
            "missing {want:?} in\n{text}"
        );
    }
    // a named key that does not exist has size 0 and nothing else, as
    // upstream (1.88 reads TYPE `none` on and reports the size it has: 0)
    assert!(testkit::has_sample(
        &text,
        "redis_key_size{db=\"db0\",key=\"missing\"} 0"
    ));
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("key=\"missing\""))
            .count(),
        1,
        "{text}"
    );

    // metrics-compat: reference families present with their type and labels
    let reference = families(&theirs);
    let candidate = families(&text);
    let mut covered = 0;
    let mut total = 0;
    let mut missing = Vec::new();
    for (name, (kind, labels)) in &reference {
        if name.starts_with("go_") {
            continue;
        }
        total += 1;
        match candidate.get(name) {
            Some((k, l)) if k == kind && labels.iter().all(|x| l.contains(x)) => covered += 1,
            other => missing.push(format!("{name} {kind} {labels:?} -> {other:?}")),
        }
    }
    let coverage = covered as f64 * 100.0 / total as f64;
    assert!(
        coverage >= 98.0,
        "coverage {coverage:.1}% ({covered}/{total}); not covered:\n{}",
        missing.join("\n")
    );

    // gauges that do not move between the two scrapes have equal values
    for key in [
        "redis_db_keys{db=\"db0\"}",
        "redis_db_keys{db=\"db1\"}",
        "redis_db_keys{db=\"db7\"}",
        "redis_db_keys_expiring{db=\"db0\"}",
        "redis_key_size{db=\"db0\",key=\"queue\"}",
        "redis_key_size{db=\"db1\",key=\"other\"}",
        "redis_key_value{db=\"db0\",key=\"counter\"}",
        "redis_connected_slaves",
        "redis_config_maxclients",
        "redis_config_maxmemory",
        "redis_memory_max_bytes",
        "redis_process_id",
        "redis_aof_enabled",
        "redis_rdb_last_bgsave_status",
        "redis_repl_backlog_is_active",
        "redis_cluster_enabled",
        "redis_up",
    ] {
        let a = value(&theirs, key);
        let b = value(&text, key);
        assert!(a.is_some(), "upstream lacks {key}");
        assert_eq!(a, b, "{key}: upstream {a:?}, ours {b:?}");
    }
    let start_a = value(&theirs, "redis_start_time_seconds").unwrap();
    let start_b = value(&text, "redis_start_time_seconds").unwrap();
    assert!((start_a - start_b).abs() <= 1.0);

    // never KEYS: patterns use SCAN
    let after = scrape(&ours);
    assert!(!after.contains("redis_commands_total{cmd=\"keys\"}"));
    // Redis 7 per-command latency histograms and INFO latencystats summaries
    assert!(
        after.contains("redis_commands_latencies_usec_bucket{cmd=\"set\",le=\""),
        "{after}"
    );
    assert!(after.contains("redis_latency_percentiles_usec{cmd=\"set\",quantile=\"50\"}"));

    // /scrape with per-request key checks, same families as /metrics
    let (status, body) = get(&ours.url(&format!(
        "/scrape?target={}&check-single-keys=counter",
        redis.addr()
    )));
    assert_eq!(status, 200);
    assert_eq!(value(&body, "redis_up"), Some(1.0));
    assert_eq!(
        value(&body, "redis_key_value{db=\"db0\",key=\"counter\"}"),
        Some(42.0),
        "{body}"
    );
    assert_eq!(
        value(&body, "redis_key_size{db=\"db0\",key=\"queue\"}"),
        Some(3.0)
    );
}

#[test]
fn replica_metrics_and_master_link_flip_when_the_primary_stops() {
    let mut primary = RedisServer::start();
    let replica = RedisServer::builder()
        .arg("--replicaof")
        .arg("127.0.0.1")
        .arg(primary.port().to_string())
        .start();
    let on_replica = exporter(&["-redis.addr", &replica.url()]);
    let on_primary = exporter(&["-redis.addr", &primary.url()]);
    let link = format!(
        "redis_master_link_up{{master_host=\"127.0.0.1\",master_port=\"{}\"}}",
        primary.port()
    );
    assert!(
        testkit::wait_until(Duration::from_secs(15), || value(
            &scrape(&on_replica),
            &link
        ) == Some(1.0)),
        "replica never linked"
    );
    let text = scrape(&on_replica);
    assert!(testkit::has_sample(
        &text,
        &format!(
            "redis_slave_info{{master_host=\"127.0.0.1\",master_port=\"{}\",read_only=\"1\"}} 1",
            primary.port()
        )
    ));
    assert!(text.contains("role=\"slave\""));
    let p = scrape(&on_primary);
    assert_eq!(value(&p, "redis_connected_slaves"), Some(1.0));
    assert!(
        p.contains("redis_connected_slave_offset_bytes{slave_ip=\"127.0.0.1\""),
        "{p}"
    );

    primary.stop();
    assert!(
        testkit::wait_until(Duration::from_secs(15), || value(
            &scrape(&on_replica),
            &link
        ) == Some(0.0)),
        "master_link_up never went to 0"
    );
    let down = scrape(&on_primary);
    assert_eq!(value(&down, "redis_up"), Some(0.0));
}

#[test]
fn requirepass_acl_user_and_password_file() {
    let redis = RedisServer::builder()
        .arg("--requirepass")
        .arg("s3cret")
        .start();
    redis.cli(&[
        "-a",
        "s3cret",
        "--no-auth-warning",
        "ACL",
        "SETUSER",
        "metrics",
        "on",
        ">m-pass",
        "+@all",
        "~*",
    ]);
    let addr = redis.url();

    let no_password = exporter(&["-redis.addr", &addr]);
    let text = scrape(&no_password);
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    assert!(!text.contains("s3cret"));

    let wrong = exporter(&["-redis.addr", &addr, "-redis.password", "nope"]);
    let text = scrape(&wrong);
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    assert!(!text.contains("nope\""));

    let acl = exporter(&[
        "-redis.addr",
        &addr,
        "-redis.user",
        "metrics",
        "-redis.password",
        "m-pass",
    ]);
    assert_eq!(value(&scrape(&acl), "redis_up"), Some(1.0));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passwords.json");
    std::fs::write(
        &file,
        format!(
            "{{\"{addr}\": \"s3cret\", \"redis://metrics@{}\": \"m-pass\"}}",
            redis.addr()
        ),
    )
    .unwrap();
    let file = file.to_string_lossy().to_string();
    let with_file = exporter(&["-redis.addr", &addr, "-redis.password-file", &file]);
    assert_eq!(value(&scrape(&with_file), "redis_up"), Some(1.0));

    // /scrape: credentials from the file, by URI, with the user from the target
    let (status, body) = get(&with_file.url(&format!("/scrape?target={}", redis.addr())));
    assert_eq!(status, 200);
    assert_eq!(value(&body, "redis_up"), Some(1.0), "{body}");
    let (_, body) =
        get(&with_file.url(&format!("/scrape?target=redis://metrics@{}", redis.addr())));
    assert_eq!(value(&body, "redis_up"), Some(1.0), "{body}");
    // a password in the target URL is not used
    let plain = exporter(&["-redis.addr", &addr]);
    let (status, body) =
        get(&plain.url(&format!("/scrape?target=redis://:s3cret@{}", redis.addr())));
    assert_eq!(status, 200);
    assert_eq!(value(&body, "redis_up"), Some(0.0), "{body}");
    // unless the operator allows it
    let allowed = exporter(&["-redis.addr", &addr, "-scrape-allow-url-credentials"]);
    let (_, body) = get(&allowed.url(&format!("/scrape?target=redis://:s3cret@{}", redis.addr())));
    assert_eq!(value(&body, "redis_up"), Some(1.0), "{body}");
    // no target: 400
    let (status, _) = get(&plain.url("/scrape"));
    assert_eq!(status, 400);
    // /-/reload re-reads the file
    let resp = testkit::http()
        .post(with_file.url("/-/reload"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[test]
fn unix_socket() {
    let redis = RedisServer::start();
    let addr = format!("unix://{}", redis.socket().display());
    let ours = exporter(&["--redis.addr", &addr]);
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0), "{text}");
    assert!(text.contains("redis_connected_clients"));
}

#[test]
fn key_checks_groups_and_counts_on_100k_keys() {
    let redis = RedisServer::start();
    redis.cli(&[
        "EVAL",
        "for i = 1, 100000 do redis.call('SET', 'key:' .. i, i) end return 1",
        "0",
    ]);
    redis.cli(&["SET", "user:1", "alice"]);
    redis.cli(&["XADD", "events", "1-1", "f", "v"]);
    redis.cli(&["XGROUP", "CREATE", "events", "workers", "0"]);
    redis.cli(&[
        "XREADGROUP",
        "GROUP",
        "workers",
        "w1",
        "COUNT",
        "1",
        "STREAMS",
        "events",
        ">",
    ]);
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-check-keys",
        "key:1*",
        "-count-keys",
        "db0=key:*",
        "-check-key-groups",
        "^(key):,^(user):",
        "-check-single-streams",
        "events",
    ]);
    // the key:1* pattern's keys are found by the background SCAN
    assert!(testkit::wait_until(Duration::from_secs(60), || value(
        &scrape(&ours),
        "redis_exporter_key_discovery_passes_total"
    )
    .is_some_and(|n| n >= 1.0)));
    let t = Instant::now();
    let text = scrape(&ours);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(20), "scrape took {took:?}");
    assert_eq!(value(&text, "redis_up"), Some(1.0));
    assert_eq!(
        value(&text, "redis_keys_count{db=\"db0\",key=\"key:*\"}"),
        Some(100000.0)
    );
    // key:1, key:10..19, ..., key:10000..19999, key:100000
    let checked = text
        .lines()
        .filter(|l| l.starts_with("redis_key_value{"))
        .count();
    assert_eq!(checked, 11112);
    assert_eq!(
        value(&text, "redis_key_value{db=\"db0\",key=\"key:12345\"}"),
        Some(12345.0)
    );
    assert_eq!(
        value(&text, "redis_key_size{db=\"db0\",key=\"key:12345\"}"),
        Some(5.0)
    );
    assert_eq!(
        value(&text, "redis_key_group_count{db=\"db0\",key_group=\"key\"}"),
        Some(100000.0)
    );
    assert_eq!(
        value(
            &text,
            "redis_key_group_count{db=\"db0\",key_group=\"user\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "redis_key_group_count{db=\"db0\",key_group=\"unclassified\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "redis_number_of_distinct_key_groups{db=\"db0\"}"),
        Some(3.0)
    );
    assert_eq!(
        value(&text, "redis_stream_length{db=\"db0\",stream=\"events\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "redis_stream_group_messages_pending{db=\"db0\",group=\"workers\",stream=\"events\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "redis_stream_group_consumer_messages_pending{consumer=\"w1\",db=\"db0\",group=\"workers\",stream=\"events\"}"
        ),
        Some(1.0)
    );
    let after = scrape(&ours);
    assert!(
        !after.contains("redis_commands_total{cmd=\"keys\"}"),
        "KEYS was used"
    );
    assert!(after.contains("redis_commands_total{cmd=\"scan\"}"));
}

#[test]
fn redis_stopped_and_restarted_mid_test() {
    let mut redis = RedisServer::start();
    let ours = exporter(&["-redis.addr", &redis.url(), "-connection-timeout", "2s"]);
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(1.0));
    redis.stop();
    let t = Instant::now();
    let text = scrape(&ours);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    assert!(text.contains("redis_exporter_last_scrape_error{err=\""));
    assert_eq!(
        value(&text, "redis_exporter_last_scrape_error{err=\"\"}"),
        None
    );
    redis.restart();
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0));
    assert_eq!(value(&text, "redis_exporter_scrapes_total"), Some(3.0));
}

#[test]
fn a_frozen_redis_is_down_within_the_scrape_deadline() {
    let redis = RedisServer::start();
    let ours = exporter(&["-redis.addr", &redis.url()]);
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(1.0));
    let frozen = redis.freeze();
    // a 2 s scrape against the default 15 s --connection-timeout: the
    // scrape's deadline decides, and it answers with the server down
    let resp = testkit::http()
        .get(ours.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "2")
        .send()
        .expect("the scrape answers");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().unwrap();
    frozen.thaw();
    assert_eq!(value(&text, "redis_up"), Some(0.0), "{text}");
    assert_eq!(value(&scrape(&ours), "redis_up"), Some(1.0));
}

#[test]
fn a_redis_that_never_answers_costs_one_timeout_not_a_hung_scrape() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let hold = std::thread::spawn(move || {
        // accept and say nothing, for a while
        let mut conns = Vec::new();
        let until = Instant::now() + Duration::from_secs(4);
        while Instant::now() < until {
            if let Ok(c) = listener.accept() {
                conns.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let ours = exporter(&[
        "-redis.addr",
        &format!("redis://127.0.0.1:{port}"),
        "-connection-timeout",
        "1s",
    ]);
    let t = Instant::now();
    let text = scrape(&ours);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(value(&text, "redis_up"), Some(0.0));
    drop(ours);
    let _ = hold.join();
}

#[test]
fn lua_script_metric() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "jobs", "7"]);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("metrics.lua");
    std::fs::write(
        &script,
        "return {'answer', '42', 'jobs', redis.call('GET', 'jobs')}",
    )
    .unwrap();
    let path = script.to_string_lossy().to_string();
    let ours = exporter(&["-redis.addr", &redis.url(), "-script", &path]);
    let text = scrape(&ours);
    assert_eq!(
        value(
            &text,
            &format!("redis_script_values{{filename=\"{path}\",key=\"answer\"}}")
        ),
        Some(42.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("redis_script_values{{filename=\"{path}\",key=\"jobs\"}}")
        ),
        Some(7.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("redis_script_result{{filename=\"{path}\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(value(&text, "redis_up"), Some(1.0));
}

#[test]
fn forbidden_config_and_latency_commands_skip_families_only() {
    let redis = RedisServer::builder()
        .arg("--rename-command")
        .arg("CONFIG")
        .arg("")
        .arg("--rename-command")
        .arg("LATENCY")
        .arg("")
        .start();
    let ours = exporter(&["-redis.addr", &redis.url(), "-include-config-metrics"]);
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0), "{text}");
    assert!(!text.contains("redis_config_maxclients"));
    assert!(!text.contains("redis_config_key_value"));
    // without CONFIG the database count falls back to 16, as upstream
    assert_eq!(value(&text, "redis_db_keys{db=\"db15\"}"), Some(0.0));
    assert!(text.contains("redis_memory_used_bytes"));
}

#[test]
fn config_metrics_are_redacted() {
    let redis = RedisServer::builder()
        .arg("--requirepass")
        .arg("t0p-secret")
        .start();
    let ours = exporter(&[
        "-redis.addr",
        &redis.url(),
        "-redis.password",
        "t0p-secret",
        "-include-config-metrics",
    ]);
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0));
    assert!(text.contains("redis_config_value{key=\"maxclients\"} 10000"));
    assert!(!text.contains("t0p-secret"));
    assert!(!text.contains("key=\"requirepass\""));
}

#[test]
fn sentinel_metrics() {
    let primary = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let port = testkit::free_port();
    let conf = dir.path().join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor mymaster 127.0.0.1 {} 1\n",
            dir.path().display(),
            primary.port()
        ),
    )
    .unwrap();
    let bin = testkit::require("redis-server");
    let mut cmd = std::process::Command::new(bin);
    cmd.arg(&conf).arg("--sentinel");
    let mut process = testkit::Process::spawn("redis-sentinel", cmd, &dir.path().join("log"));
    process.wait_ready(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let ours = exporter(&["-redis.addr", &format!("redis://127.0.0.1:{port}")]);
    let addr = format!("127.0.0.1:{}", primary.port());
    let text = scrape(&ours);
    assert_eq!(value(&text, "redis_up"), Some(1.0), "{text}");
    assert_eq!(value(&text, "redis_sentinel_masters"), Some(1.0), "{text}");
    assert_eq!(value(&text, "redis_sentinel_tilt"), Some(0.0));
    assert_eq!(
        value(
            &text,
            &format!(
                "redis_sentinel_master_status{{master_address=\"{addr}\",master_name=\"mymaster\",master_status=\"ok\"}}"
            )
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!(
                "redis_sentinel_master_setting_ckquorum{{master_address=\"{addr}\",master_name=\"mymaster\"}}"
            )
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &format!(
                "redis_sentinel_master_ok_sentinels{{master_address=\"{addr}\",master_name=\"mymaster\"}}"
            )
        ),
        Some(1.0)
    );
    assert!(text.contains("redis_sentinel_master_ckquorum_status{master_name=\"mymaster\""));
    // Sentinel's own settings only with --include-config-metrics, as upstream
    assert!(!text.contains("redis_sentinel_config_"), "{text}");
    let with_config = exporter(&[
        "-redis.addr",
        &format!("redis://127.0.0.1:{port}"),
        "-include-config-metrics",
    ]);
    let text = scrape(&with_config);
    assert!(
        testkit::has_sample(
            &text,
            "redis_sentinel_config_key_value{key=\"resolve-hostnames\",value=\"no\"} 1"
        ),
        "{text}"
    );
    assert!(
        testkit::has_sample(
            &text,
            "redis_sentinel_config_value{key=\"announce-port\"} 0"
        ),
        "{text}"
    );
}

/// A Redis serving TLS with a certificate for `localhost` and `127.0.0.1`
/// from its own CA: the server, its `rediss://` address and the CA file.
fn tls_redis(dir: &std::path::Path) -> (RedisServer, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let path = |name: &str| dir.join(name).to_string_lossy().to_string();
    std::fs::write(path("ca.pem"), ca.pem()).unwrap();
    std::fs::write(path("cert.pem"), cert.pem()).unwrap();
    std::fs::write(path("key.pem"), key.serialize_pem()).unwrap();
    let tls_port = testkit::free_port();
    let redis = RedisServer::builder()
        .arg("--tls-port")
        .arg(tls_port.to_string())
        .arg("--tls-cert-file")
        .arg(path("cert.pem"))
        .arg("--tls-key-file")
        .arg(path("key.pem"))
        .arg("--tls-ca-cert-file")
        .arg(path("ca.pem"))
        .arg("--tls-auth-clients")
        .arg("no")
        .start();
    redis.cli(&["SET", "k", "1"]);
    let addr = format!("rediss://127.0.0.1:{tls_port}");
    (redis, addr, path("ca.pem"))
}

/// `--tls-server-name` is the name the certificate is verified against,
/// as in upstream (the address's host otherwise).
#[test]
fn tls_server_name_is_the_name_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (_redis, addr, ca_file) = tls_redis(dir.path());
    let named = exporter(&[
        "-redis.addr",
        &addr,
        "-tls-ca-cert-file",
        &ca_file,
        "-tls-server-name",
        "localhost",
    ]);
    assert_eq!(value(&scrape(&named), "redis_up"), Some(1.0));
    let misnamed = exporter(&[
        "-redis.addr",
        &addr,
        "-tls-ca-cert-file",
        &ca_file,
        "-tls-server-name",
        "other.example",
    ]);
    assert_eq!(value(&scrape(&misnamed), "redis_up"), Some(0.0));
}

#[test]
fn tls_with_ca_file_or_skipped_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (_redis, addr, ca_file) = tls_redis(dir.path());
    let verified = exporter(&["-redis.addr", &addr, "-tls-ca-cert-file", &ca_file]);
    let text = scrape(&verified);
    assert_eq!(value(&text, "redis_up"), Some(1.0), "{text}");
    assert_eq!(value(&text, "redis_db_keys{db=\"db0\"}"), Some(1.0));
    let skipped = exporter(&["-redis.addr", &addr, "-skip-tls-verification"]);
    assert_eq!(value(&scrape(&skipped), "redis_up"), Some(1.0));
    let untrusted = exporter(&["-redis.addr", &addr, "-connection-timeout", "2s"]);
    assert_eq!(value(&scrape(&untrusted), "redis_up"), Some(0.0));
}
