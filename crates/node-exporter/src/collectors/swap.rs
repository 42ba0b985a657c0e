//! node_swap_*{device,swap_type}: each swap area of /proc/swaps (size and
//! use in KiB in the file, bytes here; priority).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

pub struct Swap {
    path: PathBuf,
    size: Desc,
    used: Desc,
    priority: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_swap_{n}"), h, &["device", "swap_type"]);
    Ok(AnyCollector::blocking(Swap {
        path: args.proc("swaps"),
        size: g("size_bytes", "Swap device size in bytes."),
        used: g("used_bytes", "Swap device used in bytes."),
        priority: g("priority", "Swap device priority."),
    }))
}

/// One line after the header: Filename Type Size Used Priority (KiB, KiB).
pub fn parse_line(line: &str) -> Option<(&str, &str, i64, i64, i64)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 5 {
        return None;
    }
    Some((
        f[0],
        f[1],
        f[2].parse().ok()?,
        f[3].parse().ok()?,
        f[4].parse().ok()?,
    ))
}

impl Collector for Swap {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let mut swaps = Vec::new();
        for line in text.lines().skip(1) {
            // One line that does not parse fails the scrape, as upstream's Swaps().
            swaps.push(parse_line(line).ok_or_else(|| {
                CollectError::parse(
                    self.path.display().to_string(),
                    format!("bad line {line:?}"),
                )
            })?);
        }
        for (device, kind, size_kib, used_kib, priority) in swaps {
            let labels = [device, kind];
            out.gauge(&self.size, &labels, size_kib.wrapping_mul(1024) as f64);
            out.gauge(&self.used, &labels, used_kib.wrapping_mul(1024) as f64);
            out.gauge(&self.priority, &labels, priority as f64);
        }
        Ok(())
    }
}
