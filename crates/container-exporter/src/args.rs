//! cAdvisor's flags, with its names (Go `flag`: `-port=8080` works as
//! well as `--port=8080`), plus the paths a containerised exporter needs.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Every metric group cAdvisor's `--disable_metrics` / `--enable_metrics`
/// accept; an unknown name is a flag error, as upstream.
pub const ALL_METRICS: &[&str] = &[
    "advtcp",
    "app",
    "cpu",
    "cpuLoad",
    "cpu_topology",
    "cpuset",
    "disk",
    "diskIO",
    "hugetlb",
    "memory",
    "memory_numa",
    "network",
    "oom_event",
    "perf_event",
    "percpu",
    "pressure",
    "process",
    "referenced_memory",
    "resctrl",
    "sched",
    "tcp",
    "udp",
];

/// cAdvisor's default `--disable_metrics`.
pub const DEFAULT_DISABLED: &str = "advtcp,cpu_topology,cpuset,hugetlb,memory_numa,process,referenced_memory,resctrl,sched,tcp,udp";

/// The groups this exporter produces families for.
pub const PRODUCED: &[&str] = &[
    "cpu",
    "cpuLoad",
    "disk",
    "diskIO",
    "memory",
    "network",
    "oom_event",
    "percpu",
    "pressure",
    "process",
    "sched",
    "tcp",
    "udp",
];

/// On by default in cAdvisor yet silent there without their own
/// configuration (`--perf_events_config`, application collectors), flags
/// this exporter refuses: left on by default they are as silent here, but
/// asked for by name they are refused.
pub const SILENT_BY_DEFAULT: &[&str] = &["app", "perf_event"];

/// A set of metric groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricSet(pub BTreeSet<String>);

impl MetricSet {
    pub fn has(&self, group: &str) -> bool {
        self.0.contains(group)
    }
}

pub fn parse_metric_set(s: &str) -> Result<MetricSet, String> {
    let mut set = BTreeSet::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !ALL_METRICS.contains(&name) {
            return Err(format!(
                "unsupported metric {name:?} specified; options are {}",
                ALL_METRICS.join(",")
            ));
        }
        set.insert(name.to_string());
    }
    Ok(MetricSet(set))
}

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Port to listen on (cAdvisor's flag; sets the listen address).
    #[arg(long = "port", value_name = "PORT")]
    pub port: Option<u16>,

    /// IP to listen on, defaults to all IPs (used with --port).
    #[arg(long = "listen_ip", value_name = "IP")]
    pub listen_ip: Option<String>,

    /// Endpoint to expose Prometheus metrics on (cAdvisor's name for
    /// --web.telemetry-path).
    #[arg(long = "prometheus_endpoint", value_name = "PATH")]
    pub prometheus_endpoint: Option<String>,

    /// Docker endpoint. DOCKER_HOST is used when the flag is not given.
    #[arg(
        long = "docker",
        env = "DOCKER_HOST",
        value_name = "URL",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker: String,

    /// containerd endpoint, for Kubernetes nodes that run containers
    /// through containerd (its images and labels, as Docker's).
    #[arg(
        long = "containerd",
        value_name = "PATH",
        default_value = "/run/containerd/containerd.sock"
    )]
    pub containerd: String,

    /// containerd namespace whose containers are described (the CRI
    /// plugin's is k8s.io).
    #[arg(
        long = "containerd-namespace",
        value_name = "NAMESPACE",
        default_value = "k8s.io"
    )]
    pub containerd_namespace: String,

    /// Only report docker containers in addition to root stats.
    #[arg(long = "docker_only")]
    pub docker_only: bool,

    /// Comma-separated cgroup path prefixes collected even with --docker_only.
    #[arg(
        long = "raw_cgroup_prefix_whitelist",
        value_name = "PREFIXES",
        default_value = ""
    )]
    pub raw_cgroup_prefix_whitelist: String,

    /// Disable collecting root cgroup stats.
    #[arg(long = "disable_root_cgroup_stats")]
    pub disable_root_cgroup_stats: bool,

    /// How old container stats may be: a scrape within this of the last
    /// read of the cgroups is answered from that read (0s: every scrape
    /// reads).
    #[arg(long = "housekeeping_interval", value_name = "DURATION",
          default_value = "1s", value_parser = exporter_kit::duration::parse_go)]
    pub housekeeping_interval: Duration,

    /// cAdvisor's ceiling for the interval dynamic housekeeping grows to
    /// while a container's stats do not change. Stats here are never older
    /// than --housekeeping_interval, so they are within it.
    #[arg(long = "max_housekeeping_interval", value_name = "DURATION",
          default_value = "60s", value_parser = exporter_kit::duration::parse_go)]
    pub max_housekeeping_interval: Duration,

    /// Whether cAdvisor may lengthen a container's interval (up to
    /// --max_housekeeping_interval) while its stats stay equal. A permission,
    /// not a duty: here one read serves all cgroups and is never kept
    /// longer than --housekeeping_interval, as cAdvisor with false.
    #[arg(long = "allow_dynamic_housekeeping", default_value_t = true)]
    pub allow_dynamic_housekeeping: bool,

    /// Comma-separated list of metric groups to disable (replaces the
    /// default list). Options: advtcp,app,cpu,cpuLoad,cpu_topology,cpuset,
    /// disk,diskIO,hugetlb,memory,memory_numa,network,oom_event,perf_event,
    /// percpu,pressure,process,referenced_memory,resctrl,sched,tcp,udp.
    #[arg(long = "disable_metrics", value_name = "GROUPS",
          default_value = DEFAULT_DISABLED, value_parser = parse_metric_set)]
    pub disable_metrics: MetricSet,

    /// Comma-separated list of metric groups to enable; if set, overrides
    /// --disable_metrics.
    #[arg(long = "enable_metrics", value_name = "GROUPS", default_value = "",
          value_parser = parse_metric_set)]
    pub enable_metrics: MetricSet,

    /// Whether every container label becomes a `container_label_<name>`
    /// label on the container's metrics (cAdvisor's default). When false,
    /// only the labels in --whitelisted_container_labels do.
    #[arg(long = "store_container_labels", default_value_t = true)]
    pub store_container_labels: bool,

    /// Comma-separated container labels exported as
    /// `container_label_<name>` labels on every container metric; only
    /// with --store_container_labels=false, as in cAdvisor.
    #[arg(
        long = "whitelisted_container_labels",
        alias = "allowlisted_container_labels",
        value_name = "LABELS",
        default_value = ""
    )]
    pub whitelisted_container_labels: String,

    /// Where the cgroup hierarchies are mounted.
    #[arg(
        long = "path.cgroup",
        value_name = "PATH",
        default_value = "/sys/fs/cgroup"
    )]
    pub cgroup_path: PathBuf,

    /// procfs mountpoint (the host's, for network counters of containers).
    #[arg(long = "path.procfs", value_name = "PATH", default_value = "/proc")]
    pub procfs: PathBuf,

    /// Where the host's root filesystem is mounted (`/rootfs` when running
    /// in a container, as cAdvisor's images do): filesystem capacity.
    #[arg(long = "path.rootfs", value_name = "PATH", default_value = "/")]
    pub rootfs: PathBuf,

    /// sysfs mountpoint (device names of block devices).
    #[arg(long = "path.sysfs", value_name = "PATH", default_value = "/sys")]
    pub sysfs: PathBuf,
}

