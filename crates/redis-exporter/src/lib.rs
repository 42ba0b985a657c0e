//! redis-exporter: a drop-in replacement for oliver006/redis_exporter.
//!
//! The telemetry path scrapes `--redis.addr`; `/scrape?target=` scrapes
//! any Redis with credentials from `--redis.password` or the password file
//! (never from the target URL unless `--scrape-allow-url-credentials`).

pub mod args;
pub mod client_list;
pub mod cluster_nodes;
pub mod cmdline;
pub mod config_metrics;
pub mod conn;
pub mod descs;
pub mod info;
pub mod instance_role;
pub mod key_discovery;
pub mod key_groups;
pub mod keys;
pub mod latency;
pub mod lua;
pub mod metric_map;
pub mod rdb;
pub mod resp;
pub mod routes;
pub mod scrape;
pub mod sentinel;
pub mod slowlog;
pub mod streams;
pub mod web_flags;

use std::sync::Arc;
use std::time::Duration;

use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectorMetrics, Exporter, Registration, Spec,
};

pub use args::Args;

pub const SPEC: Spec = Spec {
    name: "redis_exporter",
    binary: "redis-exporter",
    about: "Prometheus exporter for Redis metrics",
    namespace: "redis",
    build_info_metric: "redis_exporter_build_info",
    default_listen_address: ":9121",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: Some("REDIS_EXPORTER"),
    collector_flag: "collector",
    single_dash_long_flags: true,
    promhttp: exporter_kit::spec::PromHttp::None,
};

/// redis_exporter has no collector switches: one scrape does everything
/// its flags ask for.
pub const COLLECTORS: &[Registration<Args>] = &[];

fn key_list(name: &str, value: &str) -> Result<Vec<keys::DbKey>, BuildError> {
    keys::parse_key_arg(value).map_err(|e| BuildError::new(format!("--{name}: {e}")))
}

/// The scraper for `args` (shared by the telemetry path and /scrape).
pub fn scraper(args: &Args) -> Result<scrape::Scraper, BuildError> {
    let d = descs::Descs::new(&args.namespace)?;
    let timeout = exporter_kit::duration::parse_go(&args.connection_timeout)
        .ok()
        .ok_or_else(|| {
            BuildError::new(format!(
                "--connection-timeout: invalid duration {:?}",
                args.connection_timeout
            ))
        })?;
    let passwords = if args.redis_password.is_empty() && !args.redis_password_file.is_empty() {
        conn::PasswordMap::load(&args.redis_password_file)
            .map_err(|e| BuildError::new(e.to_string()))?
    } else {
        conn::PasswordMap::default()
    };
    let mut scripts = Vec::new();
    for path in args
        .script
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let body = std::fs::read_to_string(path)
            .map_err(|e| BuildError::new(format!("--script {path}: {e}")))?;
        scripts.push(lua::LuaScript {
            filename: path.to_string(),
            body,
        });
    }
    let settings = scrape::Settings {
        user: args.redis_user.clone(),
        password: args.redis_password.clone(),
        password_server: conn::server_of(&args.redis_addr),
        password_for_any_target: args.redis_password_for_any_target,
        passwords,
        tls: conn::TlsOptions {
            ca_cert_file: args.tls_ca_cert_file.clone(),
            client_cert_file: args.tls_client_cert_file.clone(),
            client_key_file: args.tls_client_key_file.clone(),
            server_name: args.tls_server_name.clone(),
            skip_verification: args.skip_tls_verification,
        },
        timeout: if timeout.is_zero() {
            Duration::from_secs(15)
        } else {
            timeout
        },
        set_client_name: args.set_client_name,
        ping_on_connect: args.ping_on_connect,
        config_command: match args.config_command.as_str() {
            "-" => None,
            "" => Some("CONFIG".to_string()),
            c => Some(c.to_string()),
        },
        include_config_metrics: args.include_config_metrics,
        redact_config_metrics: args.redact_config_metrics,
        info: info::InfoOptions {
            include_system_metrics: args.include_system_metrics,
            include_metrics_for_empty_databases: args.include_metrics_for_empty_databases,
        },
        batch_size: if args.check_keys_batch_size > 0 {
            args.check_keys_batch_size
        } else {
            1000
        },
        key_groups: key_groups::parse_groups(&args.check_key_groups),
        max_distinct_key_groups: args.max_distinct_key_groups,
        streams_exclude_consumers: args.streams_exclude_consumer_metrics,
        export_key_values: !args.disable_exporting_key_values,
        skip_checkkeys_for_role_master: args.skip_checkkeys_for_role_master,
        export_client_list: args.export_client_list,
        export_client_port: args.export_client_port,
        latency_histograms: !args.exclude_latency_histogram_metrics,
        scripts,
        lua_read_only: args.lua_script_read_only,
        allow_url_credentials: args.scrape_allow_url_credentials,
        include_sentinel_peer_info: args.include_sentinel_peer_info,
        include_rdb_file_size_metric: args.include_rdb_file_size_metric,
        append_instance_role_label: args.append_instance_role_label,
    };
    let keys = scrape::KeyOptions {
        check_keys: key_list("check-keys", &args.check_keys)?,
        check_single_keys: key_list("check-single-keys", &args.check_single_keys)?,
        check_streams: key_list("check-streams", &args.check_streams)?,
        check_single_streams: key_list("check-single-streams", &args.check_single_streams)?,
        count_keys: key_list("count-keys", &args.count_keys)?,
    };
    let cycle = exporter_kit::duration::parse_go(&args.check_keys_discovery_cycle)
        .ok()
        .filter(|c| !c.is_zero())
        .ok_or_else(|| {
            BuildError::new(format!(
                "--check-keys-discovery-cycle: invalid duration {:?} (give a positive Go duration, e.g. 30s)",
                args.check_keys_discovery_cycle
            ))
        })?;
    if args.check_keys_discovery_max_targets == 0 {
        return Err(BuildError::new(
            "--check-keys-discovery-max-targets: must be at least 1",
        ));
    }
    let discovery = key_discovery::DiscoverySettings {
        cycle,
        max_targets: args.check_keys_discovery_max_targets,
        scan_count: settings.batch_size,
        timeout: settings.timeout,
        tls: settings.tls.clone(),
        set_client_name: settings.set_client_name,
    };
    Ok(scrape::Scraper::new(d, settings, keys, discovery))
}

