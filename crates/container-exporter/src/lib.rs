//! container-exporter: cAdvisor's Prometheus side. Container CPU, memory,
//! network, block I/O, OOM and spec families read at scrape time straight
//! from cgroups (v1 and v2), with names, images and allowlisted labels
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
use exporter_kit::{BuildError, CollectorMetrics, Exporter, Registration, Spec};

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
};

pub const COLLECTORS: &[Registration<Args>] = &[
    Registration::new(
        "container",
        true,
        "cAdvisor's container_* families for every cgroup (Docker containers named).",
        collectors::container::build,
    ),
    Registration::new(
        "machine",
        true,
        "cAdvisor's machine_* families and cadvisor_version_info.",
        collectors::machine::build,
    ),
];

static DOCKER: OnceLock<docker::Watcher> = OnceLock::new();

/// The Docker engine's version, once connected (for cadvisor_version_info).
pub fn docker_version() -> Option<String> {
    DOCKER.get().and_then(docker::Watcher::version)
}

pub(crate) fn remember_watcher(w: &docker::Watcher) {
    let _ = DOCKER.set(w.clone());
}

/// cAdvisor has no per-collector success metrics; it reports
/// `container_scrape_error` and `machine_scrape_error` instead.
pub fn setup(_args: &Args, exporter: &mut Exporter) -> Result<(), BuildError> {
    exporter.collector_metrics(CollectorMetrics::none());
    Ok(())
}
