//! upstream 0.28's flags: --config.enable-auto-reload, --history.limit with
//! the landing page's recent probes and /logs, --log.prober, and
//! --web.route-prefix / --web.external-url (only the root is served, so a
//! prefix is refused at startup naming the flag).

mod common;

use std::time::Duration;

use blackbox_exporter::{COLLECTORS, SPEC, State};
use common::*;

const TWO_MODULES: &str = "modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 2s\n  http_2xx:\n    prober: http\n    timeout: 2s\n";

fn startup_error(config: &std::path::Path, extra: &[&str]) -> String {
    let mut argv = vec![
        "blackbox-exporter".to_string(),
        format!("--config.file={}", config.display()),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    match State::new(&cli.args) {
        Ok(_) => format!("started with {extra:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn auto_reload_picks_up_a_changed_file_and_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), TWO_MODULES);
    let ours = start_ours(
        &cfg,
        &[
            "--config.enable-auto-reload",
            "--config.auto-reload-interval=1",
        ],
    );
    std::fs::write(
        &cfg,
        format!("{TWO_MODULES}  added_later:\n    prober: icmp\n"),
    )
    .expect("rewrite");
    assert!(
        testkit::wait_until(Duration::from_secs(20), || {
            ours.state.current().modules.contains_key("added_later")
        }),
        "the changed file was not reloaded"
    );
    std::fs::write(&cfg, "modules:\n  broken:\n    prober: nonsense\n").expect("rewrite");
    let metrics = ours.server.url("/metrics");
    assert!(
        testkit::wait_until(Duration::from_secs(20), || {
            get(&metrics)
                .1
                .contains("blackbox_exporter_config_last_reload_successful 0")
        }),
        "the broken file was not tried"
    );
    assert!(ours.state.current().modules.contains_key("added_later"));

    let good = write_config(dir.path(), TWO_MODULES);
    assert!(
        startup_error(
            &good,
            &[
                "--config.enable-auto-reload",
                "--config.auto-reload-interval=0"
            ]
        )
        .contains("--config.auto-reload-interval"),
    );
}

#[test]
fn history_landing_page_and_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), TWO_MODULES);
    let ours = start_ours(&cfg, &["--history.limit=2"]);
    let web = HttpServer::start();
    let closed = format!("127.0.0.1:{}", closed_port());
    assert_eq!(ours.probe(&closed, "tcp_connect")["probe_success"], 0.0);
    assert_eq!(
        ours.probe(&web.url("/first"), "http_2xx")["probe_success"],
        1.0
    );
    assert_eq!(
        ours.probe(&web.url("/ok?a=1&b='2'"), "http_2xx")["probe_success"],
        1.0
    );
    assert_eq!(ours.probe(&web.url("/c"), "http_2xx")["probe_success"], 1.0);

    let (status, page) = get(&ours.server.url("/"));
    assert_eq!(status, 200);
    assert!(page.contains("<h2>Recent Probes</h2>"), "{page}");
    // the failure pushed out of the window of 2 is kept; the success is not
    assert!(page.contains(&closed), "{page}");
    assert!(page.contains("<strong>Failure</strong>"), "{page}");
    assert!(!page.contains(&web.url("/first")), "{page}");
    assert!(
        page.contains("/ok?a=1&amp;b=&#39;2&#39;"),
        "escaped: {page}"
    );
    assert!(page.contains("href='logs?id=3'"), "{page}");

    let (status, logs) = get(&ours.server.url("/logs?id=0"));
    assert_eq!(status, 200, "{logs}");
    assert!(logs.starts_with("Logs for the probe:"), "{logs}");
    assert!(logs.contains("probe_success 0"), "{logs}");
    assert!(logs.contains("prober: tcp"), "{logs}");

    let by_target = format!(
        "/logs?target={}&module=http_2xx",
        form_urlencoded::byte_serialize(web.url("/c").as_bytes()).collect::<String>()
    );
    let (status, logs) = get(&ours.server.url(&by_target));
    assert_eq!(status, 200, "{logs}");
    assert!(logs.contains("probe_success 1"), "{logs}");

    for (query, want) in [
        ("", 400),
        ("?id=1&target=x", 400),
        ("?module=http_2xx", 400),
        ("?id=1", 404),
        ("?target=nowhere", 404),
    ] {
        assert_eq!(
            get(&ours.server.url(&format!("/logs{query}"))).0,
            want,
            "{query}"
        );
    }
}

#[test]
fn log_prober_level_filters_the_probe_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), TWO_MODULES);
    let closed = format!("127.0.0.1:{}", closed_port());
    let debug_text = |ours: &Ours| {
        get(&format!(
            "{}&debug=true",
            probe_url(&ours.server.url(""), &closed, "tcp_connect")
        ))
        .1
    };
    // upstream's default: routine steps are debug lines, failures errors
    let info = start_ours(&cfg, &[]);
    let text = debug_text(&info);
    assert!(!text.contains("Resolving target address"), "{text}");
    assert!(text.contains("level=error msg=\"Probe failed"), "{text}");
    let debug = start_ours(&cfg, &["--log.prober=debug"]);
    let text = debug_text(&debug);
    assert!(text.contains("Beginning probe"), "{text}");
    assert!(text.contains("Resolving target address"), "{text}");
    let error = start_ours(&cfg, &["--log.prober=error"]);
    let web = HttpServer::start();
    let redirect = format!(
        "{}&debug=true",
        probe_url(&error.server.url(""), &web.url("/redirect/1"), "http_2xx")
    );
    let text = get(&redirect).1;
    assert!(!text.contains("Received redirect"), "a warning: {text}");
    let text = get(&redirect.replace(&error.server.url(""), &info.server.url(""))).1;
    assert!(
        text.contains("level=warn msg=\"Received redirect"),
        "{text}"
    );

    assert!(startup_error(&cfg, &["--log.prober=verbose"]).contains("--log.prober"));
}

#[test]
fn route_prefixes_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), TWO_MODULES);
    assert!(startup_error(&cfg, &["--web.route-prefix=/blackbox"]).contains("--web.route-prefix"));
    assert!(
        startup_error(&cfg, &["--web.external-url=http://probe.example/blackbox/"])
            .contains("--web.external-url")
    );
    assert!(startup_error(&cfg, &["--web.external-url=not a url"]).contains("--web.external-url"));
    for fine in [
        "--web.route-prefix=/",
        "--web.external-url=http://probe.example:9115/",
    ] {
        assert!(
            startup_error(&cfg, &[fine]).starts_with("started"),
            "{fine}"
        );
    }
}
