//! zoneinfo: per node and zone memory watermarks and counters from
//! /proc/zoneinfo.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::zoneinfo::{self, FIELDS};
use crate::sysfs::read_source;

/// Family suffix for each kernel field of FIELDS (same order), and whether
/// it is a counter.
const NAMES: &[(&str, bool)] = &[
    ("nr_free_pages", false),
    ("min_pages", false),
    ("low_pages", false),
    ("high_pages", false),
    ("scanned_pages", false),
    ("spanned_pages", false),
    ("present_pages", false),
    ("managed_pages", false),
    ("nr_active_anon_pages", false),
    ("nr_inactive_anon_pages", false),
    ("nr_isolated_anon_pages", false),
    ("nr_anon_pages", false),
    ("nr_anon_transparent_hugepages", false),
    ("nr_active_file_pages", false),
    ("nr_inactive_file_pages", false),
    ("nr_isolated_file_pages", false),
    ("nr_file_pages", false),
    ("nr_slab_reclaimable_pages", false),
    ("nr_slab_unreclaimable_pages", false),
    ("nr_mlock_stack_pages", false),
    ("nr_kernel_stacks", false),
    ("nr_mapped_pages", false),
    ("nr_dirty_pages", false),
    ("nr_writeback_pages", false),
    ("nr_unevictable_pages", false),
    ("nr_shmem_pages", false),
    ("nr_dirtied_total", true),
    ("nr_written_total", true),
    ("numa_hit_total", true),
    ("numa_miss_total", true),
    ("numa_foreign_total", true),
    ("numa_interleave_total", true),
    ("numa_local_total", true),
    ("numa_other_total", true),
];

pub struct Zoneinfo {
    path: PathBuf,
    descs: Vec<Desc>,
    protection: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let labels = ["node", "zone"];
    let descs = FIELDS
        .iter()
        .zip(NAMES)
        .map(|(field, (name, counter))| {
            let full = format!("node_zoneinfo_{name}");
            let help = format!("Zone information {field}");
            if *counter {
                Desc::counter(&full, &help, &labels)
            } else {
                Desc::gauge(&full, &help, &labels)
            }
        })
        .collect();
    Ok(AnyCollector::blocking(Zoneinfo {
        path: args.proc("zoneinfo"),
        descs,
        protection: (0..8)
            .map(|i| {
                Desc::gauge(
                    &format!("node_zoneinfo_protection_{i}"),
                    &format!("Protection array {i}. field"),
                    &labels,
                )
            })
            .collect(),
    }))
}

impl Collector for Zoneinfo {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let zones = zoneinfo::parse(&text);
        for z in &zones {
            let lv = [z.node.as_str(), z.zone.as_str()];
            for (field, v) in &z.values {
                if let Some(i) = FIELDS.iter().position(|f| f == field) {
                    out.value(&self.descs[i], &lv, *v);
                }
            }
            for (i, v) in z.protection.iter().enumerate() {
                let desc = match self.protection.get(i) {
                    Some(d) => d.clone(),
                    None => Desc::gauge(
                        &format!("node_zoneinfo_protection_{i}"),
                        &format!("Protection array {i}. field"),
                        &["node", "zone"],
                    ),
                };
                out.gauge(&desc, &lv, *v);
            }
        }
        Ok(())
    }
}
