//! node_nf_conntrack_*: table size and limit, and the per-CPU statistics summed.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::{conntrack, kv::parse_numbers};

const STATS: [(&str, &str); 8] = [
    ("found", "Number of searched entries which were successful."),
    (
        "invalid",
        "Number of packets seen which can not be tracked.",
    ),
    (
        "ignore",
        "Number of packets seen which are already connected to a conntrack entry.",
    ),
    ("insert", "Number of entries inserted into the list."),
    (
        "insert_failed",
        "Number of entries for which list insertion was attempted but failed.",
    ),
    (
        "drop",
        "Number of packets dropped due to conntrack failure.",
    ),
    (
        "early_drop",
        "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.",
    ),
    (
        "search_restart",
        "Number of conntrack table lookups which had to be restarted due to hashtable resizes.",
    ),
];

pub struct Conntrack {
    count: PathBuf,
    max: PathBuf,
    stat: PathBuf,
    entries: Desc,
    limit: Desc,
    stats: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Conntrack {
        count: args.proc("sys/net/netfilter/nf_conntrack_count"),
        max: args.proc("sys/net/netfilter/nf_conntrack_max"),
        stat: args.proc("net/stat/nf_conntrack"),
        entries: Desc::gauge(
            "node_nf_conntrack_entries",
            "Number of currently allocated flow entries for connection tracking.",
            &[],
        ),
        limit: Desc::gauge(
            "node_nf_conntrack_entries_limit",
            "Maximum size of connection tracking table.",
            &[],
        ),
        stats: STATS
            .iter()
            .map(|(k, h)| Desc::gauge(&format!("node_nf_conntrack_stat_{k}"), h, &[]))
            .collect(),
    }))
}

impl Collector for Conntrack {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let one = |p: &PathBuf| -> Result<f64, CollectError> {
            parse_numbers(&crate::sysfs::read_source(p)?)
                .map(|v| v[0])
                .map_err(|e| CollectError::parse(p.display().to_string(), e))
        };
        out.gauge(&self.entries, &[], one(&self.count)?);
        out.gauge(&self.limit, &[], one(&self.max)?);
        // The statistics table needs the module's procfs files; absent, upstream reports the two above.
        let Ok(text) = crate::sysfs::read_source(&self.stat) else {
            return Ok(());
        };
        let sums = conntrack::parse(&text)
            .map_err(|e| CollectError::parse("nf_conntrack stat", e))?
            .logged("nf_conntrack stat");
        for ((key, _), desc) in STATS.iter().zip(&self.stats) {
            if let Some((_, v)) = sums.iter().find(|(k, _)| k == key) {
                out.gauge(desc, &[], *v);
            }
        }
        Ok(())
    }
}
