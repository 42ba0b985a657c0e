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

/// One interface, its name borrowed from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface<'a> {
    pub name: &'a str,
    pub receive: [f64; 8],
    pub transmit: [f64; 8],
}

pub fn parse(text: &str) -> Parsed<Vec<Interface<'_>>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let Some((name, rest)) = line.split_once(':') else {
            continue; // the header lines
        };
        let name = name.trim();
        // All counters must read; the first 16 are kept.
        let mut counters = [0.0; 16];
        let mut count = 0;
        let parsed = rest.split_whitespace().try_for_each(|v| {
            let v = num(n, v)?;
            if let Some(slot) = counters.get_mut(count) {
                *slot = v;
            }
            count += 1;
            Ok(())
        });
        match parsed {
            Ok(()) if count >= 16 && !name.is_empty() => {
                let mut receive = [0.0; 8];
                let mut transmit = [0.0; 8];
                receive.copy_from_slice(&counters[..8]);
                transmit.copy_from_slice(&counters[8..]);
                value.push(Interface {
                    name,
                    receive,
                    transmit,
                });
            }
            Ok(()) => bad_lines.push(ParseError::new(n, format!("{count} counters, want 16"))),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_and_odd_lines() {
        let text = "Inter-|   Receive |  Transmit\n \
                    face |bytes packets|bytes packets\n\
                    \x20   lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n\
                    eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n\
                    eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n\
                    : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n\
                    eth2:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n";
        let parsed = parse(text);
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 5, 6]);
        let ifaces = &parsed.value;
        assert_eq!(ifaces.len(), 2);
        assert_eq!(ifaces[0].name, "lo");
        assert_eq!(ifaces[0].receive[0], 1.0);
        assert_eq!(ifaces[0].transmit[7], 16.0);
        assert_eq!(ifaces[1].name, "eth2");
        assert_eq!(ifaces[1].transmit[7], 16.0);
    }
}
