//! nvme: NVMe controllers and namespaces from /sys/class/nvme/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{is_dir, list_dir, read_attr, read_u64};

pub struct Nvme {
    dir: PathBuf,
    info: Desc,
    ns_info: Desc,
    ns_block: Desc,
    ns_size: Desc,
    ns_used: Desc,
    ns_capacity: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let ns = ["device", "nsid"];
    Ok(AnyCollector::blocking(Nvme {
        dir: args.sys("class/nvme"),
        info: Desc::gauge(
            "node_nvme_info",
            "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
            &[
                "device",
                "firmware_revision",
                "model",
                "serial",
                "state",
                "cntlid",
            ],
        ),
        ns_info: Desc::gauge(
            "node_nvme_namespace_info",
            "Information about NVMe namespaces. Value is always 1",
            &["device", "nsid", "ana_state"],
        ),
        ns_block: Desc::gauge(
            "node_nvme_namespace_logical_block_size_bytes",
            "Logical block size of the NVMe namespace in bytes.",
            &ns,
        ),
        ns_size: Desc::gauge(
            "node_nvme_namespace_size_bytes",
            "Size of the NVMe namespace in bytes.",
            &ns,
        ),
        ns_used: Desc::gauge(
            "node_nvme_namespace_used_bytes",
            "Used space of the NVMe namespace in bytes.",
            &ns,
        ),
        ns_capacity: Desc::gauge(
            "node_nvme_namespace_capacity_bytes",
            "Capacity of the NVMe namespace in bytes.",
            &ns,
        ),
    }))
}

impl Collector for Nvme {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for dev in list_dir(&self.dir)? {
            let d = self.dir.join(&dev);
            let attr = |f: &str| read_attr(&d.join(f)).unwrap_or_default();
            out.gauge(
                &self.info,
                &[
                    &dev,
                    &attr("firmware_rev"),
                    &attr("model"),
                    &attr("serial"),
                    &attr("state"),
                    &attr("cntlid"),
                ],
                1.0,
            );
            let Ok(entries) = list_dir(&d) else { continue };
            // Namespaces: nvme0n1 (or nvme0c0n1 with native multipath).
            for ns in entries
                .iter()
                .filter(|e| e.starts_with(&dev) && e.len() > dev.len())
            {
                let n = d.join(ns);
                if !is_dir(&n) {
                    continue;
                }
                let nsid = read_attr(&n.join("nsid"))
                    .unwrap_or_else(|| ns.rsplit('n').next().unwrap_or_default().to_string());
                let ana = read_attr(&n.join("ana_state")).unwrap_or_else(|| "optimized".into());
                out.gauge(&self.ns_info, &[&dev, &nsid, &ana], 1.0);
                let block = read_u64(&n.join("queue/logical_block_size"));
                if let Some(b) = block {
                    out.gauge(&self.ns_block, &[&dev, &nsid], b as f64);
                }
                // Upstream (procfs) reads `size` as a count of logical
                // blocks: size and capacity are both that count times the
                // logical block size (u64 arithmetic, as Go's).
                let size = read_u64(&n.join("size"));
                if let (Some(blocks), Some(b)) = (size, block) {
                    let bytes = blocks.wrapping_mul(b) as f64;
                    out.gauge(&self.ns_size, &[&dev, &nsid], bytes);
                    out.gauge(&self.ns_capacity, &[&dev, &nsid], bytes);
                }
                if let (Some(nuse), Some(b)) = (read_u64(&n.join("nuse")), block) {
                    out.gauge(&self.ns_used, &[&dev, &nsid], nuse.wrapping_mul(b) as f64);
                }
            }
        }
        Ok(())
    }
}
