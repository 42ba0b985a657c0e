//! mountstats: NFS client statistics per mount from /proc/self/mountstats.

use std::collections::HashSet;
use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::mountstats;
use crate::sysfs::read_source;

const BYTES: &[&str] = &[
    "read_bytes_total",
    "write_bytes_total",
    "direct_read_bytes_total",
    "direct_write_bytes_total",
    "total_read_bytes_total",
    "total_write_bytes_total",
    "read_pages_total",
    "write_pages_total",
];

/// events line index -> family suffix (index 18, congestion wait, is not exposed).
const EVENTS: &[(usize, &str)] = &[
    (0, "event_inode_revalidate_total"),
    (1, "event_dnode_revalidate_total"),
    (2, "event_data_invalidate_total"),
    (3, "event_attribute_invalidate_total"),
    (4, "event_vfs_open_total"),
    (5, "event_vfs_lookup_total"),
    (6, "event_vfs_access_total"),
    (7, "event_vfs_update_page_total"),
    (8, "event_vfs_read_page_total"),
    (9, "event_vfs_read_pages_total"),
    (10, "event_vfs_write_page_total"),
    (11, "event_vfs_write_pages_total"),
    (12, "event_vfs_getdents_total"),
    (13, "event_vfs_setattr_total"),
    (14, "event_vfs_flush_total"),
    (15, "event_vfs_fsync_total"),
    (16, "event_vfs_lock_total"),
    (17, "event_vfs_file_release_total"),
    (19, "event_truncation_total"),
    (20, "event_write_extension_total"),
    (21, "event_silly_rename_total"),
    (22, "event_short_read_total"),
    (23, "event_short_write_total"),
    (24, "event_jukebox_delay_total"),
    (25, "event_pnfs_read_total"),
    (26, "event_pnfs_write_total"),
];

/// per-op value index -> (family suffix, factor)
/// (family, whether the kernel counts milliseconds)
const OPS: &[(&str, bool)] = &[
    ("operations_requests_total", false),
    ("operations_transmissions_total", false),
    ("operations_major_timeouts_total", false),
    ("operations_sent_bytes_total", false),
    ("operations_received_bytes_total", false),
    ("operations_queue_time_seconds_total", true),
    ("operations_response_time_seconds_total", true),
    ("operations_request_time_seconds_total", true),
];

/// 2^53: upstream takes millisecond counters modulo this before the
/// float conversion (so a wrapped u64 stays exactly representable).
const FLOAT64_MANTISSA: u64 = 9_007_199_254_740_992;

/// A per-operation counter as upstream converts it: milliseconds modulo
/// 2^53, then divided by 1000 (not multiplied by 0.001: the last digit
/// differs).
fn op_value(v: u64, millis: bool) -> f64 {
    if millis {
        (v % FLOAT64_MANTISSA) as f64 / 1000.0
    } else {
        v as f64
    }
}

pub struct Mountstats {
    path: PathBuf,
    mountinfo: PathBuf,
    info: Desc,
    age: Desc,
    bytes: Vec<Desc>,
    events: Vec<Desc>,
    ops: Vec<Desc>,
    /// bind, connect, idle (gauge), sends, receives, bad xids, backlog,
    /// max slots (gauge), sending, pending.
    transport: Vec<Desc>,
}

