//! dmi: firmware and hardware identity from /sys/class/dmi/id/, read once at
//! startup (it does not change while the host runs), as upstream does.

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_attr;

/// (file, label)
const FIELDS: &[(&str, &str)] = &[
    ("bios_date", "bios_date"),
    ("bios_release", "bios_release"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("board_asset_tag", "board_asset_tag"),
    ("board_name", "board_name"),
    ("board_serial", "board_serial"),
    ("board_vendor", "board_vendor"),
    ("board_version", "board_version"),
    ("chassis_asset_tag", "chassis_asset_tag"),
    ("chassis_serial", "chassis_serial"),
    ("chassis_vendor", "chassis_vendor"),
    ("chassis_version", "chassis_version"),
    ("product_family", "product_family"),
    ("product_name", "product_name"),
    ("product_serial", "product_serial"),
    ("product_sku", "product_sku"),
    ("product_uuid", "product_uuid"),
    ("product_version", "product_version"),
    ("sys_vendor", "system_vendor"),
];

pub struct Dmi {
    /// None when the host has no DMI table (VMs without firmware tables).
    info: Option<(Desc, Vec<String>)>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let dir = args.sys("class/dmi/id");
    let mut labels = Vec::new();
    let mut values = Vec::new();
    for (file, label) in FIELDS {
        // Unreadable files (serials need root) leave their label out.
        if let Some(v) = read_attr(&dir.join(file)) {
            labels.push(*label);
            values.push(v);
        }
    }
    let info = if labels.is_empty() {
        tracing::debug!(path = %dir.display(), "no DMI information");
        None
    } else {
        let desc = Desc::try_new(
            "node_dmi_info",
            "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.",
            exporter_kit::Kind::Gauge,
            &labels,
        )
        .map_err(BuildError::new)?;
        Some((desc, values))
    };
    Ok(AnyCollector::blocking(Dmi { info }))
}

impl Collector for Dmi {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let Some((desc, values)) = &self.info else {
            return Err(CollectError::NoData);
        };
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        out.gauge(desc, &v, 1.0);
        Ok(())
    }
}
