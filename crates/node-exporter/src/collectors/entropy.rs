//! node_entropy_available_bits and node_entropy_pool_size_bits.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::kv::parse_numbers;

pub struct Entropy {
    avail: PathBuf,
    pool: PathBuf,
    avail_desc: Desc,
    pool_desc: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Entropy {
        avail: args.proc("sys/kernel/random/entropy_avail"),
        pool: args.proc("sys/kernel/random/poolsize"),
        avail_desc: Desc::gauge(
            "node_entropy_available_bits",
            "Bits of available entropy.",
            &[],
        ),
        pool_desc: Desc::gauge("node_entropy_pool_size_bits", "Bits of entropy pool.", &[]),
    }))
}

impl Collector for Entropy {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let first = |path: &PathBuf| -> Result<f64, CollectError> {
            let text = crate::sysfs::read_source(path)?;
            parse_numbers(&text)
                .map(|v| v[0])
                .map_err(|e| CollectError::parse(path.display().to_string(), e))
        };
        out.gauge(&self.avail_desc, &[], first(&self.avail)?);
        out.gauge(&self.pool_desc, &[], first(&self.pool)?);
        Ok(())
    }
}
