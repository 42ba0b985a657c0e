//! bonding: slaves and active slaves of each bonding master, from
//! /sys/class/net/bonding_masters and each master's bonding/slaves.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{read_attr, read_source};

pub struct Bonding {
    dir: PathBuf,
    slaves: Desc,
    active: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Bonding {
        dir: args.sys("class/net"),
        slaves: Desc::gauge(
            "node_bonding_slaves",
            "Number of configured slaves per bonding interface.",
            &["master"],
        ),
        active: Desc::gauge(
            "node_bonding_active",
            "Number of active slaves per bonding interface.",
            &["master"],
        ),
    }))
}

impl Collector for Bonding {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // No bonding driver loaded: no bonding_masters file (NoData).
        let masters = read_source(&self.dir.join("bonding_masters"))?;
        for master in masters.split_whitespace() {
            let Some(slaves) = read_attr(&self.dir.join(master).join("bonding/slaves")) else {
                tracing::debug!(master, "cannot read bonding slaves");
                continue;
            };
            let mut total = 0;
            let mut up = 0;
            for slave in slaves.split_whitespace() {
                total += 1;
                // Newer kernels: <master>/lower_<slave>/bonding_slave; older:
                // <master>/slave_<slave>/bonding_slave, as upstream looks.
                let under_master = |prefix: &str| {
                    read_attr(
                        &self
                            .dir
                            .join(master)
                            .join(format!("{prefix}{slave}"))
                            .join("bonding_slave/mii_status"),
                    )
                };
                let state = under_master("lower_")
                    .or_else(|| under_master("slave_"))
                    .or_else(|| read_attr(&self.dir.join(slave).join("bonding_slave/mii_status")));
                if state.as_deref() == Some("up") {
                    up += 1;
                }
            }
            out.gauge(&self.slaves, &[master], total as f64);
            out.gauge(&self.active, &[master], up as f64);
        }
        Ok(())
    }
}
