//! /proc/net/dev: two header lines, then `iface: 8 receive and 8 transmit counters`.

use super::{ParseError, Parsed, num};

pub const RECEIVE: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "frame",
    "compressed",
    "multicast",
];
pub const TRANSMIT: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "colls",
    "carrier",
    "compressed",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub name: String,
    pub receive: [f64; 8],
    pub transmit: [f64; 8],
}

pub fn parse(text: &str) -> Parsed<Vec<Interface>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let Some((name, rest)) = line.split_once(':') else {
            continue; // the header lines
        };
        let name = name.trim();
        let nums: Result<Vec<f64>, ParseError> =
            rest.split_whitespace().map(|v| num(n, v)).collect();
        match nums {
            Ok(v) if v.len() >= 16 && !name.is_empty() => {
                let mut receive = [0.0; 8];
                let mut transmit = [0.0; 8];
                receive.copy_from_slice(&v[..8]);
                transmit.copy_from_slice(&v[8..16]);
                value.push(Interface {
                    name: name.to_string(),
                    receive,
                    transmit,
                });
            }
            Ok(v) => bad_lines.push(ParseError::new(n, format!("{} counters, want 16", v.len()))),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}
