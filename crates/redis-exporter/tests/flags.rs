//! redis_exporter's command line: Go `flag` spelling (one or two dashes,
//! `-flag=false` for booleans) and upstream defaults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use redis_exporter::{COLLECTORS, SPEC};

fn parse(flags: &[&str]) -> exporter_kit::Cli<redis_exporter::Args> {
    let mut argv = vec!["redis-exporter"];
    argv.extend_from_slice(flags);
    exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).unwrap()
}

#[test]
fn upstream_spellings_and_defaults() {
    let cli = parse(&[]);
    assert_eq!(cli.common.listen_addresses, [":9121"]);
    assert_eq!(cli.common.telemetry_path, "/metrics");
    assert!(cli.args.set_client_name);
    assert!(cli.args.redact_config_metrics);
    assert!(cli.args.include_metrics_for_empty_databases);
    assert_eq!(cli.args.check_keys_batch_size, 1000);
    assert_eq!(cli.args.max_distinct_key_groups, 100);
    assert_eq!(cli.args.connection_timeout, "15s");
    assert_eq!(cli.args.config_command, "CONFIG");
    assert_eq!(cli.args.namespace, "redis");

    let cli = parse(&[
        "-redis.addr",
        "redis://db:6380",
        "-check-keys=db1=user:*",
        "-set-client-name=false",
        "--include-config-metrics",
        "-redact-config-metrics=false",
        "-web.listen-address=:1234",
        "-check-keys-batch-size",
        "50",
    ]);
    assert_eq!(cli.args.redis_addr, "redis://db:6380");
    assert_eq!(cli.args.check_keys, "db1=user:*");
    assert!(!cli.args.set_client_name);
    assert!(cli.args.include_config_metrics);
    assert!(!cli.args.redact_config_metrics);
    assert_eq!(cli.args.check_keys_batch_size, 50);
    assert_eq!(cli.common.listen_addresses, [":1234"]);
}

#[test]
fn bad_values_are_startup_errors() {
    let cli = parse(&["-check-keys", "a=b=c"]);
    assert!(redis_exporter::scraper(&cli.args).is_err());
    let cli = parse(&["-connection-timeout", "soon"]);
    assert!(redis_exporter::scraper(&cli.args).is_err());
    let cli = parse(&["-namespace", "bad-name"]);
    assert!(redis_exporter::scraper(&cli.args).is_err());
    let cli = parse(&["-redis.password-file", "/nonexistent/passwords.json"]);
    assert!(redis_exporter::scraper(&cli.args).is_err());
}
