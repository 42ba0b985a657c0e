//! node_sockstat_<PROTO>_<field> gauges from /proc/net/sockstat and sockstat6;
//! `mem` (pages) also as `<PROTO>_mem_bytes`.

use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::sockstat;
use crate::sysfs::{FieldDescs, field_desc};

pub struct Sockstat {
    v4: PathBuf,
    v6: PathBuf,
    page_size: f64,
    descs: Mutex<FieldDescs>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Sockstat {
        v4: args.proc("net/sockstat"),
        v6: args.proc("net/sockstat6"),
        page_size: crate::sys::page_size() as f64,
        descs: Mutex::default(),
    }))
}

impl Collector for Sockstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let v4 = crate::sysfs::read_source(&self.v4)?;
        let mut rows = sockstat::parse(&v4).logged("sockstat");
        // sockstat6 is absent when IPv6 is disabled.
        let v6 = crate::sysfs::read_source(&self.v6).ok();
        if let Some(t) = &v6 {
            rows.extend(sockstat::parse(t).logged("sockstat6"));
        }
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        // One name buffer: no allocation per row once every name is known.
        let mut name = String::with_capacity(64);
        let mut emit = |parts: [&str; 3], value: f64| {
            name.clear();
            parts.iter().for_each(|p| name.push_str(p));
            let desc = field_desc(&mut descs, &name, || {
                Desc::try_new(
                    &format!("node_sockstat_{name}"),
                    &format!("Number of {name} sockets in state."),
                    Kind::Gauge,
                    &[],
                )
                .ok()
            });
            if let Some(d) = desc {
                out.gauge(&d, &[], value);
            }
        };
        for (proto, key, value) in rows {
            if proto == "sockets" {
                emit(["sockets_", key, ""], value);
                continue;
            }
            if key == "mem" && (proto == "TCP" || proto == "UDP") {
                emit([proto, "_mem_bytes", ""], value * self.page_size);
            }
            emit([proto, "_", key], value);
        }
        Ok(())
    }
}
