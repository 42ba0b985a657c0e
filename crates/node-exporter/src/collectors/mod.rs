//! The collector table: one row per collector, named as upstream names it.
//! The name is the file, the `--collector.<name>` flag and the
//! `collector="<name>"` label.

use std::path::Path;

use exporter_kit::{BuildError, CollectError, Registration};
use regex::Regex;

use crate::args::Args;

pub mod arp;
pub mod conntrack;
pub mod cpu;
pub mod diskstats;
pub mod entropy;
pub mod filefd;
pub mod filesystem;
pub mod loadavg;
pub mod meminfo;
pub mod netdev;
pub mod netstat;
pub mod os;
pub mod pressure;
pub mod schedstat;
pub mod sockstat;
pub mod softnet;
pub mod stat;
pub mod textfile;
pub mod time;
pub mod timex;
pub mod udp_queues;
pub mod uname;
pub mod vmstat;

pub const COLLECTORS: &[Registration<Args>] = &[
    Registration::new(
        "arp",
        true,
        "ARP statistics from /proc/net/arp.",
        arp::build,
    ),
    Registration::new("conntrack", true, "conntrack statistics.", conntrack::build),
    Registration::new("cpu", true, "CPU time from /proc/stat.", cpu::build),
    Registration::new("diskstats", true, "Disk I/O statistics.", diskstats::build),
    Registration::new("entropy", true, "Available entropy.", entropy::build),
    Registration::new("filefd", true, "File descriptor statistics.", filefd::build),
    Registration::new(
        "filesystem",
        true,
        "Filesystem statistics (statfs).",
        filesystem::build,
    ),
    Registration::new("loadavg", true, "Load average.", loadavg::build),
    Registration::new(
        "meminfo",
        true,
        "Memory statistics from /proc/meminfo.",
        meminfo::build,
    ),
    Registration::new("netdev", true, "Network device statistics.", netdev::build),
    Registration::new(
        "netstat",
        true,
        "Network statistics from /proc/net/{netstat,snmp,snmp6}.",
        netstat::build,
    ),
    Registration::new("os", true, "OS release information.", os::build),
    Registration::new(
        "pressure",
        true,
        "Pressure stall information.",
        pressure::build,
    ),
    Registration::new("schedstat", true, "Scheduler statistics.", schedstat::build),
    Registration::new("sockstat", true, "Socket statistics.", sockstat::build),
    Registration::new("softnet", true, "Softnet statistics.", softnet::build),
    Registration::new(
        "stat",
        true,
        "Kernel statistics from /proc/stat.",
        stat::build,
    ),
    Registration::new(
        "textfile",
        true,
        "Metrics from *.prom text files.",
        textfile::build,
    ),
    Registration::new("time", true, "The current system time.", time::build),
    Registration::new(
        "timex",
        true,
        "Kernel clock state (adjtimex).",
        timex::build,
    ),
    Registration::new("udp_queues", true, "UDP queue lengths.", udp_queues::build),
    Registration::new(
        "uname",
        true,
        "uname system call information.",
        uname::build,
    ),
    Registration::new(
        "vmstat",
        true,
        "Statistics from /proc/vmstat.",
        vmstat::build,
    ),
];

/// Reads a whole file; a missing file is the collector's `NoData`
/// (no such hardware or kernel feature), as upstream logs it at debug level.
pub(crate) fn read(path: &Path) -> Result<String, CollectError> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            tracing::debug!(path = %path.display(), "not found");
            CollectError::NoData
        } else {
            CollectError::io(path, e)
        }
    })
}

/// A regex flag, compiled once; a bad pattern is a startup error.
pub(crate) fn regex_flag(flag: &str, pattern: Option<&str>) -> Result<Option<Regex>, BuildError> {
    match pattern {
        None | Some("") => Ok(None),
        Some(p) => Regex::new(p)
            .map(Some)
            .map_err(|e| BuildError::new(format!("--{flag}: {e}"))),
    }
}

/// Upstream's include/exclude pair: at most one may be set.
#[derive(Debug, Clone)]
pub(crate) struct DeviceFilter {
    include: Option<Regex>,
    exclude: Option<Regex>,
}

impl DeviceFilter {
    pub(crate) fn new(
        name: &str,
        include: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<DeviceFilter, BuildError> {
        let include = regex_flag(&format!("collector.{name}.device-include"), include)?;
        let exclude = regex_flag(&format!("collector.{name}.device-exclude"), exclude)?;
        if include.is_some() && exclude.is_some() {
            return Err(BuildError::new(format!(
                "--collector.{name}.device-include and --collector.{name}.device-exclude are mutually exclusive"
            )));
        }
        Ok(DeviceFilter { include, exclude })
    }

    pub(crate) fn ignored(&self, device: &str) -> bool {
        if let Some(inc) = &self.include {
            return !inc.is_match(device);
        }
        self.exclude.as_ref().is_some_and(|e| e.is_match(device))
    }
}
