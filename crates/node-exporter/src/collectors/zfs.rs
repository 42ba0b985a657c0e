//! zfs: ZFS-on-Linux kstats from /proc/spl/kstat/zfs/ (ARC, DMU, ZIL, ...,
//! and per pool: io, datasets, state). Families are untyped, as upstream.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::kstat;
use crate::sysfs::{is_dir, list_dir, read_attr, read_source};

/// (kstat file, family prefix after node_zfs_)
const SUBSYSTEMS: &[(&str, &str)] = &[
    ("abdstats", "abd"),
    ("arcstats", "arc"),
    ("dbufstats", "dbuf"),
    ("dmu_tx", "dmu_tx"),
    ("dnodestats", "dnode"),
    ("fm", "fm"),
    ("vdev_cache_stats", "vdev_cache"),
    ("vdev_mirror_stats", "vdev_mirror"),
    ("xuio_stats", "xuio"),
    ("zfetchstats", "zfetch"),
    ("zil", "zil"),
];

const POOL_STATES: &[&str] = &[
    "degraded",
    "faulted",
    "offline",
    "online",
    "removed",
    "suspended",
    "unavail",
];

pub struct Zfs {
    dir: PathBuf,
    state: Desc,
    descs: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Zfs {
        dir: args.proc("spl/kstat/zfs"),
        state: Desc::gauge(
            "node_zfs_zpool_state",
            "kstat.zfs.misc.state",
            &["zpool", "state"],
        ),
        descs: Mutex::new(HashMap::new()),
    }))
}

impl Zfs {
    fn desc(&self, name: &str, labels: &[&str]) -> Option<Desc> {
        let mut cache = self.descs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(name) {
            return Some(d.clone());
        }
        let d = Desc::try_new(
            name,
            &format!("kstat.zfs.misc.{name}"),
            Kind::Untyped,
            labels,
        )
        .ok()?;
        cache.insert(name.to_string(), d.clone());
        Some(d)
    }
}

impl Collector for Zfs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = list_dir(&self.dir)?;
        let mut bad = 0;
        let mut found = false;
        for (file, prefix) in SUBSYSTEMS {
            let Some(text) = read_attr(&self.dir.join(file)) else {
                continue;
            };
            found = true;
            let (named, errors) = kstat::parse_named(&text);
            bad += errors.len();
            for (key, v) in &named.values {
                // fm's kstats are spelled with dashes (erpt-dropped); the
                // family name takes underscores, as upstream's.
                let key = key.replace('-', "_");
                if let Some(d) = self.desc(&format!("node_zfs_{prefix}_{key}"), &[]) {
                    out.untyped(&d, &[], *v);
                }
            }
        }
        for pool in entries.iter().filter(|e| is_dir(&self.dir.join(e))) {
            let p = self.dir.join(pool);
            if let Some(text) = read_attr(&p.join("io")) {
                match kstat::parse_io(&text) {
                    Ok(values) => {
                        for (key, v) in values {
                            if let Some(d) = self.desc(&format!("node_zfs_zpool_{key}"), &["zpool"])
                            {
                                out.untyped(&d, &[pool], v);
                            }
                        }
                    }
                    Err(_) => bad += 1,
                }
            }
            if let Some(state) = read_attr(&p.join("state")) {
                let state = state.to_lowercase();
                for s in POOL_STATES {
                    out.gauge(&self.state, &[pool, s], if *s == state { 1.0 } else { 0.0 });
                }
            }
            let Ok(files) = list_dir(&p) else { continue };
            for objset in files.iter().filter(|f| f.starts_with("objset-")) {
                let Ok(text) = read_source(&p.join(objset)) else {
                    continue;
                };
                let (named, errors) = kstat::parse_named(&text);
                bad += errors.len();
                let Some((_, dataset)) = named.texts.iter().find(|(k, _)| k == "dataset_name")
                else {
                    continue;
                };
                for (key, v) in &named.values {
                    let name = format!("node_zfs_zpool_dataset_{key}");
                    if let Some(d) = self.desc(&name, &["zpool", "dataset"]) {
                        out.untyped(&d, &[pool, dataset], *v);
                    }
                }
            }
        }
        if !found && entries.is_empty() {
            return Err(CollectError::NoData);
        }
        if bad > 0 {
            return Err(CollectError::parse(
                "zfs kstats",
                format!("{bad} bad line(s)"),
            ));
        }
        Ok(())
    }
}
