//! Flags every exporter shares, with upstream's names, and the collector
//! switches generated from the exporter's registration table.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};

use crate::bool_flags;
use crate::collector::Registration;
use crate::spec::Spec;

#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    /// Addresses on which to expose metrics and the web interface; repeat
    /// the flag to listen on several.
    #[arg(long = "web.listen-address", value_name = "ADDRESS", action = ArgAction::Append)]
    pub listen_addresses: Vec<String>,

    /// Use systemd socket activation listeners (LISTEN_FDS) instead of
    /// port listeners; --web.listen-address is then not used.
    #[arg(long = "web.systemd-socket")]
    pub systemd_socket: bool,

    /// Path under which to expose metrics.
    #[arg(
        long = "web.telemetry-path",
        value_name = "PATH",
        default_value = "/metrics"
    )]
    pub telemetry_path: String,

    /// Path to a configuration file that can enable TLS or authentication
    /// (exporter-toolkit format).
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config_file: Option<PathBuf>,

    /// Maximum number of parallel scrape requests; beyond it requests are
    /// answered 503. 0 disables the limit. The default is upstream's.
    #[arg(long = "web.max-requests", value_name = "N", default_value_t = 40)]
    pub max_requests: usize,

    /// Seconds subtracted from the scraper's timeout
    /// (X-Prometheus-Scrape-Timeout-Seconds) to leave time to answer.
    #[arg(
        long = "web.scrape-timeout-offset",
        value_name = "SECONDS",
        default_value_t = 0.5
    )]
    pub scrape_timeout_offset: f64,

    /// Scrape deadline when the scraper sends no timeout header.
    #[arg(
        long = "web.default-scrape-timeout",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub default_scrape_timeout: f64,

    /// Close a connection that has not sent a complete request head within
    /// this time (Go's ReadHeaderTimeout). 0 disables it.
    #[arg(long = "web.read-header-timeout", value_name = "DURATION", default_value = "30s",
          value_parser = crate::duration::parse_go)]
    pub read_header_timeout: std::time::Duration,

    /// Close a keep-alive connection that sends no new request within this
    /// time (Go's IdleTimeout). 0 disables it.
    #[arg(long = "web.idle-timeout", value_name = "DURATION", default_value = "5m",
          value_parser = crate::duration::parse_go)]
    pub idle_timeout: std::time::Duration,

    /// Exclude metrics about the exporter itself (process_*, build info).
    #[arg(long = "web.disable-exporter-metrics")]
    pub disable_exporter_metrics: bool,

    /// Only log messages with the given severity or above.
    #[arg(long = "log.level", value_name = "LEVEL", default_value = "info",
          value_parser = ["debug", "info", "warn", "error"])]
    pub log_level: String,

    /// Output format of log messages.
    #[arg(long = "log.format", value_name = "FORMAT", default_value = "logfmt",
          value_parser = ["logfmt", "json"])]
    pub log_format: String,
}

/// The result of parsing a command line: the exporter's own flags, the
/// shared ones, and which collectors are on.
#[derive(Debug)]
pub struct Cli<A> {
    pub args: A,
    pub common: CommonArgs,
    pub enabled: Vec<&'static str>,
}

const COMMON_IDS: &[&str] = &[
    "listen_addresses",
    "systemd_socket",
    "telemetry_path",
    "web_config_file",
    "max_requests",
    "scrape_timeout_offset",
    "default_scrape_timeout",
    "read_header_timeout",
    "idle_timeout",
    "disable_exporter_metrics",
    "log_level",
    "log_format",
];

fn env_name(prefix: &str, long: &str) -> String {
    let mut name = format!("{prefix}_");
    name.extend(long.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// Builds the whole command: shared flags, the exporter's flags and one
/// `--<word>.<name>` / `--no-<word>.<name>` pair per collector.
pub fn command<A: clap::Args>(spec: &Spec, registrations: &[Registration<A>]) -> Command {
    let mut cmd = Command::new(spec.binary)
        .about(spec.about)
        // Upstream flag names are long: help text under each flag stays readable.
        .next_line_help(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("version")
                .long("version")
                .action(ArgAction::SetTrue)
                .help("Print version information and exit"),
        );
    cmd = crate::docs::add_flags(cmd);
    cmd = <CommonArgs as clap::Args>::augment_args(cmd).mut_arg("max_requests", |arg| {
        arg.default_value(spec.default_max_requests.to_string())
    });
    cmd = A::augment_args(cmd);
    if let Some(prefix) = spec.env_prefix {
        for id in COMMON_IDS {
            cmd = cmd.mut_arg(*id, |arg| {
                let long = arg.get_long().unwrap_or_default().to_string();
                arg.env(env_name(prefix, &long))
            });
        }
    }
    let word = spec.collector_flag;
    if !registrations.is_empty() {
        cmd = cmd.arg(
            Arg::new("disable-defaults")
                .long(format!("{word}.disable-defaults"))
                .action(ArgAction::SetTrue)
                .help("Disable every collector that is not enabled by name."),
        );
    }
    for reg in registrations {
        let default = if reg.default_enabled {
            "enabled"
        } else {
            "disabled"
        };
        // No default value: a switch the command line did not give is
        // told apart from one given, for --collector.disable-defaults.
        cmd = cmd.arg(
            Arg::new(format!("enable:{}", reg.name))
                .long(format!("{word}.{}", reg.name))
                .action(ArgAction::Set)
                .value_parser(clap::value_parser!(bool))
                .help(format!(
                    "Enable the {} collector ({default} by default): {}",
                    reg.name, reg.help
                )),
        );
    }
    bool_flags::shape(cmd)
}

/// Go `flag`-style `-name` becomes `--name`; short flags stay.
fn normalise(argv: Vec<OsString>) -> Vec<OsString> {
    argv.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            let Some(s) = arg.to_str() else { return arg };
            if i > 0 && s.len() > 2 && s.starts_with('-') && !s.starts_with("--") {
                OsString::from(format!("-{s}"))
            } else {
                arg
            }
        })
        .collect()
}

