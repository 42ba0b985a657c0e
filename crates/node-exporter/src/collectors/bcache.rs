//! bcache: cache sets, their backing and cache devices from /sys/fs/bcache/.

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::bcache::{dehumanize, writeback_rate_debug};
use crate::sysfs::{glob_dir, is_dir, list_dir, read_attr};

#[derive(clap::Args, Debug, Clone)]
pub struct BcacheArgs {
    /// Expose expensive priority stats.
    #[arg(long = "collector.bcache.priorityStats")]
    pub bcache_priority_stats: bool,
}

/// Per cache set: (file, family, factor, counter?)
const SET: &[(&str, &str, f64, bool)] = &[
    ("average_key_size", "average_key_size_sectors", 1.0, false),
    ("btree_cache_size", "btree_cache_size_bytes", 1.0, false),
    (
        "cache_available_percent",
        "cache_available_percent",
        1.0,
        false,
    ),
    ("congested", "congested", 1.0, false),
    ("root_usage_percent", "root_usage_percent", 1.0, false),
    ("tree_depth", "tree_depth", 1.0, false),
    (
        "internal/active_journal_entries",
        "active_journal_entries",
        1.0,
        false,
    ),
    ("internal/btree_nodes", "btree_nodes", 1.0, false),
    (
        "internal/btree_read_average_duration_us",
        "btree_read_average_duration_seconds",
        // Upstream (procfs) takes this file as nanoseconds despite its
        // name; the same factor keeps the series identical.
        1e-9,
        false,
    ),
    (
        "internal/cache_read_races",
        "cache_read_races_total",
        1.0,
        true,
    ),
];

/// Per backing device, from stats_total/.
const BDEV_STATS: &[(&str, &str)] = &[
    ("bypassed", "bypassed_bytes_total"),
    ("cache_bypass_hits", "cache_bypass_hits_total"),
    ("cache_bypass_misses", "cache_bypass_misses_total"),
    ("cache_hits", "cache_hits_total"),
    ("cache_miss_collisions", "cache_miss_collisions_total"),
    ("cache_misses", "cache_misses_total"),
    ("cache_readaheads", "cache_readaheads_total"),
];

/// Per backing device, from writeback_rate_debug: (key, family).
const WRITEBACK: &[(&str, &str)] = &[
    ("target", "dirty_target_bytes"),
    ("rate", "writeback_rate"),
    ("proportional", "writeback_rate_proportional_term"),
    ("integral", "writeback_rate_integral_term"),
    ("change", "writeback_change"),
];

pub struct Bcache {
    dir: PathBuf,
    priority_stats: bool,
    set: Vec<Desc>,
    dirty_data: Desc,
    bdev_stats: Vec<Desc>,
    writeback: Vec<Desc>,
    io_errors: Desc,
    metadata_written: Desc,
    written: Desc,
    prio_unused: Desc,
    prio_metadata: Desc,
}

fn desc(name: &str, counter: bool, labels: &[&str]) -> Desc {
    let full = format!("node_bcache_{name}");
    let help = format!("bcache {name}.");
    if counter {
        Desc::counter(&full, &help, labels)
    } else {
        Desc::gauge(&full, &help, labels)
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let bdev = ["backing_device", "uuid"];
    let cache = ["cache_device", "uuid"];
    Ok(AnyCollector::blocking(Bcache {
        dir: args.sys("fs/bcache"),
        priority_stats: args.bcache.bcache_priority_stats,
        set: SET
            .iter()
            .map(|(_, n, _, c)| desc(n, *c, &["uuid"]))
            .collect(),
        dirty_data: desc("dirty_data_bytes", false, &bdev),
        bdev_stats: BDEV_STATS
            .iter()
            .map(|(_, n)| desc(n, true, &bdev))
            .collect(),
        writeback: WRITEBACK
            .iter()
            .map(|(_, n)| desc(n, false, &bdev))
            .collect(),
        io_errors: desc("io_errors", false, &cache),
        metadata_written: desc("metadata_written_bytes_total", true, &cache),
        written: desc("written_bytes_total", true, &cache),
        prio_unused: desc("priority_stats_unused_percent", false, &cache),
        prio_metadata: desc("priority_stats_metadata_percent", false, &cache),
    }))
}

fn value(path: &Path) -> Option<f64> {
    read_attr(path).and_then(|s| dehumanize(&s))
}

impl Bcache {
    fn update_set(&self, uuid: &str, d: &Path, out: &mut Emitter) {
        for ((file, _, factor, _), desc) in SET.iter().zip(&self.set) {
            if let Some(v) = value(&d.join(file)) {
                out.value(desc, &[uuid], v * factor);
            }
        }
        for entry in list_dir(d).unwrap_or_default() {
            let e = d.join(&entry);
            if entry.starts_with("bdev") {
                let lv = [entry.as_str(), uuid];
                if let Some(v) = value(&e.join("dirty_data")) {
                    out.gauge(&self.dirty_data, &lv, v);
                }
                for ((file, _), desc) in BDEV_STATS.iter().zip(&self.bdev_stats) {
                    if let Some(v) = value(&e.join("stats_total").join(file)) {
                        out.counter(desc, &lv, v);
                    }
                }
                let debug = read_attr(&e.join("writeback_rate_debug")).unwrap_or_default();
                let debug = writeback_rate_debug(&debug);
                for ((key, _), desc) in WRITEBACK.iter().zip(&self.writeback) {
                    if let Some((_, v)) = debug.iter().find(|(k, _)| k == key) {
                        out.gauge(desc, &lv, *v);
                    }
                }
            } else if entry.starts_with("cache")
                && entry[5..].bytes().all(|b| b.is_ascii_digit())
                && entry.len() > 5
            {
                let lv = [entry.as_str(), uuid];
                if let Some(v) = value(&e.join("io_errors")) {
                    out.gauge(&self.io_errors, &lv, v);
                }
                if let Some(v) = value(&e.join("metadata_written")) {
                    out.counter(&self.metadata_written, &lv, v);
                }
                if let Some(v) = value(&e.join("written")) {
                    out.counter(&self.written, &lv, v);
                }
                if self.priority_stats {
                    let text = read_attr(&e.join("priority_stats")).unwrap_or_default();
                    for line in text.lines() {
                        let Some((k, v)) = line.split_once(':') else {
                            continue;
                        };
                        let Ok(v) = v.trim().trim_end_matches('%').parse::<f64>() else {
                            continue;
                        };
                        match k.trim() {
                            "Unused" => out.gauge(&self.prio_unused, &lv, v),
                            "Metadata" => out.gauge(&self.prio_metadata, &lv, v),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

impl Collector for Bcache {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = glob_dir(&self.dir)?;
        for entry in entries {
            let d = self.dir.join(&entry);
            // Cache sets are UUID directories; `register` and friends are files.
            if !is_dir(&d) {
                continue;
            }
            self.update_set(&entry, &d, out);
        }
        Ok(())
    }
}
