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

    /// Offset to subtract from timeout in seconds: upstream's name of
    /// --web.scrape-timeout-offset, which it sets (see `with_timeout_offset_alias`).
    #[arg(long = "timeout-offset", value_name = "SECONDS")]
    pub timeout_offset: Option<f64>,

    /// If true, validate the config file and then exit.
    #[arg(long = "config.check")]
    pub config_check: bool,

    /// The maximum amount of items to keep in the history (the landing
    /// page's recent probes and `/logs`; failed probes pushed out are kept
    /// in as many again).
    #[arg(long = "history.limit", value_name = "N", default_value_t = 100)]
    pub history_limit: usize,

    /// The URL under which Blackbox exporter is externally reachable. Only
    /// a URL without a path is supported (routes are served at the root).
    #[arg(long = "web.external-url", value_name = "URL")]
    pub external_url: Option<String>,

    /// Prefix for the internal routes of web endpoints. Only `/` is
    /// supported (routes are served at the root).
    #[arg(long = "web.route-prefix", value_name = "PATH")]
    pub route_prefix: Option<String>,

    /// Log level for probe request logs (debug, info, warn, error): probe
    /// log lines at or above it are logged and kept for debug output.
    #[arg(long = "log.prober", value_name = "LEVEL", default_value = "info")]
    pub log_prober: String,

    /// Reload the configuration file every --config.auto-reload-interval
    /// when its content changed.
    #[arg(long = "config.enable-auto-reload")]
    pub enable_auto_reload: bool,

    /// Interval in seconds between checks of the configuration file for
    /// --config.enable-auto-reload.
    #[arg(
        long = "config.auto-reload-interval",
        value_name = "SECONDS",
        default_value_t = 30
    )]
    pub auto_reload_interval: u64,

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

/// Upstream's `--timeout-offset` is the kit's `--web.scrape-timeout-offset`
/// under another name: the value is passed on to it (giving both is an
/// error, as a flag given twice).
pub fn with_timeout_offset_alias(argv: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut extra = Vec::new();
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--timeout-offset=") {
            extra.push(value.to_string());
        } else if arg == "--timeout-offset"
            && let Some(value) = args.next().and_then(|v| v.to_str())
        {
            extra.push(value.to_string());
        }
    }
    let mut out = argv;
    out.extend(
        extra
            .into_iter()
            .map(|v| format!("--web.scrape-timeout-offset={v}").into()),
    );
    out
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag, including ones added later, takes upstream's
    /// spellings and sets the value they say.
    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::COLLECTORS);
    }

    #[test]
    fn timeout_offset_sets_the_kits_scrape_timeout_offset() {
        let argv = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let parse = |v: &[&str]| {
            exporter_kit::args::parse_from(
                &crate::SPEC,
                crate::COLLECTORS,
                super::with_timeout_offset_alias(argv(v)),
            )
        };
        let cli = parse(&["bb", "--timeout-offset", "1.5"]).expect("parses");
        assert_eq!(cli.common.scrape_timeout_offset, 1.5);
        let cli = parse(&["bb", "--timeout-offset=0.25"]).expect("parses");
        assert_eq!(cli.common.scrape_timeout_offset, 0.25);
        let cli = parse(&["bb"]).expect("parses");
        assert_eq!(cli.common.scrape_timeout_offset, 0.5);
        assert!(parse(&["bb", "--timeout-offset=1", "--web.scrape-timeout-offset=2"]).is_err());
    }
}
