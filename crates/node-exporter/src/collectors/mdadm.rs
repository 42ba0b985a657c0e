//! mdadm: software RAID state from /proc/mdstat, plus raid_disks and
//! degraded from /sys/block/md*/md/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::mdstat;
use crate::sysfs::{list_dir, read_int, read_source};

pub struct Mdadm {
    mdstat: PathBuf,
    block: PathBuf,
    disks_required: Desc,
    disks: Desc,
    state: Desc,
    blocks: Desc,
    blocks_synced: Desc,
    raid_disks: Desc,
    degraded: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let dev = ["device"];
    Ok(AnyCollector::blocking(Mdadm {
        mdstat: args.proc("mdstat"),
        block: args.sys("block"),
        disks_required: Desc::gauge(
            "node_md_disks_required",
            "Total number of disks of device.",
            &dev,
        ),
        disks: Desc::gauge(
            "node_md_disks",
            "Number of active/failed/spare disks of device.",
            &["device", "state"],
        ),
        state: Desc::gauge(
            "node_md_state",
            "Indicates the state of md-device.",
            &["device", "state"],
        ),
        blocks: Desc::gauge("node_md_blocks", "Total number of blocks on device.", &dev),
        blocks_synced: Desc::gauge(
            "node_md_blocks_synced",
            "Number of blocks synced on device.",
            &dev,
        ),
        raid_disks: Desc::gauge(
            "node_md_raid_disks",
            "Number of raid disks on device.",
            &dev,
        ),
        degraded: Desc::gauge(
            "node_md_degraded",
            "Number of degraded disks on device.",
            &dev,
        ),
    }))
}

impl Collector for Mdadm {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.mdstat)?;
        let (mds, errors) = mdstat::parse(&text);
        for md in &mds {
            let n = md.name.as_str();
            out.gauge(&self.disks_required, &[n], md.disks_total as f64);
            out.gauge(&self.disks, &[n, "active"], md.disks_active as f64);
            out.gauge(&self.disks, &[n, "failed"], md.disks_failed as f64);
            out.gauge(&self.disks, &[n, "spare"], md.disks_spare as f64);
            for (kernel, label) in [
                ("active", "active"),
                ("inactive", "inactive"),
                ("recovering", "recovering"),
                ("resyncing", "resync"),
                ("checking", "check"),
            ] {
                let v = if md.state == kernel { 1.0 } else { 0.0 };
                out.gauge(&self.state, &[n, label], v);
            }
            out.gauge(&self.blocks, &[n], md.blocks_total as f64);
            out.gauge(&self.blocks_synced, &[n], md.blocks_synced as f64);
        }
        if let Ok(devices) = list_dir(&self.block) {
            for dev in devices.iter().filter(|d| d.starts_with("md")) {
                let md = self.block.join(dev).join("md");
                if let Some(v) = read_int(&md.join("raid_disks")) {
                    out.gauge(&self.raid_disks, &[dev], v as f64);
                }
                // Upstream reports every array's degraded count, 0 when the
                // file is absent (raid0, linear).
                if crate::sysfs::is_dir(&md) {
                    let v = read_int(&md.join("degraded")).unwrap_or(0);
                    out.gauge(&self.degraded, &[dev], v as f64);
                }
            }
        }
        if let Some(first) = errors.first() {
            return Err(CollectError::parse(
                self.mdstat.display().to_string(),
                format!("{} device(s) skipped; {first}", errors.len()),
            ));
        }
        Ok(())
    }
}
