//! mysqld_exporter's command line: `--collect.<scraper>` switches with
//! upstream's defaults, and its own flags.

use mysql_exporter::{COLLECTORS, SPEC};

fn parse(flags: &[&str]) -> exporter_kit::Cli<mysql_exporter::Args> {
    let mut argv = vec!["mysql-exporter"];
    argv.extend_from_slice(flags);
    exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("parses")
}

#[test]
fn upstream_defaults() {
    let cli = parse(&[]);
    assert_eq!(
        cli.enabled,
        [
            "global_status",
            "global_variables",
            "slave_status",
            "info_schema.innodb_cmp",
            "info_schema.innodb_cmpmem",
            "info_schema.query_response_time"
        ]
    );
    assert_eq!(cli.common.listen_addresses, [":9104"]);
    assert_eq!(cli.args.my_cnf, ".my.cnf");
    assert_eq!(cli.args.lock_wait_timeout, 2);
    assert!(cli.args.enable_lock_wait_timeout);
    assert_eq!(cli.args.eventsstatements_limit, 250);
    assert!(cli.args.eventsstatements_exclude_schemas.is_empty());
    assert_eq!(cli.args.file_instances_remove_prefix, "/var/lib/mysql/");
    assert!(cli.args.processes_by_user);
    // Every upstream scraper has a switch.
    assert_eq!(COLLECTORS.len(), 36);
}

#[test]
fn switches_and_options() {
    let cli = parse(&[
        "--no-collect.slave_status",
        "--collect.info_schema.processlist",
        "--collect.perf_schema.eventsstatements.limit=10",
        "--collect.info_schema.processlist.processes_by_user=false",
        "--exporter.lock_wait_timeout=5",
        "--exporter.log_slow_filter",
        "--mysqld.address=db:3307",
        "--mysqld.username=exporter",
        "--collect.perf_schema.eventsstatements.exclude_schemas=tmp",
        "--collect.perf_schema.eventsstatements.exclude_schemas",
        "archive",
    ]);
    assert!(!cli.enabled.contains(&"slave_status"));
    assert!(cli.enabled.contains(&"info_schema.processlist"));
    assert_eq!(cli.args.eventsstatements_limit, 10);
    assert!(!cli.args.processes_by_user);
    assert_eq!(cli.args.lock_wait_timeout, 5);
    assert!(cli.args.log_slow_filter);
    assert_eq!(cli.args.mysqld_address, "db:3307");
    assert_eq!(cli.args.mysqld_username.as_deref(), Some("exporter"));
    assert_eq!(
        cli.args.eventsstatements_exclude_schemas,
        ["tmp", "archive"],
        "repeatable, as kingpin's Strings()"
    );
    assert!(exporter_kit::args::parse_from(&SPEC, COLLECTORS, ["x", "--collect.nope"]).is_err());
    assert!(
        exporter_kit::args::parse_from(
            &SPEC,
            COLLECTORS,
            ["x", "--exporter.max_open_connections=0"]
        )
        .is_err()
    );
}
