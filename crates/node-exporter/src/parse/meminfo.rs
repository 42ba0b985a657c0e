//! /proc/meminfo: `Key:   value [kB]` lines.

use super::{ParseError, Parsed, num};

/// (metric suffix, value in bytes or plain count). `Active(anon)` becomes
/// `Active_anon`; fields with a `kB` unit get `_bytes` and are scaled.
pub fn parse(text: &str) -> Result<Parsed<Vec<(String, f64)>>, ParseError> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let Some(raw) = fields[0].strip_suffix(':') else {
            bad_lines.push(ParseError::new(n, "key without ':'"));
            continue;
        };
        let key = raw.replace('(', "_").replace(')', "");
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bad_lines.push(ParseError::new(n, format!("odd key {raw:?}")));
            continue;
        }
        let parsed = match fields.len() {
            2 => num(n, fields[1]).map(|v| (key, v)),
            3 if fields[2] == "kB" => {
                num(n, fields[1]).map(|v| (format!("{key}_bytes"), v * 1024.0))
            }
            _ => Err(ParseError::new(n, "expected `Key: value [kB]`")),
        };
        match parsed {
            Ok(kv) => value.push(kv),
            Err(e) => bad_lines.push(e),
        }
    }
    if value.is_empty() {
        return Err(ParseError::new(0, "no fields"));
    }
    Ok(Parsed { value, bad_lines })
}