fn enabled_collectors<A>(registrations: &[Registration<A>], m: &ArgMatches) -> Vec<&'static str> {
    let disable_defaults = !registrations.is_empty() && m.get_flag("disable-defaults");
    registrations
        .iter()
        .filter(|reg| {
            // The switch holds the last of --X, --X=<bool> and --no-X.
            match m.get_one::<bool>(&format!("enable:{}", reg.name)) {
                Some(on) => *on,
                None => reg.default_enabled && !disable_defaults,
            }
        })
        .map(|reg| reg.name)
        .collect()
}

/// Matches a command line (the first item is the program name) against
/// [`command`], spelled as upstream's parser takes it: Go `flag`
/// exporters' `-name`, kingpin exporters' `--no-name` for every boolean
/// flag (Go `flag` has no negation: there only the kit's collector
/// switches take it).
pub fn matches_from<A, I, T>(
    spec: &Spec,
    registrations: &[Registration<A>],
    argv: I,
) -> Result<ArgMatches, clap::Error>
where
    A: clap::Args,
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    if spec.single_dash_long_flags {
        argv = normalise(argv);
    }
    let cmd = command(spec, registrations);
    let collector_switches: Vec<String> = registrations
        .iter()
        .map(|reg| format!("{}.{}", spec.collector_flag, reg.name))
        .collect();
    let kingpin = !spec.single_dash_long_flags;
    let argv = bool_flags::rewrite_negations(&cmd, argv, |flag| {
        kingpin || collector_switches.iter().any(|c| c == flag)
    });
    cmd.try_get_matches_from(argv)
}

/// Parses a command line (the first item is the program name). `--help`
/// and `--version` come back as errors that go to stdout
/// (`use_stderr()` is false): [`print`] them and exit 0.
pub fn parse_from<A, I, T>(
    spec: &Spec,
    registrations: &[Registration<A>],
    argv: I,
) -> Result<Cli<A>, clap::Error>
where
    A: clap::Args + FromArgMatches,
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let matches = matches_from(spec, registrations, argv)?;
    if matches.get_flag("version") {
        // As clap's own `--help`: an "error" that means success, so that
        // the caller decides how to exit. It prints the text after clap's
        // "error: " prefix: see [`print`].
        return Err(clap::Error::raw(
            clap::error::ErrorKind::DisplayVersion,
            crate::build_info::version_text(spec),
        ));
    }
    if let Some(doc) = crate::docs::requested(command(spec, registrations), &matches) {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let written = stdout.write_all(&doc).and_then(|()| stdout.flush());
        std::process::exit(if written.is_ok() { 0 } else { 1 });
    }
    let mut common = CommonArgs::from_arg_matches(&matches)?;
    if common.listen_addresses.is_empty() {
        common
            .listen_addresses
            .push(spec.default_listen_address.to_string());
    }
    let args = A::from_arg_matches(&matches)?;
    let enabled = enabled_collectors(registrations, &matches);
    Ok(Cli {
        args,
        common,
        enabled,
    })
}

