//! btrfs: filesystem allocation, devices and commit statistics from
//! /sys/fs/btrfs/<uuid>/.

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{glob_dir, is_dir, list_dir, read_attr, read_u64};

pub struct Btrfs {
    dir: PathBuf,
    info: Desc,
    global_rsv: Desc,
    reserved: Desc,
    size: Desc,
    used: Desc,
    ratio: Desc,
    device_size: Desc,
    commits: Desc,
    last_commit: Desc,
    max_commit: Desc,
    commit_seconds: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let layout = ["uuid", "block_group_type", "mode"];
    Ok(AnyCollector::blocking(Btrfs {
        dir: args.sys("fs/btrfs"),
        info: Desc::gauge(
            "node_btrfs_info",
            "Filesystem information",
            &["uuid", "label"],
        ),
        global_rsv: Desc::gauge(
            "node_btrfs_global_rsv_size_bytes",
            "Size of global reserve.",
            &["uuid"],
        ),
        reserved: Desc::gauge(
            "node_btrfs_reserved_bytes",
            "Amount of space reserved for a data type",
            &["uuid", "block_group_type"],
        ),
        size: Desc::gauge(
            "node_btrfs_size_bytes",
            "Amount of space allocated for a layout/data type",
            &layout,
        ),
        used: Desc::gauge(
            "node_btrfs_used_bytes",
            "Amount of used space by a layout/data type",
            &layout,
        ),
        ratio: Desc::gauge(
            "node_btrfs_allocation_ratio",
            "Data allocation ratio for a layout/data type",
            &layout,
        ),
        device_size: Desc::gauge(
            "node_btrfs_device_size_bytes",
            "Size of a device that is part of the filesystem.",
            &["uuid", "device"],
        ),
        commits: Desc::counter(
            "node_btrfs_commits_total",
            "The total number of commits that have occurred.",
            &["uuid"],
        ),
        last_commit: Desc::gauge(
            "node_btrfs_last_commit_seconds",
            "Duration of the most recent commit, in seconds.",
            &["uuid"],
        ),
        max_commit: Desc::gauge(
            "node_btrfs_max_commit_seconds",
            "Duration of the slowest commit, in seconds.",
            &["uuid"],
        ),
        commit_seconds: Desc::counter(
            "node_btrfs_commit_seconds_total",
            "Sum of the duration of all commits, in seconds.",
            &["uuid"],
        ),
    }))
}

/// How many bytes of raw space one byte of data takes in a profile.
fn allocation_ratio(mode: &str, devices: usize) -> f64 {
    let n = devices as f64;
    match mode {
        "dup" | "raid1" | "raid10" => 2.0,
        "raid1c3" => 3.0,
        "raid1c4" => 4.0,
        "raid5" if devices > 1 => n / (n - 1.0),
        "raid6" if devices > 2 => n / (n - 2.0),
        _ => 1.0,
    }
}

impl Btrfs {
    fn update_fs(&self, uuid: &str, d: &Path, out: &mut Emitter) {
        out.gauge(
            &self.info,
            &[uuid, &read_attr(&d.join("label")).unwrap_or_default()],
            1.0,
        );
        let alloc = d.join("allocation");
        if let Some(v) = read_u64(&alloc.join("global_rsv_size")) {
            out.gauge(&self.global_rsv, &[uuid], v as f64);
        }
        let devices = list_dir(&d.join("devices")).unwrap_or_default();
        for dev in &devices {
            // `size` is in 512-byte sectors.
            if let Some(sectors) = read_u64(&d.join("devices").join(dev).join("size")) {
                out.gauge(&self.device_size, &[uuid, dev], sectors as f64 * 512.0);
            }
        }
        for kind in ["data", "metadata", "system"] {
            let k = alloc.join(kind);
            if !is_dir(&k) {
                continue;
            }
            if let Some(v) = read_u64(&k.join("bytes_reserved")) {
                out.gauge(&self.reserved, &[uuid, kind], v as f64);
            }
            for mode in list_dir(&k).unwrap_or_default() {
                let m = k.join(&mode);
                if !is_dir(&m) {
                    continue;
                }
                let lv = [uuid, kind, mode.as_str()];
                if let Some(v) = read_u64(&m.join("total_bytes")) {
                    out.gauge(&self.size, &lv, v as f64);
                }
                if let Some(v) = read_u64(&m.join("used_bytes")) {
                    out.gauge(&self.used, &lv, v as f64);
                }
                out.gauge(&self.ratio, &lv, allocation_ratio(&mode, devices.len()));
            }
        }
        // Upstream exports the four commit series for every filesystem,
        // zero when commit_stats is absent (kernels before 6.0).
        let (mut commits, mut last, mut max, mut total) = (0.0, 0.0, 0.0, 0.0);
        if let Some(text) = read_attr(&d.join("commit_stats")) {
            for line in text.lines() {
                let mut f = line.split_whitespace();
                let (Some(key), Some(Ok(v))) = (f.next(), f.next().map(str::parse::<f64>)) else {
                    continue;
                };
                match key {
                    "commits" => commits = v,
                    "last_commit_ms" => last = v,
                    "max_commit_ms" => max = v,
                    "total_commit_ms" => total = v,
                    _ => {}
                }
            }
        }
        out.counter(&self.commits, &[uuid], commits);
        out.gauge(&self.last_commit, &[uuid], last / 1000.0);
        out.gauge(&self.max_commit, &[uuid], max / 1000.0);
        out.counter(&self.commit_seconds, &[uuid], total / 1000.0);
    }
}

impl Collector for Btrfs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = glob_dir(&self.dir)?;
        for entry in entries {
            let d = self.dir.join(&entry);
            // Filesystems are UUID directories; `features` is not one.
            if entry == "features" || !is_dir(&d.join("allocation")) {
                continue;
            }
            self.update_fs(&entry, &d, out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ratios() {
        assert_eq!(super::allocation_ratio("single", 1), 1.0);
        assert_eq!(super::allocation_ratio("raid1", 2), 2.0);
        assert_eq!(super::allocation_ratio("raid5", 4), 4.0 / 3.0);
        assert_eq!(super::allocation_ratio("raid6", 2), 1.0);
    }
}
