//! /proc/net/arp: a header, then `IP HWtype Flags HWaddr Mask Device`.

use super::{ParseError, Parsed};

/// Entries per device, in first-seen order.
pub fn parse(text: &str) -> Parsed<Vec<(String, f64)>> {
    let mut value: Vec<(String, f64)> = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 6 {
            bad_lines.push(ParseError::new(i + 1, "fewer than 6 fields"));
            continue;
        }
        let dev = f[5];
        match value.iter_mut().find(|(d, _)| d == dev) {
            Some((_, c)) => *c += 1.0,
            None => value.push((dev.to_string(), 1.0)),
        }
    }
    Parsed { value, bad_lines }
}
