//! /proc/net/netstat and /proc/net/snmp (a `Proto: names` line followed by a
//! `Proto: values` line) and /proc/net/snmp6 (`Ip6InReceives 12` lines).

use super::{ParseError, Parsed, num};

/// (protocol, field, value) in file order, borrowed from the text.
pub type Fields<'a> = Vec<(&'a str, &'a str, f64)>;

/// A `Proto: names` line and its `Proto: values` line, not yet split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair<'a> {
    /// The whole names line: it identifies the field layout.
    pub header: &'a str,
    pub proto: &'a str,
    pub names: &'a str,
    pub values: &'a str,
    /// 1-based number of the values line.
    pub line: usize,
}

impl<'a> Pair<'a> {
    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.names.split_ascii_whitespace()
    }

    pub fn values(&self) -> impl Iterator<Item = &'a str> {
        self.values.split_ascii_whitespace()
    }
}

/// The pairs of lines of /proc/net/netstat or /proc/net/snmp, and the
/// lines skipped: a line without `Proto:`, or a values line whose protocol
/// differs from its header's (it is then taken as the next header).
pub fn pairs(text: &str) -> (Vec<Pair<'_>>, Vec<ParseError>) {
    let mut pairs = Vec::with_capacity(16);
    let mut bad_lines = Vec::new();
    let mut lines = text.lines();
    // A values line that turned out to start the next pair (resync).
    let mut pending = None;
    // 0-based index of the names line.
    let mut i = 0;
    while let Some(names_line) = pending.take().or_else(|| lines.next()) {
        let Some(values_line) = lines.next() else {
            break;
        };
        let n = i + 2;
        i += 2;
        let (Some((proto, names)), Some((p2, values))) =
            (names_line.split_once(':'), values_line.split_once(':'))
        else {
            bad_lines.push(ParseError::new(n, "line without 'Proto:'"));
            continue;
        };
        if proto != p2 {
            bad_lines.push(ParseError::new(
                n,
                format!("protocol {p2:?} after header {proto:?}"),
            ));
            // resynchronise: the values line is the next names line
            pending = Some(values_line);
            i -= 1;
            continue;
        }
        pairs.push(Pair {
            header: names_line,
            proto,
            names,
            values,
            line: n,
        });
    }
    (pairs, bad_lines)
}

/// Every field of every pair as a number; a pair whose counts differ, or a
/// value that is not a number, is skipped.
pub fn parse_pairs(text: &str) -> Parsed<Fields<'_>> {
    let (pairs, mut bad_lines) = pairs(text);
    let mut value = Vec::new();
    for pair in pairs {
        let (names_len, values_len) = (pair.names().count(), pair.values().count());
        if names_len != values_len {
            bad_lines.push(ParseError::new(
                pair.line,
                format!("{}: {names_len} names, {values_len} values", pair.proto),
            ));
            continue;
        }
        for (k, v) in pair.names().zip(pair.values()) {
            match num(pair.line, v) {
                Ok(v) => value.push((pair.proto, k, v)),
                Err(e) => bad_lines.push(e),
            }
        }
    }
    bad_lines.sort_by_key(|e| e.line);
    Parsed { value, bad_lines }
}

/// One `Ip6InReceives 12` line of /proc/net/snmp6.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snmp6Line<'a> {
    /// `Ip6InReceives`
    pub key: &'a str,
    /// `Ip6`
    pub proto: &'a str,
    /// `InReceives`
    pub field: &'a str,
    /// The value's text.
    pub value: &'a str,
    /// 1-based line number.
    pub line: usize,
}

/// The lines of /proc/net/snmp6, values not yet parsed, and the lines
/// skipped.
pub fn snmp6_lines(text: &str) -> (Vec<Snmp6Line<'_>>, Vec<ParseError>) {
    let mut lines = Vec::with_capacity(128);
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut f = line.split_ascii_whitespace();
        let (key, v) = match (f.next(), f.next(), f.next()) {
            (None, _, _) => continue,
            (Some(key), Some(v), None) => (key, v),
            _ => {
                bad_lines.push(ParseError::new(n, "expected `Name value`"));
                continue;
            }
        };
        let Some(pos) = key.find('6') else {
            bad_lines.push(ParseError::new(n, format!("no protocol in {key:?}")));
            continue;
        };
        let (proto, field) = key.split_at(pos + 1);
        lines.push(Snmp6Line {
            key,
            proto,
            field,
            value: v,
            line: n,
        });
    }
    (lines, bad_lines)
}

pub fn parse_snmp6(text: &str) -> Parsed<Fields<'_>> {
    let (lines, mut bad_lines) = snmp6_lines(text);
    let mut value = Vec::new();
    for l in lines {
        match num(l.line, l.value) {
            Ok(v) => value.push((l.proto, l.field, v)),
            Err(e) => bad_lines.push(e),
        }
    }
    bad_lines.sort_by_key(|e| e.line);
    Parsed { value, bad_lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_resync_after_a_mismatched_header() {
        let text = "Tcp: A B\n\
                    Tcp: 1 2\n\
                    Udp: C\n\
                    Ip: X Y\n\
                    Ip: 3 4\n\
                    Icmp: D E\n\
                    Icmp: 5\n\
                    NoColon\n\
                    Odd: x\n\
                    Udp: F G\n\
                    Udp: 6 z\n\
                    Trailing: H\n";
        let parsed = parse_pairs(text);
        assert_eq!(
            parsed.value,
            vec![
                ("Tcp", "A", 1.0),
                ("Tcp", "B", 2.0),
                ("Ip", "X", 3.0),
                ("Ip", "Y", 4.0),
                ("Udp", "F", 6.0),
            ]
        );
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 7, 9, 11]);
    }

    #[test]
    fn snmp6_lines() {
        let text =
            "Ip6InReceives 12\n\n Udp6InErrors   3 \nNoProto 1\nIcmp6 x\nIp6Odd 1 2\nLonely\n";
        let parsed = parse_snmp6(text);
        assert_eq!(
            parsed.value,
            vec![("Ip6", "InReceives", 12.0), ("Udp6", "InErrors", 3.0)]
        );
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 5, 6, 7]);
    }
}
