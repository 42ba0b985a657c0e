//! node_vmstat_<field> (untyped) from /proc/vmstat, filtered by --collector.vmstat.fields.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::sysfs::{FieldDescs, Regex, field_desc};
use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::{self, kv};

pub const DEFAULT_FIELDS: &str = r"^(oom_kill|pgpg|pswp|pg.*fault).*";

#[derive(clap::Args, Debug, Clone)]
pub struct VmstatArgs {
    /// Regexp of fields to return for vmstat collector.
    #[arg(long = "collector.vmstat.fields", value_name = "REGEX", default_value = DEFAULT_FIELDS)]
    pub vmstat_fields: String,
}

pub struct Vmstat {
    path: PathBuf,
    fields: Regex,
    descs: Mutex<FieldDescs>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Vmstat {
        path: args.proc("vmstat"),
        fields: Regex::new(&args.vmstat.vmstat_fields)
            .map_err(|e| BuildError::new(format!("--collector.vmstat.fields: {e}")))?,
        descs: Mutex::default(),
    }))
}

impl Collector for Vmstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let (pairs, mut bad_lines) = kv::pairs(&text);
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        for (key, value, line) in pairs {
            // Looked up by the borrowed key, and only a selected field's
            // value parsed: most of the ~190 fields are not exported.
            let desc = field_desc(&mut descs, key, || {
                self.fields
                    .is_match(key)
                    .then(|| {
                        Desc::try_new(
                            &format!("node_vmstat_{key}"),
                            &format!("/proc/vmstat information field {key}."),
                            Kind::Untyped,
                            &[],
                        )
                        .ok()
                    })
                    .flatten()
            });
            if let Some(desc) = desc {
                match parse::num(line, value) {
                    Ok(v) => out.untyped(&desc, &[], v),
                    Err(e) => bad_lines.push(e),
                }
            }
        }
        parse::log_skipped(&bad_lines, "vmstat");
        Ok(())
    }
}
