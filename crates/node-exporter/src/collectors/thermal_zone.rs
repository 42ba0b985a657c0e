//! thermal_zone: /sys/class/thermal/thermal_zone*/ and cooling_device*/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_attr, read_int};

pub struct ThermalZone {
    dir: PathBuf,
    temp: Desc,
    cur_state: Desc,
    max_state: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(ThermalZone {
        dir: args.sys("class/thermal"),
        temp: Desc::gauge(
            "node_thermal_zone_temp",
            "Zone temperature in Celsius",
            &["zone", "type"],
        ),
        cur_state: Desc::gauge(
            "node_cooling_device_cur_state",
            "Current throttle state of the cooling device",
            &["name", "type"],
        ),
        max_state: Desc::gauge(
            "node_cooling_device_max_state",
            "Maximum throttle state of the cooling device",
            &["name", "type"],
        ),
    }))
}

impl Collector for ThermalZone {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for name in list_dir(&self.dir)? {
            let d = self.dir.join(&name);
            if let Some(zone) = name.strip_prefix("thermal_zone") {
                // A zone whose sensor cannot be read (EAGAIN, ENODATA) is skipped.
                let (Some(kind), Some(temp)) =
                    (read_attr(&d.join("type")), read_int(&d.join("temp")))
                else {
                    continue;
                };
                out.gauge(&self.temp, &[zone, &kind], temp as f64 / 1000.0);
            } else if let Some(dev) = name.strip_prefix("cooling_device") {
                let kind = read_attr(&d.join("type")).unwrap_or_default();
                if let Some(cur) = read_int(&d.join("cur_state")) {
                    out.gauge(&self.cur_state, &[dev, &kind], cur as f64);
                }
                if let Some(max) = read_int(&d.join("max_state")) {
                    out.gauge(&self.max_state, &[dev, &kind], max as f64);
                }
            }
        }
        Ok(())
    }
}
