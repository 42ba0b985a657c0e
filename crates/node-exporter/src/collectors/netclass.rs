//! netclass: network device properties from /sys/class/net/<iface>/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::rtnetlink;
use crate::sysfs::{is_dir, list_dir, read_attr, read_int, regex_flag};

#[derive(clap::Args, Debug, Clone)]
pub struct NetclassArgs {
    /// Regexp of net devices to ignore for netclass collector.
    #[arg(
        long = "collector.netclass.ignored-devices",
        value_name = "REGEX",
        default_value = "^$"
    )]
    pub netclass_ignored_devices: String,
    /// Ignore devices where the speed is invalid.
    #[arg(long = "collector.netclass.ignore-invalid-speed")]
    pub netclass_ignore_invalid_speed: bool,
    /// Use netlink to gather stats instead of sysfs. The families still
    /// come from sysfs (the same ones); netlink adds node_network_altnames_info.
    #[arg(long = "collector.netclass.netlink")]
    pub netclass_netlink: bool,
    /// Expose the statistics for each network device, replacing netdev
    /// collector (with --collector.netclass.netlink).
    #[arg(long = "collector.netclass_rtnl.with-stats")]
    pub netclass_rtnl_with_stats: bool,
}

/// (sysfs file, family suffix, counter?)
const FIELDS: &[(&str, &str, bool)] = &[
    ("addr_assign_type", "address_assign_type", false),
    ("carrier", "carrier", false),
    ("carrier_changes", "carrier_changes_total", true),
    ("carrier_up_count", "carrier_up_changes_total", true),
    ("carrier_down_count", "carrier_down_changes_total", true),
    ("dev_id", "device_id", false),
    ("dormant", "dormant", false),
    ("flags", "flags", false),
    ("ifindex", "iface_id", false),
    ("iflink", "iface_link", false),
    ("link_mode", "iface_link_mode", false),
    ("mtu", "mtu_bytes", false),
    ("netdev_group", "net_dev_group", false),
    ("name_assign_type", "name_assign_type", false),
    ("tx_queue_len", "transmit_queue_length", false),
    ("type", "protocol_type", false),
];

pub struct Netclass {
    dir: PathBuf,
    ignored: crate::sysfs::Regex,
    ignore_invalid_speed: bool,
    up: Desc,
    info: Desc,
    speed: Desc,
    fields: Vec<Desc>,
    /// `--collector.netclass.netlink`: node_network_altnames_info.
    altnames: Option<Desc>,
    /// `--collector.netclass_rtnl.with-stats`: the 24 link statistics over
    /// rtnetlink, in LinkStats order (gauges, as upstream types them).
    link_stats: Option<Vec<Desc>>,
}

