//! node_qdisc_*{device,kind}: statistics of each interface's root queueing
//! discipline, from an rtnetlink RTM_GETQDISC dump (TCA_KIND, TCA_STATS2
//! or the legacy TCA_STATS), as `tc -s qdisc` shows them.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::netlink::{attributes, dump, interface_name};
use crate::sysfs::Filter;

#[derive(clap::Args, Debug, Clone)]
pub struct QdiscArgs {
    /// test fixtures to use for qdisc collector end-to-end testing
    #[arg(long = "collector.qdisc.fixtures", value_name = "DIR")]
    pub qdisc_fixtures: Option<PathBuf>,
    /// Regexp of qdisc devices to include (mutually exclusive to device-exclude).
    #[arg(long = "collector.qdisc.device-include", value_name = "REGEX")]
    pub qdisc_device_include: Option<String>,
    /// DEPRECATED: Use collector.qdisc.device-include
    #[arg(
        long = "collector.qdisk.device-include",
        value_name = "REGEX",
        hide = true
    )]
    pub qdisk_device_include: Option<String>,
    /// Regexp of qdisc devices to exclude (mutually exclusive to device-include).
    #[arg(long = "collector.qdisc.device-exclude", value_name = "REGEX")]
    pub qdisc_device_exclude: Option<String>,
    /// DEPRECATED: Use collector.qdisc.device-exclude
    #[arg(
        long = "collector.qdisk.device-exclude",
        value_name = "REGEX",
        hide = true
    )]
    pub qdisk_device_exclude: Option<String>,
}

/// One queueing discipline, named as upstream's fixture files (results.json)
/// name the fields.
#[derive(Debug, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QdiscInfo {
    pub iface_name: String,
    pub parent: u32,
    pub kind: String,
    pub bytes: u64,
    pub packets: u64,
    pub drops: u64,
    pub requeues: u64,
    pub overlimits: u64,
    pub qlen: u64,
    pub backlog: u64,
}

pub struct Qdisc {
    fixtures: Option<PathBuf>,
    devices: Filter,
    /// bytes, packets, drops, requeues, overlimits, qlen, backlog
    descs: [Desc; 7],
}

