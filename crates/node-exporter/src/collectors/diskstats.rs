//! node_disk_*: /proc/diskstats per block device, and node_disk_info (and
//! the filesystem, device-mapper and ATA details) from udev's database.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::diskstats;
use crate::sysfs::Filter;

pub const DEFAULT_EXCLUDE: &str = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";

#[derive(clap::Args, Debug, Clone)]
pub struct DiskstatsArgs {
    /// Regexp of diskstats devices to exclude (mutually exclusive to device-include).
    /// [default: ^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$]
    #[arg(
        long = "collector.diskstats.device-exclude",
        alias = "collector.diskstats.ignored-devices",
        value_name = "REGEX"
    )]
    pub diskstats_device_exclude: Option<String>,
    /// Regexp of diskstats devices to include (mutually exclusive to device-exclude).
    #[arg(long = "collector.diskstats.device-include", value_name = "REGEX")]
    pub diskstats_device_include: Option<String>,
}

/// (name, help, kind, scale) per /proc/diskstats column, in kernel order.
const COLUMNS: [(&str, &str, Kind, f64); 17] = [
    (
        "reads_completed_total",
        "The total number of reads completed successfully.",
        Kind::Counter,
        1.0,
    ),
    (
        "reads_merged_total",
        "The total number of reads merged.",
        Kind::Counter,
        1.0,
    ),
    (
        "read_bytes_total",
        "The total number of bytes read successfully.",
        Kind::Counter,
        512.0,
    ),
    (
        "read_time_seconds_total",
        "The total number of seconds spent by all reads.",
        Kind::Counter,
        0.001,
    ),
    (
        "writes_completed_total",
        "The total number of writes completed successfully.",
        Kind::Counter,
        1.0,
    ),
    (
        "writes_merged_total",
        "The number of writes merged.",
        Kind::Counter,
        1.0,
    ),
    (
        "written_bytes_total",
        "The total number of bytes written successfully.",
        Kind::Counter,
        512.0,
    ),
    (
        "write_time_seconds_total",
        "This is the total number of seconds spent by all writes.",
        Kind::Counter,
        0.001,
    ),
    (
        "io_now",
        "The number of I/Os currently in progress.",
        Kind::Gauge,
        1.0,
    ),
    (
        "io_time_seconds_total",
        "Total seconds spent doing I/Os.",
        Kind::Counter,
        0.001,
    ),
    (
        "io_time_weighted_seconds_total",
        "The weighted # of seconds spent doing I/Os.",
        Kind::Counter,
        0.001,
    ),
    (
        "discards_completed_total",
        "The total number of discards completed successfully.",
        Kind::Counter,
        1.0,
    ),
    (
        "discards_merged_total",
        "The total number of discards merged.",
        Kind::Counter,
        1.0,
    ),
    (
        "discarded_sectors_total",
        "The total number of sectors discarded successfully.",
        Kind::Counter,
        1.0,
    ),
    (
        "discard_time_seconds_total",
        "This is the total number of seconds spent by all discards.",
        Kind::Counter,
        0.001,
    ),
    (
        "flush_requests_total",
        "The total number of flush requests completed successfully.",
        Kind::Counter,
        1.0,
    ),
    (
        "flush_requests_time_seconds_total",
        "This is the total number of seconds spent by all flush requests.",
        Kind::Counter,
        0.001,
    ),
];

