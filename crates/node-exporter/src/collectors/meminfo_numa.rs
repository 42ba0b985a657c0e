//! meminfo_numa: per NUMA node memory from
//! /sys/devices/system/node/node*/meminfo and numastat.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_attr};

pub struct MeminfoNuma {
    dir: PathBuf,
    descs: Mutex<HashMap<String, Desc>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(MeminfoNuma {
        dir: args.sys("devices/system/node"),
        descs: Mutex::new(HashMap::new()),
    }))
}

/// `Node 0 Active(anon):  1628 kB` -> ("Active_anon", 1667072).
pub fn parse_meminfo_line(line: &str) -> Option<(String, f64)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 || f[0] != "Node" {
        return None;
    }
    let key = f[2]
        .trim_end_matches(':')
        .replace('(', "_")
        .replace(')', "");
    let mut v = f[3].parse::<f64>().ok()?;
    if f.get(4) == Some(&"kB") {
        v *= 1024.0;
    }
    Some((key, v))
}

impl MeminfoNuma {
    fn desc(&self, name: &str, kind: Kind) -> Option<Desc> {
        let mut cache = self.descs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(name) {
            return Some(d.clone());
        }
        let d = Desc::try_new(
            name,
            &format!("Memory information field {name}."),
            kind,
            &["node"],
        )
        .ok()?;
        cache.insert(name.to_string(), d.clone());
        Some(d)
    }
}

impl Collector for MeminfoNuma {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut bad = 0;
        let mut any = false;
        for entry in list_dir(&self.dir)? {
            let Some(node) = entry
                .strip_prefix("node")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let d = self.dir.join(&entry);
            if let Some(text) = read_attr(&d.join("meminfo")) {
                any = true;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match parse_meminfo_line(line) {
                        Some((key, v)) => {
                            if let Some(desc) =
                                self.desc(&format!("node_memory_numa_{key}"), Kind::Gauge)
                            {
                                out.gauge(&desc, &[node], v);
                            }
                        }
                        None => bad += 1,
                    }
                }
            }
            if let Some(text) = read_attr(&d.join("numastat")) {
                for line in text.lines() {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    match (f.first(), f.get(1).and_then(|v| v.parse::<f64>().ok())) {
                        (Some(key), Some(v)) if f.len() == 2 => {
                            if let Some(desc) =
                                self.desc(&format!("node_memory_numa_{key}_total"), Kind::Counter)
                            {
                                out.counter(&desc, &[node], v);
                            }
                        }
                        _ => bad += 1,
                    }
                }
            }
        }
        if !any {
            return Err(CollectError::NoData);
        }
        if bad > 0 {
            return Err(CollectError::parse(
                "node meminfo",
                format!("{bad} bad line(s)"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines() {
        assert_eq!(
            super::parse_meminfo_line("Node 0 Active(anon):  1628 kB"),
            Some(("Active_anon".to_string(), 1667072.0))
        );
        assert_eq!(
            super::parse_meminfo_line("Node 0 HugePages_Total:     0"),
            Some(("HugePages_Total".to_string(), 0.0))
        );
        assert_eq!(super::parse_meminfo_line("junk"), None);
    }
}
