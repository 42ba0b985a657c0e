//! node-exporter: prometheus/node_exporter's Linux collectors on exporter-kit.

pub mod args;
pub mod collectors;
pub mod dbus;
pub mod ethtool_ioctl;
pub mod netlink;
pub mod parse;
pub mod sys;
pub mod sysfs;

use exporter_kit::{BuildContext, BuildError, Exporter, Spec};

pub use args::Args;

pub const SPEC: Spec = Spec {
    name: "node_exporter",
    binary: "node-exporter",
    about: "Prometheus exporter for hardware and OS metrics exposed by *NIX kernels",
    namespace: "node",
    build_info_metric: "node_exporter_build_info",
    default_listen_address: ":9100",
    default_max_requests: 40,
    env_prefix: None,
    collector_flag: "collector",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::InstrumentedWithErrors,
};

pub fn setup(
    _args: &Args,
    _exporter: &mut Exporter,
    _ctx: &BuildContext,
) -> Result<(), BuildError> {
    Ok(())
}
