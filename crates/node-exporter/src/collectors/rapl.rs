//! rapl: RAPL energy counters from /sys/class/powercap/.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::hwmon::clean_name;
use crate::sysfs::{list_dir, read_attr, read_u64};

#[derive(clap::Args, Debug, Clone)]
pub struct RaplArgs {
    /// Expose one family node_rapl_joules_total with a rapl_zone label
    /// instead of one family per zone.
    #[arg(long = "collector.rapl.enable-zone-label")]
    pub rapl_enable_zone_label: bool,
}

pub struct Rapl {
    dir: PathBuf,
    zone_label: bool,
    joules: Desc,
    per_zone: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Rapl {
        dir: args.sys("class/powercap"),
        zone_label: args.rapl.rapl_enable_zone_label,
        joules: Desc::counter(
            "node_rapl_joules_total",
            "Current RAPL value in joules",
            &["index", "path", "rapl_zone"],
        ),
        per_zone: Mutex::new(HashMap::new()),
    }))
}

/// `package-0` -> (0, "package"); `dram` -> (times seen, "dram").
fn index_and_name(seen: &HashMap<String, usize>, name: &str) -> (usize, String) {
    let parts: Vec<&str> = name.split('-').collect();
    if parts.len() == 2
        && let Ok(i) = parts[1].parse::<usize>()
    {
        return (i, parts[0].to_string());
    }
    (seen.get(name).copied().unwrap_or(0), name.to_string())
}

impl Rapl {
    fn zone_desc(&self, zone: &str) -> Option<Desc> {
        let mut cache = self.per_zone.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(zone) {
            return Some(d.clone());
        }
        let d = Desc::try_new(
            &format!("node_rapl_{}_joules_total", clean_name(zone)),
            &format!("Current RAPL {zone} value in joules"),
            exporter_kit::Kind::Counter,
            &["index", "path"],
        )
        .ok()?;
        cache.insert(zone.to_string(), d.clone());
        Some(d)
    }
}

impl Collector for Rapl {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for entry in list_dir(&self.dir)? {
            let d = self.dir.join(&entry);
            let Some(raw_name) = read_attr(&d.join("name")) else {
                continue;
            };
            let (index, name) = index_and_name(&seen, &raw_name);
            seen.insert(name.clone(), index + 1);
            // energy_uj is root-only on recent kernels: that zone is skipped.
            let Some(uj) = read_u64(&d.join("energy_uj")) else {
                tracing::debug!(path = %d.display(), "cannot read energy_uj");
                continue;
            };
            let joules = uj as f64 / 1e6;
            let idx = index.to_string();
            let path = d.to_string_lossy();
            if self.zone_label {
                out.counter(&self.joules, &[&idx, &path, &name], joules);
            } else if let Some(desc) = self.zone_desc(&name) {
                out.counter(&desc, &[&idx, &path], joules);
            }
        }
        Ok(())
    }
}
