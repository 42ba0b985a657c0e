//! ethtool: driver information, driver statistics and link capabilities of
//! each network device, from the SIOCETHTOOL ioctl.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::ethtool_ioctl::Socket;
use crate::parse::ethtool::{ASYM_PAUSE_BIT, AUTONEG_BIT, LINK_MODES, PAUSE_BIT, PORTS, stat_name};
use crate::sysfs::{Filter, is_dir, list_dir, regex_flag};

#[derive(clap::Args, Debug, Clone)]
pub struct EthtoolArgs {
    /// Regexp of ethtool devices to include (mutually exclusive to device-exclude).
    #[arg(long = "collector.ethtool.device-include", value_name = "REGEX")]
    pub ethtool_device_include: Option<String>,
    /// Regexp of ethtool devices to exclude (mutually exclusive to device-include).
    #[arg(long = "collector.ethtool.device-exclude", value_name = "REGEX")]
    pub ethtool_device_exclude: Option<String>,
    /// Regexp of ethtool stats to include.
    #[arg(
        long = "collector.ethtool.metrics-include",
        value_name = "REGEX",
        default_value = ".*"
    )]
    pub ethtool_metrics_include: String,
}

pub struct Ethtool {
    dir: PathBuf,
    devices: Filter,
    metrics: crate::sysfs::Regex,
    info: Desc,
    flags: Vec<(u32, bool, Desc)>,
    autoneg: Desc,
    supported_speed: Desc,
    advertised_speed: Desc,
    port_info: Desc,
    stats: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.ethtool;
    let dev = ["device"];
    let flag = |bit: u32, advertised: bool, name: &str, help: &str| {
        (bit, advertised, Desc::gauge(name, help, &dev))
    };
    Ok(AnyCollector::blocking(Ethtool {
        dir: args.sys("class/net"),
        devices: Filter::new(
            "collector.ethtool.device-include/exclude",
            a.ethtool_device_include.as_deref(),
            a.ethtool_device_exclude.as_deref(),
        )?,
        metrics: regex_flag(
            "collector.ethtool.metrics-include",
            &a.ethtool_metrics_include,
        )?,
        info: Desc::gauge(
            "node_ethtool_info",
            "A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.",
            &[
                "bus_info",
                "device",
                "driver",
                "expansion_rom_version",
                "firmware_version",
                "version",
            ],
        ),
        flags: vec![
            flag(
                AUTONEG_BIT,
                false,
                "node_network_autonegotiate_supported",
                "If this port device supports autonegotiate",
            ),
            flag(
                AUTONEG_BIT,
                true,
                "node_network_autonegotiate_advertised",
                "If this port device offers autonegotiate",
            ),
            flag(
                PAUSE_BIT,
                false,
                "node_network_pause_supported",
                "If this port device supports pause frames",
            ),
            flag(
                PAUSE_BIT,
                true,
                "node_network_pause_advertised",
                "If this port device offers pause capability",
            ),
            flag(
                ASYM_PAUSE_BIT,
                false,
                "node_network_asymmetricpause_supported",
                "If this port device supports asymmetric pause frames",
            ),
            flag(
                ASYM_PAUSE_BIT,
                true,
                "node_network_asymmetricpause_advertised",
                "If this port device offers asymmetric pause capability",
            ),
        ],
        autoneg: Desc::gauge(
            "node_network_autonegotiate",
            "If this port is using autonegotiate",
            &dev,
        ),
        supported_speed: Desc::gauge(
            "node_network_supported_speed_bytes",
            "Combination of speeds and features supported by network device",
            &["device", "duplex", "mode"],
        ),
        advertised_speed: Desc::gauge(
            "node_network_advertised_speed_bytes",
            "Combination of speeds and features offered by network device",
            &["device", "duplex", "mode"],
        ),
        port_info: Desc::gauge(
            "node_network_supported_port_info",
            "Type of ports or PHYs supported by network device",
            &["device", "type"],
        ),
        stats: Mutex::new(HashMap::new()),
    }))
}

impl Ethtool {
    fn stat_desc(&self, name: &str, raw: &str) -> Option<Desc> {
        let mut cache = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(name) {
            return Some(d.clone());
        }
        let d = Desc::try_new(
            name,
            &format!("Network interface {raw}"),
            Kind::Untyped,
            &["device"],
        )
        .ok()?;
        cache.insert(name.to_string(), d.clone());
        Some(d)
    }
}

impl Collector for Ethtool {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let devices = list_dir(&self.dir)?;
        let sock =
            Socket::open().map_err(|e| CollectError::backend(format!("ethtool socket: {e}")))?;
        for dev in devices {
            if !is_dir(&self.dir.join(&dev)) || self.devices.ignored(&dev) {
                continue;
            }
            // Devices without an ethtool driver (lo) answer EOPNOTSUPP: skipped.
            let info = sock.driver_info(&dev).ok();
            if let Some(i) = &info {
                out.gauge(
                    &self.info,
                    &[
                        &i.bus_info,
                        &dev,
                        &i.driver,
                        &i.expansion_rom_version,
                        &i.firmware_version,
                        &i.version,
                    ],
                    1.0,
                );
            }
            if let Ok(link) = sock.link_settings(&dev) {
                for (bit, advertised, desc) in &self.flags {
                    let mask = if *advertised {
                        link.advertising
                    } else {
                        link.supported
                    };
                    out.gauge(desc, &[&dev], f64::from((mask >> bit) & 1));
                }
                out.gauge(&self.autoneg, &[&dev], f64::from(link.autoneg));
                for (bit, mbps, duplex, mode) in LINK_MODES {
                    let bytes = (*mbps * 1_000_000 / 8) as f64;
                    if link.supported & (1 << bit) != 0 {
                        out.gauge(&self.supported_speed, &[&dev, duplex, mode], bytes);
                    }
                    if link.advertising & (1 << bit) != 0 {
                        out.gauge(&self.advertised_speed, &[&dev, duplex, mode], bytes);
                    }
                }
                for (bit, kind) in PORTS {
                    if link.supported & (1 << bit) != 0 {
                        out.gauge(&self.port_info, &[&dev, kind], 1.0);
                    }
                }
            }
            let n = info.map(|i| i.n_stats).unwrap_or(0);
            if n == 0 {
                continue;
            }
            let Ok(stats) = sock.stats(&dev, n) else {
                continue;
            };
            let mut seen = HashSet::new();
            for (raw, v) in stats {
                if !self.metrics.is_match(&raw) {
                    continue;
                }
                let name = format!("node_ethtool_{}", stat_name(&raw));
                // Drivers sometimes repeat a name: the first one counts.
                if !seen.insert(name.clone()) {
                    continue;
                }
                if let Some(d) = self.stat_desc(&name, &raw) {
                    out.untyped(&d, &[&dev], v as f64);
                }
            }
        }
        Ok(())
    }
}
