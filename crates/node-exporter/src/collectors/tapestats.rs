//! tapestats: SCSI tape I/O statistics from /sys/class/scsi_tape/st*/stats/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_u64, regex_flag};

#[derive(clap::Args, Debug, Clone)]
pub struct TapestatsArgs {
    /// Regexp of devices to ignore for tapestats.
    #[arg(
        long = "collector.tapestats.ignored-devices",
        value_name = "REGEX",
        default_value = "^$"
    )]
    pub tapestats_ignored_devices: String,
}

/// (file in stats/, family, divisor, counter?)
const FIELDS: &[(&str, &str, f64, bool)] = &[
    ("in_flight", "node_tape_io_now", 1.0, false),
    ("io_ns", "node_tape_io_time_seconds_total", 1e9, true),
    ("other_cnt", "node_tape_io_others_total", 1.0, true),
    ("read_byte_cnt", "node_tape_read_bytes_total", 1.0, true),
    ("read_cnt", "node_tape_reads_completed_total", 1.0, true),
    ("read_ns", "node_tape_read_time_seconds_total", 1e9, true),
    ("resid_cnt", "node_tape_residual_total", 1.0, true),
    ("write_byte_cnt", "node_tape_written_bytes_total", 1.0, true),
    ("write_cnt", "node_tape_writes_completed_total", 1.0, true),
    ("write_ns", "node_tape_write_time_seconds_total", 1e9, true),
];

pub struct Tapestats {
    dir: PathBuf,
    ignored: crate::sysfs::Regex,
    descs: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let descs = FIELDS
        .iter()
        .map(|(file, name, _, counter)| {
            let help = format!("Tape statistic {file}.");
            if *counter {
                Desc::counter(name, &help, &["device"])
            } else {
                Desc::gauge(name, &help, &["device"])
            }
        })
        .collect();
    Ok(AnyCollector::blocking(Tapestats {
        dir: args.sys("class/scsi_tape"),
        ignored: regex_flag(
            "collector.tapestats.ignored-devices",
            &args.tapestats.tapestats_ignored_devices,
        )?,
        descs,
    }))
}

/// `st0`, `st12`; the rewind/mode variants (`nst0`, `st0a`) repeat st0.
fn is_tape(name: &str) -> bool {
    name.strip_prefix("st")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Collector for Tapestats {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for dev in list_dir(&self.dir)? {
            if !is_tape(&dev) || self.ignored.is_match(&dev) {
                continue;
            }
            let stats = self.dir.join(&dev).join("stats");
            for ((file, _, div, _), desc) in FIELDS.iter().zip(&self.descs) {
                if let Some(v) = read_u64(&stats.join(file)) {
                    out.value(desc, &[&dev], v as f64 / div);
                }
            }
        }
        Ok(())
    }
}
