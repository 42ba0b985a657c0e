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
        // All columns must read; the first 13 are the known ones.
        let mut v = [0.0; 13];
        let mut count = 0;
        let parsed = line.split_whitespace().try_for_each(|f| {
            let x = hex(n, f)?;
            if let Some(slot) = v.get_mut(count) {
                *slot = x;
            }
            count += 1;
            Ok(())
        });
        match parsed {
            Ok(()) if count == 0 => continue,
            Ok(()) if count >= 9 => {
                let opt = |k: usize| (k < count).then(|| v[k]);
                // Since Linux 5.10 column 12 holds the CPU number; before, the line index is it.
                let cpu = opt(12).map_or(value.len().to_string(), |c| (c as u64).to_string());
                value.push(SoftnetCpu {
                    cpu,
                    processed: v[0],
                    dropped: v[1],
                    time_squeeze: v[2],
                    cpu_collision: opt(8),
                    received_rps: opt(9),
                    flow_limit_count: opt(10),
                    // Columns 12 and 13 came together (Linux 5.14).
                    backlog_len: (count >= 13).then(|| v[11]),
                });
            }
            Ok(()) => bad_lines.push(ParseError::new(
                n,
                format!("{count} columns, want at least 9"),
            )),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_cpu_numbers_and_odd_lines() {
        let text = "0000000a 00000001 00000002 0 0 0 0 0 00000003\n\
                    \n\
                    0000000b 0 0 0 0 0 0 0 00000004 00000005 00000006 00000007\n\
                    0000000c 0 0 0 0 0 0 0\n\
                    0000000d 0 0 0 0 0 0 0 0 0 0 0 00000011 0 0\n\
                    0000000e 0 0 0 0 0 0 0 0 0 0 0 zz\n";
        let parsed = parse(text);
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 6]);
        let c = &parsed.value;
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].cpu.as_str(), c[0].processed, c[0].cpu_collision),
            ("0", 10.0, Some(3.0))
        );
        assert_eq!(c[0].received_rps, None);
        // backlog_len came with the CPU number column (13 columns, 5.14).
        assert_eq!((c[1].cpu.as_str(), c[1].backlog_len), ("1", None));
        assert_eq!((c[2].cpu.as_str(), c[2].backlog_len), ("17", Some(0.0)));
    }
}