/// Prints what [`parse_from`] returned instead of flags: the usage error,
/// help or version text.
pub fn print(spec: &Spec, err: &clap::Error) -> std::io::Result<()> {
    if err.kind() == clap::error::ErrorKind::DisplayVersion {
        // A raw clap message renders with an "error: " prefix.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(crate::build_info::version_text(spec).as_bytes())?;
        return out.flush();
    }
    err.print()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::{AnyCollector, BuildError};

    #[derive(clap::Args, Debug)]
    struct Own {
        #[arg(long = "redis.addr", default_value = "redis://localhost:6379")]
        addr: String,
    }

    fn never(_: &Own) -> Result<AnyCollector, BuildError> {
        Err(BuildError::new("not built in this test"))
    }

    const REGS: &[Registration<Own>] = &[
        Registration::new("cpu", true, "CPU", never),
        Registration::new("meminfo", true, "memory", never),
        Registration::new("processes", false, "processes", never),
    ];

    fn spec(single_dash: bool) -> Spec {
        Spec {
            name: "test_exporter",
            binary: "test-exporter",
            about: "test",
            namespace: "test",
            build_info_metric: "test_exporter_build_info",
            default_listen_address: ":9999",
            default_max_requests: 7,
            env_prefix: Some("FERROSCOPE_ARGS_TEST"),
            collector_flag: "collector",
            single_dash_long_flags: single_dash,
            promhttp: crate::spec::PromHttp::None,
        }
    }

    fn parse(argv: &[&str]) -> Cli<Own> {
        let mut full = vec!["test-exporter"];
        full.extend_from_slice(argv);
        parse_from(&spec(true), REGS, full).unwrap()
    }

    #[test]
    fn collector_switches_follow_kingpin() {
        assert_eq!(parse(&[]).enabled, ["cpu", "meminfo"]);
        assert_eq!(
            parse(&["--collector.processes"]).enabled,
            ["cpu", "meminfo", "processes"]
        );
        assert_eq!(parse(&["--no-collector.cpu"]).enabled, ["meminfo"]);
        assert_eq!(
            parse(&["--collector.disable-defaults", "--collector.cpu"]).enabled,
            ["cpu"]
        );
        assert_eq!(parse(&["--collector.cpu=false"]).enabled, ["meminfo"]);
        assert_eq!(
            parse(&["--no-collector.cpu", "--collector.cpu"]).enabled,
            ["cpu", "meminfo"]
        );
        assert_eq!(
            parse(&["--collector.cpu", "--no-collector.cpu"]).enabled,
            ["meminfo"]
        );
    }

    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        crate::testing::assert_boolean_flags(&spec(false), REGS);
        crate::testing::assert_boolean_flags(&spec(true), REGS);
        let go_flag = parse(&["-no-collector.cpu", "-web.disable-exporter-metrics=false"]);
        assert_eq!(go_flag.enabled, ["meminfo"]);
        assert!(!go_flag.common.disable_exporter_metrics);
        assert!(
            parse_from(
                &spec(true),
                REGS,
                ["x", "--no-web.disable-exporter-metrics"]
            )
            .is_err()
        );
        let kingpin = parse_from(&spec(false), REGS, ["x", "--web.disable-exporter-metrics"]);
        assert!(kingpin.is_ok_and(|cli| cli.common.disable_exporter_metrics));
    }

    #[test]
    fn defaults_and_single_dash() {
        let cli = parse(&["-redis.addr", "redis://x:1", "-web.listen-address=:1234"]);
        assert_eq!(cli.args.addr, "redis://x:1");
        assert_eq!(cli.common.listen_addresses, [":1234"]);
        let cli = parse(&[]);
        assert_eq!(cli.common.listen_addresses, [":9999"]);
        assert_eq!(cli.common.telemetry_path, "/metrics");
        assert_eq!(cli.common.max_requests, 7, "the spec sets the default");
        let both = parse(&[
            "--web.listen-address",
            ":1",
            "--web.listen-address",
            "127.0.0.1:2",
        ]);
        assert_eq!(both.common.listen_addresses, [":1", "127.0.0.1:2"]);
    }

    #[test]
    fn unknown_flags_are_errors() {
        assert!(parse_from(&spec(false), REGS, ["x", "--collector.nope"]).is_err());
        assert!(parse_from(&spec(false), REGS, ["x", "--log.level=loud"]).is_err());
    }

    #[test]
    #[allow(unsafe_code)]
    fn env_overrides_flags_and_argv_wins() {
        // A prefix of its own: tests run on parallel threads of one process,
        // and no other test's spec reads these variables.
        let spec = Spec {
            env_prefix: Some("FERROSCOPE_ARGS_ENV_TEST"),
            ..spec(false)
        };
        // SAFETY: only this test reads variables with this prefix, so no
        // other thread reads the environment for them concurrently.
        unsafe { std::env::set_var("FERROSCOPE_ARGS_ENV_TEST_WEB_TELEMETRY_PATH", "/from-env") };
        let from_env = parse_from(&spec, REGS, ["x"]).unwrap();
        assert_eq!(from_env.common.telemetry_path, "/from-env");
        let from_argv = parse_from(&spec, REGS, ["x", "--web.telemetry-path=/from-argv"]).unwrap();
        assert_eq!(from_argv.common.telemetry_path, "/from-argv");
        // SAFETY: as above.
        unsafe { std::env::remove_var("FERROSCOPE_ARGS_ENV_TEST_WEB_TELEMETRY_PATH") };
    }

    #[test]
    fn env_names() {
        assert_eq!(
            env_name("REDIS_EXPORTER", "web.listen-address"),
            "REDIS_EXPORTER_WEB_LISTEN_ADDRESS"
        );
    }
}
