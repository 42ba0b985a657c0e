//! node_lnstat_<field>_total{subsystem,cpu}: the per-CPU network cache
//! statistics of /proc/net/stat/* (arp_cache, ndisc_cache, nf_conntrack,
//! rt_cache, ...), as `lnstat` prints them.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_source};

pub struct Lnstat {
    dir: PathBuf,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Lnstat {
        dir: args.proc("net/stat"),
    }))
}

/// One file: a header line naming the columns, then one line per CPU of
/// hexadecimal counters. Returns (column, per-CPU values).
pub fn parse(text: &str) -> Result<Vec<(&str, Vec<u64>)>, String> {
    let mut lines = text.lines();
    let mut columns: Vec<(&str, Vec<u64>)> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|h| (h, Vec::new()))
        .collect();
    for line in lines {
        for (i, field) in line.split_whitespace().enumerate() {
            let value = u64::from_str_radix(field, 16)
                .map_err(|_| format!("bad counter {field:?} in line {line:?}"))?;
            let Some(column) = columns.get_mut(i) else {
                return Err(format!("more fields than headers in line {line:?}"));
            };
            column.1.push(value);
        }
    }
    Ok(columns)
}

impl Collector for Lnstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // Every file is parsed before any series is written: one bad file
        // fails the collector, as upstream's NetStat() does.
        let mut files = Vec::new();
        for name in list_dir(&self.dir)? {
            let path = self.dir.join(&name);
            files.push((name, read_source(&path)?, path));
        }
        let mut parsed = Vec::with_capacity(files.len());
        for (name, text, path) in &files {
            let columns =
                parse(text).map_err(|e| CollectError::parse(path.display().to_string(), e))?;
            parsed.push((name.as_str(), columns));
        }
        for (subsystem, columns) in parsed {
            for (header, values) in columns {
                let desc = Desc::try_new(
                    &format!("node_lnstat_{header}_total"),
                    "linux network cache stats",
                    Kind::Counter,
                    &["subsystem", "cpu"],
                )
                .map_err(|e| CollectError::parse(subsystem, e))?;
                for (cpu, value) in values.iter().enumerate() {
                    out.counter(&desc, &[subsystem, &cpu.to_string()], *value as f64);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn columns_are_hex_per_cpu() {
        let text = "entries allocs\n0000000a 000000ff\n0000000b 00000100\n";
        let cols = parse(text).expect("parses");
        assert_eq!(
            cols,
            vec![("entries", vec![10, 11]), ("allocs", vec![255, 256])]
        );
        assert!(parse("a\n0 1\n").is_err(), "more fields than headers");
        assert!(parse("a\nzz\n").is_err(), "not hexadecimal");
    }
}
