//! nfsd: NFS server statistics from /proc/net/rpc/nfsd.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::rpc::{self, V2_PROCS, V3_PROCS, V4_SERVER_OPS, procedures};
use crate::sysfs::read_source;

pub struct Nfsd {
    path: PathBuf,
    d: Descs,
}

struct Descs {
    hits: Desc,
    misses: Desc,
    nocache: Desc,
    stale: Desc,
    read: Desc,
    written: Desc,
    threads: Desc,
    ra_size: Desc,
    ra_not_found: Desc,
    packets: Desc,
    connections: Desc,
    rpcs: Desc,
    rpc_errors: Desc,
    requests: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let c = |n: &str, h: &str| Desc::counter(n, h, &[]);
    Ok(AnyCollector::blocking(Nfsd {
        path: args.proc("net/rpc/nfsd"),
        d: Descs {
            hits: c(
                "node_nfsd_reply_cache_hits_total",
                "Total number of NFSd Reply Cache hits (client lost server response).",
            ),
            misses: c(
                "node_nfsd_reply_cache_misses_total",
                "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
            ),
            nocache: c(
                "node_nfsd_reply_cache_nocache_total",
                "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
            ),
            stale: c(
                "node_nfsd_file_handles_stale_total",
                "Total number of NFSd stale file handles",
            ),
            read: c("node_nfsd_disk_bytes_read_total", "Total NFSd bytes read."),
            written: c(
                "node_nfsd_disk_bytes_written_total",
                "Total NFSd bytes written.",
            ),
            threads: Desc::gauge(
                "node_nfsd_server_threads",
                "Total number of NFSd kernel threads that are running.",
                &[],
            ),
            ra_size: Desc::gauge(
                "node_nfsd_read_ahead_cache_size_blocks",
                "How large the read ahead cache is in blocks.",
                &[],
            ),
            ra_not_found: c(
                "node_nfsd_read_ahead_cache_not_found_total",
                "Total number of NFSd read ahead cache not found.",
            ),
            packets: Desc::counter(
                "node_nfsd_packets_total",
                "Total NFSd network packets (sent+received) by protocol type.",
                &["proto"],
            ),
            connections: c(
                "node_nfsd_connections_total",
                "Total number of NFSd TCP connections.",
            ),
            rpcs: c("node_nfsd_server_rpcs_total", "Total number of NFSd RPCs."),
            rpc_errors: Desc::counter(
                "node_nfsd_rpc_errors_total",
                "Total number of NFSd RPC errors by error type.",
                &["error"],
            ),
            requests: Desc::counter(
                "node_nfsd_requests_total",
                "Total number NFSd Requests by method and protocol.",
                &["proto", "method"],
            ),
        },
    }))
}

impl Collector for Nfsd {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let (m, errors) = rpc::parse(&text);
        let d = &self.d;
        let get = |k: &str, n: usize| m.get(k).filter(|v| v.len() >= n);
        if let Some(rc) = get("rc", 3) {
            out.counter(&d.hits, &[], rc[0]);
            out.counter(&d.misses, &[], rc[1]);
            out.counter(&d.nocache, &[], rc[2]);
        }
        if let Some(fh) = get("fh", 1) {
            out.counter(&d.stale, &[], fh[0]);
        }
        if let Some(io) = get("io", 2) {
            out.counter(&d.read, &[], io[0]);
            out.counter(&d.written, &[], io[1]);
        }
        if let Some(th) = get("th", 1) {
            out.gauge(&d.threads, &[], th[0]);
        }
        if let Some(ra) = get("ra", 2) {
            out.gauge(&d.ra_size, &[], ra[0]);
            out.counter(&d.ra_not_found, &[], ra[ra.len() - 1]);
        }
        if let Some(net) = get("net", 4) {
            out.counter(&d.packets, &["udp"], net[1]);
            out.counter(&d.packets, &["tcp"], net[2]);
            out.counter(&d.connections, &[], net[3]);
        }
        if let Some(r) = get("rpc", 5) {
            out.counter(&d.rpcs, &[], r[0]);
            out.counter(&d.rpc_errors, &["fmt"], r[2]);
            out.counter(&d.rpc_errors, &["auth"], r[3]);
            out.counter(&d.rpc_errors, &["cInt"], r[4]);
        }
        for (key, proto, names) in [("proc2", "2", V2_PROCS), ("proc3", "3", V3_PROCS)] {
            let Some(values) = m.get(key) else { continue };
            let values = procedures(values);
            if values.len() < names.len() {
                continue;
            }
            for (name, v) in names.iter().zip(values) {
                out.counter(&d.requests, &[proto, name], *v);
            }
        }
        if let Some(p4) = m.get("proc4") {
            let p4 = procedures(p4);
            if p4.len() >= 2 {
                out.counter(&d.requests, &["4", "Null"], p4[0]);
                out.counter(&d.requests, &["4", "Compound"], p4[1]);
            }
        }
        if let Some(ops) = m.get("proc4ops") {
            let ops = procedures(ops);
            for (idx, name) in V4_SERVER_OPS {
                if let Some(v) = ops.get(*idx) {
                    out.counter(&d.requests, &["4", name], *v);
                }
            }
        }
        // Linux 6.x: GETATTRs answered from a write delegation, its own line;
        // upstream always exports it (0 on older kernels).
        let wdeleg = get("wdeleg_getattr", 1).map_or(0.0, |v| v[0]);
        out.counter(&d.requests, &["4", "WdelegGetattr"], wdeleg);
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.path.display().to_string(), e));
        }
        Ok(())
    }
}
