//! /proc/net/netstat and /proc/net/snmp (a `Proto: names` line followed by a
//! `Proto: values` line) and /proc/net/snmp6 (`Ip6InReceives 12` lines).

use super::{ParseError, Parsed, num};

/// (protocol, field, value) in file order, borrowed from the text.
pub type Fields<'a> = Vec<(&'a str, &'a str, f64)>;

pub fn parse_pairs(text: &str) -> Parsed<Fields<'_>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i + 1 < lines.len() {
        let (n, names, values) = (i + 2, lines[i], lines[i + 1]);
        i += 2;
        let (Some((p1, names)), Some((p2, values))) =
            (names.split_once(':'), values.split_once(':'))
        else {
            bad_lines.push(ParseError::new(n, "line without 'Proto:'"));
            continue;
        };
        if p1 != p2 {
            bad_lines.push(ParseError::new(
                n,
                format!("protocol {p2:?} after header {p1:?}"),
            ));
            i -= 1; // resynchronise on the next line
            continue;
        }
        let names: Vec<&str> = names.split_whitespace().collect();
        let values: Vec<&str> = values.split_whitespace().collect();
        if names.len() != values.len() {
            bad_lines.push(ParseError::new(
                n,
                format!("{p1}: {} names, {} values", names.len(), values.len()),
            ));
            continue;
        }
        for (k, v) in names.iter().zip(&values) {
            match num(n, v) {
                Ok(v) => value.push((p1, *k, v)),
                Err(e) => bad_lines.push(e),
            }
        }
    }
    Parsed { value, bad_lines }
}

pub fn parse_snmp6(text: &str) -> Parsed<Fields<'_>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() != 2 {
            bad_lines.push(ParseError::new(n, "expected `Name value`"));
            continue;
        }
        let Some(pos) = f[0].find('6') else {
            bad_lines.push(ParseError::new(n, format!("no protocol in {:?}", f[0])));
            continue;
        };
        let (proto, name) = f[0].split_at(pos + 1);
        match num(n, f[1]) {
            Ok(v) => value.push((proto, name, v)),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}