/// One deprecated spelling folded into the current one, as upstream does.
fn merge(
    current: &Option<String>,
    old: &Option<String>,
    which: &str,
) -> Result<Option<String>, BuildError> {
    match (current, old) {
        (Some(_), Some(_)) => Err(BuildError::new(format!(
            "--collector.qdisk.device-{which} and --collector.qdisc.device-{which} are mutually exclusive"
        ))),
        (None, Some(old)) => {
            tracing::warn!(
                "--collector.qdisk.device-{which} is DEPRECATED and will be removed in 2.0.0, use --collector.qdisc.device-{which}"
            );
            Ok(Some(old.clone()))
        }
        (current, None) => Ok(current.clone()),
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.qdisc;
    let include = merge(&a.qdisc_device_include, &a.qdisk_device_include, "include")?;
    let exclude = merge(&a.qdisc_device_exclude, &a.qdisk_device_exclude, "exclude")?;
    let c = |n: &str, h: &str| Desc::counter(&format!("node_qdisc_{n}"), h, &["device", "kind"]);
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_qdisc_{n}"), h, &["device", "kind"]);
    Ok(AnyCollector::blocking(Qdisc {
        fixtures: a.qdisc_fixtures.clone(),
        devices: Filter::exclusive(
            "collector.qdisc.device",
            include.as_deref(),
            exclude.as_deref(),
        )?,
        descs: [
            c("bytes_total", "Number of bytes sent."),
            c("packets_total", "Number of packets sent."),
            c("drops_total", "Number of packets dropped."),
            c(
                "requeues_total",
                "Number of packets dequeued, not transmitted, and requeued.",
            ),
            c("overlimits_total", "Number of overlimit packets."),
            g(
                "current_queue_length",
                "Number of packets currently in queue to be sent.",
            ),
            g("backlog", "Number of bytes currently in queue to be sent."),
        ],
    }))
}

const RTM_GETQDISC: u16 = 38;
const RTM_NEWQDISC: u16 = 36;
const TCA_KIND: u16 = 1;
const TCA_STATS: u16 = 3;
const TCA_STATS2: u16 = 7;
const TCA_STATS_BASIC: u16 = 1;
const TCA_STATS_QUEUE: u16 = 3;
const TC_H_ROOT: u32 = u32::MAX;

fn u32_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_ne_bytes(
        d.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// An RTM_NEWQDISC payload (struct tcmsg, 20 bytes, + attributes) -> the
/// interface index and the qdisc. The root's parent (TC_H_ROOT) reads 0.
pub fn parse_message(payload: &[u8]) -> Option<(u32, QdiscInfo)> {
    let ifindex = u32::from_ne_bytes(payload.get(4..8)?.try_into().ok()?);
    let parent = u32::from_ne_bytes(payload.get(12..16)?.try_into().ok()?);
    let mut q = QdiscInfo {
        parent: if parent == TC_H_ROOT { 0 } else { parent },
        ..QdiscInfo::default()
    };
    for (kind, data) in attributes(payload.get(20..)?) {
        match kind & 0x3fff {
            TCA_KIND => {
                let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
                q.kind = String::from_utf8_lossy(&data[..end]).into_owned();
            }
            TCA_STATS2 => {
                for (kind, d) in attributes(data) {
                    match kind & 0x3fff {
                        TCA_STATS_BASIC => {
                            q.bytes = u64_at(d, 0)?;
                            q.packets = u32_at(d, 8)?;
                        }
                        TCA_STATS_QUEUE => {
                            q.qlen = u32_at(d, 0)?;
                            q.backlog = u32_at(d, 4)?;
                            q.drops = u32_at(d, 8)?;
                            q.requeues = u32_at(d, 12)?;
                            q.overlimits = u32_at(d, 16)?;
                        }
                        _ => {}
                    }
                }
            }
            // struct tc_stats: bytes u64, packets, drops, overlimits, bps,
            // pps, qlen, backlog (u32 each); no requeues.
            TCA_STATS => {
                q.bytes = u64_at(data, 0)?;
                q.packets = u32_at(data, 8)?;
                q.drops = u32_at(data, 12)?;
                q.overlimits = u32_at(data, 16)?;
                q.qlen = u32_at(data, 28)?;
                q.backlog = u32_at(data, 32)?;
            }
            _ => {}
        }
    }
    Some((ifindex, q))
}

impl Qdisc {
    fn qdiscs(&self) -> Result<Vec<QdiscInfo>, CollectError> {
        if let Some(dir) = &self.fixtures {
            let path = dir.join("results.json");
            let text = std::fs::read_to_string(&path).map_err(|e| CollectError::io(&path, e))?;
            return serde_json::from_str(&text)
                .map_err(|e| CollectError::parse(path.display().to_string(), e));
        }
        let messages = dump(
            libc::NETLINK_ROUTE,
            RTM_GETQDISC,
            &[0u8; 20],
            std::time::Duration::from_secs(5),
        )
        .map_err(|e| CollectError::backend(format!("qdisc dump: {e}")))?;
        let mut qdiscs = Vec::new();
        for m in messages.iter().filter(|m| m.kind == RTM_NEWQDISC) {
            let (ifindex, mut q) = parse_message(&m.payload)
                .ok_or_else(|| CollectError::parse("RTM_NEWQDISC", "short message or attribute"))?;
            // An interface that went away between the dump and the lookup
            // fails the scrape, as upstream's InterfaceByIndex error does.
            q.iface_name = interface_name(ifindex).ok_or_else(|| {
                CollectError::backend(format!("no interface with index {ifindex}"))
            })?;
            qdiscs.push(q);
        }
        Ok(qdiscs)
    }
}

impl Collector for Qdisc {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for q in self.qdiscs()? {
            // Only the root qdisc of each interface.
            if q.parent != 0 || self.devices.ignored(&q.iface_name) {
                continue;
            }
            let labels = [q.iface_name.as_str(), q.kind.as_str()];
            let values = [
                q.bytes,
                q.packets,
                q.drops,
                q.requeues,
                q.overlimits,
                q.qlen,
                q.backlog,
            ];
            for (desc, value) in self.descs.iter().zip(values) {
                out.value(desc, &labels, value as f64);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::netlink::attribute as attr;

    #[test]
    fn root_qdisc_with_stats2() {
        let mut msg = vec![0u8; 20];
        msg[4..8].copy_from_slice(&3u32.to_ne_bytes());
        msg[12..16].copy_from_slice(&u32::MAX.to_ne_bytes());
        msg.extend(attr(TCA_KIND, b"fq_codel\0"));
        let mut basic = 1_000_000_000_000u64.to_ne_bytes().to_vec();
        basic.extend_from_slice(&77u32.to_ne_bytes());
        basic.extend_from_slice(&[0; 4]);
        let queue: Vec<u8> = [5u32, 600, 7, 8, 9]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut nested = attr(TCA_STATS_BASIC, &basic);
        nested.extend(attr(TCA_STATS_QUEUE, &queue));
        msg.extend(attr(TCA_STATS2, &nested));
        let (ifindex, q) = parse_message(&msg).expect("parses");
        assert_eq!(ifindex, 3);
        assert_eq!(
            q,
            QdiscInfo {
                iface_name: String::new(),
                parent: 0,
                kind: "fq_codel".into(),
                bytes: 1_000_000_000_000,
                packets: 77,
                drops: 7,
                requeues: 8,
                overlimits: 9,
                qlen: 5,
                backlog: 600,
            }
        );
        assert!(parse_message(&msg[..10]).is_none(), "truncated tcmsg");
    }
}
