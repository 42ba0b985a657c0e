//! buddyinfo: free memory fragments by order from /proc/buddyinfo.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::buddyinfo;
use crate::sysfs::read_source;

pub struct Buddyinfo {
    path: PathBuf,
    blocks: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Buddyinfo {
        path: args.proc("buddyinfo"),
        blocks: Desc::gauge(
            "node_buddyinfo_blocks",
            "Count of free blocks according to size.",
            &["node", "zone", "size"],
        ),
    }))
}

impl Collector for Buddyinfo {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let (zones, errors) = buddyinfo::parse(&text);
        for z in &zones {
            for (size, v) in z.sizes.iter().enumerate() {
                out.gauge(&self.blocks, &[&z.node, &z.zone, &size.to_string()], *v);
            }
        }
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.path.display().to_string(), e));
        }
        Ok(())
    }
}
