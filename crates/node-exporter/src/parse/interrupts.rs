//! /proc/interrupts and /proc/softirqs: a CPU header line, then one row
//! per interrupt with a count per CPU.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub struct Interrupt {
    /// `24`, `NMI`, `TIMER` (without the colon).
    pub name: String,
    /// Controller for numbered interrupts, description for named ones.
    pub info: String,
    /// The devices on a numbered interrupt.
    pub devices: String,
    /// One count per CPU, as text (parsed by the caller).
    pub values: Vec<String>,
}

/// Parses /proc/interrupts as node_exporter does. Rows with fewer fields
/// than CPUs (ERR, MIS) are skipped, not errors.
pub fn parse_interrupts(text: &str) -> Result<Vec<Interrupt>, ParseError> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or_else(|| ParseError::new(1, "empty file"))?;
    let cpus = header.split_whitespace().count();
    if cpus == 0 {
        return Err(ParseError::new(1, "no CPU columns"));
    }
    let mut out = Vec::new();
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() < cpus + 2 {
            continue;
        }
        let name = parts[0].trim_end_matches(':').to_string();
        let values = parts[1..=cpus].iter().map(|s| s.to_string()).collect();
        let (info, devices) = if name.parse::<u64>().is_ok() {
            (parts[cpus + 1].to_string(), parts[cpus + 2..].join(" "))
        } else {
            (parts[cpus + 1..].join(" "), String::new())
        };
        out.push(Interrupt {
            name,
            info,
            devices,
            values,
        });
    }
    Ok(out)
}

/// Parses /proc/softirqs: (type, counts per CPU). Bad rows are errors.
pub fn parse_softirqs(text: &str) -> (Vec<(String, Vec<f64>)>, Vec<ParseError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut f = line.split_whitespace();
        let Some(name) = f.next() else { continue };
        let values: Result<Vec<f64>, _> = f.map(str::parse::<f64>).collect();
        match values {
            Ok(v) => out.push((name.trim_end_matches(':').to_string(), v)),
            Err(e) => errors.push(ParseError::new(i + 1, e.to_string())),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupts() {
        let text = "           CPU0       CPU1\n  0:         22          0   IO-APIC   2-edge      timer\n 24:  1 0 IO-APIC 5-edge ACPI:Ged\nNMI:          0          0   Non-maskable interrupts\nERR:          0\n";
        let v = parse_interrupts(text).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].name, "0");
        assert_eq!(v[0].info, "IO-APIC");
        assert_eq!(v[0].devices, "2-edge timer");
        assert_eq!(v[2].info, "Non-maskable interrupts");
        assert_eq!(v[2].values, vec!["0", "0"]);
        assert!(parse_interrupts("").is_err());
    }

    #[test]
    fn softirqs() {
        let (v, e) = parse_softirqs("   CPU0 CPU1\n HI: 1 2\n TIMER: x 3\n");
        assert_eq!(v, vec![("HI".to_string(), vec![1.0, 2.0])]);
        assert_eq!(e.len(), 1);
    }
}
