//! /proc/net/sockstat and sockstat6: `PROTO: key value key value ...`.

use super::{ParseError, Parsed, num};

/// (protocol, key, value) in file order.
pub fn parse(text: &str) -> Parsed<Vec<(String, String, f64)>> {
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
        let f: Vec<&str> = rest.split_whitespace().collect();
        if !f.len().is_multiple_of(2) {
            bad_lines.push(ParseError::new(n, "odd number of fields"));
            continue;
        }
        let mut row = Vec::new();
        let mut ok = true;
        for kv in f.chunks(2) {
            match num(n, kv[1]) {
                Ok(v) => row.push((proto.trim().to_string(), kv[0].to_string(), v)),
                Err(e) => {
                    bad_lines.push(e);
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            value.extend(row);
        }
    }
    Parsed { value, bad_lines }
}
