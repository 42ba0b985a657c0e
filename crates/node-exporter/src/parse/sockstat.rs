//! /proc/net/sockstat and sockstat6: `PROTO: key value key value ...`.

use super::{ParseError, Parsed, num};

/// (protocol, key, value) in file order, borrowed from the text.
pub fn parse(text: &str) -> Parsed<Vec<(&str, &str, f64)>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let Some((proto, rest)) = line.split_once(':') else {
            if !line.trim().is_empty() {
                bad_lines.push(ParseError::new(n, "no 'PROTO:'"));
            }
            continue;
        };
        if !rest.split_whitespace().count().is_multiple_of(2) {
            bad_lines.push(ParseError::new(n, "odd number of fields"));
            continue;
        }
        // A line is kept whole or not at all.
        let row_start = value.len();
        let proto = proto.trim();
        let mut f = rest.split_whitespace();
        while let (Some(k), Some(v)) = (f.next(), f.next()) {
            match num(n, v) {
                Ok(v) => value.push((proto, k, v)),
                Err(e) => {
                    bad_lines.push(e);
                    value.truncate(row_start);
                    break;
                }
            }
        }
    }
    Parsed { value, bad_lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_odd_lines() {
        let text = "sockets: used 120\n\
                    TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3\n\
                    UDP: inuse 1 mem x\n\
                    RAW: inuse\n\
                    junk\n\
                    \n\
                    FRAG: inuse 0 memory 0\n";
        let parsed = parse(text);
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![3, 4, 5]);
        assert_eq!(
            parsed.value,
            vec![
                ("sockets", "used", 120.0),
                ("TCP", "inuse", 5.0),
                ("TCP", "orphan", 0.0),
                ("TCP", "tw", 2.0),
                ("TCP", "alloc", 7.0),
                ("TCP", "mem", 3.0),
                ("FRAG", "inuse", 0.0),
                ("FRAG", "memory", 0.0),
            ]
        );
    }
}
