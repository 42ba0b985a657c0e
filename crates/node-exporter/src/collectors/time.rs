//! node_time_seconds, node_time_zone_offset_seconds and the clock sources.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;

pub struct Time {
    clocksource: PathBuf,
    now: Desc,
    zone: Desc,
    available: Desc,
    current: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Time {
        clocksource: args.sys("devices/system/clocksource"),
        now: Desc::gauge(
            "node_time_seconds",
            "System time in seconds since epoch (1970).",
            &[],
        ),
        zone: Desc::gauge(
            "node_time_zone_offset_seconds",
            "System time zone offset in seconds.",
            &["time_zone"],
        ),
        available: Desc::gauge(
            "node_time_clocksource_available_info",
            "Available clocksources read from '/sys/devices/system/clocksource'.",
            &["device", "clocksource"],
        ),
        current: Desc::gauge(
            "node_time_clocksource_current_info",
            "Current clocksource read from '/sys/devices/system/clocksource'.",
            &["device", "clocksource"],
        ),
    }))
}

impl Collector for Time {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        out.gauge(&self.now, &[], now);
        if let Some((name, offset)) = crate::sys::local_zone(now as i64) {
            out.gauge(&self.zone, &[&name], offset as f64);
        }
        let Ok(dir) = std::fs::read_dir(&self.clocksource) else {
            return Ok(());
        };
        let mut devices: Vec<String> = dir
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("clocksource"))
            .collect();
        devices.sort();
        for dev in devices {
            let id = dev.trim_start_matches("clocksource");
            let attr = |name: &str| crate::sysfs::join2(&self.clocksource, &dev, name);
            if let Ok(avail) = crate::sysfs::read_string(&attr("available_clocksource")) {
                for cs in avail.split_whitespace() {
                    out.gauge(&self.available, &[id, cs], 1.0);
                }
            }
            if let Ok(cur) = crate::sysfs::read_string(&attr("current_clocksource")) {
                out.gauge(&self.current, &[id, cur.trim()], 1.0);
            }
        }
        Ok(())
    }
}
