//! node_filefd_allocated and node_filefd_maximum from /proc/sys/fs/file-nr.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::kv::parse_numbers;

pub struct Filefd {
    path: PathBuf,
    allocated: Desc,
    maximum: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Filefd {
        path: args.proc("sys/fs/file-nr"),
        allocated: Desc::gauge(
            "node_filefd_allocated",
            "File descriptor statistics: allocated.",
            &[],
        ),
        maximum: Desc::gauge(
            "node_filefd_maximum",
            "File descriptor statistics: maximum.",
            &[],
        ),
    }))
}

impl Collector for Filefd {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let v = parse_numbers(&text).map_err(|e| CollectError::parse("file-nr", e))?;
        if v.len() != 3 {
            return Err(CollectError::parse(
                "file-nr",
                format!("{} fields, want 3", v.len()),
            ));
        }
        out.gauge(&self.allocated, &[], v[0]);
        out.gauge(&self.maximum, &[], v[2]);
        Ok(())
    }
}
