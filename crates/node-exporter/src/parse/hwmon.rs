//! hwmon attribute file names (`temp1_input`, `fan2_min`, `beep_enable`)
//! and the metric names node_exporter derives from them.

/// `temp1_input` -> ("temp", 1, "input"); `beep_enable` -> ("beep_enable", 0, "").
/// None when the name has no leading non-digit part.
pub fn explode_sensor_filename(name: &str) -> Option<(&str, u32, &str)> {
    let type_end = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    if type_end == 0 {
        return None;
    }
    let (kind, rest) = name.split_at(type_end);
    let id_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (id, rest) = rest.split_at(id_end);
    let property = if rest.is_empty() {
        ""
    } else if let Some(p) = rest.strip_prefix('_') {
        if p.is_empty() {
            return None;
        }
        p
    } else {
        return None;
    };
    let num = id.parse::<u32>().unwrap_or(0);
    Some((kind, num, property))
}

/// Lowercase, anything outside `[a-z0-9:_]` as `_`, `_` trimmed at both ends.
pub fn clean_name(input: &str) -> String {
    // Lowered first, as upstream's strings.ToLower before its regexp:
    // a character that lowers to two keeps both.
    exporter_kit::desc::sanitize_metric_name(&input.to_lowercase())
        .trim_matches('_')
        .to_string()
}

/// The sensor types node_exporter reads; other files are ignored.
pub const SENSOR_TYPES: &[&str] = &[
    "vrm",
    "beep_enable",
    "update_interval",
    "in",
    "cpu",
    "fan",
    "pwm",
    "temp",
    "curr",
    "power",
    "energy",
    "humidity",
    "intrusion",
    "freq",
];

/// How one element (`input`, `max`, `alarm`, ...) of a sensor type is
/// exposed: the family name suffix after `node_hwmon_<type>`, the factor
/// applied to the raw value, and whether it is a counter.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposed {
    pub name: String,
    pub factor: f64,
    pub counter: bool,
}

/// The family for element `element` of a sensor of type `kind`.
/// `has_bare` says whether the sensor also has a file without a property
/// (`pwm1` next to `pwm1_enable`), which makes `input` keep its name.
pub fn exposed(kind: &str, element: &str, has_bare: bool) -> Exposed {
    let mut name = format!("node_hwmon_{kind}");
    if element == "input" {
        if has_bare {
            name.push_str("_input");
        }
    } else if !element.is_empty() {
        name.push('_');
        name.push_str(&clean_name(element));
    }
    let plain = |name: String, factor: f64| Exposed {
        name,
        factor,
        counter: false,
    };
    if element == "fault" || element == "alarm" {
        return plain(name, 1.0);
    }
    if element == "beep" {
        return plain(format!("{name}_enabled"), 1.0);
    }
    match kind {
        "in" | "cpu" => plain(format!("{name}_volts"), 0.001),
        "temp" if element != "type" => plain(format!("{name}_celsius"), 0.001),
        "curr" => plain(format!("{name}_amps"), 0.001),
        "energy" => Exposed {
            name: format!("{name}_joule_total"),
            factor: 1e-6,
            counter: true,
        },
        "power" if element == "accuracy" => plain(name, 1e-6),
        "power"
            if matches!(
                element,
                "average_interval" | "average_interval_min" | "average_interval_max"
            ) =>
        {
            plain(format!("{name}_seconds"), 0.001)
        }
        "power" => plain(format!("{name}_watt"), 1e-6),
        "humidity" => plain(name, 0.001),
        "fan" if matches!(element, "input" | "min" | "max" | "target") => {
            plain(format!("{name}_rpm"), 1.0)
        }
        "freq" if element == "input" || element.is_empty() => {
            plain(format!("{name}_freq_mhz"), 1e-6)
        }
        _ => plain(name, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames() {
        assert_eq!(
            explode_sensor_filename("temp1_input"),
            Some(("temp", 1, "input"))
        );
        assert_eq!(
            explode_sensor_filename("fan12_min"),
            Some(("fan", 12, "min"))
        );
        assert_eq!(explode_sensor_filename("pwm1"), Some(("pwm", 1, "")));
        assert_eq!(
            explode_sensor_filename("pwm1_auto_point1_pwm"),
            Some(("pwm", 1, "auto_point1_pwm"))
        );
        assert_eq!(
            explode_sensor_filename("beep_enable"),
            Some(("beep_enable", 0, ""))
        );
        assert_eq!(explode_sensor_filename("name"), Some(("name", 0, "")));
        assert_eq!(explode_sensor_filename("1abc"), None);
        assert_eq!(explode_sensor_filename("temp1_"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            clean_name("Platform_AppleSMC.768\n"),
            "platform_applesmc_768"
        );
        assert_eq!(
            exposed("temp", "input", false).name,
            "node_hwmon_temp_celsius"
        );
        assert_eq!(
            exposed("temp", "crit_alarm", false).name,
            "node_hwmon_temp_crit_alarm_celsius"
        );
        assert_eq!(exposed("fan", "alarm", false).name, "node_hwmon_fan_alarm");
        assert_eq!(
            exposed("fan", "beep", false).name,
            "node_hwmon_fan_beep_enabled"
        );
        assert_eq!(
            exposed("fan", "pulses", false).name,
            "node_hwmon_fan_pulses"
        );
        assert_eq!(exposed("in", "max", false).name, "node_hwmon_in_max_volts");
        assert_eq!(exposed("pwm", "", true).name, "node_hwmon_pwm");
        assert_eq!(
            exposed("freq", "input", false).name,
            "node_hwmon_freq_freq_mhz"
        );
        let e = exposed("energy", "input", false);
        assert_eq!(
            (e.name.as_str(), e.counter),
            ("node_hwmon_energy_joule_total", true)
        );
        assert_eq!(
            exposed("power", "average", false).name,
            "node_hwmon_power_average_watt"
        );
    }
}