fn counter(name: &str, labels: &[&str]) -> Desc {
    Desc::counter(
        &format!("node_mountstats_nfs_{name}"),
        &format!("NFS mount statistic {name}."),
        labels,
    )
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let base = ["export", "protocol", "mountaddr"];
    let op = ["export", "protocol", "mountaddr", "operation"];
    let tr = ["export", "protocol", "mountaddr", "transport"];
    let gauge = |n: &str| {
        Desc::gauge(
            &format!("node_mountstats_nfs_transport_{n}"),
            &format!("NFS transport statistic {n}."),
            &tr,
        )
    };
    Ok(AnyCollector::blocking(Mountstats {
        path: args.proc("self/mountstats"),
        mountinfo: args.proc("self/mountinfo"),
        info: Desc::gauge(
            "node_mountstats_nfs_mountpoint_info",
            "Mount point of an NFS export, value is always 1.",
            &["export", "protocol", "mountaddr", "mountpoint"],
        ),
        age: counter("age_seconds_total", &base),
        bytes: BYTES.iter().map(|n| counter(n, &base)).collect(),
        events: EVENTS.iter().map(|(_, n)| counter(n, &base)).collect(),
        ops: OPS.iter().map(|(n, _)| counter(n, &op)).collect(),
        transport: vec![
            counter("transport_bind_total", &tr),
            counter("transport_connect_total", &tr),
            gauge("idle_time_seconds"),
            counter("transport_sends_total", &tr),
            counter("transport_receives_total", &tr),
            counter("transport_bad_transaction_ids_total", &tr),
            counter("transport_backlog_queue_total", &tr),
            gauge("maximum_rpc_slots"),
            counter("transport_sending_queue_total", &tr),
            counter("transport_pending_queue_total", &tr),
        ],
    }))
}

/// The `addr=` super option of a /proc/self/mountinfo line ("" without).
fn super_option_addr(line: &str) -> &str {
    line.split_once(" - ")
        .and_then(|(_, rest)| rest.split_whitespace().nth(2))
        .and_then(|opts| opts.split(',').find_map(|o| o.strip_prefix("addr=")))
        .unwrap_or_default()
}

impl Mountstats {
    fn nfs_stats(&self, m: &mountstats::NfsMount, proto: &str, addr: &str, out: &mut Emitter) {
        let lv = [m.device.as_str(), proto, addr];
        out.counter(&self.age, &lv, m.age);
        for (v, d) in m.bytes.iter().zip(&self.bytes) {
            out.counter(d, &lv, *v);
        }
        for ((idx, _), d) in EVENTS.iter().zip(&self.events) {
            if let Some(v) = m.events.get(*idx) {
                out.counter(d, &lv, *v);
            }
        }
        for op in &m.operations {
            let olv = [lv[0], lv[1], lv[2], op.name.as_str()];
            for (((_, millis), d), v) in OPS.iter().zip(&self.ops).zip(&op.values) {
                out.counter(d, &olv, op_value(*v, *millis));
            }
        }
        for (i, t) in m.transports.iter().enumerate() {
            let idx = i.to_string();
            let tlv = [lv[0], lv[1], lv[2], idx.as_str()];
            let values = [
                t.bind,
                t.connect,
                t.idle_seconds,
                t.sends,
                t.receives,
                t.bad_xids,
                t.backlog,
                t.max_slots,
                t.sending,
                t.pending,
            ];
            for (d, v) in self.transport.iter().zip(values) {
                out.value(d, &tlv, v);
            }
        }
    }
}

impl Collector for Mountstats {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let (mounts, errors) = mountstats::parse(&text);
        // The mount address is the `addr` super option of the mount's line in
        // mountinfo (same order as mountstats), as upstream takes it.
        let mountinfo = read_source(&self.mountinfo).unwrap_or_default();
        let addresses: Vec<&str> = mountinfo.lines().map(super_option_addr).collect();
        // One series set per (export, protocol, address): the same export
        // mounted twice is reported once; mountpoint_info once per mount point.
        let mut seen = HashSet::new();
        let mut seen_mountpoints = HashSet::new();
        for m in &mounts {
            let addr = addresses
                .get(m.index)
                .copied()
                .unwrap_or_default()
                .to_string();
            for t in &m.transports {
                let proto = t.protocol.clone();
                if seen_mountpoints.insert((
                    m.device.clone(),
                    proto.clone(),
                    addr.clone(),
                    m.mountpoint.clone(),
                )) {
                    out.gauge(&self.info, &[&m.device, &proto, &addr, &m.mountpoint], 1.0);
                }
                if seen.insert((m.device.clone(), proto.clone(), addr.clone())) {
                    self.nfs_stats(m, &proto, &addr, out);
                } else {
                    break;
                }
            }
        }
        if let Some(e) = errors.first() {
            return Err(CollectError::parse(self.path.display().to_string(), e));
        }
        Ok(())
    }
}