impl Args {
    /// The metric groups that are on: --enable_metrics if given, else every
    /// group minus --disable_metrics.
    pub fn included(&self) -> MetricSet {
        if !self.enable_metrics.0.is_empty() {
            return self.enable_metrics.clone();
        }
        MetricSet(
            ALL_METRICS
                .iter()
                .filter(|m| !self.disable_metrics.has(m))
                .map(|m| m.to_string())
                .collect(),
        )
    }

    /// Refuses a group this exporter does not produce when the flags turn
    /// it on: by name in `--enable_metrics`, or by leaving it out of a
    /// `--disable_metrics` list (cAdvisor's default list disables every
    /// such group).
    pub fn check_metric_groups(&self) -> Result<(), String> {
        let (flag, missing): (&str, Vec<&str>) = if self.enable_metrics.0.is_empty() {
            let missing = ALL_METRICS
                .iter()
                .copied()
                .filter(|g| !self.disable_metrics.has(g))
                .filter(|g| !PRODUCED.contains(g) && !SILENT_BY_DEFAULT.contains(g))
                .collect();
            ("--disable_metrics", missing)
        } else {
            let missing = self
                .enable_metrics
                .0
                .iter()
                .map(String::as_str)
                .filter(|g| !PRODUCED.contains(g))
                .collect();
            ("--enable_metrics", missing)
        };
        if missing.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{flag}: refused: it turns on {}, which this exporter does not produce \
             (groups produced: {}); keep them disabled",
            missing.join(","),
            PRODUCED.join(",")
        ))
    }

    /// Which container labels become metric labels.
    pub fn label_policy(&self) -> LabelPolicy {
        if self.store_container_labels {
            return LabelPolicy::All;
        }
        LabelPolicy::Only(
            self.whitelisted_container_labels
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }
}

/// Which of a container's labels become `container_label_<name>` labels:
/// cAdvisor's `DefaultContainerLabels` (all) and `BaseContainerLabels`
/// (the allowlisted ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelPolicy {
    All,
    Only(BTreeSet<String>),
}

impl LabelPolicy {
    pub fn keeps(&self, label: &str) -> bool {
        match self {
            LabelPolicy::All => true,
            LabelPolicy::Only(allowed) => allowed.contains(label),
        }
    }
}