/// (device, altname) for every link of the exporter's network namespace
/// that has alternative names, from an rtnetlink RTM_GETLINK dump.
pub fn link_altnames() -> std::io::Result<Vec<(String, String)>> {
    let messages = crate::netlink::dump(
        libc::NETLINK_ROUTE,
        rtnetlink::RTM_GETLINK,
        &[0u8; 16],
        std::time::Duration::from_secs(5),
    )?;
    Ok(messages
        .iter()
        .filter_map(|m| rtnetlink::parse_link_altnames(&m.payload))
        .flat_map(|(dev, alts)| alts.into_iter().map(move |a| (dev.clone(), a)))
        .collect())
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.netclass;
    if a.netclass_rtnl_with_stats && !a.netclass_netlink {
        return Err(BuildError::new(
            "--collector.netclass_rtnl.with-stats needs --collector.netclass.netlink",
        ));
    }
    let fields = FIELDS
        .iter()
        .map(|(_, name, counter)| {
            let full = format!("node_network_{name}");
            let help = format!("Network device property: {name}");
            if *counter {
                Desc::counter(&full, &help, &["device"])
            } else {
                Desc::gauge(&full, &help, &["device"])
            }
        })
        .collect();
    Ok(AnyCollector::blocking(Netclass {
        dir: args.sys("class/net"),
        ignored: regex_flag(
            "collector.netclass.ignored-devices",
            &a.netclass_ignored_devices,
        )?,
        ignore_invalid_speed: a.netclass_ignore_invalid_speed,
        up: Desc::gauge(
            "node_network_up",
            "Value is 1 if operstate is 'up', 0 otherwise.",
            &["device"],
        ),
        info: Desc::gauge(
            "node_network_info",
            "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
            &[
                "device",
                "address",
                "broadcast",
                "duplex",
                "operstate",
                "adminstate",
                "ifalias",
            ],
        ),
        speed: Desc::gauge(
            "node_network_speed_bytes",
            "Network device property: speed_bytes",
            &["device"],
        ),
        fields,
        altnames: a.netclass_netlink.then(|| {
            Desc::gauge(
                "node_network_altnames_info",
                "Non-numeric data of <iface> altname, value is always 1.",
                &["device", "altname"],
            )
        }),
        link_stats: a.netclass_rtnl_with_stats.then(|| {
            crate::collectors::netdev::DETAILED
                .iter()
                .map(|(name, _)| {
                    Desc::gauge(
                        &format!("node_network_{name}_total"),
                        &format!("Network device property: {name}_total"),
                        &["device"],
                    )
                })
                .collect()
        }),
    }))
}

/// `adminstate` from the IFF_UP bit of `flags`.
fn admin_state(flags: Option<i64>) -> &'static str {
    match flags {
        None => "unknown",
        Some(f) if f & 1 == 1 => "up",
        Some(_) => "down",
    }
}

impl Collector for Netclass {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for dev in list_dir(&self.dir)? {
            if self.ignored.is_match(&dev) {
                continue;
            }
            let d = self.dir.join(&dev);
            // Regular files such as bonding_masters are not interfaces.
            if !is_dir(&d) {
                continue;
            }
            let attr = |f: &str| read_attr(&d.join(f)).unwrap_or_default();
            let operstate = attr("operstate");
            out.gauge(&self.up, &[&dev], if operstate == "up" { 1.0 } else { 0.0 });
            let flags = read_int(&d.join("flags"));
            out.gauge(
                &self.info,
                &[
                    &dev,
                    &attr("address"),
                    &attr("broadcast"),
                    &attr("duplex"),
                    &operstate,
                    admin_state(flags),
                    &attr("ifalias"),
                ],
                1.0,
            );
            for ((file, _, _), desc) in FIELDS.iter().zip(&self.fields) {
                if let Some(v) = read_int(&d.join(file)) {
                    out.value(desc, &[&dev], v as f64);
                }
            }
            if let Some(speed) = read_int(&d.join("speed"))
                && (speed >= 0 || !self.ignore_invalid_speed)
            {
                out.gauge(&self.speed, &[&dev], (speed * 1000 * 1000 / 8) as f64);
            }
        }
        if let Some(desc) = &self.altnames {
            // Only netlink knows alternative names; a failure costs this family.
            match link_altnames() {
                Ok(names) => {
                    for (dev, alt) in names {
                        if !self.ignored.is_match(&dev) {
                            out.gauge(desc, &[&dev, &alt], 1.0);
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not list link altnames over netlink"),
            }
        }
        if let Some(descs) = &self.link_stats {
            let messages = crate::netlink::dump(
                libc::NETLINK_ROUTE,
                rtnetlink::RTM_GETLINK,
                &[0u8; 16],
                std::time::Duration::from_secs(5),
            )
            .map_err(|e| CollectError::backend(format!("could not get net class info: {e}")))?;
            for (dev, stats) in messages
                .iter()
                .filter_map(|m| rtnetlink::parse_link_stats(&m.payload))
            {
                let Some(stats) = stats.filter(|_| !self.ignored.is_match(&dev)) else {
                    continue;
                };
                for (desc, v) in descs.iter().zip(stats) {
                    out.gauge(desc, &[&dev], v as f64);
                }
            }
        }
        Ok(())
    }
}
