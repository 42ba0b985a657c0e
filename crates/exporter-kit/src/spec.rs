//! What an exporter tells the kit about itself.

pub use crate::http::promhttp::PromHttp;
use crate::runner::CollectorMetrics;

/// Constant facts about one exporter binary.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The upstream program this binary replaces, as users know it
    /// (`node_exporter`). Shown on the landing page and in `--version`.
    pub name: &'static str,
    /// Our binary's name (`node-exporter`).
    pub binary: &'static str,
    /// One line about what it exports.
    pub about: &'static str,
    /// Metric namespace (`node`): names `<ns>_scrape_collector_*` unless
    /// the exporter sets other collector metrics.
    pub namespace: &'static str,
    /// The build info family, as upstream names it
    /// (`node_exporter_build_info`).
    pub build_info_metric: &'static str,
    /// Upstream's default listen address (`:9100`).
    pub default_listen_address: &'static str,
    /// Upstream's default for `--web.max-requests` (node_exporter: 40);
    /// 0 where upstream has no limit (blackbox_exporter, redis_exporter, ...).
    pub default_max_requests: usize,
    /// Prefix of environment variables that override the kit's flags
    /// (`REDIS_EXPORTER` gives `REDIS_EXPORTER_WEB_LISTEN_ADDRESS`), where
    /// upstream has them.
    pub env_prefix: Option<&'static str>,
    /// The word in the collector switches: `collector` gives
    /// `--collector.cpu` / `--no-collector.cpu`, `collect` gives
    /// mysqld_exporter's `--collect.global_status`.
    pub collector_flag: &'static str,
    /// Go `flag`-package exporters (redis_exporter, cAdvisor) accept
    /// `-name` as well as `--name`, and have no `--no-name` for booleans;
    /// the others follow kingpin (two dashes, `--no-name`).
    pub single_dash_long_flags: bool,
    /// client_golang's `promhttp_metric_handler_*` families, as upstream
    /// serves them.
    pub promhttp: PromHttp,
}

impl Spec {
    pub fn collector_metrics(&self) -> CollectorMetrics {
        CollectorMetrics::scrape_collector(self.namespace)
    }
}
