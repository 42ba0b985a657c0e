//! /proc/diskstats: `major minor name` then 11, 15 or 17 counters.

use super::{ParseError, Parsed, num};

#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    pub major: String,
    pub minor: String,
    pub name: String,
    /// The counters in kernel order (11, 15 or 17 of them).
    pub stats: Vec<f64>,
}

pub fn parse(text: &str) -> Parsed<Vec<Disk>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 14 {
            bad_lines.push(ParseError::new(
                n,
                format!("{} fields, want at least 14", f.len()),
            ));
            continue;
        }
        match f[3..]
            .iter()
            .map(|v| num(n, v))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(stats) => value.push(Disk {
                major: f[0].to_string(),
                minor: f[1].to_string(),
                name: f[2].to_string(),
                stats,
            }),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}

/// udev's `E:KEY=value` properties for one device (/run/udev/data/bM:m).
pub fn parse_udev(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("E:"))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
