//! nfs: NFS client RPC statistics from /proc/net/rpc/nfs.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::rpc::{self, V2_PROCS, V3_PROCS, V4_CLIENT_PROCS, procedures};
use crate::sysfs::read_source;

pub struct Nfs {
    path: PathBuf,
    packets: Desc,
    connections: Desc,
    rpcs: Desc,
    retrans: Desc,
    auth_refresh: Desc,
    requests: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Nfs {
        path: args.proc("net/rpc/nfs"),
        packets: Desc::counter(
            "node_nfs_packets_total",
            "Total NFSd network packets (sent+received) by protocol type.",
            &["protocol"],
        ),
        connections: Desc::counter(
            "node_nfs_connections_total",
            "Total number of NFSd TCP connections.",
            &[],
        ),
        rpcs: Desc::counter(
            "node_nfs_rpcs_total",
            "Total number of RPCs performed.",
            &[],
        ),
        retrans: Desc::counter(
            "node_nfs_rpc_retransmissions_total",
            "Number of RPC transmissions performed.",
            &[],
        ),
        auth_refresh: Desc::counter(
            "node_nfs_rpc_authentication_refreshes_total",
            "Number of RPC authentication refreshes performed.",
            &[],
        ),
        requests: Desc::counter(
            "node_nfs_requests_total",
            "Number of NFS procedures invoked.",
            &["proto", "method"],
        ),
    }))
}

impl Collector for Nfs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let (m, errors) = rpc::parse(&text);
        if let Some(net) = m.get("net").filter(|v| v.len() >= 4) {
            out.counter(&self.packets, &["udp"], net[1]);
            out.counter(&self.packets, &["tcp"], net[2]);
            out.counter(&self.connections, &[], net[3]);
        }
        if let Some(r) = m.get("rpc").filter(|v| v.len() >= 3) {
            out.counter(&self.rpcs, &[], r[0]);
            out.counter(&self.retrans, &[], r[1]);
            out.counter(&self.auth_refresh, &[], r[2]);
        }
        for (key, proto, names) in [
            ("proc2", "2", V2_PROCS),
            ("proc3", "3", V3_PROCS),
            ("proc4", "4", V4_CLIENT_PROCS),
        ] {
            let Some(values) = m.get(key) else { continue };
            let values = procedures(values);
            if key != "proc4" && values.len() < names.len() {
                tracing::debug!(key, "short NFS procedure line");
                continue;
            }
            // Older kernels list fewer v4 operations: the rest count zero.
            for (i, name) in names.iter().enumerate() {
                out.counter(
                    &self.requests,
                    &[proto, name],
                    values.get(i).copied().unwrap_or(0.0),
                );
            }
        }
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.path.display().to_string(), e));
        }
        Ok(())
    }
}
