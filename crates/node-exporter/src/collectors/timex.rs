//! node_timex_*: the kernel's NTP discipline state from adjtimex(2).

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;

const STA_NANO: i64 = 0x2000;
const TIME_ERROR: i32 = 5;
/// Frequencies are in ppm with a 16-bit fractional part.
const PPM16FRAC: f64 = 1_000_000.0 * 65536.0;

pub struct Timex {
    g: Vec<Desc>,
    c: Vec<Desc>,
}

const GAUGES: [(&str, &str); 13] = [
    (
        "offset_seconds",
        "Time offset in between local system and reference clock.",
    ),
    (
        "frequency_adjustment_ratio",
        "Local clock frequency adjustment.",
    ),
    ("maxerror_seconds", "Maximum error in seconds."),
    ("estimated_error_seconds", "Estimated error in seconds."),
    ("status", "Value of the status array bits."),
    ("loop_time_constant", "Phase-locked loop time constant."),
    ("tick_seconds", "Seconds between clock ticks."),
    ("pps_frequency_hertz", "Pulse per second frequency."),
    ("pps_jitter_seconds", "Pulse per second jitter."),
    ("pps_shift_seconds", "Pulse per second interval duration."),
    (
        "pps_stability_hertz",
        "Pulse per second stability, average of recent frequency changes.",
    ),
    (
        "tai_offset_seconds",
        "International Atomic Time (TAI) offset.",
    ),
    (
        "sync_status",
        "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
    ),
];
const COUNTERS: [(&str, &str); 4] = [
    (
        "pps_jitter_total",
        "Pulse per second count of jitter limit exceeded events.",
    ),
    (
        "pps_calibration_total",
        "Pulse per second count of calibration intervals.",
    ),
    (
        "pps_error_total",
        "Pulse per second count of calibration errors.",
    ),
    (
        "pps_stability_exceeded_total",
        "Pulse per second count of stability limit exceeded events.",
    ),
];

pub fn build(_args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Timex {
        g: GAUGES
            .iter()
            .map(|(n, h)| Desc::gauge(&format!("node_timex_{n}"), h, &[]))
            .collect(),
        c: COUNTERS
            .iter()
            .map(|(n, h)| Desc::counter(&format!("node_timex_{n}"), h, &[]))
            .collect(),
    }))
}

impl Collector for Timex {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let t =
            crate::sys::adjtimex().map_err(|e| CollectError::backend(format!("adjtimex: {e}")))?;
        let divisor = if t.status & STA_NANO != 0 { 1e9 } else { 1e6 };
        let values = [
            t.offset as f64 / divisor,
            1.0 + t.freq as f64 / PPM16FRAC,
            t.maxerror as f64 / 1e6,
            t.esterror as f64 / 1e6,
            t.status as f64,
            t.constant as f64,
            t.tick as f64 / 1e6,
            t.ppsfreq as f64 / PPM16FRAC,
            t.jitter as f64 / divisor,
            t.shift as f64,
            t.stabil as f64 / PPM16FRAC,
            t.tai as f64,
            if t.state == TIME_ERROR { 0.0 } else { 1.0 },
        ];
        for (d, v) in self.g.iter().zip(values) {
            out.gauge(d, &[], v);
        }
        for (d, v) in self.c.iter().zip([t.jitcnt, t.calcnt, t.errcnt, t.stbcnt]) {
            out.counter(d, &[], v as f64);
        }
        Ok(())
    }
}
