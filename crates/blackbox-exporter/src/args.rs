//! Upstream's flags (the `--web.*` and `--log.*` ones come from the kit),
//! plus ours for the target policy (see the README).

use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Blackbox exporter configuration file.
    #[arg(
        long = "config.file",
        value_name = "FILE",
        default_value = "blackbox.yml"
    )]
    pub config_file: PathBuf,

    /// Offset to subtract from the scrape timeout in seconds (upstream's
    /// name; the same offset as --web.scrape-timeout-offset).
    #[arg(long = "timeout-offset", value_name = "SECONDS", default_value_t = 0.5)]
    pub timeout_offset: f64,

    /// If true, validate the config file and then exit.
    #[arg(long = "config.check")]
    pub config_check: bool,

    /// The maximum amount of items to keep in the history (accepted for
    /// compatibility; the debug log is returned with debug=true).
    #[arg(long = "history.limit", value_name = "N", default_value_t = 100)]
    pub history_limit: u64,

    /// The URL under which Blackbox exporter is externally reachable
    /// (accepted for compatibility).
    #[arg(long = "web.external-url", value_name = "URL")]
    pub external_url: Option<String>,

    /// Prefix for the internal routes of web endpoints (accepted for
    /// compatibility; routes are served at the root).
    #[arg(long = "web.route-prefix", value_name = "PATH")]
    pub route_prefix: Option<String>,

    /// Level of the per-probe logger (debug, info, warn, error).
    #[arg(long = "log.prober", value_name = "LEVEL", default_value = "info")]
    pub log_prober: String,

    /// Refuse targets that are, or resolve to, link-local and cloud
    /// metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, also
    /// IPv4-mapped), including where a redirect lands. On by default;
    /// `--probe.block-metadata=false` turns it off.
    #[arg(long = "probe.block-metadata", default_value_t = true)]
    pub block_metadata: bool,

    /// Only probe targets matching one of these (repeatable): a CIDR
    /// (`10.0.0.0/8`), an IP, or a host name pattern (`*.example.com`).
    /// Empty = every target not denied.
    #[arg(long = "probe.allow-target", value_name = "PATTERN", action = clap::ArgAction::Append)]
    pub allow_targets: Vec<String>,

    /// Never probe targets matching one of these (repeatable), same syntax.
    #[arg(long = "probe.deny-target", value_name = "PATTERN", action = clap::ArgAction::Append)]
    pub deny_targets: Vec<String>,

    /// Most redirects an http probe follows (Go's client stops after 10).
    #[arg(long = "probe.max-redirects", value_name = "N", default_value_t = 10)]
    pub max_redirects: u32,
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag, including ones added later, takes upstream's
    /// spellings and sets the value they say.
    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::COLLECTORS);
    }
}
