//! xfs: per-filesystem XFS statistics from /sys/fs/xfs/<device>/stats/stats.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::rpc;
use crate::sysfs::{glob_dir, read_attr};

/// (stats line, field index, family)
const FIELDS: &[(&str, usize, &str)] = &[
    (
        "extent_alloc",
        0,
        "extent_allocation_extents_allocated_total",
    ),
    (
        "extent_alloc",
        1,
        "extent_allocation_blocks_allocated_total",
    ),
    ("extent_alloc", 2, "extent_allocation_extents_freed_total"),
    ("extent_alloc", 3, "extent_allocation_blocks_freed_total"),
    ("abt", 0, "allocation_btree_lookups_total"),
    ("abt", 1, "allocation_btree_compares_total"),
    ("abt", 2, "allocation_btree_records_inserted_total"),
    ("abt", 3, "allocation_btree_records_deleted_total"),
    ("blk_map", 0, "block_mapping_reads_total"),
    ("blk_map", 1, "block_mapping_writes_total"),
    ("blk_map", 2, "block_mapping_unmaps_total"),
    ("blk_map", 3, "block_mapping_extent_list_insertions_total"),
    ("blk_map", 4, "block_mapping_extent_list_deletions_total"),
    ("blk_map", 5, "block_mapping_extent_list_lookups_total"),
    ("blk_map", 6, "block_mapping_extent_list_compares_total"),
    ("bmbt", 0, "block_map_btree_lookups_total"),
    ("bmbt", 1, "block_map_btree_compares_total"),
    ("bmbt", 2, "block_map_btree_records_inserted_total"),
    ("bmbt", 3, "block_map_btree_records_deleted_total"),
    ("dir", 0, "directory_operation_lookup_total"),
    ("dir", 1, "directory_operation_create_total"),
    ("dir", 2, "directory_operation_remove_total"),
    ("dir", 3, "directory_operation_getdents_total"),
    ("ig", 0, "inode_operation_attempts_total"),
    ("ig", 1, "inode_operation_found_total"),
    ("ig", 2, "inode_operation_recycled_total"),
    ("ig", 3, "inode_operation_missed_total"),
    ("ig", 4, "inode_operation_duplicates_total"),
    ("ig", 5, "inode_operation_reclaims_total"),
    ("ig", 6, "inode_operation_attribute_changes_total"),
    ("rw", 0, "write_calls_total"),
    ("rw", 1, "read_calls_total"),
    ("vnodes", 0, "vnode_active_total"),
    ("vnodes", 1, "vnode_allocate_total"),
    ("vnodes", 2, "vnode_get_total"),
    ("vnodes", 3, "vnode_hold_total"),
    ("vnodes", 4, "vnode_release_total"),
    ("vnodes", 5, "vnode_reclaim_total"),
    ("vnodes", 6, "vnode_remove_total"),
];

pub struct Xfs {
    dir: PathBuf,
    descs: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let descs = FIELDS
        .iter()
        .map(|(line, idx, name)| {
            Desc::counter(
                &format!("node_xfs_{name}"),
                &format!("XFS statistic {line} field {idx}."),
                &["device"],
            )
        })
        .collect();
    Ok(AnyCollector::blocking(Xfs {
        dir: args.sys("fs/xfs"),
        descs,
    }))
}

impl Collector for Xfs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut bad = 0;
        let entries = glob_dir(&self.dir)?;
        for dev in entries {
            // /sys/fs/xfs/stats holds the global totals, not a device.
            if dev == "stats" {
                continue;
            }
            let Some(text) = read_attr(&self.dir.join(&dev).join("stats/stats")) else {
                continue;
            };
            let (m, errors) = rpc::parse(&text);
            bad += errors.len();
            for ((line, idx, _), desc) in FIELDS.iter().zip(&self.descs) {
                if let Some(v) = m.get(*line).and_then(|v| v.get(*idx)) {
                    out.counter(desc, &[&dev], *v);
                }
            }
        }
        if bad > 0 {
            return Err(CollectError::parse(
                "xfs stats",
                format!("{bad} bad line(s)"),
            ));
        }
        Ok(())
    }
}
