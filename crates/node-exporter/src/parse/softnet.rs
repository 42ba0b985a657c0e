//! /proc/net/softnet_stat: one line of hex counters per CPU.

use super::{ParseError, Parsed, hex};

#[derive(Debug, Clone, PartialEq)]
pub struct SoftnetCpu {
    pub cpu: String,
    pub processed: f64,
    pub dropped: f64,
    pub time_squeeze: f64,
    pub cpu_collision: Option<f64>,
    pub received_rps: Option<f64>,
    pub flow_limit_count: Option<f64>,
    pub backlog_len: Option<f64>,
}

pub fn parse(text: &str) -> Parsed<Vec<SoftnetCpu>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let parsed: Result<Vec<f64>, ParseError> = f.iter().map(|v| hex(n, v)).collect();
        match parsed {
            Ok(v) if v.len() >= 9 => {
                let opt = |k: usize| v.get(k).copied();
                // Since Linux 5.10 column 12 holds the CPU number; before, the line index is it.
                let cpu = v
                    .get(12)
                    .map_or(value.len().to_string(), |c| (*c as u64).to_string());
                value.push(SoftnetCpu {
                    cpu,
                    processed: v[0],
                    dropped: v[1],
                    time_squeeze: v[2],
                    cpu_collision: opt(8),
                    received_rps: opt(9),
                    flow_limit_count: opt(10),
                    backlog_len: opt(11),
                });
            }
            Ok(v) => bad_lines.push(ParseError::new(
                n,
                format!("{} columns, want at least 9", v.len()),
            )),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}
