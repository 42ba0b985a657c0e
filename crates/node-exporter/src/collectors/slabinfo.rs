//! node_slabinfo_*{slab}: kernel slab allocator caches from /proc/slabinfo
//! (format version 2.1, slabinfo(5)).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{Filter, read_source};

#[derive(clap::Args, Debug, Clone)]
pub struct SlabinfoArgs {
    /// Regexp of slabs to include in slabinfo collector.
    #[arg(
        long = "collector.slabinfo.slabs-include",
        value_name = "REGEX",
        default_value = ".*"
    )]
    pub slabs_include: String,
    /// Regexp of slabs to exclude in slabinfo collector.
    #[arg(
        long = "collector.slabinfo.slabs-exclude",
        value_name = "REGEX",
        default_value = ""
    )]
    pub slabs_exclude: String,
}

pub struct Slabinfo {
    path: PathBuf,
    slabs: Filter,
    /// Descriptors of columns 1..=5 of a slab line.
    columns: [Desc; 5],
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.slabinfo;
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_slabinfo_{n}"), h, &["slab"]);
    Ok(AnyCollector::blocking(Slabinfo {
        path: args.proc("slabinfo"),
        slabs: Filter::new(
            "collector.slabinfo.slabs-include/exclude",
            Some(&a.slabs_include),
            Some(&a.slabs_exclude),
        )?,
        columns: [
            g(
                "active_objects",
                "The number of objects that are currently active (i.e., in use).",
            ),
            g(
                "objects",
                "The total number of allocated objects (i.e., objects that are both in use and not in use).",
            ),
            g(
                "object_size_bytes",
                "The size of objects in this slab, in bytes.",
            ),
            g(
                "objects_per_slab",
                "The number of objects stored in each slab.",
            ),
            g(
                "pages_per_slab",
                "The number of pages allocated for each slab.",
            ),
        ],
    }))
}

/// One cache line: name, active_objs, num_objs, objsize, objperslab,
/// pagesperslab, then `: tunables` (3 numbers) and `: slabdata` (3
/// numbers) — 16 fields in all. Returns the name and the first five numbers.
pub fn parse_line(line: &str) -> Option<(&str, [i64; 5])> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 16 {
        return None;
    }
    let mut numbers = [0i64; 5];
    for (n, text) in numbers.iter_mut().zip(&f[1..6]) {
        *n = text.parse().ok()?;
    }
    for i in [8, 9, 10, 13, 14, 15] {
        f[i].parse::<i64>().ok()?;
    }
    Some((f[0], numbers))
}

impl Collector for Slabinfo {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let mut slabs = Vec::new();
        for line in text.lines() {
            if line.contains("slabinfo -") || line.contains("# name") {
                continue;
            }
            // A line that does not parse fails the scrape, as upstream's
            // SlabInfo() does: the file's format is not the one we know.
            let slab = parse_line(line).ok_or_else(|| {
                CollectError::parse(
                    self.path.display().to_string(),
                    format!("bad line {line:?}"),
                )
            })?;
            slabs.push(slab);
        }
        for (name, numbers) in slabs {
            if self.slabs.ignored(name) {
                continue;
            }
            for (desc, value) in self.columns.iter().zip(numbers) {
                out.gauge(desc, &[name], value as f64);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn version_2_1_lines() {
        let line = "kmalloc-64  100 128 64 64 1 : tunables 0 0 0 : slabdata 2 2 0";
        assert_eq!(
            parse_line(line),
            Some(("kmalloc-64", [100, 128, 64, 64, 1]))
        );
        assert_eq!(parse_line("kmalloc-64 100 128 64 64 1"), None);
        assert_eq!(
            parse_line("x 1 2 3 4 five : tunables 0 0 0 : slabdata 2 2 0"),
            None
        );
    }
}
