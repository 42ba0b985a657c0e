//! node_dmmultipath_*: device-mapper multipath devices (dm-* whose
//! dm/uuid starts with `mpath-`) and the state of each of their paths, from
//! /sys/block/.

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_string};

pub struct DmMultipath {
    block: PathBuf,
    info: Desc,
    active: Desc,
    size: Desc,
    paths: Desc,
    paths_active: Desc,
    paths_failed: Desc,
    path_state: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let dev = |n: &str, h: &str| {
        Desc::gauge(
            &format!("node_dmmultipath_{n}"),
            h,
            &["device", "sysfs_name"],
        )
    };
    Ok(AnyCollector::blocking(DmMultipath {
        block: args.sys("block"),
        info: Desc::gauge(
            "node_dmmultipath_device_info",
            "Information about a DM-multipath device.",
            &["device", "sysfs_name", "uuid"],
        ),
        active: dev(
            "device_active",
            "Whether the multipath device is active (1) or suspended (0).",
        ),
        size: dev(
            "device_size_bytes",
            "Size of the multipath device in bytes.",
        ),
        paths: dev("device_paths", "Number of paths of the multipath device."),
        paths_active: dev(
            "device_paths_active",
            "Number of active (running or live) paths of the multipath device.",
        ),
        paths_failed: dev(
            "device_paths_failed",
            "Number of paths of the multipath device that are not active.",
        ),
        path_state: Desc::gauge(
            "node_dmmultipath_path_state",
            "State of each path of a multipath device, from its SCSI device state.",
            &["device", "path", "state"],
        ),
    }))
}

fn read(path: &Path) -> Result<String, CollectError> {
    read_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| CollectError::io(path, e))
}

fn read_u64(path: &Path) -> Result<u64, CollectError> {
    read(path)?
        .parse()
        .map_err(|e| CollectError::parse(path.display().to_string(), e))
}

impl Collector for DmMultipath {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut series = Emitter::new();
        for dm in list_dir(&self.block)? {
            if !dm.starts_with("dm-") {
                continue;
            }
            let dir = self.block.join(&dm);
            let uuid = match read_string(&dir.join("dm/uuid")) {
                Ok(uuid) => uuid.trim().to_string(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(CollectError::io(dir.join("dm/uuid"), e)),
            };
            if !uuid.starts_with("mpath-") {
                continue;
            }
            let name = read(&dir.join("dm/name"))?;
            let suspended = read_u64(&dir.join("dm/suspended"))? == 1;
            // `size` counts 512-byte sectors whatever the device's block size.
            let bytes = read_u64(&dir.join("size"))?.wrapping_mul(512);
            let slaves = match list_dir(&dir.join("slaves")) {
                Ok(slaves) => slaves,
                Err(CollectError::NoData) => Vec::new(),
                Err(e) => return Err(e),
            };
            let labels = [name.as_str(), dm.as_str()];
            series.gauge(&self.info, &[&name, &dm, &uuid], 1.0);
            series.gauge(&self.active, &labels, if suspended { 0.0 } else { 1.0 });
            series.gauge(&self.size, &labels, bytes as f64);
            let (mut active, mut failed) = (0.0, 0.0);
            for path in &slaves {
                let state = read(&self.block.join(path).join("device/state"))?;
                if state == "running" || state == "live" {
                    active += 1.0;
                } else {
                    failed += 1.0;
                }
                series.gauge(&self.path_state, &[&name, path, &state], 1.0);
            }
            series.gauge(&self.paths, &labels, slaves.len() as f64);
            series.gauge(&self.paths_active, &labels, active);
            series.gauge(&self.paths_failed, &labels, failed);
        }
        // A device whose files cannot be read fails the whole scan, as
        // upstream's DMMultipathDevices() does.
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }
}
