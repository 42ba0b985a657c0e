//! node_watchdog_*: watchdog devices from /sys/class/watchdog/
//! (ABI: sysfs-class-watchdog).

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::sysfs_value::parse_int;
use crate::sysfs::{list_dir, read_string};

pub struct Watchdog {
    dir: PathBuf,
    /// (attribute, descriptor) of the numeric attributes.
    numbers: Vec<(&'static str, Desc)>,
    info: Desc,
}

/// The text attributes, in the order of node_watchdog_info's labels after
/// `name`.
const TEXT: [&str; 5] = [
    "options",
    "identity",
    "state",
    "status",
    "pretimeout_governor",
];

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_watchdog_{n}"), h, &["name"]);
    Ok(AnyCollector::blocking(Watchdog {
        dir: args.sys("class/watchdog"),
        numbers: vec![
            (
                "bootstatus",
                g(
                    "bootstatus",
                    "Value of /sys/class/watchdog/<watchdog>/bootstatus",
                ),
            ),
            (
                "fw_version",
                g(
                    "fw_version",
                    "Value of /sys/class/watchdog/<watchdog>/fw_version",
                ),
            ),
            (
                "nowayout",
                g(
                    "nowayout",
                    "Value of /sys/class/watchdog/<watchdog>/nowayout",
                ),
            ),
            (
                "timeleft",
                g(
                    "timeleft_seconds",
                    "Value of /sys/class/watchdog/<watchdog>/timeleft",
                ),
            ),
            (
                "timeout",
                g(
                    "timeout_seconds",
                    "Value of /sys/class/watchdog/<watchdog>/timeout",
                ),
            ),
            (
                "pretimeout",
                g(
                    "pretimeout_seconds",
                    "Value of /sys/class/watchdog/<watchdog>/pretimeout",
                ),
            ),
            (
                "access_cs0",
                g(
                    "access_cs0",
                    "Value of /sys/class/watchdog/<watchdog>/access_cs0",
                ),
            ),
        ],
        info: Desc::gauge(
            "node_watchdog_info",
            "Info of /sys/class/watchdog/<watchdog>",
            &[
                "name",
                "options",
                "identity",
                "state",
                "status",
                "pretimeout_governor",
            ],
        ),
    }))
}

/// An attribute's trimmed text; `None` when the driver does not provide it.
fn attribute(path: &Path) -> Result<Option<String>, CollectError> {
    match read_string(path) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(CollectError::io(path, err)),
    }
}

impl Collector for Watchdog {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut series = Emitter::new();
        for name in list_dir(&self.dir)? {
            let dev = self.dir.join(&name);
            for (file, desc) in &self.numbers {
                let path = dev.join(file);
                if let Some(text) = attribute(&path)? {
                    let value = parse_int(&text).ok_or_else(|| {
                        CollectError::parse(
                            path.display().to_string(),
                            format!("not an integer: {text:?}"),
                        )
                    })?;
                    series.gauge(desc, &[&name], value as f64);
                }
            }
            let mut text = Vec::with_capacity(TEXT.len());
            for file in TEXT {
                text.push(attribute(&dev.join(file))?.unwrap_or_default());
            }
            let labels: Vec<&str> = std::iter::once(name.as_str())
                .chain(text.iter().map(String::as_str))
                .collect();
            series.gauge(&self.info, &labels, 1.0);
        }
        // One unreadable device fails the scrape of all, as upstream's
        // WatchdogClass() does, rather than exposing half of them.
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }
}
