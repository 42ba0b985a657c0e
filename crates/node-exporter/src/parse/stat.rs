//! /proc/stat: per-CPU times and the kernel's global counters.

use super::{ParseError, Parsed, num};

/// One `cpuN` line, in USER_HZ ticks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuTimes {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
    pub guest: f64,
    pub guest_nice: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stat {
    /// (cpu number as written, times); the aggregate `cpu` line is left out.
    pub cpus: Vec<(String, CpuTimes)>,
    pub intr: Option<f64>,
    pub ctxt: Option<f64>,
    pub btime: Option<f64>,
    pub processes: Option<f64>,
    pub procs_running: Option<f64>,
    pub procs_blocked: Option<f64>,
    pub softirq: Option<Vec<f64>>,
}

pub fn parse(text: &str) -> Parsed<Stat> {
    let mut st = Stat::default();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut fields = line.split_whitespace();
        let Some(key) = fields.next() else { continue };
        let rest: Vec<&str> = fields.collect();
        let first = || -> Result<f64, ParseError> {
            rest.first()
                .ok_or_else(|| ParseError::new(n, format!("{key} has no value")))
                .and_then(|v| num(n, v))
        };
        let result = match key {
            "cpu" => Ok(()),
            k if k.starts_with("cpu") => {
                let id = &k[3..];
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                    Err(ParseError::new(n, format!("odd cpu name {k:?}")))
                } else {
                    cpu_times(n, &rest).map(|t| st.cpus.push((id.to_string(), t)))
                }
            }
            "intr" => first().map(|v| st.intr = Some(v)),
            "ctxt" => first().map(|v| st.ctxt = Some(v)),
            "btime" => first().map(|v| st.btime = Some(v)),
            "processes" => first().map(|v| st.processes = Some(v)),
            "procs_running" => first().map(|v| st.procs_running = Some(v)),
            "procs_blocked" => first().map(|v| st.procs_blocked = Some(v)),
            "softirq" => rest
                .iter()
                .skip(1)
                .map(|v| num(n, v))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| st.softirq = Some(v)),
            _ => Ok(()),
        };
        if let Err(e) = result {
            bad_lines.push(e);
        }
    }
    Parsed {
        value: st,
        bad_lines,
    }
}

fn cpu_times(n: usize, fields: &[&str]) -> Result<CpuTimes, ParseError> {
    if fields.len() < 4 {
        return Err(ParseError::new(n, "cpu line with fewer than 4 fields"));
    }
    let v = fields
        .iter()
        .map(|f| num(n, f))
        .collect::<Result<Vec<_>, _>>()?;
    let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
    Ok(CpuTimes {
        user: at(0),
        nice: at(1),
        system: at(2),
        idle: at(3),
        iowait: at(4),
        irq: at(5),
        softirq: at(6),
        steal: at(7),
        guest: at(8),
        guest_nice: at(9),
    })
}
