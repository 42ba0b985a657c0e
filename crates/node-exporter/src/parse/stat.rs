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

/// The file's values, borrowing the cpu numbers from its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stat<'a> {
    /// (cpu number as written, times); the aggregate `cpu` line is left out.
    pub cpus: Vec<(&'a str, CpuTimes)>,
    pub intr: Option<f64>,
    pub ctxt: Option<f64>,
    pub btime: Option<f64>,
    pub processes: Option<f64>,
    pub procs_running: Option<f64>,
    pub procs_blocked: Option<f64>,
    pub softirq: Option<Vec<f64>>,
}

pub fn parse(text: &str) -> Parsed<Stat<'_>> {
    let mut st = Stat::default();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut rest = line.split_whitespace();
        let Some(key) = rest.next() else { continue };
        let result = match key {
            "cpu" => Ok(()),
            k if k.starts_with("cpu") => {
                let id = &k[3..];
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                    Err(ParseError::new(n, format!("odd cpu name {k:?}")))
                } else {
                    cpu_times(n, rest).map(|t| st.cpus.push((id, t)))
                }
            }
            "intr" => first_value(n, key, rest.next()).map(|v| st.intr = Some(v)),
            "ctxt" => first_value(n, key, rest.next()).map(|v| st.ctxt = Some(v)),
            "btime" => first_value(n, key, rest.next()).map(|v| st.btime = Some(v)),
            "processes" => first_value(n, key, rest.next()).map(|v| st.processes = Some(v)),
            "procs_running" => first_value(n, key, rest.next()).map(|v| st.procs_running = Some(v)),
            "procs_blocked" => first_value(n, key, rest.next()).map(|v| st.procs_blocked = Some(v)),
            "softirq" => rest
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

/// The value after a key: its first field.
fn first_value(n: usize, key: &str, field: Option<&str>) -> Result<f64, ParseError> {
    field
        .ok_or_else(|| ParseError::new(n, format!("{key} has no value")))
        .and_then(|v| num(n, v))
}

fn cpu_times<'a>(
    n: usize,
    fields: impl Iterator<Item = &'a str> + Clone,
) -> Result<CpuTimes, ParseError> {
    if fields.clone().count() < 4 {
        return Err(ParseError::new(n, "cpu line with fewer than 4 fields"));
    }
    // Every field must be a number; the first 10 are the known modes.
    let mut v = [0.0; 10];
    for (i, f) in fields.enumerate() {
        let x = num(n, f)?;
        if let Some(slot) = v.get_mut(i) {
            *slot = x;
        }
    }
    let at = |i: usize| v[i];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_counters_and_odd_lines() {
        let text = "cpu  10 20 30 40 50 60 70 80 90 100\n\
                    cpu0 1 2 3 4 5 6 7 8 9 10 11\n\
                    cpu1 1 2 3\n\
                    cpu2 1 2 3 x\n\
                    cpuX 1 2 3 4\n\
                    cpu3 1 2 3 4\n\
                    \n\
                    intr 1234 5 6 7\n\
                    ctxt\n\
                    btime 99\n\
                    softirq 9 1 2 3\n\
                    unknown 1\n";
        let parsed = parse(text);
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![3, 4, 5, 9]);
        let st = parsed.value;
        assert_eq!(st.cpus.len(), 2);
        assert_eq!(st.cpus[0].0, "0");
        assert_eq!(st.cpus[0].1.guest_nice, 10.0);
        assert_eq!(st.cpus[1].0, "3");
        assert_eq!(st.cpus[1].1.idle, 4.0);
        assert_eq!(st.cpus[1].1.iowait, 0.0);
        assert_eq!(st.intr, Some(1234.0));
        assert_eq!(st.ctxt, None);
        assert_eq!(st.btime, Some(99.0));
        assert_eq!(st.softirq, Some(vec![1.0, 2.0, 3.0]));
    }
}
