//! fibrechannel: FC host ports from /sys/class/fc_host/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::sysfs_value::parse_u64;
use crate::sysfs::{list_dir, read_attr};

/// (file in statistics/, family suffix)
const COUNTERS: &[(&str, &str)] = &[
    ("dumped_frames", "dumped_frames_total"),
    ("error_frames", "error_frames_total"),
    ("fcp_packet_aborts", "fcp_packet_aborts_total"),
    ("invalid_crc_count", "invalid_crc_total"),
    ("invalid_tx_word_count", "invalid_tx_words_total"),
    ("link_failure_count", "link_failure_total"),
    ("loss_of_signal_count", "loss_of_signal_total"),
    ("loss_of_sync_count", "loss_of_sync_total"),
    ("nos_count", "nos_total"),
    ("rx_frames", "rx_frames_total"),
    ("rx_words", "rx_words_total"),
    ("seconds_since_last_reset", "seconds_since_last_reset_total"),
    ("tx_frames", "tx_frames_total"),
    ("tx_words", "tx_words_total"),
];

/// Info labels after fc_host, each read from the file of the same name.
const INFO: &[&str] = &[
    "speed",
    "port_state",
    "port_type",
    "symbolic_name",
    "port_id",
    "port_name",
    "fabric_name",
    "dev_loss_tmo",
    "supported_classes",
    "supported_speeds",
];

pub struct Fibrechannel {
    dir: PathBuf,
    info: Desc,
    counters: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let mut labels = vec!["fc_host"];
    labels.extend(INFO.iter().copied());
    Ok(AnyCollector::blocking(Fibrechannel {
        dir: args.sys("class/fc_host"),
        info: Desc::gauge(
            "node_fibrechannel_info",
            "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
            &labels,
        ),
        counters: COUNTERS
            .iter()
            .map(|(file, name)| {
                Desc::counter(
                    &format!("node_fibrechannel_{name}"),
                    &format!("Fibre Channel statistic {file}."),
                    &["fc_host"],
                )
            })
            .collect(),
    }))
}

impl Collector for Fibrechannel {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for host in list_dir(&self.dir)? {
            let d = self.dir.join(&host);
            let mut values = vec![host.clone()];
            values.extend(INFO.iter().map(|f| {
                let v = read_attr(&d.join(f)).unwrap_or_default();
                // Upstream drops the first two characters (the "0x") of
                // the hex identifiers when longer than that.
                match *f {
                    "port_id" | "port_name" | "fabric_name" | "node_name" if v.len() > 2 => {
                        v.get(2..).unwrap_or_default().to_string()
                    }
                    _ => v,
                }
            }));
            let v: Vec<&str> = values.iter().map(String::as_str).collect();
            out.gauge(&self.info, &v, 1.0);
            let stats = d.join("statistics");
            for ((file, _), desc) in COUNTERS.iter().zip(&self.counters) {
                // Hex (0x1f) as the kernel writes them; unreadable ones are skipped.
                // Counters are unsigned 64-bit: 0xffffffffffffffff (a statistic
                // the driver does not keep) is exposed as upstream does, as 2^64-1.
                if let Some(n) = read_attr(&stats.join(file)).and_then(|s| parse_u64(&s)) {
                    out.counter(desc, &[&host], n as f64);
                }
            }
        }
        Ok(())
    }
}
