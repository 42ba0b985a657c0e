//! ipvs: IPVS totals from /proc/net/ip_vs_stats and per-backend state
//! from /proc/net/ip_vs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::ipvs;
use crate::sysfs::read_source;

const ALL_LABELS: &[&str] = &[
    "local_address",
    "local_port",
    "remote_address",
    "remote_port",
    "proto",
    "local_mark",
];

#[derive(clap::Args, Debug, Clone)]
pub struct IpvsArgs {
    /// Comma separated list for IPVS backend stats labels.
    #[arg(
        long = "collector.ipvs.backend-labels",
        value_name = "LABELS",
        default_value = "local_address,local_port,remote_address,remote_port,proto,local_mark"
    )]
    pub ipvs_backend_labels: String,
}

pub struct Ipvs {
    stats: PathBuf,
    backends: PathBuf,
    /// Indexes into ALL_LABELS of the labels kept.
    labels: Vec<usize>,
    connections: Desc,
    in_packets: Desc,
    out_packets: Desc,
    in_bytes: Desc,
    out_bytes: Desc,
    active: Desc,
    inactive: Desc,
    weight: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let mut labels = Vec::new();
    let spec = args.ipvs.ipvs_backend_labels.trim();
    if !spec.is_empty() {
        for l in spec.split(',') {
            let l = l.trim();
            let idx = ALL_LABELS.iter().position(|a| *a == l).ok_or_else(|| {
                BuildError::new(format!(
                    "--collector.ipvs.backend-labels: unknown label {l:?}"
                ))
            })?;
            if labels.contains(&idx) {
                return Err(BuildError::new(format!(
                    "--collector.ipvs.backend-labels: label {l:?} given twice"
                )));
            }
            labels.push(idx);
        }
    }
    let names: Vec<&str> = labels.iter().map(|i| ALL_LABELS[*i]).collect();
    let c = |n: &str, h: &str| Desc::counter(n, h, &[]);
    let g = |n: &str, h: &str| Desc::gauge(n, h, &names);
    Ok(AnyCollector::blocking(Ipvs {
        stats: args.proc("net/ip_vs_stats"),
        backends: args.proc("net/ip_vs"),
        connections: c(
            "node_ipvs_connections_total",
            "The total number of connections made.",
        ),
        in_packets: c(
            "node_ipvs_incoming_packets_total",
            "The total number of incoming packets.",
        ),
        out_packets: c(
            "node_ipvs_outgoing_packets_total",
            "The total number of outgoing packets.",
        ),
        in_bytes: c(
            "node_ipvs_incoming_bytes_total",
            "The total amount of incoming data.",
        ),
        out_bytes: c(
            "node_ipvs_outgoing_bytes_total",
            "The total amount of outgoing data.",
        ),
        active: g(
            "node_ipvs_backend_connections_active",
            "The current active connections by local and remote address.",
        ),
        inactive: g(
            "node_ipvs_backend_connections_inactive",
            "The current inactive connections by local and remote address.",
        ),
        weight: g(
            "node_ipvs_backend_weight",
            "The current backend weight by local and remote address.",
        ),
        labels,
    }))
}

impl Collector for Ipvs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // No ip_vs module: no stats file (NoData).
        let text = read_source(&self.stats)?;
        let s = ipvs::parse_stats(&text)
            .map_err(|e| CollectError::parse(self.stats.display().to_string(), e))?;
        out.counter(&self.connections, &[], s.connections as f64);
        out.counter(&self.in_packets, &[], s.incoming_packets as f64);
        out.counter(&self.out_packets, &[], s.outgoing_packets as f64);
        out.counter(&self.in_bytes, &[], s.incoming_bytes as f64);
        out.counter(&self.out_bytes, &[], s.outgoing_bytes as f64);

        let text = read_source(&self.backends)?;
        let (backends, errors) = ipvs::parse_backends(&text);
        // With fewer labels several backends share a series: their values add up.
        let mut sums: BTreeMap<Vec<String>, (f64, f64, f64)> = BTreeMap::new();
        for b in &backends {
            let all = [
                b.local_address.clone(),
                b.local_port.to_string(),
                b.remote_address.clone(),
                b.remote_port.to_string(),
                b.proto.clone(),
                b.local_mark.clone(),
            ];
            let key: Vec<String> = self.labels.iter().map(|i| all[*i].clone()).collect();
            let e = sums.entry(key).or_default();
            e.0 += b.active as f64;
            e.1 += b.inactive as f64;
            e.2 += b.weight as f64;
        }
        for (key, (active, inactive, weight)) in &sums {
            let lv: Vec<&str> = key.iter().map(String::as_str).collect();
            out.gauge(&self.active, &lv, *active);
            out.gauge(&self.inactive, &lv, *inactive);
            out.gauge(&self.weight, &lv, *weight);
        }
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.backends.display().to_string(), e));
        }
        Ok(())
    }
}