pub struct Diskstats {
    path: PathBuf,
    udev: PathBuf,
    sys_block: PathBuf,
    filter: Filter,
    columns: Vec<(Desc, f64)>,
    info: Desc,
    fs_info: Desc,
    dm_info: Desc,
    ata: [(Desc, &'static str); 3],
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.diskstats;
    let exclude = match (&a.diskstats_device_include, &a.diskstats_device_exclude) {
        (Some(_), None) => None,
        (_, Some(e)) => Some(e.as_str()),
        (None, None) => Some(DEFAULT_EXCLUDE),
    };
    let d = |name: &str, help: &str, labels: &[&str]| {
        Desc::gauge(&format!("node_disk_{name}"), help, labels)
    };
    Ok(AnyCollector::blocking(Diskstats {
        path: args.proc("diskstats"),
        udev: args.udev_data.clone(),
        sys_block: args.sys("block"),
        filter: Filter::exclusive(
            "collector.diskstats.device",
            a.diskstats_device_include.as_deref(),
            exclude,
        )?,
        columns: COLUMNS
            .iter()
            .map(|(n, h, k, s)| (Desc::new(&format!("node_disk_{n}"), h, *k, &["device"]), *s))
            .collect(),
        info: d(
            "info",
            "Info of /sys/block/<block_device>.",
            &[
                "device",
                "major",
                "minor",
                "path",
                "wwn",
                "model",
                "serial",
                "revision",
                "rotational",
            ],
        ),
        fs_info: d(
            "filesystem_info",
            "Info about disk filesystem.",
            &["device", "type", "usage", "uuid", "version"],
        ),
        dm_info: d(
            "device_mapper_info",
            "Info about disk device mapper.",
            &["device", "name", "uuid", "vg_name", "lv_name", "lv_layer"],
        ),
        ata: [
            (
                d(
                    "ata_rotation_rate_rpm",
                    "ATA disk rotation rate in RPMs (0 for SSDs).",
                    &["device"],
                ),
                "ID_ATA_ROTATION_RATE_RPM",
            ),
            (
                d(
                    "ata_write_cache",
                    "ATA disk has a write cache.",
                    &["device"],
                ),
                "ID_ATA_WRITE_CACHE",
            ),
            (
                d(
                    "ata_write_cache_enabled",
                    "ATA disk has its write cache enabled.",
                    &["device"],
                ),
                "ID_ATA_WRITE_CACHE_ENABLED",
            ),
        ],
    }))
}

impl Collector for Diskstats {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = crate::sysfs::read_source(&self.path)?;
        let disks = diskstats::parse(&text).logged("diskstats");
        for disk in disks.iter().filter(|d| !self.filter.ignored(d.name)) {
            let dev = disk.name;
            let udev_text = crate::sysfs::read_string(
                &self.udev.join(format!("b{}:{}", disk.major, disk.minor)),
            )
            .unwrap_or_default();
            let udev = diskstats::parse_udev(&udev_text);
            let get = |k: &str| {
                udev.iter()
                    .find(|(key, _)| *key == k)
                    .map_or("", |(_, v)| *v)
            };
            // The serial on the disk's label, else the short serial, else
            // ID_SERIAL (virtio, mmc), as upstream falls back.
            let serial = [
                get("SCSI_IDENT_SERIAL"),
                get("ID_SERIAL_SHORT"),
                get("ID_SERIAL"),
            ]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_default();
            // "1" for a rotational disk, else "0" (unreadable included),
            // as upstream's rotationalLabel.
            let rotational = crate::sysfs::read_string(&crate::sysfs::join2(
                &self.sys_block,
                dev,
                "queue/rotational",
            ))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
            let rotational = if rotational == Some(1) { "1" } else { "0" };
            out.gauge(
                &self.info,
                &[
                    dev,
                    disk.major,
                    disk.minor,
                    get("ID_PATH"),
                    get("ID_WWN"),
                    get("ID_MODEL"),
                    serial,
                    get("ID_REVISION"),
                    rotational,
                ],
                1.0,
            );
            if !get("ID_FS_TYPE").is_empty() {
                out.gauge(
                    &self.fs_info,
                    &[
                        dev,
                        get("ID_FS_TYPE"),
                        get("ID_FS_USAGE"),
                        get("ID_FS_UUID"),
                        get("ID_FS_VERSION"),
                    ],
                    1.0,
                );
            }
            if !get("DM_NAME").is_empty() {
                out.gauge(
                    &self.dm_info,
                    &[
                        dev,
                        get("DM_NAME"),
                        get("DM_UUID"),
                        get("DM_VG_NAME"),
                        get("DM_LV_NAME"),
                        get("DM_LV_LAYER"),
                    ],
                    1.0,
                );
            }
            for (desc, key) in &self.ata {
                if let Ok(v) = get(key).parse::<f64>() {
                    out.gauge(desc, &[dev], v);
                }
            }
            for ((desc, scale), v) in self.columns.iter().zip(disk.stats()) {
                out.value(desc, &[dev], v * scale);
            }
        }
        Ok(())
    }
}
