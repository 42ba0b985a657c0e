//! container-exporter: cAdvisor's Prometheus side. Container CPU, memory,
//! network, block I/O, OOM and spec families read at scrape time straight
//! from cgroups (v1 and v2), with names, images and container labels
//! from the Docker Engine API.

pub mod args;
pub mod cgroup;
pub mod collectors;
pub mod containerd;
pub mod docker;
pub mod parse;
pub mod runtimes;

use std::sync::OnceLock;

pub use args::Args;
use exporter_kit::{BuildContext, BuildError, CollectorMetrics, Exporter, Registration, Spec};

pub const SPEC: Spec = Spec {
    name: "cadvisor",
    binary: "container-exporter",
    about: "cAdvisor's container metrics for Prometheus, read directly from cgroups and the Docker API",
    namespace: "container",
    build_info_metric: "container_exporter_build_info",
    default_listen_address: ":8080",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: None,
    collector_flag: "collector",
    single_dash_long_flags: true,
    promhttp: exporter_kit::spec::PromHttp::None,
};

pub const COLLECTORS: &[Registration<Args>] = &[
    Registration::with_context(
        "container",
        true,
        "cAdvisor's container_* families for every cgroup (Docker containers named).",
        collectors::container::build,
    ),
    Registration::with_context(
        "machine",
        true,
        "cAdvisor's machine_* families and cadvisor_version_info.",
        collectors::machine::build,
    ),
];

/// The Docker engine's version for `cadvisor_version_info`, read from the
/// container collector's watcher once that collector is built; empty when
/// it is not enabled. Shared through the [`exporter_kit::BuildContext`],
/// so that the order the two collectors are built in does not matter.
#[derive(Default)]
pub struct DockerVersion(OnceLock<docker::Watcher>);

impl DockerVersion {
    /// The engine's version, once connected.
    pub fn get(&self) -> Option<String> {
        self.0.get().and_then(docker::Watcher::version)
    }

    pub(crate) fn follow(&self, watcher: &docker::Watcher) {
        let _ = self.0.set(watcher.clone());
    }
}

/// cAdvisor has no per-collector success metrics; it reports
/// `container_scrape_error` and `machine_scrape_error` instead.
///
/// cAdvisor ignores `--whitelisted_container_labels` unless
/// `--store_container_labels=false`; here that combination is refused
/// rather than ignored, as is a metric group the flags turn on that this
/// exporter does not produce.
pub fn setup(args: &Args, exporter: &mut Exporter, _ctx: &BuildContext) -> Result<(), BuildError> {
    if args.store_container_labels && !args.whitelisted_container_labels.trim().is_empty() {
        return Err(BuildError::new(
            "--whitelisted_container_labels: refused: it takes effect only with --store_container_labels=false (the default, true, exports every container label), as in cAdvisor",
        ));
    }
    args.check_metric_groups().map_err(BuildError::new)?;
    exporter.collector_metrics(CollectorMetrics::none());
    Ok(())
}
