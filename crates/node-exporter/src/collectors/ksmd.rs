//! node_ksmd_*: kernel samepage merging from /sys/kernel/mm/ksm/
//! (Documentation/admin-guide/mm/ksm.rst).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_string;

pub struct Ksmd {
    dir: PathBuf,
    /// (file, descriptor, divisor from the file's unit to the family's)
    files: Vec<(&'static str, Desc, f64)>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_ksmd_{n}"), h, &[]);
    Ok(AnyCollector::blocking(Ksmd {
        dir: args.sys("kernel/mm/ksm"),
        files: vec![
            (
                "full_scans",
                Desc::counter(
                    "node_ksmd_full_scans_total",
                    "How many times all mergeable areas have been scanned.",
                    &[],
                ),
                1.0,
            ),
            (
                "general_profit",
                g(
                    "general_profit_bytes",
                    "How effective is KSM. ksm_saved_pages * sizeof(page) - (all_rmap_items) * sizeof(rmap_item)",
                ),
                1.0,
            ),
            (
                "merge_across_nodes",
                g(
                    "merge_across_nodes",
                    "Specifies if pages from different NUMA nodes can be merged.",
                ),
                1.0,
            ),
            (
                "pages_shared",
                g("pages_shared", "How many shared pages are being used."),
                1.0,
            ),
            (
                "pages_sharing",
                g(
                    "pages_sharing",
                    "How many more sites are sharing them i.e. how much saved.",
                ),
                1.0,
            ),
            (
                "pages_to_scan",
                g(
                    "pages_to_scan",
                    "How many pages to scan before ksmd goes to sleep.",
                ),
                1.0,
            ),
            (
                "pages_unshared",
                g(
                    "pages_unshared",
                    "How many pages unique but repeatedly checked for merging.",
                ),
                1.0,
            ),
            (
                "pages_volatile",
                g(
                    "pages_volatile",
                    "How many pages changing too fast to be placed in a tree.",
                ),
                1.0,
            ),
            (
                "run",
                g("run", "The status of ksmd. stopped = 0, running = 1"),
                1.0,
            ),
            (
                "sleep_millisecs",
                g(
                    "sleep_seconds",
                    "How many seconds ksmd should sleep before next scan.",
                ),
                1000.0,
            ),
        ],
    }))
}

impl Collector for Ksmd {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for (file, desc, divisor) in &self.files {
            let path = self.dir.join(file);
            let text = match read_string(&path) {
                Ok(text) => text,
                // Older kernels lack some files (general_profit, pages_volatile).
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(CollectError::io(&path, err)),
            };
            let value: u64 = text
                .trim()
                .parse()
                .map_err(|e| CollectError::parse(path.display().to_string(), e))?;
            // Divided, as upstream divides milliseconds by 1000, so the
            // float is the same.
            out.value(desc, &[], value as f64 / divisor);
        }
        Ok(())
    }
}
