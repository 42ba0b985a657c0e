//! node_memory_*: one gauge per /proc/meminfo field.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::meminfo;

pub struct Meminfo {
    path: PathBuf,
    /// Descriptors by field, built the first time a field is seen.
    descs: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Meminfo {
        path: args.proc("meminfo"),
        descs: Mutex::new(HashMap::new()),
    }))
}

impl Collector for Meminfo {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let fields = meminfo::parse(&text)
            .map_err(|e| CollectError::parse("meminfo", e))?
            .logged("meminfo");
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        for (key, value) in fields {
            let desc = match descs.get(&key) {
                Some(d) => d.clone(),
                None => {
                    let name = format!("node_memory_{key}");
                    let Ok(d) = Desc::try_new(
                        &name,
                        &format!("Memory information field {key}."),
                        exporter_kit::Kind::Gauge,
                        &[],
                    ) else {
                        continue;
                    };
                    descs.insert(key, d.clone());
                    d
                }
            };
            out.gauge(&desc, &[], value);
        }
        Ok(())
    }
}
