//! node_nvmesubsystem_*: NVMe subsystems from /sys/class/nvme-subsystem/
//! (native NVMe multipath): identity, namespaces, and the state of each
//! controller (path) to the subsystem.

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_string};

/// The path states exported, sorted; any other kernel state is "unknown".
const STATES: [&str; 7] = [
    "connecting",
    "dead",
    "deleting",
    "live",
    "new",
    "resetting",
    "unknown",
];

/// A controller's `state` file -> one of STATES.
pub fn normalize_state(raw: &str) -> &'static str {
    match raw {
        "live" => "live",
        "connecting" => "connecting",
        "resetting" => "resetting",
        "dead" => "dead",
        "deleting" | "deleting (no IO)" => "deleting",
        "new" => "new",
        _ => "unknown",
    }
}

/// `nvme<digits>` (a controller) or `nvme<digits>n<digits>` (a namespace).
fn is_controller(name: &str) -> bool {
    name.strip_prefix("nvme")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

fn is_namespace(name: &str) -> bool {
    name.strip_prefix("nvme")
        .and_then(|r| r.split_once('n'))
        .is_some_and(|(c, n)| {
            [c, n]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

pub struct NvmeSubsystem {
    dir: PathBuf,
    info: Desc,
    namespace: Desc,
    paths: Desc,
    paths_live: Desc,
    path_state: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let d = |n: &str, h: &str, l: &[&str]| Desc::gauge(&format!("node_nvmesubsystem_{n}"), h, l);
    Ok(AnyCollector::blocking(NvmeSubsystem {
        dir: args.sys("class/nvme-subsystem"),
        info: d(
            "info",
            "Non-numeric information about an NVMe subsystem.",
            &["subsystem", "nqn", "model", "serial", "iopolicy"],
        ),
        namespace: d(
            "namespace_info",
            "A namespace of an NVMe subsystem.",
            &["subsystem", "device"],
        ),
        paths: d(
            "paths",
            "Number of controller paths to an NVMe subsystem.",
            &["subsystem"],
        ),
        paths_live: d(
            "paths_live",
            "Number of controller paths in the live state.",
            &["subsystem"],
        ),
        path_state: d(
            "path_state",
            "State of each controller path of an NVMe subsystem (1 for the current state).",
            &["subsystem", "controller", "transport", "state"],
        ),
    }))
}

fn read(path: &Path) -> Result<String, CollectError> {
    read_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| CollectError::io(path, e))
}

impl Collector for NvmeSubsystem {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut series = Emitter::new();
        for name in list_dir(&self.dir)? {
            if !name.starts_with("nvme-subsys") {
                continue;
            }
            let dir = self.dir.join(&name);
            let mut info = vec![name.clone()];
            for f in ["subsysnqn", "model", "serial", "iopolicy"] {
                info.push(read(&dir.join(f))?);
            }
            let info: Vec<&str> = info.iter().map(String::as_str).collect();
            series.gauge(&self.info, &info, 1.0);
            let (mut total, mut live) = (0.0, 0.0);
            for entry in list_dir(&dir)? {
                if is_controller(&entry) {
                    let c = dir.join(&entry);
                    let state = normalize_state(&read(&c.join("state"))?);
                    let transport = read(&c.join("transport"))?;
                    read(&c.join("address"))?;
                    total += 1.0;
                    if state == "live" {
                        live += 1.0;
                    }
                    for s in STATES {
                        let v = if s == state { 1.0 } else { 0.0 };
                        series.gauge(&self.path_state, &[&name, &entry, &transport, s], v);
                    }
                } else if is_namespace(&entry) {
                    series.gauge(&self.namespace, &[&name, &entry], 1.0);
                }
            }
            series.gauge(&self.paths, &[&name], total);
            series.gauge(&self.paths_live, &[&name], live);
        }
        // An unreadable subsystem fails the scan, as upstream's NVMeSubsystemClass().
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_states() {
        assert!(is_controller("nvme12") && !is_controller("nvme1n1") && !is_controller("nvme"));
        assert!(is_namespace("nvme0n1") && !is_namespace("nvme0") && !is_namespace("nvme0n"));
        assert_eq!(normalize_state("deleting (no IO)"), "deleting");
        assert_eq!(normalize_state("frozen"), "unknown");
    }
}
