//! cAdvisor's `machine_*` families (CPU topology, memory, swap) and
//! `cadvisor_version_info`, from /proc and /sys.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse;

pub struct Machine {
    procfs: PathBuf,
    sysfs: PathBuf,
    machine_id_files: Vec<PathBuf>,
    cores: Desc,
    physical: Desc,
    sockets: Desc,
    books: Desc,
    drawers: Desc,
    memory: Desc,
    swap: Desc,
    scrape_error: Desc,
    version_info: Desc,
}

const BASE: &[&str] = &["boot_id", "machine_id", "system_uuid"];

impl Machine {
    pub fn new(procfs: PathBuf, sysfs: PathBuf, machine_id_files: Vec<PathBuf>) -> Machine {
        Machine {
            procfs,
            sysfs,
            machine_id_files,
            cores: Desc::gauge("machine_cpu_cores", "Number of logical CPU cores.", BASE),
            physical: Desc::gauge(
                "machine_cpu_physical_cores",
                "Number of physical CPU cores.",
                BASE,
            ),
            sockets: Desc::gauge("machine_cpu_sockets", "Number of CPU sockets.", BASE),
            books: Desc::gauge(
                "machine_cpu_books",
                "Number of CPU books (s390; 0 elsewhere).",
                BASE,
            ),
            drawers: Desc::gauge(
                "machine_cpu_drawers",
                "Number of CPU drawers (s390; 0 elsewhere).",
                BASE,
            ),
            memory: Desc::gauge(
                "machine_memory_bytes",
                "Amount of memory installed on the machine.",
                BASE,
            ),
            swap: Desc::gauge(
                "machine_swap_bytes",
                "Amount of swap memory available on the machine.",
                BASE,
            ),
            scrape_error: Desc::gauge(
                "machine_scrape_error",
                "1 if there was an error while getting machine metrics, 0 otherwise.",
                &[],
            ),
            version_info: Desc::gauge(
                "cadvisor_version_info",
                "A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
                &[
                    "cadvisorRevision",
                    "cadvisorVersion",
                    "dockerVersion",
                    "kernelVersion",
                    "osVersion",
                ],
            ),
        }
    }

    /// Distinct values of `topology/<file>` over the CPUs (s390 books and
    /// drawers); 0 where the kernel has no such level.
    fn distinct_topology(&self, file: &str) -> usize {
        let mut ids = std::collections::HashSet::new();
        let Ok(entries) = std::fs::read_dir(self.sysfs.join("devices/system/cpu")) else {
            return 0;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let is_cpu = name
                .strip_prefix("cpu")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if is_cpu && let Some(id) = self.read(entry.path().join("topology").join(file)) {
                ids.insert(id);
            }
        }
        ids.len()
    }

    fn read(&self, path: PathBuf) -> Option<String> {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    }
}

fn os_version(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Unknown".to_string())
}

impl Collector for Machine {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let boot_id = self
            .read(self.procfs.join("sys/kernel/random/boot_id"))
            .unwrap_or_default();
        let machine_id = self
            .machine_id_files
            .iter()
            .find_map(|p| self.read(p.clone()))
            .unwrap_or_default();
        let uuid = self
            .read(self.sysfs.join("class/dmi/id/product_uuid"))
            .unwrap_or_default();
        let base = [boot_id.as_str(), machine_id.as_str(), uuid.as_str()];
        let mut error = false;
        match std::fs::read_to_string(self.procfs.join("cpuinfo")) {
            Ok(text) => {
                let t = parse::cpuinfo(&text);
                out.gauge(&self.cores, &base, t.logical as f64);
                out.gauge(&self.physical, &base, t.physical as f64);
                out.gauge(&self.sockets, &base, t.sockets as f64);
                out.gauge(&self.books, &base, self.distinct_topology("book_id") as f64);
                out.gauge(
                    &self.drawers,
                    &base,
                    self.distinct_topology("drawer_id") as f64,
                );
            }
            Err(_) => error = true,
        }
        match std::fs::read_to_string(self.procfs.join("meminfo")) {
            Ok(text) => {
                let (mem, swap) = parse::meminfo(&text);
                if let Some(m) = mem {
                    out.gauge(&self.memory, &base, m as f64);
                }
                out.gauge(&self.swap, &base, swap.unwrap_or(0) as f64);
            }
            Err(_) => error = true,
        }
        out.gauge(&self.scrape_error, &[], if error { 1.0 } else { 0.0 });
        let kernel = self
            .read(self.procfs.join("sys/kernel/osrelease"))
            .unwrap_or_default();
        let os = std::fs::read_to_string("/etc/os-release")
            .map(|t| os_version(&t))
            .unwrap_or_else(|_| "Unknown".to_string());
        let docker = crate::docker_version().unwrap_or_default();
        out.gauge(
            &self.version_info,
            &[
                exporter_kit::build_info::REVISION,
                exporter_kit::build_info::VERSION,
                &docker,
                &kernel,
                &os,
            ],
            1.0,
        );
        Ok(())
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Machine::new(
        args.procfs.clone(),
        args.sysfs.clone(),
        vec!["/etc/machine-id".into(), "/var/lib/dbus/machine-id".into()],
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn os_release_pretty_name() {
        assert_eq!(
            super::os_version("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(super::os_version(""), "Unknown");
    }
}
