//! cAdvisor's `machine_*` families (CPU topology, memory, swap) and
//! `cadvisor_version_info`, from /proc and /sys.

use std::path::PathBuf;
use std::sync::Arc;

use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::DockerVersion;
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
    nvm_capacity: Desc,
    nvm_power: Desc,
    dimm_count: Desc,
    dimm_capacity: Desc,
    /// DIMMs by memory type: (type, count, bytes), read once at start.
    dimms: Vec<(String, u64, u64)>,
    scrape_error: Desc,
    version_info: Desc,
    docker: Arc<DockerVersion>,
}

const BASE: &[&str] = &["boot_id", "machine_id", "system_uuid"];

impl Machine {
    /// Reports the Docker engine's version from `docker` (none by default).
    pub fn docker_version(mut self, docker: Arc<DockerVersion>) -> Machine {
        self.docker = docker;
        self
    }

    pub fn new(procfs: PathBuf, sysfs: PathBuf, machine_id_files: Vec<PathBuf>) -> Machine {
        let dimms = dimms(&sysfs.join("devices/system/edac/mc"));
        Machine {
            docker: Arc::default(),
            dimms,
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
            books: Desc::gauge("machine_cpu_books", "Number of CPU books.", BASE),
            drawers: Desc::gauge("machine_cpu_drawers", "Number of CPU drawers.", BASE),
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
            nvm_capacity: Desc::gauge(
                "machine_nvm_capacity",
                "NVM capacity value labeled by NVM mode (memory mode or app direct mode).",
                &["mode", "boot_id", "machine_id", "system_uuid"],
            ),
            nvm_power: Desc::gauge(
                "machine_nvm_avg_power_budget_watts",
                "NVM power budget.",
                BASE,
            ),
            dimm_count: Desc::gauge(
                "machine_dimm_count",
                "Number of RAM DIMM (all types memory modules) value labeled by dimm type.",
                &["type", "boot_id", "machine_id", "system_uuid"],
            ),
            dimm_capacity: Desc::gauge(
                "machine_dimm_capacity_bytes",
                "Total RAM DIMM capacity (all types memory modules) value labeled by dimm type.",
                &["type", "boot_id", "machine_id", "system_uuid"],
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
        // Intel Optane (NVM) needs cAdvisor's libipmctl build; the stock
        // build, like this exporter, reports the families with 0.
        for mode in ["memory_mode", "app_direct_mode"] {
            let labels = [mode, base[0], base[1], base[2]];
            out.gauge(&self.nvm_capacity, &labels, 0.0);
        }
        out.gauge(&self.nvm_power, &base, 0.0);
        for (ty, count, bytes) in &self.dimms {
            let labels = [ty.as_str(), base[0], base[1], base[2]];
            out.gauge(&self.dimm_count, &labels, *count as f64);
            out.gauge(&self.dimm_capacity, &labels, *bytes as f64);
        }
        out.gauge(&self.scrape_error, &[], if error { 1.0 } else { 0.0 });
        let kernel = self
            .read(self.procfs.join("sys/kernel/osrelease"))
            .unwrap_or_default();
        let os = std::fs::read_to_string("/etc/os-release")
            .map(|t| os_version(&t))
            .unwrap_or_else(|_| "Unknown".to_string());
        let docker = self.docker.get().unwrap_or_default();
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

/// DIMMs by type from the EDAC sysfs API, as cAdvisor counts them:
/// `mcN/dimmM/dimm_mem_type` and `size` (MiB). No EDAC driver (VMs, many
/// ARM boards): no DIMMs, and no series, as in cAdvisor.
pub fn dimms(edac: &std::path::Path) -> Vec<(String, u64, u64)> {
    let numbered = |name: &str, prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let subdirs = |dir: &std::path::Path, prefix: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| numbered(n, prefix)))
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let mut by_type: Vec<(String, u64, u64)> = Vec::new();
    for mc in subdirs(edac, "mc") {
        for dimm in subdirs(&mc, "dimm") {
            let read = |f: &str| std::fs::read_to_string(dimm.join(f)).ok();
            let (Some(ty), Some(size)) = (read("dimm_mem_type"), read("size")) else {
                continue;
            };
            let Ok(mib) = size.trim().parse::<u64>() else {
                continue;
            };
            let ty = ty.trim();
            match by_type.iter_mut().find(|(t, _, _)| t == ty) {
                Some((_, count, bytes)) => {
                    *count += 1;
                    *bytes += mib * 1024 * 1024;
                }
                None => by_type.push((ty.to_string(), 1, mib * 1024 * 1024)),
            }
        }
    }
    by_type
}

pub fn build(args: &Args, ctx: &BuildContext) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(
        Machine::new(
            args.procfs.clone(),
            args.sysfs.clone(),
            vec!["/etc/machine-id".into(), "/var/lib/dbus/machine-id".into()],
        )
        .docker_version(ctx.get_or_insert_with(DockerVersion::default)),
    ))
}

#[cfg(test)]
mod tests {
    const CATALOG: &str = include_str!("../../../../catalog/upstream/cadvisor.tsv");

    #[test]
    fn help_is_cadvisors() {
        let m = super::Machine::new("/nonexistent".into(), "/nonexistent".into(), Vec::new());
        for d in [
            &m.cores,
            &m.physical,
            &m.sockets,
            &m.books,
            &m.drawers,
            &m.memory,
            &m.swap,
            &m.nvm_capacity,
            &m.nvm_power,
            &m.dimm_count,
            &m.dimm_capacity,
            &m.scrape_error,
            &m.version_info,
        ] {
            let row = CATALOG
                .lines()
                .find(|l| l.split('\t').next() == Some(d.name()))
                .unwrap_or_else(|| panic!("{} is not a cAdvisor family", d.name()));
            assert_eq!(row.split('\t').nth(5), Some(d.help()), "{}", d.name());
        }
    }

    #[test]
    fn os_release_pretty_name() {
        assert_eq!(
            super::os_version("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(super::os_version(""), "Unknown");
    }
}
