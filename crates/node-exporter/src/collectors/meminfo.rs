//! node_memory_*: one gauge per /proc/meminfo field.

use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::meminfo;

pub struct Meminfo {
    path: PathBuf,
    /// Descriptors by field as written in the file (`Active(anon)`), for
    /// plain counts and for `kB` fields, built the first time a field is
    /// seen: a scrape then allocates no name.
    descs: Mutex<Descs>,
}

#[derive(Default)]
struct Descs {
    plain: exporter_kit::NameMap<String, Desc>,
    bytes: exporter_kit::NameMap<String, Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Meminfo {
        path: args.proc("meminfo"),
        descs: Mutex::new(Descs::default()),
    }))
}

impl Collector for Meminfo {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let fields = meminfo::parse(&text)
            .map_err(|e| CollectError::parse("meminfo", e))?
            .logged("meminfo");
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        for field in fields {
            let known = if field.bytes {
                &mut descs.bytes
            } else {
                &mut descs.plain
            };
            if !known.contains_key(field.key) {
                let key = field.name();
                let Ok(d) = Desc::try_new(
                    &format!("node_memory_{key}"),
                    &format!("Memory information field {key}."),
                    exporter_kit::Kind::Gauge,
                    &[],
                ) else {
                    continue;
                };
                known.insert(field.key.to_string(), d);
            }
            let Some(desc) = known.get(field.key) else {
                continue;
            };
            out.gauge(desc, &[], field.value);
        }
        Ok(())
    }
}
