//! node_drbd_*{device}: DRBD 8 replicated block devices from /proc/drbd
//! (`cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate ... ns:... nr:...`).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

pub struct Drbd {
    path: PathBuf,
    /// (key, descriptor, multiplier to bytes where the key counts KiB)
    numerical: Vec<(&'static str, Desc, f64)>,
    /// (key, descriptor labelled device/node, the value meaning "ok")
    pairs: Vec<(&'static str, Desc, &'static str)>,
    connected: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let c = |n: &str, h: &str| Desc::counter(&format!("node_drbd_{n}"), h, &["device"]);
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_drbd_{n}"), h, &["device"]);
    let pair = |n: &str, h: &str| Desc::gauge(&format!("node_drbd_{n}"), h, &["device", "node"]);
    Ok(AnyCollector::blocking(Drbd {
        path: args.proc("drbd"),
        numerical: vec![
            (
                "ns",
                c(
                    "network_sent_bytes_total",
                    "Total number of bytes sent via the network.",
                ),
                1024.0,
            ),
            // Upstream does not scale nr (KiB in the kernel); neither do we,
            // so the series match.
            (
                "nr",
                c(
                    "network_received_bytes_total",
                    "Total number of bytes received via the network.",
                ),
                1.0,
            ),
            (
                "dw",
                c(
                    "disk_written_bytes_total",
                    "Net data written on local hard disk; in bytes.",
                ),
                1024.0,
            ),
            (
                "dr",
                c(
                    "disk_read_bytes_total",
                    "Net data read from local hard disk; in bytes.",
                ),
                1024.0,
            ),
            (
                "al",
                c(
                    "activitylog_writes_total",
                    "Number of updates of the activity log area of the meta data.",
                ),
                1.0,
            ),
            (
                "bm",
                c(
                    "bitmap_writes_total",
                    "Number of updates of the bitmap area of the meta data.",
                ),
                1.0,
            ),
            (
                "lo",
                g(
                    "local_pending",
                    "Number of open requests to the local I/O sub-system.",
                ),
                1.0,
            ),
            (
                "pe",
                g(
                    "remote_pending",
                    "Number of requests sent to the peer, but that have not yet been answered by the latter.",
                ),
                1.0,
            ),
            (
                "ua",
                g(
                    "remote_unacknowledged",
                    "Number of requests received by the peer via the network connection, but that have not yet been answered.",
                ),
                1.0,
            ),
            (
                "ap",
                g(
                    "application_pending",
                    "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.",
                ),
                1.0,
            ),
            (
                "ep",
                g("epochs", "Number of Epochs currently on the fly."),
                1.0,
            ),
            (
                "oos",
                g(
                    "out_of_sync_bytes",
                    "Amount of data known to be out of sync; in bytes.",
                ),
                1024.0,
            ),
        ],
        pairs: vec![
            (
                "ro",
                pair(
                    "node_role_is_primary",
                    "Whether the role of the node is in the primary state.",
                ),
                "Primary",
            ),
            (
                "ds",
                pair(
                    "disk_state_is_up_to_date",
                    "Whether the disk of the node is up to date.",
                ),
                "UpToDate",
            ),
        ],
        connected: g("connected", "Whether DRBD is connected to the peer."),
    }))
}

impl Collector for Drbd {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let mut device = String::from("unknown");
        // The file is a stream of `key:value` words; `<minor>:` starts a device.
        for word in text.split_whitespace() {
            let mut kv = word.split(':');
            let (Some(key), Some(value), None) = (kv.next(), kv.next(), kv.next()) else {
                continue;
            };
            if value.is_empty() && key.parse::<u64>().is_ok() {
                device = format!("drbd{key}");
                continue;
            }
            if let Some((_, desc, multiplier)) = self.numerical.iter().find(|(k, ..)| *k == key) {
                let v: f64 = value.parse().map_err(|_| {
                    CollectError::parse(
                        self.path.display().to_string(),
                        format!("bad value {word:?}"),
                    )
                })?;
                out.value(desc, &[&device], v * multiplier);
            } else if let Some((_, desc, ok)) = self.pairs.iter().find(|(k, ..)| *k == key) {
                let mut states = value.split('/');
                for node in ["local", "remote"] {
                    if let Some(state) = states.next() {
                        let v = if state == *ok { 1.0 } else { 0.0 };
                        out.gauge(desc, &[&device, node], v);
                    }
                }
            } else if key == "cs" {
                let v = if value == "Connected" { 1.0 } else { 0.0 };
                out.gauge(&self.connected, &[&device], v);
            }
        }
        Ok(())
    }
}
