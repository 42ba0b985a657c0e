//! powersupplyclass: batteries and AC adapters from /sys/class/power_supply/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_attr, read_int, regex_flag};

#[derive(clap::Args, Debug, Clone)]
pub struct PowerSupplyArgs {
    /// Regexp of power supplies to ignore for powersupplyclass collector.
    #[arg(
        long = "collector.powersupply.ignored-supplies",
        value_name = "REGEX",
        default_value = "^$"
    )]
    pub powersupply_ignored_supplies: String,
}

/// (sysfs file, family suffix, divisor)
const NUMERIC: &[(&str, &str, f64)] = &[
    ("authentic", "authentic", 1.0),
    ("calibrate", "calibrate", 1.0),
    ("capacity", "capacity", 1.0),
    ("capacity_alert_max", "capacity_alert_max", 1.0),
    ("capacity_alert_min", "capacity_alert_min", 1.0),
    ("cycle_count", "cyclecount", 1.0),
    ("online", "online", 1.0),
    ("present", "present", 1.0),
    ("time_to_empty_now", "time_to_empty_seconds", 1.0),
    ("time_to_full_now", "time_to_full_seconds", 1.0),
    ("current_boot", "current_boot", 1e6),
    ("current_max", "current_max", 1e6),
    ("current_now", "current_ampere", 1e6),
    ("energy_empty", "energy_empty", 1e6),
    ("energy_empty_design", "energy_empty_design", 1e6),
    ("energy_full", "energy_full", 1e6),
    ("energy_full_design", "energy_full_design", 1e6),
    ("energy_now", "energy_watthour", 1e6),
    ("voltage_boot", "voltage_boot", 1e6),
    ("voltage_max", "voltage_max", 1e6),
    ("voltage_max_design", "voltage_max_design", 1e6),
    ("voltage_min", "voltage_min", 1e6),
    ("voltage_min_design", "voltage_min_design", 1e6),
    ("voltage_now", "voltage_volt", 1e6),
    ("voltage_ocv", "voltage_ocv", 1e6),
    ("charge_control_limit", "charge_control_limit", 1e6),
    ("charge_control_limit_max", "charge_control_limit_max", 1e6),
    ("charge_counter", "charge_counter", 1e6),
    ("charge_empty", "charge_empty", 1e6),
    ("charge_empty_design", "charge_empty_design", 1e6),
    ("charge_full", "charge_full", 1e6),
    ("charge_full_design", "charge_full_design", 1e6),
    ("charge_now", "charge_ampere", 1e6),
    ("charge_term_current", "charge_term_current", 1e6),
    ("constant_charge_current", "constant_charge_current", 1e6),
    (
        "constant_charge_current_max",
        "constant_charge_current_max",
        1e6,
    ),
    ("constant_charge_voltage", "constant_charge_voltage", 1e6),
    (
        "constant_charge_voltage_max",
        "constant_charge_voltage_max",
        1e6,
    ),
    ("precharge_current", "precharge_current", 1e6),
    ("input_current_limit", "input_current_limit", 1e6),
    ("power_now", "power_watt", 1e6),
    ("temp", "temp_celsius", 10.0),
    ("temp_alert_max", "temp_alert_max_celsius", 10.0),
    ("temp_alert_min", "temp_alert_min_celsius", 10.0),
    ("temp_ambient", "temp_ambient_celsius", 10.0),
    ("temp_ambient_max", "temp_ambient_max_celsius", 10.0),
    ("temp_ambient_min", "temp_ambient_min_celsius", 10.0),
    ("temp_max", "temp_max_celsius", 10.0),
    ("temp_min", "temp_min_celsius", 10.0),
];

/// Text attributes that become labels of `node_power_supply_info`. A
/// supply's series carries only the attributes it has (absent or empty
/// ones are left out), as upstream builds one descriptor per supply.
const INFO: &[&str] = &[
    "capacity_level",
    "charge_type",
    "health",
    "manufacturer",
    "model_name",
    "scope",
    "serial_number",
    "status",
    "technology",
    "type",
    "usb_type",
];

pub struct PowerSupplyClass {
    dir: PathBuf,
    ignored: crate::sysfs::Regex,
    numeric: Vec<Desc>,
    info: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let numeric = NUMERIC
        .iter()
        .map(|(_, name, _)| {
            Desc::gauge(
                &format!("node_power_supply_{name}"),
                &format!("{name} value of /sys/class/power_supply/<power_supply>."),
                &["power_supply"],
            )
        })
        .collect();
    let mut info_labels = vec!["power_supply"];
    info_labels.extend(INFO.iter().copied());
    Ok(AnyCollector::blocking(PowerSupplyClass {
        dir: args.sys("class/power_supply"),
        ignored: regex_flag(
            "collector.powersupply.ignored-supplies",
            &args.powersupply.powersupply_ignored_supplies,
        )?,
        numeric,
        info: Desc::gauge(
            "node_power_supply_info",
            "info of /sys/class/power_supply/<power_supply>.",
            &info_labels,
        )
        .omitting_empty_labels(),
    }))
}

impl Collector for PowerSupplyClass {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for name in list_dir(&self.dir)? {
            if self.ignored.is_match(&name) {
                continue;
            }
            let d = self.dir.join(&name);
            for ((file, _, div), desc) in NUMERIC.iter().zip(&self.numeric) {
                if let Some(v) = read_int(&d.join(file)) {
                    out.gauge(desc, &[&name], v as f64 / div);
                }
            }
            let mut values = vec![name.clone()];
            for key in INFO {
                values.push(read_attr(&d.join(key)).unwrap_or_default());
            }
            let v: Vec<&str> = values.iter().map(String::as_str).collect();
            out.gauge(&self.info, &v, 1.0);
        }
        Ok(())
    }
}
