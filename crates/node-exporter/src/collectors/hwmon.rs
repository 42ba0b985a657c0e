//! hwmon: hardware sensors (temperatures, fans, voltages, power) from
//! /sys/class/hwmon/hwmon*/ and their `device/` directories.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::hwmon::{SENSOR_TYPES, clean_name, explode_sensor_filename, exposed};
use crate::sysfs::{Filter, list_dir, read_attr};

#[derive(clap::Args, Debug, Clone)]
pub struct HwmonArgs {
    /// Regexp of hwmon chip to include (mutually exclusive to chip-exclude).
    #[arg(long = "collector.hwmon.chip-include", value_name = "REGEX")]
    pub hwmon_chip_include: Option<String>,
    /// Regexp of hwmon chip to exclude (mutually exclusive to chip-include).
    #[arg(long = "collector.hwmon.chip-exclude", value_name = "REGEX")]
    pub hwmon_chip_exclude: Option<String>,
    /// Regexp of hwmon sensor to include, matched against "<chip>;<sensor>".
    #[arg(long = "collector.hwmon.sensor-include", value_name = "REGEX")]
    pub hwmon_sensor_include: Option<String>,
    /// Regexp of hwmon sensor to exclude, matched against "<chip>;<sensor>".
    #[arg(long = "collector.hwmon.sensor-exclude", value_name = "REGEX")]
    pub hwmon_sensor_exclude: Option<String>,
}

pub struct Hwmon {
    dir: PathBuf,
    chips: Filter,
    sensors: Filter,
    chip_names: Desc,
    sensor_label: Desc,
    /// Families whose names come from the files found, built once each.
    descs: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.hwmon;
    Ok(AnyCollector::blocking(Hwmon {
        dir: args.sys("class/hwmon"),
        chips: Filter::new(
            "collector.hwmon.chip-include/exclude",
            a.hwmon_chip_include.as_deref(),
            a.hwmon_chip_exclude.as_deref(),
        )?,
        sensors: Filter::new(
            "collector.hwmon.sensor-include/exclude",
            a.hwmon_sensor_include.as_deref(),
            a.hwmon_sensor_exclude.as_deref(),
        )?,
        chip_names: Desc::gauge(
            "node_hwmon_chip_names",
            "Annotation metric for human-readable chip names",
            &["chip", "chip_name"],
        ),
        sensor_label: Desc::gauge(
            "node_hwmon_sensor_label",
            "Label for given chip and sensor",
            &["chip", "sensor", "label"],
        ),
        descs: Mutex::new(HashMap::new()),
    }))
}

/// A stable name for a chip: `<bus>_<device>` from where its `device`
/// link points, else its `name` file, else the hwmon directory's name.
fn chip_name(dir: &Path) -> Option<String> {
    if let Ok(dev) = std::fs::canonicalize(dir.join("device")) {
        let dev_name = dev
            .file_name()
            .map(|n| clean_name(&n.to_string_lossy()))
            .unwrap_or_default();
        let dev_type = dev
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| clean_name(&n.to_string_lossy()))
            .unwrap_or_default();
        if !dev_type.is_empty() && !dev_name.is_empty() {
            return Some(format!("{dev_type}_{dev_name}"));
        }
        if !dev_name.is_empty() {
            return Some(dev_name);
        }
    }
    if let Some(name) = read_attr(&dir.join("name")) {
        let clean = clean_name(&name);
        if !clean.is_empty() {
            return Some(clean);
        }
    }
    let real = std::fs::canonicalize(dir).ok()?;
    let clean = clean_name(&real.file_name()?.to_string_lossy());
    (!clean.is_empty()).then_some(clean)
}

/// The chip label of each hwmon directory, as node_exporter 1.12: the
/// stable name of [`chip_name`], and where several directories share one
/// (two hwmon nodes under one parent device), `<name>_<name file>` when
/// that chip's `name` file is not shared within the group, else
/// `<name>_<hwmonX>`. Directories that cannot be named are left out.
pub fn chip_labels(dirs: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let named: Vec<(&PathBuf, String)> = dirs
        .iter()
        .filter_map(|d| match chip_name(d) {
            Some(c) => Some((d, c)),
            None => {
                tracing::debug!(path = %d.display(), "cannot name hwmon chip");
                None
            }
        })
        .collect();
    let mut groups: HashMap<&str, Vec<(usize, String)>> = HashMap::new();
    for (i, (d, base)) in named.iter().enumerate() {
        let own = read_attr(&d.join("name"))
            .map(|n| clean_name(&n))
            .unwrap_or_default();
        groups.entry(base.as_str()).or_default().push((i, own));
    }
    let mut labels: Vec<String> = named.iter().map(|(_, base)| base.clone()).collect();
    for (base, members) in &groups {
        if members.len() < 2 {
            continue;
        }
        for (i, own) in members {
            let unique = !own.is_empty() && members.iter().filter(|(_, o)| o == own).count() == 1;
            let suffix = if unique {
                own.clone()
            } else {
                named[*i]
                    .0
                    .file_name()
                    .map(|n| clean_name(&n.to_string_lossy()))
                    .unwrap_or_default()
            };
            labels[*i] = format!("{base}_{suffix}");
        }
    }
    named
        .into_iter()
        .zip(labels)
        .map(|((d, _), l)| (d.clone(), l))
        .collect()
}

