//! tcpstat: TCP sockets by state and queued bytes, from /proc/net/tcp and
//! /proc/net/tcp6 (upstream asks netlink; the counts are the same).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::tcp::{self, STATES};
use crate::sysfs::read_source;

pub struct Tcpstat {
    v4: PathBuf,
    v6: PathBuf,
    states: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Tcpstat {
        v4: args.proc("net/tcp"),
        v6: args.proc("net/tcp6"),
        states: Desc::gauge(
            "node_tcp_connection_states",
            "Number of connection states.",
            &["state"],
        ),
    }))
}

impl Collector for Tcpstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut counts = [0u64; 12];
        let (mut tx, mut rx) = (0u64, 0u64);
        let v4 = read_source(&self.v4)?;
        let mut errors = tcp::accumulate(&v4, &mut counts, &mut tx, &mut rx);
        // IPv6 may be disabled: its absence is not an error.
        if let Ok(v6) = read_source(&self.v6) {
            errors.extend(tcp::accumulate(&v6, &mut counts, &mut tx, &mut rx));
        }
        for (code, name) in STATES {
            let n = counts[*code as usize];
            if n > 0 {
                out.gauge(&self.states, &[name], n as f64);
            }
        }
        out.gauge(&self.states, &["tx_queued_bytes"], tx as f64);
        out.gauge(&self.states, &["rx_queued_bytes"], rx as f64);
        if let Some(e) = errors.first() {
            return Err(CollectError::parse("/proc/net/tcp", e));
        }
        Ok(())
    }
}
