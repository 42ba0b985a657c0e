//! cgroups: controllers, their cgroup counts and whether they are enabled,
//! from /proc/cgroups.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

pub struct Cgroups {
    path: PathBuf,
    cgroups: Desc,
    enabled: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Cgroups {
        path: args.proc("cgroups"),
        cgroups: Desc::gauge(
            "node_cgroups_cgroups",
            "Current cgroup number of the subsystem.",
            &["subsys_name"],
        ),
        enabled: Desc::gauge(
            "node_cgroups_enabled",
            "Current cgroup number of the subsystem.",
            &["subsys_name"],
        ),
    }))
}

impl Collector for Cgroups {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let mut bad = 0;
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            match (
                f.first(),
                f.get(2).and_then(|v| v.parse::<f64>().ok()),
                f.get(3).and_then(|v| v.parse::<f64>().ok()),
            ) {
                (Some(name), Some(n), Some(en)) => {
                    out.gauge(&self.cgroups, &[name], n);
                    out.gauge(&self.enabled, &[name], en);
                }
                _ => bad += 1,
            }
        }
        if bad > 0 {
            return Err(CollectError::parse(
                self.path.display().to_string(),
                format!("{bad} bad line(s)"),
            ));
        }
        Ok(())
    }
}
