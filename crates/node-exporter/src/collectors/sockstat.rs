//! node_sockstat_<PROTO>_<field> gauges from /proc/net/sockstat and sockstat6;
//! `mem` (pages) also as `<PROTO>_mem_bytes`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::sockstat;

pub struct Sockstat {
    v4: PathBuf,
    v6: PathBuf,
    page_size: f64,
    descs: Mutex<HashMap<String, Option<Desc>>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Sockstat {
        v4: args.proc("net/sockstat"),
        v6: args.proc("net/sockstat6"),
        page_size: crate::sys::page_size() as f64,
        descs: Mutex::new(HashMap::new()),
    }))
}

impl Collector for Sockstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut rows = sockstat::parse(&crate::sysfs::read_source(&self.v4)?).logged("sockstat");
        // sockstat6 is absent when IPv6 is disabled.
        if let Ok(t) = crate::sysfs::read_string(&self.v6) {
            rows.extend(sockstat::parse(&t).logged("sockstat6"));
        }
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        let mut emit = |name: String, value: f64| {
            let desc = descs.entry(name).or_insert_with_key(|name| {
                Desc::try_new(
                    &format!("node_sockstat_{name}"),
                    &format!("Number of {name} sockets in state."),
                    Kind::Gauge,
                    &[],
                )
                .ok()
            });
            if let Some(d) = desc {
                out.gauge(d, &[], value);
            }
        };
        for (proto, key, value) in rows {
            if proto == "sockets" {
                emit(format!("sockets_{key}"), value);
                continue;
            }
            if key == "mem" && (proto == "TCP" || proto == "UDP") {
                emit(format!("{proto}_mem_bytes"), value * self.page_size);
            }
            emit(format!("{proto}_{key}"), value);
        }
        Ok(())
    }
}
