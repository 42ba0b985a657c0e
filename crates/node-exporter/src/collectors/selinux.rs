//! selinux: whether SELinux is enabled, and its configured and current mode.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_attr;

pub struct Selinux {
    enforce: PathBuf,
    config: PathBuf,
    enabled: Desc,
    config_mode: Desc,
    current_mode: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Selinux {
        enforce: args.sys("fs/selinux/enforce"),
        config: args.root("/etc/selinux/config"),
        enabled: Desc::gauge(
            "node_selinux_enabled",
            "SELinux is enabled, 1 is true, 0 is false",
            &[],
        ),
        config_mode: Desc::gauge(
            "node_selinux_config_mode",
            "Configured SELinux enforcement mode: -1 disabled, 0 permissive, 1 enforcing.",
            &[],
        ),
        current_mode: Desc::gauge(
            "node_selinux_current_mode",
            "Current SELinux enforcement mode: -1 disabled, 0 permissive, 1 enforcing.",
            &[],
        ),
    }))
}

/// The `SELINUX=` mode of /etc/selinux/config.
fn config_mode(text: &str) -> f64 {
    for line in text.lines() {
        if let Some(v) = line.trim().strip_prefix("SELINUX=") {
            return match v.trim().trim_matches('"') {
                "enforcing" => 1.0,
                "permissive" => 0.0,
                _ => -1.0,
            };
        }
    }
    -1.0
}

impl Collector for Selinux {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let Some(current) = read_attr(&self.enforce) else {
            out.gauge(&self.enabled, &[], 0.0);
            return Ok(());
        };
        out.gauge(&self.enabled, &[], 1.0);
        let cfg = std::fs::read_to_string(&self.config).unwrap_or_default();
        out.gauge(&self.config_mode, &[], config_mode(&cfg));
        let cur = match current.as_str() {
            "1" => 1.0,
            "0" => 0.0,
            _ => -1.0,
        };
        out.gauge(&self.current_mode, &[], cur);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_modes() {
        assert_eq!(super::config_mode("# x\nSELINUX=enforcing\n"), 1.0);
        assert_eq!(super::config_mode("SELINUX=permissive"), 0.0);
        assert_eq!(super::config_mode("SELINUXTYPE=targeted"), -1.0);
    }
}
