//! /proc/schedstat: `cpuN` lines; fields 7, 8 and 9 are running ns, waiting ns, timeslices.

use super::{ParseError, Parsed, num};

#[derive(Debug, Clone, PartialEq)]
pub struct CpuSched {
    pub cpu: String,
    pub running_ns: f64,
    pub waiting_ns: f64,
    pub timeslices: f64,
}

pub fn parse(text: &str) -> Parsed<Vec<CpuSched>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(id) = f.first().and_then(|k| k.strip_prefix("cpu")) else {
            continue;
        };
        if f.len() < 10 || id.is_empty() {
            bad_lines.push(ParseError::new(n, "short cpu line"));
            continue;
        }
        let r = (|| -> Result<CpuSched, ParseError> {
            Ok(CpuSched {
                cpu: id.to_string(),
                running_ns: num(n, f[7])?,
                waiting_ns: num(n, f[8])?,
                timeslices: num(n, f[9])?,
            })
        })();
        match r {
            Ok(c) => value.push(c),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}
