//! /proc/net/stat/nf_conntrack: a header of column names, then one row of
//! hex counters per CPU. Returns the per-column sums.

use super::{ParseError, Parsed, hex};

pub fn parse(text: &str) -> Result<Parsed<Vec<(String, f64)>>, ParseError> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(ParseError::new(1, "empty file"));
    };
    let names: Vec<&str> = header.split_whitespace().collect();
    let mut sums = vec![0.0; names.len()];
    let mut bad_lines = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() != names.len() {
            bad_lines.push(ParseError::new(n, "column count differs from the header"));
            continue;
        }
        match f.iter().map(|v| hex(n, v)).collect::<Result<Vec<_>, _>>() {
            Ok(v) => sums.iter_mut().zip(v).for_each(|(s, v)| *s += v),
            Err(e) => bad_lines.push(e),
        }
    }
    Ok(Parsed {
        value: names.into_iter().map(str::to_string).zip(sums).collect(),
        bad_lines,
    })
}