type SensorData = BTreeMap<String, BTreeMap<String, String>>;

fn collect_sensor_data(dir: &Path, data: &mut SensorData) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(fname) = entry.file_name().into_string() else {
            continue;
        };
        let Some((kind, num, prop)) = explode_sensor_filename(&fname) else {
            continue;
        };
        if !SENSOR_TYPES.contains(&kind) {
            continue;
        }
        // Unreadable attributes (write-only, EIO from a flaky chip) are skipped.
        let Some(value) = read_attr(&entry.path()) else {
            continue;
        };
        data.entry(format!("{kind}{num}"))
            .or_default()
            .insert(prop.to_string(), value);
    }
}

impl Hwmon {
    fn desc(&self, name: &str, kind: Kind, labels: &[&str]) -> Option<Desc> {
        let mut cache = self.descs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(name) {
            return Some(d.clone());
        }
        let help = format!("Hardware monitor metric {name}");
        match Desc::try_new(name, &help, kind, labels) {
            Ok(d) => {
                cache.insert(name.to_string(), d.clone());
                Some(d)
            }
            Err(err) => {
                tracing::debug!(error = %err, "skipping hwmon metric");
                None
            }
        }
    }

    fn update_chip(&self, dir: &Path, chip: &str, out: &mut Emitter) {
        let chip = chip.to_string();
        if self.chips.ignored(&chip) {
            return;
        }
        let mut data = SensorData::new();
        collect_sensor_data(dir, &mut data);
        let device = dir.join("device");
        if device.is_dir() {
            collect_sensor_data(&device, &mut data);
        }
        if let Some(name) = read_attr(&dir.join("name")) {
            out.gauge(&self.chip_names, &[&chip, &clean_name(&name)], 1.0);
        }
        let labels = ["chip", "sensor"];
        for (sensor, props) in &data {
            if self.sensors.ignored(&format!("{chip};{sensor}")) {
                continue;
            }
            let Some((kind, _, _)) = explode_sensor_filename(sensor) else {
                continue;
            };
            let lv = [chip.as_str(), sensor.as_str()];
            if let Some(label) = props.get("label") {
                out.gauge(&self.sensor_label, &[&chip, sensor, label], 1.0);
            }
            let bare = props.get("");
            match kind {
                "beep_enable" => {
                    if let Some(d) = self.desc("node_hwmon_beep_enabled", Kind::Gauge, &labels) {
                        let v = if bare.map(String::as_str) == Some("1") {
                            1.0
                        } else {
                            0.0
                        };
                        out.gauge(&d, &lv, v);
                    }
                    continue;
                }
                "vrm" | "update_interval" => {
                    let (name, factor) = if kind == "vrm" {
                        ("node_hwmon_voltage_regulator_version", 1.0)
                    } else {
                        ("node_hwmon_update_interval_seconds", 0.001)
                    };
                    if let (Some(v), Some(d)) = (
                        bare.and_then(|s| s.parse::<f64>().ok()),
                        self.desc(name, Kind::Gauge, &labels),
                    ) {
                        out.gauge(&d, &lv, v * factor);
                    }
                    continue;
                }
                _ => {}
            }
            for (element, value) in props {
                if element == "label" {
                    continue;
                }
                let Ok(raw) = value.parse::<f64>() else {
                    continue;
                };
                // A GPU clock (freqN_input) is exported only with its label,
                // which then names the sensor ("sclk", "mclk"), in MHz.
                if kind == "freq" && element == "input" {
                    if let (Some(label), Some(d)) = (
                        props.get("label"),
                        self.desc("node_hwmon_freq_freq_mhz", Kind::Gauge, &labels),
                    ) {
                        out.gauge(&d, &[&chip, &clean_name(label)], raw / 1_000_000.0);
                    }
                    continue;
                }
                let e = exposed(kind, element, bare.is_some());
                let k = if e.counter {
                    Kind::Counter
                } else {
                    Kind::Gauge
                };
                if let Some(d) = self.desc(&e.name, k, &labels) {
                    out.value(&d, &lv, raw * e.factor);
                }
            }
        }
    }
}

impl Collector for Hwmon {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let dirs: Vec<PathBuf> = list_dir(&self.dir)?
            .into_iter()
            .map(|n| self.dir.join(n))
            .collect();
        for (dir, chip) in chip_labels(&dirs) {
            self.update_chip(&dir, &chip, out);
        }
        Ok(())
    }
}