/// Upstream flags this exporter does not implement, with why: set, they
/// stop startup (a flag is never accepted and ignored).
pub fn refuse_unsupported(args: &Args) -> Result<(), BuildError> {
    let refused = [
        (
            args.include_go_runtime_metrics,
            "--include-go-runtime-metrics",
            "there is no Go runtime in this exporter",
        ),
        (
            args.is_tile38,
            "--is-tile38",
            "Tile38 metrics are not implemented (no Tile38 server to test them against)",
        ),
        (
            args.include_modules_metrics,
            "--include-modules-metrics",
            "module metrics are not implemented",
        ),
        (
            args.include_search_indexes_metrics,
            "--include-search-indexes-metrics",
            "search index metrics are not implemented (Debian's RediSearch, 1.2, predates the FT._LIST and INFO fields upstream reads)",
        ),
        (
            args.check_search_indexes != ".*",
            "--check-search-indexes",
            "search index metrics are not implemented (Debian's RediSearch, 1.2, predates the FT._LIST and INFO fields upstream reads)",
        ),
    ];
    match refused.into_iter().find(|(set, _, _)| *set) {
        Some((_, flag, why)) => Err(BuildError::new(format!("{flag}: refused: {why}"))),
        None => Ok(()),
    }
}

pub fn setup(args: &Args, exporter: &mut Exporter, _ctx: &BuildContext) -> Result<(), BuildError> {
    let scraper = Arc::new(scraper(args)?);
    exporter.collector_metrics(CollectorMetrics::none());
    if args.redis_only_metrics {
        exporter.exporter_metrics(false);
    }
    refuse_unsupported(args)?;
    if let Some(config) = web_flags::web_config(args)? {
        exporter.web_config(web_flags::FLAGS, config);
    }
    if !args.redis_password.is_empty() {
        tracing::warn!(
            "--redis.password on the command line is visible in `ps`; prefer REDIS_PASSWORD or --redis.password-file"
        );
    }
    if !args.redis_password.is_empty()
        && args.redis_addr.is_empty()
        && !args.redis_password_for_any_target
    {
        tracing::warn!(
            "--redis.password is sent only to --redis.addr's server, and --redis.addr is empty: no /scrape target gets it; list the targets in --redis.password-file or set --redis.password-for-any-target"
        );
    }
    let target = conn::Target {
        addr: conn::with_scheme(&args.redis_addr),
        user: args.redis_user.clone(),
        password: String::new(),
        url_credentials: true,
    };
    if !args.redis_addr.is_empty() {
        scraper.discover_ahead(&target);
        exporter.collector(
            "redis",
            AnyCollector::asynchronous(scrape::RedisCollector {
                scraper: scraper.clone(),
                target,
            }),
        );
    }
    if !args.disable_scrape_endpoint {
        exporter.probe(
            "/scrape",
            scrape::ScrapeHandler {
                scraper: scraper.clone(),
            },
        );
    }
    exporter.route(
        "/discover-cluster-nodes",
        cluster_nodes::DiscoverClusterNodes {
            scraper: scraper.clone(),
            addr: conn::with_scheme(&args.redis_addr),
            user: args.redis_user.clone(),
            is_cluster: args.is_cluster,
            use_hostnames: args.cluster_discover_hostnames,
        },
    );
    exporter.route("/health", routes::Health);
    exporter.landing_page(routes::landing_page);
    exporter.route(
        "/-/reload",
        routes::Reload {
            passwords: scraper.settings.passwords.clone(),
        },
    );
    Ok(())
}