/// cAdvisor's `--port` and `--prometheus_endpoint` become the kit's
/// `--web.listen-address` and `--web.telemetry-path` (kept when both are
/// given: the kit's flags win because they come later). Handles the
/// `--port N`, `--port=N`, `-port=N` spellings and `--listen_ip`.
pub fn translate(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    let mut out = Vec::with_capacity(argv.len());
    let mut port: Option<String> = None;
    let mut ip: Option<String> = None;
    let mut endpoint: Option<String> = None;
    let mut iter = argv.into_iter().enumerate().peekable();
    while let Some((i, arg)) = iter.next() {
        let Some(s) = arg.to_str().filter(|_| i > 0) else {
            out.push(arg);
            continue;
        };
        let bare = s.trim_start_matches('-');
        let dashes = s.len() - bare.len();
        let (key, inline) = match bare.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (bare, None),
        };
        let target = match key {
            "port" if dashes > 0 => &mut port,
            "listen_ip" if dashes > 0 => &mut ip,
            "prometheus_endpoint" if dashes > 0 => &mut endpoint,
            _ => {
                out.push(arg);
                continue;
            }
        };
        let value = match inline {
            Some(v) => Some(v),
            None => iter
                .next_if(|(_, a)| !a.to_str().is_some_and(|a| a.starts_with('-')))
                .and_then(|(_, a)| a.to_str().map(str::to_string)),
        };
        *target = value;
    }
    let mut extra = Vec::new();
    if port.is_some() || ip.is_some() {
        let host = ip.unwrap_or_default();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let port = port.unwrap_or_else(|| "8080".to_string());
        extra.push(OsString::from(format!(
            "--web.listen-address={host}:{port}"
        )));
    }
    if let Some(e) = endpoint {
        extra.push(OsString::from(format!("--web.telemetry-path={e}")));
    }
    // Inserted right after the program name so an explicit kit flag later
    // on the line wins.
    let at = out.len().min(1);
    out.splice(at..at, extra);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> Vec<String> {
        translate(args.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn port_and_endpoint_become_kit_flags() {
        assert_eq!(
            t(&[
                "x",
                "-port=9999",
                "--prometheus_endpoint",
                "/m",
                "--docker_only"
            ]),
            [
                "x",
                "--web.listen-address=:9999",
                "--web.telemetry-path=/m",
                "--docker_only"
            ]
        );
        assert_eq!(
            t(&["x", "--listen_ip=127.0.0.1", "--port", "1"]),
            ["x", "--web.listen-address=127.0.0.1:1"]
        );
        assert_eq!(t(&["x", "--docker_only"]), ["x", "--docker_only"]);
    }

    #[test]
    fn groups_not_produced_are_refused_when_turned_on() {
        let check = |argv: &[&str]| {
            exporter_kit::args::parse_from(&crate::SPEC, crate::COLLECTORS, argv)
                .map_err(|e| e.to_string())
                .and_then(|c| c.args.check_metric_groups())
        };
        // cAdvisor's default list, perf_event and app left on as there.
        assert_eq!(check(&["x"]), Ok(()));
        assert_eq!(
            check(&["x", &format!("--disable_metrics={DEFAULT_DISABLED},percpu")]),
            Ok(())
        );
        assert_eq!(
            check(&["x", "--enable_metrics=cpu,memory,process,tcp,udp"]),
            Ok(())
        );
        let err = check(&["x", "--enable_metrics=cpu,hugetlb,perf_event"]).unwrap_err();
        assert!(err.starts_with("--enable_metrics: refused"), "{err}");
        assert!(err.contains("turns on hugetlb,perf_event,"), "{err}");
        // A short list leaves tcp, udp, ... on.
        let err = check(&["x", "--disable_metrics=percpu,process"]).unwrap_err();
        assert!(err.starts_with("--disable_metrics: refused"), "{err}");
        assert!(
            err.contains(
                "turns on advtcp,cpu_topology,cpuset,hugetlb,memory_numa,referenced_memory,resctrl,"
            ),
            "{err}"
        );
    }

    #[test]
    fn label_policy_is_all_unless_store_container_labels_is_false() {
        let policy = |argv: &[&str]| {
            exporter_kit::args::parse_from(&crate::SPEC, crate::COLLECTORS, argv)
                .map(|c| c.args.label_policy())
                .ok()
        };
        assert_eq!(policy(&["x"]), Some(LabelPolicy::All));
        let only = policy(&[
            "x",
            "-store_container_labels=false",
            "--whitelisted_container_labels= a.b , a-b,c,,c",
        ]);
        assert_eq!(
            only,
            Some(LabelPolicy::Only(
                ["a.b", "a-b", "c"].map(String::from).into()
            ))
        );
        let Some(only) = only else { return };
        assert!(only.keeps("a-b") && !only.keeps("d"));
        assert!(LabelPolicy::All.keeps("anything"));
    }

    #[test]
    fn metric_sets() {
        assert!(parse_metric_set("cpu,bogus").is_err());
        let s = parse_metric_set("cpu, memory").unwrap_or_default();
        assert!(s.has("cpu") && s.has("memory") && !s.has("network"));
        assert_eq!(parse_metric_set(""), Ok(MetricSet::default()));
    }
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
